/**
 * RDS helpers for DB instances: describe without exceptions for "not found", capture an instance's
 * configuration, and turn it back into restore and modify inputs (DESIGN.md §5).
 */
import {
  type DBInstance,
  type DBSnapshot,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  type ModifyDBInstanceCommandInput,
  type RDSClient,
  type RestoreDBInstanceFromDBSnapshotCommandInput,
  type Tag,
} from '@aws-sdk/client-rds';
import { ifFound, UnsafeDeleteError } from './errors';
import type { Run } from './run';

/** Tag put on the original just before the rename: marks the one database this run may delete. */
export const RUN_TAG = 'trapheus:run-id';
/** Tag put on the restored copy until it is configured, so a rollback can tell it apart. */
export const RESTORED_TAG = 'trapheus:restored-by';
/** Tag put on snapshots this run created. */
export const SNAPSHOT_TAG = 'trapheus:snapshot-run';

/** Statuses from which an instance never becomes `available` by itself (rds.md § Statuses). */
export const FAILED_STATUSES = new Set([
  'failed',
  'incompatible-restore',
  'incompatible-parameters',
  'incompatible-network',
  'incompatible-option-group',
  'restore-error',
  'storage-full',
  'inaccessible-encryption-credentials',
]);

const TRAPHEUS_TAGS = new Set([RUN_TAG, RESTORED_TAG, SNAPSHOT_TAG]);

/** The instance, or undefined when RDS does not know it. */
export const describeInstance = (rds: RDSClient, identifier: string): Promise<DBInstance | undefined> =>
  ifFound(
    async () =>
      (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: identifier }))).DBInstances?.[0],
  );

/** The manual or automated DB snapshot, or undefined. */
export const describeSnapshot = (rds: RDSClient, identifier: string): Promise<DBSnapshot | undefined> =>
  ifFound(
    async () =>
      (await rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: identifier }))).DBSnapshots?.[0],
  );

export const tagValue = (tags: readonly Tag[] | undefined, key: string): string | undefined =>
  tags?.find((t) => t.Key === key)?.Value;

/** Tag keys RDS reserves (`aws:cloudformation:stack-name` …): they cannot be set by a restore or create call. */
const isReservedTag = (key: string) => /^(aws|rds):/i.test(key);

/** RDS allows 50 tags per resource; Trapheus needs one free for its run tag. */
export const MAX_TAGS = 50;

/** The original's own tags, without Trapheus bookkeeping tags or tags RDS reserves for itself. */
export const userTags = (tags: readonly Tag[] | undefined): Tag[] =>
  (tags ?? [])
    .filter((t) => t.Key && !TRAPHEUS_TAGS.has(t.Key) && !isReservedTag(t.Key))
    .map((t) => ({ Key: t.Key, Value: t.Value }));

/** The configuration of an instance as Trapheus keeps it in the run (plain JSON). */
export interface CapturedInstance {
  DBInstanceIdentifier: string;
  DbiResourceId: string;
  Engine?: string;
  EngineVersion?: string;
  DBInstanceClass?: string;
  DBSubnetGroupName?: string;
  VpcSecurityGroupIds: string[];
  DBParameterGroupName?: string;
  OptionGroupName?: string;
  MultiAZ?: boolean;
  AvailabilityZone?: string;
  StorageType?: string;
  AllocatedStorage?: number;
  Iops?: number;
  StorageThroughput?: number;
  Port?: number;
  PubliclyAccessible?: boolean;
  IAMDatabaseAuthenticationEnabled?: boolean;
  DeletionProtection?: boolean;
  CopyTagsToSnapshot?: boolean;
  CACertificateIdentifier?: string;
  EnabledCloudwatchLogsExports: string[];
  AutoMinorVersionUpgrade?: boolean;
  LicenseModel?: string;
  Tags: Tag[];
  MonitoringInterval?: number;
  MonitoringRoleArn?: string;
  PerformanceInsightsEnabled?: boolean;
  PerformanceInsightsKMSKeyId?: string;
  PerformanceInsightsRetentionPeriod?: number;
  MaxAllocatedStorage?: number;
  PreferredMaintenanceWindow?: string;
  PreferredBackupWindow?: string;
  BackupRetentionPeriod?: number;
  DBClusterIdentifier?: string;
  PromotionTier?: number;
  /** The master password is managed in Secrets Manager (that secret is deleted with the temp). */
  ManageMasterUserPassword?: boolean;
  MasterUserSecretKmsKeyId?: string;
}

