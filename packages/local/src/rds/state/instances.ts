import {
  instanceNotFound,
  invalidParameterCombination,
  invalidParameterValue,
  missingParameter,
  RdsError,
} from '../errors';
import {
  optBool,
  optInt,
  optString,
  optStringList,
  optStructList,
  optTags,
  type Params,
  reqString,
} from '../protocol';
import { randomToken } from '../random';
import type { DomainMembership, InstanceProps, Tag } from '../types';
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
  instanceSource,
  NO_FINAL_SNAPSHOT_STATUSES,
  STORAGE_TYPES,
} from './lifecycle';
import { instanceView, paginate } from './render';
import {
  checkAllocatedStorage,
  checkAzWithMultiAz,
  checkBackupRetention,
  checkBackupTarget,
  checkDatabaseInsights,
  checkInstanceDomain,
  checkInstanceLifecycle,
  checkLicenseModel,
  checkLogTypes,
  checkMonitoring,
  checkMultiAz,
  checkNetworkType,
  checkPiRetention,
  checkPort,
  checkRestoreAllocatedStorage,
  checkRestoreManagedPassword,
  DEFAULT_LIFECYCLE,
  engineFamily,
  gp3Threshold,
  instanceHasLifecycle,
  resolveStorage,
} from './rules';
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
import { instanceWindow, type RestorableWindow } from './window';

export type InstanceSeed = Partial<InstanceProps> & {
  DBInstanceIdentifier: string;
  Engine: string;
  /** Seed only: give the instance an RDS-managed master password secret of its own (a fresh ARN each time). */
  ManageMasterUserPassword?: boolean;
};

export const securityGroups = (ids: string[]) =>
  ids.map((id) => ({ VpcSecurityGroupId: id, Status: 'active' }));

