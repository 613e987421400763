import { sqsBatchHandler } from '@trapheus/shared';
import { buildSlackFanoutDeps } from '../../deps';
import { fanOutToWebhooks } from './fan-out';

const deps = buildSlackFanoutDeps(process.env);

/** RunFailed, RunRolledBack and (opt-in) RunSucceeded → one slack-delivery message per webhook. */
export const main = sqsBatchHandler(deps.logger, (record) => fanOutToWebhooks(record, deps), {
  redact: deps.redact,
  parallel: true,
});
