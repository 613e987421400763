/** Shapes of the simulator's state. Field names are the RDS API's, so Describe output is a plain projection. */

export interface Tag {
  Key: string;
  Value: string;
}

export interface InstanceProps {
  DBInstanceIdentifier: string;
  DBInstanceArn: string;
  DbiResourceId: string;
  DBInstanceStatus: string;
  Engine: string;
  EngineVersion: string;
  DBInstanceClass: string;
  DBName?: string;
  MasterUsername?: string;
  Endpoint: { Address: string; Port: number; HostedZoneId: string };
  InstanceCreateTime: string;
  AvailabilityZone: string;
  MultiAZ: boolean;
  DBParameterGroups: { DBParameterGroupName: string; ParameterApplyStatus: string }[];
  OptionGroupMemberships: { OptionGroupName: string; Status: string }[];
  DBSubnetGroup: {
    DBSubnetGroupName: string;
    DBSubnetGroupDescription?: string;
    VpcId: string;
    SubnetGroupStatus: string;
  };
  VpcSecurityGroups: { VpcSecurityGroupId: string; Status: string }[];
  StorageType: string;
  AllocatedStorage: number;
  Iops?: number;
  StorageThroughput?: number;
  MaxAllocatedStorage?: number;
  PubliclyAccessible: boolean;
  IAMDatabaseAuthenticationEnabled: boolean;
  DeletionProtection: boolean;
  CopyTagsToSnapshot: boolean;
  CACertificateIdentifier: string;
  EnabledCloudwatchLogsExports: string[];
  MonitoringInterval: number;
  MonitoringRoleArn?: string;
  PerformanceInsightsEnabled: boolean;
  PerformanceInsightsKMSKeyId?: string;
  PerformanceInsightsRetentionPeriod?: number;
  PreferredMaintenanceWindow: string;
  PreferredBackupWindow: string;
  BackupRetentionPeriod: number;
  AutoMinorVersionUpgrade: boolean;
  LicenseModel: string;
  StorageEncrypted: boolean;
  KmsKeyId?: string;
  DBClusterIdentifier?: string;
  PromotionTier?: number;
  NetworkType?: string;
  DomainMemberships?: DomainMembership[];
  EngineLifecycleSupport?: string;
  DedicatedLogVolume?: boolean;
  DatabaseInsightsMode?: string;
  ProcessorFeatures?: { Name: string; Value: string }[];
  BackupTarget?: string;
  MasterUserSecret?: MasterUserSecret;
  AssociatedRoles?: { RoleArn: string; FeatureName?: string; Status: string }[];
  DBInstanceAutomatedBackupsReplications?: { DBInstanceAutomatedBackupsArn: string }[];
  /** Set when the instance is a read replica of a DB cluster (seed only). */
  ReadReplicaSourceDBClusterIdentifier?: string;
  PendingModifiedValues: Record<string, unknown>;
  TagList: Tag[];
}

export interface DomainMembership {
  Domain: string;
  Status: string;
  FQDN?: string;
  IAMRoleName?: string;
  OU?: string;
  AuthSecretArn?: string;
  DnsIps?: string[];
}

export interface MasterUserSecret {
  SecretArn: string;
  SecretStatus: string;
  KmsKeyId: string;
}

export interface ClusterEndpointProps {
  DBClusterEndpointIdentifier: string;
  DBClusterIdentifier: string;
  DBClusterEndpointResourceIdentifier: string;
  Endpoint: string;
  Status: string;
  EndpointType: string;
  CustomEndpointType: string;
  StaticMembers: string[];
  ExcludedMembers: string[];
  DBClusterEndpointArn: string;
}

export interface GlobalClusterProps {
  GlobalClusterIdentifier: string;
  GlobalClusterResourceId: string;
  GlobalClusterArn: string;
  Status: string;
  Engine: string;
  EngineVersion: string;
  EngineLifecycleSupport?: string;
  DatabaseName?: string;
  StorageEncrypted: boolean;
  DeletionProtection: boolean;
  /** Members in other Regions (ARNs); clusters of this simulator that name the global cluster are added. */
  GlobalClusterMembers: { DBClusterArn: string; Readers: string[]; IsWriter: boolean }[];
  TagList: Tag[];
}

export interface AutomatedBackupProps {
  DBInstanceArn: string;
  DbiResourceId: string;
  Region: string;
  DBInstanceIdentifier: string;
  AllocatedStorage: number;
  Status: string;
  Port: number;
  InstanceCreateTime: string;
  MasterUsername?: string;
  Engine: string;
  EngineVersion: string;
  LicenseModel: string;
  StorageType: string;
  Encrypted: boolean;
  KmsKeyId?: string;
  IAMDatabaseAuthenticationEnabled: boolean;
  BackupRetentionPeriod: number;
  DBInstanceAutomatedBackupsArn: string;
  BackupTarget: string;
  /** RDS API reference, DBInstanceAutomatedBackup RestoreWindow: "The earliest and latest time a DB instance can be
   * restored to." (the automated backups of current instances) */
  RestoreWindow?: { EarliestTime: string; LatestTime: string };
  TagList: Tag[];
}