/** A complete instance from partial props, filling in what RDS would. */
export function buildInstance(store: Store, seed: InstanceSeed): InstanceProps {
  const { ManageMasterUserPassword: manage, ...input } = seed;
  if (manage && !input.MasterUserSecret) {
    input.MasterUserSecret = { ...store.createSecret('db', undefined), SecretStatus: 'active' };
  } else if (input.MasterUserSecret) {
    store.secrets.add(input.MasterUserSecret.SecretArn);
  }
  const id = input.DBInstanceIdentifier.toLowerCase();
  const engine = input.Engine;
  const version = input.EngineVersion ?? defaultEngineVersion(engine);
  const subnetName = input.DBSubnetGroup?.DBSubnetGroupName ?? DEFAULT_SUBNET_GROUP;
  const vpcId = input.DBSubnetGroup?.VpcId ?? store.vpcOfSubnetGroup(subnetName);
  store.registerSubnetGroup(subnetName, vpcId);
  const aurora = isAurora(engine);
  const port = input.Endpoint?.Port ?? defaultPort(engine);
  const member = input.DBClusterIdentifier !== undefined;
  const props: InstanceProps = {
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
    NetworkType: 'IPV4',
    DomainMemberships: [],
    AssociatedRoles: [],
    DedicatedLogVolume: false,
    BackupTarget: 'region',
    // Aurora DB instances inherit the mode from the DB cluster (RDS API reference, DatabaseInsightsMode).
    DatabaseInsightsMode: aurora ? undefined : 'standard',
    // RDS API reference, EngineLifecycleSupport: "Default: open-source-rds-extended-support" ("applies only to RDS
    // for MySQL and RDS for PostgreSQL").
    EngineLifecycleSupport: instanceHasLifecycle(engine) && !member ? DEFAULT_LIFECYCLE : undefined,
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
  // gp3 reports its baseline when no IOPS/throughput were provisioned (RDS User Guide, CHAP_Storage "gp3 storage":
  // "3,000 IOPS/125 MiBps" below the threshold, "12,000 IOPS/500 MiBps" at or above it; SQL Server 3,000/125).
  if (props.StorageType === 'gp3') {
    const threshold = gp3Threshold(engine);
    const high = threshold !== undefined && props.AllocatedStorage >= threshold;
    props.Iops ??= high ? 12000 : 3000;
    props.StorageThroughput ??= high ? 500 : 125;
  }
  return props;
}

/** Adds an instance to the store (no checks, no events). */
export function insertInstance(store: Store, props: InstanceProps): InstanceRecord {
  const isWriter = props.DBClusterIdentifier
    ? !store.members(props.DBClusterIdentifier).some((m) => m.isWriter)
    : false;
  const rec: InstanceRecord = { props, hidden: false, seq: store.nextSeq(), isWriter };
  store.instances.set(props.DBInstanceIdentifier, rec);
  store.addMember(rec);
  return rec;
}

/** Checks shared by create, restore and modify (storage sizes and IOPS are checked by `resolveStorage`). */
export function validateInstanceSettings(
  props: InstanceProps,
  opts: { logTypes?: string[]; logParam?: string } = {},
): void {
  if (!STORAGE_TYPES.has(props.StorageType))
    throw invalidParameterValue(`Invalid storage type: ${props.StorageType}`);
  if (!props.DBInstanceClass.startsWith('db.')) {
    throw invalidParameterValue(`Invalid DB instance class: ${props.DBInstanceClass}`);
  }
  checkMonitoring(props.MonitoringInterval, props.MonitoringRoleArn);
  checkPiRetention(props.PerformanceInsightsEnabled ? props.PerformanceInsightsRetentionPeriod : undefined);
  checkDatabaseInsights(
    props.DatabaseInsightsMode,
    props.PerformanceInsightsEnabled,
    props.PerformanceInsightsRetentionPeriod,
  );
  checkBackupRetention(props.BackupRetentionPeriod);
  checkNetworkType(props.NetworkType);
  checkBackupTarget(props.BackupTarget);
  if (!isAurora(props.Engine)) {
    checkLicenseModel(props.Engine, props.LicenseModel);
    checkMultiAz(props.Engine, props.MultiAZ);
  }
  if (opts.logTypes && opts.logTypes.length > 0) {
    checkLogTypes('instance', props.Engine, opts.logTypes, opts.logParam ?? 'EnableCloudwatchLogsExports');
  }
}

/** Domain settings of a request as DomainMemberships (`Domain` = `none` or DisableDomain removes it). */
export function domainFromParams(
  p: Params,
  current: DomainMembership[] = [],
): DomainMembership[] | undefined {
  const domain = optString(p, 'Domain');
  const fqdn = optString(p, 'DomainFqdn');
  const dnsIps = optStringList(p, 'DomainDnsIps');
  const role = optString(p, 'DomainIAMRoleName');
  if (optBool(p, 'DisableDomain') || domain === 'none') return [];
  if (domain === undefined && fqdn === undefined) {
    if (role !== undefined && current[0]) return [{ ...current[0], IAMRoleName: role }];
    return undefined;
  }
  // RDS API reference, DomainDnsIps: "Two IP addresses must be provided."
  if (dnsIps !== undefined && dnsIps.length !== 2) {
    throw invalidParameterValue('DomainDnsIps: two IP addresses must be provided.');
  }
  // RDS API reference, DomainFqdn / DomainOu / DomainAuthSecretArn: "Can't be longer than 64 characters."
  for (const key of ['DomainFqdn', 'DomainOu', 'DomainAuthSecretArn']) {
    const v = optString(p, key);
    if (v !== undefined && v.length > 64)
      throw invalidParameterValue(`${key} can't be longer than 64 characters.`);
  }
  return [
    {
      Domain: domain ?? fqdn ?? '',
      Status: 'joined',
      FQDN: fqdn,
      IAMRoleName: role,
      OU: optString(p, 'DomainOu'),
      AuthSecretArn: optString(p, 'DomainAuthSecretArn'),
      DnsIps: dnsIps,
    },
  ];
}

export function processorFeaturesFromParams(p: Params): InstanceProps['ProcessorFeatures'] {
  if (optBool(p, 'UseDefaultProcessorFeatures')) return [];
  const list = optStructList(p, 'ProcessorFeatures');
  if (!list) return undefined;
  return list.map((f) => {
    const Name = reqString(f, 'Name');
    // RDS API reference, ProcessorFeature Name: "coreCount", "threadsPerCore".
    if (Name !== 'coreCount' && Name !== 'threadsPerCore')
      throw invalidParameterValue(`Invalid ProcessorFeatures name: ${Name} (coreCount or threadsPerCore).`);
    return { Name, Value: reqString(f, 'Value') };
  });
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
  const member = clusterId !== undefined;
  const lifecycle = optString(p, 'EngineLifecycleSupport');
  checkInstanceLifecycle(engine, lifecycle, member);
  checkInstanceDomain(engine, optString(p, 'Domain') ?? optString(p, 'DomainFqdn'), member);
  const insightsMode = optString(p, 'DatabaseInsightsMode');
  if (member && insightsMode !== undefined) {
    // RDS API reference, CreateDBInstance DatabaseInsightsMode: "Aurora DB instances inherit this value from the DB
    // cluster, so you can't change this value."
    throw invalidParameterCombination(
      'DatabaseInsightsMode: Aurora DB instances inherit this value from the DB cluster, so you cannot set it.',
    );
  }
  const manage = optBool(p, 'ManageMasterUserPassword');
  const password = optString(p, 'MasterUserPassword');
  // RDS API reference, CreateDBInstance ManageMasterUserPassword: "Can't manage the master user password with
  // Amazon Web Services Secrets Manager if MasterUserPassword is specified."
  if (manage && password !== undefined) {
    throw invalidParameterCombination(
      'ManageMasterUserPassword cannot be turned on when MasterUserPassword is specified.',
    );
  }
  if (optString(p, 'MasterUserSecretKmsKeyId') !== undefined && !manage) {
    // RDS API reference, CreateDBInstance MasterUserSecretKmsKeyId: "This setting is valid only if the master user
    // password is managed by RDS in Amazon Web Services Secrets Manager for the DB instance."
    throw invalidParameterCombination(
      'MasterUserSecretKmsKeyId is valid only when ManageMasterUserPassword is turned on.',
    );
  }
  checkAzWithMultiAz(optString(p, 'AvailabilityZone'), optBool(p, 'MultiAZ'));
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
      StorageType: cluster.StorageType,
      NetworkType: cluster.NetworkType,
      DatabaseInsightsMode: cluster.DatabaseInsightsMode,
    };
  } else {
    if (isAurora(engine))
      throw invalidParameterCombination('Aurora DB instances must be created in a DB cluster.');
    const storage = optInt(p, 'AllocatedStorage');
    if (storage === undefined) throw missingParameter('AllocatedStorage');
    const subnet = optString(p, 'DBSubnetGroupName') ?? DEFAULT_SUBNET_GROUP;
    const iops = optInt(p, 'Iops');
    // RDS API reference, CreateDBInstance StorageType: "Default: io1, if the Iops parameter is specified.
    // Otherwise, gp3."
    const storageType = optString(p, 'StorageType') ?? (iops ? 'io1' : 'gp3');
    const storageOut = STORAGE_TYPES.has(storageType)
      ? resolveStorage({
          engine,
          storageType,
          allocated: storage,
          iops,
          throughput: optInt(p, 'StorageThroughput'),
          action: 'CreateDBInstance',
        })
      : {};
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
      StorageType: storageType,
      Iops: storageOut.Iops,
      StorageThroughput: storageOut.StorageThroughput,
      MaxAllocatedStorage: optInt(p, 'MaxAllocatedStorage'),
      StorageEncrypted: optBool(p, 'StorageEncrypted') ?? false,
      KmsKeyId: optString(p, 'KmsKeyId'),
      IAMDatabaseAuthenticationEnabled: optBool(p, 'EnableIAMDatabaseAuthentication') ?? false,
      DeletionProtection: optBool(p, 'DeletionProtection') ?? false,
      VpcSecurityGroups: securityGroups(sgs ?? [DEFAULT_SECURITY_GROUP_ID]),
      NetworkType: optString(p, 'NetworkType') ?? 'IPV4',
      DomainMemberships: domainFromParams(p) ?? [],
      EngineLifecycleSupport: lifecycle ?? (instanceHasLifecycle(engine) ? DEFAULT_LIFECYCLE : undefined),
      DedicatedLogVolume: optBool(p, 'DedicatedLogVolume') ?? false,
      ProcessorFeatures: processorFeaturesFromParams(p),
      BackupTarget: optString(p, 'BackupTarget') ?? 'region',
      DatabaseInsightsMode: insightsMode ?? 'standard',
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
  // RDS API reference, CreateDBInstance EnableCloudwatchLogsExports: "This setting doesn't apply to … Amazon Aurora
  // (CloudWatch Logs exports are managed by the DB cluster.)"
  validateInstanceSettings(props, { logTypes: member ? [] : logs });
  const failure = ctx.faults.takeAsyncFailure('CreateDBInstance', [id, clusterId ?? '']);
  if (manage && !member)
    props.MasterUserSecret = store.createSecret('db', optString(p, 'MasterUserSecretKmsKeyId'));
  const rec = insertInstance(store, props);
  if (password !== undefined) rec.masterUserPassword = password;
  ctx.scheduler.after(ctx.durations.createInstance, () =>
    finishInstance(ctx, rec, failure, { creating: true, successEvent: 'RDS-EVENT-0005' }),
  );
  return { DBInstance: instanceView(store, rec) };
}

