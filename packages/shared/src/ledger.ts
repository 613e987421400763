/**
 * The configuration ledger: the one list of what happens to every field of the SDK's `DBInstance` and
 * `DBCluster` types during an in-place restore. It is exhaustive by type (`satisfies Record<keyof …>`), so a field
 * that a newer `@aws-sdk/client-rds` adds fails `tsc` until someone classifies it. The drift check after a
 * restore and the README's "what is kept" table are both derived from it.
 *
 * Sources: the RDS API reference shipped in `@aws-sdk/client-rds` (dist-types/models: the `DBInstance`,
 * `DBCluster`, `RestoreDBInstanceFromDBSnapshotMessage`, `RestoreDBClusterFromSnapshotMessage`,
 * `ModifyDBInstanceMessage` and `ModifyDBClusterMessage` doc comments). See docs/rds-facts.md.
 */
import type { DBCluster, DBInstance } from '@aws-sdk/client-rds';
import type { CapturedCluster, CapturedInstance } from './captured';

/** How one field of the original survives the restore. */
export type LedgerEntry<C> =
  /** Names the resource or is its runtime state (status, times, progress): not configuration. */
  | { how: 'identity'; why: string }
  /** Comes with the snapshot itself (engine, encryption, character set …): restore cannot choose it. */
  | { how: 'snapshot'; why: string }
  /** Passed to the restore call as `param`; `drift` names the captured field compared after the restore. */
  | { how: 'restore'; param: string; drift?: keyof C; note?: string }
  /** Applied by the post-restore modify (restore does not accept it). */
  | { how: 'modify'; param: string; drift?: keyof C; note?: string }
  /** Re-created on the restored copy by a call of its own. */
  | { how: 'recreate'; call: string; drift?: keyof C }
  /**
   * A shape Trapheus refuses at intake (REJECTED, no RDS call): a restore in place would break it. `when` says
   * which values are that shape (default: any non-empty value).
   */
  | { how: 'refused'; why: string; when?: (value: unknown) => boolean }
  /** Knowingly not carried, and why. */
  | { how: 'not-carried'; why: string };

const identity = (why: string) => ({ how: 'identity', why }) as const;
const snapshot = (why: string) => ({ how: 'snapshot', why }) as const;
const refused = (why: string, when?: (value: unknown) => boolean) =>
  when ? ({ how: 'refused', why, when } as const) : ({ how: 'refused', why } as const);
const notCarried = (why: string) => ({ how: 'not-carried', why }) as const;

const RUNTIME = 'runtime state reported by RDS';
const ACTIVITY_STREAM =
  'database activity streams are started with StartActivityStream and a Kinesis stream of their own; the restored copy starts without one (the plan and the alert say so)';
const CUSTOM = 'RDS Custom is not supported: such databases are refused at intake';

