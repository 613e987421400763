/**
 * The restore steps for Aurora clusters: capture the cluster and every member, rename the members and then the
 * cluster to run-unique temp names (freeing the names), restore the cluster snapshot under the original name,
 * create the members under their original names (writer first), then apply what restore does not accept.
 */
import {
  CreateDBInstanceCommand,
  type DBCluster,
  type DBClusterEndpoint,
  type DBInstance,
  EnableHttpEndpointCommand,
  ModifyDBClusterCommand,
  ModifyDBInstanceCommand,
  type RDSClient,
  RemoveTagsFromResourceCommand,
  RestoreDBClusterFromSnapshotCommand,
  RestoreDBClusterToPointInTimeCommand,
} from '@aws-sdk/client-rds';
import {
  asOriginalNames,
  assertNotBroken,
  attempt,
  buildClusterPointInTimeRestoreInput,
  buildClusterPostModify,
  buildClusterRestoreInput,
  buildMemberCreateInput,
  captureCluster,
  clusterDrift,
  clusterOriginal,
  copyIdentifierFor,
  copyNameOf,
  describeCluster,
  describeCustomEndpoints,
  describeInstance,
  errorCode,
  FAILED_STATUSES,
  isBusy,
  isNotFound,
  memberCopyIdentifier,
  memberTempIdentifier,
  type Publisher,
  pointInTimeSourceOf,
  RESTORED_TAG,
  type Run,
  type RunRepository,
  restoreSourceLabel,
  type StepContext,
  type StepFn,
  stepError,
  strategyOf,
  syncCustomEndpoints,
  tagThenRename,
  tagValue,
  tempIdentifierFor,
  tempOf,
  type Waiter,
} from '@trapheus/shared';
import { defaultSecretReader, masterPasswordFor, type SecretReader } from './master-password';
import { endRehearsal } from './rehearsal';
import { buildVerifyStep } from './verify';

export const buildClusterRestoreSteps = ({
  rds,
  runs,
  waiter,
  publish,
  verifyTimeScale = 1,
  readSecret = defaultSecretReader,
}: {
  rds: RDSClient;
  runs: RunRepository;
  waiter: Waiter;
  publish: Publisher;
  verifyTimeScale?: number;
  /** Reads the request's master password secret (Secrets Manager GetSecretValue by default). */
  readSecret?: SecretReader;
}): Partial<
  Record<'SNAPSHOT_READY' | 'RENAMING' | 'RESTORING' | 'CONFIGURING' | 'VERIFYING' | 'SWAPPING', StepFn>
