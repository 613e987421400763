import type { Webhook } from './config';

/**
 * Removes webhook URLs from a text (an error message about to be logged): the known ones by value, and any
 * Slack hook path by shape.
 *
 * @example
 * redactWebhooks('POST https://hooks.slack.com/services/T/B/x failed', []) // 'POST https://hooks.slack.com/[redacted] failed'
 */
export const redactWebhooks = (text: string, webhooks: readonly Pick<Webhook, 'url' | 'index'>[]): string => {
  let out = text;
  for (const w of webhooks) out = out.split(w.url).join(`[webhook #${w.index}]`);
  return out.replace(/(hooks\.slack\.com)\/\S+/g, '$1/[redacted]');
};
