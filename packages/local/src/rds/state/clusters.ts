import { randomUUID } from 'node:crypto';
import { clusterNotFound, invalidParameterCombination, invalidParameterValue, RdsError } from '../errors';
import type { EventSource } from '../events';
import {
  optBool,
  optInt,
  optNumber,
  optString,
  optStringList,
  optStruct,
  optStructList,
  optTags,
  type Params,
  reqString,
} from '../protocol';
import { randomToken } from '../random';
import type { AsyncFailureStatus, ClusterProps } from '../types';
import { startClusterSnapshot } from './cluster-snapshots';
import { applyFilters, checkMaxRecords, idFromArn } from './describe';
import {
  defaultEngineVersion,
  defaultParameterGroup,
  defaultPort,
  isAurora,
  regionDefaultVersion,
} from './engines';
import {
  buildInstance,
  domainFromParams,
  insertInstance,
  pointInTimeRestoreTime,
  securityGroups,
} from './instances';
import { assertKmsKeyUsable, resolveKmsKey } from './kms';
import { clusterView, paginate } from './render';
import {
  checkBacktrack,
  checkClusterScope,
  checkClusterStorageType,
  checkDatabaseInsights,
  checkLifecycleValue,
  checkLogTypes,
  checkModifyManagedPassword,
  checkMonitoring,
  checkNetworkType,
  checkPiRetention,
  checkPort,
  checkServerlessV2,
  DEFAULT_LIFECYCLE,
} from './rules';
import {
  type ClusterRecord,
  type ClusterSnapshotRecord,
  clone,
  DEFAULT_SECURITY_GROUP_ID,
  DEFAULT_SUBNET_GROUP,
  type SimContext,
  type Store,
  validateIdentifier,
} from './store';
import { clusterWindow } from './window';

export type ClusterSeed = Partial<ClusterProps> & {
  DBClusterIdentifier: string;
  Engine: string;
  members?: { DBInstanceIdentifier: string; DBInstanceClass?: string; PromotionTier?: number }[];
  /** Seed only: an RDS-managed master password secret of its own (`rds!cluster-…`). */
  ManageMasterUserPassword?: boolean;
  /** Seed only: custom endpoints, `available` at once. */
  customEndpoints?: {
    DBClusterEndpointIdentifier: string;
    EndpointType: 'READER' | 'WRITER' | 'ANY';
    StaticMembers?: string[];
    ExcludedMembers?: string[];
  }[];
};

export function clusterSource(rec: ClusterRecord): EventSource {
  return { sourceType: 'CLUSTER', identifier: rec.props.DBClusterIdentifier, arn: rec.props.DBClusterArn };
}

const invalidClusterState = (id: string, status: string) =>
  new RdsError('InvalidDBClusterStateFault', `DB cluster ${id} is not in available state (${status}).`);

export function buildCluster(store: Store, input: Omit<ClusterSeed, 'members'>): ClusterProps {
  const id = input.DBClusterIdentifier.toLowerCase();
  const version = input.EngineVersion ?? defaultEngineVersion(input.Engine);
  const aurora = isAurora(input.Engine);
  return {
    Status: 'available',
    EngineVersion: version,
    EngineMode: 'provisioned',
    MasterUsername: 'admin',
    Port: defaultPort(input.Engine),
    HostedZoneId: 'Z2R2ITUGPM61AM',
    DBClusterParameterGroup: defaultParameterGroup(input.Engine, version),
    DBSubnetGroup: DEFAULT_SUBNET_GROUP,
    VpcSecurityGroups: securityGroups([DEFAULT_SECURITY_GROUP_ID]),
    AvailabilityZones: store.availabilityZones(),
    MultiAZ: !aurora,
    AllocatedStorage: aurora ? 1 : 100,
    // RDS API reference, RestoreDBClusterFromSnapshot StorageType: "Default: aurora (Aurora DB clusters); io1
    // (Multi-AZ DB clusters)".
    StorageType: aurora ? 'aurora' : 'io1',
    HttpEndpointEnabled: false,
    AssociatedRoles: [],
    DomainMemberships: [],
    // NetworkType is "Valid for: Aurora DB clusters only" (RDS API reference, RestoreDBClusterFromSnapshot).
    NetworkType: aurora ? 'IPV4' : undefined,
    // RDS API reference, RestoreDBClusterFromSnapshot EngineLifecycleSupport: "Default:
    // open-source-rds-extended-support".
    EngineLifecycleSupport: DEFAULT_LIFECYCLE,
    DatabaseInsightsMode: 'standard',
    StorageEncrypted: false,
    IAMDatabaseAuthenticationEnabled: false,
    DeletionProtection: false,
    CopyTagsToSnapshot: false,
    EnabledCloudwatchLogsExports: [],
    PreferredBackupWindow: '03:00-03:30',
    PreferredMaintenanceWindow: 'sun:05:00-sun:05:30',
    BackupRetentionPeriod: 1,
    ClusterCreateTime: new Date().toISOString(),
    PendingModifiedValues: {},
    TagList: [],
    ...input,
    DBClusterIdentifier: id,
    DBClusterArn: store.arn('cluster', id),
    DbClusterResourceId:
      input.DbClusterResourceId ?? `cluster-${randomToken(26, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789')}`,
    Endpoint: store.clusterAddress(id),
    ReaderEndpoint: store.clusterAddress(id, true),
  };
}

