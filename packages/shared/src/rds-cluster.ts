/**
 * RDS helpers for Aurora DB clusters: describe without exceptions for "not found", capture a cluster and its
 * members, and turn them back into restore, create-member and modify inputs (DESIGN.md §5, issue: clusters).
 */
import {
  type CreateDBInstanceCommandInput,
  type DBCluster,
  type DBClusterSnapshot,
  type DBInstance,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  type ModifyDBClusterCommandInput,
  type RDSClient,
  type RestoreDBClusterFromSnapshotCommandInput,
  type Tag,
} from '@aws-sdk/client-rds';
import { ifFound, UnsafeDeleteError } from './errors';
import { isDefaultGroup, RESTORED_TAG, RUN_TAG, tagValue, userTags } from './rds-instance';
import { type Run, tempIdentifierFor } from './run';

/** The cluster, or undefined when RDS does not know it. */
export const describeCluster = (rds: RDSClient, identifier: string): Promise<DBCluster | undefined> =>
  ifFound(
    async () =>
      (await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: identifier }))).DBClusters?.[0],
  );

/** The DB cluster snapshot, or undefined. */
export const describeClusterSnapshot = (
  rds: RDSClient,
  identifier: string,
): Promise<DBClusterSnapshot | undefined> =>
  ifFound(
    async () =>
      (await rds.send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: identifier })))
        .DBClusterSnapshots?.[0],
  );

/** A member instance of the cluster, as captured before anything is touched. */
export interface CapturedMember {
  DBInstanceIdentifier: string;
  DbiResourceId: string;
  IsClusterWriter: boolean;
  PromotionTier?: number;
  DBInstanceClass?: string;
  DBParameterGroupName?: string;
  AvailabilityZone?: string;
  PubliclyAccessible?: boolean;
  MonitoringInterval?: number;
  MonitoringRoleArn?: string;
  PerformanceInsightsEnabled?: boolean;
  PerformanceInsightsKMSKeyId?: string;
  PerformanceInsightsRetentionPeriod?: number;
  CACertificateIdentifier?: string;
  AutoMinorVersionUpgrade?: boolean;
  PreferredMaintenanceWindow?: string;
  Tags: Tag[];
}

export interface CapturedCluster {
  DBClusterIdentifier: string;
  DbClusterResourceId: string;
  Engine?: string;
  EngineVersion?: string;
  EngineMode?: string;
  DBClusterParameterGroup?: string;
  DBSubnetGroup?: string;
  VpcSecurityGroupIds: string[];
  Port?: number;
  DatabaseName?: string;
  KmsKeyId?: string;
  StorageEncrypted?: boolean;
  IAMDatabaseAuthenticationEnabled?: boolean;
  DeletionProtection?: boolean;
  CopyTagsToSnapshot?: boolean;
  BacktrackWindow?: number;
  EnabledCloudwatchLogsExports: string[];
  ServerlessV2ScalingConfiguration?: { MinCapacity?: number; MaxCapacity?: number };
  PreferredBackupWindow?: string;
  PreferredMaintenanceWindow?: string;
  BackupRetentionPeriod?: number;
  Tags: Tag[];
  /** Writer first, then readers by promotion tier. */
  members: CapturedMember[];
}

const defined = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

export const captureMember = (db: DBInstance, isWriter: boolean): CapturedMember => {
  if (!db.DBInstanceIdentifier || !db.DbiResourceId)
    throw new Error('member without identifier or resource id');
  return defined({
    DBInstanceIdentifier: db.DBInstanceIdentifier,
    DbiResourceId: db.DbiResourceId,
    IsClusterWriter: isWriter,
    PromotionTier: db.PromotionTier,
    DBInstanceClass: db.DBInstanceClass,
    DBParameterGroupName: db.DBParameterGroups?.[0]?.DBParameterGroupName,
    AvailabilityZone: db.AvailabilityZone,
    PubliclyAccessible: db.PubliclyAccessible,
    MonitoringInterval: db.MonitoringInterval,
    MonitoringRoleArn: db.MonitoringRoleArn,
    PerformanceInsightsEnabled: db.PerformanceInsightsEnabled,
    PerformanceInsightsKMSKeyId: db.PerformanceInsightsKMSKeyId,
    PerformanceInsightsRetentionPeriod: db.PerformanceInsightsRetentionPeriod,
    CACertificateIdentifier: db.CACertificateIdentifier,
    AutoMinorVersionUpgrade: db.AutoMinorVersionUpgrade,
    PreferredMaintenanceWindow: db.PreferredMaintenanceWindow,
    Tags: userTags(db.TagList),
  });
};

