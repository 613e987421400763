import { createHash } from 'node:crypto';
import { ConfigError } from '@trapheus/shared';
import * as z from 'zod';

const flag = z
  .string()
  .trim()
  .toLowerCase()
  .default('false')
  .refine((v) => ['', 'true', 'false', '1', '0', 'yes', 'no'].includes(v), 'must be true or false')
  .transform((v) => ['true', '1', 'yes'].includes(v));

const positiveInt = (fallback: number, max?: number) => {
  const base = z.coerce.number().int().positive();
  return (max ? base.max(max) : base).default(fallback);
};

/** Settings of the notify functions, from their Lambda environment (no secrets here: see SLACK_WEBHOOKS_PARAMETER). */
export const notifyEnvSchema = z.object({
  AWS_REGION: z.string().min(1).default('us-east-1'),
  /** Also notify successful runs (RunSucceeded). */
  NOTIFY_ON_SUCCESS: flag,
  /** SES sender identity (an address or `Name <address>`). */
  NOTIFY_EMAIL_FROM: z.string().trim().default(''),
  /** Recipients, comma separated; empty disables the e-mail channel. */
  NOTIFY_EMAIL_TO: z.string().default(''),
  /** Name of the SSM SecureString holding the Slack webhook URLs; empty disables the Slack channel. */
  SLACK_WEBHOOKS_PARAMETER: z.string().trim().default(''),
  SLACK_WEBHOOKS_CACHE_SECONDS: positiveInt(300),
  DELIVERIES_TABLE: z.string().min(1),
  EMAIL_DLQ_URL: z.string().url(),
  SLACK_DELIVERY_QUEUE_URL: z.string().url(),
  SLACK_DLQ_URL: z.string().url(),
  SLACK_DELIVERY_DLQ_URL: z.string().url(),
  /** Attempts per webhook before the delivery goes to its DLQ. */
  SLACK_MAX_ATTEMPTS: positiveInt(6, 50),
  /** First retry delay; each next one doubles, up to SQS's 900-second maximum. */
  SLACK_RETRY_BASE_SECONDS: positiveInt(30, 900),
  SLACK_TIMEOUT_MS: positiveInt(8000),
});
export type NotifyEnv = z.infer<typeof notifyEnvSchema>;

const ADDRESS = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;
const addressOf = (value: string): string => /<([^<>]+)>\s*$/.exec(value)?.[1]?.trim() ?? value;

/**
 * The e-mail recipients from `NOTIFY_EMAIL_TO` (comma, semicolon or newline separated); a bad entry is
 * named by its position.
 *
 * @example
 * parseRecipients('ops@example.com, dba@example.com') // ['ops@example.com', 'dba@example.com']
 */
export const parseRecipients = (raw: string): string[] => {
  const entries = raw
    .split(/[,;\n]+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  entries.forEach((entry, i) => {
    if (!ADDRESS.test(addressOf(entry))) {
      throw new ConfigError(`NOTIFY_EMAIL_TO entry #${i + 1} (index ${i}) is not an e-mail address`);
    }
  });
  return entries;
};

/** The e-mail channel's settings; `to` empty means the channel is disabled. */
export interface EmailSettings {
  from: string;
  to: string[];
}

/**
 * Validates the e-mail settings: recipients without a valid sender is a configuration error.
 *
 * @example
 * emailSettings({ NOTIFY_EMAIL_FROM: 'trapheus@example.com', NOTIFY_EMAIL_TO: 'ops@example.com' })
 */
export const emailSettings = (
  env: Pick<NotifyEnv, 'NOTIFY_EMAIL_FROM' | 'NOTIFY_EMAIL_TO'>,
): EmailSettings => {
  const to = parseRecipients(env.NOTIFY_EMAIL_TO);
  if (to.length > 0 && !ADDRESS.test(addressOf(env.NOTIFY_EMAIL_FROM))) {
    throw new ConfigError(
      `NOTIFY_EMAIL_FROM ${env.NOTIFY_EMAIL_FROM ? 'is not an e-mail address' : 'is not set'} (it is required when NOTIFY_EMAIL_TO names recipients)`,
    );
  }
  return { from: env.NOTIFY_EMAIL_FROM, to };
};

/** One configured Slack webhook. `url` is a secret: log `index` and `host` only. */
export interface Webhook {
  /** Position in the configured list, from 0. */
  index: number;
  /** A stable, non-reversible id (hash of the URL): the idempotency key part and the delivery message's pointer. */
  id: string;
  host: string;
  url: string;
}

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** What may be logged about a webhook. */
export const webhookLogKeys = (w: Pick<Webhook, 'index' | 'host'>) => ({
  webhookIndex: w.index,
  webhookHost: w.host,
});

/**
 * Splits the parameter value into URLs: a JSON array of strings, or URLs separated by newlines or commas.
 * Error messages never quote the value (it holds secrets).
 *
 * @example
 * parseWebhookList('["https://hooks.slack.com/services/A/B/C"]') // ['https://hooks.slack.com/services/A/B/C']
 */
export const parseWebhookList = (raw: string): string[] => {
  const text = raw.trim();
  if (text === '') return [];
  if (text.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new ConfigError('Slack webhooks parameter starts with "[" but is not valid JSON');
    }
    if (!Array.isArray(parsed)) throw new ConfigError('Slack webhooks parameter is not a JSON array');
    return parsed.map((entry, i) => {
      if (typeof entry !== 'string') {
        throw new ConfigError(`Slack webhook #${i + 1} (index ${i}) is not a string`);
      }
      return entry.trim();
    });
  }
  return text
    .split(/[\n,]+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
};

/**
 * Checks each webhook URL: https (any host, so Slack-compatible receivers work), or http on
 * 127.0.0.1/localhost for the local stack; no credentials, no duplicates. A bad entry is named by its index,
 * never by its value.
 *
 * @example
 * validateWebhooks(['https://hooks.slack.com/services/T/B/x'])[0].host // 'hooks.slack.com'
 */
export const validateWebhooks = (urls: readonly string[]): Webhook[] => {
  const seen = new Map<string, number>();
  return urls.map((raw, index) => {
    const name = `Slack webhook #${index + 1} (index ${index})`;
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new ConfigError(`${name} is not a valid URL`);
    }
    if (url.protocol === 'http:') {
      if (!LOCAL_HOSTS.has(url.hostname)) {
        throw new ConfigError(
          `${name} must use https (plain http is only accepted for 127.0.0.1 or localhost)`,
        );
      }
    } else if (url.protocol !== 'https:') {
      throw new ConfigError(`${name} must be an https URL, not ${url.protocol.replace(/:$/, '')}`);
    }
    if (url.username || url.password) throw new ConfigError(`${name} must not contain credentials`);
    const previous = seen.get(url.href);
    if (previous !== undefined) {
      throw new ConfigError(`${name} repeats webhook #${previous + 1} (index ${previous})`);
    }
    seen.set(url.href, index);
    return {
      index,
      id: createHash('sha256').update(url.href).digest('hex').slice(0, 16),
      host: url.host,
      url: url.href,
    };
  });
};

/**
 * Parses and validates the webhooks parameter value in one go.
 *
 * @example
 * loadWebhookList('https://hooks.slack.com/services/A/B/C\nhttps://hooks.slack.com/services/D/E/F').length // 2
 */
export const loadWebhookList = (raw: string): Webhook[] => validateWebhooks(parseWebhookList(raw));