/** Adds an available cluster, and its members as available instances (no checks, no events). */
export function seedCluster(store: Store, seed: ClusterSeed): void {
  const { members = [], ManageMasterUserPassword: manage, customEndpoints = [], ...input } = seed;
  const props = buildCluster(store, input);
  if (manage && !props.MasterUserSecret) {
    props.MasterUserSecret = { ...store.createSecret('cluster', undefined), SecretStatus: 'active' };
  } else if (props.MasterUserSecret) {
    store.secrets.add(props.MasterUserSecret.SecretArn);
  }
  store.clusters.set(props.DBClusterIdentifier, { props });
  for (const e of customEndpoints) {
    const id = e.DBClusterEndpointIdentifier.toLowerCase();
    store.clusterEndpoints.set(id, {
      props: {
        DBClusterEndpointIdentifier: id,
        DBClusterIdentifier: props.DBClusterIdentifier,
        DBClusterEndpointResourceIdentifier: `cluster-endpoint-${randomToken(26, 'abcdefghijklmnopqrstuvwxyz0123456789')}`,
        Endpoint: store.clusterEndpointAddress(id),
        Status: 'available',
        EndpointType: 'CUSTOM',
        CustomEndpointType: e.EndpointType,
        StaticMembers: (e.StaticMembers ?? []).map((m) => m.toLowerCase()),
        ExcludedMembers: (e.ExcludedMembers ?? []).map((m) => m.toLowerCase()),
        DBClusterEndpointArn: store.arn('cluster-endpoint', id),
      },
      tags: [],
      seq: store.nextSeq(),
    });
  }
  for (const m of members) {
    insertInstance(
      store,
      buildInstance(store, {
        DBInstanceIdentifier: m.DBInstanceIdentifier,
        Engine: props.Engine,
        EngineVersion: props.EngineVersion,
        DBInstanceClass: m.DBInstanceClass ?? 'db.r6g.large',
        DBClusterIdentifier: props.DBClusterIdentifier,
        PromotionTier: m.PromotionTier ?? 1,
        MasterUsername: props.MasterUsername,
        DBName: props.DatabaseName,
        Endpoint: { Address: '', Port: props.Port, HostedZoneId: '' },
        VpcSecurityGroups: clone(props.VpcSecurityGroups),
        StorageEncrypted: props.StorageEncrypted,
        KmsKeyId: props.KmsKeyId,
        StorageType: isAurora(props.Engine) ? props.StorageType : 'io1',
        AllocatedStorage: isAurora(props.Engine) ? 1 : props.AllocatedStorage,
        Iops: isAurora(props.Engine) ? undefined : props.Iops,
        DatabaseInsightsMode: props.DatabaseInsightsMode,
        NetworkType: props.NetworkType,
      }),
    );
  }
}

function assertClusterFree(store: Store, id: string): void {
  if (store.clusters.has(id))
    throw new RdsError('DBClusterAlreadyExistsFault', `DB Cluster already exists: ${id}`);
  if (store.clusters.size >= store.quotas.maxClusters) {
    // RDS API model (@aws-sdk/client-rds error schema): DBClusterQuotaExceededFault is answered with HTTP 403.
    throw new RdsError(
      'DBClusterQuotaExceededFault',
      `Cannot create more than ${store.quotas.maxClusters} DB clusters.`,
      403,
    );
  }
}

function validateClusterSettings(props: ClusterProps, logTypes: string[], action: string): void {
  checkBacktrack(props.Engine, props.BacktrackWindow);
  checkLogTypes(
    'cluster',
    props.Engine,
    logTypes,
    action === 'ModifyDBCluster' ? 'CloudwatchLogsExportConfiguration' : 'EnableCloudwatchLogsExports',
  );
  checkServerlessV2(props.Engine, props.EngineVersion, props.ServerlessV2ScalingConfiguration);
  checkClusterStorageType(props.Engine, props.StorageType, action);
  checkNetworkType(props.NetworkType);
  checkLifecycleValue(props.EngineLifecycleSupport);
  checkMonitoring(props.MonitoringInterval, props.MonitoringRoleArn);
  checkPiRetention(props.PerformanceInsightsEnabled ? props.PerformanceInsightsRetentionPeriod : undefined);
  checkDatabaseInsights(
    props.DatabaseInsightsMode,
    props.PerformanceInsightsEnabled ?? false,
    props.PerformanceInsightsRetentionPeriod,
  );
  checkPort(props.Port);
}

function scaling(p: Params): ClusterProps['ServerlessV2ScalingConfiguration'] {
  const s = optStruct(p, 'ServerlessV2ScalingConfiguration');
  if (!s) return undefined;
  return {
    MinCapacity: optNumber(s, 'MinCapacity'),
    MaxCapacity: optNumber(s, 'MaxCapacity'),
    SecondsUntilAutoPause: optInt(s, 'SecondsUntilAutoPause'),
  };
}

/** `AssociatedRoles` of a restore request. */
function rolesFromParams(p: Params): ClusterProps['AssociatedRoles'] | undefined {
  const list = optStructList(p, 'AssociatedRoles');
  if (!list) return undefined;
  return list.map((r) => ({
    RoleArn: reqString(r, 'RoleArn'),
    FeatureName: optString(r, 'FeatureName'),
    Status: 'ACTIVE',
  }));
}

/** Parameters whose RDS API reference says "Valid for: Aurora DB clusters only" / "Multi-AZ DB clusters only". */
function checkScopes(
  p: Params,
  engine: string,
  action: string,
  scopes: Record<string, 'aurora' | 'multi-az'>,
) {
  for (const [param, scope] of Object.entries(scopes)) {
    if (p[param] !== undefined) {
      checkClusterScope(
        engine,
        param,
        scope,
        `RDS API reference, ${action} ${param}: "Valid for: ${scope === 'aurora' ? 'Aurora' : 'Multi-AZ'} DB clusters only"`,
      );
    }
  }
}

/**
 * Settings a create/restore request names, with their defaults. `inherit`: a point-in-time restore's source, whose
 * settings fill in where the parameter documents no default of its own (RDS API reference,
 * RestoreDBClusterToPointInTime: "The target DB cluster is created from the source DB cluster with the same
 * configuration as the original DB cluster, except that the new DB cluster is created with the default DB security
 * group.").
 */