/** What a restored DB instance starts from: the DB snapshot, or the source instance of a point-in-time restore. */
interface InstanceRestoreBase {
  action: 'RestoreDBInstanceFromDBSnapshot' | 'RestoreDBInstanceToPointInTime';
  /** The new instance's identifier (validated, lowercase). */
  id: string;
  engine: string;
  version: string;
  /** The backup's own facts. */
  from: {
    DBInstanceClass: string;
    DBName?: string;
    MasterUsername?: string;
    Port: number;
    AllocatedStorage: number;
    Iops?: number;
    StorageThroughput?: number;
    LicenseModel: string;
    StorageEncrypted: boolean;
    KmsKeyId?: string;
    /** Tags used when the request has none. */
    TagList: Tag[];
  };
  /**
   * Point-in-time restore: the source instance, whose settings the new one keeps where the request names none and
   * the RDS API reference documents no default of its own.
   */
  source?: InstanceProps;
}

/**
 * The props of a restored instance (status `creating`), checked; shared by RestoreDBInstanceFromDBSnapshot and
 * RestoreDBInstanceToPointInTime, whose parameters are the same but for the source ones and MaxAllocatedStorage
 * (RDS API reference, RestoreDBInstanceFromDBSnapshotMessage / RestoreDBInstanceToPointInTimeMessage).
 */
