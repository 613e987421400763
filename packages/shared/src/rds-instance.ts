/**
 * RDS helpers for DB instances: describe without exceptions for "not found", capture an instance's
 * configuration, and turn it back into restore and modify inputs (docs/design.md §5).
 */
import {
  AddTagsToResourceCommand,
  type DatabaseInsightsMode,
  type DBInstance,
  type DBSnapshot,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  type ModifyDBInstanceCommandInput,
  type RDSClient,
  type RestoreDBInstanceFromDBSnapshotCommandInput,
  type RestoreDBInstanceToPointInTimeCommandInput,
  type Tag,
} from '@aws-sdk/client-rds';
import type { CapturedBackupReplication, CapturedDomain, CapturedInstance } from './captured';
import { ifFound, isBusy, isNotFound, UnsafeDeleteError } from './errors';
import { driftKeys, INSTANCE_LEDGER } from './ledger';
import { pure } from './pure';
import type { Run } from './run';

/** Tag put on the original just before the rename: marks the one database this run may delete. */
export const RUN_TAG = 'trapheus:run-id';
/** Tag put on the restored copy until it is configured, so a rollback can tell it apart. */
export const RESTORED_TAG = 'trapheus:restored-by';
/** Tag put on snapshots this run created. */
export const SNAPSHOT_TAG = 'trapheus:snapshot-run';

/** Statuses from which an instance never becomes `available` by itself (docs/rds-facts.md § Statuses). */
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
      (
        await rds.send(
          new DescribeDBSnapshotsCommand({
            DBSnapshotIdentifier: identifier,
            // RDS API reference, DescribeDBSnapshots IncludeShared: "Shared and public DB snapshots are not
            // included in the returned results by default": a shared snapshot is named by its ARN.
            ...(identifier.startsWith('arn:') ? { IncludeShared: true } : {}),
          }),
        )
      ).DBSnapshots?.[0],
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

/** `arn:aws:rds:us-west-2:123456789012:auto-backup:ab-…` → `us-west-2`. */
export const regionOfArn = (arn: string | undefined): string | undefined => arn?.split(':')[3] || undefined;

export const isSqlServer = (engine: string | undefined): boolean => !!engine?.startsWith('sqlserver');
export const isOracle = (engine: string | undefined): boolean => !!engine?.startsWith('oracle');

const defined = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/**
 * Captures what must survive the restore, before anything is touched.
 *
 * `replications`: the cross-Region automated backup replications, described in their destination Regions
 * (DescribeDBInstanceAutomatedBackups); without them the capture keeps only the Regions.
 *
 * @example
 * const original = captureInstance(await describeInstance(rds, 'orders-db'));
 */
export const captureInstance = (
  db: DBInstance,
  replications?: CapturedBackupReplication[],
): CapturedInstance => {
  if (!db.DBInstanceIdentifier || !db.DbiResourceId)
    throw new Error('instance without identifier or resource id');
  return defined({
    kind: 'instance',
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
    NetworkType: db.NetworkType,
    Domain: captureDomain(db.DomainMemberships?.[0]),
    EngineLifecycleSupport: db.EngineLifecycleSupport,
    DedicatedLogVolume: db.DedicatedLogVolume,
    DatabaseInsightsMode: db.DatabaseInsightsMode,
    ProcessorFeatures: db.ProcessorFeatures?.length
      ? db.ProcessorFeatures.map((f) => defined({ Name: f.Name, Value: f.Value })).sort((a, b) =>
          String(a.Name).localeCompare(String(b.Name)),
        )
      : undefined,
    BackupTarget: db.BackupTarget,
    CustomerOwnedIpEnabled: db.CustomerOwnedIpEnabled,
    DBCapacityReservationIdentifier: db.DBCapacityReservationIdentifier,
    AssociatedRoles: sortedRoles(db.AssociatedRoles),
    AutomatedBackupsReplications: backupReplications(db, replications),
    AdditionalStorageVolumes: db.AdditionalStorageVolumes?.length
      ? db.AdditionalStorageVolumes.map((v) =>
          defined({
            VolumeName: v.VolumeName ?? '',
            AllocatedStorage: v.AllocatedStorage,
            IOPS: v.IOPS,
            MaxAllocatedStorage: v.MaxAllocatedStorage,
            StorageThroughput: v.StorageThroughput,
            StorageType: v.StorageType,
          }),
        ).sort((a, b) => a.VolumeName.localeCompare(b.VolumeName))
      : undefined,
  });
};

