/**
 * RDS helpers for Aurora DB clusters: describe without exceptions for "not found", capture a cluster and its
 * members, and turn them back into restore, create-member and modify inputs (docs/design.md §5).
 */
import {
  CreateDBClusterEndpointCommand,
  type CreateDBInstanceCommandInput,
  type DatabaseInsightsMode,
  type DBCluster,
  type DBClusterEndpoint,
  type DBClusterSnapshot,
  type DBInstance,
  DeleteDBClusterEndpointCommand,
  DescribeDBClusterEndpointsCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  type ModifyDBClusterCommandInput,
  type RDSClient,
  type RestoreDBClusterFromSnapshotCommandInput,
  type RestoreDBClusterToPointInTimeCommandInput,
} from '@aws-sdk/client-rds';
import type { CapturedCluster, CapturedEndpoint, CapturedMember } from './captured';
import { ifFound, UnsafeDeleteError } from './errors';
import { CLUSTER_LEDGER, driftKeys } from './ledger';
import { pure } from './pure';
import {
  captureDomain,
  captureDrift,
  isDefaultGroup,
  RESTORED_TAG,
  RUN_TAG,
  sortedRoles,
  tagValue,
  userTags,
} from './rds-instance';
import { copyIdentifierFor, type Run, tempIdentifierFor } from './run';

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
      (
        await rds.send(
          new DescribeDBClusterSnapshotsCommand({
            DBClusterSnapshotIdentifier: identifier,
            // RDS API reference, DescribeDBClusterSnapshots IncludeShared: shared snapshots are not returned by
            // default; a shared snapshot is named by its ARN.
            ...(identifier.startsWith('arn:') ? { IncludeShared: true } : {}),
          }),
        )
      ).DBClusterSnapshots?.[0],
  );

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
export const captureCluster = (
  cluster: DBCluster,
  members: DBInstance[],
  endpoints: readonly DBClusterEndpoint[] = [],
): CapturedCluster => {
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
    kind: 'cluster',
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
          SecondsUntilAutoPause: cluster.ServerlessV2ScalingConfiguration.SecondsUntilAutoPause,
        })
      : undefined,
    PreferredBackupWindow: cluster.PreferredBackupWindow,
    PreferredMaintenanceWindow: cluster.PreferredMaintenanceWindow,
    BackupRetentionPeriod: cluster.BackupRetentionPeriod,
    Tags: userTags(cluster.TagList),
    members: captured,
    AvailabilityZones: cluster.AvailabilityZones?.length ? [...cluster.AvailabilityZones].sort() : undefined,
    OptionGroupName: cluster.DBClusterOptionGroupMemberships?.[0]?.DBClusterOptionGroupName,
    StorageType: cluster.StorageType,
    NetworkType: cluster.NetworkType,
    Domain: captureDomain(cluster.DomainMemberships?.[0]),
    EngineLifecycleSupport: cluster.EngineLifecycleSupport,
    AssociatedRoles: sortedRoles(cluster.AssociatedRoles),
    HttpEndpointEnabled: cluster.HttpEndpointEnabled,
    MonitoringInterval: cluster.MonitoringInterval,
    MonitoringRoleArn: cluster.MonitoringRoleArn,
    PerformanceInsightsEnabled: cluster.PerformanceInsightsEnabled,
    PerformanceInsightsKMSKeyId: cluster.PerformanceInsightsKMSKeyId,
    PerformanceInsightsRetentionPeriod: cluster.PerformanceInsightsRetentionPeriod,
    DatabaseInsightsMode: cluster.DatabaseInsightsMode,
    ManageMasterUserPassword: cluster.MasterUserSecret?.SecretArn ? true : undefined,
    MasterUserSecretKmsKeyId: cluster.MasterUserSecret?.KmsKeyId,
    LocalWriteForwarding:
      cluster.LocalWriteForwardingStatus === 'enabled' || cluster.LocalWriteForwardingStatus === 'enabling'
        ? true
        : undefined,
    VPCNetworkingEnabled: cluster.VPCNetworkingEnabled,
    InternetAccessGatewayEnabled: cluster.InternetAccessGatewayEnabled,
    CustomEndpoints: captureEndpoints(endpoints),
  });
};

