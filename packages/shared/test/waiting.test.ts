import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { buildCheckBackPacer, type CheckBackPacer, memorySlots } from '../src/check-back-pacer';
import type { Run } from '../src/run';
import { checkBackBody, nudgeBody, type Signal } from '../src/signals';
import {
  buildWaiter,
  checkBackDelay,
  DeadlineExceededError,
  type WaitTarget,
  type WaitTiming,
} from '../src/waiting';
import { buildMemoryRunRepository } from '../testing/memory-runs';

const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/trapheus-snapshot-test';
const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const timing = { baseSeconds: 20, maxSeconds: 900, deadlineMinutes: 240, graceSeconds: 120 };
const snapshotAvailable: WaitTarget = {
  resourceType: 'db-snapshot',
  identifier: 'orders-db-snapshot',
  target: 'available',
};
const rdsSignal: Signal = {
  kind: 'rds',
  rds: {
    resourceType: 'db-snapshot',
    identifier: 'orders-db-snapshot',
    eventId: 'RDS-EVENT-0040',
    message: '',
  },
};

describe('checkBackDelay', () => {
  it('grows 1.5× per attempt from the base and stops at the maximum', () => {
    const delays = Array.from({ length: 12 }, (_, attempt) => checkBackDelay(attempt, timing));

    expect(delays).toEqual([20, 30, 45, 68, 101, 152, 228, 342, 513, 769, 900, 900]);
  });

  it('honours a lower maximum', () => {
    expect([0, 1, 2, 3].map((a) => checkBackDelay(a, { baseSeconds: 20, maxSeconds: 40 }))).toEqual([
      20, 30, 40, 40,
    ]);
  });

  it('never exceeds the SQS limit of 900 seconds, whatever the maximum', () => {
    expect(checkBackDelay(20, { baseSeconds: 20, maxSeconds: 5000 })).toBe(900);
  });
});

/** A run whose look costs one Describe call (a restore waiting on its copy). */
const LOOKER_WAIT = {
  resourceType: 'db-instance' as const,
  identifier: 'orders-db',
  target: 'available',
  since: iso(T0),
  deadline: iso(T0 + 3_600_000),
  checkSeq: 1,
  attempt: 0,
  nextCheckAt: iso(T0 + 20_000),
};
const LOOKER = { runId: 'run-0123456789abcdef', step: 'RESTORING' as const, wait: LOOKER_WAIT };

