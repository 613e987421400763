import { Logger } from '@aws-lambda-powertools/logger';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { buildCheckBackPacer, type CheckBackPacer, memorySlots } from '../src/check-back-pacer';
import { buildEngine, outcomeDetail, type ServiceSteps, type StepFn } from '../src/engine';
import { StaleRunError } from '../src/errors';
import { createLogger } from '../src/logging';
import { buildPublisher } from '../src/publisher';
import type { Run, RunFailure, Step } from '../src/run';
import type { RunRepository } from '../src/run-repository';
import { nudgeBody, type Signal } from '../src/signals';
import { buildWaiter, DeadlineExceededError } from '../src/waiting';
import { mockQueueAndBus } from '../testing/aws-mocks';
import { buildMemoryRunRepository } from '../testing/memory-runs';

const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const BUS = 'trapheus-test';
const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/trapheus-restore-test';

const awsError = (name: string, message = name) => Object.assign(new Error(message), { name });

describe('engine', () => {
  const { sqsMock, ebMock } = mockQueueAndBus();
  let clock: number;
  const now = () => new Date(clock);
  let memory: ReturnType<typeof buildMemoryRunRepository>;
  let deps: Parameters<typeof buildEngine>[0];
  let onStepFailure: jest.Mock<Promise<Run>, [Run, RunFailure]>;

  /** A waiter on the test's queue and clock; with a pacer, paced to its budget of Describe calls. */
  const waiterOn = (runs: RunRepository, pacer?: CheckBackPacer) =>
    buildWaiter({
      runs,
      sqs: new SQSClient({ region: 'us-east-1' }),
      queueUrl: QUEUE_URL,
      timing: { baseSeconds: 20, maxSeconds: 900, deadlineMinutes: 240, graceSeconds: 120 },
      ...(pacer ? { pacer } : {}),
      now,
    });

  beforeEach(() => {
    clock = T0;
    memory = buildMemoryRunRepository(now);
    const runs = memory.repo;
    deps = {
      runs,
      waiter: waiterOn(runs),
      publish: buildPublisher({ eventBridge: new EventBridgeClient({ region: 'us-east-1' }), busName: BUS }),
      logger: createLogger('engine-test'),
      now,
    };
    onStepFailure = jest.fn(async (run: Run, failure: RunFailure) =>
      deps.runs.transition(run, 'ROLLING_BACK', { failure }),
    );
  });

  /** A run walked along the allowed path to `step`. */
  const runAt = async (
    step: Step,
    runId = 'run-0123456789abcdef',
    identifier = 'orders-db',
  ): Promise<Run> => {
    const paths: Partial<Record<Step, Step[]>> = {
      REQUESTED: [],
      SNAPSHOTTING: ['SNAPSHOTTING'],
      SNAPSHOT_READY: ['SNAPSHOTTING', 'SNAPSHOT_READY'],
      RENAMING: ['SNAPSHOTTING', 'SNAPSHOT_READY', 'RENAMING'],
      RESTORING: ['SNAPSHOTTING', 'SNAPSHOT_READY', 'RENAMING', 'RESTORING'],
      CLEANING_UP: ['SNAPSHOTTING', 'SNAPSHOT_READY', 'RENAMING', 'RESTORING', 'CONFIGURING', 'CLEANING_UP'],
      SUCCEEDED: ['SNAPSHOTTING', 'SNAPSHOT_READY', 'SUCCEEDED'],
      ROLLED_BACK: ['SNAPSHOTTING', 'SNAPSHOT_READY', 'RENAMING', 'ROLLING_BACK', 'ROLLED_BACK'],
      FAILED: ['FAILED'],
      REJECTED: ['REJECTED'],
      CLEANUP_FAILED: [
        'SNAPSHOTTING',
        'SNAPSHOT_READY',
        'RENAMING',
        'RESTORING',
        'CONFIGURING',
        'CLEANING_UP',
        'CLEANUP_FAILED',
      ],
    };
    let { run } = await memory.repo.create({
      runId,
      identifier,
      kind: 'instance',
      task: 'create_snapshot',
      snapshotIdentifier: `${identifier}-snapshot`,
    });
    await memory.repo.acquireLock(run);
    for (const next of paths[step] ?? []) run = await memory.repo.transition(run, next);
    return run;
  };

  const runSignal = (run: Run): Signal => ({
    kind: 'run',
    detailType: 'SnapshotReady',
    detail: { runId: run.runId, identifier: run.identifier, kind: run.kind, step: run.step },
  });

  /** An RDS event about an instance, as the worker parses it. */
  const instanceEvent = (identifier: string, eventId: string, date?: string): Signal => ({
    kind: 'rds',
    rds: { resourceType: 'db-instance', identifier, eventId, message: '', ...(date ? { date } : {}) },
  });

  const restoreService = (steps: ServiceSteps['steps']): ServiceSteps => ({
    service: 'restore',
    steps,
    onStepFailure,
  });

  const stored = async (runId = 'run-0123456789abcdef') => {
    const run = await memory.repo.get(runId);
    if (!run) throw new Error(`run ${runId} is gone`);
    return run;
  };

  it('ignores a signal for a run in a step another service owns', async () => {
    // Prepare
    const run = await runAt('SNAPSHOTTING');
    const snapshotting = jest.fn<ReturnType<StepFn>, Parameters<StepFn>>(async (r) => r);
    const engine = buildEngine(deps, restoreService({ SNAPSHOTTING: snapshotting }));

    // Act
    await engine.handle(runSignal(run));

    // Assess
    expect(snapshotting).not.toHaveBeenCalled();
    expect(await stored()).toEqual(run);
  });

  it('runs owned steps one after another until a step waits', async () => {
    // Prepare
    const run = await runAt('SNAPSHOT_READY');
    const calls: Step[] = [];
    const engine = buildEngine(
      deps,
      restoreService({
        SNAPSHOT_READY: async (r) => {
          calls.push(r.step);
          return deps.runs.transition(r, 'RENAMING');
        },
        RENAMING: async (r) => {
          calls.push(r.step);
          return deps.runs.transition(r, 'RESTORING');
        },
        RESTORING: async (r, ctx) => {
          calls.push(r.step);
          return deps.waiter.waitFor(
            r,
            { resourceType: 'db-instance', identifier: 'orders-db', target: 'available' },
            ctx.signal,
          );
        },
      }),
    );

    // Act
    await engine.handle(runSignal(run));

    // Assess
    expect(calls).toEqual(['SNAPSHOT_READY', 'RENAMING', 'RESTORING']);
    const after = await stored();
    expect(after.step).toBe('RESTORING');
    expect(after.waitKey).toBe('db-instance#orders-db');
    expect(sqsMock.commandCalls(SendMessageCommand)).toHaveLength(1);
  });

  it('re-reads the run and runs the step again after a StaleRunError', async () => {
    // Prepare
    const run = await runAt('RENAMING');
    const seenVersions: number[] = [];
    const renaming = jest.fn<ReturnType<StepFn>, Parameters<StepFn>>(async (r) => {
      seenVersions.push(r.version);
      if (seenVersions.length === 1) {
        // Another worker records progress between our read and our write.
        await deps.runs.update(r, { progress: { renameRequested: true } });
      }
      return deps.runs.transition(r, 'RESTORING');
    });
    const engine = buildEngine(deps, restoreService({ RENAMING: renaming, RESTORING: async (r) => r }));

    // Act
    await engine.handle(runSignal(run));

    // Assess
    expect(renaming).toHaveBeenCalledTimes(2);
    // Taking the lease bumps the version; the second attempt sees the other worker's write.
    expect(seenVersions[1]).toBeGreaterThan(seenVersions[0]!);
    expect(renaming.mock.calls[1]?.[0].progress).toEqual({ renameRequested: true });
    const after = await stored();
    expect(after.step).toBe('RESTORING');
    expect(onStepFailure).not.toHaveBeenCalled();
  });

  it('runs at most one reconciler per run: a second delivery at the same moment is nudged, not run', async () => {
    // Prepare
    const run = await runAt('RENAMING');
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const renaming = jest.fn<ReturnType<StepFn>, Parameters<StepFn>>(async (r) => {
      await gate;
      return deps.runs.transition(r, 'RESTORING');
    });
    const engine = buildEngine(deps, restoreService({ RENAMING: renaming, RESTORING: async (r) => r }));

    // Act
    const first = engine.handle(runSignal(run));
    await new Promise((r) => setTimeout(r, 10));
    await engine.handle(runSignal(run));
    release();
    await first;

    // Assess
    expect(renaming).toHaveBeenCalledTimes(1);
    const nudges = sqsMock
      .commandCalls(SendMessageCommand)
      .map((c) => JSON.parse(String(c.args[0].input.MessageBody)));
    expect(nudges).toEqual([{ trapheusNudge: { runId: run.runId } }]);
    expect((await stored()).step).toBe('RESTORING');
    expect((await stored()).lease).toBeUndefined();
  });

  // Finding: under throttling a step logged `ERROR step failed UnexpectedDatabase` for a stale result that was
  // then discarded. An ERROR line must mean a failure was recorded.
  it('logs no ERROR for a step failure that is discarded because the run moved meanwhile', async () => {
    // Prepare
    const run = await runAt('RENAMING');
    const error = jest.spyOn(Logger.prototype, 'error');
    let first = true;
    const renaming = jest.fn<ReturnType<StepFn>, Parameters<StepFn>>(async (r) => {
      if (first) {
        first = false;
        // What the step saw is stale: another worker moved the run before its failure could be recorded.
        await deps.runs.update(r, { progress: { movedByAnother: true } });
        throw Object.assign(new Error('orders-db is not the copy restored by this run'), {
          name: 'UnexpectedDatabase',
        });
      }
      return deps.runs.transition(r, 'RESTORING');
    });
    const engine = buildEngine(deps, restoreService({ RENAMING: renaming, RESTORING: async (r) => r }));

    // Act
    await engine.handle(runSignal(run));

    // Assess
    expect(error).not.toHaveBeenCalled();
    expect((await stored()).step).toBe('RESTORING');
    error.mockRestore();
  });

  it('lets a transient error (Throttling) propagate so SQS retries, without failing the run', async () => {
    // Prepare
    const run = await runAt('RENAMING');
    const engine = buildEngine(
      deps,
      restoreService({
        RENAMING: async () => {
          throw awsError('Throttling', 'Rate exceeded');
        },
      }),
    );

    // Act
    const handling = engine.handle(runSignal(run));

    // Assess
    await expect(handling).rejects.toMatchObject({ name: 'Throttling', message: 'Rate exceeded' });
    expect(onStepFailure).not.toHaveBeenCalled();
    // Unchanged but for the lease taken (version + 1) and given back.
    expect(await stored()).toEqual({ ...run, version: run.version + 1 });
  });

  it('lets a 5xx error propagate as transient', async () => {
    const run = await runAt('RENAMING');
    const serverError = Object.assign(awsError('InternalFailure'), { $metadata: { httpStatusCode: 503 } });
    const engine = buildEngine(
      deps,
      restoreService({
        RENAMING: async () => {
          throw serverError;
        },
      }),
    );

    await expect(engine.handle(runSignal(run))).rejects.toBe(serverError);
    expect(onStepFailure).not.toHaveBeenCalled();
  });

  it('hands a non-transient error to onStepFailure with its error code', async () => {
    // Prepare
    const run = await runAt('RENAMING');
    clock = T0 + 5_000;
    const engine = buildEngine(
      deps,
      restoreService({
        RENAMING: async () => {
          throw awsError('InvalidDBInstanceState', 'Instance orders-db is not in available state.');
        },
      }),
    );

    // Act
    await engine.handle(runSignal(run));

    // Assess
    const expectedFailure = {
      step: 'RENAMING',
      code: 'InvalidDBInstanceState',
      message: 'Instance orders-db is not in available state.',
      at: new Date(T0 + 5_000).toISOString(),
    };
    expect(onStepFailure).toHaveBeenCalledTimes(1);
    expect(onStepFailure.mock.calls[0]?.[0]).toMatchObject({ runId: run.runId, step: 'RENAMING' });
    expect(onStepFailure.mock.calls[0]?.[1]).toEqual(expectedFailure);
    const after = await stored();
    expect(after.step).toBe('ROLLING_BACK');
    expect(after.failure).toEqual(expectedFailure);
  });

  it('reports a missed deadline as DeadlineExceeded', async () => {
    // Prepare
    const run = await runAt('RESTORING');
    const engine = buildEngine(
      deps,
      restoreService({
        RESTORING: async () => {
          throw new DeadlineExceededError({
            resourceType: 'db-instance',
            identifier: 'orders-db',
            target: 'available',
            since: new Date(T0).toISOString(),
            deadline: new Date(T0).toISOString(),
            checkSeq: 9,
            attempt: 8,
            nextCheckAt: new Date(T0).toISOString(),
          });
        },
      }),
    );

    // Act
    await engine.handle(runSignal(run));

    // Assess
    expect(onStepFailure.mock.calls[0]?.[1]).toMatchObject({ step: 'RESTORING', code: 'DeadlineExceeded' });
    expect(onStepFailure.mock.calls[0]?.[1].message).toContain('gave up waiting for db-instance orders-db');
  });

  describe('check-backs', () => {
    const waitingRun = async () => {
      const run = await runAt('RESTORING');
      return deps.waiter.start(run, {
        resourceType: 'db-instance',
        identifier: 'orders-db',
        target: 'available',
      });
    };

    it('drops a stale check-back without calling the step', async () => {
      // Prepare
      const run = await deps.waiter.start(await waitingRun(), {
        resourceType: 'db-instance',
        identifier: 'orders-db',
        target: 'available',
      });
      const restoring = jest.fn<ReturnType<StepFn>, Parameters<StepFn>>(async (r) => r);
      const engine = buildEngine(deps, restoreService({ RESTORING: restoring }));

      // Act
      await engine.handle({ kind: 'check-back', runId: run.runId, seq: 1 });

      // Assess
      expect(run.wait?.checkSeq).toBe(2);
      expect(restoring).not.toHaveBeenCalled();
    });

    it('runs the step on the live check-back', async () => {
      const run = await waitingRun();
      const restoring = jest.fn<ReturnType<StepFn>, Parameters<StepFn>>(async (r) => r);
      const engine = buildEngine(deps, restoreService({ RESTORING: restoring }));

      await engine.handle({ kind: 'check-back', runId: run.runId, seq: 1 });

      expect(restoring).toHaveBeenCalledTimes(1);
      expect(restoring.mock.calls[0]?.[1].signal).toEqual({ kind: 'check-back', runId: run.runId, seq: 1 });
    });

    it('ignores a check-back for an unknown run', async () => {
      const restoring = jest.fn<ReturnType<StepFn>, Parameters<StepFn>>(async (r) => r);
      const engine = buildEngine(deps, restoreService({ RESTORING: restoring }));

      await engine.handle({ kind: 'check-back', runId: 'run-gone', seq: 1 });

      expect(restoring).not.toHaveBeenCalled();
      expect(ebMock.commandCalls(PutEventsCommand)).toHaveLength(0);
    });
  });

  describe('finalizing a terminal run', () => {
    it.each([
      ['SUCCEEDED', 'RunSucceeded'],
      ['ROLLED_BACK', 'RunRolledBack'],
      ['FAILED', 'RunFailed'],
      ['FAILED (needs a person)', 'RunFailed'],
      ['CLEANUP_FAILED', 'RunFailed'],
      ['REJECTED', 'RunFailed'],
    ] as const)(
      'publishes a %s run as %s, releases the lock (unless a person must look) and leaves the active index',
      async (label, detailType) => {
        // Prepare
        const step = label.split(' ')[0] as Step;
        const needsPerson = label.includes('needs a person');
        let run = await runAt(step);
        if (needsPerson) run = await memory.repo.update(run, { progress: { needsPerson: true } });
        expect(run.active).toBe('Y');
        expect(memory.locks.get('instance#orders-db')).toBe(run.runId);
        const engine = buildEngine(deps, restoreService({}));

        // Act
        await engine.handle(runSignal(run));

        // Assess
        const entries = ebMock.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries);
        expect(entries).toEqual([
          [
            {
              EventBusName: BUS,
              Source: 'trapheus',
              DetailType: detailType,
              Detail: JSON.stringify(outcomeDetail(run, new Date(T0).toISOString())),
              Resources: [],
            },
          ],
        ]);
        const detail = JSON.parse(entries[0]?.[0]?.Detail ?? '{}');
        expect(detail).toMatchObject({
          runId: run.runId,
          identifier: 'orders-db',
          kind: 'instance',
          task: 'create_snapshot',
          step,
          snapshotIdentifier: 'orders-db-snapshot',
          finishedAt: run.history.at(-1)?.at,
        });
        // A FAILED run that needs a person keeps the database locked; every other end releases it.
        expect(memory.locks.has('instance#orders-db')).toBe(needsPerson);
        expect(detail.locked).toBe(needsPerson);
        const after = await stored();
        expect(after.active).toBeUndefined();
        expect(after.step).toBe(step);
      },
    );

    it('finalizes a terminal run on any check-back, live or not', async () => {
      const run = await runAt('SUCCEEDED');
      const engine = buildEngine(deps, restoreService({}));

      await engine.handle({ kind: 'check-back', runId: run.runId, seq: 42 });

      expect(ebMock.commandCalls(PutEventsCommand)).toHaveLength(1);
      expect((await stored()).active).toBeUndefined();
    });

    it('does nothing for a run already finalized', async () => {
      // Prepare
      const run = await memory.repo.markFinalized(await runAt('SUCCEEDED'));
      const engine = buildEngine(deps, restoreService({}));

      // Act
      await engine.handle(runSignal(run));

      // Assess
      expect(ebMock.commandCalls(PutEventsCommand)).toHaveLength(0);
      expect(await stored()).toEqual(run);
    });

    it('finalizes a run in the same signal once its step fails for good', async () => {
      // Prepare
      const run = await runAt('CLEANING_UP');
      const engine = buildEngine(deps, {
        service: 'cleanup',
        steps: {
          CLEANING_UP: async () => {
            throw awsError('InvalidParameterCombination', 'Cannot delete protected DB Instance');
          },
        },
        onStepFailure: async (r, failure) => deps.runs.transition(r, 'CLEANUP_FAILED', { failure }),
      });

      // Act
      await engine.handle(runSignal(run));

      // Assess
      const entries = ebMock.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries?.[0]);
      expect(entries.map((e) => e?.DetailType)).toEqual(['RunFailed']);
      expect(JSON.parse(entries[0]?.Detail ?? '{}').failure).toMatchObject({
        step: 'CLEANING_UP',
        code: 'InvalidParameterCombination',
      });
      const after = await stored();
      expect(after).toMatchObject({ step: 'CLEANUP_FAILED' });
      expect(after.active).toBeUndefined();
    });

    it('keeps the run active when publishing fails, so the retry publishes again', async () => {
      // Prepare
      const run = await runAt('SUCCEEDED');
      ebMock.on(PutEventsCommand).resolves({
        FailedEntryCount: 1,
        Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }],
      });
      const engine = buildEngine(deps, restoreService({}));

      // Act
      const handling = engine.handle(runSignal(run));

      // Assess
      await expect(handling).rejects.toThrow('PutEvents rejected RunSucceeded: InternalFailure try again');
      expect((await stored()).active).toBe('Y');
      expect(memory.locks.get('instance#orders-db')).toBe(run.runId);
    });
  });

  it('reconciles only the runs whose waitKey matches an RDS signal', async () => {
    // Prepare
    const orders = await deps.waiter.start(await runAt('RESTORING', 'run-orders', 'orders-db'), {
      resourceType: 'db-instance',
      identifier: 'orders-db',
      target: 'available',
    });
    await deps.waiter.start(await runAt('RESTORING', 'run-billing', 'billing-db'), {
      resourceType: 'db-instance',
      identifier: 'billing-db',
      target: 'available',
    });
    const restoring = jest.fn<ReturnType<StepFn>, Parameters<StepFn>>(async (r) => r);
    const engine = buildEngine(deps, restoreService({ RESTORING: restoring }));
    const signal = instanceEvent('orders-db', 'RDS-EVENT-0043');

    // Act
    await engine.handle(signal);

    // Assess
    expect(restoring).toHaveBeenCalledTimes(1);
    expect(restoring.mock.calls[0]?.[0].runId).toBe(orders.runId);
    expect(restoring.mock.calls[0]?.[1].signal).toBe(signal);
  });

  it("sends an RDS signal's look on as a nudge when the fleet's budget for this second is spent", async () => {
    // Prepare: a budget of one look per second, already taken this second and the next
    const { take, taken } = memorySlots(1);
    taken.set(T0 / 1000, 1);
    taken.set(T0 / 1000 + 1, 1);
    const paced = { ...deps, waiter: waiterOn(deps.runs, buildCheckBackPacer({ take, now })) };
    const orders = await paced.waiter.start(await runAt('RESTORING', 'run-orders', 'orders-db'), {
      resourceType: 'db-instance',
      identifier: 'orders-db',
      target: 'available',
    });
    sqsMock.resetHistory();
    const restoring = jest.fn<ReturnType<StepFn>, Parameters<StepFn>>(async (r) => r);
    const engine = buildEngine(paced, restoreService({ RESTORING: restoring }));

    // Act
    await engine.handle(instanceEvent('orders-db', 'RDS-EVENT-0043', '2026-03-01T09:59:58.000Z'));

    // Assess: not looked at now; looked at in 2 s, the next second with room, as that event
    expect(restoring).not.toHaveBeenCalled();
    // (with the wait it was about: only that wait counts as ended by it)
    const event = {
      eventId: 'RDS-EVENT-0043',
      date: '2026-03-01T09:59:58.000Z',
      waitSince: orders.wait?.since,
    };
    expect(orders.wait?.since).toBe(new Date(T0).toISOString());
    expect(sqsMock.commandCalls(SendMessageCommand).map((c) => c.args[0].input)).toEqual([
      { QueueUrl: QUEUE_URL, MessageBody: nudgeBody(orders.runId, event), DelaySeconds: 2 },
    ]);
  });

  it("an RDS signal's look that finds the run held by another reconciler goes on carrying the event", async () => {
    // Prepare: the run waits for orders-db; a first delivery holds it (its step is gated)
    const waiting = await deps.waiter.start(await runAt('RESTORING'), {
      resourceType: 'db-instance',
      identifier: 'orders-db',
      target: 'available',
    });
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const restoring = jest.fn<ReturnType<StepFn>, Parameters<StepFn>>(async (r) => {
      await gate;
      return r;
    });
    const engine = buildEngine(deps, restoreService({ RESTORING: restoring }));
    const first = engine.handle(runSignal(waiting));
    await new Promise((r) => setTimeout(r, 10));
    sqsMock.resetHistory();

    // Act: the RDS event arrives meanwhile
    await engine.handle(instanceEvent('orders-db', 'RDS-EVENT-0043', '2026-03-01T09:59:59.000Z'));
    release();
    await first;

    // Assess: looked at again in 5 s, as that event, about that wait
    expect(restoring).toHaveBeenCalledTimes(1);
    expect(sqsMock.commandCalls(SendMessageCommand).map((c) => c.args[0].input.MessageBody)).toEqual([
      JSON.stringify({
        trapheusNudge: {
          runId: waiting.runId,
          event: {
            eventId: 'RDS-EVENT-0043',
            date: '2026-03-01T09:59:59.000Z',
            waitSince: new Date(T0).toISOString(),
          },
        },
      }),
    ]);
  });

  it("does not spend the budget on an RDS signal for a run in another service's step", async () => {
    // Prepare: the budget is spent; the run waits in CLEANING_UP, which the cleanup service owns
    const { take, taken } = memorySlots(1);
    taken.set(T0 / 1000, 1);
    const paced = { ...deps, waiter: waiterOn(deps.runs, buildCheckBackPacer({ take, now })) };
    await paced.waiter.start(await runAt('CLEANING_UP', 'run-orders', 'orders-db'), {
      resourceType: 'db-instance',
      identifier: 'orders-db-old',
      target: 'deleted',
    });
    sqsMock.resetHistory();
    const engine = buildEngine(paced, restoreService({}));

    // Act
    await engine.handle(instanceEvent('orders-db-old', 'RDS-EVENT-0003'));

    // Assess: no nudge, no slot taken this second beyond the one already there
    expect(sqsMock.commandCalls(SendMessageCommand)).toHaveLength(0);
    expect(taken.get(T0 / 1000)).toBe(1);
  });

  it('does nothing for an RDS signal nobody waits for', async () => {
    await runAt('RESTORING');
    const restoring = jest.fn<ReturnType<StepFn>, Parameters<StepFn>>(async (r) => r);
    const engine = buildEngine(deps, restoreService({ RESTORING: restoring }));

    await engine.handle({
      kind: 'rds',
      rds: {
        resourceType: 'db-snapshot',
        identifier: 'rds:orders-db-2026-01-01-00-00',
        eventId: 'x',
        message: '',
      },
    });

    expect(restoring).not.toHaveBeenCalled();
  });

  it('ignores an invalid signal and a signal for an unknown run', async () => {
    const anyStep = jest.fn<ReturnType<StepFn>, Parameters<StepFn>>(async (r) => r);
    const engine = buildEngine(deps, restoreService({ RENAMING: anyStep }));

    await engine.handle({ kind: 'invalid', reason: 'message body is not valid JSON' });
    await engine.handle({
      kind: 'run',
      detailType: 'SnapshotReady',
      detail: { runId: 'run-nope', identifier: 'orders-db', kind: 'instance', step: 'SNAPSHOT_READY' },
    });

    expect(anyStep).not.toHaveBeenCalled();
    expect(memory.all()).toEqual([]);
  });

  describe('requests', () => {
    const request: Signal = { kind: 'request', eventId: 'evt-1', detail: { identifier: 'orders-db' } };

    it('are ignored by a service without onRequest', async () => {
      const engine = buildEngine(deps, restoreService({}));

      await engine.handle(request);

      expect(memory.all()).toEqual([]);
    });

    it('create a run through onRequest and reconcile it at once', async () => {
      // Prepare
      const snapshotting = jest.fn<ReturnType<StepFn>, Parameters<StepFn>>(async (r) => r);
      const engine = buildEngine(deps, {
        service: 'snapshot',
        steps: {
          REQUESTED: async (r) => deps.runs.transition(r, 'SNAPSHOTTING'),
          SNAPSHOTTING: snapshotting,
        },
        onStepFailure,
        onRequest: async (signal) => {
          const { run } = await deps.runs.create({
            runId: `run-${signal.eventId}`,
            identifier: 'orders-db',
            kind: 'instance',
            task: 'create_snapshot',
            snapshotIdentifier: 'orders-db-snapshot',
          });
          return run;
        },
      });

      // Act
      await engine.handle(request);

      // Assess
      expect(snapshotting).toHaveBeenCalledTimes(1);
      expect((await stored('run-evt-1')).step).toBe('SNAPSHOTTING');
    });
  });

  it('stops after a bounded number of steps per signal', async () => {
    // Prepare: a step that keeps losing its write never spins forever.
    const run = await runAt('RENAMING');
    const renaming = jest.fn<ReturnType<StepFn>, Parameters<StepFn>>(async (r) => {
      throw new StaleRunError(r.runId, `${r.step} v${r.version}`);
    });
    const engine = buildEngine(deps, restoreService({ RENAMING: renaming }));

    // Act
    await engine.handle(runSignal(run));

    // Assess
    expect(renaming).toHaveBeenCalledTimes(8);
    expect(onStepFailure).not.toHaveBeenCalled();
  });
});
