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

interface Trace {
  runId: string;
  service: string;
  signal: Signal;
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
  trace: { runId: string; service: string; signal: Signal },
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
export const endedByOf = (signal: Signal): { endedBy?: WaitEndedBy; signalAt?: string; eventId?: string } => {
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
      return { endedBy: 'nudge' };
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
 * last write. `commit` drops the written calls from the trace once the write succeeded (a failed write keeps them
 * for the next one).
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
      ...(mine ? endedByOf(trace.signal) : {}),
    });
  }
  const pending = mine ? trace.calls.length : 0;
  const calls = mine ? trace.calls.slice(-MAX_SEGMENT_CALLS) : [];
  return {
    ...(waits.length || calls.length ? { segment: { waits, calls } } : {}),
    commit: () => trace?.calls.splice(0, pending),
  };
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
 * Records each mutating call of `client` made inside a run's trace, once per attempt (inside the SDK's retries,
 * as RDS sees them). Outside a trace (the CLI, intake) it records nothing.
 *
 * @example
 * traceRdsCalls(new RDSClient({ region }));
 */
export const traceRdsCalls = <C extends Pick<RDSClient, 'middlewareStack'>>(client: C): C => {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const trace = openTrace();
      const action = String((context as { commandName?: string }).commandName ?? '').replace(/Command$/, '');
      if (!trace || !action || isReadOnlyRdsAction(action)) return next(args);
      const entry: RunCall = {
        at: new Date().toISOString(),
        service: trace.service,
        action,
        ...(targetOf(args.input) ? { target: targetOf(args.input) } : {}),
      };
      try {
        const out = await next(args);
        trace.calls.push(entry);
        return out;
      } catch (err) {
        trace.calls.push({ ...entry, error: errorCode(err) });
        throw err;
      }
    },
    { step: 'finalizeRequest', priority: 'low', name: 'trapheusRunCalls', override: true },
  );
  return client;
};