function commonClusterParams(
  p: Params,
  engine: string,
  version: string,
  inherit?: ClusterProps,
): Partial<ClusterProps> {
  const sgs = optStringList(p, 'VpcSecurityGroupIds');
  const piParam = optBool(p, 'EnablePerformanceInsights');
  // Performance Insights and the Database Insights mode come from the source as a set unless the request turns
  // Performance Insights on or off itself.
  const piSource = piParam === undefined ? inherit : undefined;
  const out: Partial<ClusterProps> = {
    // RDS API reference, RestoreDBClusterToPointInTime / RestoreDBClusterFromSnapshot DBClusterParameterGroupName:
    // omitted, "the default DB cluster parameter group for the specified engine is used".
    DBClusterParameterGroup:
      optString(p, 'DBClusterParameterGroupName') ?? defaultParameterGroup(engine, version),
    DBSubnetGroup: optString(p, 'DBSubnetGroupName') ?? inherit?.DBSubnetGroup ?? DEFAULT_SUBNET_GROUP,
    VpcSecurityGroups: securityGroups(sgs ?? [DEFAULT_SECURITY_GROUP_ID]),
    // RDS API reference, EnableIAMDatabaseAuthentication: "By default, mapping isn't enabled."
    IAMDatabaseAuthenticationEnabled: optBool(p, 'EnableIAMDatabaseAuthentication') ?? false,
    // RDS API reference, DeletionProtection: "By default, deletion protection isn't enabled."; CopyTagsToSnapshot:
    // "The default is not to copy them."
    DeletionProtection: optBool(p, 'DeletionProtection') ?? false,
    CopyTagsToSnapshot: optBool(p, 'CopyTagsToSnapshot') ?? false,
    // RDS API reference, BacktrackWindow: "Default: 0" (no backtracking).
    BacktrackWindow: optInt(p, 'BacktrackWindow'),
    EnabledCloudwatchLogsExports:
      optStringList(p, 'EnableCloudwatchLogsExports') ?? clone(inherit?.EnabledCloudwatchLogsExports) ?? [],
    ServerlessV2ScalingConfiguration: scaling(p) ?? clone(inherit?.ServerlessV2ScalingConfiguration),
    DomainMemberships: domainFromParams(p) ?? clone(inherit?.DomainMemberships) ?? [],
    // RDS API reference, RestoreDBClusterToPointInTime MonitoringInterval: "Default: 0".
    MonitoringInterval: optInt(p, 'MonitoringInterval'),
    MonitoringRoleArn: optString(p, 'MonitoringRoleArn'),
    PerformanceInsightsEnabled: piParam ?? piSource?.PerformanceInsightsEnabled,
    PerformanceInsightsKMSKeyId:
      optString(p, 'PerformanceInsightsKMSKeyId') ?? piSource?.PerformanceInsightsKMSKeyId,
    PerformanceInsightsRetentionPeriod:
      optInt(p, 'PerformanceInsightsRetentionPeriod') ?? piSource?.PerformanceInsightsRetentionPeriod,
    ...(piSource?.DatabaseInsightsMode ? { DatabaseInsightsMode: piSource.DatabaseInsightsMode } : {}),
  };
  // RDS API reference, PerformanceInsightsRetentionPeriod: "Default: 7 days".
  if (out.PerformanceInsightsEnabled && out.PerformanceInsightsRetentionPeriod === undefined) {
    out.PerformanceInsightsRetentionPeriod = 7;
  }
  const port = optInt(p, 'Port');
  if (port !== undefined) out.Port = port;
  const db = optString(p, 'DatabaseName');
  if (db !== undefined) out.DatabaseName = db;
  const kms = optString(p, 'KmsKeyId');
  if (kms !== undefined) out.KmsKeyId = kms;
  for (const key of [
    'NetworkType',
    'StorageType',
    'EngineLifecycleSupport',
    'DBClusterInstanceClass',
  ] as const) {
    const v = optString(p, key);
    if (v !== undefined) out[key] = v;
  }
  const iops = optInt(p, 'Iops');
  if (iops !== undefined) out.Iops = iops;
  return out;
}

function finishCluster(
  ctx: SimContext,
  rec: ClusterRecord,
  failure: AsyncFailureStatus | undefined,
  event?: string,
  extra?: string,
  creating = false,
) {
  if (failure) {
    rec.props.Status = failure;
    // Aurora User Guide, "Amazon RDS event categories and event messages for Aurora", DB cluster events: failure
    // RDS-EVENT-0354 "You can't create the DB cluster because of incompatible resources." (no event is documented
    // for a failed cluster modification).
    if (creating) ctx.events.emit(clusterSource(rec), 'RDS-EVENT-0354', failure);
    return;
  }
  rec.props.Status = 'available';
  if (rec.props.MasterUserSecret?.SecretStatus === 'creating')
    rec.props.MasterUserSecret.SecretStatus = 'active';
  if (rec.props.MasterUserSecret?.SecretStatus === 'rotating')
    rec.props.MasterUserSecret.SecretStatus = 'active';
  if (event) ctx.events.emit(clusterSource(rec), event, extra);
}

export function createDBCluster(ctx: SimContext, p: Params) {
  const { store } = ctx;
  const id = validateIdentifier(reqString(p, 'DBClusterIdentifier'), 'DBClusterIdentifier');
  const engine = reqString(p, 'Engine');
  if (!isAurora(engine))
    throw invalidParameterValue(`The simulator supports Aurora clusters only, not ${engine}.`);
  assertClusterFree(store, id);
  const version = optString(p, 'EngineVersion') ?? defaultEngineVersion(engine);
  const props = buildCluster(store, {
    DBClusterIdentifier: id,
    Engine: engine,
    EngineVersion: version,
    Status: 'creating',
    MasterUsername: optString(p, 'MasterUsername') ?? 'admin',
    StorageEncrypted: optBool(p, 'StorageEncrypted') ?? false,
    BackupRetentionPeriod: optInt(p, 'BackupRetentionPeriod') ?? 1,
    PreferredBackupWindow: optString(p, 'PreferredBackupWindow') ?? '03:00-03:30',
    PreferredMaintenanceWindow: optString(p, 'PreferredMaintenanceWindow') ?? 'sun:05:00-sun:05:30',
    TagList: optTags(p) ?? [],
    ...commonClusterParams(p, engine, version),
  });
  validateClusterSettings(props, props.EnabledCloudwatchLogsExports, 'CreateDBCluster');
  const failure = ctx.faults.takeAsyncFailure('CreateDBCluster', [id]);
  const rec: ClusterRecord = { props };
  store.clusters.set(id, rec);
  ctx.scheduler.after(ctx.durations.createCluster, () =>
    finishCluster(ctx, rec, failure, 'RDS-EVENT-0170', undefined, true),
  );
  return { DBCluster: clusterView(store, rec) };
}

