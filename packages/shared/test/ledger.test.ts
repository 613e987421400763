import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DBCluster, DBInstance } from '@aws-sdk/client-rds';
import {
  buildClusterPostModify,
  buildClusterRestoreInput,
  buildPostRestoreModify,
  buildRestoreInput,
  CLUSTER_LEDGER,
  captureCluster,
  captureInstance,
  driftKeys,
  INSTANCE_LEDGER,
  ledgerMarkdown,
  refusalOf,
} from '../src';

/** An instance with every carried setting away from its default. */
const everything: DBInstance = {
  DBInstanceIdentifier: 'orders-db',
  DbiResourceId: 'db-ORIGINAL',
  DBInstanceArn: 'arn:aws:rds:us-east-1:123456789012:db:orders-db',
  Engine: 'oracle-ee',
  EngineVersion: '19.0.0.0.ru-2024-10.rur-2024-10.r1',
  DBInstanceClass: 'db.r6i.large',
  Endpoint: { Address: 'orders-db.x.us-east-1.rds.amazonaws.com', Port: 1530 },
  AllocatedStorage: 500,
  MaxAllocatedStorage: 1000,
  StorageType: 'gp3',
  Iops: 15000,
  StorageThroughput: 600,
  PreferredBackupWindow: '02:00-02:30',
  BackupRetentionPeriod: 14,
  PreferredMaintenanceWindow: 'sun:04:00-sun:04:30',
  VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-1' }],
  DBParameterGroups: [{ DBParameterGroupName: 'orders-pg' }],
  OptionGroupMemberships: [{ OptionGroupName: 'orders-og' }],
  DBSubnetGroup: { DBSubnetGroupName: 'private' },
  AvailabilityZone: 'us-east-1a',
  MultiAZ: false,
  AutoMinorVersionUpgrade: false,
  LicenseModel: 'bring-your-own-license',
  PubliclyAccessible: true,
  CACertificateIdentifier: 'rds-ca-ecc384-g1',
  DomainMemberships: [{ Domain: 'd-1', IAMRoleName: 'ad-role', Status: 'joined' }],
  CopyTagsToSnapshot: true,
  MonitoringInterval: 30,
  MonitoringRoleArn: 'arn:aws:iam::123456789012:role/em',
  IAMDatabaseAuthenticationEnabled: true,
  DatabaseInsightsMode: 'advanced',
  PerformanceInsightsEnabled: true,
  PerformanceInsightsKMSKeyId: 'pi-key',
  PerformanceInsightsRetentionPeriod: 465,
  EnabledCloudwatchLogsExports: ['alert', 'audit'],
  ProcessorFeatures: [{ Name: 'coreCount', Value: '2' }],
  DeletionProtection: true,
  AssociatedRoles: [{ RoleArn: 'arn:aws:iam::123456789012:role/s3', FeatureName: 'S3_INTEGRATION' }],
  TagList: [{ Key: 'team', Value: 'orders' }],
  CustomerOwnedIpEnabled: true,
  NetworkType: 'DUAL',
  BackupTarget: 'region',
  DBInstanceAutomatedBackupsReplications: [
    { DBInstanceAutomatedBackupsArn: 'arn:aws:rds:us-west-2:123456789012:auto-backup:ab-1' },
  ],
  MasterUserSecret: { SecretArn: 'arn:aws:secretsmanager:us-east-1:1:secret:rds!db-1', KmsKeyId: 'k' },
  DedicatedLogVolume: true,
  EngineLifecycleSupport: 'open-source-rds-extended-support-disabled',
  AdditionalStorageVolumes: [{ VolumeName: 'RDSDBDATA2', AllocatedStorage: 100, StorageType: 'gp3' }],
  DBCapacityReservationIdentifier: 'cr-1',
};

