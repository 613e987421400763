/**
 * The snapshot service's steps: accept a request (REQUESTED) and create or replace the source snapshot
 * (SNAPSHOTTING).
 */
import {
  CopyDBClusterSnapshotCommand,
  CopyDBSnapshotCommand,
  CreateDBClusterSnapshotCommand,
  CreateDBSnapshotCommand,
  type DBCluster,
  type DBInstance,
  DeleteDBClusterSnapshotCommand,
  DeleteDBSnapshotCommand,
  DescribeDBInstanceAutomatedBackupsCommand,
  ModifyDBClusterSnapshotAttributeCommand,
  ModifyDBSnapshotAttributeCommand,
  paginateDescribeDBClusterSnapshots,
  paginateDescribeDBClusters,
  paginateDescribeDBSnapshots,
  type RDSClient,
  type Tag,
} from '@aws-sdk/client-rds';
import {
  ACCEPTED_DB_STATUSES,
  type DbKind,
  describeCluster,
  describeClusterSnapshot,
  describeInstance,
  describeSnapshot,
  errorCode,
  errorMessage,
  formatIssues,
  isTrapheusSnapshotOf,
  MAX_TAGS,
  type Remedy,
  type ResourceType,
  type RestorableWindow,
  type RestoreRemedy,
  type Run,
  type RunFailure,
  type RunRepository,
  restorePointProblem,
  restoreRequestedDetailSchema,
  restoreSourceLabel,
  retryRemedy,
  runIdFor,
  runSnapshotIdentifier,
  type ServiceSteps,
  SHARED_SNAPSHOT_ARN,
  SNAPSHOT_TAG,
  type StepContext,
  secretArnAllowed,
  stepError,
  TASKS,
  tagValue,
  unsupportedCluster,
  unsupportedInstance,
  type Waiter,
} from '@trapheus/shared';
import type { ExportTracker } from './export';

export interface SnapshotDeps {
  rds: RDSClient;
  runs: RunRepository;
  waiter: Waiter;
  /** How many of its own snapshots Trapheus keeps per database (the newest); default 1. */
  snapshotRetention?: number;
  /**
   * The secrets a request's `masterPasswordSecretArn` may name (the restore service's role may read only these:
   * deploy parameter masterPasswordSecretArns, IAM wildcards allowed); empty: such requests are rejected.
   */
  masterPasswordSecretArns?: readonly string[];
  /** The export side track (export.ts): started once the snapshot is available, and read by the retention. */
  exportTracker?: Pick<ExportTracker, 'begin' | 'snapshotsBeingExported'>;
}

// The intake predicates live in @trapheus/shared (intake.ts): `trapheus plan` reads the same ones.
export { runSnapshotIdentifier };

/** The same snapshot logic for instances and clusters, over their different RDS calls. */
interface KindAdapter {
  label: string;
  snapshotLabel: string;
  dbResource: ResourceType;
  snapshotResource: ResourceType;
  notFoundCode: string;
  snapshotNotFoundCode: string;
  invalidStateCode: string;
  /** `unsupported`: why Trapheus must not restore this database in place (read replicas, …). */
  describeDb(id: string): Promise<
    | {
        status: string;
        memberOf?: string;
        tagCount: number;
        unsupported?: string;
        /** RDS manages the master password in Secrets Manager (MasterUserSecret). */
        managedPassword?: boolean;
        /** Why ModifyDBInstance/ModifyDBCluster cannot set MasterUserPassword on it, if so. */
        noMasterPassword?: string;
        /** Its ARN (which says the account and Region) and its storage key. */
        arn?: string;
        kmsKeyId?: string;
      }
    | undefined
  >;
  /** `source`: the database the snapshot was taken of. */
  describeSnapshot(
    id: string,
  ): Promise<
    | { status: string; tags: Tag[]; source?: string; created?: Date; encrypted?: boolean; kmsKeyId?: string }
    | undefined
  >;
  /** Copies a (shared) snapshot into this account under `targetId`, re-encrypted with `kmsKeyId`. */
  copySnapshot(sourceArn: string, targetId: string, kmsKeyId: string, tags: Tag[]): Promise<void>;
  /** Lets `accounts` restore the manual snapshot `id` (its `restore` attribute). */
  shareSnapshot(id: string, accounts: string[]): Promise<void>;
  createSnapshot(snapshotId: string, dbId: string, tags: Tag[]): Promise<void>;
  deleteSnapshot(snapshotId: string): Promise<void>;
  /** The manual snapshots of a database (every page). */
  listSnapshots(dbId: string): Promise<ListedSnapshot[]>;
  /** What a restore to a point in time may ask for. */
  restorableWindow(dbId: string): Promise<RestorableWindow>;
}

interface ListedSnapshot {
  id: string;
  status: string;
  tags: Tag[];
  created?: Date;
}

/** A manual snapshot of `dbId` as the list needs it (the filter also matches snapshots of a same-named database). */
const listed = (
  id: string | undefined,
  source: string | undefined,
  dbId: string,
  s: { Status?: string; TagList?: Tag[]; SnapshotCreateTime?: Date },
): ListedSnapshot[] =>
  id && source === dbId
    ? [
        {
          id,
          status: s.Status ?? 'unknown',
          tags: s.TagList ?? [],
          ...(s.SnapshotCreateTime ? { created: s.SnapshotCreateTime } : {}),
        },
      ]
    : [];

