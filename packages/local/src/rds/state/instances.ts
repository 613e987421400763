import { invalidParameterCombination, invalidParameterValue, missingParameter, RdsError } from '../errors';
import { optBool, optInt, optString, optStringList, optTags, type Params, reqString } from '../protocol';
import { randomToken } from '../random';
import type { InstanceProps } from '../types';
import { applyFilters, checkMaxRecords, idFromArn } from './describe';
import {
  defaultEngineVersion,
  defaultLicenseModel,
  defaultOptionGroup,
  defaultParameterGroup,
  defaultPort,
  isAurora,
  isKnownEngine,
} from './engines';
import {
  DELETABLE_INSTANCE_STATUSES,
  finishInstance,
  IOPS_STORAGE,
  instanceSource,
  MONITORING_INTERVALS,
  NO_FINAL_SNAPSHOT_STATUSES,
  STORAGE_TYPES,
  unsupportedLogTypes,
} from './lifecycle';
import { instanceView, paginate } from './render';
import { startSnapshot } from './snapshots';
import {
  clone,
  DEFAULT_CA_CERTIFICATE,
  DEFAULT_SECURITY_GROUP_ID,
  DEFAULT_SUBNET_GROUP,
  type InstanceRecord,
  type SimContext,
  type Store,
  validateIdentifier,
} from './store';

export type InstanceSeed = Partial<InstanceProps> & { DBInstanceIdentifier: string; Engine: string };

export const securityGroups = (ids: string[]) =>
  ids.map((id) => ({ VpcSecurityGroupId: id, Status: 'active' }));

/** A complete instance from partial props, filling in what RDS would. */
export function buildInstance(store: Store, input: InstanceSeed): InstanceProps {
  const id = input.DBInstanceIdentifier.toLowerCase();
  const engine = input.Engine;
  const version = input.EngineVersion ?? defaultEngineVersion(engine);
  const subnetName = input.DBSubnetGroup?.DBSubnetGroupName ?? DEFAULT_SUBNET_GROUP;
  const vpcId = input.DBSubnetGroup?.VpcId ?? store.vpcOfSubnetGroup(subnetName);
  store.registerSubnetGroup(subnetName, vpcId);
  const aurora = isAurora(engine);
  const port = input.Endpoint?.Port ?? defaultPort(engine);
  return {
    DBInstanceStatus: 'available',
    EngineVersion: version,
    DBInstanceClass: 'db.t3.micro',
    MasterUsername: 'admin',
    InstanceCreateTime: new Date().toISOString(),
    AvailabilityZone: store.randomAz(),
    MultiAZ: false,
    DBParameterGroups: [
      { DBParameterGroupName: defaultParameterGroup(engine, version), ParameterApplyStatus: 'in-sync' },
    ],
    OptionGroupMemberships: [{ OptionGroupName: defaultOptionGroup(engine, version), Status: 'in-sync' }],
    VpcSecurityGroups: securityGroups([DEFAULT_SECURITY_GROUP_ID]),
    StorageType: aurora ? 'aurora' : 'gp2',
    AllocatedStorage: aurora ? 1 : 20,
    PubliclyAccessible: false,
    IAMDatabaseAuthenticationEnabled: false,
    DeletionProtection: false,
    CopyTagsToSnapshot: false,
    CACertificateIdentifier: DEFAULT_CA_CERTIFICATE,
    EnabledCloudwatchLogsExports: [],
    MonitoringInterval: 0,
    PerformanceInsightsEnabled: false,
    PreferredMaintenanceWindow: 'sun:05:00-sun:05:30',
    PreferredBackupWindow: '03:00-03:30',
    BackupRetentionPeriod: 1,
    AutoMinorVersionUpgrade: true,
    LicenseModel: defaultLicenseModel(engine),
    StorageEncrypted: false,
    PendingModifiedValues: {},
    TagList: [],
    ...input,
    DBInstanceIdentifier: id,
    Engine: engine,
    DBInstanceArn: store.arn('db', id),
    DbiResourceId: input.DbiResourceId ?? `db-${randomToken(26, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789')}`,
    Endpoint: { Address: store.instanceAddress(id), Port: port, HostedZoneId: 'Z2R2ITUGPM61AM' },
    DBSubnetGroup: {
      DBSubnetGroupName: subnetName,
      DBSubnetGroupDescription: subnetName,
      VpcId: vpcId,
      SubnetGroupStatus: 'Complete',
    },
  };
}

