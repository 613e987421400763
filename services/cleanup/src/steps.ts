/**
 * The cleanup service's steps. After success: delete the temp (the original under its run-unique name), with
 * the deletion guard and deletion protection handled as docs/design.md §5 says. After a failure: roll back, so the
 * original answers under its own name again.
 */
import {
  type DBInstance,
  DeleteDBInstanceCommand,
  ModifyDBInstanceCommand,
  type RDSClient,
  RemoveTagsFromResourceCommand,
} from '@aws-sdk/client-rds';
import {
  assertDeletable,
  assertNotBroken,
  describeCluster,
  describeInstance,
  describeSnapshot,
  errorCode,
  instanceOriginal,
  isBusy,
  memberTempIdentifier,
  RESTORED_TAG,
  RUN_TAG,
  type Run,
  type RunFailure,
  type RunRepository,
  restoreSourceLabel,
  type ServiceSteps,
  type StepContext,
  stepError,
  strategyOf,
  tagValue,
  tempOf,
  type Waiter,
} from '@trapheus/shared';
import { buildClusterCleanupSteps } from './cluster-steps';
import { guardedDelete } from './guarded-delete';

export interface CleanupDeps {
  rds: RDSClient;
  runs: RunRepository;
  waiter: Waiter;
}

/**
 * The original in a status it never leaves by itself cannot be brought back by renames: the rollback stops and a
 * person must look (the run ends FAILED with the state of both names, the database locked).
 */
const failIfBroken = (db: DBInstance, what: string): void =>
  assertNotBroken(db.DBInstanceStatus, `${what} ${db.DBInstanceIdentifier}`);

const describeState = (name: string, db: DBInstance | undefined) =>
  db ? `${name} is ${db.DBInstanceStatus} (resource ${db.DbiResourceId})` : `${name} does not exist`;