function buildRestoredInstance(
  store: Store,
  p: Params,
  b: InstanceRestoreBase,
): { props: InstanceProps; manage: boolean | undefined; secretKms: string | undefined } {
  const { id, engine, version, from, source, action } = b;
  const { tags, sgs, logs } = tagsAndGroups(p);
  const fam = engineFamily(engine);
  const manage = optBool(p, 'ManageMasterUserPassword');
  const secretKms = optString(p, 'MasterUserSecretKmsKeyId');
  checkRestoreManagedPassword(engine, manage, secretKms);
  const requestedStorage = optInt(p, 'AllocatedStorage');
  checkRestoreAllocatedStorage(engine, requestedStorage);
  const lifecycle = optString(p, 'EngineLifecycleSupport');
  checkInstanceLifecycle(engine, lifecycle, false);
  checkInstanceDomain(engine, optString(p, 'Domain') ?? optString(p, 'DomainFqdn'), false);
  const port = optInt(p, 'Port');
  checkPort(port);
  // RDS API reference, RestoreDBInstanceToPointInTime: "By default, the new DB instance is created as a single-AZ
  // deployment" (the snapshot restore is single-AZ by default here as well).
  const multiAZ = optBool(p, 'MultiAZ') ?? false;
  checkAzWithMultiAz(optString(p, 'AvailabilityZone'), multiAZ);
  // RDS API reference, RestoreDBInstanceToPointInTime: the new instance gets "the default subnet group" (the
  // snapshot restore uses it by default here as well).
  const subnet = optString(p, 'DBSubnetGroupName') ?? DEFAULT_SUBNET_GROUP;
  const requestIops = optInt(p, 'Iops');
  // RDS API reference, RestoreDBInstanceFromDBSnapshot / RestoreDBInstanceToPointInTime StorageType: "Default: io1
  // if the Iops parameter is specified, otherwise gp3".
  const storageType = optString(p, 'StorageType') ?? (requestIops ? 'io1' : 'gp3');
  const allocated = requestedStorage ?? from.AllocatedStorage;
  const storage = STORAGE_TYPES.has(storageType)
    ? resolveStorage({
        engine,
        storageType,
        allocated,
        iops: requestIops,
        throughput: optInt(p, 'StorageThroughput'),
        // RDS API reference, RestoreDBInstanceFromDBSnapshot Iops: "If this parameter isn't specified, the IOPS
        // value is taken from the backup." (point-in-time restore: the source's, "most of the original
        // configuration").
        fallbackIops: from.Iops,
        fallbackThroughput: from.StorageThroughput,
        action,
      })
    : {};
  // RDS API reference, RestoreDBInstanceFromDBSnapshot DBName: "This parameter only applies to RDS for Oracle and
  // RDS for SQL Server DB instances. It doesn't apply to the other engines"; RestoreDBInstanceToPointInTime DBName:
  // "This parameter doesn't apply to the following DB instances: RDS Custom, RDS for Db2, RDS for MariaDB, RDS for
  // MySQL". Where it doesn't apply, the backup's database name stays.
  const dbNameApplies =
    action === 'RestoreDBInstanceFromDBSnapshot'
      ? fam === 'oracle' || fam === 'sqlserver'
      : fam !== 'db2' && fam !== 'mariadb' && fam !== 'mysql';
  const dbName = dbNameApplies ? (optString(p, 'DBName') ?? from.DBName) : from.DBName;
  // Point-in-time restore: RDS API reference, RestoreDBInstanceToPointInTime: "The target database is created with
  // most of the original configuration, but in a system-selected Availability Zone, with the default security
  // group, the default subnet group, and the default DB parameter group." Which settings "most" covers is not
  // documented; we answer: every setting the request can name and whose parameter documents no default of its own
  // (class, port, option group, public access, minor upgrades, license, CA, log exports, retention, storage
  // autoscaling, dedicated log volume, processor features) and the maintenance window; settings the call cannot set
  // (Enhanced Monitoring, Performance Insights, IAM roles) are as after a snapshot restore.
  const props = buildInstance(store, {
    DBInstanceIdentifier: id,
    Engine: engine,
    EngineVersion: version,
    DBInstanceStatus: 'creating',
    // RDS API reference, RestoreDBInstanceToPointInTime DBInstanceClass: "Default: The same DB instance class as
    // the original DB instance."
    DBInstanceClass: optString(p, 'DBInstanceClass') ?? from.DBInstanceClass,
    DBName: dbName,
    MasterUsername: from.MasterUsername,
    // RDS API reference, RestoreDBInstanceToPointInTime Port: "Default: The same port as the original DB instance."
    Endpoint: { Address: '', Port: port ?? from.Port, HostedZoneId: '' },
    AvailabilityZone: optString(p, 'AvailabilityZone') ?? store.randomAz(),
    MultiAZ: multiAZ,
    // RDS API reference, RestoreDBInstanceToPointInTime DBParameterGroupName: "If you do not specify a value for
    // DBParameterGroupName, then the default DBParameterGroup for the specified DB engine is used."
    DBParameterGroups: [
      {
        DBParameterGroupName: optString(p, 'DBParameterGroupName') ?? defaultParameterGroup(engine, version),
        ParameterApplyStatus: 'in-sync',
      },
    ],
    OptionGroupMemberships: [
      {
        OptionGroupName:
          optString(p, 'OptionGroupName') ??
          source?.OptionGroupMemberships[0]?.OptionGroupName ??
          defaultOptionGroup(engine, version),
        Status: 'in-sync',
      },
    ],
    DBSubnetGroup: {
      DBSubnetGroupName: subnet,
      VpcId: store.vpcOfSubnetGroup(subnet),
      SubnetGroupStatus: 'Complete',
    },
    // RDS API reference, RestoreDBInstanceToPointInTime VpcSecurityGroupIds: "Default: The default EC2 VPC security
    // group for the DB subnet group's VPC."
    VpcSecurityGroups: securityGroups(sgs ?? [DEFAULT_SECURITY_GROUP_ID]),
    StorageType: storageType,
    AllocatedStorage: allocated,
    Iops: storage.Iops,
    StorageThroughput: storage.StorageThroughput,
    // RestoreDBInstanceToPointInTime MaxAllocatedStorage: accepted by the point-in-time restore only (the snapshot
    // restore has no such parameter).
    MaxAllocatedStorage: source
      ? (optInt(p, 'MaxAllocatedStorage') ?? source.MaxAllocatedStorage)
      : undefined,
    PubliclyAccessible: optBool(p, 'PubliclyAccessible') ?? source?.PubliclyAccessible ?? false,
    // RDS API reference, EnableIAMDatabaseAuthentication: "By default, mapping isn't enabled."
    IAMDatabaseAuthenticationEnabled: optBool(p, 'EnableIAMDatabaseAuthentication') ?? false,
    // RDS API reference, RestoreDBInstanceToPointInTime DeletionProtection: "By default, deletion protection isn't
    // enabled."; CopyTagsToSnapshot: "By default, tags are not copied."
    DeletionProtection: optBool(p, 'DeletionProtection') ?? false,
    CopyTagsToSnapshot: optBool(p, 'CopyTagsToSnapshot') ?? false,
    CACertificateIdentifier:
      optString(p, 'CACertificateIdentifier') ?? source?.CACertificateIdentifier ?? DEFAULT_CA_CERTIFICATE,
    EnabledCloudwatchLogsExports: logs ?? clone(source?.EnabledCloudwatchLogsExports) ?? [],
    // RDS API reference, RestoreDBInstanceToPointInTime BackupRetentionPeriod: "Default: Uses existing setting".
    BackupRetentionPeriod: optInt(p, 'BackupRetentionPeriod') ?? source?.BackupRetentionPeriod ?? 1,
    PreferredBackupWindow: optString(p, 'PreferredBackupWindow') ?? '03:00-03:30',
    ...(source ? { PreferredMaintenanceWindow: source.PreferredMaintenanceWindow } : {}),
    AutoMinorVersionUpgrade: optBool(p, 'AutoMinorVersionUpgrade') ?? source?.AutoMinorVersionUpgrade ?? true,
    // RDS API reference, RestoreDBInstanceToPointInTime LicenseModel: "Default: Same as the source."
    LicenseModel: optString(p, 'LicenseModel') ?? from.LicenseModel,
    // Encryption follows the backup: neither restore has a KmsKeyId parameter.
    StorageEncrypted: from.StorageEncrypted,
    KmsKeyId: from.KmsKeyId,
    NetworkType: optString(p, 'NetworkType') ?? 'IPV4',
    DomainMemberships: domainFromParams(p) ?? [],
    // RDS API reference, RestoreDBInstanceFromDBSnapshot / RestoreDBInstanceToPointInTime EngineLifecycleSupport:
    // "By default, this value is set to open-source-rds-extended-support".
    EngineLifecycleSupport: lifecycle ?? (instanceHasLifecycle(engine) ? DEFAULT_LIFECYCLE : undefined),
    DedicatedLogVolume: optBool(p, 'DedicatedLogVolume') ?? source?.DedicatedLogVolume ?? false,
    ProcessorFeatures: processorFeaturesFromParams(p) ?? clone(source?.ProcessorFeatures),
    // RDS API reference, BackupTarget: "Default: region".
    BackupTarget: optString(p, 'BackupTarget') ?? 'region',
    TagList: tags ?? clone(from.TagList),
  });
  validateInstanceSettings(props, { logTypes: logs });
  checkAllocatedStorage(engine, props.StorageType, props.AllocatedStorage);
  return { props, manage, secretKms };
}