/** Adds an instance to the store (no checks, no events). */
export function insertInstance(store: Store, props: InstanceProps): InstanceRecord {
  const isWriter = props.DBClusterIdentifier
    ? !store.members(props.DBClusterIdentifier).some((m) => m.isWriter)
    : false;
  const rec: InstanceRecord = { props, hidden: false, seq: store.nextSeq(), isWriter };
  store.instances.set(props.DBInstanceIdentifier, rec);
  return rec;
}

/** Checks of the storage, monitoring and log settings shared by create, restore and modify. */
export function validateInstanceSettings(props: InstanceProps, logTypes: string[] = []): void {
  if (!STORAGE_TYPES.has(props.StorageType))
    throw invalidParameterValue(`Invalid storage type: ${props.StorageType}`);
  if (props.Iops !== undefined && !IOPS_STORAGE.has(props.StorageType)) {
    throw invalidParameterCombination(`You can't specify IOPS for storage type ${props.StorageType}.`);
  }
  if (props.StorageThroughput !== undefined && props.StorageType !== 'gp3') {
    throw invalidParameterCombination('You can specify StorageThroughput only for gp3 storage.');
  }
  if (!props.DBInstanceClass.startsWith('db.')) {
    throw invalidParameterValue(`Invalid DB instance class: ${props.DBInstanceClass}`);
  }
  if (!MONITORING_INTERVALS.has(props.MonitoringInterval)) {
    throw invalidParameterValue('MonitoringInterval must be one of 0, 1, 5, 10, 15, 30, 60.');
  }
  if (props.MonitoringInterval > 0 && !props.MonitoringRoleArn) {
    throw invalidParameterCombination(
      'A MonitoringRoleARN value is required if you specify a MonitoringInterval value other than 0.',
    );
  }
  const bad = unsupportedLogTypes(props.Engine, logTypes);
  if (bad.length > 0) {
    throw invalidParameterCombination(
      `You cannot use the log types '${bad.join(', ')}' with engine ${props.Engine}.`,
    );
  }
}

function tagsAndGroups(p: Params) {
  return {
    tags: optTags(p),
    sgs: optStringList(p, 'VpcSecurityGroupIds'),
    logs: optStringList(p, 'EnableCloudwatchLogsExports'),
  };
}

