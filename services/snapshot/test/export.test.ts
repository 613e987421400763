import { DescribeExportTasksCommand, RDSClient } from '@aws-sdk/client-rds';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  type EventContract,
  type ExportStore,
  isExportOpen,
  type Logger,
  type Publisher,
  type Run,
  type RunExport,
  type RunRepository,
} from '@trapheus/shared';
import { mockClient } from 'aws-sdk-client-mock';
import { buildExportTracker } from '../src/export';

const NOW = new Date('2026-11-24T12:00:00.000Z');
const RUN_ID = 'run-0f3a9c21-7d4e-4b8a-9e11-2c5b7d9a0e44';

const run: Run = {
  runId: RUN_ID,
  dbKey: 'instance#orders-db',
  identifier: 'orders-db',
  kind: 'instance',
  task: 'create_snapshot',
  snapshotIdentifier: 'orders-db-snapshot-0f3a9c21',
  step: 'SUCCEEDED',
  version: 9,
  createdAt: '2026-11-24T10:00:00.000Z',
  updatedAt: '2026-11-24T10:30:00.000Z',
  history: [{ step: 'SUCCEEDED', at: '2026-11-24T10:30:00.000Z' }],
  progress: {},
};

const running = (over: Partial<RunExport> = {}): RunExport => ({
  status: 'running',
  v: 5,
  taskId: 'trapheus-0f3a9c21-7d4e-4b8a-9e11-2c5b7d9a0e44',
  snapshotIdentifier: run.snapshotIdentifier,
  s3Bucket: 'trapheus-exports',
  s3Prefix: 'instance/orders-db',
  requestedAt: '2026-11-24T10:05:00.000Z',
  startedAt: '2026-11-24T10:05:01.000Z',
  slot: 3,
  rdsStatus: 'IN_PROGRESS',
  deadline: '2026-11-25T10:05:00.000Z',
  checkSeq: 8,
  attempt: 7,
  nextCheckAt: '2026-11-24T11:50:00.000Z',
  ...over,
});

/** The export on a run item, its `exportOpen` mark and the slots, in memory (the DynamoDB store's semantics). */
const memoryExports = (initial: RunExport) => {
  const state = { current: initial, open: isExportOpen(initial), released: [] as number[] };
  const store: Pick<ExportStore, 'save' | 'releaseSlot'> = {
    save: async (_runId, prev, next) => {
      if (state.current.v !== prev.v) return undefined;
      state.current = { ...next, v: prev.v + 1 };
      state.open = isExportOpen(state.current);
      return state.current;
    },
    releaseSlot: async (_runId, slot) => void state.released.push(slot),
  };
  return { state, store: store as ExportStore };
};

