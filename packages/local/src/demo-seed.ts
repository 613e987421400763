/** The demo databases `trapheus local up` seeds: deliberately far from RDS defaults, so a restore that lost
 * any setting shows it. */
import type { ClusterSeed, InstanceSeed } from './rds';

export const DEMO_INSTANCE: InstanceSeed = {
  DBInstanceIdentifier: 'demo-db',
  Engine: 'postgres',
  EngineVersion: '16.3',
  DBInstanceClass: 'db.t4g.medium',
  DBName: 'app',
  MasterUsername: 'app_admin',
  MultiAZ: true,
  DBParameterGroups: [{ DBParameterGroupName: 'demo-pg16-tuned', ParameterApplyStatus: 'in-sync' }],
  OptionGroupMemberships: [{ OptionGroupName: 'demo-pg16-options', Status: 'in-sync' }],
  DBSubnetGroup: { DBSubnetGroupName: 'demo-private', VpcId: 'vpc-0demo', SubnetGroupStatus: 'Complete' },
  VpcSecurityGroups: [
    { VpcSecurityGroupId: 'sg-0demo1', Status: 'active' },
    { VpcSecurityGroupId: 'sg-0demo2', Status: 'active' },
  ],
  StorageType: 'gp3',
  AllocatedStorage: 50,
  Iops: 3000,
  StorageThroughput: 125,
  MaxAllocatedStorage: 200,
  PubliclyAccessible: false,
  IAMDatabaseAuthenticationEnabled: true,
  DeletionProtection: true,
  CopyTagsToSnapshot: true,
  CACertificateIdentifier: 'rds-ca-rsa2048-g1',
  EnabledCloudwatchLogsExports: ['postgresql', 'upgrade'],
  MonitoringInterval: 60,
  MonitoringRoleArn: 'arn:aws:iam::000000000000:role/rds-monitoring-role',
  PerformanceInsightsEnabled: true,
  // Database Insights advanced mode needs Performance Insights kept at least 465 days (RDS User Guide,
  // USER_DatabaseInsights.Considerations).
  PerformanceInsightsRetentionPeriod: 465,
  DatabaseInsightsMode: 'advanced',
  NetworkType: 'DUAL',
  EngineLifecycleSupport: 'open-source-rds-extended-support-disabled',
  AssociatedRoles: [
    { RoleArn: 'arn:aws:iam::000000000000:role/demo-s3-import', FeatureName: 's3Import', Status: 'ACTIVE' },
  ],
  ManageMasterUserPassword: true,
  PreferredMaintenanceWindow: 'sun:03:00-sun:04:00',
  PreferredBackupWindow: '01:00-01:30',
  BackupRetentionPeriod: 7,
  TagList: [
    { Key: 'team', Value: 'platform' },
    { Key: 'env', Value: 'staging' },
  ],
};

/** `demo-cluster`: Aurora PostgreSQL with a custom cluster parameter group, a writer and a reader. */
export const DEMO_CLUSTER: ClusterSeed = {
  DBClusterIdentifier: 'demo-cluster',
  Engine: 'aurora-postgresql',
  EngineVersion: '16.4',
  DatabaseName: 'app',
  DBClusterParameterGroup: 'demo-aurora-pg16-tuned',
  DBSubnetGroup: 'demo-private',
  VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-0demo1', Status: 'active' }],
  Port: 5433,
  StorageEncrypted: true,
  KmsKeyId: 'arn:aws:kms:us-east-1:000000000000:key/demo',
  IAMDatabaseAuthenticationEnabled: true,
  DeletionProtection: true,
  CopyTagsToSnapshot: true,
  EnabledCloudwatchLogsExports: ['postgresql'],
  ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 8 },
  StorageType: 'aurora-iopt1',
  HttpEndpointEnabled: true,
  NetworkType: 'DUAL',
  EngineLifecycleSupport: 'open-source-rds-extended-support-disabled',
  AssociatedRoles: [
    {
      RoleArn: 'arn:aws:iam::000000000000:role/demo-aurora-s3-export',
      FeatureName: 's3Export',
      Status: 'ACTIVE',
    },
  ],
  ManageMasterUserPassword: true,
  customEndpoints: [
    {
      DBClusterEndpointIdentifier: 'demo-analytics',
      EndpointType: 'READER',
      StaticMembers: ['demo-cluster-reader'],
    },
  ],
  PreferredBackupWindow: '02:00-02:30',
  PreferredMaintenanceWindow: 'sat:04:00-sat:05:00',
  BackupRetentionPeriod: 14,
  TagList: [
    { Key: 'team', Value: 'platform' },
    { Key: 'env', Value: 'staging' },
  ],
};

/** The demo cluster's members: the writer first (the first member seeded is the writer). */
export const DEMO_CLUSTER_MEMBERS: InstanceSeed[] = [
  {
    DBInstanceIdentifier: 'demo-cluster-writer',
    Engine: 'aurora-postgresql',
    EngineVersion: '16.4',
    DBClusterIdentifier: 'demo-cluster',
    DBInstanceClass: 'db.r6g.large',
    PromotionTier: 0,
    DBParameterGroups: [{ DBParameterGroupName: 'demo-aurora-instance-pg', ParameterApplyStatus: 'in-sync' }],
    PerformanceInsightsEnabled: true,
    PerformanceInsightsRetentionPeriod: 7,
    MonitoringInterval: 30,
    MonitoringRoleArn: 'arn:aws:iam::000000000000:role/rds-monitoring-role',
    StorageType: 'aurora-iopt1',
    TagList: [{ Key: 'role', Value: 'writer' }],
  },
  {
    DBInstanceIdentifier: 'demo-cluster-reader',
    Engine: 'aurora-postgresql',
    EngineVersion: '16.4',
    DBClusterIdentifier: 'demo-cluster',
    DBInstanceClass: 'db.r6g.xlarge',
    PromotionTier: 2,
    DBParameterGroups: [{ DBParameterGroupName: 'demo-aurora-instance-pg', ParameterApplyStatus: 'in-sync' }],
    StorageType: 'aurora-iopt1',
    TagList: [{ Key: 'role', Value: 'reader' }],
  },
];
