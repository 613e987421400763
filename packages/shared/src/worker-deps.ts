import { buildCheckBackPacer, dynamoSlots } from './check-back-pacer';
import { createAwsClients } from './clients';
import { loadConfig, workerConfigSchema } from './config';
import { createLogger } from './logging';
import { buildPublisher } from './publisher';
import { buildRunRepository } from './run-repository';
import { buildWaiter } from './waiting';

/**
 * A reconciling worker's side effects, built once per Lambda container from its environment (read here and
 * only here, at module load).
 *
 * @example
 * const deps = buildWorkerDeps(process.env);
 * export const main = sqsWorker(deps.logger, (s) => buildEngine(deps, steps(deps)).handle(s));
 */
export const buildWorkerDeps = (env: NodeJS.ProcessEnv) => {
  const config = loadConfig(workerConfigSchema, env);
  const clients = createAwsClients({ region: config.AWS_REGION, env });
  const logger = createLogger(env.POWERTOOLS_SERVICE_NAME ?? 'trapheus');
  const runs = buildRunRepository({ dynamo: clients.dynamo, tableName: config.RUNS_TABLE });
  const waiter = buildWaiter({
    runs,
    sqs: clients.sqs,
    queueUrl: config.WORK_QUEUE_URL,
    timing: {
      baseSeconds: config.CHECK_BACK_BASE_SECONDS,
      maxSeconds: config.CHECK_BACK_MAX_SECONDS,
      deadlineMinutes: config.STEP_DEADLINE_MINUTES,
      graceSeconds: config.CHECK_BACK_GRACE_SECONDS,
      denseSeconds: config.CHECK_BACK_DENSE_SECONDS,
      timeScale: config.VERIFY_TIME_SCALE,
    },
    ...(config.DESCRIBE_BUDGET_PER_SECOND > 0
      ? {
          pacer: buildCheckBackPacer({
            take: dynamoSlots({
              dynamo: clients.dynamo,
              tableName: config.RUNS_TABLE,
              budgetPerSecond: config.DESCRIBE_BUDGET_PER_SECOND,
            }),
            // The stack's clock: SQS delays are divided by the local stack's time scale (1 on AWS).
            timeScale: config.VERIFY_TIME_SCALE,
          }),
        }
      : {}),
  });
  const publish = buildPublisher({ eventBridge: clients.eventBridge, busName: config.EVENT_BUS_NAME });
  return {
    config,
    clients,
    logger,
    runs,
    waiter,
    publish,
    rds: clients.rds,
    leaseSeconds: config.RUN_LEASE_SECONDS,
  };
};

export type WorkerDeps = ReturnType<typeof buildWorkerDeps>;