/** The replications of an instance: those described in their Regions, or just the Regions from the ARNs. */
const backupReplications = (
  db: DBInstance,
  described: CapturedBackupReplication[] | undefined,
): CapturedBackupReplication[] | undefined => {
  const list =
    described ??
    (db.DBInstanceAutomatedBackupsReplications ?? []).flatMap((r) => {
      const region = regionOfArn(r.DBInstanceAutomatedBackupsArn);
      return region ? [{ Region: region }] : [];
    });
  return list.length > 0 ? [...list].sort((a, b) => a.Region.localeCompare(b.Region)) : undefined;
};

/** The domain membership as restore takes it back (status left out). */
export const captureDomain = (
  m:
    | {
        Domain?: string;
        IAMRoleName?: string;
        FQDN?: string;
        OU?: string;
        AuthSecretArn?: string;
        DnsIps?: string[];
      }
    | undefined,
): CapturedDomain | undefined =>
  m?.Domain
    ? defined({
        Domain: m.Domain,
        IAMRoleName: m.IAMRoleName,
        FQDN: m.FQDN,
        OU: m.OU,
        AuthSecretArn: m.AuthSecretArn,
        DnsIps: m.DnsIps?.length ? [...m.DnsIps] : undefined,
      })
    : undefined;

/** Associated roles, sorted, without their status. */
export const sortedRoles = (
  roles: readonly { RoleArn?: string; FeatureName?: string }[] | undefined,
): { RoleArn: string; FeatureName?: string }[] | undefined => {
  const list = (roles ?? [])
    .filter((r) => r.RoleArn)
    .map((r) => defined({ RoleArn: r.RoleArn ?? '', FeatureName: r.FeatureName || undefined }))
    .sort((a, b) => `${a.RoleArn} ${a.FeatureName}`.localeCompare(`${b.RoleArn} ${b.FeatureName}`));
  return list.length > 0 ? list : undefined;
};

/** `default.postgres16`, `default:postgres-16`: the engine's own groups. */
export const isDefaultGroup = (name: string | undefined): boolean =>
  !!name && (name.startsWith('default.') || name.startsWith('default:'));

/**
 * Everything RestoreDBInstanceFromDBSnapshot accepts, from the captured configuration. Without these RDS would
 * use the default parameter/option/subnet/security groups, Single-AZ, and turn protection and IAM auth off.
 */
