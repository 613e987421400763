/**
 * What a run did, for its view (`trapheus status --json`, the web UI): the waits it finished, with the signal that
 * ended each, and the mutating RDS calls it made. The engine opens one trace per reconcile (AsyncLocalStorage);
 * the RDS client's middleware adds each mutating call to it. The run repository writes what a run write ends (a
 * wait) and the calls made since the last write as one small trace item beside the run (`TRACE#<runId>#<seq>`,
 * `traceKey`), and the run write carries only the new `traceSeq`. The run item stays the size it was: every
 * conditional write (and every index copy) of a run would otherwise rewrite its whole history. Calls made after
 * the reconcile's last write are written once at its end (`flushTrace`).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { RDSClient } from '@aws-sdk/client-rds';
import { errorCode } from './errors';
import { recordRdsThrottle, recordStepDuration, recordWaitEnded } from './metrics';
import type { ResourceType, Run, Step } from './run';
import type { Signal } from './signals';

/** The most recent trace segments a view reads (a segment is one run write: about one step). */
export const MAX_TRACE_SEGMENTS = 200;
/** The most calls one segment keeps (a reconcile that retried endlessly keeps its last ones). */
export const MAX_SEGMENT_CALLS = 200;

/** Prefix of trace items in the runs table; they carry no `step` and no index attribute, so no run query sees them. */
export const TRACE_PREFIX = 'TRACE#';

/**
 * The key (`runId` attribute) of a run's trace segment `seq`.
 *
 * @example
 * traceKey('run-1a2b', 3) // 'TRACE#run-1a2b#000003'
 */
export const traceKey = (runId: string, seq: number): string =>
  `${TRACE_PREFIX}${runId}#${String(seq).padStart(6, '0')}`;

/** What made the reconciler look at the run when its wait ended. */
export type WaitEndedBy =
  | 'rds-event'
  | 'check-back'
  | 'watchdog'
  | 'answer'
  | 'nudge'
  | 'request'
  | 'handoff';

/** A wait that ended (the run left its step, or started waiting on something else). */
export interface EndedWait {
  step: Step;
  resourceType: ResourceType;
  identifier: string;
  target: string;
  since: string;
  endedAt: string;
  /** Absent when the wait ended outside a reconcile (no signal known). */
  endedBy?: WaitEndedBy;
  /** The RDS event's own time (`rds-event` only, when the event carried one). */
  signalAt?: string;
  /** The RDS event id (`RDS-EVENT-0043`), `rds-event` only. */
  eventId?: string;
}

/** One mutating RDS call (not Describe*, List*) a run's reconciler made; one entry per attempt. */
export interface RunCall {
  at: string;
  /** The service whose reconciler made it (`snapshot`, `restore`, `cleanup`). */
  service: string;
  /** The RDS API action: `RestoreDBInstanceFromDBSnapshot`. */
  action: string;
  /** The resource it acted on (its first identifier parameter). */
  target?: string;
  /** The error code when RDS refused the call. */
  error?: string;
}

/**
 * The check-back a run's wait had armed when a reconcile read it: which one (`checkSeq` of the wait begun at `since`)
 * and when it was armed (`armedAt`, the run write that armed it). See `armedCheckBackOf`.
 */
export interface ArmedCheckBack {
  checkSeq: number;
  since: string;
  armedAt: string;
}

interface Trace {
  runId: string;
  service: string;
  signal: Signal;
  /** The check-back the run's wait had armed when this reconcile began (for the wait metrics). */
  checkBack?: ArmedCheckBack;
  calls: RunCall[];
  /** The reconcile ended: work that inherited its context later (a timer, a socket, a message delivered in the
   * same process, as on the local stack) must not record into it. */
  closed: boolean;
}

/**
 * One AsyncLocalStorage per process, kept on globalThis: Node propagates every enabled instance into every new
 * async resource, so an instance per module copy (the local stack loads each handler in its own module registry,
 * a fault suite hundreds of times) slowed every async operation of the process down more with each copy.
 */
