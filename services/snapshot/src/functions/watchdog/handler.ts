import { SendMessageCommand } from '@aws-sdk/client-sqs';
import {
  buildExportStore,
  buildPublisher,
  buildRunRepository,
  createAwsClients,
  createLogger,
  exportCheckBody,
  flushMetrics,
  loadConfig,
  recordWatchdogSweep,
  workerConfigSchema,
} from '@trapheus/shared';
import { sweep, sweepExports } from '../../watchdog';

const config = loadConfig(
  workerConfigSchema.pick({
    AWS_REGION: true,
    RUNS_TABLE: true,
    EVENT_BUS_NAME: true,
    WORK_QUEUE_URL: true,
    CHECK_BACK_GRACE_SECONDS: true,
  }),
  process.env,
);
const clients = createAwsClients({ region: config.AWS_REGION });
const logger = createLogger(process.env.POWERTOOLS_SERVICE_NAME ?? 'trapheus-watchdog');
const runs = buildRunRepository({ dynamo: clients.dynamo, tableName: config.RUNS_TABLE });
const publish = buildPublisher({ eventBridge: clients.eventBridge, busName: config.EVENT_BUS_NAME });
const exports = buildExportStore({ dynamo: clients.dynamo, tableName: config.RUNS_TABLE });
const sendCheck = (runId: string, seq: number) =>
  clients.sqs.send(
    new SendMessageCommand({ QueueUrl: config.WORK_QUEUE_URL, MessageBody: exportCheckBody(runId, seq) }),
  );

/**
 * Scheduled (EventBridge rate rule): re-signals stalled runs, and stalled exports to S3. Each sweep writes what it
 * found as metrics (StalledRunsFound, alarmed; StalledExportsFound), zero included.
 */
export const main = async (): Promise<{ stalled: string[]; stalledExports: string[] }> => {
  try {
    const now = new Date();
    const graceSeconds = config.CHECK_BACK_GRACE_SECONDS;
    const stalled = await sweep({ runs, publish, now, graceSeconds });
    if (stalled.length) logger.warn('re-signalled stalled runs', { stalled });
    const stalledExports = await sweepExports({ exports, sendCheck, now, graceSeconds });
    if (stalledExports.length) logger.warn('re-sent the check-back of stalled exports', { stalledExports });
    recordWatchdogSweep({ stalledRuns: stalled.length, stalledExports: stalledExports.length });
    return { stalled, stalledExports };
  } finally {
    flushMetrics(logger);
  }
};
