/**
 * The watchdog: a scheduled sweep that re-signals runs whose check-back chain broke (a Lambda died between
 * its state write and its SendMessage, a message went to the DLQ) or whose outcome was never published; and the
 * same for exports to S3 (export.ts), whose run is usually long finished: those it finds on the sparse index of
 * open exports, and it sends them their export check-back again.
 */
import {
  type ExportStore,
  isExportDone,
  isTerminal,
  type Publisher,
  type Run,
  type RunExport,
  type RunRepository,
  RunStalled,
} from '@trapheus/shared';

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

/**
 * Whether an open export has gone quiet: its check-back is overdue by more than the grace, its deadline passed, or
 * it ended without its outcome published (ExportCompleted / ExportFailed) for longer than the grace.
 */
export const isExportStalled = (e: RunExport, now: Date, graceSeconds: number): boolean => {
  const grace = graceSeconds * 1000;
  if (isExportDone(e)) {
    return e.notified !== true && now.getTime() > Date.parse(e.finishedAt ?? e.nextCheckAt) + grace;
  }
  if (now.toISOString() > e.deadline) return true;
  return now.getTime() > Date.parse(e.nextCheckAt) + grace;
};

/**
 * Sends each stalled open export its check-back again, with the export's current `checkSeq`: the worker then runs
 * the normal export check (tracks the task, takes a slot, cancels and fails it past the deadline, publishes an
 * unpublished outcome and gives its slot back). Returns the run ids re-signalled.
 *
 * @example
 * const stalled = await sweepExports({ exports, sendCheck, now: new Date(), graceSeconds: 120 });
 */
export const sweepExports = async ({
  exports,
  sendCheck,
  now,
  graceSeconds,
}: {
  exports: Pick<ExportStore, 'listOpen'>;
  sendCheck: (runId: string, seq: number) => Promise<unknown>;
  now: Date;
  graceSeconds: number;
}): Promise<string[]> => {
  const stalled = (await exports.listOpen()).filter((o) => isExportStalled(o.export, now, graceSeconds));
  for (const { runId, export: e } of stalled) await sendCheck(runId, e.checkSeq);
  return stalled.map((o) => o.runId);
};
