import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { Run } from '../src/run';
import type { RunTrace } from '../src/run-trace';
import { buildRunView, deliveriesTableFor } from '../src/run-view';

const A = '2026-03-01T10:00:00.000Z';
const B = '2026-03-01T10:01:30.000Z';
const C = '2026-03-01T10:06:00.000Z';
const D = '2026-03-01T10:07:00.000Z';

const aRun = (overrides: Partial<Run> = {}): Run => ({
  runId: 'run-0123456789abcdef',
  dbKey: 'instance#orders-db',
  identifier: 'orders-db',
  kind: 'instance',
  task: 'create_snapshot',
  snapshotIdentifier: 'orders-db-snap',
  step: 'ROLLED_BACK',
  version: 9,
  createdAt: A,
  updatedAt: D,
  history: [
    { step: 'REQUESTED', at: A },
    { step: 'RESTORING', at: B, note: 'beside the original' },
    { step: 'ROLLING_BACK', at: C },
    { step: 'ROLLED_BACK', at: D },
  ],
  progress: { downtimeStartedAt: B, downtimeEndedAt: C },
  failure: { step: 'RESTORING', code: 'InsufficientDBInstanceCapacity', message: 'no capacity', at: C },
  ...overrides,
});

/** The run's trace, as the repository reads it from the trace items beside the run. */
const TRACE: RunTrace = {
  waits: [
    {
      step: 'RESTORING',
      resourceType: 'db-instance',
      identifier: 'orders-db-tc-01234567',
      target: 'available',
      since: B,
      endedAt: C,
      endedBy: 'rds-event',
      signalAt: '2026-03-01T10:05:57.500Z',
      eventId: 'RDS-EVENT-0008',
    },
    {
      step: 'ROLLING_BACK',
      resourceType: 'db-instance',
      identifier: 'orders-db-tc-01234567',
      target: 'deleted',
      since: C,
      endedAt: D,
      endedBy: 'check-back',
    },
  ],
  calls: [
    { at: B, service: 'restore', action: 'RestoreDBInstanceFromDBSnapshot', target: 'orders-db-tc-01234567' },
  ],
  truncated: false,
};