export function createDBInstance(ctx: SimContext, p: Params) {
  const { store } = ctx;
  const id = validateIdentifier(reqString(p, 'DBInstanceIdentifier'), 'DBInstanceIdentifier');
  const engine = reqString(p, 'Engine');
  const instanceClass = reqString(p, 'DBInstanceClass');
  if (!isKnownEngine(engine)) throw invalidParameterValue(`Invalid DB engine: ${engine}`);
  store.assertInstanceNameFree(id);
  store.assertInstanceQuota();
  const { tags, sgs, logs } = tagsAndGroups(p);
  const clusterId = optString(p, 'DBClusterIdentifier')?.toLowerCase();
  let seed: InstanceSeed;
  if (clusterId) {
    const cluster = store.cluster(clusterId).props;
    if (cluster.Status !== 'available') {
      throw new RdsError('InvalidDBClusterStateFault', `DB cluster ${clusterId} is not in available state.`);
    }
    if (cluster.Engine !== engine) {
      throw invalidParameterCombination(
        `The engine ${engine} does not match the cluster's engine ${cluster.Engine}.`,
      );
    }
    seed = {
      DBInstanceIdentifier: id,
      Engine: engine,
      EngineVersion: cluster.EngineVersion,
      DBClusterIdentifier: clusterId,
      MasterUsername: cluster.MasterUsername,
      DBName: cluster.DatabaseName,
      Endpoint: { Address: '', Port: cluster.Port, HostedZoneId: '' },
      DBSubnetGroup: {
        DBSubnetGroupName: cluster.DBSubnetGroup,
        VpcId: store.vpcOfSubnetGroup(cluster.DBSubnetGroup),
        SubnetGroupStatus: 'Complete',
      },
      VpcSecurityGroups: clone(cluster.VpcSecurityGroups),
      StorageEncrypted: cluster.StorageEncrypted,
      KmsKeyId: cluster.KmsKeyId,
      IAMDatabaseAuthenticationEnabled: cluster.IAMDatabaseAuthenticationEnabled,
      PromotionTier: optInt(p, 'PromotionTier') ?? 1,
    };
  } else {
    if (isAurora(engine))
      throw invalidParameterCombination('Aurora DB instances must be created in a DB cluster.');
    const storage = optInt(p, 'AllocatedStorage');
    if (storage === undefined) throw missingParameter('AllocatedStorage');
    const subnet = optString(p, 'DBSubnetGroupName') ?? DEFAULT_SUBNET_GROUP;
    seed = {
      DBInstanceIdentifier: id,
      Engine: engine,
      AllocatedStorage: storage,
      MasterUsername: optString(p, 'MasterUsername') ?? 'admin',
      DBName: optString(p, 'DBName'),
      Endpoint: { Address: '', Port: optInt(p, 'Port') ?? defaultPort(engine), HostedZoneId: '' },
      DBSubnetGroup: {
        DBSubnetGroupName: subnet,
        VpcId: store.vpcOfSubnetGroup(subnet),
        SubnetGroupStatus: 'Complete',
      },
      MultiAZ: optBool(p, 'MultiAZ') ?? false,
      StorageType: optString(p, 'StorageType') ?? (optInt(p, 'Iops') ? 'io1' : 'gp2'),
      Iops: optInt(p, 'Iops'),
      StorageThroughput: optInt(p, 'StorageThroughput'),
      MaxAllocatedStorage: optInt(p, 'MaxAllocatedStorage'),
      StorageEncrypted: optBool(p, 'StorageEncrypted') ?? false,
      KmsKeyId: optString(p, 'KmsKeyId'),
      IAMDatabaseAuthenticationEnabled: optBool(p, 'EnableIAMDatabaseAuthentication') ?? false,
      DeletionProtection: optBool(p, 'DeletionProtection') ?? false,
      VpcSecurityGroups: securityGroups(sgs ?? [DEFAULT_SECURITY_GROUP_ID]),
    };
  }
  const version = optString(p, 'EngineVersion') ?? seed.EngineVersion ?? defaultEngineVersion(engine);
  const props = buildInstance(store, {
    ...seed,
    EngineVersion: version,
    DBInstanceClass: instanceClass,
    DBInstanceStatus: 'creating',
    AvailabilityZone: optString(p, 'AvailabilityZone') ?? store.randomAz(),
    DBParameterGroups: [
      {
        DBParameterGroupName: optString(p, 'DBParameterGroupName') ?? defaultParameterGroup(engine, version),
        ParameterApplyStatus: 'in-sync',
      },
    ],
    OptionGroupMemberships: [
      {
        OptionGroupName: optString(p, 'OptionGroupName') ?? defaultOptionGroup(engine, version),
        Status: 'in-sync',
      },
    ],
    PubliclyAccessible: optBool(p, 'PubliclyAccessible') ?? false,
    CopyTagsToSnapshot: optBool(p, 'CopyTagsToSnapshot') ?? false,
    CACertificateIdentifier: optString(p, 'CACertificateIdentifier') ?? DEFAULT_CA_CERTIFICATE,
    EnabledCloudwatchLogsExports: logs ?? [],
    MonitoringInterval: optInt(p, 'MonitoringInterval') ?? 0,
    MonitoringRoleArn: optString(p, 'MonitoringRoleArn'),
    PerformanceInsightsEnabled: optBool(p, 'EnablePerformanceInsights') ?? false,
    PerformanceInsightsKMSKeyId: optString(p, 'PerformanceInsightsKMSKeyId'),
    PerformanceInsightsRetentionPeriod: optInt(p, 'PerformanceInsightsRetentionPeriod'),
    PreferredMaintenanceWindow: optString(p, 'PreferredMaintenanceWindow') ?? 'sun:05:00-sun:05:30',
    PreferredBackupWindow: optString(p, 'PreferredBackupWindow') ?? '03:00-03:30',
    BackupRetentionPeriod: optInt(p, 'BackupRetentionPeriod') ?? 1,
    AutoMinorVersionUpgrade: optBool(p, 'AutoMinorVersionUpgrade') ?? true,
    LicenseModel: optString(p, 'LicenseModel') ?? defaultLicenseModel(engine),
    TagList: tags ?? [],
  });
  if (props.PerformanceInsightsEnabled && props.PerformanceInsightsRetentionPeriod === undefined) {
    props.PerformanceInsightsRetentionPeriod = 7;
  }
  validateInstanceSettings(props, logs);
  const failure = ctx.faults.takeAsyncFailure('CreateDBInstance', [id, clusterId ?? '']);
  const rec = insertInstance(store, props);
  ctx.scheduler.after(ctx.durations.createInstance, () =>
    finishInstance(ctx, rec, failure, { creating: true, successEvent: 'RDS-EVENT-0005' }),
  );
  return { DBInstance: instanceView(rec) };
}

