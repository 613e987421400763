import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DescribeDBInstancesCommand, ModifyDBInstanceCommand, RDSClient } from '@aws-sdk/client-rds';
import { SQSClient } from '@aws-sdk/client-sqs';
import { buildEngine, type StepFn } from '../src/engine';
import { createLogger } from '../src/logging';
import { buildPublisher } from '../src/publisher';
import type { Run } from '../src/run';
import {
  endedByOf,
  MAX_SEGMENT_CALLS,
  traceKey,
  tracePatch,
  traceRdsCalls,
  withRunTrace,
} from '../src/run-trace';
import type { Signal } from '../src/signals';
import { buildWaiter } from '../src/waiting';
import { mockQueueAndBus } from '../testing/aws-mocks';
import { buildMemoryRunRepository } from '../testing/memory-runs';

const T0 = Date.parse('2026-03-01T10:00:00.000Z');

/** A real RDS client whose HTTP answers are canned (the middleware runs as in a Lambda). */
const cannedRds = (status = 200) => {
  const seen: string[] = [];
  const client = new RDSClient({
    region: 'us-east-1',
    maxAttempts: 1,
    credentials: { accessKeyId: 'k', secretAccessKey: 's' },
    requestHandler: {
      handle: async (request: { body?: string }) => {
        seen.push(String(request.body ?? ''));
        const xml =
          status === 200
            ? '<Response><ModifyDBInstanceResult><DBInstance><DBInstanceIdentifier>orders-db</DBInstanceIdentifier></DBInstance></ModifyDBInstanceResult></Response>'
            : '<ErrorResponse><Error><Type>Sender</Type><Code>InvalidDBInstanceState</Code><Message>busy</Message></Error></ErrorResponse>';
        return { response: { statusCode: status, headers: {}, body: new TextEncoder().encode(xml) } };
      },
    } as never,
  });
  return { client: traceRdsCalls(client), seen };
};