export function restoreDBInstanceFromDBSnapshot(ctx: SimContext, p: Params) {
  const { store } = ctx;
  const id = validateIdentifier(reqString(p, 'DBInstanceIdentifier'), 'DBInstanceIdentifier');
  // Own snapshots by identifier or ARN; RDS API reference, RestoreDBInstanceFromDBSnapshot DBSnapshotIdentifier: "If
  // you are restoring from a shared manual DB snapshot, the DBSnapshotIdentifier must be the ARN of the shared DB
  // snapshot." (Store.snapshotRef)
  const snap = store.snapshotRef(reqString(p, 'DBSnapshotIdentifier'));
  const shared = snap.owner !== undefined;
  const snapId = shared ? snap.props.DBSnapshotArn : snap.props.DBSnapshotIdentifier;
  // RDS User Guide, "Sharing a DB snapshot" (USER_ShareSnapshot): "you can't restore a DB instance from a DB snapshot
  // that is both shared and encrypted. Instead, you can make a copy of the DB snapshot and restore the DB instance
  // from the copy." The error code is not documented by AWS; we answer InvalidParameterCombination.
  if (shared && snap.props.Encrypted) {
    throw invalidParameterCombination(
      `You can't restore a DB instance from the DB snapshot ${snapId}: it is both shared and encrypted. Copy it (CopyDBSnapshot with KmsKeyId) and restore the DB instance from the copy.`,
    );
  }
  if (snap.props.Status !== 'available') {
    throw new RdsError(
      'InvalidDBSnapshotState',
      `Snapshot ${snapId} is not in available state (${snap.props.Status}).`,
    );
  }
  store.assertInstanceNameFree(id);
  store.assertInstanceQuota();
  const s = snap.props;
  const { props, manage, secretKms } = buildRestoredInstance(store, p, {
    action: 'RestoreDBInstanceFromDBSnapshot',
    id,
    engine: s.Engine,
    version: s.EngineVersion,
    from: {
      DBInstanceClass: snap.source.DBInstanceClass,
      DBName: snap.source.DBName,
      MasterUsername: s.MasterUsername,
      Port: s.Port,
      AllocatedStorage: s.AllocatedStorage,
      Iops: s.Iops,
      StorageThroughput: s.StorageThroughput,
      LicenseModel: s.LicenseModel,
      StorageEncrypted: s.Encrypted,
      KmsKeyId: s.KmsKeyId,
      TagList: s.TagList,
    },
  });
  const failure = ctx.faults.takeAsyncFailure('RestoreDBInstanceFromDBSnapshot', [
    id,
    snapId,
    snap.props.DBSnapshotIdentifier,
  ]);
  if (manage) props.MasterUserSecret = store.createSecret('db', secretKms);
  const rec = insertInstance(store, props);
  // The restored database keeps the snapshot's master password (and a managed one is a new secret).
  if (snap.masterUserPassword !== undefined && !manage) rec.masterUserPassword = snap.masterUserPassword;
  ctx.scheduler.after(ctx.durations.restoreInstance, () =>
    finishInstance(ctx, rec, failure, {
      creating: true,
      successEvent: 'RDS-EVENT-0043',
      successExtra: snapId,
    }),
  );
  return { DBInstance: instanceView(store, rec) };
}

