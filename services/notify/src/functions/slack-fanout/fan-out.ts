import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { ConfigError, type Logger } from '@trapheus/shared';
import { sendToDeadLetter } from '../../dead-letter';
import { parseOutcomeEvent, shouldNotify } from '../../outcome';
import { slackDeliveryBody } from '../../slack-delivery';
import type { WebhookSource } from '../../webhooks';

export interface SlackFanoutDeps {
  logger: Logger;
  sqs: SQSClient;
  loadWebhooks: WebhookSource;
  config: { notifyOnSuccess: boolean; deliveryQueueUrl: string; deadLetterQueueUrl: string };
}

export type FanoutResult =
  | { result: 'queued'; webhooks: number }
  | { result: 'skipped' | 'disabled' | 'dead-lettered' };

/**
 * Turns one run outcome into one delivery message per Slack webhook, so each webhook has its own retries and
 * a dead one never holds up the others.
 *
 * @example
 * await fanOutToWebhooks(record, deps) // { result: 'queued', webhooks: 2 }
 */
export const fanOutToWebhooks = async (
  record: { messageId: string; body: string },
  deps: SlackFanoutDeps,
): Promise<FanoutResult> => {
  const { config } = deps;
  const parsed = parseOutcomeEvent(record.body);
  if (!parsed.ok) {
    deps.logger.error('not a run outcome: moved to the DLQ', {
      messageId: record.messageId,
      reason: parsed.reason,
    });
    await sendToDeadLetter(deps.sqs, config.deadLetterQueueUrl, record.body, parsed.reason);
    return { result: 'dead-lettered' };
  }
  const { outcome } = parsed;
  const logger = deps.logger.createChild({
    persistentKeys: { runId: outcome.runId, step: outcome.step, channel: 'slack' },
  });
  if (!shouldNotify(outcome, config.notifyOnSuccess)) {
    logger.info('success notifications are off (NOTIFY_ON_SUCCESS): not sent');
    return { result: 'skipped' };
  }
  let webhooks: Awaited<ReturnType<WebhookSource>>;
  try {
    webhooks = await deps.loadWebhooks();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // A malformed configuration will not fix itself in a few retries: DLQ, redrive once it is corrected.
    logger.error('Slack webhooks configuration rejected: moved to the DLQ', { reason: err.message });
    await sendToDeadLetter(deps.sqs, config.deadLetterQueueUrl, record.body, err.message);
    return { result: 'dead-lettered' };
  }
  if (webhooks.length === 0) return { result: 'disabled' };

  for (let i = 0; i < webhooks.length; i += 10) {
    const chunk = webhooks.slice(i, i + 10);
    const out = await deps.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: config.deliveryQueueUrl,
        Entries: chunk.map((w) => ({
          Id: `webhook-${w.index}`,
          MessageBody: slackDeliveryBody({
            webhookId: w.id,
            webhookIndex: w.index,
            attempt: 1,
            detailType: parsed.detailType,
            outcome,
          }),
        })),
      }),
    );
    if ((out.Failed ?? []).length > 0) {
      // Retrying the whole outcome is safe: each webhook's delivery is idempotent.
      throw new Error(
        `could not queue ${out.Failed?.length} Slack deliveries: ${out.Failed?.map((f) => `${f.Id} ${f.Code}`).join(', ')}`,
      );
    }
  }
  logger.info('Slack deliveries queued', {
    webhooks: webhooks.map((w) => ({ index: w.index, host: w.host })),
  });
  return { result: 'queued', webhooks: webhooks.length };
};