/** Shapes an in-place restore would break (see unsupportedInstance / unsupportedCluster in @trapheus/shared). */
const refusedInstance = (db: DBInstance): { unsupported?: string } => {
  const why = unsupportedInstance(db);
  return why ? { unsupported: why } : {};
};

const refusedCluster = (cluster: DBCluster): { unsupported?: string } => {
  const why = unsupportedCluster(cluster);
  return why ? { unsupported: why } : {};
};

const adapters = (rds: RDSClient): Record<DbKind, KindAdapter> => ({
  instance: {
    label: 'DB instance',
    snapshotLabel: 'DB snapshot',
    dbResource: 'db-instance',
    snapshotResource: 'db-snapshot',
    notFoundCode: 'DBInstanceNotFound',
    snapshotNotFoundCode: 'DBSnapshotNotFound',
    invalidStateCode: 'InvalidDBInstanceState',
    async describeDb(id) {
      const db = await describeInstance(rds, id);
      return (
        db && {
          status: db.DBInstanceStatus ?? 'unknown',
          tagCount: db.TagList?.length ?? 0,
          ...refusedInstance(db),
          ...(db.DBClusterIdentifier ? { memberOf: db.DBClusterIdentifier } : {}),
          ...(db.MasterUserSecret?.SecretArn ? { managedPassword: true } : {}),
          // RDS API reference, ModifyDBInstance MasterUserPassword: "This setting doesn't apply to … RDS for Oracle
          // CDBs in the multi-tenant configuration (Specify the master password in ModifyTenantDatabase instead)".
          ...(db.MultiTenant
            ? { noMasterPassword: 'an Oracle multi-tenant CDB takes its master password per tenant database' }
            : {}),
          ...(db.DBInstanceArn ? { arn: db.DBInstanceArn } : {}),
          ...(db.StorageEncrypted && db.KmsKeyId ? { kmsKeyId: db.KmsKeyId } : {}),
        }
      );
    },
    async describeSnapshot(id) {
      const s = await describeSnapshot(rds, id);
      return (
        s && {
          status: s.Status ?? 'unknown',
          tags: s.TagList ?? [],
          ...(s.DBInstanceIdentifier ? { source: s.DBInstanceIdentifier } : {}),
          ...(s.SnapshotCreateTime ? { created: s.SnapshotCreateTime } : {}),
          encrypted: s.Encrypted === true,
          ...(s.KmsKeyId ? { kmsKeyId: s.KmsKeyId } : {}),
        }
      );
    },
    async copySnapshot(sourceArn, targetId, kmsKeyId, tags) {
      await rds.send(
        new CopyDBSnapshotCommand({
          SourceDBSnapshotIdentifier: sourceArn,
          TargetDBSnapshotIdentifier: targetId,
          // RDS API reference, CopyDBSnapshot KmsKeyId: "If you copy an encrypted DB snapshot that is shared from
          // another Amazon Web Services account, then you must specify a value for this parameter."
          KmsKeyId: kmsKeyId,
          Tags: tags,
        }),
      );
    },
    async shareSnapshot(id, accounts) {
      await rds.send(
        new ModifyDBSnapshotAttributeCommand({
          DBSnapshotIdentifier: id,
          // RDS API reference, ModifyDBSnapshotAttribute AttributeName: "To manage authorization for other Amazon Web
          // Services accounts to copy or restore a manual DB snapshot, set this value to restore."
          AttributeName: 'restore',
          ValuesToAdd: accounts,
        }),
      );
    },
    async createSnapshot(snapshotId, dbId, tags) {
      await rds.send(
        new CreateDBSnapshotCommand({
          DBSnapshotIdentifier: snapshotId,
          DBInstanceIdentifier: dbId,
          Tags: tags,
        }),
      );
    },
    async deleteSnapshot(snapshotId) {
      await rds.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: snapshotId }));
    },
    async listSnapshots(dbId) {
      const out: ListedSnapshot[] = [];
      const pages = paginateDescribeDBSnapshots(
        { client: rds },
        { DBInstanceIdentifier: dbId, SnapshotType: 'manual' },
      );
      for await (const page of pages)
        for (const s of page.DBSnapshots ?? [])
          out.push(...listed(s.DBSnapshotIdentifier, s.DBInstanceIdentifier, dbId, s));
      return out;
    },
    async restorableWindow(dbId) {
      const db = await describeInstance(rds, dbId);
      // RDS API reference: DBInstance has LatestRestorableTime only; DBInstanceAutomatedBackup RestoreWindow: "The
      // earliest and latest time a DB instance can be restored to." (current instances with retention > 0).
      const backups = await rds.send(
        new DescribeDBInstanceAutomatedBackupsCommand({ DBInstanceIdentifier: dbId }),
      );
      const current = (backups.DBInstanceAutomatedBackups ?? []).find(
        (b) => b.DbiResourceId === db?.DbiResourceId && b.Status !== 'retained',
      );
      return {
        retentionDays: db?.BackupRetentionPeriod ?? 0,
        ...(current?.RestoreWindow?.EarliestTime ? { earliest: current.RestoreWindow.EarliestTime } : {}),
        ...(db?.LatestRestorableTime ? { latest: db.LatestRestorableTime } : {}),
      };
    },
  },
  cluster: {
    label: 'DB cluster',
    snapshotLabel: 'DB cluster snapshot',
    dbResource: 'db-cluster',
    snapshotResource: 'db-cluster-snapshot',
    notFoundCode: 'DBClusterNotFoundFault',
    snapshotNotFoundCode: 'DBClusterSnapshotNotFoundFault',
    invalidStateCode: 'InvalidDBClusterStateFault',
    async describeDb(id) {
      const c = await describeCluster(rds, id);
      return (
        c && {
          status: c.Status ?? 'unknown',
          tagCount: c.TagList?.length ?? 0,
          ...refusedCluster(c),
          ...(c.MasterUserSecret?.SecretArn ? { managedPassword: true } : {}),
          ...(c.DBClusterArn ? { arn: c.DBClusterArn } : {}),
          ...(c.StorageEncrypted && c.KmsKeyId ? { kmsKeyId: c.KmsKeyId } : {}),
        }
      );
    },
    async describeSnapshot(id) {
      const s = await describeClusterSnapshot(rds, id);
      return (
        s && {
          status: s.Status ?? 'unknown',
          tags: s.TagList ?? [],
          ...(s.DBClusterIdentifier ? { source: s.DBClusterIdentifier } : {}),
          ...(s.SnapshotCreateTime ? { created: s.SnapshotCreateTime } : {}),
          encrypted: s.StorageEncrypted === true,
          ...(s.KmsKeyId ? { kmsKeyId: s.KmsKeyId } : {}),
        }
      );
    },
    async copySnapshot(sourceArn, targetId, kmsKeyId, tags) {
      await rds.send(
        new CopyDBClusterSnapshotCommand({
          SourceDBClusterSnapshotIdentifier: sourceArn,
          TargetDBClusterSnapshotIdentifier: targetId,
          KmsKeyId: kmsKeyId,
          Tags: tags,
        }),
      );
    },
    async shareSnapshot(id, accounts) {
      await rds.send(
        new ModifyDBClusterSnapshotAttributeCommand({
          DBClusterSnapshotIdentifier: id,
          AttributeName: 'restore',
          ValuesToAdd: accounts,
        }),
      );
    },
    async createSnapshot(snapshotId, dbId, tags) {
      await rds.send(
        new CreateDBClusterSnapshotCommand({
          DBClusterSnapshotIdentifier: snapshotId,
          DBClusterIdentifier: dbId,
          Tags: tags,
        }),
      );
    },
    async deleteSnapshot(snapshotId) {
      await rds.send(new DeleteDBClusterSnapshotCommand({ DBClusterSnapshotIdentifier: snapshotId }));
    },
    async listSnapshots(dbId) {
      const out: ListedSnapshot[] = [];
      const pages = paginateDescribeDBClusterSnapshots(
        { client: rds },
        { DBClusterIdentifier: dbId, SnapshotType: 'manual' },
      );
      for await (const page of pages)
        for (const s of page.DBClusterSnapshots ?? [])
          out.push(...listed(s.DBClusterSnapshotIdentifier, s.DBClusterIdentifier, dbId, s));
      return out;
    },
    async restorableWindow(dbId) {
      const c = await describeCluster(rds, dbId);
      return {
        retentionDays: c?.BackupRetentionPeriod ?? 1,
        ...(c?.EarliestRestorableTime ? { earliest: c.EarliestRestorableTime } : {}),
        ...(c?.LatestRestorableTime ? { latest: c.LatestRestorableTime } : {}),
      };
    },
  },
});