const defined = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/**
 * Captures what must survive the restore, before anything is touched.
 *
 * @example
 * const original = captureInstance(await describeInstance(rds, 'orders-db'));
 */
export const captureInstance = (db: DBInstance): CapturedInstance => {
  if (!db.DBInstanceIdentifier || !db.DbiResourceId)
    throw new Error('instance without identifier or resource id');
  return defined({
    DBInstanceIdentifier: db.DBInstanceIdentifier,
    DbiResourceId: db.DbiResourceId,
    Engine: db.Engine,
    EngineVersion: db.EngineVersion,
    DBInstanceClass: db.DBInstanceClass,
    DBSubnetGroupName: db.DBSubnetGroup?.DBSubnetGroupName,
    VpcSecurityGroupIds: (db.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId ?? '').filter(Boolean),
    DBParameterGroupName: db.DBParameterGroups?.[0]?.DBParameterGroupName,
    OptionGroupName: db.OptionGroupMemberships?.[0]?.OptionGroupName,
    MultiAZ: db.MultiAZ,
    AvailabilityZone: db.AvailabilityZone,
    StorageType: db.StorageType,
    AllocatedStorage: db.AllocatedStorage,
    Iops: db.Iops,
    StorageThroughput: db.StorageThroughput,
    Port: db.Endpoint?.Port ?? db.DbInstancePort,
    PubliclyAccessible: db.PubliclyAccessible,
    IAMDatabaseAuthenticationEnabled: db.IAMDatabaseAuthenticationEnabled,
    DeletionProtection: db.DeletionProtection,
    CopyTagsToSnapshot: db.CopyTagsToSnapshot,
    CACertificateIdentifier: db.CACertificateIdentifier,
    EnabledCloudwatchLogsExports: [...(db.EnabledCloudwatchLogsExports ?? [])],
    AutoMinorVersionUpgrade: db.AutoMinorVersionUpgrade,
    LicenseModel: db.LicenseModel,
    Tags: userTags(db.TagList),
    MonitoringInterval: db.MonitoringInterval,
    MonitoringRoleArn: db.MonitoringRoleArn,
    PerformanceInsightsEnabled: db.PerformanceInsightsEnabled,
    PerformanceInsightsKMSKeyId: db.PerformanceInsightsKMSKeyId,
    PerformanceInsightsRetentionPeriod: db.PerformanceInsightsRetentionPeriod,
    MaxAllocatedStorage: db.MaxAllocatedStorage,
    PreferredMaintenanceWindow: db.PreferredMaintenanceWindow,
    PreferredBackupWindow: db.PreferredBackupWindow,
    BackupRetentionPeriod: db.BackupRetentionPeriod,
    DBClusterIdentifier: db.DBClusterIdentifier,
    PromotionTier: db.PromotionTier,
    ManageMasterUserPassword: db.MasterUserSecret?.SecretArn ? true : undefined,
    MasterUserSecretKmsKeyId: db.MasterUserSecret?.KmsKeyId,
  });
};

/** `default.postgres16`, `default:postgres-16`: the engine's own groups. */
export const isDefaultGroup = (name: string | undefined): boolean =>
  !!name && (name.startsWith('default.') || name.startsWith('default:'));

const PROVISIONED_IOPS_TYPES = new Set(['io1', 'io2', 'gp3']);

/**
 * Everything RestoreDBInstanceFromDBSnapshot accepts, from the captured configuration. Without these RDS would
 * use the default parameter/option/subnet/security groups, Single-AZ, and turn protection and IAM auth off.
 */