/** Parameters scoped to one kind of cluster in both restore operations (RDS API reference "Valid for: …"). */
const RESTORE_SCOPES: Record<string, 'aurora' | 'multi-az'> = {
  BacktrackWindow: 'aurora',
  EngineMode: 'aurora',
  Domain: 'aurora',
  DomainIAMRoleName: 'aurora',
  NetworkType: 'aurora',
  AssociatedRoles: 'aurora',
  DBClusterInstanceClass: 'multi-az',
};

/** What a restored DB cluster starts from: the DB cluster snapshot, or the source of a point-in-time restore. */
interface ClusterRestoreBase {
  action: 'RestoreDBClusterFromSnapshot' | 'RestoreDBClusterToPointInTime';
  /** The new cluster's identifier (validated, lowercase). */
  id: string;
  engine: string;
  version: string;
  /** The backup's own facts (master user, database name, encryption, storage, …). */
  from: Partial<ClusterProps>;
  /** Point-in-time restore: the source cluster (see `commonClusterParams`). */
  source?: ClusterProps;
}

/**
 * The props of a restored cluster (status `creating`), checked; shared by RestoreDBClusterFromSnapshot and
 * RestoreDBClusterToPointInTime (RDS API reference: their messages differ only in the source parameters, and
 * AvailabilityZones, Engine, EngineVersion and DatabaseName of the snapshot restore).
 */
function buildRestoredCluster(store: Store, p: Params, b: ClusterRestoreBase): ClusterProps {
  const { id, engine, version, action, source } = b;
  checkScopes(p, engine, action, RESTORE_SCOPES);
  const props = buildCluster(store, {
    DBClusterIdentifier: id,
    Engine: engine,
    EngineVersion: version,
    Status: 'creating',
    // RDS API reference, RestoreDBClusterToPointInTime BackupRetentionPeriod: "Default: Uses existing setting".
    BackupRetentionPeriod: optInt(p, 'BackupRetentionPeriod') ?? source?.BackupRetentionPeriod ?? 1,
    PreferredBackupWindow: optString(p, 'PreferredBackupWindow') ?? '03:00-03:30',
    TagList: optTags(p) ?? [],
    ...b.from,
    ...commonClusterParams(p, engine, version, source),
    AssociatedRoles: rolesFromParams(p) ?? clone(source?.AssociatedRoles) ?? [],
  });
  validateClusterSettings(props, props.EnabledCloudwatchLogsExports, action);
  return props;
}

export function restoreDBClusterFromSnapshot(ctx: SimContext, p: Params) {
  const { store } = ctx;
  const id = validateIdentifier(reqString(p, 'DBClusterIdentifier'), 'DBClusterIdentifier');
  // RDS API reference, RestoreDBClusterFromSnapshot SnapshotIdentifier: "You can use either the name or the ARN to
  // specify a DB cluster snapshot."; Aurora User Guide, "Sharing a DB cluster snapshot" (aurora-share-snapshot): "When
  // you restore a DB cluster from a shared snapshot using the AWS CLI or Amazon RDS API, you must specify the ARN of the
  // shared snapshot" (Store.clusterSnapshotRef).
  const snap = store.clusterSnapshotRef(reqString(p, 'SnapshotIdentifier'));
  const engine = reqString(p, 'Engine');
  const shared = snap.owner !== undefined;
  const snapId = shared ? snap.props.DBClusterSnapshotArn : snap.props.DBClusterSnapshotIdentifier;
  if (shared) checkSharedClusterRestoreKeys(store, snap, optString(p, 'KmsKeyId'));
  if (snap.props.Status !== 'available') {
    throw new RdsError(
      'InvalidDBClusterSnapshotStateFault',
      `Cluster snapshot ${snapId} is not available (${snap.props.Status}).`,
    );
  }
  if (engine !== snap.props.Engine) {
    throw invalidParameterCombination(
      `The engine ${engine} does not match the snapshot's engine ${snap.props.Engine}.`,
    );
  }
  assertClusterFree(store, id);
  const src = snap.source;
  // Without EngineVersion RDS picks the Region's default version, not the snapshot's.
  const version = optString(p, 'EngineVersion') ?? regionDefaultVersion(engine, snap.props.EngineVersion);
  const props = buildRestoredCluster(store, p, {
    action: 'RestoreDBClusterFromSnapshot',
    id,
    engine,
    version,
    from: {
      MasterUsername: snap.props.MasterUsername,
      DatabaseName: src.DatabaseName,
      Port: snap.props.Port,
      StorageEncrypted: snap.props.StorageEncrypted,
      KmsKeyId: snap.props.KmsKeyId,
      DBClusterInstanceClass: isAurora(engine) ? undefined : src.DBClusterInstanceClass,
      AllocatedStorage: src.AllocatedStorage,
      Iops: isAurora(engine) ? undefined : src.Iops,
      ...(optTags(p) ? {} : { TagList: clone(snap.props.TagList) }),
    },
  });
  const failure = ctx.faults.takeAsyncFailure('RestoreDBClusterFromSnapshot', [
    id,
    snapId,
    snap.props.DBClusterSnapshotIdentifier,
  ]);
  // The restored cluster keeps the snapshot's master password until a modify sets another.
  const rec: ClusterRecord = {
    props,
    ...(snap.masterUserPassword !== undefined ? { masterUserPassword: snap.masterUserPassword } : {}),
  };
  store.clusters.set(id, rec);
  // No separate "cluster restored" event exists: RDS-EVENT-0170 (created).
  ctx.scheduler.after(ctx.durations.restoreCluster, () =>
    finishCluster(ctx, rec, failure, 'RDS-EVENT-0170', undefined, true),
  );
  return { DBCluster: clusterView(store, rec) };
}

