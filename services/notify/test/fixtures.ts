import { Logger } from '@aws-lambda-powertools/logger';
import type { RunOutcomeDetail } from '@trapheus/shared';
import type { ClaimResult, DeliveryKey, DeliveryLedger } from '../src/deliveries';

export const RUN_ID = 'run-0f3a9c21-7d4e-4b8a-9e11-2c5b7d9a0e44';
export const TEMP = 'orders-db-tr-0f3a9c21';

/** A restore that failed in RESTORING and whose rollback failed too: FAILED. */
export const failedOutcome = (): RunOutcomeDetail => ({
  runId: RUN_ID,
  identifier: 'orders-db',
  kind: 'instance',
  task: 'create_snapshot',
  step: 'FAILED',
  snapshotIdentifier: 'orders-db-snapshot',
  tempIdentifier: TEMP,
  createdAt: '2026-11-24T10:00:00.000Z',
  finishedAt: '2026-11-24T10:47:12.000Z',
  history: [
    { step: 'REQUESTED', at: '2026-11-24T10:00:00.000Z' },
    { step: 'SNAPSHOTTING', at: '2026-11-24T10:00:02.000Z' },
    { step: 'SNAPSHOT_READY', at: '2026-11-24T10:12:30.000Z' },
    { step: 'RENAMING', at: '2026-11-24T10:12:31.000Z' },
    { step: 'RESTORING', at: '2026-11-24T10:15:01.000Z' },
    { step: 'ROLLING_BACK', at: '2026-11-24T10:31:40.000Z', note: 'InsufficientDBInstanceCapacity' },
    { step: 'FAILED', at: '2026-11-24T10:47:12.000Z', note: 'rollback failed: UnexpectedDatabase' },
  ],
  failure: {
    step: 'RESTORING',
    code: 'InsufficientDBInstanceCapacity',
    message: 'Cannot create a db.r6g.large instance in us-east-1a <now>',
    at: '2026-11-24T10:31:40.000Z',
  },
  reason: 'the rollback could not finish (UnexpectedDatabase): a person must look',
  databaseState: `nothing answers under orders-db; ${TEMP} is available`,
  locked: true,
});

export const rolledBackOutcome = (): RunOutcomeDetail => ({
  ...failedOutcome(),
  // As the engine publishes it: the temp no longer exists, so it is not named; nothing stays locked.
  tempIdentifier: undefined,
  locked: false,
  step: 'ROLLED_BACK',
  finishedAt: '2026-11-24T10:40:00.000Z',
  history: [
    ...failedOutcome().history.slice(0, 6),
    { step: 'ROLLED_BACK', at: '2026-11-24T10:40:00.000Z', note: 'original back under its name' },
  ],
  reason: undefined,
  databaseState: 'the original answers under orders-db again, unchanged',
});

export const succeededOutcome = (): RunOutcomeDetail => ({
  runId: RUN_ID,
  identifier: 'orders-db',
  kind: 'instance',
  task: 'db_restore',
  step: 'SUCCEEDED',
  snapshotIdentifier: 'orders-db-snapshot',
  tempIdentifier: TEMP,
  createdAt: '2026-11-24T10:00:00.000Z',
  finishedAt: '2026-11-24T10:30:05.000Z',
  history: [
    { step: 'REQUESTED', at: '2026-11-24T10:00:00.000Z' },
    { step: 'SNAPSHOT_READY', at: '2026-11-24T10:00:01.000Z' },
    { step: 'RENAMING', at: '2026-11-24T10:00:02.000Z' },
    { step: 'RESTORING', at: '2026-11-24T10:02:02.000Z' },
    { step: 'CONFIGURING', at: '2026-11-24T10:20:00.000Z' },
    { step: 'CLEANING_UP', at: '2026-11-24T10:25:00.000Z' },
    { step: 'SUCCEEDED', at: '2026-11-24T10:30:05.000Z', note: `temp ${TEMP} deleted` },
  ],
  databaseState: `the restored copy (from snapshot orders-db-snapshot) answers under orders-db; the temp ${TEMP} is deleted`,
});

export const cleanupFailedClusterOutcome = (): RunOutcomeDetail => ({
  runId: RUN_ID,
  identifier: 'orders-aurora',
  kind: 'cluster',
  task: 'db_restore',
  step: 'CLEANUP_FAILED',
  snapshotIdentifier: 'orders-aurora-snapshot',
  tempIdentifier: 'orders-aurora-tr-0f3a9c21',
  createdAt: '2026-11-24T10:00:00.000Z',
  finishedAt: '2026-11-24T11:00:00.000Z',
  history: [
    { step: 'REQUESTED', at: '2026-11-24T10:00:00.000Z' },
    { step: 'SNAPSHOT_READY', at: '2026-11-24T10:00:01.000Z' },
    { step: 'RENAMING', at: '2026-11-24T10:00:02.000Z' },
    { step: 'RESTORING', at: '2026-11-24T10:03:00.000Z' },
    { step: 'CONFIGURING', at: '2026-11-24T10:40:00.000Z' },
    { step: 'CLEANING_UP', at: '2026-11-24T10:45:00.000Z' },
    { step: 'CLEANUP_FAILED', at: '2026-11-24T11:00:00.000Z' },
  ],
  failure: {
    step: 'CLEANING_UP',
    code: 'InvalidDBClusterStateFault',
    message: 'Cluster cannot be deleted, it has deletion protection enabled',
    at: '2026-11-24T11:00:00.000Z',
  },
  reason:
    'the restored copy is live; the temp orders-aurora-tr-0f3a9c21 was kept and must be deleted by hand',
});