const everythingCluster: DBCluster = {
  DBClusterIdentifier: 'shop',
  DbClusterResourceId: 'cluster-ORIGINAL',
  Engine: 'aurora-postgresql',
  EngineVersion: '16.6',
  EngineMode: 'provisioned',
  AvailabilityZones: ['us-east-1a', 'us-east-1b'],
  BackupRetentionPeriod: 14,
  DatabaseName: 'shop',
  DBClusterParameterGroup: 'shop-cpg',
  DBSubnetGroup: 'private',
  Port: 5433,
  DBClusterOptionGroupMemberships: [{ DBClusterOptionGroupName: 'shop-og' }],
  PreferredBackupWindow: '02:00-02:30',
  PreferredMaintenanceWindow: 'sun:04:00-sun:04:30',
  VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-1' }],
  KmsKeyId: 'key',
  StorageEncrypted: true,
  AssociatedRoles: [{ RoleArn: 'arn:aws:iam::123456789012:role/s3', FeatureName: 's3Import' }],
  IAMDatabaseAuthenticationEnabled: true,
  BacktrackWindow: 3600,
  EnabledCloudwatchLogsExports: ['postgresql'],
  StorageType: 'aurora-iopt1',
  DeletionProtection: true,
  HttpEndpointEnabled: true,
  CopyTagsToSnapshot: true,
  DomainMemberships: [{ Domain: 'd-1', IAMRoleName: 'ad-role' }],
  TagList: [{ Key: 'team', Value: 'shop' }],
  NetworkType: 'DUAL',
  ServerlessV2ScalingConfiguration: { MinCapacity: 0, MaxCapacity: 8, SecondsUntilAutoPause: 600 },
  MonitoringInterval: 30,
  MonitoringRoleArn: 'arn:aws:iam::123456789012:role/em',
  DatabaseInsightsMode: 'advanced',
  PerformanceInsightsEnabled: true,
  PerformanceInsightsKMSKeyId: 'pi-key',
  PerformanceInsightsRetentionPeriod: 465,
  MasterUserSecret: { SecretArn: 'arn:aws:secretsmanager:us-east-1:1:secret:rds!cluster-1', KmsKeyId: 'k' },
  LocalWriteForwardingStatus: 'enabled',
  EngineLifecycleSupport: 'open-source-rds-extended-support-disabled',
  VPCNetworkingEnabled: false,
  InternetAccessGatewayEnabled: true,
  DBClusterMembers: [],
};

const paramsOf = (param: string) => param.split(', ');

describe('the configuration ledger', () => {
  it('is tied to the code: every instance field carried at restore is a parameter of the restore call', () => {
    const input = buildRestoreInput(captureInstance(everything), { snapshotIdentifier: 's', runId: 'run-1' });

    const missing = Object.entries(INSTANCE_LEDGER)
      .flatMap(([field, e]) => (e.how === 'restore' ? paramsOf(e.param).map((p) => [field, p]) : []))
      // A Single-AZ original names its AZ; DomainFqdn & co. are only for self-managed AD.
      .filter(([, p]) => !['DomainFqdn', 'DomainOu', 'DomainAuthSecretArn', 'DomainDnsIps'].includes(p ?? ''))
      .filter(([, p]) => !(p! in input));

    expect(missing).toEqual([]);
  });

  it('is tied to the code: every instance field of the post-restore modify is in the modify of a bare copy', () => {
    const original = captureInstance(everything);
    const modify = buildPostRestoreModify(original, {
      DBInstanceIdentifier: 'orders-db',
      EngineVersion: '19.0.0.0.ru-2024-07.rur-2024-07.r1',
    });

    const missing = Object.entries(INSTANCE_LEDGER)
      .flatMap(([field, e]) => (e.how === 'modify' ? paramsOf(e.param).map((p) => [field, p]) : []))
      // Oracle is the one engine whose managed password is turned on at restore already.
      .filter(([, p]) => !['ManageMasterUserPassword', 'MasterUserSecretKmsKeyId'].includes(p ?? ''))
      .filter(([, p]) => !(p! in (modify ?? {})));

    expect(missing).toEqual([]);
  });

  it('is tied to the code: every cluster field carried at restore or by the modify is in those calls', () => {
    const original = captureCluster(everythingCluster, []);
    const input = buildClusterRestoreInput(original, { snapshotIdentifier: 's', runId: 'run-1' });
    const modify = buildClusterPostModify(original, { DBClusterIdentifier: 'shop' }) ?? {};

    const missing = Object.entries(CLUSTER_LEDGER)
      .flatMap(([field, e]) =>
        e.how === 'restore' || e.how === 'modify' ? paramsOf(e.param).map((p) => [field, p, e.how]) : [],
      )
      // provisioned is the default engine mode: RDS is not told.
      .filter(([, p]) => p !== 'EngineMode')
      .filter(([, p, how]) => !(p! in (how === 'restore' ? input : modify)));

    expect(missing).toEqual([]);
  });

  it('drift-checks every instance setting it carries, except the AZ and a capacity reservation', () => {
    const carried = Object.entries(INSTANCE_LEDGER).filter(([, e]) =>
      ['restore', 'modify', 'recreate'].includes(e.how),
    );
    const unchecked = carried.filter(([, e]) => !('drift' in e) || !e.drift).map(([field]) => field);

    expect(unchecked).toEqual(['AvailabilityZone', 'DBCapacityReservationIdentifier']);
    expect(driftKeys(INSTANCE_LEDGER)).toEqual(
      expect.arrayContaining(['Iops', 'StorageThroughput', 'AllocatedStorage']),
    );
  });

  it("is the README's table of what is kept", () => {
    const readme = readFileSync(join(__dirname, '..', '..', '..', 'README.md'), 'utf8');

    expect(readme).toContain(ledgerMarkdown(INSTANCE_LEDGER, 'DBInstance'));
    expect(readme).toContain(ledgerMarkdown(CLUSTER_LEDGER, 'DBCluster'));
  });
});

