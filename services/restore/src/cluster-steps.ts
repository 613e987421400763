/**
 * The restore steps for Aurora clusters: capture the cluster and every member, rename the members and then the
 * cluster to run-unique temp names (freeing the names), restore the cluster snapshot under the original name,
 * create the members under their original names (writer first), then apply what restore does not accept.
 */
import {
  CreateDBInstanceCommand,
  type DBInstance,
  EnableHttpEndpointCommand,
  ModifyDBClusterCommand,
  ModifyDBInstanceCommand,
  type RDSClient,
  RemoveTagsFromResourceCommand,
  RestoreDBClusterFromSnapshotCommand,
} from '@aws-sdk/client-rds';
import {
  attempt,
  buildClusterPostModify,
  buildClusterRestoreInput,
  buildMemberCreateInput,
  captureCluster,
  clusterDrift,
  clusterOriginal,
  describeCluster,
  describeCustomEndpoints,
  describeInstance,
  errorCode,
  FAILED_STATUSES,
  isBusy,
  memberTempIdentifier,
  RESTORED_TAG,
  type Run,
  type RunRepository,
  type StepContext,
  type StepFn,
  stepError,
  syncCustomEndpoints,
  tagThenRename,
  tagValue,
  tempIdentifierFor,
  tempOf,
  type Waiter,
} from '@trapheus/shared';