export const buildRestoreInput = (
  original: CapturedInstance,
  opts: { snapshotIdentifier: string; runId: string; targetIdentifier?: string },
): RestoreDBInstanceFromDBSnapshotCommandInput => {
  const storage = storageSettings(original);
  const oracle = isOracle(original.Engine);
  return defined({
    // The original's name (rename_first), or the run's side name (swap).
    DBInstanceIdentifier: opts.targetIdentifier ?? original.DBInstanceIdentifier,
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
    ...storage,
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
    BackupRetentionPeriod: original.BackupRetentionPeriod,
    PreferredBackupWindow: original.PreferredBackupWindow,
    // RDS API reference, RestoreDBInstanceFromDBSnapshot ManageMasterUserPassword: "Applies to RDS for Oracle
    // only." Every other engine gets its managed password back in the post-restore modify.
    ManageMasterUserPassword: oracle && original.ManageMasterUserPassword ? true : undefined,
    MasterUserSecretKmsKeyId:
      oracle && original.ManageMasterUserPassword ? original.MasterUserSecretKmsKeyId : undefined,
    NetworkType: original.NetworkType,
    Domain: original.Domain?.Domain,
    DomainIAMRoleName: original.Domain?.IAMRoleName,
    DomainFqdn: original.Domain?.FQDN,
    DomainOu: original.Domain?.OU,
    DomainAuthSecretArn: original.Domain?.AuthSecretArn,
    DomainDnsIps: original.Domain?.DnsIps,
    // Omitted, RestoreDBInstanceFromDBSnapshot defaults to open-source-rds-extended-support (paid Extended Support).
    EngineLifecycleSupport: original.EngineLifecycleSupport,
    DedicatedLogVolume: original.DedicatedLogVolume,
    ProcessorFeatures: original.ProcessorFeatures,
    BackupTarget: original.BackupTarget,
    EnableCustomerOwnedIp: original.CustomerOwnedIpEnabled,
    DBCapacityReservationIdentifier: original.DBCapacityReservationIdentifier,
    AdditionalStorageVolumes: original.AdditionalStorageVolumes,
  });
};

/**
 * gp3 baseline thresholds by engine (Amazon RDS User Guide, "DB instance storage", General Purpose SSD gp3):
 * below 400 GiB (Db2, MariaDB, MySQL, PostgreSQL) or 200 GiB (Oracle) a gp3 volume has the fixed baseline of
 * 3,000 IOPS and 125 MiB/s, and RDS refuses explicit values; RDS for SQL Server has no threshold.
 */
export const gp3ThresholdGiB = (engine: string | undefined): number =>
  isSqlServer(engine) ? 0 : isOracle(engine) ? 200 : 400;

const PROVISIONED_IOPS_TYPES = new Set(['io1', 'io2']);