/** The local automated backups ARN of a current instance (`auto-backup:ab-…`, from its resource id). */
export function automatedBackupsArn(store: Store, dbiResourceId: string): string {
  return `arn:aws:rds:${store.region}:${store.accountId}:auto-backup:ab-${dbiResourceId.replace(/^db-/, '').toLowerCase()}`;
}

/** The source instance of a point-in-time restore, by one of the three source parameters. */
function pointInTimeSource(ctx: SimContext, p: Params): InstanceRecord {
  const { store } = ctx;
  const byId = optString(p, 'SourceDBInstanceIdentifier');
  const byResource = optString(p, 'SourceDbiResourceId');
  const byBackup = optString(p, 'SourceDBInstanceAutomatedBackupsArn');
  const given = [byId, byResource, byBackup].filter((v) => v !== undefined && v !== '');
  // RDS API reference, RestoreDBInstanceToPointInTimeMessage: SourceDBInstanceIdentifier, SourceDbiResourceId and
  // SourceDBInstanceAutomatedBackupsArn are all optional; that exactly one must name the source is not documented by
  // AWS; we answer InvalidParameterCombination for none or several.
  if (given.length !== 1) {
    throw invalidParameterCombination(
      'Specify exactly one of SourceDBInstanceIdentifier, SourceDbiResourceId or SourceDBInstanceAutomatedBackupsArn.',
    );
  }
  // RDS API reference, SourceDBInstanceIdentifier: "Must match the identifier of an existing DB instance."
  if (byId) return store.instance(idFromArn(byId, 'db'));
  if (byResource) {
    const rec = [...store.instances.values()].find((r) => !r.hidden && r.props.DbiResourceId === byResource);
    // RDS API reference, RestoreDBInstanceToPointInTime errors: DBInstanceNotFoundFault (which fault an unknown
    // resource id gets is not documented by AWS; we answer DBInstanceNotFound).
    if (!rec) throw instanceNotFound(byResource);
    return rec;
  }
  // Only the automated backups of this Region's current instances are restorable here: a replicated backup lives in
  // its destination Region (RDS User Guide, USER_ReplicateBackups), which this one-Region simulator is not.
  const rec = [...store.instances.values()].find(
    (r) => !r.hidden && automatedBackupsArn(store, r.props.DbiResourceId) === byBackup,
  );
  if (!rec) {
    // RDS API reference, RestoreDBInstanceToPointInTime errors: DBInstanceAutomatedBackupNotFoundFault, "No automated
    // backup for this DB instance was found."
    throw new RdsError(
      'DBInstanceAutomatedBackupNotFound',
      `No automated backup for this DB instance was found: ${byBackup}.`,
      404,
    );
  }
  return rec;
}