export function restoreDBInstanceFromDBSnapshot(ctx: SimContext, p: Params) {
  const { store } = ctx;
  const id = validateIdentifier(reqString(p, 'DBInstanceIdentifier'), 'DBInstanceIdentifier');
  const snapId = idFromArn(reqString(p, 'DBSnapshotIdentifier'), 'snapshot');
  const snap = store.snapshot(snapId);
  if (snap.props.Status !== 'available') {
    throw new RdsError(
      'InvalidDBSnapshotState',
      `Snapshot ${snapId} is not in available state (${snap.props.Status}).`,
    );
  }
  store.assertInstanceNameFree(id);
  store.assertInstanceQuota();
  const { tags, sgs, logs } = tagsAndGroups(p);
  const src = snap.source;
  const s = snap.props;
  const engine = s.Engine;
  const version = s.EngineVersion;
  const subnet = optString(p, 'DBSubnetGroupName') ?? DEFAULT_SUBNET_GROUP;
  const storageType = optString(p, 'StorageType') ?? s.StorageType;
  const iops = optInt(p, 'Iops') ?? (IOPS_STORAGE.has(storageType) ? s.Iops : undefined);
  const throughput =
    optInt(p, 'StorageThroughput') ?? (storageType === 'gp3' ? s.StorageThroughput : undefined);
  const props = buildInstance(store, {
    DBInstanceIdentifier: id,
    Engine: engine,
    EngineVersion: version,
    DBInstanceStatus: 'creating',
    DBInstanceClass: optString(p, 'DBInstanceClass') ?? src.DBInstanceClass,
    DBName: optString(p, 'DBName') ?? src.DBName,
    MasterUsername: s.MasterUsername,
    Endpoint: { Address: '', Port: optInt(p, 'Port') ?? s.Port, HostedZoneId: '' },
    AvailabilityZone: optString(p, 'AvailabilityZone') ?? store.randomAz(),
    MultiAZ: optBool(p, 'MultiAZ') ?? false,
    DBParameterGroups: [
      {
        DBParameterGroupName: optString(p, 'DBParameterGroupName') ?? defaultParameterGroup(engine, version),
        ParameterApplyStatus: 'in-sync',
      },
    ],
    OptionGroupMemberships: [
      {
        OptionGroupName: optString(p, 'OptionGroupName') ?? defaultOptionGroup(engine, version),
        Status: 'in-sync',
      },
    ],
    DBSubnetGroup: {
      DBSubnetGroupName: subnet,
      VpcId: store.vpcOfSubnetGroup(subnet),
      SubnetGroupStatus: 'Complete',
    },
    VpcSecurityGroups: securityGroups(sgs ?? [DEFAULT_SECURITY_GROUP_ID]),
    StorageType: storageType,
    AllocatedStorage: optInt(p, 'AllocatedStorage') ?? s.AllocatedStorage,
    Iops: iops,
    StorageThroughput: throughput,
    PubliclyAccessible: optBool(p, 'PubliclyAccessible') ?? false,
    IAMDatabaseAuthenticationEnabled: optBool(p, 'EnableIAMDatabaseAuthentication') ?? false,
    DeletionProtection: optBool(p, 'DeletionProtection') ?? false,
    CopyTagsToSnapshot: optBool(p, 'CopyTagsToSnapshot') ?? false,
    CACertificateIdentifier: optString(p, 'CACertificateIdentifier') ?? DEFAULT_CA_CERTIFICATE,
    EnabledCloudwatchLogsExports: logs ?? [],
    BackupRetentionPeriod: optInt(p, 'BackupRetentionPeriod') ?? 1,
    PreferredBackupWindow: optString(p, 'PreferredBackupWindow') ?? '03:00-03:30',
    AutoMinorVersionUpgrade: optBool(p, 'AutoMinorVersionUpgrade') ?? true,
    LicenseModel: optString(p, 'LicenseModel') ?? s.LicenseModel,
    StorageEncrypted: s.Encrypted,
    KmsKeyId: s.KmsKeyId,
    TagList: tags ?? clone(s.TagList),
  });
  validateInstanceSettings(props, logs);
  const failure = ctx.faults.takeAsyncFailure('RestoreDBInstanceFromDBSnapshot', [id, snapId]);
  const rec = insertInstance(store, props);
  ctx.scheduler.after(ctx.durations.restoreInstance, () =>
    finishInstance(ctx, rec, failure, {
      creating: true,
      successEvent: 'RDS-EVENT-0043',
      successExtra: snapId,
    }),
  );
  return { DBInstance: instanceView(rec) };
}