/** Every field of `DBInstance`, classified. */
export const INSTANCE_LEDGER = {
  DBInstanceIdentifier: identity('the restored copy takes the original identifier'),
  DBInstanceClass: { how: 'restore', param: 'DBInstanceClass', drift: 'DBInstanceClass' },
  Engine: snapshot('the engine of the snapshot'),
  DBInstanceStatus: identity(RUNTIME),
  MasterUsername: snapshot('the master user of the snapshot'),
  DBName: snapshot('the database of the snapshot'),
  Endpoint: { how: 'restore', param: 'Port', drift: 'Port', note: 'the address follows the identifier' },
  AllocatedStorage: {
    how: 'restore',
    param: 'AllocatedStorage',
    drift: 'AllocatedStorage',
    note: 'not accepted at restore for SQL Server: raised by the post-restore modify when the snapshot is smaller',
  },
  InstanceCreateTime: identity(RUNTIME),
  PreferredBackupWindow: { how: 'restore', param: 'PreferredBackupWindow', drift: 'PreferredBackupWindow' },
  BackupRetentionPeriod: { how: 'restore', param: 'BackupRetentionPeriod', drift: 'BackupRetentionPeriod' },
  DBSecurityGroups: notCarried('EC2-Classic DB security groups are retired; VPC security groups are carried'),
  VpcSecurityGroups: { how: 'restore', param: 'VpcSecurityGroupIds', drift: 'VpcSecurityGroupIds' },
  DBParameterGroups: {
    how: 'restore',
    param: 'DBParameterGroupName',
    drift: 'DBParameterGroupName',
    note: 'an engine-default group is left for RDS to pick',
  },
  AvailabilityZone: {
    how: 'restore',
    param: 'AvailabilityZone',
    note: 'Single-AZ only; a Multi-AZ instance may not name one',
  },
  DBSubnetGroup: { how: 'restore', param: 'DBSubnetGroupName', drift: 'DBSubnetGroupName' },
  PreferredMaintenanceWindow: {
    how: 'modify',
    param: 'PreferredMaintenanceWindow',
    drift: 'PreferredMaintenanceWindow',
  },
  UpgradeRolloutOrder: notCarried('read-only in the RDS API: no restore or modify parameter sets it'),
  PendingModifiedValues: identity(RUNTIME),
  LatestRestorableTime: identity(RUNTIME),
  MultiAZ: { how: 'restore', param: 'MultiAZ', drift: 'MultiAZ' },
  EngineVersion: {
    how: 'modify',
    param: 'EngineVersion',
    drift: 'EngineVersion',
    note: 'the snapshot decides; a minor version behind the original is upgraded',
  },
  AutoMinorVersionUpgrade: {
    how: 'restore',
    param: 'AutoMinorVersionUpgrade',
    drift: 'AutoMinorVersionUpgrade',
  },
  ReadReplicaSourceDBInstanceIdentifier: refused('a read replica cannot be restored in place'),
  ReadReplicaDBInstanceIdentifiers: refused('deleting the temp would promote or orphan its replicas'),
  ReadReplicaDBClusterIdentifiers: refused('deleting the temp would promote or orphan its replica clusters'),
  ReplicaMode: identity('the mode of a read replica (refused: see ReadReplicaSourceDBInstanceIdentifier)'),
  LicenseModel: { how: 'restore', param: 'LicenseModel', drift: 'LicenseModel' },
  Iops: { how: 'restore', param: 'Iops', drift: 'Iops', note: 'only where the storage type accepts it' },
  StorageThroughput: {
    how: 'restore',
    param: 'StorageThroughput',
    drift: 'StorageThroughput',
    note: 'gp3 only, above the engine threshold',
  },
  OptionGroupMemberships: {
    how: 'restore',
    param: 'OptionGroupName',
    drift: 'OptionGroupName',
    note: 'an engine-default group is left for RDS to pick',
  },
  CharacterSetName: snapshot('set when the database was created'),
  NcharCharacterSetName: snapshot('set when the database was created'),
  SecondaryAvailabilityZone: identity(RUNTIME),
  PubliclyAccessible: { how: 'restore', param: 'PubliclyAccessible', drift: 'PubliclyAccessible' },
  StatusInfos: identity(RUNTIME),
  StorageType: { how: 'restore', param: 'StorageType', drift: 'StorageType' },
  StorageEncryptionType: snapshot('encryption follows the snapshot'),
  TdeCredentialArn: notCarried(
    'CloudHSM Classic TDE needs TdeCredentialPassword, which RDS never returns (a retired feature)',
  ),
  DbInstancePort: identity('the port of an Aurora member (reported; the cluster sets it)'),
  DBClusterIdentifier: refused('an Aurora member is restored with its cluster (isCluster: true)'),
  StorageEncrypted: snapshot('encryption follows the snapshot'),
  KmsKeyId: snapshot('the snapshot key encrypts the copy'),
  DbiResourceId: identity('a restored copy is a new resource'),
  CACertificateIdentifier: {
    how: 'restore',
    param: 'CACertificateIdentifier',
    drift: 'CACertificateIdentifier',
  },
  DomainMemberships: {
    how: 'restore',
    param: 'Domain, DomainIAMRoleName, DomainFqdn, DomainOu, DomainAuthSecretArn, DomainDnsIps',
    drift: 'Domain',
  },
  CopyTagsToSnapshot: { how: 'restore', param: 'CopyTagsToSnapshot', drift: 'CopyTagsToSnapshot' },
  MonitoringInterval: { how: 'modify', param: 'MonitoringInterval', drift: 'MonitoringInterval' },
  EnhancedMonitoringResourceArn: identity('derived from the resource id'),
  MonitoringRoleArn: { how: 'modify', param: 'MonitoringRoleArn', drift: 'MonitoringRoleArn' },
  PromotionTier: notCarried('an Aurora member setting: members are carried with their cluster'),
  DBInstanceArn: identity('follows the identifier'),
  Timezone: snapshot('set when a SQL Server instance is created'),
  IAMDatabaseAuthenticationEnabled: {
    how: 'restore',
    param: 'EnableIAMDatabaseAuthentication',
    drift: 'IAMDatabaseAuthenticationEnabled',
  },
  DatabaseInsightsMode: { how: 'modify', param: 'DatabaseInsightsMode', drift: 'DatabaseInsightsMode' },
  PerformanceInsightsEnabled: {
    how: 'modify',
    param: 'EnablePerformanceInsights',
    drift: 'PerformanceInsightsEnabled',
  },
  PerformanceInsightsKMSKeyId: {
    how: 'modify',
    param: 'PerformanceInsightsKMSKeyId',
    drift: 'PerformanceInsightsKMSKeyId',
  },
  PerformanceInsightsRetentionPeriod: {
    how: 'modify',
    param: 'PerformanceInsightsRetentionPeriod',
    drift: 'PerformanceInsightsRetentionPeriod',
  },
  EnabledCloudwatchLogsExports: {
    how: 'restore',
    param: 'EnableCloudwatchLogsExports',
    drift: 'EnabledCloudwatchLogsExports',
  },
  ProcessorFeatures: { how: 'restore', param: 'ProcessorFeatures', drift: 'ProcessorFeatures' },
  DeletionProtection: {
    how: 'modify',
    param: 'DeletionProtection',
    drift: 'DeletionProtection',
    note: 'off at restore so a failed copy stays deletable; back once the copy is good',
  },
  AssociatedRoles: { how: 'recreate', call: 'AddRoleToDBInstance', drift: 'AssociatedRoles' },
  ListenerEndpoint: identity('the SQL Server Multi-AZ listener follows the identifier'),
  MaxAllocatedStorage: { how: 'modify', param: 'MaxAllocatedStorage', drift: 'MaxAllocatedStorage' },
  TagList: {
    how: 'restore',
    param: 'Tags',
    drift: 'Tags',
    note: 'tags RDS reserves (aws:*, rds:*) cannot be set and are not copied',
  },
  AutomationMode: refused(CUSTOM),
  ResumeFullAutomationModeTime: identity(RUNTIME),
  CustomerOwnedIpEnabled: {
    how: 'restore',
    param: 'EnableCustomerOwnedIp',
    drift: 'CustomerOwnedIpEnabled',
  },
  NetworkType: { how: 'restore', param: 'NetworkType', drift: 'NetworkType' },
  ActivityStreamStatus: notCarried(ACTIVITY_STREAM),
  ActivityStreamKmsKeyId: notCarried(ACTIVITY_STREAM),
  ActivityStreamKinesisStreamName: notCarried(ACTIVITY_STREAM),
  ActivityStreamMode: notCarried(ACTIVITY_STREAM),
  ActivityStreamEngineNativeAuditFieldsIncluded: notCarried(ACTIVITY_STREAM),
  AwsBackupRecoveryPointArn: notCarried(
    'AWS Backup recovery points belong to AWS Backup, not to the instance',
  ),
  DBInstanceAutomatedBackupsReplications: {
    how: 'recreate',
    call: 'StartDBInstanceAutomatedBackupsReplication (in the destination Region)',
    drift: 'AutomatedBackupsReplications',
  },
  BackupTarget: { how: 'restore', param: 'BackupTarget', drift: 'BackupTarget' },
  AutomaticRestartTime: identity(RUNTIME),
  CustomIamInstanceProfile: refused(CUSTOM),
  ActivityStreamPolicyStatus: notCarried(ACTIVITY_STREAM),
  CertificateDetails: identity('derived from the CA certificate'),
  DBSystemId: identity('the Oracle system id (RDS Custom sets it)'),
  MasterUserSecret: {
    how: 'modify',
    param: 'ManageMasterUserPassword, MasterUserSecretKmsKeyId',
    drift: 'ManageMasterUserPassword',
    note: 'at restore for Oracle (the only engine that accepts it there); the copy gets a secret of its own',
  },
  ReadReplicaSourceDBClusterIdentifier: refused('a read replica of a cluster cannot be restored in place'),
  PercentProgress: identity(RUNTIME),
  MultiTenant: snapshot('the Oracle multi-tenant architecture of the snapshot'),
  DedicatedLogVolume: { how: 'restore', param: 'DedicatedLogVolume', drift: 'DedicatedLogVolume' },
  IsStorageConfigUpgradeAvailable: identity(RUNTIME),
  EngineLifecycleSupport: {
    how: 'restore',
    param: 'EngineLifecycleSupport',
    drift: 'EngineLifecycleSupport',
    note: 'omitted, RDS would enrol the copy in paid Extended Support',
  },
  AdditionalStorageVolumes: {
    how: 'restore',
    param: 'AdditionalStorageVolumes',
    drift: 'AdditionalStorageVolumes',
  },
  StorageVolumeStatus: identity(RUNTIME),
  StorageOperationStatus: identity(RUNTIME),
  StorageOperationPercentProgress: identity(RUNTIME),
  DBCapacityReservationIdentifier: {
    how: 'restore',
    param: 'DBCapacityReservationIdentifier',
  },
} as const satisfies Record<keyof DBInstance, LedgerEntry<CapturedInstance>>;

