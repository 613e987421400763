/**
 * The restore service's steps: capture the original's configuration, rename it to the run's temp name,
 * restore the snapshot under the original name with that configuration, then apply what restore does not
 * accept. Each step reads RDS first, so a redelivered message neither repeats nor skips an action.
 */
import {
  AddRoleToDBInstanceCommand,
  type DBInstance,
  DescribeDBInstanceAutomatedBackupsCommand,
  ModifyDBInstanceCommand,
  RDSClient,
  RemoveTagsFromResourceCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
  RestoreDBInstanceToPointInTimeCommand,
  StartDBInstanceAutomatedBackupsReplicationCommand,
} from '@aws-sdk/client-rds';
import {
  assertNotBroken,
  buildPointInTimeRestoreInput,
  buildPostRestoreModify,
  buildRestoreInput,
  type CapturedBackupReplication,
  captureInstance,
  configurationDrift,
  copyIdentifierFor,
  copyNameOf,
  describeInstance,
  errorCode,
  FAILED_STATUSES,
  instanceOriginal,
  isBusy,
  isNotFound,
  type Publisher,
  pointInTimeSourceOf,
  RESTORED_TAG,
  type Run,
  type RunFailure,
  type RunRepository,
  regionOfArn,
  restoreSourceLabel,
  retryRemedy,
  type ServiceSteps,
  type StepContext,
  stepError,
  strategyOf,
  tagThenRename,
  tagValue,
  tempIdentifierFor,
  tempOf,
  traceRdsCalls,
  type Waiter,
} from '@trapheus/shared';
import { buildClusterRestoreSteps } from './cluster-steps';
import { defaultSecretReader, masterPasswordFor, type SecretReader } from './master-password';
import { endRehearsal } from './rehearsal';
import { buildVerifyStep } from './verify';

export interface RestoreDeps {
  rds: RDSClient;
  runs: RunRepository;
  waiter: Waiter;
  /** Publishes RestoreVerifying (VERIFYING). */
  publish: Publisher;
  /** Divides a verify timeout: 1 on AWS, the local stack's time scale there (VERIFY_TIME_SCALE). */
  verifyTimeScale?: number;
  /** An RDS client in another Region (cross-Region automated backup replication is managed from there). */
  rdsIn?: (region: string) => RDSClient;
  /** Reads the request's master password secret (Secrets Manager GetSecretValue by default). */
  readSecret?: SecretReader;
}

const regionalClients = new Map<string, RDSClient>();
/** One client per Region, built on first use; the endpoint comes from AWS_ENDPOINT_URL_RDS as usual. */
const defaultRdsIn = (region: string): RDSClient => {
  let client = regionalClients.get(region);
  if (!client) {
    client = traceRdsCalls(new RDSClient({ region, maxAttempts: 4 }));
    regionalClients.set(region, client);
  }
  return client;
};

/**
 * The cross-Region automated backup replications of an instance, each described in its destination Region
 * (retention and KMS key are only known there).
 */
export const describeReplications = async (
  db: DBInstance,
  rdsIn: (region: string) => RDSClient,
): Promise<CapturedBackupReplication[]> => {
  const out: CapturedBackupReplication[] = [];
  for (const r of db.DBInstanceAutomatedBackupsReplications ?? []) {
    const region = regionOfArn(r.DBInstanceAutomatedBackupsArn);
    if (!region) continue;
    const described = await rdsIn(region).send(
      new DescribeDBInstanceAutomatedBackupsCommand({
        DBInstanceAutomatedBackupsArn: r.DBInstanceAutomatedBackupsArn,
      }),
    );
    const backup = described.DBInstanceAutomatedBackups?.[0];
    out.push({
      Region: region,
      ...(backup?.BackupRetentionPeriod !== undefined
        ? { BackupRetentionPeriod: backup.BackupRetentionPeriod }
        : {}),
      ...(backup?.KmsKeyId ? { KmsKeyId: backup.KmsKeyId } : {}),
    });
  }
  return out;
};

/** Post-restore modifies (first one included) before a remaining difference fails the step. */
const MAX_MODIFY_ATTEMPTS = 3;

/** A mutating call RDS may answer "busy" (or "already there", for a redelivered message): true when sent. */
const attemptCall = async (call: () => Promise<unknown>): Promise<boolean> => {
  try {
    await call();
    return true;
  } catch (err) {
    if (isBusy(err)) return false;
    if (errorCode(err) === 'DBInstanceRoleAlreadyExists') return true;
    throw err;
  }
};