export const buildRestoreInput = (
  original: CapturedInstance,
  opts: { snapshotIdentifier: string; runId: string },
): RestoreDBInstanceFromDBSnapshotCommandInput => {
  // gp3 below its baseline threshold (400 GiB; 200 GiB for Oracle) reports 3000 IOPS / 125 MiB/s but refuses
  // explicit values (InvalidParameterCombination): pass them only where RDS accepts them.
  const gp3Threshold = original.Engine?.startsWith('oracle') ? 200 : 400;
  const gp3Tunable = original.StorageType === 'gp3' && (original.AllocatedStorage ?? 0) >= gp3Threshold;
  const iopsApply =
    original.StorageType === 'gp3'
      ? gp3Tunable
      : original.StorageType
        ? PROVISIONED_IOPS_TYPES.has(original.StorageType)
        : false;
  return defined({
    DBInstanceIdentifier: original.DBInstanceIdentifier,
    DBSnapshotIdentifier: opts.snapshotIdentifier,
    DBInstanceClass: original.DBInstanceClass,
    Port: original.Port,
    // A Multi-AZ instance may not name an AZ.
    AvailabilityZone: original.MultiAZ ? undefined : original.AvailabilityZone,
    DBSubnetGroupName: original.DBSubnetGroupName,
    MultiAZ: original.MultiAZ,
    PubliclyAccessible: original.PubliclyAccessible,
    AutoMinorVersionUpgrade: original.AutoMinorVersionUpgrade,
    LicenseModel: original.LicenseModel,
    // A default group is what RDS picks by itself for the snapshot's engine version; naming it can only fail.
    OptionGroupName: isDefaultGroup(original.OptionGroupName) ? undefined : original.OptionGroupName,
    StorageType: original.StorageType,
    AllocatedStorage: original.AllocatedStorage,
    Iops: iopsApply ? original.Iops : undefined,
    StorageThroughput: gp3Tunable ? original.StorageThroughput : undefined,
    VpcSecurityGroupIds: original.VpcSecurityGroupIds.length ? original.VpcSecurityGroupIds : undefined,
    Tags: [...original.Tags, { Key: RESTORED_TAG, Value: opts.runId }],
    CopyTagsToSnapshot: original.CopyTagsToSnapshot,
    EnableIAMDatabaseAuthentication: original.IAMDatabaseAuthenticationEnabled,
    EnableCloudwatchLogsExports: original.EnabledCloudwatchLogsExports.length
      ? original.EnabledCloudwatchLogsExports
      : undefined,
    DBParameterGroupName: isDefaultGroup(original.DBParameterGroupName)
      ? undefined
      : original.DBParameterGroupName,
    // Deletion protection comes back with the post-restore modify, once the copy is good: a copy that fails
    // to restore must stay deletable by the rollback.
    DeletionProtection: false,
    CACertificateIdentifier: original.CACertificateIdentifier,
    // A managed master password stays managed: the restored copy gets its own secret (a new ARN), since the
    // original's is deleted with the temp.
    ManageMasterUserPassword: original.ManageMasterUserPassword,
    MasterUserSecretKmsKeyId: original.ManageMasterUserPassword
      ? original.MasterUserSecretKmsKeyId
      : undefined,
  });
};

/** What restore does not accept, applied by one ModifyDBInstance once the restored copy is `available`. */
export const buildPostRestoreModify = (
  original: CapturedInstance,
  restored: DBInstance,
): ModifyDBInstanceCommandInput | undefined => {
  const changes: Partial<ModifyDBInstanceCommandInput> = {};
  if ((original.MonitoringInterval ?? 0) !== (restored.MonitoringInterval ?? 0)) {
    changes.MonitoringInterval = original.MonitoringInterval ?? 0;
    if ((original.MonitoringInterval ?? 0) > 0) changes.MonitoringRoleArn = original.MonitoringRoleArn;
  }
  if (Boolean(original.PerformanceInsightsEnabled) !== Boolean(restored.PerformanceInsightsEnabled)) {
    changes.EnablePerformanceInsights = Boolean(original.PerformanceInsightsEnabled);
    if (original.PerformanceInsightsEnabled) {
      changes.PerformanceInsightsKMSKeyId = original.PerformanceInsightsKMSKeyId;
      changes.PerformanceInsightsRetentionPeriod = original.PerformanceInsightsRetentionPeriod;
    }
  }
  if (
    original.MaxAllocatedStorage !== undefined &&
    original.MaxAllocatedStorage !== restored.MaxAllocatedStorage
  ) {
    changes.MaxAllocatedStorage = original.MaxAllocatedStorage;
  }
  if (
    original.PreferredMaintenanceWindow &&
    original.PreferredMaintenanceWindow !== restored.PreferredMaintenanceWindow
  ) {
    changes.PreferredMaintenanceWindow = original.PreferredMaintenanceWindow;
  }
  if (original.PreferredBackupWindow && original.PreferredBackupWindow !== restored.PreferredBackupWindow) {
    changes.PreferredBackupWindow = original.PreferredBackupWindow;
  }
  if (
    original.BackupRetentionPeriod !== undefined &&
    original.BackupRetentionPeriod !== restored.BackupRetentionPeriod
  ) {
    changes.BackupRetentionPeriod = original.BackupRetentionPeriod;
  }
  if (Boolean(original.DeletionProtection) !== Boolean(restored.DeletionProtection)) {
    changes.DeletionProtection = Boolean(original.DeletionProtection);
  }
  if (original.EngineVersion && restored.EngineVersion && original.EngineVersion !== restored.EngineVersion) {
    changes.EngineVersion = original.EngineVersion;
  }
  if (Object.keys(changes).length === 0) return undefined;
  return defined({ DBInstanceIdentifier: restored.DBInstanceIdentifier, ApplyImmediately: true, ...changes });
};

