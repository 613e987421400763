/**
 * The reconciling worker shared by snapshot, restore and cleanup. For each signal it finds the runs
 * concerned, reads each one, and lets the service's step function for the run's current step do the one
 * action that moves reality toward the next step. Steps are written as reconcilers: they look at RDS first,
 * so a redelivered message neither repeats nor skips work.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { CapturedCluster, CapturedInstance } from './captured';
import { errorCode, errorMessage, isTransient, StaleRunError } from './errors';
import { recordDeadlineExceeded, recordRunOutcome } from './metrics';
import { handoffInto, outcomeOf, type ServiceName, stepsOwnedBy } from './pipeline';
import type { Publisher } from './publisher';
import { FAILED_STATUSES } from './rds-instance';
import { downtimeOf, isTerminal, type Run, type RunFailure, type Step, waitKeyOf } from './run';
import type { RunRepository } from './run-repository';
import { holdsLockWhenDone } from './run-repository';
import { armedCheckBackOf, withRunTrace } from './run-trace';
import type { DeferredRdsEvent, Signal } from './signals';
import { DeadlineExceededError, type Waiter } from './waiting';

export type { ServiceName };

export interface StepContext {
  signal: Signal;
  logger: Logger;
  now: () => Date;
}

/** A step function returns the run as it left it: a new step continues the loop, the same step waits. */
export type StepFn = (run: Run, ctx: StepContext) => Promise<Run>;

export interface EngineDeps {
  runs: RunRepository;
  waiter: Waiter;
  publish: Publisher;
  logger: Logger;
  now?: () => Date;
  /** The reconciler lease (default LEASE_SECONDS); the local stack scales it with its clock. */
  leaseSeconds?: number;
}

export interface ServiceSteps {
  service: ServiceName;
  steps: Partial<Record<Step, StepFn>>;
  /** Step functions for Aurora cluster runs (`kind: 'cluster'`); without them such runs wait untouched. */
  clusterSteps?: Partial<Record<Step, StepFn>>;
  /** Where a run goes when its step fails for good (deadline, a non-transient RDS error). */
  onStepFailure: (run: Run, failure: RunFailure, ctx: StepContext) => Promise<Run>;
  /** Handles a `RestoreRequested` (only the snapshot service has one). */
  onRequest?: (signal: Extract<Signal, { kind: 'request' }>, ctx: StepContext) => Promise<Run | undefined>;
}

const MAX_STEPS_PER_SIGNAL = 8;
/** A reconciler's lease on a run: longer than a Lambda invocation (30 s), short enough to recover from a crash. */
export const LEASE_SECONDS = 60;
/** How soon a run whose lease was taken is looked at again. */
const NUDGE_SECONDS = 5;

/** The RDS event a look put off (by the Describe budget or a busy lease) carries on: a direct event, about the run's
 * current wait, or one already deferred. */
const deferredEventOf = (signal: Signal, run: Run): DeferredRdsEvent | undefined => {
  if (signal.kind === 'nudge') return signal.event;
  if (signal.kind !== 'rds') return undefined;
  return {
    eventId: signal.rds.eventId,
    ...(signal.rds.date ? { date: signal.rds.date } : {}),
    ...(run.wait ? { waitSince: run.wait.since } : {}),
  };
};

/**
 * An error that fails the current step with `name` as its code (the run's `failure.code`).
 *
 * @example
 * throw stepError('UnexpectedDatabase', 'orders-db is not the copy restored by this run');
 */
export const stepError = (name: string, message: string): Error =>
  Object.assign(new Error(message), { name });

/**
 * A database (instance or cluster) in a status it never leaves by itself (failed, incompatible-…) stops the step:
 * waiting for it is useless.
 *
 * @example
 * assertNotBroken(db.DBInstanceStatus, `the original ${db.DBInstanceIdentifier}`);
 */
export const assertNotBroken = (status: string | undefined, what: string): void => {
  if (status && FAILED_STATUSES.has(status)) throw stepError(status, `${what} is ${status}`);
};

/**
 * The instance a run captured before touching anything; a step that needs it and finds none fails.
 *
 * @example
 * const original = instanceOriginal(run); // CapturedInstance
 */
