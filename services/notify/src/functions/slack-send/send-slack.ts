import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { ConfigError, type Logger } from '@trapheus/shared';
import { webhookLogKeys } from '../../config';
import { sendToDeadLetter } from '../../dead-letter';
import { DeliveryInProgressError, type DeliveryKey, type DeliveryLedger } from '../../deliveries';
import { deliveryChannel } from '../../outcome';
import { renderSlack } from '../../render-slack';
import { parseSlackDelivery, slackDeliveryBody } from '../../slack-delivery';
import { postToSlack, retryDelaySeconds } from '../../slack-http';
import { summarize } from '../../summary';
import type { WebhookSource } from '../../webhooks';

export interface SlackSendDeps {
  logger: Logger;
  sqs: SQSClient;
  fetch: typeof fetch;
  loadWebhooks: WebhookSource;
  ledger: DeliveryLedger;
  config: {
    deliveryQueueUrl: string;
    deadLetterQueueUrl: string;
    maxAttempts: number;
    retryBaseSeconds: number;
    timeoutMs: number;
  };
}

export type SlackSendResult =
  | { result: 'sent' | 'duplicate' | 'dead-lettered' }
  | { result: 'retry-scheduled'; attempt: number; delaySeconds: number };

/**
 * Delivers one outcome to one Slack webhook. 2xx: recorded as sent. 429/5xx/network: re-queued with a
 * growing delay (Retry-After for 429) and attempt+1, to the DLQ after `maxAttempts`. Other 4xx: DLQ at once.
 *
 * @example
 * await sendToWebhook(record, deps) // { result: 'retry-scheduled', attempt: 2, delaySeconds: 30 }
 */
export const sendToWebhook = async (
  record: { messageId: string; body: string },
  deps: SlackSendDeps,
): Promise<SlackSendResult> => {
  const { config, ledger } = deps;
  const deadLetter = async (reason: string) => {
    await sendToDeadLetter(deps.sqs, config.deadLetterQueueUrl, record.body, reason);
    return { result: 'dead-lettered' } as const;
  };
  const parsed = parseSlackDelivery(record.body);
  if (!parsed.ok) {
    deps.logger.error('not a Slack delivery: moved to the DLQ', {
      messageId: record.messageId,
      reason: parsed.reason,
    });
    return deadLetter(parsed.reason);
  }
  const { delivery } = parsed;
  const { outcome } = delivery;
  let logger = deps.logger.createChild({
    persistentKeys: {
      runId: outcome.runId,
      step: outcome.step,
      channel: 'slack',
      webhookIndex: delivery.webhookIndex,
      attempt: delivery.attempt,
    },
  });

  let webhooks: Awaited<ReturnType<WebhookSource>>;
  try {
    webhooks = await deps.loadWebhooks();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    logger.error('Slack webhooks configuration rejected: moved to the DLQ', { reason: err.message });
    return deadLetter(err.message);
  }
  const webhook = webhooks.find((w) => w.id === delivery.webhookId);
  if (!webhook) {
    logger.error('the webhook of this delivery is no longer configured: moved to the DLQ');
    return deadLetter(`webhook index ${delivery.webhookIndex} is no longer in the configuration`);
  }
  logger = logger.createChild({ persistentKeys: webhookLogKeys(webhook) });

  const key: DeliveryKey = {
    runId: outcome.runId,
    step: outcome.step,
    channel: deliveryChannel(`slack#${webhook.id}`, outcome),
  };
  const claim = await ledger.claim(key, { webhookIndex: webhook.index });
  if (claim.kind === 'sent') {
    logger.info('Slack message already sent for this outcome: duplicate ignored');
    return { result: 'duplicate' };
  }
  if (claim.kind === 'in-progress') throw new DeliveryInProgressError(key);

  const answer = await postToSlack(
    deps.fetch,
    webhook.url,
    renderSlack(summarize(outcome)),
    config.timeoutMs,
  );
  if (answer.kind === 'delivered') {
    try {
      await ledger.markSent(key, claim.token);
    } catch (err) {
      logger.warn('Slack message sent but not recorded', {
        error: err instanceof Error ? err.name : 'unknown',
      });
    }
    logger.info('Slack message sent', { status: answer.status });
    return { result: 'sent' };
  }

  await ledger.release(key, claim.token);
  if (answer.kind === 'permanent') {
    logger.error('Slack refused the message; not retried: moved to the DLQ', { reason: answer.reason });
    return deadLetter(`webhook index ${webhook.index} (${webhook.host}): ${answer.reason}`);
  }
  if (delivery.attempt >= config.maxAttempts) {
    logger.error('Slack still failing after the last attempt: moved to the DLQ', {
      reason: answer.reason,
      maxAttempts: config.maxAttempts,
    });
    return deadLetter(
      `webhook index ${webhook.index} (${webhook.host}): ${answer.reason} after ${delivery.attempt} attempts`,
    );
  }
  const delaySeconds = retryDelaySeconds({
    attempt: delivery.attempt,
    baseSeconds: config.retryBaseSeconds,
    ...(answer.retryAfterSeconds !== undefined ? { retryAfterSeconds: answer.retryAfterSeconds } : {}),
  });
  const attempt = delivery.attempt + 1;
  await deps.sqs.send(
    new SendMessageCommand({
      QueueUrl: config.deliveryQueueUrl,
      MessageBody: slackDeliveryBody({ ...delivery, attempt }),
      DelaySeconds: delaySeconds,
    }),
  );
  logger.warn('Slack delivery failed; retry scheduled', {
    reason: answer.reason,
    nextAttempt: attempt,
    delaySeconds,
  });
  return { result: 'retry-scheduled', attempt, delaySeconds };
};