/** Every field of `DBCluster`, classified (Aurora provisioned and Serverless v2 clusters). */
export const CLUSTER_LEDGER = {
  AllocatedStorage: identity('an Aurora cluster volume grows by itself'),
  AvailabilityZones: { how: 'restore', param: 'AvailabilityZones' },
  BackupRetentionPeriod: { how: 'restore', param: 'BackupRetentionPeriod', drift: 'BackupRetentionPeriod' },
  CharacterSetName: snapshot('set when the database was created'),
  DatabaseName: { how: 'restore', param: 'DatabaseName', drift: 'DatabaseName' },
  DBClusterIdentifier: identity('the restored cluster takes the original identifier'),
  DBClusterParameterGroup: {
    how: 'restore',
    param: 'DBClusterParameterGroupName',
    drift: 'DBClusterParameterGroup',
  },
  DBSubnetGroup: { how: 'restore', param: 'DBSubnetGroupName', drift: 'DBSubnetGroup' },
  Status: identity(RUNTIME),
  PercentProgress: identity(RUNTIME),
  EarliestRestorableTime: identity(RUNTIME),
  Endpoint: identity('follows the identifier'),
  ReaderEndpoint: identity('follows the identifier'),
  CustomEndpoints: { how: 'recreate', call: 'CreateDBClusterEndpoint', drift: 'CustomEndpoints' },
  MultiAZ: identity('derived from the members (Aurora)'),
  Engine: { how: 'restore', param: 'Engine', drift: 'Engine' },
  EngineVersion: {
    how: 'restore',
    param: 'EngineVersion',
    drift: 'EngineVersion',
    note: 'omitted, RDS would pick the Region default',
  },
  LatestRestorableTime: identity(RUNTIME),
  Port: { how: 'restore', param: 'Port', drift: 'Port' },
  MasterUsername: snapshot('the master user of the snapshot'),
  DBClusterOptionGroupMemberships: {
    how: 'restore',
    param: 'OptionGroupName',
    drift: 'OptionGroupName',
    note: 'an engine-default group is left for RDS to pick',
  },
  PreferredBackupWindow: { how: 'restore', param: 'PreferredBackupWindow', drift: 'PreferredBackupWindow' },
  PreferredMaintenanceWindow: {
    how: 'modify',
    param: 'PreferredMaintenanceWindow',
    drift: 'PreferredMaintenanceWindow',
  },
  UpgradeRolloutOrder: notCarried('read-only in the RDS API: no restore or modify parameter sets it'),
  ReplicationSourceIdentifier: refused('a cross-Region replica cluster cannot be restored in place'),
  ReadReplicaIdentifiers: refused('deleting the temp would orphan its replica clusters'),
  StatusInfos: identity(RUNTIME),
  DBClusterMembers: {
    how: 'recreate',
    call: 'CreateDBInstance per member (writer first)',
    drift: 'members',
  },
  VpcSecurityGroups: { how: 'restore', param: 'VpcSecurityGroupIds', drift: 'VpcSecurityGroupIds' },
  HostedZoneId: identity(RUNTIME),
  StorageEncrypted: snapshot('encryption follows the snapshot'),
  StorageEncryptionType: snapshot('encryption follows the snapshot'),
  KmsKeyId: { how: 'restore', param: 'KmsKeyId', note: 'the same key as the original' },
  DbClusterResourceId: identity('a restored cluster is a new resource'),
  DBClusterArn: identity('follows the identifier'),
  AssociatedRoles: { how: 'restore', param: 'AssociatedRoles', drift: 'AssociatedRoles' },
  IAMDatabaseAuthenticationEnabled: {
    how: 'restore',
    param: 'EnableIAMDatabaseAuthentication',
    drift: 'IAMDatabaseAuthenticationEnabled',
  },
  CloneGroupId: identity(RUNTIME),
  ClusterCreateTime: identity(RUNTIME),
  EarliestBacktrackTime: identity(RUNTIME),
  BacktrackWindow: { how: 'restore', param: 'BacktrackWindow', drift: 'BacktrackWindow' },
  BacktrackConsumedChangeRecords: identity(RUNTIME),
  EnabledCloudwatchLogsExports: {
    how: 'restore',
    param: 'EnableCloudwatchLogsExports',
    drift: 'EnabledCloudwatchLogsExports',
  },
  Capacity: identity(RUNTIME),
  PendingModifiedValues: identity(RUNTIME),
  EngineMode: { how: 'restore', param: 'EngineMode', drift: 'EngineMode', note: 'provisioned only' },
  ScalingConfigurationInfo: refused('Aurora Serverless v1 (EngineMode serverless) is end of life'),
  RdsCustomClusterConfiguration: refused(CUSTOM),
  DBClusterInstanceClass: refused(
    'a Multi-AZ DB cluster: its members cannot be renamed or created one by one',
  ),
  StorageType: {
    how: 'restore',
    param: 'StorageType',
    drift: 'StorageType',
    note: 'aurora or aurora-iopt1 (I/O-Optimized)',
  },
  Iops: notCarried('provisioned IOPS is a Multi-AZ DB cluster setting, and those are refused'),
  StorageThroughput: notCarried('a Multi-AZ DB cluster setting, and those are refused'),
  IOOptimizedNextAllowedModificationTime: identity(RUNTIME),
  PubliclyAccessible: notCarried('per member for Aurora: carried with each member'),
  AutoMinorVersionUpgrade: notCarried('per member for Aurora: carried with each member'),
  DeletionProtection: {
    how: 'modify',
    param: 'DeletionProtection',
    drift: 'DeletionProtection',
    note: 'off at restore so a failed copy stays deletable; back once the copy is good',
  },
  // RDS API reference, ModifyDBCluster EnableHttpEndpoint: "for an Aurora Serverless v1 DB cluster" only;
  // provisioned and Serverless v2 clusters turn the Data API on with the EnableHttpEndpoint action.
  HttpEndpointEnabled: { how: 'recreate', call: 'EnableHttpEndpoint', drift: 'HttpEndpointEnabled' },
  ActivityStreamMode: notCarried(ACTIVITY_STREAM),
  ActivityStreamStatus: notCarried(ACTIVITY_STREAM),
  ActivityStreamKmsKeyId: notCarried(ACTIVITY_STREAM),
  ActivityStreamKinesisStreamName: notCarried(ACTIVITY_STREAM),
  CopyTagsToSnapshot: { how: 'restore', param: 'CopyTagsToSnapshot', drift: 'CopyTagsToSnapshot' },
  CrossAccountClone: identity(RUNTIME),
  DomainMemberships: { how: 'restore', param: 'Domain, DomainIAMRoleName', drift: 'Domain' },
  TagList: {
    how: 'restore',
    param: 'Tags',
    drift: 'Tags',
    note: 'tags RDS reserves (aws:*, rds:*) cannot be set and are not copied',
  },
  GlobalClusterIdentifier: refused('a member of an Aurora global database cannot be restored in place'),
  GlobalWriteForwardingStatus: identity(
    'write forwarding of a global database member (refused: see GlobalClusterIdentifier)',
  ),
  GlobalWriteForwardingRequested: identity(
    'write forwarding of a global database member (refused: see GlobalClusterIdentifier)',
  ),
  NetworkType: { how: 'restore', param: 'NetworkType', drift: 'NetworkType' },
  AutomaticRestartTime: identity(RUNTIME),
  ServerlessV2ScalingConfiguration: {
    how: 'restore',
    param: 'ServerlessV2ScalingConfiguration',
    drift: 'ServerlessV2ScalingConfiguration',
    note: 'with SecondsUntilAutoPause',
  },
  ServerlessV2PlatformVersion: identity(RUNTIME),
  MonitoringInterval: { how: 'restore', param: 'MonitoringInterval', drift: 'MonitoringInterval' },
  MonitoringRoleArn: { how: 'restore', param: 'MonitoringRoleArn', drift: 'MonitoringRoleArn' },
  DatabaseInsightsMode: { how: 'modify', param: 'DatabaseInsightsMode', drift: 'DatabaseInsightsMode' },
  PerformanceInsightsEnabled: {
    how: 'restore',
    param: 'EnablePerformanceInsights',
    drift: 'PerformanceInsightsEnabled',
  },
  PerformanceInsightsKMSKeyId: { how: 'restore', param: 'PerformanceInsightsKMSKeyId' },
  PerformanceInsightsRetentionPeriod: {
    how: 'restore',
    param: 'PerformanceInsightsRetentionPeriod',
    drift: 'PerformanceInsightsRetentionPeriod',
  },
  DBSystemId: identity(RUNTIME),
  MasterUserSecret: {
    how: 'modify',
    param: 'ManageMasterUserPassword, MasterUserSecretKmsKeyId',
    drift: 'ManageMasterUserPassword',
    note: 'the restored cluster gets a managed secret of its own',
  },
  LocalWriteForwardingStatus: {
    how: 'modify',
    param: 'EnableLocalWriteForwarding',
    drift: 'LocalWriteForwarding',
  },
  AwsBackupRecoveryPointArn: notCarried(
    'AWS Backup recovery points belong to AWS Backup, not to the cluster',
  ),
  LimitlessDatabase: refused(
    'Aurora Limitless Database shard groups cannot be restored in place',
    (v) => typeof v === 'object' && v !== null && 'Status' in v && v.Status !== 'not-in-use',
  ),
  ClusterScalabilityType: refused(
    'Aurora Limitless Database (ClusterScalabilityType limitless)',
    (v) => v === 'limitless',
  ),
  CertificateDetails: identity('derived from the members’ CA certificates'),
  EngineLifecycleSupport: {
    how: 'restore',
    param: 'EngineLifecycleSupport',
    drift: 'EngineLifecycleSupport',
    note: 'omitted, RDS would enrol the copy in paid Extended Support',
  },
  VPCNetworkingEnabled: { how: 'restore', param: 'EnableVPCNetworking', drift: 'VPCNetworkingEnabled' },
  InternetAccessGatewayEnabled: {
    how: 'restore',
    param: 'EnableInternetAccessGateway',
    drift: 'InternetAccessGatewayEnabled',
  },
} as const satisfies Record<keyof DBCluster, LedgerEntry<CapturedCluster>>;

