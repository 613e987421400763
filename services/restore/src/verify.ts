/**
 * VERIFYING: a request's `verify` hooks check the configured copy before it is committed (masking, health). On
 * entering the step the run publishes RestoreVerifying (once: a progress marker written after the publish, so a
 * redelivered signal never loses it; a duplicate publish is harmless), then waits for every hook's RestoreVerified.
 * The answers are recorded by the engine (RunRepository.recordVerificationAnswer); this step only decides: every
 * hook ok → commit (swap: SWAPPING; rename_first: untag and hand over to cleanup), one not ok → VerificationFailed,
 * the timeout passed → VerificationTimedOut (both roll back: the copy was never committed).
 */
import {
  type Publisher,
  RestoreVerifying,
  type RestoreVerifyingDetail,
  type Run,
  type RunRepository,
  type RunVerification,
  type StepContext,
  type StepFn,
  stepError,
  type Waiter,
} from '@trapheus/shared';

/** What the hooks are told about the copy they check. */
export type CopyEndpoint = Pick<RestoreVerifyingDetail, 'copyIdentifier' | 'endpoint' | 'engine'>;

/** The progress marker of the RestoreVerifying publish. */
export const VERIFYING_PUBLISHED = 'verifyingPublishedAt';

/** The verification of a run at VERIFYING; a run without one fails (it cannot have been asked for). */
const verificationOf = (run: Run): RunVerification => {
  if (!run.verification) {
    throw stepError('MissingVerification', `run ${run.runId} is verifying but has no verification`);
  }
  return run.verification;
};

/**
 * The deadline of the hooks' answers: the time the run entered VERIFYING plus the timeout, divided by the time
 * scale (1 on AWS; the local stack's). The same on every redelivery.
 */
export const verificationDeadline = (run: Run, timeScale = 1): string => {
  const entered = [...run.history].reverse().find((h) => h.step === 'VERIFYING')?.at ?? run.updatedAt;
  const minutes = verificationOf(run).timeoutMinutes;
  return new Date(Date.parse(entered) + (minutes * 60_000) / timeScale).toISOString();
};

/** What the hooks said so far: the first failure, whether all are ok, and who has not answered. */
export const verificationState = (v: RunVerification) => {
  const failed = v.hooks.find((h) => v.answers[h]?.ok === false);
  const pending = v.hooks.filter((h) => !v.answers[h]);
  return { failed, pending, allOk: !failed && pending.length === 0 };
};

/**
 * @example
 * const verifyCopy = buildVerifyStep({ runs, waiter, publish, describeCopy, commit });
 */
export const buildVerifyStep = ({
  runs,
  waiter,
  publish,
  timeScale = 1,
  describeCopy,
  commit,
}: {
  runs: RunRepository;
  waiter: Waiter;
  publish: Publisher;
  timeScale?: number;
  /** The configured copy as the hooks reach it (its side name for swap, the name for rename_first). */
  describeCopy: (run: Run) => Promise<CopyEndpoint>;
  /** Every hook said ok: the copy goes on (SWAPPING, or committed under the name). */
  commit: (run: Run, ctx: StepContext) => Promise<Run>;
}): StepFn => {
  return async (run, ctx) => {
    const v = verificationOf(run);
    const { failed, pending, allOk } = verificationState(v);
    if (failed) {
      const answer = v.answers[failed];
      throw stepError('VerificationFailed', `hook ${failed}: ${answer?.message || 'answered not ok'}`);
    }
    if (allOk) return commit(run, ctx);
    const deadline = verificationDeadline(run, timeScale);
    if (ctx.now().toISOString() > deadline) {
      throw stepError(
        'VerificationTimedOut',
        `no answer from hook${pending.length > 1 ? 's' : ''} ${pending.join(', ')} within ${v.timeoutMinutes} minute${v.timeoutMinutes === 1 ? '' : 's'} (deadline ${deadline})`,
      );
    }
    if (!run.progress[VERIFYING_PUBLISHED]) {
      const copy = await describeCopy(run);
      await publish(RestoreVerifying, {
        runId: run.runId,
        identifier: run.identifier,
        kind: run.kind,
        ...copy,
        snapshotIdentifier: run.snapshotIdentifier,
        hooks: v.hooks,
        deadline,
      });
      ctx.logger.info('RestoreVerifying published', { hooks: v.hooks, deadline, copy });
      run = await runs.update(run, {
        progress: { ...run.progress, [VERIFYING_PUBLISHED]: ctx.now().toISOString() },
      });
    }
    return waiter.waitFor(
      run,
      { resourceType: 'verification', identifier: run.runId, target: 'answered by every hook' },
      ctx.signal,
      { deadline },
    );
  };
};