describe('export tracker: the outcome of an export is published and closes it', () => {
  const rds = mockClient(RDSClient);
  const sqs = mockClient(SQSClient);
  beforeEach(() => {
    rds.reset();
    sqs.reset();
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm' });
  });
  afterAll(() => {
    rds.restore();
    sqs.restore();
  });

  const tracker = (m: ReturnType<typeof memoryExports>) => {
    const published: { detailType: string; detail: unknown }[] = [];
    const publish = (async (contract: EventContract<never>, detail: unknown) => {
      published.push({ detailType: contract.detailType, detail });
    }) as unknown as Publisher;
    const t = buildExportTracker({
      rds: new RDSClient({ region: 'us-east-1' }),
      sqs: new SQSClient({ region: 'us-east-1' }),
      queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/trapheus-snapshot-test',
      runs: { get: async () => ({ ...run, export: m.state.current }) } as unknown as RunRepository,
      exports: m.store,
      publish,
      logger: { debug: () => undefined, info: () => undefined, warn: () => undefined } as unknown as Logger,
      settings: {
        bucket: 'trapheus-exports',
        roleArn: 'arn:aws:iam::123456789012:role/export',
        kmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/k',
        deadlineMinutes: 1440,
        baseSeconds: 20,
        maxSeconds: 900,
      },
      now: () => NOW,
    });
    return { t, published };
  };

  it('publishes ExportCompleted (run outcome + export block) when the task completes, frees the slot, closes it', async () => {
    rds.on(DescribeExportTasksCommand).resolves({ ExportTasks: [{ Status: 'COMPLETE' }] });
    const m = memoryExports(running());
    const { t, published } = tracker(m);

    await t.onCheck(RUN_ID, 8);

    expect(published).toEqual([
      {
        detailType: 'ExportCompleted',
        detail: expect.objectContaining({
          runId: RUN_ID,
          step: 'SUCCEEDED',
          export: {
            status: 'complete',
            taskId: 'trapheus-0f3a9c21-7d4e-4b8a-9e11-2c5b7d9a0e44',
            s3Bucket: 'trapheus-exports',
            s3Prefix: 'instance/orders-db',
          },
        }),
      },
    ]);
    expect(m.state.released).toEqual([3]);
    expect(m.state.current).toMatchObject({ status: 'complete', notified: true });
    expect(m.state.open).toBe(false);
  });

  it('publishes an outcome left unpublished (a crash after the final write) on the current check-back only, once', async () => {
    const m = memoryExports(
      running({ status: 'complete', rdsStatus: 'COMPLETE', finishedAt: '2026-11-24T11:40:00.000Z' }),
    );
    const { t, published } = tracker(m);
    expect(m.state.open).toBe(true);

    await t.onCheck(RUN_ID, 7); // an old check-back: not the watchdog's
    expect(published).toEqual([]);

    await t.onCheck(RUN_ID, 8); // the watchdog re-sends the current one
    await t.onCheck(RUN_ID, 8); // and a duplicate of it
    expect(published.map((p) => p.detailType)).toEqual(['ExportCompleted']);
    expect(m.state.current).toMatchObject({ finishedAt: '2026-11-24T11:40:00.000Z', notified: true });
    expect(m.state.released).toEqual([3]);
    expect(m.state.open).toBe(false);
    expect(rds.commandCalls(DescribeExportTasksCommand)).toHaveLength(0);
  });

  it('a check-back that arrives before its export record is written is sent again as itself; an old one is dropped', async () => {
    // save() sends check-back 9 before it writes checkSeq 9: a fast queue can deliver it while the record says 8.
    const m = memoryExports(
      running({
        status: 'queued',
        slot: undefined,
        checkSeq: 8,
        attempt: 3,
        nextCheckAt: '2026-11-24T12:01:07.500Z',
      }),
    );
    const { t } = tracker(m);
    const before = m.state.current;

    await t.onCheck(RUN_ID, 9);

    const sent = sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input);
    expect(sent).toEqual([
      {
        QueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/trapheus-snapshot-test',
        MessageBody: JSON.stringify({ trapheusExportCheck: { runId: RUN_ID, seq: 9 } }),
        DelaySeconds: 5,
      },
    ]);
    expect(m.state.current).toBe(before);
    expect(rds.calls()).toHaveLength(0);

    sqs.resetHistory();
    await t.onCheck(RUN_ID, 7); // older than the live one, which is not overdue: dropped unread
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
    expect(m.state.current).toBe(before);
  });

  it("a check-back ahead of its record carries on when the live one is overdue (the record's write never landed)", async () => {
    // The live check-back was due at 11:50, more than two minutes ago: no other check-back is coming.
    rds.on(DescribeExportTasksCommand).resolves({ ExportTasks: [{ Status: 'COMPLETE' }] });
    const m = memoryExports(running({ checkSeq: 8, nextCheckAt: '2026-11-24T11:50:00.000Z' }));
    const { t, published } = tracker(m);

    await t.onCheck(RUN_ID, 9);

    expect(rds.commandCalls(DescribeExportTasksCommand)).toHaveLength(1);
    expect(published.map((p) => p.detailType)).toEqual(['ExportCompleted']);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it('still publishes a failure as ExportFailed', async () => {
    rds
      .on(DescribeExportTasksCommand)
      .resolves({ ExportTasks: [{ Status: 'FAILED', FailureCause: 'S3 bucket not accessible' }] });
    const m = memoryExports(running());
    const { t, published } = tracker(m);

    await t.onCheck(RUN_ID, 8);

    expect(published.map((p) => p.detailType)).toEqual(['ExportFailed']);
    expect(published[0]?.detail).toMatchObject({
      export: { status: 'failed', failureCause: 'S3 bucket not accessible' },
    });
    expect(m.state.open).toBe(false);
  });
});
