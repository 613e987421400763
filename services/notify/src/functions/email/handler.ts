import { sqsBatchHandler } from '@trapheus/shared';
import { buildEmailDeps } from '../../deps';
import { sendOutcomeEmail } from './send-email';

const deps = buildEmailDeps(process.env);

/** RunFailed, RunRolledBack and (opt-in) RunSucceeded → one SES e-mail per run outcome. */
export const main = sqsBatchHandler(deps.logger, (record) => sendOutcomeEmail(record, deps), {
  parallel: true,
});