export const buildClusterRestoreSteps = ({
  rds,
  runs,
  waiter,
}: {
  rds: RDSClient;
  runs: RunRepository;
  waiter: Waiter;
}): Partial<Record<'SNAPSHOT_READY' | 'RENAMING' | 'RESTORING' | 'CONFIGURING', StepFn>> => {
  const originalOf = (run: Run) => clusterOriginal(run);
  const waitInstance = (run: Run, identifier: string, target: string, ctx: StepContext) =>
    waiter.waitFor(run, { resourceType: 'db-instance', identifier, target }, ctx.signal);
  const waitCluster = (run: Run, identifier: string, target: string, ctx: StepContext) =>
    waiter.waitFor(run, { resourceType: 'db-cluster', identifier, target }, ctx.signal);

  /** SNAPSHOT_READY: capture the cluster and each member while everything is available. */
  const captureOriginal: StepFn = async (run, ctx) => {
    const cluster = await describeCluster(rds, run.identifier);
    if (!cluster) throw stepError('DBClusterNotFoundFault', `DB cluster ${run.identifier} not found`);
    if (cluster.Status !== 'available') return waitCluster(run, run.identifier, 'available', ctx);
    const members: DBInstance[] = [];
    for (const m of cluster.DBClusterMembers ?? []) {
      const db = await describeInstance(rds, m.DBInstanceIdentifier ?? '');
      if (!db) throw stepError('DBInstanceNotFound', `member ${m.DBInstanceIdentifier} not found`);
      if (db.DBInstanceStatus !== 'available')
        return waitInstance(run, db.DBInstanceIdentifier ?? '', 'available', ctx);
      members.push(db);
    }
    const original = captureCluster(cluster, members, await describeCustomEndpoints(rds, run.identifier));
    ctx.logger.info('captured the original cluster', { original });
    return runs.transition(run, 'RENAMING', {
      patch: {
        original,
        tempIdentifier: tempIdentifierFor(run.identifier, run.runId),
      },
    });
  };

  /** RENAMING: every member to its temp name (in parallel), then the cluster (RDS-EVENT-0172). */
  const renameOriginal: StepFn = async (run, ctx) => {
    const original = originalOf(run);
    const pending: string[] = [];
    for (const member of original.members) {
      const temp = memberTempIdentifier(member.DBInstanceIdentifier, run.runId);
      const renamed = await describeInstance(rds, temp);
      if (renamed) {
        if (renamed.DbiResourceId !== member.DbiResourceId)
          throw stepError('TempNameTaken', `${temp} is taken by another database`);
        if (renamed.DBInstanceStatus !== 'available') pending.push(temp);
        continue;
      }
      const db = await describeInstance(rds, member.DBInstanceIdentifier);
      if (db?.DBInstanceStatus !== 'available' || db.PendingModifiedValues?.DBInstanceIdentifier) {
        pending.push(temp); // a rename under way: neither name answers for a while, and no event comes
        continue;
      }
      if (db.DbiResourceId !== member.DbiResourceId) {
        throw stepError(
          'UnexpectedDatabase',
          `${member.DBInstanceIdentifier} is no longer the member captured by this run`,
        );
      }
      const result = await tagThenRename(rds, {
        arn: db.DBInstanceArn,
        runId: run.runId,
        rename: () =>
          rds.send(
            new ModifyDBInstanceCommand({
              DBInstanceIdentifier: member.DBInstanceIdentifier,
              NewDBInstanceIdentifier: temp,
              ApplyImmediately: true,
            }),
          ),
      });
      const sent = result === 'requested';
      if (sent) ctx.logger.info('member rename requested', { from: member.DBInstanceIdentifier, to: temp });
      pending.push(temp);
    }
    const [first] = pending;
    if (first) return waitInstance(run, first, 'available', ctx);

    const temp = tempOf(run);
    const renamed = await describeCluster(rds, temp);
    if (renamed) {
      if (renamed.DbClusterResourceId !== original.DbClusterResourceId) {
        throw stepError('TempNameTaken', `cluster name ${temp} is taken by another cluster`);
      }
      if (renamed.Status === 'available') {
        return runs.transition(run, 'RESTORING', {
          note: `cluster and ${original.members.length} members renamed`,
        });
      }
      return waitCluster(run, temp, 'available', ctx);
    }
    const cluster = await describeCluster(rds, run.identifier);
    if (!cluster) return waitCluster(run, temp, 'available', ctx);
    if (cluster.DbClusterResourceId !== original.DbClusterResourceId) {
      throw stepError(
        'UnexpectedDatabase',
        `${run.identifier} is no longer the cluster captured by this run`,
      );
    }
    if (cluster.Status !== 'available') return waitCluster(run, run.identifier, 'available', ctx);
    const result = await tagThenRename(rds, {
      arn: cluster.DBClusterArn,
      runId: run.runId,
      rename: () =>
        rds.send(
          new ModifyDBClusterCommand({
            DBClusterIdentifier: run.identifier,
            NewDBClusterIdentifier: temp,
            ApplyImmediately: true,
          }),
        ),
    });
    if (result === 'busy') return waitCluster(run, run.identifier, 'available', ctx);
    if (result === 'gone') return waitCluster(run, temp, 'available', ctx);
    ctx.logger.info('cluster rename requested', { from: run.identifier, to: temp });
    run = await runs.update(run, {
      progress: { ...run.progress, renameRequestedAt: ctx.now().toISOString() },
    });
    return waitCluster(run, temp, 'available', ctx);
  };

  /** RESTORING: the cluster from its snapshot, then each member, the writer first. */
  const restoreCluster: StepFn = async (run, ctx) => {
    const original = originalOf(run);
    const cluster = await describeCluster(rds, run.identifier);
    if (!cluster) {
      try {
        await rds.send(
          new RestoreDBClusterFromSnapshotCommand(
            buildClusterRestoreInput(original, {
              snapshotIdentifier: run.snapshotIdentifier,
              runId: run.runId,
            }),
          ),
        );
      } catch (err) {
        if (errorCode(err) !== 'DBClusterAlreadyExistsFault') throw err;
      }
      run = await runs.update(run, {
        progress: { ...run.progress, restoreRequestedAt: ctx.now().toISOString() },
      });
      return waitCluster(run, run.identifier, 'available', ctx);
    }
    if (
      cluster.DbClusterResourceId === original.DbClusterResourceId ||
      tagValue(cluster.TagList, RESTORED_TAG) !== run.runId
    ) {
      throw stepError('UnexpectedDatabase', `${run.identifier} is not the cluster restored by this run`);
    }
    const status = cluster.Status ?? 'unknown';
    if (FAILED_STATUSES.has(status))
      throw stepError(status, `restored DB cluster ${run.identifier} is ${status}`);
    if (status !== 'available') return waitCluster(run, run.identifier, 'available', ctx);

    const pending: string[] = [];
    let writerReady = false;
    for (const member of original.members) {
      const db = await describeInstance(rds, member.DBInstanceIdentifier);
      if (!db) {
        // Readers only once the writer is up, so the captured writer is the one RDS makes writer.
        if (member.IsClusterWriter || writerReady) {
          await attempt(
            () => rds.send(new CreateDBInstanceCommand(buildMemberCreateInput(original, member, run.runId))),
            (err) => isBusy(err) || errorCode(err) === 'DBInstanceAlreadyExists',
          );
          ctx.logger.info('member create requested', {
            member: member.DBInstanceIdentifier,
            writer: member.IsClusterWriter,
          });
        }
        pending.push(member.DBInstanceIdentifier);
        continue;
      }
      if (db.DbiResourceId === member.DbiResourceId || tagValue(db.TagList, RESTORED_TAG) !== run.runId) {
        throw stepError(
          'UnexpectedDatabase',
          `${member.DBInstanceIdentifier} is not a member created by this run`,
        );
      }
      const memberStatus = db.DBInstanceStatus ?? 'unknown';
      if (FAILED_STATUSES.has(memberStatus)) {
        throw stepError(
          memberStatus,
          `member ${member.DBInstanceIdentifier} of the restored cluster is ${memberStatus}`,
        );
      }
      if (memberStatus !== 'available') pending.push(member.DBInstanceIdentifier);
      else if (member.IsClusterWriter) writerReady = true;
    }
    const [first] = pending;
    if (first) return waitInstance(run, first, 'available', ctx);
    return runs.transition(run, 'CONFIGURING', {
      note: `cluster restored from ${run.snapshotIdentifier} with ${original.members.length} members`,
      patch: { progress: { ...run.progress, restoredResourceId: cluster.DbClusterResourceId ?? '' } },
    });
  };

  /** CONFIGURING: cluster settings restore does not take, verification, then hand over to cleanup. */
  const configureCluster: StepFn = async (run, ctx) => {
    const original = originalOf(run);
    const cluster = await describeCluster(rds, run.identifier);
    if (!cluster || cluster.DbClusterResourceId !== run.progress.restoredResourceId) {
      throw stepError('UnexpectedDatabase', `${run.identifier} is not the cluster restored by this run`);
    }
    const status = cluster.Status ?? 'unknown';
    if (FAILED_STATUSES.has(status))
      throw stepError(status, `restored DB cluster ${run.identifier} is ${status}`);
    const pendingChanges = Object.values(cluster.PendingModifiedValues ?? {}).some(
      (v) => v !== undefined && v !== null,
    );
    if (status !== 'available' || pendingChanges) return waitCluster(run, run.identifier, 'configured', ctx);
    if (!run.progress.modifyRequestedAt) {
      const modify = buildClusterPostModify(original, cluster);
      if (modify && !(await attempt(() => rds.send(new ModifyDBClusterCommand(modify))))) {
        return waitCluster(run, run.identifier, 'configured', ctx);
      }
      run = await runs.update(run, {
        progress: { ...run.progress, modifyRequestedAt: ctx.now().toISOString() },
      });
      if (modify) return waitCluster(run, run.identifier, 'configured', ctx);
    }
    const members: DBInstance[] = [];
    for (const m of original.members) {
      const db = await describeInstance(rds, m.DBInstanceIdentifier);
      if (!db) throw stepError('UnexpectedDatabase', `member ${m.DBInstanceIdentifier} disappeared`);
      if (db.DBInstanceStatus !== 'available')
        return waitInstance(run, m.DBInstanceIdentifier, 'available', ctx);
      members.push(db);
    }
    // RDS API reference, ModifyDBCluster EnableHttpEndpoint is for Serverless v1 only: the Data API of a
    // provisioned or Serverless v2 cluster is turned on with the EnableHttpEndpoint action.
    if (
      original.HttpEndpointEnabled &&
      !cluster.HttpEndpointEnabled &&
      !run.progress.httpEndpointRequestedAt
    ) {
      await rds.send(new EnableHttpEndpointCommand({ ResourceArn: cluster.DBClusterArn }));
      run = await runs.update(run, {
        progress: { ...run.progress, httpEndpointRequestedAt: ctx.now().toISOString() },
      });
      return waitCluster(run, run.identifier, 'configured', ctx);
    }
    // Custom endpoint names are unique in the Region: move them from the temp (the original) to the copy.
    const endpointsMoved = await syncCustomEndpoints(rds, original.CustomEndpoints, {
      target: run.identifier,
      ...(run.tempIdentifier ? { from: run.tempIdentifier } : {}),
    });
    if (!endpointsMoved) return waitCluster(run, run.identifier, 'custom endpoints', ctx);
    const endpoints = original.CustomEndpoints ? await describeCustomEndpoints(rds, run.identifier) : [];
    const drift = clusterDrift(original, cluster, members, endpoints);
    if (drift.length > 0)
      throw stepError(
        'ConfigurationMismatch',
        `restored cluster differs from the original: ${drift.join('; ')}`,
      );
    for (const arn of [cluster.DBClusterArn, ...members.map((m) => m.DBInstanceArn)]) {
      await rds.send(new RemoveTagsFromResourceCommand({ ResourceName: arn, TagKeys: [RESTORED_TAG] }));
    }
    // The engine hands the run over to cleanup (PIPELINE: CLEANING_UP → RestoreCompleted).
    return runs.transition(run, 'CLEANING_UP', {
      note: 'restored cluster and members available and configured',
      patch: {
        progress: {
          ...run.progress,
          databaseState: `the restored cluster (from snapshot ${run.snapshotIdentifier}) answers under ${run.identifier}`,
        },
      },
    });
  };

  return {
    SNAPSHOT_READY: captureOriginal,
    RENAMING: renameOriginal,
    RESTORING: restoreCluster,
    CONFIGURING: configureCluster,
  };
};