const INSTANCE_FILTERS: Record<string, (r: InstanceRecord) => string | undefined> = {
  'db-instance-id': (r) => r.props.DBInstanceIdentifier,
  'db-cluster-id': (r) => r.props.DBClusterIdentifier,
  'dbi-resource-id': (r) => r.props.DbiResourceId,
  engine: (r) => r.props.Engine,
};

export function describeDBInstances(ctx: SimContext, p: Params) {
  const max = checkMaxRecords(p);
  const id = optString(p, 'DBInstanceIdentifier');
  let recs: InstanceRecord[];
  if (id) recs = [ctx.store.instance(idFromArn(id, 'db'))];
  else recs = [...ctx.store.instances.values()].filter((r) => !r.hidden).sort((a, b) => a.seq - b.seq);
  recs = applyFilters(p, recs, INSTANCE_FILTERS);
  const { page, marker } = paginate(recs, max, optString(p, 'Marker'));
  return { DBInstances: page.map(instanceView), Marker: marker };
}

export function deleteDBInstance(ctx: SimContext, p: Params) {
  const { store } = ctx;
  const id = reqString(p, 'DBInstanceIdentifier');
  const rec = store.instance(id);
  const props = rec.props;
  const status = props.DBInstanceStatus;
  if (status === 'deleting')
    throw new RdsError('InvalidDBInstanceState', `Instance ${id} is already being deleted.`);
  if (!DELETABLE_INSTANCE_STATUSES.has(status)) {
    throw new RdsError(
      'InvalidDBInstanceState',
      `Instance ${id} is not in a state that allows deletion (${status}).`,
    );
  }
  const skip = optBool(p, 'SkipFinalSnapshot') ?? false;
  const finalId = optString(p, 'FinalDBSnapshotIdentifier');
  const member = props.DBClusterIdentifier !== undefined;
  if (member && finalId) {
    throw invalidParameterCombination(
      'FinalDBSnapshotIdentifier can not be specified when deleting a cluster instance.',
    );
  }
  if (!member && skip && finalId) {
    throw invalidParameterCombination('Cannot specify both SkipFinalSnapshot and FinalDBSnapshotIdentifier.');
  }
  if (!member && !skip && !finalId) {
    throw invalidParameterCombination(
      'FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.',
    );
  }
  if (props.DeletionProtection) {
    throw invalidParameterCombination(
      'Cannot delete protected DB Instance, please disable deletion protection and try again.',
    );
  }
  if (finalId && NO_FINAL_SNAPSHOT_STATUSES.has(status)) {
    throw invalidParameterCombination(
      `A final snapshot cannot be taken of an instance in ${status} state; use SkipFinalSnapshot.`,
    );
  }
  const finalSnapshotId = finalId ? validateIdentifier(finalId, 'FinalDBSnapshotIdentifier', 255) : undefined;
  if (finalSnapshotId) store.assertSnapshotFree(finalSnapshotId);
  const failure = ctx.faults.takeAsyncFailure('DeleteDBInstance', [props.DBInstanceIdentifier]);
  props.DBInstanceStatus = 'deleting';
  let delay = ctx.durations.deleteInstance;
  if (finalSnapshotId) {
    startSnapshot(ctx, rec, finalSnapshotId, [], { keepInstanceStatus: true });
    delay += ctx.durations.createSnapshot;
  }
  ctx.scheduler.after(delay, () => {
    if (failure) {
      finishInstance(ctx, rec, failure, { creating: false });
      return;
    }
    if (store.instances.get(props.DBInstanceIdentifier) === rec)
      store.instances.delete(props.DBInstanceIdentifier);
    if (rec.isWriter && props.DBClusterIdentifier) electWriter(store, props.DBClusterIdentifier);
    ctx.events.emit(instanceSource(rec), 'RDS-EVENT-0003');
  });
  return { DBInstance: instanceView(rec) };
}

/** After the writer is gone, the member with the best promotion tier (then the oldest) becomes writer. */
function electWriter(store: Store, clusterId: string): void {
  const members = store.members(clusterId);
  if (members.length === 0 || members.some((m) => m.isWriter)) return;
  const next = [...members].sort(
    (a, b) => (a.props.PromotionTier ?? 1) - (b.props.PromotionTier ?? 1) || a.seq - b.seq,
  )[0];
  if (next) next.isWriter = true;
}