/** The custom endpoints of a cluster, as CreateDBClusterEndpoint takes them back. */
export const captureEndpoints = (endpoints: readonly DBClusterEndpoint[]): CapturedEndpoint[] | undefined => {
  const custom = endpoints
    .filter((e) => e.EndpointType === 'CUSTOM' && e.DBClusterEndpointIdentifier)
    .map((e) =>
      defined({
        DBClusterEndpointIdentifier: e.DBClusterEndpointIdentifier ?? '',
        EndpointType: e.CustomEndpointType ?? 'ANY',
        StaticMembers: e.StaticMembers?.length ? [...e.StaticMembers].sort() : undefined,
        ExcludedMembers: e.ExcludedMembers?.length ? [...e.ExcludedMembers].sort() : undefined,
      }),
    )
    .sort((a, b) => a.DBClusterEndpointIdentifier.localeCompare(b.DBClusterEndpointIdentifier));
  return custom.length > 0 ? custom : undefined;
};

/** The custom endpoints of a cluster (DescribeDBClusterEndpoints, custom ones only). */
export const describeCustomEndpoints = async (
  rds: RDSClient,
  clusterId: string,
): Promise<DBClusterEndpoint[]> => {
  const out = await rds.send(new DescribeDBClusterEndpointsCommand({ DBClusterIdentifier: clusterId }));
  // The cluster's own writer and reader endpoints are listed too: keep the custom ones.
  return (out.DBClusterEndpoints ?? []).filter((e) => e.EndpointType === 'CUSTOM');
};

/** The temp name of a member instance during a run. */
export const memberTempIdentifier = (memberId: string, runId: string): string =>
  tempIdentifierFor(memberId, runId);

/** The side name a member of the copy is created under before the swap (strategy swap). */
export const memberCopyIdentifier = (memberId: string, runId: string): string =>
  copyIdentifierFor(memberId, runId);

/**
 * The restored cluster and its members as if they carried the original names (the copy lives under side names
 * until the swap): what the drift check compares with the capture.
 */
export const asOriginalNames = (
  run: Run,
  cluster: DBCluster,
  members: DBInstance[],
): { cluster: DBCluster; members: DBInstance[] } => {
  const original = run.original?.kind === 'cluster' ? run.original : undefined;
  const back = new Map(
    (original?.members ?? []).map((m) => [
      memberCopyIdentifier(m.DBInstanceIdentifier, run.runId),
      m.DBInstanceIdentifier,
    ]),
  );
  const rename = (id: string | undefined) => (id && back.get(id)) ?? id;
  return {
    cluster: {
      ...cluster,
      DBClusterIdentifier: run.identifier,
      DBClusterMembers: (cluster.DBClusterMembers ?? []).map((m) => ({
        ...m,
        DBInstanceIdentifier: rename(m.DBInstanceIdentifier),
      })),
    },
    members: members.map((m) => ({ ...m, DBInstanceIdentifier: rename(m.DBInstanceIdentifier) })),
  };
};

/**
 * RestoreDBClusterFromSnapshot with everything the cluster had. Without an explicit EngineVersion RDS would pick
 * the Region's default version; without the parameter group, the default one. Deletion protection comes back
 * with the post-restore modify, so a copy that fails stays deletable by the rollback.
 */
export const buildClusterRestoreInput = (
  original: CapturedCluster,
  opts: { snapshotIdentifier: string; runId: string; targetIdentifier?: string },
): RestoreDBClusterFromSnapshotCommandInput =>
  defined({
    // The original's name (rename_first), or the run's side name (swap).
    DBClusterIdentifier: opts.targetIdentifier ?? original.DBClusterIdentifier,
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
    AvailabilityZones: original.AvailabilityZones,
    OptionGroupName: isDefaultGroup(original.OptionGroupName) ? undefined : original.OptionGroupName,
    EngineMode:
      original.EngineMode && original.EngineMode !== 'provisioned' ? original.EngineMode : undefined,
    StorageType: original.StorageType,
    NetworkType: original.NetworkType,
    Domain: original.Domain?.Domain,
    DomainIAMRoleName: original.Domain?.IAMRoleName,
    // Omitted, RestoreDBClusterFromSnapshot defaults to open-source-rds-extended-support (paid Extended Support).
    EngineLifecycleSupport: original.EngineLifecycleSupport,
    AssociatedRoles: original.AssociatedRoles,
    MonitoringInterval: original.MonitoringInterval || undefined,
    MonitoringRoleArn: (original.MonitoringInterval ?? 0) > 0 ? original.MonitoringRoleArn : undefined,
    EnablePerformanceInsights: original.PerformanceInsightsEnabled || undefined,
    PerformanceInsightsKMSKeyId: original.PerformanceInsightsEnabled
      ? original.PerformanceInsightsKMSKeyId
      : undefined,
    PerformanceInsightsRetentionPeriod: original.PerformanceInsightsEnabled
      ? original.PerformanceInsightsRetentionPeriod
      : undefined,
    EnableVPCNetworking: original.VPCNetworkingEnabled === false ? false : undefined,
    EnableInternetAccessGateway: original.InternetAccessGatewayEnabled || undefined,
  });

