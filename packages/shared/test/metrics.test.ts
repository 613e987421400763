/**
 * The EMF lines the workers write (metrics.ts), exactly as Powertools writes them to stdout, driven through the code
 * that records them: the engine's transitions and finalize (memory repository, real waiter), the RDS client's
 * middleware, the SQS wrapper's flush.
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent } from 'aws-lambda';
import { buildEngine, type ServiceSteps, type StepFn } from '../src/engine';
import { createLogger } from '../src/logging';
import {
  endedByDimension,
  flushMetrics,
  pendingMetrics,
  recordRunOutcome,
  recordStepDuration,
  recordWatchdogSweep,
  resetMetrics,
} from '../src/metrics';
import { buildPublisher } from '../src/publisher';
import type { Step } from '../src/run';
import { armedCheckBackOf, traceRdsCalls } from '../src/run-trace';
import { checkBackBody } from '../src/signals';
import { sqsWorker } from '../src/sqs-worker';
import { buildWaiter } from '../src/waiting';
import { mockQueueAndBus } from '../testing/aws-mocks';
import { stdoutLinesOf } from '../testing/emf';
import { buildMemoryRunRepository } from '../testing/memory-runs';

const T0 = Date.parse('2026-03-01T10:00:00.000Z');
/** The EMF timestamp: the time of the flush. */
const FLUSHED_AT = Date.parse('2026-03-01T11:00:00.000Z');
const ENV = { TRAPHEUS_STAGE: 'test' };
const RUN_ID = 'run-0123456789abcdef';

/** Flushes, and returns what Powertools wrote to stdout, one parsed JSON object per line. */
const flushed = (env: NodeJS.ProcessEnv = ENV) => {
  const clock = jest.spyOn(Date, 'now').mockReturnValue(FLUSHED_AT);
  const warnings: unknown[] = [];
  let lines: string[];
  try {
    lines = stdoutLinesOf(() =>
      flushMetrics({ warn: (...args: unknown[]) => warnings.push(args) } as never, env),
    );
  } finally {
    clock.mockRestore();
  }
  expect(warnings).toEqual([]);
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
};

/** The `_aws` member of an EMF line of `metrics` with `dimensions`. */
const aws = (dimensions: string[][], metrics: [string, string][]) => ({
  Timestamp: FLUSHED_AT,
  CloudWatchMetrics: [
    {
      Namespace: 'Trapheus',
      Dimensions: dimensions,
      Metrics: metrics.map(([Name, Unit]) => ({ Name, Unit })),
    },
  ],
});