/** AllocatedStorage, Iops and StorageThroughput as RestoreDBInstanceFromDBSnapshot accepts them for the engine. */
const storageSettings = (original: CapturedInstance) => {
  const gp3Tunable =
    original.StorageType === 'gp3' && (original.AllocatedStorage ?? 0) >= gp3ThresholdGiB(original.Engine);
  const iopsApply = gp3Tunable || PROVISIONED_IOPS_TYPES.has(original.StorageType ?? '');
  return {
    // RDS API reference, RestoreDBInstanceFromDBSnapshot AllocatedStorage: "This setting isn't valid for RDS
    // for SQL Server." (the snapshot's size is used; the post-restore modify raises it when smaller).
    AllocatedStorage: isSqlServer(original.Engine) ? undefined : original.AllocatedStorage,
    Iops: iopsApply ? original.Iops : undefined,
    StorageThroughput: gp3Tunable ? original.StorageThroughput : undefined,
  };
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
  const piDiffers =
    Boolean(original.PerformanceInsightsEnabled) !== Boolean(restored.PerformanceInsightsEnabled) ||
    (original.PerformanceInsightsEnabled &&
      (original.PerformanceInsightsRetentionPeriod !== restored.PerformanceInsightsRetentionPeriod ||
        original.PerformanceInsightsKMSKeyId !== restored.PerformanceInsightsKMSKeyId));
  if (piDiffers) {
    changes.EnablePerformanceInsights = Boolean(original.PerformanceInsightsEnabled);
    if (original.PerformanceInsightsEnabled) {
      changes.PerformanceInsightsKMSKeyId = original.PerformanceInsightsKMSKeyId;
      changes.PerformanceInsightsRetentionPeriod = original.PerformanceInsightsRetentionPeriod;
    }
  }
  if (original.DatabaseInsightsMode && original.DatabaseInsightsMode !== restored.DatabaseInsightsMode) {
    changes.DatabaseInsightsMode = original.DatabaseInsightsMode as DatabaseInsightsMode;
  }
  if (
    original.MaxAllocatedStorage !== undefined &&
    original.MaxAllocatedStorage !== restored.MaxAllocatedStorage
  ) {
    changes.MaxAllocatedStorage = original.MaxAllocatedStorage;
  }
  // SQL Server takes the snapshot's size at restore: grow the copy to the original's size when it is smaller.
  if ((original.AllocatedStorage ?? 0) > (restored.AllocatedStorage ?? 0)) {
    changes.AllocatedStorage = original.AllocatedStorage;
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
  // A managed master password stays managed: the copy gets a secret of its own (the original's goes with the
  // temp). RDS API reference, ModifyDBInstance ManageMasterUserPassword: turns it on for any engine.
  if (original.ManageMasterUserPassword && !restored.MasterUserSecret?.SecretArn) {
    changes.ManageMasterUserPassword = true;
    changes.MasterUserSecretKmsKeyId = original.MasterUserSecretKmsKeyId;
  }
  if (Object.keys(changes).length === 0) return undefined;
  return defined({ DBInstanceIdentifier: restored.DBInstanceIdentifier, ApplyImmediately: true, ...changes });
};

/** Empty values compare equal: an absent field, null, false, 0, '' and []. */
const normalized = (v: unknown): string => {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return 'null';
  if (Array.isArray(v) && v.length === 0) return 'null';
  return JSON.stringify(v);
};

/**
 * Differences between two captures over the ledger's drift-checked fields (`at least` for storage, Regions only
 * for backup replications, sorted lists everywhere).
 */
export const captureDrift = <C extends object>(keys: (keyof C)[], original: C, now: C): string[] => {
  const drift: string[] = [];
  for (const key of keys) {
    const a = original[key] as unknown;
    const b = now[key] as unknown;
    if (key === 'AllocatedStorage') {
      if (Number(b ?? 0) < Number(a ?? 0)) drift.push(`AllocatedStorage: ${a} → ${b}`);
      continue;
    }
    const view = (v: unknown): unknown =>
      key === 'AutomatedBackupsReplications' && Array.isArray(v)
        ? v.map((r: CapturedBackupReplication) => r.Region)
        : key === 'Tags' && Array.isArray(v)
          ? (v as Tag[]).map((t) => `${t.Key}=${t.Value}`).sort()
          : Array.isArray(v) && v.every((x) => typeof x === 'string')
            ? [...v].sort()
            : v;
    if (normalized(view(a)) !== normalized(view(b))) {
      drift.push(`${String(key)}: ${JSON.stringify(view(a) ?? null)} → ${JSON.stringify(view(b) ?? null)}`);
    }
  }
  return drift;
};

const INSTANCE_DRIFT_KEYS = /* @__PURE__ */ pure(() => driftKeys(INSTANCE_LEDGER));

/**
 * Settings of the restored copy that differ from the original's (empty when the restore kept them all): every
 * field the configuration ledger marks as drift-checked.
 */
export const configurationDrift = (
  original: CapturedInstance,
  restored: DBInstance,
  replications?: CapturedBackupReplication[],
): string[] => captureDrift(INSTANCE_DRIFT_KEYS, original, captureInstance(restored, replications));

/**
 * The deletion guard (docs/design.md §5). Refuses unless the target is exactly the database this run may delete:
 * - `temp`: the original, renamed by this run: temp identifier, the run tag, the original's resource id;
 * - `restored-copy`: a copy this run restored under the original name, never the original itself.
 */
export const assertDeletable = (run: Run, db: DBInstance, role: 'temp' | 'restored-copy'): void => {
  const original = run.original?.kind === 'instance' ? run.original : undefined;
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
  if (db.DBInstanceIdentifier !== run.identifier && db.DBInstanceIdentifier !== run.copyIdentifier) {
    throw new UnsafeDeleteError(
      `${db.DBInstanceIdentifier} is neither under the original name ${run.identifier} nor this run's copy name`,
    );
  }
  if (db.DbiResourceId === original.DbiResourceId) {
    throw new UnsafeDeleteError(`${db.DBInstanceIdentifier} is the original database: never deleted`);
  }
  if (tagValue(db.TagList, RESTORED_TAG) !== run.runId) {
    throw new UnsafeDeleteError(`${db.DBInstanceIdentifier} does not carry ${RESTORED_TAG}=${run.runId}`);
  }
};

/** What a tag-then-rename call did: asked RDS, found the database busy, or found it gone (a rename under way). */
export type RenameResult = 'requested' | 'busy' | 'gone';

/**
 * Puts the run's tag on a database of the original, then renames it (instances, cluster members and clusters
 * alike): the tag is what later allows deleting it, so it goes on just before the rename. A busy database
 * (a backup window) or one already gone under its old name (a redelivered step renamed it) is reported, never
 * treated as a failure.
 *
 * @example
 * const result = await tagThenRename(rds, { arn: db.DBInstanceArn, runId, rename: () => rds.send(new ModifyDBInstanceCommand(…)) });
 */
export const tagThenRename = async (
  rds: RDSClient,
  target: { arn: string | undefined; runId: string; rename: () => Promise<unknown> },
): Promise<RenameResult> => {
  try {
    await rds.send(
      new AddTagsToResourceCommand({
        ResourceName: target.arn,
        Tags: [{ Key: RUN_TAG, Value: target.runId }],
      }),
    );
    await target.rename();
    return 'requested';
  } catch (err) {
    if (isBusy(err)) return 'busy';
    if (isNotFound(err)) return 'gone';
    throw err;
  }
};

/** Settings a snapshot restore passes that RestoreDBInstanceToPointInTime does not take: none (checked by the build). */
type SnapshotOnlyInstanceSettings = Exclude<
  keyof Omit<
    RestoreDBInstanceFromDBSnapshotCommandInput,
    'DBInstanceIdentifier' | 'DBSnapshotIdentifier' | 'DBClusterSnapshotIdentifier'
  >,
  keyof RestoreDBInstanceToPointInTimeCommandInput
>;
const _instanceSettingsAlsoAtPointInTime: [SnapshotOnlyInstanceSettings] extends [never]
  ? true
  : SnapshotOnlyInstanceSettings = true;

/**
 * RestoreDBInstanceToPointInTime with the same captured settings as a snapshot restore (the two take the same
 * settings parameters; RDS API reference, RestoreDBInstanceToPointInTimeMessage), from the original's automated
 * backups: `source` is the original's name at restore time (its own with swap, the temp name with rename_first;
 * the automated backups follow a renamed instance).
 *
 * @example
 * buildPointInTimeRestoreInput(original, { source: 'orders-db', point: { latest: true }, runId, targetIdentifier: 'orders-db-tc-1a2b3c4d' })
 */
export const buildPointInTimeRestoreInput = (
  original: CapturedInstance,
  opts: {
    source: string;
    point: { time?: string; latest?: boolean };
    runId: string;
    targetIdentifier?: string;
  },
): RestoreDBInstanceToPointInTimeCommandInput => {
  const {
    DBInstanceIdentifier,
    DBSnapshotIdentifier: _snapshot,
    ...settings
  } = buildRestoreInput(original, {
    snapshotIdentifier: '',
    runId: opts.runId,
    ...(opts.targetIdentifier ? { targetIdentifier: opts.targetIdentifier } : {}),
  });
  return {
    ...settings,
    TargetDBInstanceIdentifier: DBInstanceIdentifier,
    SourceDBInstanceIdentifier: opts.source,
    // RDS API reference, RestoreDBInstanceToPointInTime RestoreTime / UseLatestRestorableTime: each "Can't be
    // specified if" the other is.
    ...(opts.point.time ? { RestoreTime: new Date(opts.point.time) } : { UseLatestRestorableTime: true }),
  };
};