/**
 * The keys of a restore from another account's DB cluster snapshot. Aurora User Guide, "Sharing a DB cluster
 * snapshot" (aurora-share-snapshot): "Sharing a manual DB cluster snapshot, whether encrypted or unencrypted, enables
 * authorized AWS accounts to directly restore a DB cluster from the snapshot instead of taking a copy of it"; for an
 * encrypted one the owner's customer managed key must let this account use it (RDS User Guide, USER_ShareSnapshot,
 * "Allowing access to an AWS KMS key"), else KMSKeyNotAccessibleFault (RDS API reference, RestoreDBClusterFromSnapshot
 * throws it; that this is the case it answers is not documented by AWS). A KmsKeyId given must be usable by this
 * account too (RestoreDBClusterFromSnapshot KmsKeyId: "To use a KMS key in a different Amazon Web Services account,
 * specify the key ARN or alias ARN."). Restores of the account's own snapshots are not checked.
 */
function checkSharedClusterRestoreKeys(
  store: Store,
  snap: ClusterSnapshotRecord,
  kmsKeyId: string | undefined,
) {
  if (kmsKeyId !== undefined) assertKmsKeyUsable(store, resolveKmsKey(store, kmsKeyId, store.accountId));
  if (snap.props.StorageEncrypted && snap.owner !== undefined) {
    assertKmsKeyUsable(store, resolveKmsKey(store, snap.props.KmsKeyId, snap.owner));
  }
}

/**
 * Aurora User Guide, "Limitations of Aurora cloning" (Aurora.Managing.Clone): "You can have up to 15 clones at the
 * same time that were created by the copy-on-write protocol. After you have 15 clones, the next clone that you create
 * is a full copy."
 */
export const MAX_COPY_ON_WRITE_CLONES = 15;

/** The source cluster of a point-in-time restore, by identifier (or ARN) or resource id. */
function clusterPointInTimeSource(store: Store, p: Params): ClusterRecord {
  const byId = optString(p, 'SourceDBClusterIdentifier');
  const byResource = optString(p, 'SourceDbClusterResourceId');
  const given = [byId, byResource].filter((v) => v !== undefined && v !== '');
  // RDS API reference, RestoreDBClusterToPointInTimeMessage: SourceDBClusterIdentifier and SourceDbClusterResourceId
  // are both optional; that exactly one must name the source is not documented by AWS; we answer
  // InvalidParameterCombination for none or both.
  if (given.length !== 1) {
    throw invalidParameterCombination(
      'Specify exactly one of SourceDBClusterIdentifier or SourceDbClusterResourceId.',
    );
  }
  // RDS API reference, SourceDBClusterIdentifier: "Must match the identifier of an existing DBCluster."
  if (byId) return store.cluster(idFromArn(byId, 'cluster'));
  const rec = [...store.clusters.values()].find((r) => r.props.DbClusterResourceId === byResource);
  // Which fault an unknown resource id gets is not documented by AWS; we answer DBClusterNotFoundFault.
  if (!rec) throw clusterNotFound(byResource ?? '');
  return rec;
}