describe('waiter', () => {
  const sqsMock = mockClient(SQSClient);
  let clock: number;
  const now = () => new Date(clock);
  let memory: ReturnType<typeof buildMemoryRunRepository>;
  let waiter: ReturnType<typeof buildWaiter>;

  const snapshottingRun = async (): Promise<Run> => {
    const { run } = await memory.repo.create({
      runId: 'run-0123456789abcdef',
      identifier: 'orders-db',
      kind: 'instance',
      task: 'create_snapshot',
      snapshotIdentifier: 'orders-db-snapshot',
    });
    return memory.repo.transition(run, 'SNAPSHOTTING');
  };

  const sentMessages = () => sqsMock.commandCalls(SendMessageCommand).map((c) => c.args[0].input);
  const liveCheckBack = (run: Run): Signal => ({
    kind: 'check-back',
    runId: run.runId,
    seq: run.wait?.checkSeq ?? -1,
  });

  /** A waiter on the test's table, queue and clock; `over` changes its timing, `pacer` paces it. */
  const waiterWith = (over: Partial<WaitTiming> = {}, pacer?: CheckBackPacer) =>
    buildWaiter({
      runs: memory.repo,
      sqs: new SQSClient({ region: 'us-east-1' }),
      queueUrl: QUEUE_URL,
      timing: { ...timing, ...over },
      ...(pacer ? { pacer } : {}),
      now,
    });

  beforeEach(() => {
    sqsMock.reset();
    sqsMock.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
    clock = T0;
    memory = buildMemoryRunRepository(now);
    waiter = waiterWith();
  });
  afterAll(() => sqsMock.restore());

  describe('start', () => {
    it('records the wait and its waitKey, and arms exactly one check-back after the base delay', async () => {
      // Prepare
      const run = await snapshottingRun();

      // Act
      const waiting = await waiter.start(run, snapshotAvailable);

      // Assess
      const expectedWait = {
        resourceType: 'db-snapshot',
        identifier: 'orders-db-snapshot',
        target: 'available',
        since: iso(T0),
        deadline: iso(T0 + 240 * 60_000),
        checkSeq: 1,
        attempt: 0,
        nextCheckAt: iso(T0 + 20_000),
      };
      expect(waiting.wait).toEqual(expectedWait);
      expect(waiting.waitKey).toBe('db-snapshot#orders-db-snapshot');
      expect(waiting.version).toBe(run.version + 1);
      const stored = await memory.repo.get(run.runId);
      expect(stored?.wait).toEqual(expectedWait);
      expect(stored?.waitKey).toBe('db-snapshot#orders-db-snapshot');
      expect(sentMessages()).toEqual([
        { QueueUrl: QUEUE_URL, MessageBody: checkBackBody('run-0123456789abcdef', 1), DelaySeconds: 20 },
      ]);
    });

    it('keeps since and deadline when restarting the same wait, but moves to a new check-back', async () => {
      // Prepare
      const first = await waiter.start(await snapshottingRun(), snapshotAvailable);
      clock = T0 + 60_000;

      // Act
      const again = await waiter.start(first, snapshotAvailable);

      // Assess
      expect(again.wait).toMatchObject({
        since: iso(T0),
        deadline: iso(T0 + 240 * 60_000),
        checkSeq: 2,
        attempt: 0,
        nextCheckAt: iso(T0 + 80_000),
      });
      expect(sentMessages()[1]).toEqual({
        QueueUrl: QUEUE_URL,
        MessageBody: checkBackBody('run-0123456789abcdef', 2),
        DelaySeconds: 20,
      });
    });

    it('gives a new wait its own deadline and waitKey', async () => {
      // Prepare
      const first = await waiter.start(await snapshottingRun(), snapshotAvailable);
      clock = T0 + 600_000;

      // Act
      const other = await waiter.start(first, {
        resourceType: 'db-instance',
        identifier: 'orders-db',
        target: 'available',
      });

      // Assess
      expect(other.waitKey).toBe('db-instance#orders-db');
      expect(other.wait).toMatchObject({
        since: iso(T0 + 600_000),
        deadline: iso(T0 + 600_000 + 240 * 60_000),
      });
      expect(other.wait?.checkSeq).toBe(2);
    });
  });

  describe('notYet', () => {
    it('re-arms on the live check-back with seq+1 and a delay of base×1.5', async () => {
      // Prepare
      const waiting = await waiter.start(await snapshottingRun(), snapshotAvailable);
      clock = T0 + 20_000;
      sqsMock.resetHistory();

      // Act
      const next = await waiter.notYet(waiting, liveCheckBack(waiting));

      // Assess
      expect(next.wait).toEqual({ ...waiting.wait, attempt: 1, checkSeq: 2, nextCheckAt: iso(T0 + 50_000) });
      expect((await memory.repo.get(waiting.runId))?.wait?.checkSeq).toBe(2);
      expect(sentMessages()).toEqual([
        { QueueUrl: QUEUE_URL, MessageBody: checkBackBody('run-0123456789abcdef', 2), DelaySeconds: 30 },
      ]);
    });

    it('backs off along the delay sequence, capped at the maximum', async () => {
      // Prepare
      const capped = waiterWith({ maxSeconds: 60 });
      let run = await capped.start(await snapshottingRun(), snapshotAvailable);

      // Act
      for (let i = 0; i < 4; i++) run = await capped.notYet(run, liveCheckBack(run));

      // Assess
      expect(sentMessages().map((m) => m.DelaySeconds)).toEqual([20, 30, 45, 60, 60]);
      expect(sentMessages().map((m) => JSON.parse(m.MessageBody ?? '{}').trapheusCheckBack.seq)).toEqual([
        1, 2, 3, 4, 5,
      ]);
      expect(run.wait).toMatchObject({ attempt: 4, checkSeq: 5 });
    });

    it('does nothing on a non-live signal while the live check-back is not overdue', async () => {
      // Prepare
      const waiting = await waiter.start(await snapshottingRun(), snapshotAvailable);
      clock = T0 + 20_000 + 120_000; // exactly at the end of the grace period: not overdue yet
      sqsMock.resetHistory();

      // Act
      const afterRds = await waiter.notYet(waiting, rdsSignal);
      const afterOldCheckBack = await waiter.notYet(waiting, {
        kind: 'check-back',
        runId: waiting.runId,
        seq: 0,
      });

      // Assess
      expect(afterRds).toEqual(waiting);
      expect(afterOldCheckBack).toEqual(waiting);
      expect(sentMessages()).toEqual([]);
      expect((await memory.repo.get(waiting.runId))?.version).toBe(waiting.version);
    });

    it('re-arms on any signal once the live check-back is overdue (lost)', async () => {
      // Prepare
      const waiting = await waiter.start(await snapshottingRun(), snapshotAvailable);
      clock = T0 + 20_000 + 120_000 + 1_000;
      sqsMock.resetHistory();

      // Act
      const next = await waiter.notYet(waiting, rdsSignal);

      // Assess
      expect(next.wait).toMatchObject({ attempt: 1, checkSeq: 2, nextCheckAt: iso(clock + 30_000) });
      expect(sentMessages()).toEqual([
        { QueueUrl: QUEUE_URL, MessageBody: checkBackBody('run-0123456789abcdef', 2), DelaySeconds: 30 },
      ]);
    });

    it('throws DeadlineExceededError past the deadline, without re-arming', async () => {
      // Prepare
      const waiting = await waiter.start(await snapshottingRun(), snapshotAvailable);
      clock = T0 + 240 * 60_000 + 1;
      sqsMock.resetHistory();

      // Act
      const attempt = waiter.notYet(waiting, liveCheckBack(waiting));

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(DeadlineExceededError);
      await expect(attempt).rejects.toThrow(
        `gave up waiting for db-snapshot orders-db-snapshot to be available (deadline ${iso(T0 + 240 * 60_000)})`,
      );
      await expect(attempt).rejects.toMatchObject({ name: 'DeadlineExceededError', wait: waiting.wait });
      expect(sentMessages()).toEqual([]);
    });

    it('returns a run that waits for nothing unchanged', async () => {
      const run = await snapshottingRun();

      await expect(waiter.notYet(run, rdsSignal)).resolves.toEqual(run);
      expect(sentMessages()).toEqual([]);
    });
  });

  describe('waitFor', () => {
    it('starts a wait the run does not have yet', async () => {
      const run = await waiter.waitFor(await snapshottingRun(), snapshotAvailable, rdsSignal);

      expect(run.wait).toMatchObject({ checkSeq: 1, attempt: 0 });
      expect(sentMessages()).toHaveLength(1);
    });

    it('treats the same wait as not yet', async () => {
      // Prepare
      const waiting = await waiter.start(await snapshottingRun(), snapshotAvailable);
      sqsMock.resetHistory();

      // Act
      const next = await waiter.waitFor(waiting, snapshotAvailable, liveCheckBack(waiting));

      // Assess
      expect(next.wait).toMatchObject({ checkSeq: 2, attempt: 1, since: waiting.wait?.since });
      expect(sentMessages().map((m) => m.DelaySeconds)).toEqual([30]);
    });
  });

  it('tells the live check-back from older ones', async () => {
    const waiting = await waiter.start(await snapshottingRun(), snapshotAvailable);

    expect(waiter.isLiveCheckBack(waiting, 1)).toBe(true);
    expect(waiter.isLiveCheckBack(waiting, 0)).toBe(false);
    expect(waiter.isLiveCheckBack(waiting, 2)).toBe(false);
  });

  it('propagates an SQS failure so the message is retried', async () => {
    sqsMock
      .on(SendMessageCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

    await expect(waiter.start(await snapshottingRun(), snapshotAvailable)).rejects.toMatchObject({
      name: 'ThrottlingException',
    });
  });

  describe('event-less waits (an instance rename or modify ends with no RDS event)', () => {
    const renamed: WaitTarget = {
      resourceType: 'db-instance',
      identifier: 'orders-db-old',
      target: 'available',
    };

    /** A rename_first run renaming its original away. */
    const renamingRun = async (): Promise<Run> => {
      let { run } = await memory.repo.create({
        runId: 'run-0123456789abcdef',
        identifier: 'orders-db',
        kind: 'instance',
        task: 'db_restore',
        snapshotIdentifier: 'orders-db-snapshot',
      });
      for (const step of ['SNAPSHOTTING', 'SNAPSHOT_READY', 'RENAMING'] as const)
        run = await memory.repo.transition(run, step);
      return run;
    };

    it('looks at 20 s, at 60 s when the rename may be done, then every 8 s', async () => {
      // Prepare
      let run = await waiter.start(await renamingRun(), renamed);

      // Act: each live check-back comes at its time and finds the rename not done
      for (let i = 0; i < 4; i++) {
        clock = Date.parse(run.wait!.nextCheckAt);
        run = await waiter.notYet(run, liveCheckBack(run));
      }

      // Assess
      expect(sentMessages().map((m) => m.DelaySeconds)).toEqual([20, 40, 8, 8, 8]);
      expect(run.wait).toMatchObject({ attempt: 4, checkSeq: 5, nextCheckAt: iso(T0 + 84_000) });
    });

    it('takes its dense spacing from the timing', async () => {
      // Prepare
      const sparse = waiterWith({ denseSeconds: 15 });
      let run = await sparse.start(await renamingRun(), renamed);
      clock = T0 + 60_000;

      // Act
      run = await sparse.notYet(run, liveCheckBack(run));

      // Assess
      expect(sentMessages().map((m) => m.DelaySeconds)).toEqual([20, 15]);
    });

    it("measures a wait's elapsed time on the stack's clock (the local stack's time scale)", async () => {
      // Prepare: at 600×, 0.1 s of wall time is 60 s of the stack's clock: the rename window has started
      const scaled = waiterWith({ timeScale: 600 });
      let run = await scaled.start(await renamingRun(), renamed);
      clock = T0 + 100;

      // Act
      run = await scaled.notYet(run, liveCheckBack(run));

      // Assess: 20 s, then the dense spacing (not another jump to the window's start)
      expect(sentMessages().map((m) => m.DelaySeconds)).toEqual([20, 8]);
    });

    it('sends each check-back at the delay its pacer gives, and records that time', async () => {
      // Prepare: a fleet budget of one look per second, already spent at second T0+20 s
      const { take, taken } = memorySlots(1);
      taken.set(T0 / 1000 + 20, 1);
      const paced = waiterWith({}, buildCheckBackPacer({ take, now }));

      // Act
      const run = await paced.start(await renamingRun(), renamed);

      // Assess
      expect(sentMessages().map((m) => m.DelaySeconds)).toEqual([21]);
      expect(run.wait?.nextCheckAt).toBe(iso(T0 + 21_000));
      expect(taken.get(T0 / 1000 + 21)).toBe(1);
    });
  });

  describe('when the pacer fails (DynamoDB throttled)', () => {
    const failing = () =>
      waiterWith(
        {},
        buildCheckBackPacer({
          take: async () => {
            throw Object.assign(new Error('rate exceeded'), {
              name: 'ProvisionedThroughputExceededException',
            });
          },
          now,
        }),
      );

    it('sends the check-back at the wanted time instead of failing the step', async () => {
      const run = await failing().start(await snapshottingRun(), snapshotAvailable);
      expect(sentMessages().map((m) => m.DelaySeconds)).toEqual([20]);
      expect(run.wait?.nextCheckAt).toBe(iso(T0 + 20_000));
    });

    it("lets an RDS event's look happen now", async () => {
      expect(await failing().admitLook(LOOKER)).toBe(true);
      expect(sentMessages()).toEqual([]);
    });
  });

  describe('admitLook', () => {
    it("counts a swap's look as its three Describe calls", async () => {
      const { take, taken } = memorySlots(3);
      taken.set(T0 / 1000, 1);
      const paced = waiterWith({}, buildCheckBackPacer({ take, now }));
      const swapping = {
        runId: 'run-0123456789abcdef',
        step: 'SWAPPING' as const,
        wait: { ...LOOKER_WAIT, resourceType: 'db-instance' as const },
      };
      // 2 of 3 left this second: a restore's look fits, a swap's does not
      expect(await paced.admitLook(LOOKER)).toBe(true);
      expect(await paced.admitLook(swapping)).toBe(false);
      expect(taken.get(T0 / 1000)).toBe(2);
      expect(taken.get(T0 / 1000 + 1)).toBe(3);
    });

    const build = (budget: number, full: number[]) => {
      const { take, taken } = memorySlots(budget);
      for (const s of full) taken.set(s, budget);
      return waiterWith({}, buildCheckBackPacer({ take, now }));
    };

    it('lets an RDS event look now while the second has room, and sends nothing', async () => {
      expect(await build(2, []).admitLook(LOOKER)).toBe(true);
      expect(sentMessages()).toEqual([]);
    });

    it('sends the look on as a nudge at the next second with room when this one is full', async () => {
      const second = T0 / 1000;
      expect(await build(2, [second, second + 1]).admitLook(LOOKER)).toBe(false);
      expect(sentMessages()).toEqual([
        { QueueUrl: QUEUE_URL, MessageBody: nudgeBody('run-0123456789abcdef'), DelaySeconds: 2 },
      ]);
    });

    it('always lets it look without a pacer', async () => {
      expect(await waiter.admitLook(LOOKER)).toBe(true);
      expect(sentMessages()).toEqual([]);
    });
  });
});