/**
 * RestoreTime / UseLatestRestorableTime (instances) and RestoreToTime / UseLatestRestorableTime (clusters) checked
 * against the source's window; returns the instant restored to.
 */
export function pointInTimeRestoreTime(
  p: Params,
  timeParam: 'RestoreTime' | 'RestoreToTime',
  window: RestorableWindow,
  what: string,
): { restoreTime: Date; useLatest: boolean } {
  const raw = optString(p, timeParam);
  const useLatest = optBool(p, 'UseLatestRestorableTime') ?? false;
  // RDS API reference, RestoreTime / RestoreToTime: "Can't be specified if the UseLatestRestorableTime parameter is
  // enabled."; UseLatestRestorableTime: "Can't be specified if the RestoreTime parameter is provided."
  if (raw !== undefined && useLatest) {
    throw invalidParameterCombination(`Cannot specify both ${timeParam} and UseLatestRestorableTime.`);
  }
  if (useLatest) return { restoreTime: window.latest, useLatest };
  if (raw === undefined) {
    // Clusters: RDS API reference, RestoreDBClusterToPointInTime RestoreToTime: "Must be specified if
    // UseLatestRestorableTime parameter isn't provided". Instances: not documented by AWS (the instance RestoreTime
    // has no such sentence); we answer the same InvalidParameterCombination, as a restore needs a time.
    throw invalidParameterCombination(
      `${timeParam} must be specified unless UseLatestRestorableTime is enabled.`,
    );
  }
  const ms = Date.parse(raw);
  // RDS API reference, RestoreTime: "Must be a time in Universal Coordinated Time (UTC) format."
  if (Number.isNaN(ms)) throw invalidParameterValue(`Invalid ${timeParam}: ${raw}.`);
  // RDS API reference, RestoreDBInstanceToPointInTime: "You can restore to any point in time before the time
  // identified by the LatestRestorableTime property. You can restore to a point up to the number of days specified
  // by the BackupRetentionPeriod property." The error code is not documented by AWS; we answer
  // InvalidParameterValue.
  if (ms > window.latest.getTime() || ms < window.earliest.getTime()) {
    throw invalidParameterValue(
      `${timeParam} ${new Date(ms).toISOString()} is outside the restorable window of ${what}: ` +
        `${window.earliest.toISOString()} to ${window.latest.toISOString()} (LatestRestorableTime).`,
    );
  }
  return { restoreTime: new Date(ms), useLatest };
}