export function restoreDBClusterToPointInTime(ctx: SimContext, p: Params) {
  const { store } = ctx;
  const id = validateIdentifier(reqString(p, 'DBClusterIdentifier'), 'DBClusterIdentifier');
  const src = clusterPointInTimeSource(store, p);
  const s = src.props;
  const sourceId = s.DBClusterIdentifier;
  const requestedType = optString(p, 'RestoreType') ?? 'full-copy';
  // RDS API reference, RestoreDBClusterToPointInTime RestoreType: "full-copy … copy-on-write … If you don't specify
  // a RestoreType value, then the new DB cluster is restored as a full copy of the source DB cluster."
  if (requestedType !== 'full-copy' && requestedType !== 'copy-on-write') {
    throw invalidParameterValue(
      `Invalid RestoreType: ${requestedType}. Valid values: full-copy, copy-on-write.`,
    );
  }
  // RDS API reference, RestoreToTime: "Can't be specified if the RestoreType parameter is copy-on-write".
  if (requestedType === 'copy-on-write' && optString(p, 'RestoreToTime') !== undefined) {
    throw invalidParameterCombination('RestoreToTime cannot be specified when RestoreType is copy-on-write.');
  }
  const window = clusterWindow(store, src);
  // Which source states allow a point-in-time restore is not documented by AWS; we answer
  // InvalidDBClusterStateFault while the source is still being created, before any backup exists.
  if (!window) {
    throw new RdsError(
      'InvalidDBClusterStateFault',
      `DB cluster ${sourceId} has no restorable time yet (${s.Status}).`,
    );
  }
  const { restoreTime, useLatest } = pointInTimeRestoreTime(
    p,
    'RestoreToTime',
    window,
    `DB cluster ${sourceId}`,
  );
  // Aurora User Guide, "Limitations of Aurora cloning": "You can't create a clone from an Aurora DB cluster that has
  // no DB instances. You can only clone Aurora DB clusters that have at least one DB instance." The error code is not
  // documented by AWS; we answer InvalidDBClusterStateFault (listed for RestoreDBClusterToPointInTime).
  if (requestedType === 'copy-on-write' && store.members(sourceId).length === 0) {
    throw new RdsError(
      'InvalidDBClusterStateFault',
      `DB cluster ${sourceId} has no DB instances: only a DB cluster with at least one DB instance can be cloned.`,
    );
  }
  const kms = optString(p, 'KmsKeyId');
  // RDS API reference, RestoreDBClusterToPointInTime KmsKeyId: "If DBClusterIdentifier refers to a DB cluster that
  // isn't encrypted, then the restore request is rejected." The error code is not documented by AWS; we answer
  // InvalidParameterCombination.
  if (kms !== undefined && !s.StorageEncrypted) {
    throw invalidParameterCombination(
      `KmsKeyId cannot be specified: the source DB cluster ${sourceId} isn't encrypted.`,
    );
  }
  assertClusterFree(store, id);
  // Aurora User Guide, "Limitations of Aurora cloning": after 15 copy-on-write clones "the next clone that you create
  // is a full copy. The subsequent cloning operation acts like a point-in-time recovery." (no error).
  const clones = s.CloneGroupId
    ? [...store.clusters.values()].filter(
        (r) => r.props.CloneGroupId === s.CloneGroupId && r.pointInTime?.restoreType === 'copy-on-write',
      ).length
    : 0;
  const restoreType =
    requestedType === 'copy-on-write' && clones < MAX_COPY_ON_WRITE_CLONES ? 'copy-on-write' : 'full-copy';
  const aurora = isAurora(s.Engine);
  // RDS API reference, RestoreDBClusterToPointInTimeMessage has no Engine or EngineVersion: both follow the source.
  const props = buildRestoredCluster(store, p, {
    action: 'RestoreDBClusterToPointInTime',
    id,
    engine: s.Engine,
    version: s.EngineVersion,
    // Left to their documented defaults (RDS API reference, RestoreDBClusterToPointInTime): Port "Default: The default
    // port for the engine."; StorageType "Default: aurora (Aurora DB clusters); io1 (Multi-AZ DB clusters)";
    // EngineLifecycleSupport "Default: open-source-rds-extended-support".
    from: {
      EngineMode: s.EngineMode,
      MasterUsername: s.MasterUsername,
      DatabaseName: s.DatabaseName,
      // RDS API reference, RestoreDBClusterToPointInTime KmsKeyId: "If you don't specify a value for the KmsKeyId
      // parameter … If the DB cluster is encrypted, then the restored DB cluster is encrypted using the KMS key that
      // was used to encrypt the source DB cluster. If the DB cluster isn't encrypted, then the restored DB cluster
      // isn't encrypted."
      StorageEncrypted: s.StorageEncrypted,
      KmsKeyId: s.KmsKeyId,
      NetworkType: s.NetworkType,
      DBClusterInstanceClass: aurora ? undefined : s.DBClusterInstanceClass,
      AllocatedStorage: s.AllocatedStorage,
      Iops: aurora ? undefined : s.Iops,
      PreferredMaintenanceWindow: s.PreferredMaintenanceWindow,
      // RDS API reference, DBCluster CloneGroupId: "For PITR, the clone group ID is inherited from the source
      // cluster." A clone joins the source's group (created below when the source has none).
      ...(s.CloneGroupId ? { CloneGroupId: s.CloneGroupId } : {}),
    },
    source: s,
  });
  if (restoreType === 'copy-on-write' && !s.CloneGroupId) {
    // RDS API reference, DBCluster CloneGroupId: "If you clone a DB cluster when the ID is null, the operation
    // populates the ID value for the source cluster and the clone because both clusters become part of the same clone
    // group. Even if you delete the clone cluster, the clone group ID remains for the lifetime of the source
    // cluster".
    s.CloneGroupId = randomUUID();
    props.CloneGroupId = s.CloneGroupId;
  }
  const failure = ctx.faults.takeAsyncFailure('RestoreDBClusterToPointInTime', [id, sourceId]);
  // The new cluster's database has the source's master password (its managed secret, if any, stays the source's).
  const rec: ClusterRecord = {
    props,
    ...(src.masterUserPassword !== undefined ? { masterUserPassword: src.masterUserPassword } : {}),
    pointInTime: {
      source: sourceId,
      restoreTime: restoreTime.toISOString(),
      useLatestRestorableTime: useLatest,
      restoreType,
    },
  };
  store.clusters.set(id, rec);
  // RDS API reference, RestoreDBClusterToPointInTime: "this operation only restores the DB cluster, not the DB
  // instances for that DB cluster" (members come with CreateDBInstance once it is available). No restore or clone
  // event is documented (Aurora User Guide, DB cluster events): RDS-EVENT-0170 (created), as a snapshot restore.
  ctx.scheduler.after(
    restoreType === 'copy-on-write' ? ctx.durations.cloneCluster : ctx.durations.restoreCluster,
    () => finishCluster(ctx, rec, failure, 'RDS-EVENT-0170', undefined, true),
  );
  return { DBCluster: clusterView(store, rec) };
}

const CLUSTER_FILTERS: Record<string, (r: ClusterRecord) => string | undefined> = {
  // RDS API reference, DescribeDBClusters Filters: "clone-group-id - Accepts clone group identifiers."
  'clone-group-id': (r) => r.props.CloneGroupId,
  'db-cluster-id': (r) => r.props.DBClusterIdentifier,
  'db-cluster-resource-id': (r) => r.props.DbClusterResourceId,
  engine: (r) => r.props.Engine,
};

export function describeDBClusters(ctx: SimContext, p: Params) {
  const max = checkMaxRecords(p);
  const id = optString(p, 'DBClusterIdentifier');
  let recs = id ? [ctx.store.cluster(idFromArn(id, 'cluster'))] : [...ctx.store.clusters.values()];
  recs = applyFilters(p, recs, CLUSTER_FILTERS);
  const { page, marker } = paginate(recs, max, optString(p, 'Marker'));
  return { DBClusters: page.map((r) => clusterView(ctx.store, r)), Marker: marker };
}