describe('run trace', () => {
  mockQueueAndBus();
  let clock: number;
  const now = () => new Date(clock);

  beforeEach(() => {
    clock = T0;
  });

  it('names the signal that ended a wait', () => {
    expect(
      endedByOf({
        kind: 'rds',
        rds: {
          resourceType: 'db-instance',
          identifier: 'x',
          eventId: 'RDS-EVENT-0088',
          message: '',
          date: 'D',
        },
      }),
    ).toEqual({ endedBy: 'rds-event', signalAt: 'D', eventId: 'RDS-EVENT-0088' });
    expect(endedByOf({ kind: 'check-back', runId: 'r', seq: 1 })).toEqual({ endedBy: 'check-back' });
    expect(endedByOf({ kind: 'nudge', runId: 'r' })).toEqual({ endedBy: 'nudge' });
    // An RDS event's look put off (the Describe budget, a busy lease) ends the wait it was about as that event, at
    // the event's own time; another wait the run has moved on to meanwhile is not the event's.
    const deferred: Signal = {
      kind: 'nudge',
      runId: 'r',
      event: { eventId: 'RDS-EVENT-0043', date: 'D', waitSince: 'S1' },
    };
    expect(endedByOf(deferred, 'S1')).toEqual({
      endedBy: 'rds-event',
      signalAt: 'D',
      eventId: 'RDS-EVENT-0043',
    });
    expect(endedByOf(deferred, 'S2')).toEqual({ endedBy: 'nudge' });
    expect(endedByOf({ kind: 'nudge', runId: 'r', event: { eventId: 'RDS-EVENT-0043' } }, 'S1')).toEqual({
      endedBy: 'nudge',
    });
    expect(endedByOf({ kind: 'request', eventId: 'e', detail: {} })).toEqual({ endedBy: 'request' });
    const run = { runId: 'r', identifier: 'x', kind: 'instance', step: 'RESTORING' } as const;
    expect(endedByOf({ kind: 'run', detailType: 'RunStalled', detail: run })).toEqual({
      endedBy: 'watchdog',
    });
    expect(endedByOf({ kind: 'run', detailType: 'SnapshotReady', detail: run })).toEqual({
      endedBy: 'handoff',
    });
    expect(
      endedByOf({ kind: 'verified', eventId: 'e', detail: { runId: 'r', hook: 'h', ok: true, message: '' } }),
    ).toEqual({ endedBy: 'answer' });
  });

  it('records mutating calls inside a trace only (failed ones with their code), not Describe*', async () => {
    const ok = cannedRds();
    await ok.client.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'outside' }));
    const signal: Signal = { kind: 'nudge', runId: 'run-1' };
    const run = { runId: 'run-1' } as unknown as Run;
    const traced = await withRunTrace({ runId: 'run-1', service: 'restore', signal }, async () => {
      await ok.client.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'orders-db' }));
      await ok.client.send(new DescribeDBInstancesCommand({})).catch(() => undefined);
      const refused = cannedRds(400);
      await refused.client
        .send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'orders-db-tr-1' }))
        .catch(() => undefined);
      const t = tracePatch(run, {}, 'AT');
      t.commit();
      return { segment: t.segment, after: tracePatch(run, {}, 'AT').segment };
    });
    expect(ok.seen).toHaveLength(3);
    expect(traced.segment?.waits).toEqual([]);
    expect(traced.segment?.calls).toEqual([
      { at: expect.any(String), service: 'restore', action: 'ModifyDBInstance', target: 'orders-db' },
      {
        at: expect.any(String),
        service: 'restore',
        action: 'ModifyDBInstance',
        target: 'orders-db-tr-1',
        error: 'InvalidDBInstanceState',
      },
    ]);
    expect(traced.after).toBeUndefined();
  });

  it('a segment keeps the last MAX_SEGMENT_CALLS calls of its reconcile; another run than the trace’s gets none', async () => {
    const ok = cannedRds();
    const signal: Signal = { kind: 'nudge', runId: 'run-1' };
    const [mine, other] = await withRunTrace({ runId: 'run-1', service: 'cleanup', signal }, async () => {
      for (let i = 0; i <= MAX_SEGMENT_CALLS; i += 1) {
        await ok.client.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: `db-${i}` }));
      }
      return [
        tracePatch({ runId: 'run-1' } as unknown as Run, {}, 'AT').segment,
        tracePatch({ runId: 'run-2' } as unknown as Run, {}, 'AT').segment,
      ];
    });
    expect(mine?.calls).toHaveLength(MAX_SEGMENT_CALLS);
    expect(mine?.calls[0]).toMatchObject({ target: 'db-1' });
    expect(mine?.calls[MAX_SEGMENT_CALLS - 1]).toMatchObject({ target: `db-${MAX_SEGMENT_CALLS}` });
    expect(other).toBeUndefined();
  });

  it('names trace items so that they sort by segment and never look like a run or a lock', () => {
    expect(traceKey('run-1a', 3)).toBe('TRACE#run-1a#000003');
    expect(traceKey('run-1a', 12) > traceKey('run-1a', 3)).toBe(true);
  });

  it('the engine records each ended wait with its signal, in the writes the steps make anyway', async () => {
    const memory = buildMemoryRunRepository(now);
    const runs = memory.repo;
    const waiter = buildWaiter({
      runs,
      sqs: new SQSClient({ region: 'us-east-1' }),
      queueUrl: 'https://sqs.us-east-1.amazonaws.com/1/q',
      timing: { baseSeconds: 20, maxSeconds: 900, deadlineMinutes: 240, graceSeconds: 120 },
      now,
    });
    const rds = cannedRds();
    let available = false;
    const restoring: StepFn = async (run, ctx) => {
      if (!run.progress.restoreRequested) {
        await rds.client.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'orders-db' }));
        run = await runs.update(run, { progress: { ...run.progress, restoreRequested: true } });
      }
      if (!available) {
        return waiter.waitFor(
          run,
          { resourceType: 'db-instance', identifier: 'orders-db', target: 'available' },
          ctx.signal,
        );
      }
      return runs.transition(run, 'CONFIGURING');
    };
    const engine = buildEngine(
      {
        runs,
        waiter,
        publish: buildPublisher({
          eventBridge: new EventBridgeClient({ region: 'us-east-1' }),
          busName: 'b',
        }),
        logger: createLogger('trace-test'),
        now,
      },
      {
        service: 'restore',
        steps: { RESTORING: restoring, CONFIGURING: async (run) => run },
        onStepFailure: async (run) => run,
      },
    );
    const { run: created } = await runs.create({
      runId: 'run-1',
      identifier: 'orders-db',
      kind: 'instance',
      task: 'create_snapshot',
      snapshotIdentifier: 's',
    });
    let run = await runs.transition(created, 'SNAPSHOTTING');
    run = await runs.transition(run, 'SNAPSHOT_READY');
    run = await runs.transition(run, 'RESTORING');

    await engine.handle({ kind: 'nudge', runId: 'run-1' });
    const waiting = (await runs.get('run-1'))!;
    expect(waiting.wait?.target).toBe('available');
    const waitingTrace = await runs.getTrace(waiting);
    expect(waitingTrace.calls.map((c) => [c.service, c.action, c.target])).toEqual([
      ['restore', 'ModifyDBInstance', 'orders-db'],
    ]);
    expect(waitingTrace.waits).toEqual([]);
    // The run item carries only the segment number, not the trace.
    expect(waiting.traceSeq).toBe(1);
    expect(Object.keys(waiting)).not.toContain('calls');

    clock += 90_000;
    available = true;
    await engine.handle({
      kind: 'rds',
      rds: {
        resourceType: 'db-instance',
        identifier: 'orders-db',
        eventId: 'RDS-EVENT-0008',
        message: 'restored',
        date: new Date(clock - 2_500).toISOString(),
      },
    });
    const done = (await runs.get('run-1'))!;
    expect(done.step).toBe('CONFIGURING');
    const doneTrace = await runs.getTrace(done);
    expect(doneTrace.truncated).toBe(false);
    expect(doneTrace.waits).toEqual([
      {
        step: 'RESTORING',
        resourceType: 'db-instance',
        identifier: 'orders-db',
        target: 'available',
        since: new Date(T0).toISOString(),
        endedAt: new Date(clock).toISOString(),
        endedBy: 'rds-event',
        signalAt: new Date(clock - 2_500).toISOString(),
        eventId: 'RDS-EVENT-0008',
      },
    ]);
    expect(doneTrace.calls).toHaveLength(1);

    // A call after the reconcile's last write is written once at its end.
    const configuring = await runs.update(done, {});
    const engine2 = buildEngine(
      {
        runs,
        waiter,
        publish: buildPublisher({
          eventBridge: new EventBridgeClient({ region: 'us-east-1' }),
          busName: 'b',
        }),
        logger: createLogger('trace-test'),
        now,
      },
      {
        service: 'restore',
        steps: {
          CONFIGURING: async (run) => {
            await rds.client.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'orders-db-tc' }));
            return run;
          },
        },
        onStepFailure: async (run) => run,
      },
    );
    await engine2.handle({ kind: 'nudge', runId: configuring.runId });
    const flushed = (await runs.get('run-1'))!;
    expect((await runs.getTrace(flushed)).calls.map((c) => c.target)).toEqual(['orders-db', 'orders-db-tc']);
    expect(flushed.lease).toBeUndefined();
  });
});
