/**
 * The end of a rehearsal (task restore_copy): the copy restored under its new name is configured (and verified,
 * when asked). It is kept (`keep`) and the run succeeds, or cleanup deletes it (CLEANING_UP). Either way the run
 * records how long the restore took, the figure a restore-time audit asks for.
 */
import type { Run, RunRepository } from '@trapheus/shared';

/**
 * Seconds between entering RESTORING and entering CONFIGURING (the restore itself), if the run has both.
 *
 * @example
 * restoreSecondsOf(run) // 1512
 */
export const restoreSecondsOf = (run: Pick<Run, 'history'>): number | undefined => {
  const from = run.history.find((h) => h.step === 'RESTORING')?.at;
  const to = run.history.find((h) => h.step === 'CONFIGURING')?.at;
  if (!from || !to) return undefined;
  return Math.round(Date.parse(to) - Date.parse(from)) / 1000;
};

/** Ends a configured (and verified) rehearsal: kept → SUCCEEDED, else → CLEANING_UP (cleanup deletes the copy). */
export const endRehearsal = (runs: RunRepository, run: Run, label: string): Promise<Run> => {
  const rehearsal = run.rehearsal;
  if (!rehearsal) throw new Error(`run ${run.runId} is not a rehearsal`);
  const seconds = restoreSecondsOf(run);
  const progress = { ...run.progress, ...(seconds !== undefined ? { restoreSeconds: seconds } : {}) };
  if (rehearsal.keep) {
    return runs.transition(run, 'SUCCEEDED', {
      note: `rehearsal done: ${label} ${rehearsal.targetIdentifier} kept`,
      patch: {
        progress: {
          ...progress,
          databaseState: `unchanged: the source ${run.identifier} was never touched; the rehearsal's ${label} ${rehearsal.targetIdentifier} is kept`,
        },
      },
    });
  }
  // The engine hands the run over to cleanup (PIPELINE: CLEANING_UP → RestoreCompleted), which deletes the copy.
  return runs.transition(run, 'CLEANING_UP', {
    note: `rehearsal done: deleting its ${label} ${rehearsal.targetIdentifier}`,
    patch: { progress },
  });
};