describe('metrics (EMF)', () => {
  mockQueueAndBus();
  let clock: number;
  const now = () => new Date(clock);

  beforeEach(() => {
    clock = T0;
    resetMetrics();
  });
  afterAll(() => resetMetrics());

  type Deps = {
    waiter: ReturnType<typeof buildWaiter>;
    runs: ReturnType<typeof buildMemoryRunRepository>['repo'];
  };

  /** A run walked to `path`'s last step on a memory repository, and an engine for `service` with `build`'s steps. */
  const setUp = async (
    service: ServiceSteps['service'],
    path: Step[],
    build: (deps: Deps) => Pick<ServiceSteps, 'steps'> & Partial<Pick<ServiceSteps, 'onStepFailure'>>,
    deadlineMinutes = 240,
  ) => {
    const runs = buildMemoryRunRepository(now).repo;
    const waiter = buildWaiter({
      runs,
      sqs: new SQSClient({ region: 'us-east-1' }),
      queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/q',
      timing: { baseSeconds: 20, maxSeconds: 900, deadlineMinutes, graceSeconds: 120 },
      now,
    });
    const built = build({ waiter, runs });
    const engine = buildEngine(
      {
        runs,
        waiter,
        publish: buildPublisher({
          eventBridge: new EventBridgeClient({ region: 'us-east-1' }),
          busName: 'b',
        }),
        logger: createLogger('metrics-test'),
        now,
      },
      { service, steps: built.steps, onStepFailure: built.onStepFailure ?? (async (run) => run) },
    );
    let { run } = await runs.create({
      runId: RUN_ID,
      identifier: 'orders-db',
      kind: 'instance',
      task: 'create_snapshot',
      snapshotIdentifier: 's',
    });
    for (const step of path) run = await runs.transition(run, step);
    // The set-up's own transitions are not what the tests look at.
    resetMetrics();
    return { runs, waiter, engine };
  };

  /** RESTORING waits for orders-db to be available, then moves on to CONFIGURING. */
  const restoring =
    (available: () => boolean) =>
    ({ waiter, runs }: Deps) => ({
      steps: {
        RESTORING: (async (run, ctx) =>
          available()
            ? runs.transition(run, 'CONFIGURING')
            : waiter.waitFor(
                run,
                { resourceType: 'db-instance', identifier: 'orders-db', target: 'available' },
                ctx.signal,
              )) as StepFn,
        CONFIGURING: (async (run) => run) as StepFn,
      },
    });

  it('a wait ended by an RDS event: the step it leaves, WaitSeconds, CheckBacksPerWait and the gap to the event', async () => {
    let available = false;
    const { engine } = await setUp(
      'restore',
      ['SNAPSHOTTING', 'SNAPSHOT_READY', 'RESTORING'],
      restoring(() => available),
    );
    await engine.handle({ kind: 'nudge', runId: RUN_ID });
    expect(pendingMetrics()).toBe(0);

    clock = T0 + 95_000;
    available = true;
    await engine.handle({
      kind: 'rds',
      rds: {
        resourceType: 'db-instance',
        identifier: 'orders-db',
        eventId: 'RDS-EVENT-0043',
        message: 'DB instance restarted',
        date: new Date(clock - 2_500).toISOString(),
      },
    });

    expect(flushed()).toEqual([
      {
        _aws: aws([['Stage', 'Step']], [['StepSeconds', 'Seconds']]),
        runId: RUN_ID,
        Stage: 'test',
        Step: 'RESTORING',
        StepSeconds: 95,
      },
      {
        _aws: aws(
          [['Stage', 'EndedBy']],
          [
            ['WaitSeconds', 'Seconds'],
            ['CheckBacksPerWait', 'Count'],
            ['WaitGapSeconds', 'Seconds'],
          ],
        ),
        runId: RUN_ID,
        step: 'RESTORING',
        eventId: 'RDS-EVENT-0043',
        Stage: 'test',
        EndedBy: 'rds-event',
        WaitSeconds: 95,
        CheckBacksPerWait: 0,
        WaitGapSeconds: 2.5,
      },
    ]);
    // Flushed means forgotten: a second flush writes nothing.
    expect(flushed()).toEqual([]);
  });

  it('a wait ended by a check-back: the gap is that check-back’s interval as it ran (RDS got there at most that long before)', async () => {
    let available = false;
    const { runs, engine } = await setUp(
      'restore',
      ['SNAPSHOTTING', 'SNAPSHOT_READY', 'RESTORING'],
      restoring(() => available),
    );
    await engine.handle({ kind: 'nudge', runId: RUN_ID }); // waits; check-back 1 in 20 s
    clock = T0 + 20_000;
    await engine.handle({ kind: 'check-back', runId: RUN_ID, seq: 1 }); // not yet; check-back 2 in 30 s
    const waiting = (await runs.get(RUN_ID))!;
    expect(waiting.wait).toMatchObject({ attempt: 1, checkSeq: 2 });
    // Armed at T0 + 20 s (the write of the look that found it not done) for T0 + 50 s.
    expect(waiting.wait?.nextCheckAt).toBe(new Date(T0 + 50_000).toISOString());
    expect(armedCheckBackOf(waiting)).toEqual({
      checkSeq: 2,
      since: new Date(T0).toISOString(),
      armedAt: new Date(T0 + 20_000).toISOString(),
    });

    clock = T0 + 50_400;
    available = true;
    await engine.handle({ kind: 'check-back', runId: RUN_ID, seq: 2 });

    const lines = flushed();
    expect(lines).toHaveLength(2);
    expect(lines[1]).toEqual({
      _aws: aws(
        [['Stage', 'EndedBy']],
        [
          ['WaitSeconds', 'Seconds'],
          ['CheckBacksPerWait', 'Count'],
          ['WaitGapSeconds', 'Seconds'],
        ],
      ),
      runId: RUN_ID,
      step: 'RESTORING',
      Stage: 'test',
      EndedBy: 'check-back',
      WaitSeconds: 50.4,
      CheckBacksPerWait: 1,
      // The previous look was at T0 + 20 s: RDS got there at most 30.4 s before this one.
      WaitGapSeconds: 30.4,
    });
    expect(lines[0]).toMatchObject({ Step: 'RESTORING', StepSeconds: 50.4 });
  });

  it('a missed step deadline and the FAILED outcome, with their roll-up dimension sets (what the alarms watch)', async () => {
    const { engine } = await setUp(
      'snapshot',
      ['SNAPSHOTTING'],
      ({ waiter, runs }) => ({
        steps: {
          SNAPSHOTTING: (async (run, ctx) =>
            waiter.waitFor(
              run,
              { resourceType: 'db-snapshot', identifier: 's-1', target: 'available' },
              ctx.signal,
            )) as StepFn,
        },
        onStepFailure: async (run, failure) => runs.transition(run, 'FAILED', { failure }),
      }),
      1,
    );
    await engine.handle({ kind: 'nudge', runId: RUN_ID });
    expect(flushed()).toEqual([]);

    clock = T0 + 61_000;
    await engine.handle({ kind: 'check-back', runId: RUN_ID, seq: 1 });

    expect(flushed()).toEqual([
      {
        _aws: aws([['Stage', 'Step']], [['StepSeconds', 'Seconds']]),
        runId: RUN_ID,
        Stage: 'test',
        Step: 'SNAPSHOTTING',
        StepSeconds: 61,
      },
      {
        _aws: aws(
          [['Stage', 'EndedBy']],
          [
            ['WaitSeconds', 'Seconds'],
            ['CheckBacksPerWait', 'Count'],
            ['WaitGapSeconds', 'Seconds'],
          ],
        ),
        runId: RUN_ID,
        step: 'SNAPSHOTTING',
        Stage: 'test',
        EndedBy: 'check-back',
        WaitSeconds: 61,
        CheckBacksPerWait: 0,
        WaitGapSeconds: 61,
      },
      {
        _aws: aws([['Stage', 'Step'], ['Stage']], [['StepDeadlineExceeded', 'Count']]),
        runId: RUN_ID,
        Stage: 'test',
        Step: 'SNAPSHOTTING',
        StepDeadlineExceeded: 1,
      },
      {
        _aws: aws(
          [
            ['Stage', 'Outcome', 'Task', 'Kind'],
            ['Stage', 'Outcome'],
          ],
          [['RunOutcome', 'Count']],
        ),
        runId: RUN_ID,
        Stage: 'test',
        Outcome: 'FAILED',
        Task: 'create_snapshot',
        Kind: 'instance',
        RunOutcome: 1,
      },
    ]);
    // The run is finalized: another signal counts nothing again.
    await engine.handle({ kind: 'nudge', runId: RUN_ID });
    expect(pendingMetrics()).toBe(0);
  });

  it('a write that loses its condition records nothing; a wait ended outside a reconcile is EndedBy other, no gap', async () => {
    const { runs, engine } = await setUp(
      'restore',
      ['SNAPSHOTTING', 'SNAPSHOT_READY', 'RESTORING'],
      restoring(() => false),
    );
    await engine.handle({ kind: 'nudge', runId: RUN_ID });
    const waiting = (await runs.get(RUN_ID))!;
    clock = T0 + 10_000;
    const moved = await runs.transition(waiting, 'CONFIGURING'); // no trace: not in a reconcile
    await expect(runs.transition(waiting, 'ROLLING_BACK')).rejects.toThrow('is no longer at RESTORING'); // the old version: refused
    expect(moved.step).toBe('CONFIGURING');

    const lines = flushed();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ Step: 'RESTORING', StepSeconds: 10 });
    expect(lines[1]).toEqual({
      _aws: aws(
        [['Stage', 'EndedBy']],
        [
          ['WaitSeconds', 'Seconds'],
          ['CheckBacksPerWait', 'Count'],
        ],
      ),
      runId: RUN_ID,
      step: 'RESTORING',
      Stage: 'test',
      EndedBy: 'other',
      WaitSeconds: 10,
      CheckBacksPerWait: 0,
    });
  });

  it('a throttled RDS call counts once per attempt (the SDK’s retry included), in a trace or not', async () => {
    const rds = traceRdsCalls(
      new RDSClient({
        region: 'us-east-1',
        maxAttempts: 2,
        credentials: { accessKeyId: 'k', secretAccessKey: 's' },
        requestHandler: {
          handle: async () => ({
            response: {
              statusCode: 400,
              headers: {},
              body: new TextEncoder().encode(
                '<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>',
              ),
            },
          }),
        } as never,
      }),
    );
    await expect(rds.send(new DescribeDBInstancesCommand({}))).rejects.toMatchObject({ name: 'Throttling' });

    expect(flushed()).toEqual([
      {
        _aws: aws([['Stage']], [['RdsThrottles', 'Count']]),
        operation: 'DescribeDBInstances',
        Stage: 'test',
        RdsThrottles: [1, 1],
      },
    ]);
  });

  it('the SQS wrapper writes what an invocation recorded when it ends, and nothing when it recorded nothing', async () => {
    const context = { functionName: 'f', awsRequestId: 'r' } as Context;
    const event = (seq: number): SQSEvent => ({
      Records: [
        {
          messageId: `m-${seq}`,
          receiptHandle: 'rh',
          body: checkBackBody(RUN_ID, seq),
          attributes: {
            ApproximateReceiveCount: '1',
            SentTimestamp: '1',
            SenderId: 's',
            ApproximateFirstReceiveTimestamp: '1',
          },
          messageAttributes: {},
          md5OfBody: '',
          eventSource: 'aws:sqs',
          eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:q',
          awsRegion: 'us-east-1',
        },
      ],
    });
    const main = sqsWorker(createLogger('metrics-test'), async (signal) => {
      if (signal.kind === 'check-back' && signal.seq === 2) {
        recordRunOutcome({ runId: RUN_ID, step: 'SUCCEEDED', task: 'db_restore', kind: 'cluster' });
        throw new Error('and the record fails: the metrics are written all the same');
      }
    });
    const chunks: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
      chunks.push(String(chunk));
      return true;
    });
    try {
      await main(event(1), context);
      expect(chunks).toEqual([]);
      await main(event(2), context);
    } finally {
      write.mockRestore();
    }
    expect(chunks).toHaveLength(1);
    expect(JSON.parse(chunks[0]!)).toMatchObject({
      Outcome: 'SUCCEEDED',
      Task: 'db_restore',
      Kind: 'cluster',
      RunOutcome: 1,
      runId: RUN_ID,
    });
    expect(pendingMetrics()).toBe(0);
  });

  it('the watchdog’s finds, zero included; namespace and stage from the environment', () => {
    recordWatchdogSweep({ stalledRuns: 2, stalledExports: 0 });
    expect(flushed({ TRAPHEUS_STAGE: 'prod', POWERTOOLS_METRICS_NAMESPACE: 'TrapheusStaging' })).toEqual([
      {
        _aws: {
          Timestamp: FLUSHED_AT,
          CloudWatchMetrics: [
            {
              Namespace: 'TrapheusStaging',
              Dimensions: [['Stage']],
              Metrics: [
                { Name: 'StalledRunsFound', Unit: 'Count' },
                { Name: 'StalledExportsFound', Unit: 'Count' },
              ],
            },
          ],
        },
        Stage: 'prod',
        StalledRunsFound: 2,
        StalledExportsFound: 0,
      },
    ]);
  });

  it('never throws into the business path: a bad value is dropped, an unflushed buffer stays bounded', () => {
    expect(() => recordStepDuration({ runId: RUN_ID, step: 'RESTORING', seconds: Number.NaN })).not.toThrow();
    expect(pendingMetrics()).toBe(0);
    for (let i = 0; i < 1500; i += 1) recordWatchdogSweep({ stalledRuns: 0, stalledExports: 0 });
    expect(pendingMetrics()).toBe(1000);
    // 500 values per metric: lines of at most 99 values each (EMF allows 100 per metric and line; Powertools
    // writes a line by itself at 100).
    const lines = flushed();
    expect(lines.map((l) => (l.StalledRunsFound as number[]).length)).toEqual([99, 99, 99, 99, 99, 5]);
    expect(lines.map((l) => (l.StalledExportsFound as number[]).length)).toEqual([99, 99, 99, 99, 99, 5]);
  });

  it('EndedBy has three values: the two signals a wait is built on, and other', () => {
    expect(endedByDimension('rds-event')).toBe('rds-event');
    expect(endedByDimension('check-back')).toBe('check-back');
    for (const other of ['watchdog', 'answer', 'nudge', 'request', 'handoff', undefined]) {
      expect(endedByDimension(other)).toBe('other');
    }
  });
});
