/**
 * The delete both cleanup paths share, instances and clusters alike: a database this run may delete (the deletion
 * guard has the last word) is deleted once it is settled, with deletion protection lifted first (and recorded),
 * and a final snapshot unless the run's own snapshot is of that very database or its automated backups (always
 * kept by the delete) hold its history (docs/design.md §5). What differs per kind is in the adapter.
 */
import {
  errorCode,
  FAILED_STATUSES,
  isBusy,
  type ResourceType,
  type Run,
  type RunRepository,
  type StepContext,
  type Waiter,
} from '@trapheus/shared';

export interface Deletable {
  id: string;
  status: string;
  deletionProtection: boolean;
  backupRetentionPeriod: number;
}

export interface DeleteAdapter {
  resourceType: ResourceType;
  /** Throws UnsafeDeleteError unless the database is the one this run may delete in that role. */
  guard(run: Run, role: 'temp' | 'restored-copy'): void;
  liftProtection(id: string): Promise<unknown>;
  /** Whether the run's source snapshot is available and of this very database (the original). */
  snapshotOfThis(run: Run): Promise<{ available: boolean; ofThis: boolean }>;
  remove(id: string, finalSnapshot: string | undefined): Promise<unknown>;
  /** Error codes meaning "already being deleted" or "already gone". */
  alreadyGoing: readonly string[];
}

const settled = (status: string) => status === 'available' || FAILED_STATUSES.has(status);

/**
 * Moves the delete of `db` one action forward and returns the run waiting for it.
 *
 * @example
 * return guardedDelete({ runs, waiter }, instanceAdapter(db), run, deletable, 'temp', ctx);
 */
export const guardedDelete = async (
  { runs, waiter }: { runs: RunRepository; waiter: Waiter },
  adapter: DeleteAdapter,
  run: Run,
  db: Deletable,
  role: 'temp' | 'restored-copy',
  ctx: StepContext,
): Promise<Run> => {
  const wait = (r: Run, target: string) =>
    waiter.waitFor(r, { resourceType: adapter.resourceType, identifier: db.id, target }, ctx.signal);
  if (db.status === 'deleting') return wait(run, 'deleted');
  adapter.guard(run, role);
  if (!settled(db.status)) return wait(run, 'available');
  if (db.deletionProtection) {
    try {
      await adapter.liftProtection(db.id);
    } catch (err) {
      if (isBusy(err)) return wait(run, 'available');
      throw err;
    }
    ctx.logger.info('lifted deletion protection before delete', { id: db.id });
    const lifted = await runs.update(run, {
      progress: { ...run.progress, [`deletionProtectionLifted:${db.id}`]: ctx.now().toISOString() },
    });
    return wait(lifted, 'unprotected');
  }
  // A restored copy holds nothing the snapshot does not; the temp (the original) keeps a final snapshot unless
  // its history is safe elsewhere.
  let finalSnapshot: string | undefined;
  if (role === 'temp') {
    const source = await adapter.snapshotOfThis(run);
    const backupsKept = source.available && db.backupRetentionPeriod > 0;
    finalSnapshot = source.ofThis || backupsKept ? undefined : `${db.id}-final`;
  }
  try {
    await adapter.remove(db.id, finalSnapshot);
  } catch (err) {
    if (!adapter.alreadyGoing.includes(errorCode(err))) throw err;
  }
  ctx.logger.info('delete requested', { id: db.id, role, finalSnapshot });
  const requested = await runs.update(run, {
    progress: { ...run.progress, [`deleteRequestedAt:${db.id}`]: ctx.now().toISOString() },
  });
  return wait(requested, 'deleted');
};
