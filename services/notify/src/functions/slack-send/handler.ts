import { sqsBatchHandler } from '@trapheus/shared';
import { buildSlackSendDeps } from '../../deps';
import { sendToWebhook } from './send-slack';

const deps = buildSlackSendDeps(process.env);

/** One Slack delivery (an outcome for one webhook) → one POST, retried with backoff through the queue. */
export const main = sqsBatchHandler(deps.logger, (record) => sendToWebhook(record, deps), {
  redact: deps.redact,
  parallel: true,
});
