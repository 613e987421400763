/**
 * Cleanup for Aurora clusters. After success: delete the temp members, then the temp cluster (guarded, with
 * deletion protection lifted first). After a failure: delete whatever of the new cluster exists (members
 * first), rename the temp cluster and then its members back, and untag them.
 */
import {
  type DBCluster,
  type DBInstance,
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  ModifyDBClusterCommand,
  ModifyDBInstanceCommand,
  type RDSClient,
  RemoveTagsFromResourceCommand,
} from '@aws-sdk/client-rds';
import {
  assertClusterDeletable,
  assertMemberDeletable,
  assertNotBroken,
  attempt,
  clusterOriginal,
  describeCluster,
  describeClusterSnapshot,
  describeInstance,
  errorCode,
  FAILED_STATUSES,
  isBusy,
  memberTempIdentifier,
  RUN_TAG,
  type Run,
  type RunRepository,
  restoreSourceLabel,
  type StepContext,
  type StepFn,
  stepError,
  strategyOf,
  syncCustomEndpoints,
  tagValue,
  tempOf,
  type Waiter,
} from '@trapheus/shared';
import { guardedDelete } from './guarded-delete';

const settled = (status: string | undefined) => status === 'available' || FAILED_STATUSES.has(status ?? '');

export const buildClusterCleanupSteps = ({
  rds,
  runs,
  waiter,
}: {
  rds: RDSClient;
  runs: RunRepository;
  waiter: Waiter;
}): Partial<Record<'CLEANING_UP' | 'ROLLING_BACK', StepFn>> => {
  const originalOf = (run: Run) => clusterOriginal(run);
  const waitInstance = (run: Run, identifier: string, target: string, ctx: StepContext) =>
    waiter.waitFor(run, { resourceType: 'db-instance', identifier, target }, ctx.signal);
  const waitCluster = (run: Run, identifier: string, target: string, ctx: StepContext) =>
    waiter.waitFor(run, { resourceType: 'db-cluster', identifier, target }, ctx.signal);

  /** Deletes a member this run may delete; returns the identifier to wait on, or undefined when gone. */
  const deleteMember = async (run: Run, db: DBInstance, role: 'temp' | 'restored-copy', ctx: StepContext) => {
    const id = db.DBInstanceIdentifier ?? '';
    if (db.DBInstanceStatus === 'deleting') return id;
    assertMemberDeletable(run, db, role);
    if (!settled(db.DBInstanceStatus)) return id;
    try {
      // Aurora members keep no final snapshot of their own: the cluster's storage is what matters.
      await rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: id, SkipFinalSnapshot: true }));
    } catch (err) {
      if (!['InvalidDBInstanceState', 'DBInstanceNotFound'].includes(errorCode(err))) throw err;
    }
    ctx.logger.info('member delete requested', { id, role });
    return id;
  };

  /** Deletes a cluster this run may delete once it has no members (guarded): see guarded-delete.ts. */
  const deleteCluster = (run: Run, cluster: DBCluster, role: 'temp' | 'restored-copy', ctx: StepContext) =>
    guardedDelete(
      { runs, waiter },
      {
        resourceType: 'db-cluster',
        guard: (r, asRole) => assertClusterDeletable(r, cluster, asRole),
        liftProtection: (id) =>
          rds.send(
            new ModifyDBClusterCommand({
              DBClusterIdentifier: id,
              DeletionProtection: false,
              ApplyImmediately: true,
            }),
          ),
        snapshotOfThis: async (r) => {
          // A restore to a point in time has no snapshot: the original goes with a final snapshot.
          if (!r.snapshotIdentifier) return { available: false, ofThis: false };
          const source = await describeClusterSnapshot(rds, r.snapshotIdentifier);
          const available = source?.Status === 'available';
          return {
            available,
            ofThis: available && source?.DbClusterResourceId === clusterOriginal(r).DbClusterResourceId,
          };
        },
        remove: (id, finalSnapshot) =>
          rds.send(
            new DeleteDBClusterCommand({
              DBClusterIdentifier: id,
              ...(finalSnapshot ? { FinalDBSnapshotIdentifier: finalSnapshot } : { SkipFinalSnapshot: true }),
              // The temp's automated backups are the original cluster's point-in-time history: keep them.
              DeleteAutomatedBackups: false,
            }),
          ),
        alreadyGoing: ['InvalidDBClusterStateFault', 'DBClusterNotFoundFault'],
      },
      run,
      {
        id: cluster.DBClusterIdentifier ?? '',
        status: cluster.Status ?? 'unknown',
        deletionProtection: Boolean(cluster.DeletionProtection),
        backupRetentionPeriod: cluster.BackupRetentionPeriod ?? 0,
      },
      role,
      ctx,
    );

  /** Deletes a copy this run restored (its members first, whatever their names), guarded. */
  const deleteCopyCluster = async (run: Run, copy: DBCluster, ctx: StepContext): Promise<Run> => {
    const pending: string[] = [];
    for (const m of copy.DBClusterMembers ?? []) {
      const db = await describeInstance(rds, m.DBInstanceIdentifier ?? '');
      if (db) pending.push(await deleteMember(run, db, 'restored-copy', ctx));
    }
    const [first] = pending;
    if (first) return waitInstance(run, first, 'deleted', ctx);
    return deleteCluster(run, copy, 'restored-copy', ctx);
  };

  /** CLEANING_UP: temp members, then the temp cluster (a rehearsal: its copy's members, then the copy). */
  const deleteTemp: StepFn = async (run, ctx) => {
    if (run.rehearsal) {
      const copy = await describeCluster(rds, run.rehearsal.targetIdentifier);
      if (copy) return deleteCopyCluster(run, copy, ctx);
      const seconds = run.progress.restoreSeconds;
      return runs.transition(run, 'SUCCEEDED', {
        note: `rehearsal DB cluster ${run.rehearsal.targetIdentifier} and its members deleted`,
        patch: {
          progress: {
            ...run.progress,
            databaseState: `unchanged: the source ${run.identifier} was never touched; the rehearsal's DB cluster ${run.rehearsal.targetIdentifier} (restored from ${restoreSourceLabel(run)}${typeof seconds === 'number' ? ` in ${seconds}s` : ''}) is deleted`,
          },
        },
      });
    }
    const original = originalOf(run);
    const pending: string[] = [];
    for (const member of original.members) {
      const temp = memberTempIdentifier(member.DBInstanceIdentifier, run.runId);
      const db = await describeInstance(rds, temp);
      if (db) pending.push(await deleteMember(run, db, 'temp', ctx));
    }
    const [first] = pending;
    if (first) return waitInstance(run, first, 'deleted', ctx);
    const cluster = await describeCluster(rds, tempOf(run));
    if (cluster) return deleteCluster(run, cluster, 'temp', ctx);
    return runs.transition(run, 'SUCCEEDED', {
      note: `temp cluster ${run.tempIdentifier} and its members deleted`,
      patch: {
        progress: {
          ...run.progress,
          databaseState: `the restored cluster (from ${restoreSourceLabel(run)}) answers under ${run.identifier}; the temp cluster ${run.tempIdentifier} is deleted`,
        },
      },
    });
  };

  /** ROLLING_BACK: new members and cluster away, temp cluster and members back under their names. */
  const rollBack: StepFn = async (run, ctx) => {
    const original = originalOf(run);
    const temp = tempOf(run);
    const current = await describeCluster(rds, run.identifier);
    if (current && current.DbClusterResourceId !== original.DbClusterResourceId) {
      return deleteCopyCluster(run, current, ctx);
    }
    if (!current) {
      const renamed = await describeCluster(rds, temp);
      if (!renamed) return waitCluster(run, run.identifier, 'available', ctx);
      if (renamed.DbClusterResourceId !== original.DbClusterResourceId) {
        throw stepError('UnexpectedDatabase', `cluster ${temp} is not the original captured by this run`);
      }
      assertNotBroken(renamed.Status, `the original cluster ${temp}`);
      if (renamed.Status !== 'available') return waitCluster(run, temp, 'available', ctx);
      const sent = await attempt(
        () =>
          rds.send(
            new ModifyDBClusterCommand({
              DBClusterIdentifier: temp,
              NewDBClusterIdentifier: run.identifier,
              ApplyImmediately: true,
            }),
          ),
        (err) => isBusy(err) || errorCode(err) === 'DBClusterAlreadyExistsFault',
      );
      if (!sent) return waitCluster(run, temp, 'available', ctx);
      ctx.logger.info('renaming the cluster back', { from: temp, to: run.identifier });
      return waitCluster(run, run.identifier, 'available', ctx);
    }
    if (current.Status !== 'available') return waitCluster(run, run.identifier, 'available', ctx);
    // The original cluster answers under its name: bring its members back under theirs.
    const pending: string[] = [];
    const back: DBInstance[] = [];
    for (const member of original.members) {
      const db = await describeInstance(rds, member.DBInstanceIdentifier);
      if (db) {
        if (db.DbiResourceId !== member.DbiResourceId) {
          throw stepError('UnexpectedDatabase', `${member.DBInstanceIdentifier} is not the original member`);
        }
        assertNotBroken(db.DBInstanceStatus, `the original member ${member.DBInstanceIdentifier}`);
        if (db.DBInstanceStatus !== 'available') pending.push(member.DBInstanceIdentifier);
        else back.push(db);
        continue;
      }
      const tempId = memberTempIdentifier(member.DBInstanceIdentifier, run.runId);
      const renamed = await describeInstance(rds, tempId);
      if (renamed?.DbiResourceId === member.DbiResourceId) {
        assertNotBroken(renamed.DBInstanceStatus, `the original member ${tempId}`);
      }
      if (renamed?.DBInstanceStatus === 'available' && !renamed.PendingModifiedValues?.DBInstanceIdentifier) {
        if (renamed.DbiResourceId !== member.DbiResourceId)
          throw stepError('UnexpectedDatabase', `${tempId} is not the original member`);
        await attempt(
          () =>
            rds.send(
              new ModifyDBInstanceCommand({
                DBInstanceIdentifier: tempId,
                NewDBInstanceIdentifier: member.DBInstanceIdentifier,
                ApplyImmediately: true,
              }),
            ),
          (err) => isBusy(err) || errorCode(err) === 'DBInstanceAlreadyExists',
        );
        ctx.logger.info('renaming a member back', { from: tempId, to: member.DBInstanceIdentifier });
      }
      pending.push(member.DBInstanceIdentifier);
    }
    const [first] = pending;
    if (first) return waitInstance(run, first, 'available', ctx);
    // Strategy swap: a copy still beside the original (under its side name) goes, members first.
    const side = run.copyIdentifier ? await describeCluster(rds, run.copyIdentifier) : undefined;
    if (side) return deleteCopyCluster(run, side, ctx);
    // Custom endpoints moved to the copy went with it: put them back on the original.
    if (!(await syncCustomEndpoints(rds, original.CustomEndpoints, { target: run.identifier }))) {
      return waitCluster(run, run.identifier, 'custom endpoints', ctx);
    }
    for (const db of [current, ...back]) {
      const arn = 'DBClusterArn' in db ? db.DBClusterArn : (db as DBInstance).DBInstanceArn;
      if (tagValue(db.TagList, RUN_TAG))
        await rds.send(new RemoveTagsFromResourceCommand({ ResourceName: arn, TagKeys: [RUN_TAG] }));
    }
    const renamed = Boolean(run.progress.renameRequestedAt);
    const swap = strategyOf(run) === 'swap';
    return runs.transition(run, 'ROLLED_BACK', {
      note: renamed
        ? swap
          ? 'names put back during the swap'
          : 'original cluster and members back under their names'
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
            ? `the names were put back: the original cluster answers under ${run.identifier} again, unchanged`
            : `unchanged: the original cluster was never renamed and kept answering under ${run.identifier}`,
        },
      },
    });
  };

  return { CLEANING_UP: deleteTemp, ROLLING_BACK: rollBack };
};