describe('buildRunView', () => {
  const ddb = mockClient(DynamoDBDocumentClient);
  const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
  beforeEach(() => ddb.reset());
  afterAll(() => ddb.restore());

  const view = (run: Run | undefined, deliveriesTable?: string, trace: RunTrace = TRACE) =>
    buildRunView(
      {
        runs: { get: async () => run, getTrace: async () => trace },
        dynamo,
        runsTable: 'trapheus-runs-prod',
        ...(deliveriesTable ? { deliveriesTable } : {}),
        flags: '--stage prod',
      },
      'run-0123456789abcdef',
    );

  it('assembles steps, waits with their gap, calls, failure advice and downtime from the stored run', async () => {
    const run = aRun();
    const v = (await view(run))!;
    expect(v.run).toBe(run);
    expect(v.steps).toEqual([
      { step: 'REQUESTED', startedAt: A, endedAt: B, seconds: 90 },
      { step: 'RESTORING', startedAt: B, endedAt: C, seconds: 270, note: 'beside the original' },
      { step: 'ROLLING_BACK', startedAt: C, endedAt: D, seconds: 60 },
      { step: 'ROLLED_BACK', startedAt: D },
    ]);
    expect(v.waits[0]).toMatchObject({ endedBy: 'rds-event', gapSeconds: 2.5 });
    expect(v.waits[1]).toEqual({
      step: 'ROLLING_BACK',
      resourceType: 'db-instance',
      identifier: 'orders-db-tc-01234567',
      target: 'deleted',
      since: C,
      endedAt: D,
      endedBy: 'check-back',
    });
    expect(v.calls).toEqual(TRACE.calls);
    expect(v.traceTruncated).toBeUndefined();
    expect(v.failure).toEqual({
      step: 'RESTORING',
      code: 'InsufficientDBInstanceCapacity',
      message: 'no capacity',
      advice: [
        'The original answers under orders-db again, unchanged, and is not locked.',
        'next (once the cause is fixed): npx trapheus restore orders-db --task create_snapshot --stage prod',
      ],
    });
    expect(v.next).toEqual([
      'next (once the cause is fixed): npx trapheus restore orders-db --task create_snapshot --stage prod',
    ]);
    expect(v.downtime).toEqual({ from: B, to: C, seconds: 270 });
    expect(v.notifications).toEqual([]);
    expect(ddb.calls()).toHaveLength(0);
  });

  it('the current wait comes last, without an end; a run that never waited has none', async () => {
    const wait = {
      resourceType: 'db-instance' as const,
      identifier: 'orders-db',
      target: 'available',
      since: C,
      deadline: D,
      checkSeq: 2,
      attempt: 1,
      nextCheckAt: D,
    };
    const v = (await view(aRun({ step: 'RESTORING', wait, failure: undefined })))!;
    expect(v.waits.at(-1)).toEqual({
      step: 'RESTORING',
      resourceType: 'db-instance',
      identifier: 'orders-db',
      target: 'available',
      since: C,
      deadline: D,
      nextCheckAt: D,
    });
    expect(v.failure).toBeUndefined();
    const bare = (await view(aRun(), undefined, { waits: [], calls: [], truncated: true }))!;
    expect(bare.waits).toEqual([]);
    expect(bare.calls).toEqual([]);
    expect(bare.traceTruncated).toBe(true);
  });

  it('a FAILED run that holds its lock: advice says so and how to unlock', async () => {
    const v = (await view(
      aRun({ step: 'FAILED', progress: { needsPerson: true }, tempIdentifier: 'orders-db-tr-01234567' }),
    ))!;
    expect(v.failure?.advice).toEqual([
      'The rollback did not finish: orders-db is locked until a person has checked the database (the original may still be named orders-db-tr-01234567).',
      'next (once a person has sorted the database out): npx trapheus unlock orders-db --stage prod',
    ]);
  });

  it('notifications: notify’s deliveries of the run, channel and webhook id only, with their status', async () => {
    const now = Date.now();
    ddb
      .on(ScanCommand)
      .resolvesOnce({
        Items: [
          { runId: 'run-0123456789abcdef', step: 'ROLLED_BACK', channel: 'email', status: 'sent', sentAt: D },
        ],
        LastEvaluatedKey: { pk: 'x' },
      })
      .resolvesOnce({
        Items: [
          {
            runId: 'run-0123456789abcdef',
            step: 'ROLLED_BACK',
            channel: 'slack#a1b2c3d4e5f60718',
            status: 'sending',
            claimedAt: C,
            claimExpiresAt: now + 60_000,
          },
          {
            runId: 'run-0123456789abcdef',
            step: 'ROLLED_BACK',
            channel: 'export#slack#0f0f0f0f0f0f0f0f',
            status: 'sending',
            claimedAt: B,
            claimExpiresAt: now - 60_000,
          },
        ],
      });
    const v = (await view(aRun(), 'trapheus-notify-deliveries-prod'))!;
    expect(v.notifications).toEqual([
      {
        channel: 'slack',
        target: '0f0f0f0f0f0f0f0f',
        status: 'failed',
        at: B,
        step: 'ROLLED_BACK',
        about: 'export',
      },
      {
        channel: 'slack',
        target: 'a1b2c3d4e5f60718',
        status: 'pending',
        at: C,
        step: 'ROLLED_BACK',
        about: 'run',
      },
      { channel: 'email', status: 'sent', at: D, step: 'ROLLED_BACK', about: 'run' },
    ]);
    const scans = ddb.commandCalls(ScanCommand).map((c) => c.args[0].input);
    expect(scans[0]).toMatchObject({
      TableName: 'trapheus-notify-deliveries-prod',
      FilterExpression: 'runId = :r',
      ExpressionAttributeValues: { ':r': 'run-0123456789abcdef' },
    });
    expect(scans[1]?.ExclusiveStartKey).toEqual({ pk: 'x' });
  });

  it('no deliveries table: none; an unreadable one: said, the rest of the view still there', async () => {
    ddb.on(ScanCommand).rejects(Object.assign(new Error('no table'), { name: 'ResourceNotFoundException' }));
    const missing = (await view(aRun(), 'trapheus-notify-deliveries-prod'))!;
    expect(missing.notifications).toEqual([]);
    expect(missing.notificationsError).toBeUndefined();
    ddb.reset();
    ddb.on(ScanCommand).rejects(Object.assign(new Error('not allowed'), { name: 'AccessDeniedException' }));
    const denied = (await view(aRun(), 'trapheus-notify-deliveries-prod'))!;
    expect(denied.notificationsError).toBe(
      'trapheus-notify-deliveries-prod: AccessDeniedException: not allowed',
    );
    expect(denied.steps).toHaveLength(4);
  });

  it('an unknown run has no view; the deliveries table follows the runs table’s stage', async () => {
    expect(await view(undefined)).toBeUndefined();
    expect(deliveriesTableFor('trapheus-runs-prod')).toBe('trapheus-notify-deliveries-prod');
    expect(deliveriesTableFor('my-table')).toBeUndefined();
  });
});