export interface SnapshotProps {
  DBSnapshotIdentifier: string;
  DBSnapshotArn: string;
  DBInstanceIdentifier: string;
  DbiResourceId: string;
  Status: string;
  PercentProgress: number;
  SnapshotCreateTime: string;
  InstanceCreateTime: string;
  SnapshotType: string;
  Engine: string;
  EngineVersion: string;
  AllocatedStorage: number;
  Port: number;
  AvailabilityZone: string;
  VpcId: string;
  MasterUsername?: string;
  LicenseModel: string;
  StorageType: string;
  Iops?: number;
  StorageThroughput?: number;
  OptionGroupName: string;
  Encrypted: boolean;
  KmsKeyId?: string;
  IAMDatabaseAuthenticationEnabled: boolean;
  /**
   * RDS API reference, DBSnapshot OriginalSnapshotCreateTime: "Specifies the time of the CreateDBSnapshot operation in
   * Coordinated Universal Time (UTC). Doesn't change when the snapshot is copied." (set on copies)
   */
  OriginalSnapshotCreateTime?: string;
  /**
   * RDS API reference, DBSnapshot SourceDBSnapshotIdentifier: "The DB snapshot Amazon Resource Name (ARN) that the DB
   * snapshot was copied from. It only has a value in the case of a cross-account or cross-Region copy."
   */
  SourceDBSnapshotIdentifier?: string;
  TagList: Tag[];
}

export interface ClusterProps {
  DBClusterIdentifier: string;
  DBClusterArn: string;
  DbClusterResourceId: string;
  Status: string;
  Engine: string;
  EngineVersion: string;
  EngineMode: string;
  DatabaseName?: string;
  MasterUsername?: string;
  Endpoint: string;
  ReaderEndpoint: string;
  Port: number;
  HostedZoneId: string;
  DBClusterParameterGroup: string;
  DBSubnetGroup: string;
  VpcSecurityGroups: { VpcSecurityGroupId: string; Status: string }[];
  AvailabilityZones: string[];
  MultiAZ: boolean;
  AllocatedStorage: number;
  StorageType: string;
  StorageEncrypted: boolean;
  KmsKeyId?: string;
  IAMDatabaseAuthenticationEnabled: boolean;
  DeletionProtection: boolean;
  CopyTagsToSnapshot: boolean;
  BacktrackWindow?: number;
  EnabledCloudwatchLogsExports: string[];
  ServerlessV2ScalingConfiguration?: {
    MinCapacity?: number;
    MaxCapacity?: number;
    SecondsUntilAutoPause?: number;
  };
  Iops?: number;
  HttpEndpointEnabled: boolean;
  AssociatedRoles: { RoleArn: string; FeatureName?: string; Status: string }[];
  NetworkType?: string;
  DomainMemberships: DomainMembership[];
  EngineLifecycleSupport?: string;
  PerformanceInsightsEnabled?: boolean;
  PerformanceInsightsKMSKeyId?: string;
  PerformanceInsightsRetentionPeriod?: number;
  MonitoringInterval?: number;
  MonitoringRoleArn?: string;
  DatabaseInsightsMode?: string;
  MasterUserSecret?: MasterUserSecret;
  /** Member of an Aurora global database (seed only). */
  GlobalClusterIdentifier?: string;
  /** Cross-Region read replica cluster: the source cluster's ARN (seed only). */
  ReplicationSourceIdentifier?: string;
  /** Set for a Multi-AZ DB cluster (engine mysql or postgres). */
  DBClusterInstanceClass?: string;
  /**
   * RDS API reference, DBCluster CloneGroupId: "If you clone a DB cluster when the ID is null, the operation populates
   * the ID value for the source cluster and the clone".
   */
  CloneGroupId?: string;
  PreferredBackupWindow: string;
  PreferredMaintenanceWindow: string;
  BackupRetentionPeriod: number;
  ClusterCreateTime: string;
  PendingModifiedValues: Record<string, unknown>;
  TagList: Tag[];
}