/** The same request without its master password secret (the one thing intake refused). */
const withoutSecret = ({ masterPasswordSecretArn: _, ...remedy }: RestoreRemedy): RestoreRemedy => remedy;

export const buildSnapshotSteps = ({
  rds,
  runs,
  waiter,
  snapshotRetention = 1,
  exportTracker,
  masterPasswordSecretArns = [],
}: SnapshotDeps): ServiceSteps => {
  const kinds = adapters(rds);
  const reject = (run: Run, reason: string, code: string, ctx: StepContext, remedy?: Remedy) => {
    ctx.logger.warn('request rejected', { reason });
    return runs.transition(run, 'REJECTED', {
      patch: {
        reason,
        ...(remedy ? { remedy } : {}),
        progress: { ...run.progress, databaseState: 'unchanged: Trapheus did not touch it' },
      },
      failure: { step: 'REQUESTED', code, message: reason, at: ctx.now().toISOString() },
    });
  };

  /** Announces a ready snapshot to the restore service (or finishes a snapshot-only run). */
  const snapshotReady = async (run: Run, note: string): Promise<Run> => {
    if (run.task === 'create_snapshot_only') {
      return runs.transition(run, 'SUCCEEDED', {
        note,
        patch: { progress: { ...run.progress, databaseState: 'unchanged; snapshot created' } },
      });
    }
    // The engine hands the run over to restore (PIPELINE: SNAPSHOT_READY → SnapshotReady).
    return runs.transition(run, 'SNAPSHOT_READY', { note });
  };

  /**
   * Why Aurora would not clone `run.cloneSource` into the refreshed cluster, or would do something else than a
   * clone: another Region or account, a source that is missing, not available, the cluster itself, without a DB
   * instance, of another engine or version, or already at the clone limit.
   */
  const cloneSourceProblem = async (run: Run): Promise<{ code: string; message: string } | undefined> => {
    const source = run.cloneSource ?? '';
    const arnOf = (a: string | undefined) =>
      /^arn:[a-z-]+:rds:([a-z0-9-]+):(\d{12}):cluster:(.+)$/.exec(a ?? '');
    const arn = arnOf(source);
    const target = await describeCluster(rds, run.identifier);
    // The refreshed cluster's own ARN says which Region and account this deployment works in.
    const [, region, accountId] = arnOf(target?.DBClusterArn) ?? [];
    // Aurora User Guide, Cloning a volume for an Amazon Aurora DB cluster, limitations: "You can't create a clone in
    // a different AWS Region from the source Aurora DB cluster." A cross-account clone needs the source shared
    // through AWS RAM first: not done here.
    if (arn && region && arn[1] !== region) {
      return {
        code: 'InvalidRequest',
        message: `field "sourceIdentifier": cluster ${arn[3]} is in Region ${arn[1]}, and Aurora clones only within a Region (${region})`,
      };
    }
    if (arn && accountId && arn[2] !== accountId) {
      return {
        code: 'InvalidRequest',
        message: `field "sourceIdentifier": cluster ${arn[3]} belongs to account ${arn[2]}; a cross-account clone needs the cluster shared through AWS RAM, which Trapheus does not do: clone it in that account, or restore a shared snapshot`,
      };
    }
    const id = arn ? (arn[3] ?? '') : source;
    if (id === run.identifier) {
      return {
        code: 'InvalidRequest',
        message: 'field "sourceIdentifier" names the cluster being refreshed: name another cluster',
      };
    }
    const src = await describeCluster(rds, id);
    if (!src)
      return {
        code: 'DBClusterNotFoundFault',
        message: `field "sourceIdentifier": DB cluster ${id} not found`,
      };
    if (src.Status !== 'available') {
      return {
        code: 'InvalidDBClusterStateFault',
        message: `source DB cluster ${id} is ${src.Status}; it must be available`,
      };
    }
    // Aurora User Guide, Cloning a volume, limitations: "You can't create a clone from an Aurora DB cluster that has
    // no DB instances."
    if (!src.DBClusterMembers?.length) {
      return {
        code: 'InvalidDBClusterStateFault',
        message: `source DB cluster ${id} has no DB instance; Aurora clones only a cluster with at least one`,
      };
    }
    // The clone takes the source's engine and version (RestoreDBClusterToPointInTime takes neither); the refreshed
    // cluster keeps its own configuration, which is checked against its capture after the restore.
    if (target && (src.Engine !== target.Engine || src.EngineVersion !== target.EngineVersion)) {
      return {
        code: 'InvalidRequest',
        message: `source DB cluster ${id} runs ${src.Engine} ${src.EngineVersion} and ${run.identifier} runs ${target.Engine} ${target.EngineVersion}: a clone keeps its source's engine version; upgrade one of them first`,
      };
    }
    // Aurora User Guide, Cloning a volume, limitations: "You can have up to 15 clones at the same time that were
    // created by the copy-on-write protocol. After you have 15 clones, the next clone that you create is a full
    // copy." A full copy takes as long as a restore: refuse it rather than wait hours without saying so.
    if (src.CloneGroupId) {
      const group = await countCloneGroup(src.CloneGroupId);
      if (group >= 16) {
        return {
          code: 'CloneLimitReached',
          message: `source DB cluster ${id} already has ${group - 1} copy-on-write clones, the most Aurora makes; a 16th would silently be a full copy (as slow as a restore): delete an old clone, or restore a snapshot`,
        };
      }
    }
    return undefined;
  };

  /** The clusters of a clone group (the source and its clones), every page. */
  const countCloneGroup = async (cloneGroupId: string): Promise<number> => {
    let n = 0;
    for await (const page of paginateDescribeDBClusters(
      { client: rds },
      { Filters: [{ Name: 'clone-group-id', Values: [cloneGroupId] }] },
    )) {
      n += page.DBClusters?.length ?? 0;
    }
    return n;
  };

  /** REQUESTED: one active run per database, the database exists, and for db_restore the snapshot does. */
  const acceptRequest = async (run: Run, ctx: StepContext): Promise<Run> => {
    const kind = kinds[run.kind];
    if (run.progress.exportRequested === true && run.task === 'db_restore') {
      return reject(
        run,
        'field "export" applies to the snapshot tasks (create_snapshot, create_snapshot_only): it exports the run\'s fresh snapshot',
        'InvalidRequest',
        ctx,
        { ...retryRemedy(run), task: 'create_snapshot' },
      );
    }
    const secretArn = run.masterPasswordSecretArn;
    if (secretArn && !secretArnAllowed(secretArn, masterPasswordSecretArns)) {
      return reject(
        run,
        `field "masterPasswordSecretArn": this deployment may not read secret ${secretArn}; allow it with the restore ` +
          "service's deploy parameter masterPasswordSecretArns (comma-separated secret ARNs, e.g. " +
          'TRAPHEUS_MASTER_PASSWORD_SECRET_ARNS=<arn> npx serverless deploy), then request the restore again',
        'InvalidRequest',
        ctx,
      );
    }
    const lock = await runs.acquireLock(run);
    if (!lock.acquired && lock.needsPerson) {
      return reject(
        run,
        `the last run (${lock.holder}) on ${kind.label} ${run.identifier} FAILED and needs a person; once the database is ` +
          'sorted out, release its lock (trapheus unlock), then request the restore again',
        'PreviousRunFailed',
        ctx,
        { action: 'unlock', identifier: run.identifier, isCluster: run.kind === 'cluster' },
      );
    }
    if (!lock.acquired) {
      return reject(
        run,
        `another run (${lock.holder}) is active on ${kind.label} ${run.identifier}; wait for it to finish`,
        'RunAlreadyActive',
        ctx,
        lock.holder ? { action: 'follow', runId: lock.holder } : undefined,
      );
    }
    const db = await kind.describeDb(run.identifier);
    if (!db) {
      // A common slip: the cluster asked for as an instance, or the other way round. Say so.
      const other = run.kind === 'instance' ? kinds.cluster : kinds.instance;
      const otherExists = !!(await other.describeDb(run.identifier));
      return reject(
        run,
        `${kind.label} ${run.identifier} not found${otherExists ? ` (a ${other.label} ${run.identifier} exists: request it as a ${run.kind === 'instance' ? 'cluster' : 'DB instance'})` : ''}`,
        kind.notFoundCode,
        ctx,
        otherExists ? { ...retryRemedy(run), isCluster: run.kind === 'instance' } : undefined,
      );
    }
    if (db.memberOf) {
      return reject(
        run,
        `DB instance ${run.identifier} is a member of cluster ${db.memberOf}: restore the cluster instead`,
        'InstanceInCluster',
        ctx,
        { ...retryRemedy(run), identifier: db.memberOf, isCluster: true },
      );
    }
    if (!ACCEPTED_DB_STATUSES.has(db.status)) {
      return reject(
        run,
        `${kind.label} ${run.identifier} is ${db.status}; it must be available`,
        kind.invalidStateCode,
        ctx,
      );
    }
    if (db.unsupported) {
      return reject(
        run,
        `${kind.label} ${run.identifier} cannot be restored in place: ${db.unsupported}`,
        'UnsupportedTopology',
        ctx,
      );
    }
    if (secretArn && db.managedPassword) {
      return reject(
        run,
        `field "masterPasswordSecretArn" cannot be used for ${kind.label} ${run.identifier}: its master password is ` +
          'managed by RDS in Secrets Manager, and the restored copy gets a managed secret of its own (the two are ' +
          'exclusive): remove the field',
        'InvalidRequest',
        ctx,
        withoutSecret(retryRemedy(run)),
      );
    }
    if (secretArn && db.noMasterPassword) {
      return reject(
        run,
        `field "masterPasswordSecretArn" cannot be used for ${kind.label} ${run.identifier}: ${db.noMasterPassword}`,
        'InvalidRequest',
        ctx,
        withoutSecret(retryRemedy(run)),
      );
    }
    if (db.tagCount >= MAX_TAGS) {
      return reject(
        run,
        `${kind.label} ${run.identifier} has ${db.tagCount} tags, the RDS maximum: Trapheus needs one free for its run tag`,
        'TagQuotaPerResourceExceeded',
        ctx,
      );
    }
    if (run.task === 'clone_from') {
      const problem = await cloneSourceProblem(run);
      if (problem) return reject(run, problem.message, problem.code, ctx);
      return snapshotReady(run, `cloning cluster ${run.cloneSource} (copy-on-write, no snapshot)`);
    }
    if (run.rehearsal && (await kind.describeDb(run.rehearsal.targetIdentifier))) {
      return reject(
        run,
        `field "targetIdentifier": a ${kind.label} ${run.rehearsal.targetIdentifier} exists; a rehearsal restores a new database: name one that does not exist`,
        run.kind === 'cluster' ? 'DBClusterAlreadyExistsFault' : 'DBInstanceAlreadyExists',
        ctx,
      );
    }
    if (run.restorePoint) {
      // A restore to a point in time: inside the window RDS reports now, or nothing is touched.
      const window = await kind.restorableWindow(run.identifier);
      const problem = restorePointProblem(run.restorePoint, window, `${kind.label} ${run.identifier}`);
      if (problem) return reject(run, problem.message, problem.code, ctx);
      const iso = (d?: Date) => d?.toISOString().replace('.000Z', 'Z');
      run = await runs.update(run, {
        restorePoint: {
          ...run.restorePoint,
          window: {
            ...(window.earliest ? { earliest: iso(window.earliest) } : {}),
            ...(window.latest ? { latest: iso(window.latest) } : {}),
          },
        },
      });
      return snapshotReady(run, `restoring to ${restoreSourceLabel(run)} (no snapshot)`);
    }
    if (run.task !== 'db_restore' && run.task !== 'restore_copy') {
      // Replacing the snapshot of that name is the original tool's behaviour, but only for this database's own.
      const existing = await kind.describeSnapshot(run.snapshotIdentifier);
      if (existing && existing.source !== run.identifier) {
        return reject(
          run,
          `${kind.snapshotLabel} ${run.snapshotIdentifier} exists and is a snapshot of ${existing.source ?? 'another database'}: ` +
            'Trapheus replaces only snapshots of the database it restores; choose another snapshot name',
          'SnapshotNameTaken',
          ctx,
          {
            ...retryRemedy(run),
            snapshotIdentifier:
              String(run.progress.snapshotBase) === `${run.identifier}-snapshot`
                ? `${run.identifier}-trapheus`
                : `${run.identifier}-snapshot`,
          },
        );
      }
      return runs.transition(run, 'SNAPSHOTTING');
    }
    if (run.progress.snapshotBase !== undefined) {
      // No snapshot named: the newest available snapshot Trapheus took of this database, else the default name.
      const base = String(run.progress.snapshotBase);
      const newest = (await kind.listSnapshots(run.identifier))
        .filter((s) => s.status === 'available' && isTrapheusSnapshotOf(s, base))
        .sort((a, b) => (b.created?.getTime() ?? 0) - (a.created?.getTime() ?? 0))[0];
      if (newest && newest.id !== run.snapshotIdentifier) {
        run = await runs.update(run, { snapshotIdentifier: newest.id });
      }
    }
    const snapshot = await kind.describeSnapshot(run.snapshotIdentifier);
    const snapshotLabel = kind.snapshotLabel;
    if (!snapshot) {
      return reject(
        run,
        `${snapshotLabel} ${run.snapshotIdentifier} not found (task ${run.task})`,
        kind.snapshotNotFoundCode,
        ctx,
      );
    }
    if (snapshot.status !== 'available') {
      return reject(
        run,
        `${snapshotLabel} ${run.snapshotIdentifier} is ${snapshot.status}; it must be available`,
        'InvalidSnapshotState',
        ctx,
      );
    }
    const shared = SHARED_SNAPSHOT_ARN.exec(run.snapshotIdentifier);
    const ownAccount = /^arn:[^:]+:rds:[^:]+:(\d{12}):/.exec(db.arn ?? '')?.[1];
    // RDS User Guide, Sharing a DB snapshot: "you can't restore a DB instance from a DB snapshot that is both shared
    // and encrypted. Instead, you can make a copy of the DB snapshot and restore the DB instance from the copy."
    // (Aurora restores a shared encrypted cluster snapshot directly: Aurora User Guide, Sharing a DB cluster
    // snapshot.) The copy is re-encrypted with the target's own key.
    if (shared && shared[1] !== ownAccount && run.kind === 'instance' && snapshot.encrypted) {
      if (!db.kmsKeyId) {
        return reject(
          run,
          `${snapshotLabel} ${run.snapshotIdentifier} is shared and encrypted, so it must be copied into this account with a KMS key first, and ${kind.label} ${run.identifier} is not encrypted: there is no key of its own to copy it with`,
          'InvalidRequest',
          ctx,
        );
      }
      const copyId = `${run.identifier}-shared-${run.runId.replace(/^run-/, '').slice(0, 8)}`;
      run = await runs.update(run, {
        snapshotIdentifier: copyId,
        progress: { ...run.progress, copyOf: run.snapshotIdentifier, copyKmsKeyId: db.kmsKeyId },
      });
      return runs.transition(run, 'SNAPSHOTTING', {
        note: `copying shared snapshot ${String(run.progress.copyOf)} into this account as ${copyId}`,
      });
    }
    return snapshotReady(
      run,
      shared && shared[1] !== ownAccount
        ? `using snapshot ${run.snapshotIdentifier} shared by account ${shared[1]}`
        : `using existing snapshot ${run.snapshotIdentifier}`,
    );
  };

  /**
   * Retires Trapheus's older snapshots of this database beyond the retention count, once the run's new one is
   * available: a good snapshot exists at every moment. Only snapshots Trapheus took (its tag) under the run's base
   * name are candidates; a snapshot someone else took is never touched.
   */
  const retireOlderSnapshots = async (run: Run, ctx: StepContext): Promise<string[]> => {
    const kind = kinds[run.kind];
    const base = String(run.progress.snapshotBase ?? run.snapshotIdentifier);
    const ours = (await kind.listSnapshots(run.identifier))
      .filter((s) => s.id !== run.snapshotIdentifier && isTrapheusSnapshotOf(s, base))
      .filter((s) => s.status === 'available' || s.status === 'failed')
      .sort((a, b) => (b.created?.getTime() ?? 0) - (a.created?.getTime() ?? 0));
    const keepOthers = Math.max(0, snapshotRetention - 1);
    const retired: string[] = [];
    const candidates = ours.slice(keepOthers);
    // A snapshot an export to S3 still reads is kept (retired by a later run, once its export has ended).
    const exporting =
      candidates.length > 0 && exportTracker
        ? await exportTracker.snapshotsBeingExported()
        : new Set<string>();
    for (const old of candidates.filter((s) => !exporting.has(s.id))) {
      try {
        await kind.deleteSnapshot(old.id);
        retired.push(old.id);
      } catch (err) {
        // Already going, or gone: nothing to retire. Anything else is worth a line, never a failed run.
        ctx.logger.warn('could not retire an older snapshot', { snapshotId: old.id, code: errorCode(err) });
      }
    }
    if (retired.length > 0) ctx.logger.info('retired older snapshots', { retired, kept: snapshotRetention });
    return retired;
  };

  /** SNAPSHOTTING: create the run's own snapshot (run-unique name), wait until available, retire older ones. */
  const takeSnapshot = async (run: Run, ctx: StepContext): Promise<Run> => {
    const kind = kinds[run.kind];
    const snapshotId = run.snapshotIdentifier;
    const snapshotWait = (target: string) =>
      waiter.waitFor(
        run,
        { resourceType: kind.snapshotResource, identifier: snapshotId, target },
        ctx.signal,
      );
    const snapshot = await kind.describeSnapshot(snapshotId);
    const ours = snapshot && tagValue(snapshot.tags, SNAPSHOT_TAG) === run.runId;

    if (snapshot && ours) {
      if (snapshot.status === 'available') {
        // The export runs beside the run from here on (its own check-backs): it never holds up SnapshotReady.
        if (run.progress.exportRequested === true) await exportTracker?.begin(run);
        if (typeof run.progress.copyOf === 'string') {
          return snapshotReady(run, `shared snapshot ${run.progress.copyOf} copied as ${snapshotId}`);
        }
        if (run.share) return shareSnapshot(run, ctx);
        const retired = await retireOlderSnapshots(run, ctx);
        return snapshotReady(
          run,
          `snapshot ${snapshotId} created${retired.length ? `; retired ${retired.join(', ')}` : ''}`,
        );
      }
      if (snapshot.status === 'failed' || snapshot.status === 'deleting') {
        throw stepError('SnapshotFailed', `snapshot ${snapshotId} is ${snapshot.status}`);
      }
      return snapshotWait('available');
    }
    if (snapshot) {
      // The run-unique name is taken by a snapshot this run did not take: never replaced, never deleted.
      throw stepError(
        'SnapshotNameTaken',
        `${kind.snapshotLabel} ${snapshotId} exists and was not taken by this run (a snapshot of ${snapshot.source ?? 'another database'}): not replaced`,
      );
    }

    const copyOf = run.progress.copyOf;
    if (typeof copyOf === 'string') {
      // A shared encrypted snapshot, copied into this account with the target's key (see acceptRequest).
      try {
        await kind.copySnapshot(copyOf, snapshotId, String(run.progress.copyKmsKeyId), [
          { Key: SNAPSHOT_TAG, Value: run.runId },
        ]);
      } catch (err) {
        const code = errorCode(err);
        if (!['DBSnapshotAlreadyExists', 'DBClusterSnapshotAlreadyExistsFault'].includes(code)) throw err;
      }
      run = await runs.update(run, {
        progress: { ...run.progress, snapshotRequestedAt: ctx.now().toISOString() },
      });
      return snapshotWait('available');
    }
    const db = await kind.describeDb(run.identifier);
    if (!db) throw stepError(kind.notFoundCode, `${kind.label} ${run.identifier} not found`);
    if (db.status !== 'available') {
      return waiter.waitFor(
        run,
        { resourceType: kind.dbResource, identifier: run.identifier, target: 'available' },
        ctx.signal,
      );
    }
    try {
      await kind.createSnapshot(snapshotId, run.identifier, [{ Key: SNAPSHOT_TAG, Value: run.runId }]);
    } catch (err) {
      // Someone created it between our describe and create, or the database just got busy: look again later.
      const code = errorCode(err);
      if (
        !['DBSnapshotAlreadyExists', 'DBClusterSnapshotAlreadyExistsFault', kind.invalidStateCode].includes(
          code,
        )
      ) {
        throw err;
      }
      ctx.logger.info('snapshot not created yet, will look again', { code });
    }
    run = await runs.update(run, {
      progress: { ...run.progress, snapshotRequestedAt: ctx.now().toISOString() },
    });
    return snapshotWait('available');
  };

  /**
   * share_snapshot, once the run's snapshot is available: copied first with the request's customer managed key
   * (`<snapshot>-shared`), if one is named, then shared with the accounts. A share RDS refuses (the AWS managed
   * key aws/rds: RDS User Guide, Sharing a DB snapshot, "You can't share a snapshot that has been encrypted using
   * the default AWS KMS key") fails the run with what to do; the snapshot stays, nothing else changed.
   */
  const shareSnapshot = async (run: Run, ctx: StepContext): Promise<Run> => {
    const kind = kinds[run.kind];
    const share = run.share ?? { accounts: [] };
    const waitSnapshot = (identifier: string) =>
      waiter.waitFor(
        run,
        { resourceType: kind.snapshotResource, identifier, target: 'available' },
        ctx.signal,
      );
    let target = run.snapshotIdentifier;
    if (share.kmsKeyId) {
      target = `${run.snapshotIdentifier}-shared`;
      const copy = await kind.describeSnapshot(target);
      if (!copy) {
        try {
          await kind.copySnapshot(run.snapshotIdentifier, target, share.kmsKeyId, [
            { Key: SNAPSHOT_TAG, Value: run.runId },
          ]);
        } catch (err) {
          if (!['DBSnapshotAlreadyExists', 'DBClusterSnapshotAlreadyExistsFault'].includes(errorCode(err)))
            throw err;
        }
        return waitSnapshot(target);
      }
      if (tagValue(copy.tags, SNAPSHOT_TAG) !== run.runId) {
        throw stepError(
          'SnapshotNameTaken',
          `${kind.snapshotLabel} ${target} exists and was not made by this run`,
        );
      }
      if (copy.status === 'failed') throw stepError('SnapshotFailed', `the copy ${target} failed`);
      if (copy.status !== 'available') return waitSnapshot(target);
    }
    try {
      await kind.shareSnapshot(target, share.accounts);
    } catch (err) {
      const snapshot = await kind.describeSnapshot(target);
      if (snapshot?.encrypted && !share.kmsKeyId) {
        throw stepError(
          'SnapshotShareRefused',
          `RDS refused to share ${kind.snapshotLabel} ${target} (${errorCode(err)}: ${errorMessage(err)}): a snapshot encrypted with the AWS managed key aws/rds cannot be shared; request again with kmsKeyId, a customer managed key whose policy lets accounts ${share.accounts.join(', ')} use it (the snapshot is copied with it, and the copy shared)`,
        );
      }
      throw err;
    }
    ctx.logger.info('snapshot shared', { snapshot: target, accounts: share.accounts });
    return runs.transition(run, 'SUCCEEDED', {
      note: `snapshot ${target} shared with ${share.accounts.join(', ')}`,
      patch: {
        progress: {
          ...run.progress,
          sharedSnapshot: target,
          databaseState: `unchanged; snapshot ${target} created and shared with ${share.accounts.join(', ')}`,
        },
      },
    });
  };

  const onStepFailure = (run: Run, failure: RunFailure, _ctx: StepContext): Promise<Run> =>
    runs.transition(run, 'FAILED', {
      failure,
      patch: {
        reason:
          `${run.step === 'REQUESTED' ? 'accepting the request' : 'taking the snapshot'} failed; the database was not ` +
          'changed and is not locked: fix the cause, then request the restore again',
        remedy: retryRemedy(run),
        progress: { ...run.progress, databaseState: 'unchanged: the original still answers under its name' },
      },
    });

  const onRequest: ServiceSteps['onRequest'] = async (signal, ctx) => {
    const raw = (signal.detail ?? {}) as Record<string, unknown>;
    const parsed = restoreRequestedDetailSchema.safeParse(signal.detail);
    const requestId = typeof raw.requestId === 'string' && raw.requestId ? raw.requestId : undefined;
    const runId = runIdFor({ requestId, eventId: signal.eventId });
    if (!parsed.success) {
      const identifier = typeof raw.identifier === 'string' && raw.identifier ? raw.identifier : '(missing)';
      const task = TASKS.find((t) => t === raw.task) ?? 'invalid';
      const { run } = await runs.create({
        runId,
        identifier,
        kind: raw.isCluster === true ? 'cluster' : 'instance',
        task,
        snapshotIdentifier: `${identifier}-snapshot`,
        ...(requestId ? { requestId } : {}),
        ...(typeof raw.schedule === 'string' && raw.schedule ? { schedule: raw.schedule } : {}),
      });
      if (run.step !== 'REQUESTED') return run;
      return reject(
        run,
        `invalid RestoreRequested: ${formatIssues(parsed.error.issues)}`,
        'InvalidRequest',
        ctx,
      );
    }
    const detail = parsed.data;
    // A snapshot task takes a run-unique snapshot under the base name; a db_restore without a name restores the
    // newest snapshot Trapheus took under the default base (resolved when the request is accepted).
    const base = detail.snapshotIdentifier ?? `${detail.identifier}-snapshot`;
    const takesSnapshot =
      detail.task !== 'db_restore' && detail.task !== 'clone_from' && detail.task !== 'restore_copy';
    // A restore to a point in time has no snapshot: its source is the database's automated backups.
    const restorePoint = detail.restoreTime
      ? { time: detail.restoreTime }
      : detail.latest
        ? { latest: true }
        : undefined;
    const { run, created } = await runs.create({
      runId,
      identifier: detail.identifier,
      kind: detail.isCluster ? 'cluster' : 'instance',
      task: detail.task,
      snapshotIdentifier:
        restorePoint || detail.task === 'clone_from'
          ? ''
          : takesSnapshot
            ? runSnapshotIdentifier(base, runId)
            : base,
      ...(restorePoint ? { restorePoint } : {}),
      ...(detail.sourceIdentifier ? { cloneSource: detail.sourceIdentifier } : {}),
      ...(detail.task === 'share_snapshot' && detail.shareWith
        ? { share: { accounts: detail.shareWith, ...(detail.kmsKeyId ? { kmsKeyId: detail.kmsKeyId } : {}) } }
        : {}),
      ...(detail.task === 'restore_copy' && detail.targetIdentifier
        ? { rehearsal: { targetIdentifier: detail.targetIdentifier, keep: detail.keep === true } }
        : {}),
      ...(detail.requestId ? { requestId: detail.requestId } : {}),
      ...(detail.schedule ? { schedule: detail.schedule } : {}),
      ...(detail.masterPasswordSecretArn ? { masterPasswordSecretArn: detail.masterPasswordSecretArn } : {}),
      ...((takesSnapshot || !detail.snapshotIdentifier || detail.export) &&
      !restorePoint &&
      detail.task !== 'clone_from'
        ? {
            progress: {
              ...(takesSnapshot || !detail.snapshotIdentifier ? { snapshotBase: base } : {}),
              ...(detail.export ? { exportRequested: true } : {}),
            },
          }
        : {}),
      // A rehearsal restores beside its source, as swap does, and never swaps.
      strategy: detail.task === 'restore_copy' ? 'swap' : (detail.strategy ?? 'swap'),
      ...(detail.verify
        ? {
            verification: {
              hooks: detail.verify.hooks,
              timeoutMinutes: detail.verify.timeoutMinutes,
              answers: {},
            },
          }
        : {}),
    });
    ctx.logger.info(created ? 'run created' : 'request already seen', { runId, step: run.step });
    const kind = detail.isCluster ? 'cluster' : 'instance';
    if (
      !created &&
      detail.requestId &&
      (run.identifier !== detail.identifier || run.kind !== kind || run.task !== detail.task)
    ) {
      // The same requestId never starts two runs; a different request under it is refused loudly, not ignored.
      const { run: refused } = await runs.create({
        runId: runIdFor({ eventId: signal.eventId }),
        identifier: detail.identifier,
        kind,
        task: detail.task,
        snapshotIdentifier: detail.snapshotIdentifier ?? `${detail.identifier}-snapshot`,
      });
      if (refused.step !== 'REQUESTED') return refused;
      return reject(
        refused,
        `requestId ${detail.requestId} was already used by run ${run.runId} (${run.task} of ${run.kind} ${run.identifier}); use a new requestId`,
        'RequestIdReused',
        ctx,
        retryRemedy({ ...refused, task: detail.task }),
      );
    }
    return run;
  };

  return {
    service: 'snapshot',
    steps: { REQUESTED: acceptRequest, SNAPSHOTTING: takeSnapshot },
    clusterSteps: { REQUESTED: acceptRequest, SNAPSHOTTING: takeSnapshot },
    onStepFailure,
    onRequest,
  };
};
