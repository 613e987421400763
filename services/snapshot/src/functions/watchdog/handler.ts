import {
  buildPublisher,
  buildRunRepository,
  createAwsClients,
  createLogger,
  loadConfig,
  workerConfigSchema,
} from '@trapheus/shared';
import { sweep } from '../../watchdog';

const config = loadConfig(
  workerConfigSchema.pick({
    AWS_REGION: true,
    RUNS_TABLE: true,
    EVENT_BUS_NAME: true,
    CHECK_BACK_GRACE_SECONDS: true,
  }),
  process.env,
);
const clients = createAwsClients({ region: config.AWS_REGION });
const logger = createLogger(process.env.POWERTOOLS_SERVICE_NAME ?? 'trapheus-watchdog');
const runs = buildRunRepository({ dynamo: clients.dynamo, tableName: config.RUNS_TABLE });
const publish = buildPublisher({ eventBridge: clients.eventBridge, busName: config.EVENT_BUS_NAME });

/** Scheduled (EventBridge rate rule): re-signals stalled runs. */
export const main = async (): Promise<{ stalled: string[] }> => {
  const stalled = await sweep({
    runs,
    publish,
    now: new Date(),
    graceSeconds: config.CHECK_BACK_GRACE_SECONDS,
  });
  if (stalled.length) logger.warn('re-signalled stalled runs', { stalled });
  return { stalled };
};