export interface ClusterSnapshotProps {
  DBClusterSnapshotIdentifier: string;
  DBClusterSnapshotArn: string;
  DBClusterIdentifier: string;
  DbClusterResourceId: string;
  Status: string;
  PercentProgress: number;
  SnapshotCreateTime: string;
  ClusterCreateTime: string;
  SnapshotType: string;
  Engine: string;
  EngineMode: string;
  EngineVersion: string;
  AllocatedStorage: number;
  Port: number;
  VpcId: string;
  MasterUsername?: string;
  LicenseModel: string;
  StorageType: string;
  StorageEncrypted: boolean;
  KmsKeyId?: string;
  IAMDatabaseAuthenticationEnabled: boolean;
  AvailabilityZones: string[];
  /**
   * RDS API reference, DBClusterSnapshot SourceDBClusterSnapshotArn: "If the DB cluster snapshot was copied from a
   * source DB cluster snapshot, the Amazon Resource Name (ARN) for the source DB cluster snapshot, otherwise, a null
   * value."
   */
  SourceDBClusterSnapshotArn?: string;
  TagList: Tag[];
}

/** Base durations in seconds (divided by `timeScale`). */
export interface Durations {
  createInstance: number;
  restoreInstance: number;
  modifyInstance: number;
  /** Time after a rename during which neither the old nor the new name can be described. */
  renameGap: number;
  /** Time in `renaming` after the gap. */
  renameRenaming: number;
  /** Time in `rebooting` after `renaming`. */
  renameRebooting: number;
  deleteInstance: number;
  createSnapshot: number;
  deleteSnapshot: number;
  /** CopyDBSnapshot / CopyDBClusterSnapshot in the same Region: `creating` (`copying`) → `available`. */
  copySnapshot: number;
  createCluster: number;
  restoreCluster: number;
  /** RestoreDBClusterToPointInTime with RestoreType copy-on-write (an Aurora clone). */
  cloneCluster: number;
  modifyCluster: number;
  renameCluster: number;
  deleteCluster: number;
  createClusterSnapshot: number;
  deleteClusterSnapshot: number;
  createClusterEndpoint: number;
  deleteClusterEndpoint: number;
  /** PENDING → ACTIVE of an IAM role association. */
  associateRole: number;
  /** pending → replicating of a cross-Region automated backups replication. */
  startBackupReplication: number;
  /** StartExportTask → COMPLETE (STARTING for the first fifth, then IN_PROGRESS). */
  exportSnapshot: number;
}

export const DEFAULT_DURATIONS: Durations = {
  createInstance: 600,
  restoreInstance: 600,
  modifyInstance: 60,
  renameGap: 10,
  renameRenaming: 20,
  renameRebooting: 30,
  deleteInstance: 120,
  createSnapshot: 120,
  deleteSnapshot: 20,
  // No copy duration is documented (it grows with the snapshot's size); here a copy takes as long as a snapshot.
  copySnapshot: 120,
  createCluster: 300,
  restoreCluster: 300,
  // Aurora User Guide, "Cloning a volume for an Amazon Aurora DB cluster" (Aurora.Managing.Clone): "Creating a clone
  // is faster and more space-efficient than physically copying the data using other techniques, such as restoring a
  // snapshot." No duration is documented: here a clone takes 40% of a full-copy restore.
  cloneCluster: 120,
  modifyCluster: 60,
  renameCluster: 30,
  deleteCluster: 120,
  createClusterSnapshot: 120,
  deleteClusterSnapshot: 20,
  createClusterEndpoint: 60,
  deleteClusterEndpoint: 20,
  associateRole: 10,
  startBackupReplication: 60,
  // Snapshot export to S3: "can take a while" (User Guide, Creating snapshot export tasks); an hour here.
  exportSnapshot: 3600,
};

export type RdsEventDetailType =
  | 'RDS DB Instance Event'
  | 'RDS DB Snapshot Event'
  | 'RDS DB Cluster Event'
  | 'RDS DB Cluster Snapshot Event';

export type RdsSourceType = 'DB_INSTANCE' | 'SNAPSHOT' | 'CLUSTER' | 'CLUSTER_SNAPSHOT';

/** An `aws.rds` event exactly as EventBridge delivers it. */
export interface RdsEventBridgeEvent {
  version: '0';
  id: string;
  'detail-type': RdsEventDetailType;
  source: 'aws.rds';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: {
    EventCategories: string[];
    SourceType: RdsSourceType;
    SourceArn: string;
    Date: string;
    Message: string;
    SourceIdentifier: string;
    EventID: string;
  };
}

export type AsyncFailureStatus =
  | 'incompatible-restore'
  | 'failed'
  | 'incompatible-parameters'
  | 'incompatible-network';

export type FaultSpec =
  | {
      kind: 'api-error';
      operation: string;
      identifier?: string;
      code: string;
      message?: string;
      /** How many matching calls fail; default 1; 0 or less = every matching call until reset. */
      count?: number;
      httpStatus?: number;
    }
  | {
      kind: 'async-failure';
      operation: string;
      identifier?: string;
      status: AsyncFailureStatus;
      count?: number;
    }
  | { kind: 'throttle'; probability: number; operation?: string };

export interface EventFaultSettings {
  drop?: number;
  duplicate?: number;
  reorder?: number;
  delayMs?: number;
}