describe('refusalOf: shapes an in-place restore would break', () => {
  it.each<[string, Partial<DBInstance>, string]>([
    [
      'a read replica of an instance',
      { ReadReplicaSourceDBInstanceIdentifier: 'main' },
      'ReadReplicaSourceDBInstanceIdentifier is main',
    ],
    [
      'a read replica of a cluster',
      { ReadReplicaSourceDBClusterIdentifier: 'shop' },
      'ReadReplicaSourceDBClusterIdentifier is shop',
    ],
    [
      'an instance with replica clusters',
      { ReadReplicaDBClusterIdentifiers: ['shop-replica'] },
      'ReadReplicaDBClusterIdentifiers is shop-replica',
    ],
    ['RDS Custom', { CustomIamInstanceProfile: 'AWSRDSCustom-profile' }, 'RDS Custom is not supported'],
  ])('refuses %s, naming the field', (_name, fields, expected) => {
    expect(refusalOf(INSTANCE_LEDGER, { ...everything, ...fields })).toContain(expected);
  });

  it.each<[string, Partial<DBCluster>, string]>([
    ['a Multi-AZ DB cluster', { DBClusterInstanceClass: 'db.m6gd.large' }, 'a Multi-AZ DB cluster'],
    [
      'an Aurora global database member',
      { GlobalClusterIdentifier: 'global-shop' },
      'Aurora global database',
    ],
    [
      'a cross-Region replica cluster',
      { ReplicationSourceIdentifier: 'arn:aws:rds:eu-west-1:1:cluster:shop' },
      'cross-Region replica',
    ],
    [
      'a cluster with replica clusters',
      { ReadReplicaIdentifiers: ['arn:aws:rds:eu-west-1:1:cluster:r'] },
      'replica clusters',
    ],
    ['Aurora Serverless v1', { ScalingConfigurationInfo: { MinCapacity: 2 } }, 'Serverless v1'],
    ['Aurora Limitless', { ClusterScalabilityType: 'limitless' }, 'Limitless'],
  ])('refuses %s, naming the shape', (_name, fields, expected) => {
    expect(refusalOf(CLUSTER_LEDGER, { ...everythingCluster, ...fields })).toContain(expected);
  });

  it('accepts ordinary databases, including the values RDS reports for "not that shape"', () => {
    expect(
      refusalOf(INSTANCE_LEDGER, { ...everything, ReadReplicaDBInstanceIdentifiers: [] }),
    ).toBeUndefined();
    expect(
      refusalOf(CLUSTER_LEDGER, {
        ...everythingCluster,
        ClusterScalabilityType: 'standard',
        LimitlessDatabase: { Status: 'not-in-use' },
        ReadReplicaIdentifiers: [],
      }),
    ).toBeUndefined();
  });
});
