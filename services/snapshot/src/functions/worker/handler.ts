import {
  buildEngine,
  buildExportStore,
  buildWorkerDeps,
  loadConfig,
  parseAllowedSecretArns,
  parseExportCheck,
  parseSignal,
  snapshotConfigSchema,
  sqsBatchHandler,
} from '@trapheus/shared';
import { buildExportTracker } from '../../export';
import { buildSnapshotSteps } from '../../steps';

const deps = buildWorkerDeps(process.env);
const config = loadConfig(snapshotConfigSchema, process.env);
const exportTracker = buildExportTracker({
  rds: deps.rds,
  runs: deps.runs,
  exports: buildExportStore({ dynamo: deps.clients.dynamo, tableName: deps.config.RUNS_TABLE }),
  sqs: deps.clients.sqs,
  queueUrl: deps.config.WORK_QUEUE_URL,
  publish: deps.publish,
  logger: deps.logger,
  settings: {
    bucket: config.EXPORT_BUCKET,
    roleArn: config.EXPORT_ROLE_ARN,
    kmsKeyId: config.EXPORT_KMS_KEY_ID,
    deadlineMinutes: config.EXPORT_DEADLINE_MINUTES,
    baseSeconds: deps.config.CHECK_BACK_BASE_SECONDS,
    maxSeconds: deps.config.CHECK_BACK_MAX_SECONDS,
  },
});
const engine = buildEngine(
  deps,
  buildSnapshotSteps({
    ...deps,
    snapshotRetention: config.SNAPSHOT_RETENTION,
    exportTracker,
    masterPasswordSecretArns: parseAllowedSecretArns(config.MASTER_PASSWORD_SECRET_ARNS),
  }),
);

/**
 * Intake of RestoreRequested, snapshot steps, RDS snapshot events and check-backs; and the export side track
 * (its check-backs and the RDS export events 0159–0164).
 */
export const main = sqsBatchHandler(deps.logger, async (record) => {
  const check = parseExportCheck(record.body);
  if (check) return exportTracker.onCheck(check.runId, check.seq);
  const signal = parseSignal(record.body);
  if (signal.kind === 'rds' && (await exportTracker.onRdsEvent(signal.rds))) return;
  return engine.handle(signal);
});