const STORAGE_KEY = Symbol.for('trapheus.run-trace.storage');
const holder = globalThis as { [STORAGE_KEY]?: AsyncLocalStorage<Trace> };
if (!holder[STORAGE_KEY]) holder[STORAGE_KEY] = new AsyncLocalStorage<Trace>();
const storage: AsyncLocalStorage<Trace> = holder[STORAGE_KEY];

/** The trace of the reconcile in progress, if any (a closed one is no trace). */
const openTrace = (): Trace | undefined => {
  const trace = storage.getStore();
  return trace && !trace.closed ? trace : undefined;
};

/**
 * Runs `fn` with a trace for one run's reconcile: RDS calls made inside are recorded for that run.
 *
 * @example
 * await withRunTrace({ runId, service: 'restore', signal }, () => reconcile(run, signal));
 */
export const withRunTrace = <T>(
  trace: { runId: string; service: string; signal: Signal; checkBack?: ArmedCheckBack },
  fn: () => Promise<T>,
): Promise<T> => {
  const open: Trace = { ...trace, calls: [], closed: false };
  return storage.run(open, async () => {
    try {
      return await fn();
    } finally {
      // Anything started inside keeps this context after the reconcile: it records nothing more (and holds no calls).
      open.closed = true;
      open.calls = [];
    }
  });
};

/**
 * Which kind of signal ended a wait, and for an RDS event its own time.
 *
 * @example
 * endedByOf({ kind: 'check-back', runId, seq: 3 }) // { endedBy: 'check-back' }
 */
export const endedByOf = (
  signal: Signal,
  /** The `since` of the wait that ends: a nudge's event counts only for the wait it was about. */
  endedSince?: string,
): { endedBy?: WaitEndedBy; signalAt?: string; eventId?: string } => {
  switch (signal.kind) {
    case 'rds':
      return {
        endedBy: 'rds-event',
        ...(signal.rds.date ? { signalAt: signal.rds.date } : {}),
        eventId: signal.rds.eventId,
      };
    case 'check-back':
      return { endedBy: 'check-back' };
    case 'nudge':
      // An RDS event's look put off (by the Describe budget, or a busy lease): the event ended its wait, later. By
      // then the run may wait on something else, which the event did not end.
      return signal.event?.waitSince !== undefined && signal.event.waitSince === endedSince
        ? {
            endedBy: 'rds-event',
            ...(signal.event.date ? { signalAt: signal.event.date } : {}),
            eventId: signal.event.eventId,
          }
        : { endedBy: 'nudge' };
    case 'verified':
      return { endedBy: 'answer' };
    case 'request':
      return { endedBy: 'request' };
    case 'run':
      return { endedBy: signal.detailType === 'RunStalled' ? 'watchdog' : 'handoff' };
    default:
      return {};
  }
};

/** SQS delays a message at most 900 s (SQS API reference, SendMessage DelaySeconds: 0 to 900): the longest check-back. */
const MAX_CHECK_BACK_SECONDS = 900;

/**
 * When the check-back a run's wait has armed was armed, read from the run as a reconcile finds it: the waiter writes
 * the wait with `nextCheckAt = now + delay` in one run write, whose `updatedAt` is that now; no other write touches a
 * waiting run in the normal course (taking the lease does not change `updatedAt`). `nextCheckAt − updatedAt` outside
 * (0, 900] s (SQS's longest delay) means another write came between: unknown. When that check-back ends the wait,
 * the previous look at RDS was at `armedAt`, so RDS reached the awaited state at most `end − armedAt` before the run
 * saw it: the wait's gap (metrics.ts WaitGapSeconds), measured on the clock that ran (the local stack's scaled one
 * too).
 *
 * @example
 * armedCheckBackOf(run) // { checkSeq: 4, since: '2026-03-01T10:00:00.000Z', armedAt: '2026-03-01T10:03:10.000Z' }
 */