/** A database in a status it never leaves by itself (failed, incompatible-…) stops the step: waiting is useless. */
const failIfBroken = (db: DBInstance, what: string): void =>
  assertNotBroken(db.DBInstanceStatus, `${what} ${db.DBInstanceIdentifier}`);

const hasPendingChanges = (db: DBInstance) =>
  Object.values(db.PendingModifiedValues ?? {}).some((v) => v !== undefined && v !== null);

export const buildRestoreSteps = ({
  rds,
  runs,
  waiter,
  publish,
  verifyTimeScale = 1,
  rdsIn = defaultRdsIn,
  readSecret = defaultSecretReader,
}: RestoreDeps): ServiceSteps => {
  const originalOf = (run: Run) => instanceOriginal(run);
  const instanceWait = (identifier: string, target: string) =>
    ({ resourceType: 'db-instance', identifier, target }) as const;

  /** SNAPSHOT_READY: capture the original's configuration before anything is changed. */
  const captureOriginal = async (run: Run, ctx: StepContext): Promise<Run> => {
    const db = await describeInstance(rds, run.identifier);
    if (!db) throw stepError('DBInstanceNotFound', `DB instance ${run.identifier} not found`);
    if (db.DBInstanceStatus !== 'available') {
      return waiter.waitFor(run, instanceWait(run.identifier, 'available'), ctx.signal);
    }
    const original = captureInstance(db, await describeReplications(db, rdsIn));
    ctx.logger.info('captured the original configuration', { original });
    if (run.masterPasswordSecretArn && original.ManageMasterUserPassword) {
      // Intake checked it; the original's password became managed since (the two are exclusive).
      throw stepError(
        'InvalidRequest',
        `field "masterPasswordSecretArn" cannot be used: the master password of ${run.identifier} is now managed by RDS in Secrets Manager`,
      );
    }
    const swap = strategyOf(run) === 'swap';
    // swap: restore beside the original (it keeps serving) under a side name; rename_first: rename it away first.
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

  /** RENAMING: tag the original with the run, rename it to the temp name, wait until it is available. */
  const renameOriginal = async (run: Run, ctx: StepContext): Promise<Run> => {
    const original = originalOf(run);
    const temp = tempOf(run);
    const renamed = await describeInstance(rds, temp);
    if (renamed) {
      if (renamed.DbiResourceId !== original.DbiResourceId) {
        throw stepError('TempNameTaken', `another database already uses the temp name ${temp}`);
      }
      failIfBroken(renamed, 'the original, renamed by this run,');
      if (renamed.DBInstanceStatus === 'available') {
        return runs.transition(run, 'RESTORING', { note: `original renamed to ${temp}` });
      }
      return waiter.waitFor(run, instanceWait(temp, 'available'), ctx.signal);
    }
    const db = await describeInstance(rds, run.identifier);
    if (!db) {
      // Neither name answers: the rename is under way (RDS shows the new name after a while). No event comes.
      return waiter.waitFor(run, instanceWait(temp, 'available'), ctx.signal);
    }
    if (db.DbiResourceId !== original.DbiResourceId) {
      throw stepError(
        'UnexpectedDatabase',
        `${run.identifier} is no longer the database captured by this run`,
      );
    }
    failIfBroken(db, 'the original');
    const pendingRename = db.PendingModifiedValues?.DBInstanceIdentifier === temp;
    if (db.DBInstanceStatus !== 'available' || pendingRename) {
      return waiter.waitFor(run, instanceWait(temp, 'available'), ctx.signal);
    }
    const result = await tagThenRename(rds, {
      arn: db.DBInstanceArn,
      runId: run.runId,
      rename: () =>
        rds.send(
          new ModifyDBInstanceCommand({
            DBInstanceIdentifier: run.identifier,
            NewDBInstanceIdentifier: temp,
            ApplyImmediately: true,
          }),
        ),
    });
    // Busy: rename later. Gone: a concurrent delivery of this same step renamed it a moment ago.
    if (result === 'busy') return waiter.waitFor(run, instanceWait(run.identifier, 'available'), ctx.signal);
    if (result === 'gone') return waiter.waitFor(run, instanceWait(temp, 'available'), ctx.signal);
    ctx.logger.info('rename requested', { from: run.identifier, to: temp });
    run = await runs.update(run, {
      progress: {
        ...run.progress,
        renameRequestedAt: ctx.now().toISOString(),
        downtimeStartedAt: run.progress.downtimeStartedAt ?? ctx.now().toISOString(),
      },
    });
    return waiter.waitFor(run, instanceWait(temp, 'available'), ctx.signal);
  };

  /** RESTORING: restore the snapshot under the original name with the captured configuration. */
  const restoreSnapshot = async (run: Run, ctx: StepContext): Promise<Run> => {
    const original = originalOf(run);
    const name = copyNameOf(run);
    const db = await describeInstance(rds, name);
    if (!db) {
      try {
        if (run.restorePoint) {
          // From the original's automated backups: it is under its own name (swap) or the temp (rename_first).
          await rds.send(
            new RestoreDBInstanceToPointInTimeCommand(
              buildPointInTimeRestoreInput(original, {
                source: pointInTimeSourceOf(run),
                point: run.restorePoint,
                runId: run.runId,
                targetIdentifier: name,
              }),
            ),
          );
        } else {
          await rds.send(
            new RestoreDBInstanceFromDBSnapshotCommand(
              buildRestoreInput(original, {
                snapshotIdentifier: run.snapshotIdentifier,
                runId: run.runId,
                targetIdentifier: name,
              }),
            ),
          );
        }
      } catch (err) {
        if (errorCode(err) !== 'DBInstanceAlreadyExists') throw err;
      }
      ctx.logger.info('restore requested', { from: restoreSourceLabel(run), as: name });
      run = await runs.update(run, {
        progress: { ...run.progress, restoreRequestedAt: ctx.now().toISOString() },
      });
      return waiter.waitFor(run, instanceWait(name, 'available'), ctx.signal);
    }
    if (db.DbiResourceId === original.DbiResourceId || tagValue(db.TagList, RESTORED_TAG) !== run.runId) {
      throw stepError('UnexpectedDatabase', `${name} is not the copy restored by this run`);
    }
    const status = db.DBInstanceStatus ?? 'unknown';
    if (FAILED_STATUSES.has(status)) throw stepError(status, `restored DB instance ${name} is ${status}`);
    if (status !== 'available') return waiter.waitFor(run, instanceWait(name, 'available'), ctx.signal);
    // rename_first: the copy answers under the name from now on (the downtime ends).
    const answers: Record<string, string> =
      strategyOf(run) === 'rename_first' && !run.progress.downtimeEndedAt
        ? { downtimeEndedAt: ctx.now().toISOString() }
        : {};
    return runs.transition(run, 'CONFIGURING', {
      note: `restored from ${restoreSourceLabel(run)}${name !== run.identifier ? ` as ${name}` : ''}`,
      patch: { progress: { ...run.progress, restoredResourceId: db.DbiResourceId ?? '', ...answers } },
    });
  };

  /**
   * What no restore parameter carries, re-created on the copy by calls of their own (once each, recorded in the
   * run): associated IAM roles, and cross-Region automated backup replications (started from their Region).
   * Returns the run waiting when it asked RDS for something, undefined when there is nothing (left) to do.
   */
  const recreateOnCopy = async (run: Run, db: DBInstance, ctx: StepContext): Promise<Run | undefined> => {
    const original = originalOf(run);
    const marks: Record<string, string> = {};
    const has = (role: { RoleArn: string; FeatureName?: string }) =>
      (db.AssociatedRoles ?? []).some(
        (r) => r.RoleArn === role.RoleArn && (r.FeatureName || undefined) === role.FeatureName,
      );
    for (const role of original.AssociatedRoles ?? []) {
      const mark = `roleAdded:${role.RoleArn}:${role.FeatureName ?? ''}`;
      if (has(role) || run.progress[mark]) continue;
      const sent = await attemptCall(() =>
        rds.send(
          new AddRoleToDBInstanceCommand({
            DBInstanceIdentifier: db.DBInstanceIdentifier,
            RoleArn: role.RoleArn,
            // RDS API reference, AddRoleToDBInstance FeatureName: required for a DB instance.
            FeatureName: role.FeatureName ?? '',
          }),
        ),
      );
      if (sent) marks[mark] = ctx.now().toISOString();
    }
    const replicated = new Set(
      (db.DBInstanceAutomatedBackupsReplications ?? []).map((r) =>
        regionOfArn(r.DBInstanceAutomatedBackupsArn),
      ),
    );
    for (const r of original.AutomatedBackupsReplications ?? []) {
      const mark = `backupReplicationStarted:${r.Region}`;
      if (replicated.has(r.Region) || run.progress[mark]) continue;
      const sent = await attemptCall(() =>
        rdsIn(r.Region).send(
          new StartDBInstanceAutomatedBackupsReplicationCommand({
            SourceDBInstanceArn: db.DBInstanceArn,
            ...(r.BackupRetentionPeriod !== undefined
              ? { BackupRetentionPeriod: r.BackupRetentionPeriod }
              : {}),
            ...(r.KmsKeyId ? { KmsKeyId: r.KmsKeyId } : {}),
          }),
        ),
      );
      if (sent) marks[mark] = ctx.now().toISOString();
    }
    if (Object.keys(marks).length === 0) return undefined;
    ctx.logger.info('re-created on the restored copy', { what: Object.keys(marks) });
    const updated = await runs.update(run, { progress: { ...run.progress, ...marks } });
    return waiter.waitFor(updated, instanceWait(run.identifier, 'configured'), ctx.signal);
  };

  /** CONFIGURING: apply what restore does not accept, verify the configuration, hand over to cleanup. */
  const configureRestored = async (run: Run, ctx: StepContext): Promise<Run> => {
    const original = originalOf(run);
    const name = copyNameOf(run);
    const db = await describeInstance(rds, name);
    if (!db || db.DbiResourceId !== run.progress.restoredResourceId) {
      throw stepError('UnexpectedDatabase', `${name} is not the copy restored by this run`);
    }
    const status = db.DBInstanceStatus ?? 'unknown';
    if (FAILED_STATUSES.has(status)) throw stepError(status, `restored DB instance ${name} is ${status}`);
    const waitConfigured = () => waiter.waitFor(run, instanceWait(name, 'configured'), ctx.signal);
    if (status !== 'available' || hasPendingChanges(db)) return waitConfigured();

    /** Sends the post-restore modify (again, when a first one did not stick); a busy copy is waited for. */
    const applyModify = async (attempt: number): Promise<Run | undefined> => {
      const modify = buildPostRestoreModify(original, db);
      // The request's secret replaces the snapshot's master password, once (RDS API reference, ModifyDBInstance
      // MasterUserPassword: "Amazon RDS API operations never return the password", so it is not drift-checked).
      // Read at this moment, sent, never logged nor stored: the log line names the secret only.
      const password = await masterPasswordFor(run, db.Engine, readSecret);
      if (modify || password) {
        try {
          await rds.send(
            new ModifyDBInstanceCommand({
              ...(modify ?? { DBInstanceIdentifier: db.DBInstanceIdentifier, ApplyImmediately: true }),
              ...(password !== undefined ? { MasterUserPassword: password } : {}),
            }),
          );
        } catch (err) {
          if (isBusy(err)) return waitConfigured();
          throw err;
        }
        ctx.logger.info('post-restore modify requested', {
          modify,
          attempt,
          ...(password !== undefined ? { masterPasswordFrom: run.masterPasswordSecretArn } : {}),
        });
      }
      run = await runs.update(run, {
        progress: {
          ...run.progress,
          modifyRequestedAt: ctx.now().toISOString(),
          modifyAttempts: attempt,
          ...(password !== undefined ? { masterPasswordSetAt: ctx.now().toISOString() } : {}),
        },
      });
      return modify || password ? waitConfigured() : undefined;
    };
    const recreated = await recreateOnCopy(run, db, ctx);
    if (recreated) return recreated;
    if (!run.progress.modifyRequestedAt) {
      const waiting = await applyModify(1);
      if (waiting) return waiting;
    }
    const drift = configurationDrift(original, db);
    if (drift.length > 0) {
      // RDS may not show a modify at once: look again, re-applying, before calling the copy wrong.
      const attempts = Number(run.progress.modifyAttempts ?? 1);
      if (attempts < MAX_MODIFY_ATTEMPTS) return (await applyModify(attempts + 1)) ?? waitConfigured();
      throw stepError(
        'ConfigurationMismatch',
        `restored copy differs from the original: ${drift.join('; ')}`,
      );
    }
    if (run.verification) {
      // The request's hooks check the configured copy before it is committed (beside the original for swap).
      return runs.transition(run, 'VERIFYING', {
        note: `restored copy ${name} available and configured; waiting for hooks ${run.verification.hooks.join(', ')}`,
      });
    }
    if (run.rehearsal) return endRehearsal(runs, run, 'DB instance');
    if (strategyOf(run) === 'swap') {
      // Configured beside the original, which still serves: now the two renames. The copy keeps its
      // restored-by tag until it answers under the name, so a rollback can still tell it apart and delete it.
      return runs.transition(run, 'SWAPPING', { note: `restored copy ${name} available and configured` });
    }
    return commitCopy(run, db);
  };

  /** The configured copy answers under the name: untag it and hand over to cleanup (it deletes the temp). */
  const commitCopy = async (run: Run, db: DBInstance): Promise<Run> => {
    if (tagValue(db.TagList, RESTORED_TAG)) {
      await rds.send(
        new RemoveTagsFromResourceCommand({ ResourceName: db.DBInstanceArn, TagKeys: [RESTORED_TAG] }),
      );
    }
    // The engine hands the run over to cleanup (PIPELINE: CLEANING_UP → RestoreCompleted).
    return runs.transition(run, 'CLEANING_UP', {
      note: 'restored copy available and configured under the name',
      patch: {
        progress: {
          ...run.progress,
          databaseState: `the restored copy (from ${restoreSourceLabel(run)}) answers under ${run.identifier}`,
          // The copy's own managed master password secret (a new ARN): where applications find it now.
          ...(db.MasterUserSecret?.SecretArn ? { masterUserSecretArn: db.MasterUserSecret.SecretArn } : {}),
        },
      },
    });
  };

  /**
   * SWAPPING (strategy swap): rename the original to the temp name, then the configured copy to the original
   * name, and move on once the copy answers under the name and still matches the capture. Downtime is the time
   * between the original's rename request and the copy answering under the name. Each call does one action.
   */
  const swapNames = async (run: Run, ctx: StepContext): Promise<Run> => {
    const original = originalOf(run);
    const temp = tempOf(run);
    const side = copyNameOf(run);
    const copyId = run.progress.restoredResourceId;
    const atName = await describeInstance(rds, run.identifier);

    if (atName?.DbiResourceId === original.DbiResourceId) {
      failIfBroken(atName, 'the original');
      // First rename: the original moves aside (it stays whole under the temp name: the way back).
      if (atName.DBInstanceStatus !== 'available' || atName.PendingModifiedValues?.DBInstanceIdentifier) {
        return waiter.waitFor(run, instanceWait(run.identifier, 'available'), ctx.signal);
      }
      const atTemp = await describeInstance(rds, temp);
      if (atTemp) throw stepError('TempNameTaken', `another database already uses the temp name ${temp}`);
      const result = await tagThenRename(rds, {
        arn: atName.DBInstanceArn,
        runId: run.runId,
        rename: () =>
          rds.send(
            new ModifyDBInstanceCommand({
              DBInstanceIdentifier: run.identifier,
              NewDBInstanceIdentifier: temp,
              ApplyImmediately: true,
            }),
          ),
      });
      if (result === 'busy')
        return waiter.waitFor(run, instanceWait(run.identifier, 'available'), ctx.signal);
      if (result === 'requested') {
        ctx.logger.info('swap: original renamed aside', { from: run.identifier, to: temp });
        run = await runs.update(run, {
          progress: {
            ...run.progress,
            renameRequestedAt: ctx.now().toISOString(),
            downtimeStartedAt: run.progress.downtimeStartedAt ?? ctx.now().toISOString(),
          },
        });
      }
      return waiter.waitFor(run, instanceWait(temp, 'available'), ctx.signal);
    }

    if (atName) {
      if (atName.DbiResourceId !== copyId) {
        throw stepError(
          'UnexpectedDatabase',
          `${run.identifier} is neither the original nor this run's copy`,
        );
      }
      // Second rename done: the copy answers under the name once available, and must still match the capture.
      const status = atName.DBInstanceStatus ?? 'unknown';
      if (FAILED_STATUSES.has(status))
        throw stepError(status, `the copy under ${run.identifier} is ${status}`);
      if (status !== 'available' || hasPendingChanges(atName)) {
        return waiter.waitFor(run, instanceWait(run.identifier, 'available'), ctx.signal);
      }
      const drift = configurationDrift(original, atName);
      if (drift.length > 0) {
        throw stepError(
          'ConfigurationMismatch',
          `the copy under ${run.identifier} differs: ${drift.join('; ')}`,
        );
      }
      run = await runs.update(run, {
        progress: {
          ...run.progress,
          downtimeEndedAt: run.progress.downtimeEndedAt ?? ctx.now().toISOString(),
        },
      });
      return commitCopy(run, atName);
    }

    // Nothing answers under the name: the original's rename is under way, or done and the copy's is next.
    const renamed = await describeInstance(rds, temp);
    if (renamed && renamed.DbiResourceId !== original.DbiResourceId) {
      throw stepError('UnexpectedDatabase', `${temp} is not the original captured by this run`);
    }
    if (renamed) failIfBroken(renamed, 'the original, renamed by this run,');
    if (renamed?.DBInstanceStatus !== 'available' || renamed.PendingModifiedValues?.DBInstanceIdentifier) {
      return waiter.waitFor(run, instanceWait(temp, 'available'), ctx.signal);
    }
    const copy = await describeInstance(rds, side);
    if (!copy) {
      // Its rename to the name is under way (neither name answers for a while; no event comes).
      return waiter.waitFor(run, instanceWait(run.identifier, 'available'), ctx.signal);
    }
    if (copy.DbiResourceId !== copyId)
      throw stepError('UnexpectedDatabase', `${side} is not this run's copy`);
    failIfBroken(copy, "this run's copy");
    if (copy.DBInstanceStatus !== 'available')
      return waiter.waitFor(run, instanceWait(side, 'available'), ctx.signal);
    try {
      await rds.send(
        new ModifyDBInstanceCommand({
          DBInstanceIdentifier: side,
          NewDBInstanceIdentifier: run.identifier,
          ApplyImmediately: true,
        }),
      );
    } catch (err) {
      if (isBusy(err)) return waiter.waitFor(run, instanceWait(side, 'available'), ctx.signal);
      if (!isNotFound(err) && errorCode(err) !== 'DBInstanceAlreadyExists') throw err;
    }
    ctx.logger.info('swap: copy renamed to the name', { from: side, to: run.identifier });
    run = await runs.update(run, {
      progress: { ...run.progress, copyRenameRequestedAt: ctx.now().toISOString() },
    });
    return waiter.waitFor(run, instanceWait(run.identifier, 'available'), ctx.signal);
  };

  /** VERIFYING: the hooks check the copy (its side name for swap); every one ok → swap, or commit (rename_first). */
  const verifyCopy = buildVerifyStep({
    runs,
    waiter,
    publish,
    timeScale: verifyTimeScale,
    describeCopy: async (run) => {
      const name = copyNameOf(run);
      const db = await describeInstance(rds, name);
      if (!db || db.DbiResourceId !== run.progress.restoredResourceId) {
        throw stepError('UnexpectedDatabase', `${name} is not the copy restored by this run`);
      }
      return {
        copyIdentifier: name,
        endpoint: { address: db.Endpoint?.Address ?? '', port: db.Endpoint?.Port ?? db.DbInstancePort ?? 0 },
        engine: db.Engine ?? '',
      };
    },
    commit: async (run) => {
      const hooks = run.verification?.hooks.join(', ') ?? '';
      if (run.rehearsal) return endRehearsal(runs, run, 'DB instance');
      if (strategyOf(run) === 'swap') {
        return runs.transition(run, 'SWAPPING', { note: `verified by ${hooks}` });
      }
      const name = copyNameOf(run);
      const db = await describeInstance(rds, name);
      if (!db || db.DbiResourceId !== run.progress.restoredResourceId) {
        throw stepError('UnexpectedDatabase', `${name} is not the copy restored by this run`);
      }
      return commitCopy(run, db);
    },
  });

  const onStepFailure = async (run: Run, failure: RunFailure, _ctx: StepContext): Promise<Run> => {
    if (run.step === 'SNAPSHOT_READY') {
      return runs.transition(run, 'FAILED', {
        failure,
        patch: {
          reason:
            'could not capture the original before the restore; nothing was changed and the database is not locked: fix the cause, then request the restore again',
          remedy: retryRemedy(run),
          progress: {
            ...run.progress,
            databaseState: 'unchanged: the original still answers under its name',
          },
        },
      });
    }
    // The engine hands the run over to cleanup (PIPELINE: ROLLING_BACK → RestoreFailed).
    return runs.transition(run, 'ROLLING_BACK', {
      failure,
      note: `${failure.code}: ${failure.message}`,
    });
  };

  return {
    service: 'restore',
    steps: {
      SNAPSHOT_READY: captureOriginal,
      RENAMING: renameOriginal,
      RESTORING: restoreSnapshot,
      CONFIGURING: configureRestored,
      VERIFYING: verifyCopy,
      SWAPPING: swapNames,
    },
    clusterSteps: buildClusterRestoreSteps({ rds, runs, waiter, publish, verifyTimeScale, readSecret }),
    onStepFailure,
  };
};