export const instanceOriginal = (run: Run): CapturedInstance => {
  const original = run.original;
  if (original?.kind !== 'instance') {
    throw stepError('MissingOriginal', `run ${run.runId} has no captured instance configuration`);
  }
  return original;
};

/**
 * The run's temp name (set when the original was captured); a step that needs it and finds none fails.
 *
 * @example
 * const temp = tempOf(run); // 'orders-db-tr-3f2a9c21'
 */
export const tempOf = (run: Run): string => {
  if (!run.tempIdentifier) throw stepError('MissingTemp', `run ${run.runId} has no temp identifier`);
  return run.tempIdentifier;
};

/** The cluster a run captured before touching anything (see instanceOriginal). */
export const clusterOriginal = (run: Run): CapturedCluster => {
  const original = run.original;
  if (original?.kind !== 'cluster') {
    throw stepError('MissingOriginal', `run ${run.runId} has no captured cluster configuration`);
  }
  return original;
};

/** Builds the outcome detail published when a run ends. */
export const outcomeDetail = (run: Run, at: string) => ({
  runId: run.runId,
  identifier: run.identifier,
  kind: run.kind,
  task: run.task,
  step: run.step,
  ...(run.snapshotIdentifier ? { snapshotIdentifier: run.snapshotIdentifier } : {}),
  ...(run.restorePoint ? { restorePoint: run.restorePoint } : {}),
  ...(run.cloneSource ? { cloneSource: run.cloneSource } : {}),
  ...(run.share
    ? {
        share: {
          ...run.share,
          ...(typeof run.progress.sharedSnapshot === 'string'
            ? { snapshot: run.progress.sharedSnapshot }
            : {}),
        },
      }
    : {}),
  ...(run.rehearsal
    ? {
        rehearsal: {
          ...run.rehearsal,
          ...(typeof run.progress.restoreSeconds === 'number'
            ? { restoreSeconds: run.progress.restoreSeconds }
            : {}),
        },
      }
    : {}),
  // The temp is named only where it may still exist: after a rollback or a success it is gone.
  ...(run.tempIdentifier && (run.step === 'CLEANUP_FAILED' || run.step === 'FAILED')
    ? { tempIdentifier: run.tempIdentifier }
    : {}),
  createdAt: run.createdAt,
  finishedAt: run.history.at(-1)?.at ?? at,
  history: run.history,
  ...(run.failure ? { failure: run.failure } : {}),
  ...(run.reason ? { reason: run.reason } : {}),
  ...(run.remedy ? { remedy: run.remedy } : {}),
  ...(typeof run.progress.databaseState === 'string' ? { databaseState: run.progress.databaseState } : {}),
  locked: holdsLockWhenDone(run),
  ...(run.strategy ? { strategy: run.strategy } : {}),
  ...(downtimeOf(run) ? { downtime: downtimeOf(run) } : {}),
  ...(typeof run.progress.masterUserSecretArn === 'string'
    ? { masterUserSecretArn: run.progress.masterUserSecretArn }
    : {}),
  ...(run.verification ? { verification: run.verification } : {}),
});

/**
 * @example
 * const engine = buildEngine(deps, { service: 'restore', steps: { RENAMING: renameOriginal, … }, onStepFailure });
 * await engine.handle(parseSignal(record.body));
 */