export const rejectedOutcome = (identifier = 'orders-db'): RunOutcomeDetail => ({
  runId: RUN_ID,
  identifier,
  kind: 'instance',
  task: 'db_restore',
  step: 'REJECTED',
  snapshotIdentifier: 'orders-db-snapshot',
  createdAt: '2026-11-24T10:00:00.000Z',
  finishedAt: '2026-11-24T10:00:01.000Z',
  history: [
    { step: 'REQUESTED', at: '2026-11-24T10:00:00.000Z' },
    { step: 'REJECTED', at: '2026-11-24T10:00:01.000Z' },
  ],
  failure: {
    step: 'REQUESTED',
    code: 'SnapshotNotFound',
    message: 'snapshot orders-db-snapshot does not exist',
    at: '2026-11-24T10:00:01.000Z',
  },
  reason: 'snapshot orders-db-snapshot does not exist: create it or use task create_snapshot',
  databaseState: 'unchanged: Trapheus did not touch it',
});

/** The export to S3 of a SUCCEEDED run's snapshot: ExportCompleted (`complete`) or ExportFailed (`failed`). */
export const exportOutcome = (status: 'complete' | 'failed' = 'complete'): RunOutcomeDetail => ({
  ...succeededOutcome(),
  task: 'create_snapshot',
  finishedAt: '2026-11-24T11:45:00.000Z',
  export: {
    status,
    taskId: 'trapheus-0f3a9c21-7d4e-4b8a-9e11-2c5b7d9a0e44',
    s3Bucket: 'trapheus-exports',
    s3Prefix: 'instance/orders-db',
    ...(status === 'failed' ? { failureCause: 'S3 bucket not accessible' } : {}),
  },
});

const DETAIL_TYPE = { SUCCEEDED: 'RunSucceeded', ROLLED_BACK: 'RunRolledBack' } as Record<string, string>;

/** The EventBridge event EventBridge puts on the queue for an outcome. */
export const outcomeEvent = (outcome: RunOutcomeDetail, id = 'evt-1') => ({
  version: '0',
  id,
  'detail-type': outcome.export
    ? outcome.export.status === 'complete'
      ? 'ExportCompleted'
      : 'ExportFailed'
    : (DETAIL_TYPE[outcome.step] ?? 'RunFailed'),
  source: 'trapheus',
  account: '123456789012',
  time: outcome.finishedAt.replace(/\.\d+Z$/, 'Z'),
  region: 'us-east-1',
  resources: [],
  detail: JSON.parse(JSON.stringify(outcome)),
});

export const sqsRecord = (body: unknown, messageId = 'msg-1') => ({
  messageId,
  receiptHandle: `rh-${messageId}`,
  body: typeof body === 'string' ? body : JSON.stringify(body),
  attributes: {
    ApproximateReceiveCount: '1',
    SentTimestamp: '0',
    SenderId: 'x',
    ApproximateFirstReceiveTimestamp: '0',
  },
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:trapheus-notify-test',
  awsRegion: 'us-east-1',
});

/** An in-memory ledger with the DynamoDB one's semantics (claim, mark sent, release). */
export const memoryLedger = () => {
  const items = new Map<string, { status: 'sending' | 'sent'; token: string }>();
  const pk = (k: DeliveryKey) => `${k.runId}#${k.step}#${k.channel}`;
  let n = 0;
  const ledger: DeliveryLedger = {
    claim: async (key): Promise<ClaimResult> => {
      const item = items.get(pk(key));
      if (item?.status === 'sent') return { kind: 'sent' };
      if (item) return { kind: 'in-progress' };
      const token = `token-${++n}`;
      items.set(pk(key), { status: 'sending', token });
      return { kind: 'claimed', token };
    },
    markSent: async (key, token) => {
      const item = items.get(pk(key));
      if (item?.token !== token) return false;
      item.status = 'sent';
      return true;
    },
    release: async (key, token) => {
      if (items.get(pk(key))?.token === token) items.delete(pk(key));
    },
  };
  return { ledger, items };
};

/** A real Powertools logger whose JSON lines are captured (process.stdout and stderr are spied on). */
export const capturedLogger = () => {
  const lines: string[] = [];
  const capture = (chunk: string | Uint8Array) => {
    lines.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  };
  const out = jest.spyOn(process.stdout, 'write').mockImplementation(capture);
  const err = jest.spyOn(process.stderr, 'write').mockImplementation(capture);
  const logger = new Logger({ serviceName: 'trapheus-notify-test', logLevel: 'DEBUG' });
  return {
    logger,
    lines,
    text: () => lines.join(''),
    restore: () => {
      out.mockRestore();
      err.mockRestore();
    },
  };
};

/** A logger that keeps quiet. */
export const quietLogger = () => new Logger({ serviceName: 'trapheus-notify-test', logLevel: 'SILENT' });