type Ledger<C> = Readonly<Record<string, LedgerEntry<C>>>;

/**
 * The captured fields the drift check compares, in ledger order (each once).
 *
 * @example
 * driftKeys(INSTANCE_LEDGER) // ['DBInstanceClass', 'Port', 'AllocatedStorage', …]
 */
export const driftKeys = <C>(ledger: Ledger<C>): (keyof C)[] => {
  const keys: (keyof C)[] = [];
  for (const entry of Object.values(ledger)) {
    if ('drift' in entry && entry.drift !== undefined && !keys.includes(entry.drift)) keys.push(entry.drift);
  }
  return keys;
};

/**
 * The README's "what is kept" table for one ledger, as Markdown rows.
 *
 * @example
 * ledgerMarkdown(INSTANCE_LEDGER, 'DBInstance') // '| field | how | detail |\n…'
 */
export const ledgerMarkdown = <C>(ledger: Ledger<C>, typeName: string): string => {
  const label: Record<LedgerEntry<C>['how'], string> = {
    restore: 'carried at restore',
    modify: 'post-restore modify',
    recreate: 're-created',
    snapshot: 'from the snapshot',
    identity: 'identity / runtime',
    refused: 'refused at intake',
    'not-carried': 'not carried',
  };
  const order: LedgerEntry<C>['how'][] = [
    'restore',
    'modify',
    'recreate',
    'snapshot',
    'refused',
    'not-carried',
    'identity',
  ];
  const rows = Object.entries(ledger)
    .sort(([a, x], [b, y]) => order.indexOf(x.how) - order.indexOf(y.how) || a.localeCompare(b))
    .map(([field, e]) => {
      const detail =
        e.how === 'restore' || e.how === 'modify'
          ? `\`${e.param}\`${e.drift ? ', drift-checked' : ''}${e.note ? `; ${e.note}` : ''}`
          : e.how === 'recreate'
            ? `${e.call}${e.drift ? ', drift-checked' : ''}`
            : e.why;
      return `| \`${field}\` | ${label[e.how]} | ${detail} |`;
    });
  return [`| ${typeName} field | how | detail |`, '| --- | --- | --- |', ...rows].join('\n');
};

/** The `value` is a shape the ledger refuses (default rule: any non-empty value). */
const isRefusedValue = (entry: { when?: (value: unknown) => boolean }, value: unknown): boolean => {
  if (entry.when) return entry.when(value);
  if (value === undefined || value === null || value === '' || value === false) return false;
  return !(Array.isArray(value) && value.length === 0);
};

/**
 * Why a database cannot be restored in place, from the ledger's `refused` fields, or undefined when it can.
 *
 * @example
 * refusalOf(INSTANCE_LEDGER, db) // 'ReadReplicaDBInstanceIdentifiers: deleting the temp would promote …'
 */
export const refusalOf = <C>(ledger: Ledger<C>, resource: object): string | undefined => {
  const reasons: string[] = [];
  for (const [field, entry] of Object.entries(ledger)) {
    if (entry.how !== 'refused') continue;
    const value = (resource as Record<string, unknown>)[field];
    if (!isRefusedValue(entry, value)) continue;
    const shown = Array.isArray(value)
      ? value.join(', ')
      : typeof value === 'string'
        ? value
        : JSON.stringify(value);
    reasons.push(`${field} is ${shown}: ${entry.why}`);
  }
  return reasons.length > 0 ? reasons.join('; ') : undefined;
};
