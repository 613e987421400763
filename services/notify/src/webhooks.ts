import type { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import { errorCode, type Logger } from '@trapheus/shared';
import { loadWebhookList, type Webhook } from './config';

/** Returns the configured webhooks (validated); an empty list means the Slack channel is off. */
export type WebhookSource = () => Promise<Webhook[]>;

/**
 * Reads the Slack webhook URLs from an SSM SecureString at run time, cached for `maxAgeSeconds` by the
 * Powertools parameters provider, and validates them. A missing or empty parameter disables the channel
 * (said once in the log); a malformed entry is a ConfigError naming its index.
 *
 * @example
 * const loadWebhooks = buildWebhookSource({ provider: new SSMProvider(), parameterName: '/trapheus/dev/slack-webhooks', maxAgeSeconds: 300, logger });
 * const hooks = await loadWebhooks();
 */
export const buildWebhookSource = ({
  provider,
  parameterName,
  maxAgeSeconds,
  logger,
}: {
  provider: Pick<SSMProvider, 'get'>;
  parameterName: string;
  maxAgeSeconds: number;
  logger: Logger;
}): WebhookSource => {
  const said = new Set<string>();
  const once = (message: string, extra: Record<string, unknown> = {}) => {
    if (said.has(message)) return;
    said.add(message);
    logger.info(message, extra);
  };
  let last: { raw: string; webhooks: Webhook[] } | undefined;

  return async () => {
    if (!parameterName) {
      once('Slack channel disabled: SLACK_WEBHOOKS_PARAMETER is empty');
      return [];
    }
    let raw: string | undefined;
    try {
      raw = await provider.get(parameterName, { decrypt: true, maxAge: maxAgeSeconds });
    } catch (err) {
      const cause = (err as { cause?: unknown }).cause ?? err;
      if (errorCode(cause) === 'ParameterNotFound') {
        once('Slack channel disabled: the webhooks parameter does not exist', { parameterName });
        return [];
      }
      throw err;
    }
    if (last && last.raw === raw) return last.webhooks;
    const webhooks = loadWebhookList(raw ?? '');
    last = { raw: raw ?? '', webhooks };
    if (webhooks.length === 0) {
      once('Slack channel disabled: the webhooks parameter lists no URL', { parameterName });
    } else {
      logger.info('Slack webhooks loaded', {
        parameterName,
        webhooks: webhooks.map((w) => ({ index: w.index, host: w.host })),
      });
    }
    return webhooks;
  };
};
