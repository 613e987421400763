/** The demo databases `trapheus local up` seeds: deliberately far from RDS defaults, so a restore that lost
 * any setting shows it. */
import type { InstanceSeed } from './rds';

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
  PerformanceInsightsRetentionPeriod: 7,
  PreferredMaintenanceWindow: 'sun:03:00-sun:04:00',
  PreferredBackupWindow: '01:00-01:30',
  BackupRetentionPeriod: 7,
  TagList: [
    { Key: 'team', Value: 'platform' },
    { Key: 'env', Value: 'staging' },
  ],
};