/** Settings of the restored copy that differ from the original's (empty when the restore kept them all). */
export const configurationDrift = (original: CapturedInstance, restored: DBInstance): string[] => {
  const now = captureInstance(restored);
  const keys: (keyof CapturedInstance)[] = [
    'DBInstanceClass',
    'DBSubnetGroupName',
    'DBParameterGroupName',
    'OptionGroupName',
    'MultiAZ',
    'StorageType',
    'Port',
    'PubliclyAccessible',
    'IAMDatabaseAuthenticationEnabled',
    'DeletionProtection',
    'CopyTagsToSnapshot',
    'CACertificateIdentifier',
    'MonitoringInterval',
    'PerformanceInsightsEnabled',
    'MaxAllocatedStorage',
    'PreferredMaintenanceWindow',
    'BackupRetentionPeriod',
  ];
  const drift = keys
    .filter((k) => JSON.stringify(original[k] ?? null) !== JSON.stringify(now[k] ?? null))
    .map((k) => `${k}: ${JSON.stringify(original[k] ?? null)} → ${JSON.stringify(now[k] ?? null)}`);
  const sorted = (xs: string[]) => [...xs].sort().join(',');
  if (sorted(original.VpcSecurityGroupIds) !== sorted(now.VpcSecurityGroupIds))
    drift.push('VpcSecurityGroupIds');
  if (sorted(original.EnabledCloudwatchLogsExports) !== sorted(now.EnabledCloudwatchLogsExports)) {
    drift.push('EnabledCloudwatchLogsExports');
  }
  const tagString = (tags: Tag[]) => sorted(tags.map((t) => `${t.Key}=${t.Value}`));
  if (tagString(original.Tags) !== tagString(now.Tags)) drift.push('Tags');
  return drift;
};

/**
 * The deletion guard (DESIGN.md §5). Refuses unless the target is exactly the database this run may delete:
 * - `temp`: the original, renamed by this run: temp identifier, the run tag, the original's resource id;
 * - `restored-copy`: a copy this run restored under the original name, never the original itself.
 */
export const assertDeletable = (run: Run, db: DBInstance, role: 'temp' | 'restored-copy'): void => {
  const original = run.original as CapturedInstance | undefined;
  if (!original) throw new UnsafeDeleteError(`run ${run.runId} has no captured original: refusing to delete`);
  if (role === 'temp') {
    if (!run.tempIdentifier || db.DBInstanceIdentifier !== run.tempIdentifier) {
      throw new UnsafeDeleteError(`${db.DBInstanceIdentifier} is not this run's temp ${run.tempIdentifier}`);
    }
    if (tagValue(db.TagList, RUN_TAG) !== run.runId) {
      throw new UnsafeDeleteError(`${db.DBInstanceIdentifier} does not carry ${RUN_TAG}=${run.runId}`);
    }
    if (db.DbiResourceId !== original.DbiResourceId) {
      throw new UnsafeDeleteError(`${db.DBInstanceIdentifier} is not the original renamed by this run`);
    }
    return;
  }
  if (db.DBInstanceIdentifier !== run.identifier) {
    throw new UnsafeDeleteError(
      `${db.DBInstanceIdentifier} is not under the original name ${run.identifier}`,
    );
  }
  if (db.DbiResourceId === original.DbiResourceId) {
    throw new UnsafeDeleteError(`${db.DBInstanceIdentifier} is the original database: never deleted`);
  }
  if (tagValue(db.TagList, RESTORED_TAG) !== run.runId) {
    throw new UnsafeDeleteError(`${db.DBInstanceIdentifier} does not carry ${RESTORED_TAG}=${run.runId}`);
  }
};