/** CreateDBInstance for one member of the restored cluster, with the member's captured settings. */
export const buildMemberCreateInput = (
  cluster: CapturedCluster,
  member: CapturedMember,
  runId: string,
  names: { cluster?: string; member?: string } = {},
): CreateDBInstanceCommandInput =>
  defined({
    DBInstanceIdentifier: names.member ?? member.DBInstanceIdentifier,
    DBClusterIdentifier: names.cluster ?? cluster.DBClusterIdentifier,
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
  if (original.DatabaseInsightsMode && original.DatabaseInsightsMode !== restored.DatabaseInsightsMode) {
    changes.DatabaseInsightsMode = original.DatabaseInsightsMode as DatabaseInsightsMode;
  }
  if (original.LocalWriteForwarding && restored.LocalWriteForwardingStatus !== 'enabled') {
    changes.EnableLocalWriteForwarding = true;
  }
  // The temp keeps the original's secret until it is deleted; the restored cluster gets a managed one of its own.
  // RDS API reference, ModifyDBCluster ManageMasterUserPassword (RestoreDBClusterFromSnapshot has no such field).
  if (original.ManageMasterUserPassword && !restored.MasterUserSecret?.SecretArn) {
    changes.ManageMasterUserPassword = true;
    changes.MasterUserSecretKmsKeyId = original.MasterUserSecretKmsKeyId;
  }
  if (Object.keys(changes).length === 0) return undefined;
  return defined({ DBClusterIdentifier: restored.DBClusterIdentifier, ApplyImmediately: true, ...changes });
};

const CLUSTER_DRIFT_KEYS = /* @__PURE__ */ pure(() =>
  driftKeys(CLUSTER_LEDGER).filter((k) => k !== 'members'),
);

/** Settings of the restored cluster and members that differ from the captured ones (the ledger's drift fields). */
export const clusterDrift = (
  original: CapturedCluster,
  cluster: DBCluster,
  members: DBInstance[],
  endpoints: readonly DBClusterEndpoint[] = [],
): string[] => {
  const now = captureCluster(cluster, members, endpoints);
  const drift = captureDrift(CLUSTER_DRIFT_KEYS, original, now);
  const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  const memberKeys: (keyof CapturedMember)[] = [
    'IsClusterWriter',
    'PromotionTier',
    'DBInstanceClass',
    'DBParameterGroupName',
    'PubliclyAccessible',
    'MonitoringInterval',
    'PerformanceInsightsEnabled',
    'PerformanceInsightsRetentionPeriod',
    'CACertificateIdentifier',
    'AutoMinorVersionUpgrade',
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
  const original = run.original?.kind === 'cluster' ? run.original : undefined;
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
  if (id !== run.identifier && id !== run.copyIdentifier)
    throw new UnsafeDeleteError(
      `cluster ${id} is neither under the original name ${run.identifier} nor this run's copy name`,
    );
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
  const member = original.members.find(
    (m) => m.DBInstanceIdentifier === id || memberCopyIdentifier(m.DBInstanceIdentifier, run.runId) === id,
  );
  if (!member)
    throw new UnsafeDeleteError(`${id} is not a member name (or side name) of the captured cluster`);
  if (db.DbiResourceId === member.DbiResourceId)
    throw new UnsafeDeleteError(`${id} is an original member: never deleted`);
  if (tagValue(db.TagList, RESTORED_TAG) !== run.runId) {
    throw new UnsafeDeleteError(`${id} does not carry ${RESTORED_TAG}=${run.runId}`);
  }
};

/**
 * Puts the captured custom endpoints on `target` (one action per call, a reconciler): an endpoint still held
 * by `from` (the original cluster under its temp name, or the restored copy during a rollback) is deleted first,
 * since an endpoint name is unique in the Region (Aurora User Guide, "Considerations for custom endpoints":
 * "You can't reuse the same custom endpoint name for more than one cluster in the same AWS Region"). Returns
 * true once every endpoint is `available` on `target`. An endpoint of that name on any other cluster stops the
 * step: it is a bystander's.
 *
 * @example
 * if (!(await syncCustomEndpoints(rds, original.CustomEndpoints, { target: 'shop', from: 'shop-tr-1a2b3c4d' }))) return wait();
 */
export const syncCustomEndpoints = async (
  rds: RDSClient,
  endpoints: readonly CapturedEndpoint[] | undefined,
  where: { target: string; from?: string },
): Promise<boolean> => {
  let done = true;
  for (const e of endpoints ?? []) {
    const found = await ifFound(
      async () =>
        (
          await rds.send(
            new DescribeDBClusterEndpointsCommand({
              DBClusterEndpointIdentifier: e.DBClusterEndpointIdentifier,
            }),
          )
        ).DBClusterEndpoints?.[0],
    );
    if (found?.DBClusterIdentifier === where.target) {
      if (found.Status !== 'available') done = false;
      continue;
    }
    done = false;
    if (found && found.DBClusterIdentifier !== where.from) {
      throw Object.assign(
        new Error(
          `custom endpoint ${e.DBClusterEndpointIdentifier} belongs to cluster ${found.DBClusterIdentifier}, not to this run`,
        ),
        { name: 'EndpointNameTaken' },
      );
    }
    if (found) {
      if (found.Status === 'available') {
        await rds.send(
          new DeleteDBClusterEndpointCommand({ DBClusterEndpointIdentifier: e.DBClusterEndpointIdentifier }),
        );
      }
      continue;
    }
    await rds.send(
      new CreateDBClusterEndpointCommand({
        DBClusterIdentifier: where.target,
        DBClusterEndpointIdentifier: e.DBClusterEndpointIdentifier,
        EndpointType: e.EndpointType,
        ...(e.StaticMembers ? { StaticMembers: e.StaticMembers } : {}),
        ...(e.ExcludedMembers ? { ExcludedMembers: e.ExcludedMembers } : {}),
      }),
    );
  }
  return done;
};

/** Settings a cluster snapshot restore passes that RestoreDBClusterToPointInTime does not take, besides the five above. */
type SnapshotOnlyClusterSettings = Exclude<
  keyof Omit<
    RestoreDBClusterFromSnapshotCommandInput,
    | 'DBClusterIdentifier'
    | 'SnapshotIdentifier'
    | 'Engine'
    | 'EngineVersion'
    | 'DatabaseName'
    | 'AvailabilityZones'
  >,
  keyof RestoreDBClusterToPointInTimeCommandInput
>;
const _clusterSettingsAlsoAtPointInTime: [SnapshotOnlyClusterSettings] extends [never]
  ? true
  : SnapshotOnlyClusterSettings = true;

/**
 * RestoreDBClusterToPointInTime (full copy) with the captured settings of a snapshot restore, less what that call
 * does not take (RDS API reference, RestoreDBClusterToPointInTimeMessage has no SnapshotIdentifier, Engine,
 * EngineVersion, DatabaseName or AvailabilityZones: they come from the source cluster). Like a snapshot restore it
 * creates the cluster only ("this operation only restores the DB cluster, not the DB instances"): the members are
 * created as after a snapshot restore.
 *
 * @example
 * buildClusterPointInTimeRestoreInput(original, { source: 'orders', point: { time: '2026-12-01T02:00:00Z' }, runId })
 */
export const buildClusterPointInTimeRestoreInput = (
  original: CapturedCluster,
  opts: {
    source: string;
    point: { time?: string; latest?: boolean };
    runId: string;
    targetIdentifier?: string;
  },
): RestoreDBClusterToPointInTimeCommandInput => {
  const {
    SnapshotIdentifier: _snapshot,
    Engine: _engine,
    EngineVersion: _version,
    DatabaseName: _database,
    AvailabilityZones: _zones,
    ...settings
  } = buildClusterRestoreInput(original, {
    snapshotIdentifier: '',
    runId: opts.runId,
    ...(opts.targetIdentifier ? { targetIdentifier: opts.targetIdentifier } : {}),
  });
  return {
    ...settings,
    SourceDBClusterIdentifier: opts.source,
    RestoreType: 'full-copy',
    // RDS API reference, RestoreDBClusterToPointInTime RestoreToTime: "Must be specified if UseLatestRestorableTime
    // parameter isn't provided"; "Can't be specified if the UseLatestRestorableTime parameter is enabled".
    ...(opts.point.time ? { RestoreToTime: new Date(opts.point.time) } : { UseLatestRestorableTime: true }),
  };
};