export const armedCheckBackOf = (run: Pick<Run, 'wait' | 'updatedAt'>): ArmedCheckBack | undefined => {
  if (!run.wait) return undefined;
  const ms = Date.parse(run.wait.nextCheckAt) - Date.parse(run.updatedAt);
  if (!Number.isFinite(ms) || ms <= 0 || ms > MAX_CHECK_BACK_SECONDS * 1000) return undefined;
  return { checkSeq: run.wait.checkSeq, since: run.wait.since, armedAt: run.updatedAt };
};

const sameWait = (a: NonNullable<Run['wait']>, b: unknown): boolean => {
  const w = b as Partial<NonNullable<Run['wait']>> | undefined;
  return (
    !!w &&
    w.resourceType === a.resourceType &&
    w.identifier === a.identifier &&
    w.target === a.target &&
    w.since === a.since
  );
};

/** What one run write adds to the run's trace: the wait it ended and the calls made since the last write. */
export interface TraceSegment {
  waits: EndedWait[];
  calls: RunCall[];
}

/** A run's trace, oldest first: its finished waits and its mutating RDS calls. */
export interface RunTrace {
  waits: EndedWait[];
  calls: RunCall[];
  /** Older segments were not read (more than MAX_TRACE_SEGMENTS). */
  truncated: boolean;
}

/**
 * The trace segment a write of `patch` on `run` adds, if any: the wait it ends and the RDS calls recorded since the
 * last write. `commit`, once the write succeeded, drops the written calls from the trace (a failed write keeps them
 * for the next one) and records the write's metrics (metrics.ts): the step it leaves and how long the run spent
 * there, the wait it ends. A write that failed records nothing, so a retried write is counted once.
 *
 * @example
 * const trace = tracePatch(run, patch, at); if (trace.segment) await putSegment(...); await write(); trace.commit();
 */
export const tracePatch = (
  run: Run,
  patch: Record<string, unknown>,
  at: string,
): { segment?: TraceSegment; commit: () => void } => {
  const trace = openTrace();
  const mine = !!trace && trace.runId === run.runId;
  const waits: EndedWait[] = [];
  if (run.wait && 'wait' in patch && !sameWait(run.wait, patch.wait)) {
    const { resourceType, identifier, target, since } = run.wait;
    waits.push({
      step: run.step,
      resourceType,
      identifier,
      target,
      since,
      endedAt: at,
      ...(mine ? endedByOf(trace.signal, since) : {}),
    });
  }
  const pending = mine ? trace.calls.length : 0;
  const calls = mine ? trace.calls.slice(-MAX_SEGMENT_CALLS) : [];
  const checkBack = mine ? trace.checkBack : undefined;
  return {
    ...(waits.length || calls.length ? { segment: { waits, calls } } : {}),
    commit: () => {
      trace?.calls.splice(0, pending);
      recordWriteMetrics(run, patch, at, waits[0], checkBack);
    },
  };
};

/** The metrics of one successful run write: the step it leaves (and the time spent there), the wait it ends. */
const recordWriteMetrics = (
  run: Run,
  patch: Record<string, unknown>,
  at: string,
  ended: EndedWait | undefined,
  checkBack: ArmedCheckBack | undefined,
): void => {
  try {
    const entered = run.history.at(-1);
    if (typeof patch.step === 'string' && patch.step !== run.step && entered?.step === run.step) {
      const ms = Date.parse(at) - Date.parse(entered.at);
      if (Number.isFinite(ms)) {
        recordStepDuration({ runId: run.runId, step: run.step, seconds: Math.max(0, ms / 1000) });
      }
    }
    if (ended && run.wait) {
      // The check-back's interval is known only for the wait and check-back the reconcile found armed.
      const armedMs =
        checkBack && checkBack.checkSeq === run.wait.checkSeq && checkBack.since === run.wait.since
          ? Date.parse(at) - Date.parse(checkBack.armedAt)
          : Number.NaN;
      const armed = Number.isFinite(armedMs) && armedMs >= 0 ? armedMs / 1000 : undefined;
      recordWaitEnded({
        runId: run.runId,
        step: ended.step,
        ...(ended.endedBy ? { endedBy: ended.endedBy } : {}),
        since: ended.since,
        endedAt: ended.endedAt,
        attempts: run.wait.attempt,
        ...(ended.signalAt ? { signalAt: ended.signalAt } : {}),
        ...(ended.eventId ? { eventId: ended.eventId } : {}),
        ...(armed !== undefined ? { checkBackSeconds: armed } : {}),
      });
    }
  } catch {
    // a metric never fails a run write
  }
};