export const buildCleanupSteps = ({ rds, runs, waiter }: CleanupDeps): ServiceSteps => {
  /** The exact state of both names, for the person who has to finish by hand. */
  const instanceState = async (run: Run) => {
    const [current, renamed] = await Promise.all([
      describeInstance(rds, run.identifier),
      run.tempIdentifier ? describeInstance(rds, run.tempIdentifier) : Promise.resolve(undefined),
    ]);
    return `${describeState(run.identifier, current)}; ${describeState(run.tempIdentifier ?? '(none)', renamed)}`;
  };
  const clusterState = async (run: Run) => {
    const original = run.original?.kind === 'cluster' ? run.original : undefined;
    const names = [run.identifier, ...(run.tempIdentifier ? [run.tempIdentifier] : [])];
    const parts: string[] = [];
    for (const name of names) {
      const c = await describeCluster(rds, name);
      parts.push(
        c
          ? `cluster ${name} is ${c.Status} (resource ${c.DbClusterResourceId})`
          : `cluster ${name} does not exist`,
      );
    }
    for (const m of original?.members ?? []) {
      for (const name of [m.DBInstanceIdentifier, memberTempIdentifier(m.DBInstanceIdentifier, run.runId)]) {
        parts.push(describeState(name, await describeInstance(rds, name)));
      }
    }
    return parts.join('; ');
  };

  const originalOf = (run: Run) => instanceOriginal(run);
  const instanceWait = (identifier: string, target: string) =>
    ({ resourceType: 'db-instance', identifier, target }) as const;

  /** Deletes one database this run may delete (guarded): see guarded-delete.ts. */
  const deleteGuarded = (run: Run, db: DBInstance, role: 'temp' | 'restored-copy', ctx: StepContext) =>
    guardedDelete(
      { runs, waiter },
      {
        resourceType: 'db-instance',
        guard: (r, asRole) => assertDeletable(r, db, asRole),
        liftProtection: (id) =>
          rds.send(
            new ModifyDBInstanceCommand({
              DBInstanceIdentifier: id,
              DeletionProtection: false,
              ApplyImmediately: true,
            }),
          ),
        snapshotOfThis: async (r) => {
          // A restore to a point in time has no snapshot: the original goes with a final snapshot (its automated
          // backups go with it: DeleteDBInstance DeleteAutomatedBackups "The default is to remove automated backups
          // immediately after the DB instance is deleted").
          if (!r.snapshotIdentifier) return { available: false, ofThis: false };
          const source = await describeSnapshot(rds, r.snapshotIdentifier);
          const available = source?.Status === 'available';
          return {
            available,
            ofThis: available && source?.DbiResourceId === instanceOriginal(r).DbiResourceId,
          };
        },
        remove: (id, finalSnapshot) =>
          rds.send(
            new DeleteDBInstanceCommand({
              DBInstanceIdentifier: id,
              ...(finalSnapshot ? { FinalDBSnapshotIdentifier: finalSnapshot } : { SkipFinalSnapshot: true }),
              // The temp's automated backups are the original's point-in-time history: keep them.
              DeleteAutomatedBackups: false,
            }),
          ),
        alreadyGoing: ['InvalidDBInstanceState', 'DBInstanceNotFound'],
      },
      run,
      {
        id: db.DBInstanceIdentifier ?? '',
        status: db.DBInstanceStatus ?? 'unknown',
        deletionProtection: Boolean(db.DeletionProtection),
        backupRetentionPeriod: db.BackupRetentionPeriod ?? 0,
      },
      role,
      ctx,
    );

  /** A rehearsal's end, its copy deleted (the source was never touched). */
  const rehearsalDeleted = (run: Run, label: string, copy: string): Promise<Run> =>
    runs.transition(run, 'SUCCEEDED', {
      note: `rehearsal ${label} ${copy} deleted`,
      patch: {
        progress: {
          ...run.progress,
          databaseState: `unchanged: the source ${run.identifier} was never touched; the rehearsal's ${label} ${copy} (restored from ${restoreSourceLabel(run)}${typeof run.progress.restoreSeconds === 'number' ? ` in ${run.progress.restoreSeconds}s` : ''}) is deleted`,
        },
      },
    });

  /** CLEANING_UP: delete the temp (a rehearsal: its copy); done when it is gone. */
  const deleteTemp = async (run: Run, ctx: StepContext): Promise<Run> => {
    if (run.rehearsal) {
      const copy = await describeInstance(rds, run.rehearsal.targetIdentifier);
      if (copy) return deleteGuarded(run, copy, 'restored-copy', ctx);
      return rehearsalDeleted(run, 'DB instance', run.rehearsal.targetIdentifier);
    }
    const temp = tempOf(run);
    const db = await describeInstance(rds, temp);
    if (!db) {
      return runs.transition(run, 'SUCCEEDED', {
        note: `temp ${temp} deleted`,
        patch: {
          progress: {
            ...run.progress,
            databaseState: `the restored copy (from ${restoreSourceLabel(run)}) answers under ${run.identifier}; the temp ${temp} is deleted`,
          },
        },
      });
    }
    return deleteGuarded(run, db, 'temp', ctx);
  };

  /** ROLLING_BACK: remove a restored copy if any, then rename the temp back to the original name. */
  const rollBack = async (run: Run, ctx: StepContext): Promise<Run> => {
    const original = originalOf(run);
    const temp = tempOf(run);
    const current = await describeInstance(rds, run.identifier);
    const isOurCopy = current && tagValue(current.TagList, RESTORED_TAG) === run.runId;
    if (current && current.DbiResourceId === original.DbiResourceId && !isOurCopy) {
      const atTemp = await describeInstance(rds, temp);
      if (atTemp?.DbiResourceId === original.DbiResourceId) {
        // Two databases claim to be the original: never guess which one to keep.
        throw stepError(
          'AmbiguousOriginal',
          `${run.identifier} and ${temp} both carry the original's resource id`,
        );
      }
      // A database of another resource id under the temp name is a bystander (it stopped the rename): untouched.
      failIfBroken(current, 'the original');
      if (current.DBInstanceStatus !== 'available') {
        return waiter.waitFor(run, instanceWait(run.identifier, 'available'), ctx.signal);
      }
      // The original answers under its name: a copy still beside it (strategy swap) goes (guarded).
      const side = run.copyIdentifier ? await describeInstance(rds, run.copyIdentifier) : undefined;
      if (side) return deleteGuarded(run, side, 'restored-copy', ctx);
      if (tagValue(current.TagList, RUN_TAG)) {
        await rds.send(
          new RemoveTagsFromResourceCommand({ ResourceName: current.DBInstanceArn, TagKeys: [RUN_TAG] }),
        );
      }
      const renamed = Boolean(run.progress.renameRequestedAt);
      const swap = strategyOf(run) === 'swap';
      const copyGone =
        run.copyIdentifier && run.progress.restoreRequestedAt
          ? `; the copy ${run.copyIdentifier} was deleted`
          : '';
      return runs.transition(run, 'ROLLED_BACK', {
        note: renamed
          ? swap
            ? 'names put back during the swap'
            : 'original back under its name'
          : swap
            ? 'failed before the swap: the original was never moved'
            : 'nothing was renamed',
        patch: {
          progress: {
            ...run.progress,
            ...(run.progress.downtimeStartedAt && !run.progress.downtimeEndedAt
              ? { downtimeEndedAt: ctx.now().toISOString() }
              : {}),
            databaseState: renamed
              ? `the names were put back: the original answers under ${run.identifier} again, unchanged${copyGone}`
              : `unchanged: the original was never renamed and kept answering under ${run.identifier}${copyGone}` +
                (atTemp ? ` (the temp name ${temp} belongs to another database, which was not touched)` : ''),
          },
        },
      });
    }
    if (current) return deleteGuarded(run, current, 'restored-copy', ctx);

    const renamed = await describeInstance(rds, temp);
    if (!renamed) {
      // Neither name answers: a rename (either way) is under way.
      return waiter.waitFor(run, instanceWait(run.identifier, 'available'), ctx.signal);
    }
    if (renamed.DbiResourceId !== original.DbiResourceId) {
      throw stepError('UnexpectedDatabase', `${temp} is not the original captured by this run`);
    }
    failIfBroken(renamed, 'the original, renamed by this run,');
    if (renamed.DBInstanceStatus !== 'available' || renamed.PendingModifiedValues?.DBInstanceIdentifier) {
      return waiter.waitFor(run, instanceWait(temp, 'available'), ctx.signal);
    }
    try {
      await rds.send(
        new ModifyDBInstanceCommand({
          DBInstanceIdentifier: temp,
          NewDBInstanceIdentifier: run.identifier,
          ApplyImmediately: true,
        }),
      );
    } catch (err) {
      // Busy (a backup started) or the name not free yet: look again; never give up on bringing it back.
      if (isBusy(err) || errorCode(err) === 'DBInstanceAlreadyExists') {
        return waiter.waitFor(run, instanceWait(temp, 'available'), ctx.signal);
      }
      throw err;
    }
    ctx.logger.info('renaming the original back', { from: temp, to: run.identifier });
    run = await runs.update(run, {
      progress: { ...run.progress, renameBackRequestedAt: ctx.now().toISOString() },
    });
    return waiter.waitFor(run, instanceWait(run.identifier, 'available'), ctx.signal);
  };

  const onStepFailure = async (run: Run, failure: RunFailure, _ctx: StepContext): Promise<Run> => {
    const temp = run.tempIdentifier ?? '(none)';
    const state = await (run.kind === 'cluster' ? clusterState(run) : instanceState(run));
    if (run.step === 'CLEANING_UP') {
      return runs.transition(run, 'CLEANUP_FAILED', {
        failure,
        patch: {
          reason: `the restored copy is live; the temp ${temp} was kept and must be deleted by hand`,
          progress: { ...run.progress, databaseState: state },
        },
      });
    }
    // `failure` keeps the cause of the rollback; the rollback's own failure goes into the reason. The database
    // stays locked until a person has looked (`trapheus unlock`).
    return runs.transition(run, 'FAILED', {
      note: `rollback failed: ${failure.code}: ${failure.message}`,
      patch: {
        reason: `the rollback could not finish (${failure.code}: ${failure.message}): a person must look`,
        progress: { ...run.progress, databaseState: state, needsPerson: true },
      },
    });
  };

  return {
    service: 'cleanup',
    steps: { CLEANING_UP: deleteTemp, ROLLING_BACK: rollBack },
    clusterSteps: buildClusterCleanupSteps({ rds, runs, waiter }),
    onStepFailure,
  };
};