export const buildEngine = (deps: EngineDeps, service: ServiceSteps) => {
  const now = deps.now ?? (() => new Date());
  const owned = new Set<Step>(stepsOwnedBy(service.service));

  /** A run that entered another service's step is handed over with that step's hand-off event (the table's). */
  const handOver = async (run: Run): Promise<void> => {
    const handoff = handoffInto(run.step, service.service);
    if (handoff) {
      await deps.publish(handoff, {
        runId: run.runId,
        identifier: run.identifier,
        kind: run.kind,
        step: run.step,
      });
    }
  };

  /**
   * Publishes a finished run's outcome, releases its lock, and takes it off the active index. The outcome metric
   * is recorded once that conditional write succeeded: a finalize that is retried (its publish failed, or another
   * reconciler finalized first) counts the run once.
   */
  const finalize = async (run: Run, logger: Logger): Promise<Run> => {
    await deps.publish(outcomeOf(run.step), outcomeDetail(run, now().toISOString()));
    if (!holdsLockWhenDone(run)) await deps.runs.releaseLock(run);
    const done = await deps.runs.markFinalized(run);
    recordRunOutcome(done);
    logger.info('run finished', { step: run.step, failure: run.failure, reason: run.reason });
    return done;
  };

  /**
   * Reconciles one run under its lease: at most one reconciler works on a run at any moment. A run whose lease
   * another reconciler holds is nudged (looked at again shortly), so the signal is not lost.
   */
  const reconcile = (initial: Run, signal: Signal): Promise<void> =>
    // The run's trace: its RDS calls and the signal that ends a wait are recorded with its writes (run-trace.ts),
    // with the check-back the run's wait had armed when it was read (the wait metrics' gap, metrics.ts).
    withRunTrace(
      {
        runId: initial.runId,
        service: service.service,
        signal,
        checkBack: armedCheckBackOf(initial),
      },
      () => reconcileTraced(initial, signal),
    );

  const reconcileTraced = async (initial: Run, signal: Signal): Promise<void> => {
    if (isTerminal(initial.step) && !initial.active) return;
    const logger = deps.logger.createChild({ persistentKeys: { runId: initial.runId } });
    if (!isTerminal(initial.step) && !owned.has(initial.step)) {
      // A run another service owns. If it sits in a hand-off step this service moves runs into, the hand-off
      // may have failed to publish (the message is being retried): publish it again; a duplicate is harmless.
      if (handoffInto(initial.step, service.service)) {
        logger.info('publishing the hand-off again', { step: initial.step });
        await handOver(initial);
      }
      return;
    }
    const owner = randomUUID();
    const take = async (): Promise<Run | undefined> => {
      const leased = await deps.runs.acquireLease(initial.runId, owner, deps.leaseSeconds ?? LEASE_SECONDS);
      if (!leased) {
        logger.info('run busy with another reconciler: looking again shortly', { step: initial.step });
        await deps.waiter.nudge(
          initial.runId,
          NUDGE_SECONDS,
          signal.kind === 'check-back' ? signal.seq : undefined,
          deferredEventOf(signal, initial),
        );
      }
      return leased;
    };
    const leased = await take();
    if (!leased) return;
    let run: Run = leased;
    const ctx: StepContext = { signal, logger, now };
    try {
      for (let i = 0; i < MAX_STEPS_PER_SIGNAL; i++) {
        try {
          if (isTerminal(run.step)) {
            if (run.active) await finalize(run, logger);
            return;
          }
          if (!owned.has(run.step)) return;
          const stepFn = (run.kind === 'cluster' ? service.clusterSteps : service.steps)?.[run.step];
          if (!stepFn) return;
          const before = run.step;
          try {
            run = await stepFn(run, ctx);
          } catch (err) {
            if (err instanceof StaleRunError || isTransient(err)) throw err;
            const failure: RunFailure = {
              step: run.step,
              code: err instanceof DeadlineExceededError ? 'DeadlineExceeded' : errorCode(err),
              message: errorMessage(err),
              at: now().toISOString(),
            };
            run = await service.onStepFailure(run, failure, ctx);
            // Counted once the failure is recorded (a stale attempt that was discarded is not counted): the alarm
            // on StepDeadlineExceeded says a run outlived its step's deadline.
            if (err instanceof DeadlineExceededError)
              recordDeadlineExceeded({ runId: run.runId, step: failure.step });
            // Logged once the failure is recorded: a stale result that was discarded is not an error.
            logger.error('step failed', { step: failure.step, failure, next: run.step });
          }
          if (run.step === before) return;
          logger.info('run advanced', { from: before, to: run.step });
          await handOver(run);
        } catch (err) {
          if (!(err instanceof StaleRunError)) throw err;
          // Our lease lapsed and another reconciler moved the run: take it again, or leave it to that one.
          logger.info('run changed under us: reading it again', { step: run.step });
          const fresh = await take();
          if (!fresh) return;
          run = fresh;
        }
      }
    } finally {
      // Calls made after the last write of this reconcile (one more write, only then).
      await deps.runs.flushTrace(run).catch((err) => logger.warn('calls not recorded', { err }));
      await deps.runs.releaseLease(initial.runId, owner);
    }
  };

  /** Handles one signal; throws only for errors worth a retry (the record goes back to the queue). */
  const handle = async (signal: Signal): Promise<void> => {
    switch (signal.kind) {
      case 'invalid':
        deps.logger.warn('ignoring message', { reason: signal.reason, eventId: signal.eventId });
        return;
      case 'request': {
        if (!service.onRequest) return;
        const run = await service.onRequest(signal, { signal, logger: deps.logger, now });
        if (run) await reconcile(run, signal);
        return;
      }
      case 'run': {
        const run = await deps.runs.get(signal.detail.runId);
        if (!run) {
          deps.logger.warn('signal for an unknown run', { runId: signal.detail.runId });
          return;
        }
        await reconcile(run, signal);
        return;
      }
      case 'verified': {
        // A hook's answer: recorded first (outside the lease: a busy run must not lose it), then the run is looked
        // at. Anything but the first answer of an expected hook on a VERIFYING run changes nothing.
        const { runId, hook, ok, message } = signal.detail;
        const run = await deps.runs.get(runId);
        const ignore = (why: string) =>
          deps.logger.warn('ignoring verification answer', { why, runId, hook, ok, eventId: signal.eventId });
        if (!run) return ignore('unknown run');
        if (run.step !== 'VERIFYING') return ignore(`the run is at ${run.step}, not VERIFYING`);
        if (!run.verification?.hooks.includes(hook)) {
          return ignore(`the run expects hooks ${run.verification?.hooks.join(', ') ?? '(none)'}`);
        }
        if (run.verification.answers[hook])
          return ignore('this hook already answered (the first answer counts)');
        const recorded = await deps.runs.recordVerificationAnswer(runId, hook, {
          ok,
          message,
          at: now().toISOString(),
        });
        if (!recorded) return ignore('the run moved on, or the hook answered meanwhile');
        deps.logger.info('verification answer recorded', { runId, hook, ok, message });
        await reconcile(recorded, signal);
        return;
      }
      case 'nudge': {
        const run = await deps.runs.get(signal.runId);
        if (run) await reconcile(run, signal);
        return;
      }
      case 'check-back': {
        const run = await deps.runs.get(signal.runId);
        if (!run) return;
        // An old check-back of a step this service owns is dropped; one for a run that moved to another service's
        // step still reaches reconcile, which publishes a hand-off that may have been lost.
        if (!isTerminal(run.step) && owned.has(run.step) && !deps.waiter.isLiveCheckBack(run, signal.seq)) {
          // A check-back from the future: its wait is being recorded right now (the check-back goes out first).
          // It comes back shortly; one from the past is dropped.
          const current = run.wait?.checkSeq ?? run.lastCheckSeq ?? 0;
          if (signal.seq > current) await deps.waiter.nudge(run.runId, NUDGE_SECONDS, signal.seq);
          return;
        }
        await reconcile(run, signal);
        return;
      }
      case 'rds': {
        const waiting = await deps.runs.findByWaitKey(
          waitKeyOf(signal.rds.resourceType, signal.rds.identifier),
        );
        for (const { runId } of waiting) {
          // The index is eventually consistent: reconcile what the table holds now.
          const run = await deps.runs.get(runId);
          if (!run) continue;
          // The look of the service that owns the step uses the fleet's budget of Describe calls like a check-back;
          // a full second sends it on as a nudge at the next one with room (check-back-pacer.ts).
          const looks = !isTerminal(run.step) && owned.has(run.step);
          if (looks && !(await deps.waiter.admitLook(run, deferredEventOf(signal, run)))) continue;
          await reconcile(run, signal);
        }
        return;
      }
    }
  };

  return { handle, reconcile, finalize };
};

export type Engine = ReturnType<typeof buildEngine>;
