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
  PendingModifiedValues: Record<string, unknown>;
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
  ServerlessV2ScalingConfiguration?: { MinCapacity?: number; MaxCapacity?: number };
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
  createCluster: number;
  restoreCluster: number;
  modifyCluster: number;
  renameCluster: number;
  deleteCluster: number;
  createClusterSnapshot: number;
  deleteClusterSnapshot: number;
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
  createCluster: 300,
  restoreCluster: 300,
  modifyCluster: 60,
  renameCluster: 30,
  deleteCluster: 120,
  createClusterSnapshot: 120,
  deleteClusterSnapshot: 20,
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
