/**
 * What a run captures of the original before anything is changed, as plain JSON in the run item: a
 * discriminated union by `kind`, so the instance and cluster paths read it without casts.
 */
import type { Tag } from '@aws-sdk/client-rds';

/** The configuration of an instance as Trapheus keeps it in the run (plain JSON). */
export interface CapturedInstance {
  kind: 'instance';
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
  NetworkType?: string;
  /** The Kerberos / Active Directory domain membership (RDS allows one). */
  Domain?: CapturedDomain;
  EngineLifecycleSupport?: string;
  DedicatedLogVolume?: boolean;
  DatabaseInsightsMode?: string;
  ProcessorFeatures?: { Name?: string; Value?: string }[];
  BackupTarget?: string;
  CustomerOwnedIpEnabled?: boolean;
  DBCapacityReservationIdentifier?: string;
  /** Associated IAM roles, sorted (re-created with AddRoleToDBInstance). */
  AssociatedRoles?: { RoleArn: string; FeatureName?: string }[];
  /** Cross-Region automated backup replications (re-created in each destination Region). */
  AutomatedBackupsReplications?: CapturedBackupReplication[];
  AdditionalStorageVolumes?: {
    VolumeName: string;
    AllocatedStorage?: number;
    IOPS?: number;
    MaxAllocatedStorage?: number;
    StorageThroughput?: number;
    StorageType?: string;
  }[];
}

export interface CapturedDomain {
  Domain: string;
  IAMRoleName?: string;
  FQDN?: string;
  OU?: string;
  AuthSecretArn?: string;
  DnsIps?: string[];
}

export interface CapturedBackupReplication {
  /** The destination Region, from the replicated backup's ARN. */
  Region: string;
  BackupRetentionPeriod?: number;
  KmsKeyId?: string;
}

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
  kind: 'cluster';
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
  ServerlessV2ScalingConfiguration?: {
    MinCapacity?: number;
    MaxCapacity?: number;
    SecondsUntilAutoPause?: number;
  };
  PreferredBackupWindow?: string;
  PreferredMaintenanceWindow?: string;
  BackupRetentionPeriod?: number;
  Tags: Tag[];
  /** Writer first, then readers by promotion tier. */
  members: CapturedMember[];
  AvailabilityZones?: string[];
  OptionGroupName?: string;
  /** `aurora` or `aurora-iopt1` (I/O-Optimized). */
  StorageType?: string;
  NetworkType?: string;
  Domain?: CapturedDomain;
  EngineLifecycleSupport?: string;
  AssociatedRoles?: { RoleArn: string; FeatureName?: string }[];
  /** The RDS Data API. */
  HttpEndpointEnabled?: boolean;
  MonitoringInterval?: number;
  MonitoringRoleArn?: string;
  PerformanceInsightsEnabled?: boolean;
  PerformanceInsightsKMSKeyId?: string;
  PerformanceInsightsRetentionPeriod?: number;
  DatabaseInsightsMode?: string;
  ManageMasterUserPassword?: boolean;
  MasterUserSecretKmsKeyId?: string;
  LocalWriteForwarding?: boolean;
  VPCNetworkingEnabled?: boolean;
  InternetAccessGatewayEnabled?: boolean;
  /** Custom endpoints (DescribeDBClusterEndpoints), sorted by identifier. */
  CustomEndpoints?: CapturedEndpoint[];
}

export interface CapturedEndpoint {
  DBClusterEndpointIdentifier: string;
  EndpointType: string;
  StaticMembers?: string[];
  ExcludedMembers?: string[];
}

/** The captured original of a run. */
export type CapturedOriginal = CapturedInstance | CapturedCluster;
