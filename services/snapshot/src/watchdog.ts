/**
 * The watchdog: a scheduled sweep that re-signals runs whose check-back chain broke (a Lambda died between
 * its state write and its SendMessage, a message went to the DLQ) or whose outcome was never published.
 */
import { isTerminal, type Publisher, type Run, type RunRepository, RunStalled } from '@trapheus/shared';

/** Whether a run has gone quiet for longer than it should have. */
export const isStalled = (run: Run, now: Date, graceSeconds: number): boolean => {
  const grace = graceSeconds * 1000;
  if (run.wait && !isTerminal(run.step)) {
    if (now.toISOString() > run.wait.deadline) return true;
    return now.getTime() > new Date(run.wait.nextCheckAt).getTime() + grace;
  }
  // Not waiting on RDS (a lost SnapshotReady / RestoreCompleted), or finished but its outcome not published.
  return now.getTime() > new Date(run.updatedAt).getTime() + grace;
};

/**
 * @example
 * const stalled = await sweep({ runs, publish, now: new Date(), graceSeconds: 120 });
 */
export const sweep = async ({
  runs,
  publish,
  now,
  graceSeconds,
}: {
  runs: RunRepository;
  publish: Publisher;
  now: Date;
  graceSeconds: number;
}): Promise<string[]> => {
  const stalled = (await runs.listActive()).filter((run) => isStalled(run, now, graceSeconds));
  for (const run of stalled) {
    await publish(RunStalled, {
      runId: run.runId,
      identifier: run.identifier,
      kind: run.kind,
      step: run.step,
    });
  }
  return stalled.map((r) => r.runId);
};