/** Applied at once, without a status change. */
const IMMEDIATE_CLUSTER: (keyof ClusterProps)[] = [
  'DeletionProtection',
  'CopyTagsToSnapshot',
  'BackupRetentionPeriod',
  'PreferredBackupWindow',
  'PreferredMaintenanceWindow',
  'DBClusterParameterGroup',
  'BacktrackWindow',
];

export function modifyDBCluster(ctx: SimContext, p: Params) {
  const { store } = ctx;
  const rec = store.cluster(reqString(p, 'DBClusterIdentifier'));
  const props = rec.props;
  const oldId = props.DBClusterIdentifier;
  if (props.Status !== 'available') throw invalidClusterState(oldId, props.Status);
  const rawNewId = optString(p, 'NewDBClusterIdentifier');
  const newId = rawNewId ? validateIdentifier(rawNewId, 'NewDBClusterIdentifier') : undefined;
  if (newId !== undefined) {
    if (newId === oldId)
      throw invalidParameterValue('The new DB cluster identifier must differ from the current one.');
    if (store.clusters.has(newId))
      throw new RdsError('DBClusterAlreadyExistsFault', `DB Cluster already exists: ${newId}`);
  }
  const c: Partial<ClusterProps> = {};
  const set = <K extends keyof ClusterProps>(key: K, value: ClusterProps[K] | undefined) => {
    if (value !== undefined) c[key] = value;
  };
  set('DeletionProtection', optBool(p, 'DeletionProtection'));
  set('CopyTagsToSnapshot', optBool(p, 'CopyTagsToSnapshot'));
  set('BackupRetentionPeriod', optInt(p, 'BackupRetentionPeriod'));
  set('PreferredBackupWindow', optString(p, 'PreferredBackupWindow'));
  set('PreferredMaintenanceWindow', optString(p, 'PreferredMaintenanceWindow'));
  set('DBClusterParameterGroup', optString(p, 'DBClusterParameterGroupName'));
  set('BacktrackWindow', optInt(p, 'BacktrackWindow'));
  set('IAMDatabaseAuthenticationEnabled', optBool(p, 'EnableIAMDatabaseAuthentication'));
  set('Port', optInt(p, 'Port'));
  set('ServerlessV2ScalingConfiguration', scaling(p));
  set('EngineVersion', optString(p, 'EngineVersion'));
  set('NetworkType', optString(p, 'NetworkType'));
  set('StorageType', optString(p, 'StorageType'));
  set('Iops', optInt(p, 'Iops'));
  set('AllocatedStorage', optInt(p, 'AllocatedStorage'));
  set('DBClusterInstanceClass', optString(p, 'DBClusterInstanceClass'));
  set('EngineLifecycleSupport', optString(p, 'EngineLifecycleSupport'));
  set('MonitoringInterval', optInt(p, 'MonitoringInterval'));
  set('MonitoringRoleArn', optString(p, 'MonitoringRoleArn'));
  set('PerformanceInsightsEnabled', optBool(p, 'EnablePerformanceInsights'));
  set('PerformanceInsightsKMSKeyId', optString(p, 'PerformanceInsightsKMSKeyId'));
  set('PerformanceInsightsRetentionPeriod', optInt(p, 'PerformanceInsightsRetentionPeriod'));
  set('DatabaseInsightsMode', optString(p, 'DatabaseInsightsMode'));
  set('DomainMemberships', domainFromParams(p, props.DomainMemberships));
  if (c.PerformanceInsightsEnabled && props.PerformanceInsightsRetentionPeriod === undefined) {
    c.PerformanceInsightsRetentionPeriod ??= 7;
  }
  const sgs = optStringList(p, 'VpcSecurityGroupIds');
  if (sgs) c.VpcSecurityGroups = securityGroups(sgs);
  const logConfig = optStruct(p, 'CloudwatchLogsExportConfiguration');
  const enable = logConfig ? (optStringList(logConfig, 'EnableLogTypes') ?? []) : [];
  const disable = logConfig ? (optStringList(logConfig, 'DisableLogTypes') ?? []) : [];
  if (logConfig) {
    c.EnabledCloudwatchLogsExports = [...new Set([...props.EnabledCloudwatchLogsExports, ...enable])].filter(
      (t) => !disable.includes(t),
    );
  }
  checkScopes(p, props.Engine, 'ModifyDBCluster', {
    BacktrackWindow: 'aurora',
    Domain: 'aurora',
    DomainIAMRoleName: 'aurora',
    NetworkType: 'aurora',
    EnableHttpEndpoint: 'aurora',
    DBClusterInstanceClass: 'multi-az',
    AllocatedStorage: 'multi-az',
    Iops: 'multi-az',
    MonitoringInterval: 'multi-az',
    MonitoringRoleArn: 'multi-az',
  });
  const httpEndpoint = optBool(p, 'EnableHttpEndpoint');
  // RDS API reference, ModifyDBCluster EnableHttpEndpoint: "This parameter applies only to Aurora Serverless v1 DB
  // clusters. To enable or disable the HTTP endpoint for an Aurora Serverless v2 or provisioned DB cluster, use the
  // EnableHttpEndpoint and DisableHttpEndpoint operations."
  if (httpEndpoint !== undefined && props.EngineMode !== 'serverless') {
    throw invalidParameterCombination(
      `EnableHttpEndpoint in ModifyDBCluster applies only to Aurora Serverless v1 DB clusters; cluster ${oldId} is ${props.EngineMode}: use the EnableHttpEndpoint / DisableHttpEndpoint operations.`,
    );
  }
  if (httpEndpoint !== undefined) c.HttpEndpointEnabled = httpEndpoint;
  const manage = optBool(p, 'ManageMasterUserPassword');
  const password = optString(p, 'MasterUserPassword');
  const rotate = optBool(p, 'RotateMasterUserPassword') ?? false;
  const secretKms = optString(p, 'MasterUserSecretKmsKeyId');
  checkModifyManagedPassword({
    kind: 'cluster',
    engine: props.Engine,
    managedNow: props.MasterUserSecret !== undefined,
    manage,
    password,
    kmsKeyId: secretKms,
    rotate,
    applyImmediately: optBool(p, 'ApplyImmediately') ?? false,
  });
  validateClusterSettings({ ...clone(props), ...c }, enable, 'ModifyDBCluster');
  // Changing the master password or its management is applied at once (RDS API reference, ModifyDBCluster
  // ApplyImmediately: "Some modifications, such as turning on deletion protection and changing the master
  // password, are applied immediately").
  if (password !== undefined) rec.masterUserPassword = password;
  if (manage === true && !props.MasterUserSecret)
    props.MasterUserSecret = store.createSecret('cluster', secretKms);
  if (manage === false && props.MasterUserSecret) {
    store.deleteSecret(props.MasterUserSecret);
    props.MasterUserSecret = undefined;
  }
  if (rotate && props.MasterUserSecret) props.MasterUserSecret.SecretStatus = 'rotating';
  const credentials = manage !== undefined || rotate;

  const phase: Partial<ClusterProps> = {};
  for (const [k, v] of Object.entries(c)) {
    if (IMMEDIATE_CLUSTER.includes(k as keyof ClusterProps)) Object.assign(props, { [k]: v });
    else Object.assign(phase, { [k]: v });
  }
  if (Object.keys(phase).length === 0 && newId === undefined && !credentials)
    return { DBCluster: clusterView(store, rec) };
  const failure = ctx.faults.takeAsyncFailure('ModifyDBCluster', [oldId, newId ?? '']);
  if (logConfig)
    props.PendingModifiedValues = {
      PendingCloudwatchLogsExports: { LogTypesToEnable: enable, LogTypesToDisable: disable },
    };
  const apply = () => {
    Object.assign(props, phase);
    props.PendingModifiedValues = {};
  };
  if (newId === undefined) {
    props.Status = 'modifying';
    ctx.scheduler.after(ctx.durations.modifyCluster, () => {
      apply();
      finishCluster(ctx, rec, failure);
    });
    return { DBCluster: clusterView(store, rec) };
  }
  // A cluster rename happens at once whatever ApplyImmediately says; member instances keep their names.
  const members = store.members(oldId);
  store.clusters.delete(oldId);
  props.DBClusterIdentifier = newId;
  props.DBClusterArn = store.arn('cluster', newId);
  props.Endpoint = store.clusterAddress(newId);
  props.ReaderEndpoint = store.clusterAddress(newId, true);
  props.Status = 'renaming';
  store.clusters.set(newId, rec);
  for (const m of members) m.props.DBClusterIdentifier = newId;
  store.moveMembers(oldId, newId);
  // Custom endpoints stay with the renamed cluster under their own names (their DNS names do not contain the cluster
  // identifier: `<endpoint>.cluster-custom-<hash>.<region>.rds.amazonaws.com`).
  for (const e of store.clusterEndpoints.values()) {
    if (e.props.DBClusterIdentifier === oldId) e.props.DBClusterIdentifier = newId;
  }
  ctx.scheduler.after(ctx.durations.renameCluster, () => {
    apply();
    finishCluster(ctx, rec, failure, 'RDS-EVENT-0172', `from ${oldId} to ${newId}`);
  });
  return { DBCluster: clusterView(store, rec) };
}