> => {
  const originalOf = (run: Run) => clusterOriginal(run);
  /** The name a copy member is created and configured under (its side name for swap). */
  const memberNameOf = (run: Run, memberId: string) =>
    strategyOf(run) === 'swap' ? memberCopyIdentifier(memberId, run.runId) : memberId;
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
    if (run.masterPasswordSecretArn && original.ManageMasterUserPassword) {
      // Intake checked it; the cluster's password became managed since (the two are exclusive).
      throw stepError(
        'InvalidRequest',
        `field "masterPasswordSecretArn" cannot be used: the master password of cluster ${run.identifier} is now managed by RDS in Secrets Manager`,
      );
    }
    const swap = strategyOf(run) === 'swap';
    return runs.transition(run, swap ? 'RESTORING' : 'RENAMING', {
      patch: {
        original,
        tempIdentifier: tempIdentifierFor(run.identifier, run.runId),
        // A rehearsal restores under its own new name (and never swaps).
        ...(swap
          ? {
              copyIdentifier: run.rehearsal?.targetIdentifier ?? copyIdentifierFor(run.identifier, run.runId),
            }
          : {}),
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
        assertNotBroken(renamed.DBInstanceStatus, `member ${temp} (renamed by this run)`);
        if (renamed.DBInstanceStatus !== 'available') pending.push(temp);
        continue;
      }
      const db = await describeInstance(rds, member.DBInstanceIdentifier);
      if (db?.DbiResourceId === member.DbiResourceId) {
        assertNotBroken(db.DBInstanceStatus, `member ${member.DBInstanceIdentifier}`);
      }
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
      assertNotBroken(renamed.Status, `cluster ${temp} (renamed by this run)`);
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
    const name = copyNameOf(run);
    const cluster = await describeCluster(rds, name);
    if (!cluster) {
      try {
        if (run.cloneSource) {
          // clone_from: a copy-on-write clone of another cluster at its latest time, with this one's settings.
          await rds.send(
            new RestoreDBClusterToPointInTimeCommand({
              ...buildClusterPointInTimeRestoreInput(original, {
                source: run.cloneSource,
                point: { latest: true },
                runId: run.runId,
                targetIdentifier: name,
              }),
              // RDS API reference, RestoreDBClusterToPointInTime RestoreType: "copy-on-write - The new DB cluster is
              // restored as a clone of the source DB cluster."
              RestoreType: 'copy-on-write',
            }),
          );
        } else if (run.restorePoint) {
          // From the original's backups: under its own name (swap) or the temp name (rename_first).
          await rds.send(
            new RestoreDBClusterToPointInTimeCommand(
              buildClusterPointInTimeRestoreInput(original, {
                source: pointInTimeSourceOf(run),
                point: run.restorePoint,
                runId: run.runId,
                targetIdentifier: name,
              }),
            ),
          );
        } else {
          await rds.send(
            new RestoreDBClusterFromSnapshotCommand(
              buildClusterRestoreInput(original, {
                snapshotIdentifier: run.snapshotIdentifier,
                runId: run.runId,
                targetIdentifier: name,
              }),
            ),
          );
        }
      } catch (err) {
        if (errorCode(err) !== 'DBClusterAlreadyExistsFault') throw err;
      }
      run = await runs.update(run, {
        progress: { ...run.progress, restoreRequestedAt: ctx.now().toISOString() },
      });
      return waitCluster(run, name, 'available', ctx);
    }
    if (
      cluster.DbClusterResourceId === original.DbClusterResourceId ||
      tagValue(cluster.TagList, RESTORED_TAG) !== run.runId
    ) {
      throw stepError('UnexpectedDatabase', `${name} is not the cluster restored by this run`);
    }
    const status = cluster.Status ?? 'unknown';
    if (FAILED_STATUSES.has(status)) throw stepError(status, `restored DB cluster ${name} is ${status}`);
    if (status !== 'available') return waitCluster(run, name, 'available', ctx);

    const pending: string[] = [];
    let writerReady = false;
    for (const member of original.members) {
      const memberName = memberNameOf(run, member.DBInstanceIdentifier);
      const db = await describeInstance(rds, memberName);
      if (!db) {
        // Readers only once the writer is up, so the captured writer is the one RDS makes writer.
        if (member.IsClusterWriter || writerReady) {
          await attempt(
            () =>
              rds.send(
                new CreateDBInstanceCommand(
                  buildMemberCreateInput(original, member, run.runId, { cluster: name, member: memberName }),
                ),
              ),
            (err) => isBusy(err) || errorCode(err) === 'DBInstanceAlreadyExists',
          );
          ctx.logger.info('member create requested', { member: memberName, writer: member.IsClusterWriter });
        }
        pending.push(memberName);
        continue;
      }
      if (db.DbiResourceId === member.DbiResourceId || tagValue(db.TagList, RESTORED_TAG) !== run.runId) {
        throw stepError('UnexpectedDatabase', `${memberName} is not a member created by this run`);
      }
      const memberStatus = db.DBInstanceStatus ?? 'unknown';
      if (FAILED_STATUSES.has(memberStatus)) {
        throw stepError(memberStatus, `member ${memberName} of the restored cluster is ${memberStatus}`);
      }
      if (memberStatus !== 'available') pending.push(memberName);
      else if (member.IsClusterWriter) writerReady = true;
    }
    const [first] = pending;
    if (first) return waitInstance(run, first, 'available', ctx);
    return runs.transition(run, 'CONFIGURING', {
      note: `cluster restored from ${restoreSourceLabel(run)} with ${original.members.length} members${name !== run.identifier ? ` as ${name}` : ''}`,
      patch: { progress: { ...run.progress, restoredResourceId: cluster.DbClusterResourceId ?? '' } },
    });
  };

  /** The copy's members, under the names they have now (side names before the swap). */
  const copyMembers = async (
    run: Run,
    ctx: StepContext,
    names: (memberId: string) => string,
  ): Promise<DBInstance[] | Run> => {
    const members: DBInstance[] = [];
    for (const m of originalOf(run).members) {
      const name = names(m.DBInstanceIdentifier);
      const db = await describeInstance(rds, name);
      if (!db) throw stepError('UnexpectedDatabase', `member ${name} disappeared`);
      if (db.DBInstanceStatus !== 'available') return waitInstance(run, name, 'available', ctx);
      members.push(db);
    }
    return members;
  };

  /** Drift of the copy (under whatever names it has) against the capture, over the ledger's fields. */
  const copyDrift = (run: Run, cluster: DBCluster, members: DBInstance[], endpoints: DBClusterEndpoint[]) => {
    const view = asOriginalNames(run, cluster, members);
    return clusterDrift(originalOf(run), view.cluster, view.members, endpoints);
  };

  /** The configured copy answers under the names: untag it and hand over to cleanup (it deletes the temp). */
  const commitCopy = async (run: Run, cluster: DBCluster, members: DBInstance[]) => {
    for (const arn of [cluster.DBClusterArn, ...members.map((m) => m.DBInstanceArn)]) {
      await rds.send(new RemoveTagsFromResourceCommand({ ResourceName: arn, TagKeys: [RESTORED_TAG] }));
    }
    // The engine hands the run over to cleanup (PIPELINE: CLEANING_UP → RestoreCompleted).
    return runs.transition(run, 'CLEANING_UP', {
      note: 'restored cluster and members available and configured under the names',
      patch: {
        progress: {
          ...run.progress,
          databaseState: `the restored cluster (from ${restoreSourceLabel(run)}) answers under ${run.identifier}`,
          // The restored cluster's own managed master password secret (a new ARN).
          ...(cluster.MasterUserSecret?.SecretArn
            ? { masterUserSecretArn: cluster.MasterUserSecret.SecretArn }
            : {}),
        },
      },
    });
  };

  /** CONFIGURING: cluster settings restore does not take, then verification; then the swap (or cleanup). */
  const configureCluster: StepFn = async (run, ctx) => {
    const original = originalOf(run);
    const name = copyNameOf(run);
    const swap = strategyOf(run) === 'swap';
    const cluster = await describeCluster(rds, name);
    if (!cluster || cluster.DbClusterResourceId !== run.progress.restoredResourceId) {
      throw stepError('UnexpectedDatabase', `${name} is not the cluster restored by this run`);
    }
    const status = cluster.Status ?? 'unknown';
    if (FAILED_STATUSES.has(status)) throw stepError(status, `restored DB cluster ${name} is ${status}`);
    const pendingChanges = Object.values(cluster.PendingModifiedValues ?? {}).some(
      (v) => v !== undefined && v !== null,
    );
    if (status !== 'available' || pendingChanges) return waitCluster(run, name, 'configured', ctx);
    if (!run.progress.modifyRequestedAt) {
      const modify = buildClusterPostModify(original, cluster);
      // The request's secret replaces the snapshot's master password on the cluster (RDS API reference,
      // ModifyDBInstance MasterUserPassword does not apply to Aurora: "The password for the master user is managed
      // by the DB cluster"; ModifyDBCluster MasterUserPassword: 8 to 41 characters). Read now, never logged.
      const password = await masterPasswordFor(run, cluster.Engine, readSecret);
      const input =
        modify || password !== undefined
          ? {
              ...(modify ?? { DBClusterIdentifier: cluster.DBClusterIdentifier, ApplyImmediately: true }),
              ...(password !== undefined ? { MasterUserPassword: password } : {}),
            }
          : undefined;
      if (input && !(await attempt(() => rds.send(new ModifyDBClusterCommand(input))))) {
        return waitCluster(run, name, 'configured', ctx);
      }
      if (password !== undefined) {
        ctx.logger.info('master password set from the request secret', {
          secret: run.masterPasswordSecretArn,
        });
      }
      run = await runs.update(run, {
        progress: {
          ...run.progress,
          modifyRequestedAt: ctx.now().toISOString(),
          ...(password !== undefined ? { masterPasswordSetAt: ctx.now().toISOString() } : {}),
        },
      });
      if (input) return waitCluster(run, name, 'configured', ctx);
    }
    const members = await copyMembers(run, ctx, (id) => memberNameOf(run, id));
    if (!Array.isArray(members)) return members;
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
      return waitCluster(run, name, 'configured', ctx);
    }
    if (swap) {
      // Everything but the names and the custom endpoints (which the original still uses) is in place: swap.
      const drift = copyDrift(run, cluster, members, []).filter((d) => !d.startsWith('CustomEndpoints'));
      if (drift.length > 0) {
        throw stepError(
          'ConfigurationMismatch',
          `restored cluster differs from the original: ${drift.join('; ')}`,
        );
      }
      if (run.rehearsal && !run.verification) return endRehearsal(runs, run, 'DB cluster');
      return runs.transition(run, run.verification ? 'VERIFYING' : 'SWAPPING', {
        note: `restored cluster ${name} available and configured${run.verification ? `; waiting for hooks ${run.verification.hooks.join(', ')}` : ''}`,
      });
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
    if (run.verification) {
      return runs.transition(run, 'VERIFYING', {
        note: `restored cluster available and configured under the names; waiting for hooks ${run.verification.hooks.join(', ')}`,
      });
    }
    return commitCopy(run, cluster, members);
  };

  /**
   * SWAPPING (strategy swap): the original's members and then the original cluster to their temp names, the copy
   * cluster to the original name and its members to the original member names; then the custom endpoints move
   * to the copy, the copy is checked against the capture, untagged, and handed to cleanup. One action per call.
   */
  const swapCluster: StepFn = async (run, ctx) => {
    const original = originalOf(run);
    const temp = tempOf(run);
    const side = copyNameOf(run);
    const copyId = run.progress.restoredResourceId;
    const startDowntime = async () => {
      if (run.progress.downtimeStartedAt) return;
      run = await runs.update(run, {
        progress: {
          ...run.progress,
          downtimeStartedAt: ctx.now().toISOString(),
          renameRequestedAt: ctx.now().toISOString(),
        },
      });
    };

    // 1. The original's members step aside (the cluster endpoint still answers meanwhile).
    const pending: string[] = [];
    for (const member of original.members) {
      const memberTemp = memberTempIdentifier(member.DBInstanceIdentifier, run.runId);
      const atName = await describeInstance(rds, member.DBInstanceIdentifier);
      if (atName?.DbiResourceId !== member.DbiResourceId) {
        const aside = await describeInstance(rds, memberTemp);
        if (aside && aside.DbiResourceId !== member.DbiResourceId) {
          throw stepError('TempNameTaken', `${memberTemp} is taken by another database`);
        }
        assertNotBroken(aside?.DBInstanceStatus, `member ${memberTemp} (renamed by this run)`);
        if (aside?.DBInstanceStatus !== 'available') pending.push(memberTemp);
        continue;
      }
      assertNotBroken(atName.DBInstanceStatus, `member ${member.DBInstanceIdentifier}`);
      if (atName.DBInstanceStatus !== 'available' || atName.PendingModifiedValues?.DBInstanceIdentifier) {
        pending.push(member.DBInstanceIdentifier);
        continue;
      }
      if (await describeInstance(rds, memberTemp)) {
        throw stepError('TempNameTaken', `${memberTemp} is taken by another database`);
      }
      await startDowntime();
      const result = await tagThenRename(rds, {
        arn: atName.DBInstanceArn,
        runId: run.runId,
        rename: () =>
          rds.send(
            new ModifyDBInstanceCommand({
              DBInstanceIdentifier: member.DBInstanceIdentifier,
              NewDBInstanceIdentifier: memberTemp,
              ApplyImmediately: true,
            }),
          ),
      });
      if (result === 'requested')
        ctx.logger.info('swap: member renamed aside', { member: member.DBInstanceIdentifier });
      pending.push(memberTemp);
    }
    const [firstPending] = pending;
    if (firstPending) return waitInstance(run, firstPending, 'available', ctx);

    // 2. The original cluster steps aside; 3. the copy takes its name.
    const atName = await describeCluster(rds, run.identifier);
    if (atName?.DbClusterResourceId === original.DbClusterResourceId) {
      assertNotBroken(atName.Status, `cluster ${run.identifier}`);
      if (atName.Status !== 'available') return waitCluster(run, run.identifier, 'available', ctx);
      if (await describeCluster(rds, temp)) throw stepError('TempNameTaken', `cluster name ${temp} is taken`);
      await startDowntime();
      const result = await tagThenRename(rds, {
        arn: atName.DBClusterArn,
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
      ctx.logger.info('swap: original cluster renamed aside', { to: temp });
      return waitCluster(run, temp, 'available', ctx);
    }
    if (!atName) {
      const aside = await describeCluster(rds, temp);
      if (aside && aside.DbClusterResourceId !== original.DbClusterResourceId) {
        throw stepError('UnexpectedDatabase', `cluster ${temp} is not the original captured by this run`);
      }
      assertNotBroken(aside?.Status, `the original cluster ${temp}`);
      if (aside?.Status !== 'available') return waitCluster(run, temp, 'available', ctx);
      const copy = await describeCluster(rds, side);
      if (!copy) return waitCluster(run, run.identifier, 'available', ctx);
      if (copy.DbClusterResourceId !== copyId)
        throw stepError('UnexpectedDatabase', `${side} is not this run's copy`);
      if (copy.Status !== 'available') return waitCluster(run, side, 'available', ctx);
      const sent = await attempt(
        () =>
          rds.send(
            new ModifyDBClusterCommand({
              DBClusterIdentifier: side,
              NewDBClusterIdentifier: run.identifier,
              ApplyImmediately: true,
            }),
          ),
        (err) => isBusy(err) || isNotFound(err) || errorCode(err) === 'DBClusterAlreadyExistsFault',
      );
      if (sent) ctx.logger.info('swap: copy cluster renamed to the name', { from: side });
      return waitCluster(run, run.identifier, 'available', ctx);
    }
    if (atName.DbClusterResourceId !== copyId) {
      throw stepError('UnexpectedDatabase', `${run.identifier} is neither the original nor this run's copy`);
    }
    if (atName.Status !== 'available') return waitCluster(run, run.identifier, 'available', ctx);

    // 4. The copy's members take the original member names.
    const waiting: string[] = [];
    for (const member of original.members) {
      const sideName = memberCopyIdentifier(member.DBInstanceIdentifier, run.runId);
      const atMemberName = await describeInstance(rds, member.DBInstanceIdentifier);
      if (atMemberName) {
        if (
          atMemberName.DBClusterIdentifier !== run.identifier ||
          atMemberName.DbiResourceId === member.DbiResourceId
        ) {
          throw stepError(
            'UnexpectedDatabase',
            `${member.DBInstanceIdentifier} is not a member of this run's copy`,
          );
        }
        if (atMemberName.DBInstanceStatus !== 'available') waiting.push(member.DBInstanceIdentifier);
        continue;
      }
      const copyMember = await describeInstance(rds, sideName);
      if (
        copyMember?.DBInstanceStatus === 'available' &&
        !copyMember.PendingModifiedValues?.DBInstanceIdentifier
      ) {
        await attempt(
          () =>
            rds.send(
              new ModifyDBInstanceCommand({
                DBInstanceIdentifier: sideName,
                NewDBInstanceIdentifier: member.DBInstanceIdentifier,
                ApplyImmediately: true,
              }),
            ),
          (err) => isBusy(err) || isNotFound(err) || errorCode(err) === 'DBInstanceAlreadyExists',
        );
        ctx.logger.info('swap: copy member renamed to the name', { member: member.DBInstanceIdentifier });
      }
      waiting.push(member.DBInstanceIdentifier);
    }
    const [firstWaiting] = waiting;
    if (firstWaiting) return waitInstance(run, firstWaiting, 'available', ctx);

    // 5. The custom endpoints move from the original (now under the temp name) to the copy.
    if (!(await syncCustomEndpoints(rds, original.CustomEndpoints, { target: run.identifier, from: temp }))) {
      return waitCluster(run, run.identifier, 'custom endpoints', ctx);
    }
    const members = await copyMembers(run, ctx, (id) => id);
    if (!Array.isArray(members)) return members;
    const endpoints = original.CustomEndpoints ? await describeCustomEndpoints(rds, run.identifier) : [];
    const drift = clusterDrift(original, atName, members, endpoints);
    if (drift.length > 0) {
      throw stepError(
        'ConfigurationMismatch',
        `the copy under ${run.identifier} differs: ${drift.join('; ')}`,
      );
    }
    run = await runs.update(run, {
      progress: { ...run.progress, downtimeEndedAt: run.progress.downtimeEndedAt ?? ctx.now().toISOString() },
    });
    return commitCopy(run, atName, members);
  };

  /** The copy cluster as the hooks reach it (its side name for swap, the name for rename_first). */
  const copyCluster = async (run: Run): Promise<DBCluster> => {
    const name = copyNameOf(run);
    const cluster = await describeCluster(rds, name);
    if (!cluster || cluster.DbClusterResourceId !== run.progress.restoredResourceId) {
      throw stepError('UnexpectedDatabase', `${name} is not the cluster restored by this run`);
    }
    return cluster;
  };

  /** VERIFYING: the hooks check the copy cluster (its writer endpoint); every one ok → swap, or commit. */
  const verifyCluster = buildVerifyStep({
    runs,
    waiter,
    publish,
    timeScale: verifyTimeScale,
    describeCopy: async (run) => {
      const cluster = await copyCluster(run);
      return {
        copyIdentifier: copyNameOf(run),
        endpoint: { address: cluster.Endpoint ?? '', port: cluster.Port ?? 0 },
        engine: cluster.Engine ?? '',
      };
    },
    commit: async (run, ctx) => {
      if (run.rehearsal) return endRehearsal(runs, run, 'DB cluster');
      if (strategyOf(run) === 'swap') {
        return runs.transition(run, 'SWAPPING', {
          note: `verified by ${run.verification?.hooks.join(', ') ?? ''}`,
        });
      }
      const cluster = await copyCluster(run);
      const members = await copyMembers(run, ctx, (id) => id);
      if (!Array.isArray(members)) return members;
      return commitCopy(run, cluster, members);
    },
  });

  return {
    SNAPSHOT_READY: captureOriginal,
    RENAMING: renameOriginal,
    RESTORING: restoreCluster,
    CONFIGURING: configureCluster,
    VERIFYING: verifyCluster,
    SWAPPING: swapCluster,
  };
};