/**
 * Captures a cluster and its members (described separately, passed in) before anything is touched.
 *
 * @example
 * const original = captureCluster(cluster, await Promise.all(ids.map((id) => describeInstance(rds, id))));
 */
export const captureCluster = (cluster: DBCluster, members: DBInstance[]): CapturedCluster => {
  if (!cluster.DBClusterIdentifier || !cluster.DbClusterResourceId) {
    throw new Error('cluster without identifier or resource id');
  }
  const writerIds = new Set(
    (cluster.DBClusterMembers ?? []).filter((m) => m.IsClusterWriter).map((m) => m.DBInstanceIdentifier),
  );
  const captured = members
    .map((m) => captureMember(m, writerIds.has(m.DBInstanceIdentifier)))
    .sort(
      (a, b) =>
        Number(b.IsClusterWriter) - Number(a.IsClusterWriter) ||
        (a.PromotionTier ?? 1) - (b.PromotionTier ?? 1) ||
        a.DBInstanceIdentifier.localeCompare(b.DBInstanceIdentifier),
    );
  return defined({
    DBClusterIdentifier: cluster.DBClusterIdentifier,
    DbClusterResourceId: cluster.DbClusterResourceId,
    Engine: cluster.Engine,
    EngineVersion: cluster.EngineVersion,
    EngineMode: cluster.EngineMode,
    DBClusterParameterGroup: cluster.DBClusterParameterGroup,
    DBSubnetGroup: cluster.DBSubnetGroup,
    VpcSecurityGroupIds: (cluster.VpcSecurityGroups ?? [])
      .map((g) => g.VpcSecurityGroupId ?? '')
      .filter(Boolean),
    Port: cluster.Port,
    DatabaseName: cluster.DatabaseName,
    KmsKeyId: cluster.KmsKeyId,
    StorageEncrypted: cluster.StorageEncrypted,
    IAMDatabaseAuthenticationEnabled: cluster.IAMDatabaseAuthenticationEnabled,
    DeletionProtection: cluster.DeletionProtection,
    CopyTagsToSnapshot: cluster.CopyTagsToSnapshot,
    BacktrackWindow: cluster.BacktrackWindow || undefined,
    EnabledCloudwatchLogsExports: [...(cluster.EnabledCloudwatchLogsExports ?? [])],
    ServerlessV2ScalingConfiguration: cluster.ServerlessV2ScalingConfiguration
      ? defined({
          MinCapacity: cluster.ServerlessV2ScalingConfiguration.MinCapacity,
          MaxCapacity: cluster.ServerlessV2ScalingConfiguration.MaxCapacity,
        })
      : undefined,
    PreferredBackupWindow: cluster.PreferredBackupWindow,
    PreferredMaintenanceWindow: cluster.PreferredMaintenanceWindow,
    BackupRetentionPeriod: cluster.BackupRetentionPeriod,
    Tags: userTags(cluster.TagList),
    members: captured,
  });
};

/** The temp name of a member instance during a run. */
export const memberTempIdentifier = (memberId: string, runId: string): string =>
  tempIdentifierFor(memberId, runId);

/**
 * RestoreDBClusterFromSnapshot with everything the cluster had. Without an explicit EngineVersion RDS would pick
 * the Region's default version; without the parameter group, the default one. Deletion protection comes back
 * with the post-restore modify, so a copy that fails stays deletable by the rollback.
 */
export const buildClusterRestoreInput = (
  original: CapturedCluster,
  opts: { snapshotIdentifier: string; runId: string },
): RestoreDBClusterFromSnapshotCommandInput =>
  defined({
    DBClusterIdentifier: original.DBClusterIdentifier,
    SnapshotIdentifier: opts.snapshotIdentifier,
    Engine: original.Engine,
    EngineVersion: original.EngineVersion,
    DBClusterParameterGroupName: original.DBClusterParameterGroup,
    DBSubnetGroupName: original.DBSubnetGroup,
    VpcSecurityGroupIds: original.VpcSecurityGroupIds.length ? original.VpcSecurityGroupIds : undefined,
    Port: original.Port,
    DatabaseName: original.DatabaseName,
    KmsKeyId: original.StorageEncrypted ? original.KmsKeyId : undefined,
    EnableIAMDatabaseAuthentication: original.IAMDatabaseAuthenticationEnabled,
    DeletionProtection: false,
    CopyTagsToSnapshot: original.CopyTagsToSnapshot,
    BacktrackWindow: original.BacktrackWindow,
    EnableCloudwatchLogsExports: original.EnabledCloudwatchLogsExports.length
      ? original.EnabledCloudwatchLogsExports
      : undefined,
    ServerlessV2ScalingConfiguration: original.ServerlessV2ScalingConfiguration,
    BackupRetentionPeriod: original.BackupRetentionPeriod,
    PreferredBackupWindow: original.PreferredBackupWindow,
    Tags: [...original.Tags, { Key: RESTORED_TAG, Value: opts.runId }],
  });