export function restoreDBInstanceToPointInTime(ctx: SimContext, p: Params) {
  const { store } = ctx;
  const id = validateIdentifier(reqString(p, 'TargetDBInstanceIdentifier'), 'TargetDBInstanceIdentifier');
  const src = pointInTimeSource(ctx, p);
  const s = src.props;
  const sourceId = s.DBInstanceIdentifier;
  // RDS API reference, RestoreDBInstanceToPointInTime: "This operation doesn't apply to Aurora MySQL and Aurora
  // PostgreSQL. For Aurora, use RestoreDBClusterToPointInTime." The error code is not documented by AWS; we answer
  // InvalidParameterCombination.
  if (s.DBClusterIdentifier !== undefined || isAurora(s.Engine)) {
    throw invalidParameterCombination(
      `DB instance ${sourceId} belongs to an Aurora DB cluster: RestoreDBInstanceToPointInTime doesn't apply to Aurora; use RestoreDBClusterToPointInTime.`,
    );
  }
  // RDS API reference, PointInTimeRestoreNotEnabledFault: "SourceDBInstanceIdentifier refers to a DB instance with
  // BackupRetentionPeriod equal to 0."
  if (s.BackupRetentionPeriod === 0) {
    throw new RdsError(
      'PointInTimeRestoreNotEnabled',
      'SourceDBInstanceIdentifier refers to a DB instance with BackupRetentionPeriod equal to 0.',
    );
  }
  const window = instanceWindow(store, src);
  // Which source states allow a point-in-time restore is not documented by AWS (only InvalidDBInstanceStateFault is
  // listed); we answer InvalidDBInstanceState while the source is still being created, before any backup exists.
  if (!window) {
    throw new RdsError(
      'InvalidDBInstanceState',
      `DB instance ${sourceId} has no restorable time yet (${s.DBInstanceStatus}).`,
    );
  }
  const { restoreTime, useLatest } = pointInTimeRestoreTime(
    p,
    'RestoreTime',
    window,
    `DB instance ${sourceId}`,
  );
  store.assertInstanceNameFree(id);
  store.assertInstanceQuota();
  const engine = optString(p, 'Engine') ?? s.Engine;
  // RDS API reference, RestoreDBInstanceToPointInTime Engine: "Default: The same as source. Constraints: Must be
  // compatible with the engine of the source." Compatibility is not spelled out; we answer: the same engine family
  // (an edition of the same database), else InvalidParameterCombination.
  if (engineFamily(engine) !== engineFamily(s.Engine) || !isKnownEngine(engine)) {
    throw invalidParameterCombination(
      `Engine ${engine} is not compatible with the engine ${s.Engine} of the source DB instance.`,
    );
  }
  const { props, manage, secretKms } = buildRestoredInstance(store, p, {
    action: 'RestoreDBInstanceToPointInTime',
    id,
    engine,
    version: s.EngineVersion,
    from: {
      DBInstanceClass: s.DBInstanceClass,
      DBName: s.DBName,
      MasterUsername: s.MasterUsername,
      Port: s.Endpoint.Port,
      AllocatedStorage: s.AllocatedStorage,
      Iops: s.Iops,
      StorageThroughput: s.StorageThroughput,
      LicenseModel: s.LicenseModel,
      StorageEncrypted: s.StorageEncrypted,
      KmsKeyId: s.KmsKeyId,
      // The source's tags are not carried over (not documented by AWS; we answer: only the request's Tags).
      TagList: [],
    },
    source: s,
  });
  const failure = ctx.faults.takeAsyncFailure('RestoreDBInstanceToPointInTime', [id, sourceId]);
  if (manage) props.MasterUserSecret = store.createSecret('db', secretKms);
  const rec = insertInstance(store, props);
  rec.pointInTime = {
    source: sourceId,
    restoreTime: restoreTime.toISOString(),
    useLatestRestorableTime: useLatest,
  };
  // The restored database keeps the source's master password (as a snapshot restore keeps the snapshot's; a managed
  // one, Oracle only, is a new secret).
  if (src.masterUserPassword !== undefined && !manage) rec.masterUserPassword = src.masterUserPassword;
  ctx.scheduler.after(ctx.durations.restoreInstance, () =>
    finishInstance(ctx, rec, failure, {
      creating: true,
      successEvent: 'RDS-EVENT-0019',
      successExtra: `${sourceId} to ${id}`,
    }),
  );
  return { DBInstance: instanceView(store, rec) };
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
  return { DBInstances: page.map((r) => instanceView(ctx.store, r)), Marker: marker };
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
    if (store.instances.get(props.DBInstanceIdentifier) === rec) {
      store.instances.delete(props.DBInstanceIdentifier);
      store.removeMember(rec);
    }
    // The RDS-managed master password secret goes with its instance.
    store.deleteSecret(props.MasterUserSecret);
    // RDS API reference, DescribeDBInstanceAutomatedBackups Filters: "retained - Automated backups for deleted
    // instances".
    for (const b of store.automatedBackups.values()) {
      if (b.DbiResourceId === props.DbiResourceId) b.Status = 'retained';
    }
    if (rec.isWriter && props.DBClusterIdentifier) electWriter(store, props.DBClusterIdentifier);
    ctx.events.emit(instanceSource(rec), 'RDS-EVENT-0003');
  });
  return { DBInstance: instanceView(store, rec) };
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