export function deleteDBCluster(ctx: SimContext, p: Params) {
  const { store } = ctx;
  const rec = store.cluster(reqString(p, 'DBClusterIdentifier'));
  const props = rec.props;
  const id = props.DBClusterIdentifier;
  if (props.Status === 'deleting')
    throw new RdsError('InvalidDBClusterStateFault', `DB cluster ${id} is already being deleted.`);
  if (
    ![
      'available',
      'failed',
      'incompatible-parameters',
      'incompatible-network',
      'incompatible-restore',
    ].includes(props.Status)
  ) {
    throw invalidClusterState(id, props.Status);
  }
  const skip = optBool(p, 'SkipFinalSnapshot') ?? false;
  const finalId = optString(p, 'FinalDBSnapshotIdentifier');
  if (skip && finalId)
    throw invalidParameterCombination('Cannot specify both SkipFinalSnapshot and FinalDBSnapshotIdentifier.');
  if (!skip && !finalId) {
    throw invalidParameterCombination(
      'FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.',
    );
  }
  if (props.DeletionProtection) {
    throw invalidParameterCombination(
      'Cannot delete protected Cluster, please disable deletion protection and try again.',
    );
  }
  if (store.members(id).some((m) => m.props.DBInstanceStatus !== 'deleting')) {
    throw new RdsError(
      'InvalidDBClusterStateFault',
      'Cluster cannot be deleted, it still contains DB instances in non-deleting state.',
    );
  }
  const finalSnapshotId = finalId ? validateIdentifier(finalId, 'FinalDBSnapshotIdentifier', 255) : undefined;
  if (finalSnapshotId) store.assertClusterSnapshotFree(finalSnapshotId);
  props.Status = 'deleting';
  let delay = ctx.durations.deleteCluster;
  if (finalSnapshotId) {
    startClusterSnapshot(ctx, rec, finalSnapshotId, [], { keepClusterStatus: true });
    delay += ctx.durations.createClusterSnapshot;
  }
  const finish = () => {
    // A cluster is gone only after its deleting members are.
    if (store.members(props.DBClusterIdentifier).length > 0) {
      ctx.scheduler.after(5, finish);
      return;
    }
    store.clusters.delete(props.DBClusterIdentifier);
    store.deleteSecret(props.MasterUserSecret);
    for (const [key, e] of store.clusterEndpoints) {
      if (e.props.DBClusterIdentifier === props.DBClusterIdentifier) store.clusterEndpoints.delete(key);
    }
    ctx.events.emit(clusterSource(rec), 'RDS-EVENT-0171');
  };
  ctx.scheduler.after(delay, finish);
  return { DBCluster: clusterView(store, rec) };
}