/** CreateDBInstance for one member of the restored cluster, with the member's captured settings. */
export const buildMemberCreateInput = (
  cluster: CapturedCluster,
  member: CapturedMember,
  runId: string,
): CreateDBInstanceCommandInput =>
  defined({
    DBInstanceIdentifier: member.DBInstanceIdentifier,
    DBClusterIdentifier: cluster.DBClusterIdentifier,
    Engine: cluster.Engine,
    DBInstanceClass: member.DBInstanceClass,
    PromotionTier: member.PromotionTier,
    DBParameterGroupName: isDefaultGroup(member.DBParameterGroupName)
      ? undefined
      : member.DBParameterGroupName,
    AvailabilityZone: member.AvailabilityZone,
    PubliclyAccessible: member.PubliclyAccessible,
    MonitoringInterval: member.MonitoringInterval,
    MonitoringRoleArn: (member.MonitoringInterval ?? 0) > 0 ? member.MonitoringRoleArn : undefined,
    EnablePerformanceInsights: member.PerformanceInsightsEnabled,
    PerformanceInsightsKMSKeyId: member.PerformanceInsightsEnabled
      ? member.PerformanceInsightsKMSKeyId
      : undefined,
    PerformanceInsightsRetentionPeriod: member.PerformanceInsightsEnabled
      ? member.PerformanceInsightsRetentionPeriod
      : undefined,
    CACertificateIdentifier: member.CACertificateIdentifier,
    AutoMinorVersionUpgrade: member.AutoMinorVersionUpgrade,
    PreferredMaintenanceWindow: member.PreferredMaintenanceWindow,
    Tags: [...member.Tags, { Key: RESTORED_TAG, Value: runId }],
  });

/** What RestoreDBClusterFromSnapshot does not take, applied once the cluster and its members are available. */
export const buildClusterPostModify = (
  original: CapturedCluster,
  restored: DBCluster,
): ModifyDBClusterCommandInput | undefined => {
  const changes: Partial<ModifyDBClusterCommandInput> = {};
  if (Boolean(original.DeletionProtection) !== Boolean(restored.DeletionProtection)) {
    changes.DeletionProtection = Boolean(original.DeletionProtection);
  }
  if (
    original.PreferredMaintenanceWindow &&
    original.PreferredMaintenanceWindow !== restored.PreferredMaintenanceWindow
  ) {
    changes.PreferredMaintenanceWindow = original.PreferredMaintenanceWindow;
  }
  if (
    original.BackupRetentionPeriod !== undefined &&
    original.BackupRetentionPeriod !== restored.BackupRetentionPeriod
  ) {
    changes.BackupRetentionPeriod = original.BackupRetentionPeriod;
  }
  if (Object.keys(changes).length === 0) return undefined;
  return { DBClusterIdentifier: restored.DBClusterIdentifier, ApplyImmediately: true, ...changes };
};