/** Whether the current trace holds calls of `runId` not written yet. */
export const hasPendingCalls = (runId: string): boolean => {
  const trace = openTrace();
  return !!trace && trace.runId === runId && trace.calls.length > 0;
};

/** An RDS action that changes nothing (not recorded). */
export const isReadOnlyRdsAction = (action: string): boolean => /^(Describe|List|Download)/.test(action);

const TARGET_PARAMS = [
  'DBInstanceIdentifier',
  'DBClusterIdentifier',
  'DBSnapshotIdentifier',
  'DBClusterSnapshotIdentifier',
  'ExportTaskIdentifier',
  'ResourceName',
  'SourceArn',
  'SourceDBInstanceArn',
] as const;

const targetOf = (input: unknown): string | undefined => {
  if (!input || typeof input !== 'object') return undefined;
  const params = input as Record<string, unknown>;
  for (const key of TARGET_PARAMS) {
    const v = params[key];
    if (typeof v === 'string' && v) return v;
  }
  return undefined;
};

/**
 * Throttling error codes: RDS answers `ThrottlingException` (RDS User Guide, "Request throttling for the Amazon RDS
 * API") or `Throttling` (docs/rds-facts.md); `RequestLimitExceeded`, which errors.ts treats as throttling too, is
 * counted as well.
 */
const RDS_THROTTLING = new Set(['ThrottlingException', 'Throttling', 'RequestLimitExceeded']);

/** Whether an RDS error says the call was throttled. */
export const isRdsThrottle = (err: unknown): boolean => RDS_THROTTLING.has(errorCode(err));

/**
 * Records each mutating call of `client` made inside a run's trace, once per attempt (inside the SDK's retries,
 * as RDS sees them). Outside a trace (the CLI, intake) it records nothing. Every call answered with a throttling
 * error, read-only or not, in a trace or not, counts one RdsThrottles (metrics.ts), per attempt too: the SDK's retry
 * middleware sits at finalizeRequest, priority high, so this one (priority low) runs inside it.
 *
 * @example
 * traceRdsCalls(new RDSClient({ region }));
 */
export const traceRdsCalls = <C extends Pick<RDSClient, 'middlewareStack'>>(client: C): C => {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const trace = openTrace();
      const action = String((context as { commandName?: string }).commandName ?? '').replace(/Command$/, '');
      const entry: RunCall | undefined =
        trace && action && !isReadOnlyRdsAction(action)
          ? {
              at: new Date().toISOString(),
              service: trace.service,
              action,
              ...(targetOf(args.input) ? { target: targetOf(args.input) } : {}),
            }
          : undefined;
      try {
        const out = await next(args);
        if (trace && entry) trace.calls.push(entry);
        return out;
      } catch (err) {
        if (isRdsThrottle(err)) recordRdsThrottle(action || 'unknown');
        if (trace && entry) trace.calls.push({ ...entry, error: errorCode(err) });
        throw err;
      }
    },
    { step: 'finalizeRequest', priority: 'low', name: 'trapheusRunCalls', override: true },
  );
  return client;
};