/** Settings of the restored cluster and members that differ from the captured ones. */
export const clusterDrift = (
  original: CapturedCluster,
  cluster: DBCluster,
  members: DBInstance[],
): string[] => {
  const now = captureCluster(cluster, members);
  const keys: (keyof CapturedCluster)[] = [
    'Engine',
    'EngineVersion',
    'DBClusterParameterGroup',
    'DBSubnetGroup',
    'Port',
    'DatabaseName',
    'IAMDatabaseAuthenticationEnabled',
    'DeletionProtection',
    'CopyTagsToSnapshot',
    'BacktrackWindow',
    'ServerlessV2ScalingConfiguration',
    'PreferredMaintenanceWindow',
    'BackupRetentionPeriod',
  ];
  const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  const sorted = (xs: string[]) => [...xs].sort().join(',');
  const drift = keys
    .filter((k) => !same(original[k], now[k]))
    .map((k) => `${k}: ${JSON.stringify(original[k] ?? null)} → ${JSON.stringify(now[k] ?? null)}`);
  if (sorted(original.VpcSecurityGroupIds) !== sorted(now.VpcSecurityGroupIds))
    drift.push('VpcSecurityGroupIds');
  if (sorted(original.EnabledCloudwatchLogsExports) !== sorted(now.EnabledCloudwatchLogsExports)) {
    drift.push('EnabledCloudwatchLogsExports');
  }
  const tagString = (tags: Tag[]) => sorted(tags.map((t) => `${t.Key}=${t.Value}`));
  if (tagString(original.Tags) !== tagString(now.Tags)) drift.push('Tags');
  const memberKeys: (keyof CapturedMember)[] = [
    'IsClusterWriter',
    'PromotionTier',
    'DBInstanceClass',
    'DBParameterGroupName',
    'PubliclyAccessible',
    'MonitoringInterval',
    'PerformanceInsightsEnabled',
    'PerformanceInsightsRetentionPeriod',
  ];
  for (const m of original.members) {
    const r = now.members.find((x) => x.DBInstanceIdentifier === m.DBInstanceIdentifier);
    if (!r) {
      drift.push(`member ${m.DBInstanceIdentifier} missing`);
      continue;
    }
    for (const k of memberKeys) {
      if (!same(m[k], r[k]))
        drift.push(
          `${m.DBInstanceIdentifier}.${k}: ${JSON.stringify(m[k] ?? null)} → ${JSON.stringify(r[k] ?? null)}`,
        );
    }
  }
  return drift;
};

const originalCluster = (run: Run): CapturedCluster => {
  const original = run.original as unknown as CapturedCluster | undefined;
  if (!original?.DbClusterResourceId) {
    throw new UnsafeDeleteError(`run ${run.runId} has no captured cluster: refusing to delete`);
  }
  return original;
};

/**
 * The deletion guard for clusters: `temp` is the original cluster renamed by this run (temp name, run tag,
 * original resource id); `restored-copy` is a cluster this run restored under the original name.
 */
export const assertClusterDeletable = (
  run: Run,
  cluster: DBCluster,
  role: 'temp' | 'restored-copy',
): void => {
  const original = originalCluster(run);
  const id = cluster.DBClusterIdentifier;
  if (role === 'temp') {
    if (!run.tempIdentifier || id !== run.tempIdentifier) {
      throw new UnsafeDeleteError(`cluster ${id} is not this run's temp ${run.tempIdentifier}`);
    }
    if (tagValue(cluster.TagList, RUN_TAG) !== run.runId) {
      throw new UnsafeDeleteError(`cluster ${id} does not carry ${RUN_TAG}=${run.runId}`);
    }
    if (cluster.DbClusterResourceId !== original.DbClusterResourceId) {
      throw new UnsafeDeleteError(`cluster ${id} is not the original renamed by this run`);
    }
    return;
  }
  if (id !== run.identifier)
    throw new UnsafeDeleteError(`cluster ${id} is not under the original name ${run.identifier}`);
  if (cluster.DbClusterResourceId === original.DbClusterResourceId) {
    throw new UnsafeDeleteError(`cluster ${id} is the original cluster: never deleted`);
  }
  if (tagValue(cluster.TagList, RESTORED_TAG) !== run.runId) {
    throw new UnsafeDeleteError(`cluster ${id} does not carry ${RESTORED_TAG}=${run.runId}`);
  }
};

/** The deletion guard for member instances, with the same two roles. */
export const assertMemberDeletable = (run: Run, db: DBInstance, role: 'temp' | 'restored-copy'): void => {
  const original = originalCluster(run);
  const id = db.DBInstanceIdentifier ?? '';
  if (role === 'temp') {
    const member = original.members.find(
      (m) => memberTempIdentifier(m.DBInstanceIdentifier, run.runId) === id,
    );
    if (!member) throw new UnsafeDeleteError(`${id} is not a temp member of this run`);
    if (tagValue(db.TagList, RUN_TAG) !== run.runId) {
      throw new UnsafeDeleteError(`${id} does not carry ${RUN_TAG}=${run.runId}`);
    }
    if (db.DbiResourceId !== member.DbiResourceId) {
      throw new UnsafeDeleteError(`${id} is not the original member renamed by this run`);
    }
    return;
  }
  const member = original.members.find((m) => m.DBInstanceIdentifier === id);
  if (!member) throw new UnsafeDeleteError(`${id} is not a member name of the captured cluster`);
  if (db.DbiResourceId === member.DbiResourceId)
    throw new UnsafeDeleteError(`${id} is an original member: never deleted`);
  if (tagValue(db.TagList, RESTORED_TAG) !== run.runId) {
    throw new UnsafeDeleteError(`${id} does not carry ${RESTORED_TAG}=${run.runId}`);
  }
};
