import type { DBCluster, DBInstance } from '@aws-sdk/client-rds';
import {
  assertClusterDeletable,
  assertMemberDeletable,
  buildClusterPostModify,
  buildClusterRestoreInput,
  buildMemberCreateInput,
  captureCluster,
  clusterDrift,
  memberTempIdentifier,
  type Run,
  tempIdentifierFor,
} from '../src';

const RUN_ID = 'run-00112233aabbccdd';

const cluster: DBCluster = {
  DBClusterIdentifier: 'shop',
  DbClusterResourceId: 'cluster-ORIGINAL',
  DBClusterArn: 'arn:aws:rds:us-east-1:1:cluster:shop',
  Status: 'available',
  Engine: 'aurora-postgresql',
  EngineVersion: '16.4',
  EngineMode: 'provisioned',
  DBClusterParameterGroup: 'shop-cluster-pg',
  DBSubnetGroup: 'private',
  VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-1' }],
  Port: 5433,
  DatabaseName: 'shop',
  StorageEncrypted: true,
  KmsKeyId: 'arn:aws:kms:us-east-1:1:key/k',
  IAMDatabaseAuthenticationEnabled: true,
  DeletionProtection: true,
  CopyTagsToSnapshot: true,
  BacktrackWindow: 0,
  EnabledCloudwatchLogsExports: ['postgresql'],
  ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 8 },
  PreferredBackupWindow: '02:00-02:30',
  PreferredMaintenanceWindow: 'sat:04:00-sat:05:00',
  BackupRetentionPeriod: 14,
  TagList: [
    { Key: 'team', Value: 'shop' },
    { Key: 'trapheus:run-id', Value: 'run-old' },
  ],
  DBClusterMembers: [
    { DBInstanceIdentifier: 'shop-reader', IsClusterWriter: false, PromotionTier: 2 },
    { DBInstanceIdentifier: 'shop-writer', IsClusterWriter: true, PromotionTier: 0 },
  ],
};
const writer: DBInstance = {
  DBInstanceIdentifier: 'shop-writer',
  DbiResourceId: 'db-WRITER',
  DBInstanceClass: 'db.r6g.large',
  PromotionTier: 0,
  DBParameterGroups: [{ DBParameterGroupName: 'shop-instance-pg' }],
  AvailabilityZone: 'us-east-1a',
  PubliclyAccessible: false,
  MonitoringInterval: 30,
  MonitoringRoleArn: 'arn:aws:iam::1:role/mon',
  PerformanceInsightsEnabled: true,
  PerformanceInsightsKMSKeyId: 'arn:aws:kms:us-east-1:1:key/pi',
  PerformanceInsightsRetentionPeriod: 7,
  CACertificateIdentifier: 'rds-ca-rsa2048-g1',
  AutoMinorVersionUpgrade: true,
  PreferredMaintenanceWindow: 'sat:04:00-sat:05:00',
  TagList: [{ Key: 'role', Value: 'writer' }],
};
const reader: DBInstance = {
  DBInstanceIdentifier: 'shop-reader',
  DbiResourceId: 'db-READER',
  DBInstanceClass: 'db.r6g.xlarge',
  PromotionTier: 2,
  DBParameterGroups: [{ DBParameterGroupName: 'shop-instance-pg' }],
  MonitoringInterval: 0,
  PerformanceInsightsEnabled: false,
  TagList: [],
};

const captured = captureCluster(cluster, [reader, writer]);
const run = (patch: Partial<Run> = {}): Run => ({
  runId: RUN_ID,
  dbKey: 'cluster#shop',
  identifier: 'shop',
  kind: 'cluster',
  task: 'create_snapshot',
  snapshotIdentifier: 'shop-snapshot',
  step: 'CLEANING_UP',
  version: 9,
  createdAt: '',
  updatedAt: '',
  history: [],
  progress: {},
  original: captured,
  tempIdentifier: tempIdentifierFor('shop', RUN_ID),
  ...patch,
});

describe('cluster capture and inputs', () => {
  it('captures members writer first and drops Trapheus tags', () => {
    expect(captured.members.map((m) => [m.DBInstanceIdentifier, m.IsClusterWriter])).toEqual([
      ['shop-writer', true],
      ['shop-reader', false],
    ]);
    expect(captured.Tags).toEqual([{ Key: 'team', Value: 'shop' }]);
    expect(captured.BacktrackWindow).toBeUndefined();
  });

  it('restores the cluster with engine version, parameter group and every accepted setting', () => {
    expect(
      buildClusterRestoreInput(captured, { snapshotIdentifier: 'shop-snapshot', runId: RUN_ID }),
    ).toEqual({
      DBClusterIdentifier: 'shop',
      SnapshotIdentifier: 'shop-snapshot',
      Engine: 'aurora-postgresql',
      EngineVersion: '16.4',
      DBClusterParameterGroupName: 'shop-cluster-pg',
      DBSubnetGroupName: 'private',
      VpcSecurityGroupIds: ['sg-1'],
      Port: 5433,
      DatabaseName: 'shop',
      KmsKeyId: 'arn:aws:kms:us-east-1:1:key/k',
      EnableIAMDatabaseAuthentication: true,
      DeletionProtection: false,
      CopyTagsToSnapshot: true,
      EnableCloudwatchLogsExports: ['postgresql'],
      ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 8 },
      BackupRetentionPeriod: 14,
      PreferredBackupWindow: '02:00-02:30',
      Tags: [
        { Key: 'team', Value: 'shop' },
        { Key: 'trapheus:restored-by', Value: RUN_ID },
      ],
    });
  });

  it('creates each member with its class, tier, parameter group, monitoring and Performance Insights', () => {
    expect(buildMemberCreateInput(captured, captured.members[0]!, RUN_ID)).toEqual({
      DBInstanceIdentifier: 'shop-writer',
      DBClusterIdentifier: 'shop',
      Engine: 'aurora-postgresql',
      DBInstanceClass: 'db.r6g.large',
      PromotionTier: 0,
      DBParameterGroupName: 'shop-instance-pg',
      AvailabilityZone: 'us-east-1a',
      PubliclyAccessible: false,
      MonitoringInterval: 30,
      MonitoringRoleArn: 'arn:aws:iam::1:role/mon',
      EnablePerformanceInsights: true,
      PerformanceInsightsKMSKeyId: 'arn:aws:kms:us-east-1:1:key/pi',
      PerformanceInsightsRetentionPeriod: 7,
      CACertificateIdentifier: 'rds-ca-rsa2048-g1',
      AutoMinorVersionUpgrade: true,
      PreferredMaintenanceWindow: 'sat:04:00-sat:05:00',
      Tags: [
        { Key: 'role', Value: 'writer' },
        { Key: 'trapheus:restored-by', Value: RUN_ID },
      ],
    });
    expect(buildMemberCreateInput(captured, captured.members[1]!, RUN_ID)).toEqual({
      DBInstanceIdentifier: 'shop-reader',
      DBClusterIdentifier: 'shop',
      Engine: 'aurora-postgresql',
      DBInstanceClass: 'db.r6g.xlarge',
      PromotionTier: 2,
      DBParameterGroupName: 'shop-instance-pg',
      MonitoringInterval: 0,
      EnablePerformanceInsights: false,
      Tags: [{ Key: 'trapheus:restored-by', Value: RUN_ID }],
    });
  });

  it('applies deletion protection, maintenance window and retention after the restore, nothing when equal', () => {
    const restored = {
      ...cluster,
      DeletionProtection: false,
      PreferredMaintenanceWindow: 'mon:00:00-mon:00:30',
      BackupRetentionPeriod: 1,
    };
    expect(buildClusterPostModify(captured, restored)).toEqual({
      DBClusterIdentifier: 'shop',
      ApplyImmediately: true,
      DeletionProtection: true,
      PreferredMaintenanceWindow: 'sat:04:00-sat:05:00',
      BackupRetentionPeriod: 14,
    });
    expect(buildClusterPostModify(captured, cluster)).toBeUndefined();
  });

  // Finding: the managed secret went with the temp cluster and the restored cluster got none.
  it('turns a managed master password back on for the restored cluster, with the original KMS key', () => {
    const managed = captureCluster(
      {
        ...cluster,
        MasterUserSecret: {
          SecretArn: 'arn:aws:secretsmanager:us-east-1:1:secret:rds!cluster-1',
          KmsKeyId: 'k-1',
        },
      },
      [],
    );

    const modify = buildClusterPostModify(managed, {
      ...cluster,
      DeletionProtection: managed.DeletionProtection,
    });
    const input = buildClusterRestoreInput(managed, { snapshotIdentifier: 's', runId: RUN_ID });

    expect(modify).toMatchObject({ ManageMasterUserPassword: true, MasterUserSecretKmsKeyId: 'k-1' });
    // RestoreDBClusterFromSnapshot has no ManageMasterUserPassword parameter.
    expect(input).not.toHaveProperty('ManageMasterUserPassword');
  });

  it('carries I/O-Optimized storage, Data API, network type, Extended Support choice and auto-pause', () => {
    const original = captureCluster(
      {
        ...cluster,
        StorageType: 'aurora-iopt1',
        HttpEndpointEnabled: true,
        NetworkType: 'DUAL',
        EngineLifecycleSupport: 'open-source-rds-extended-support-disabled',
        ServerlessV2ScalingConfiguration: { MinCapacity: 0, MaxCapacity: 4, SecondsUntilAutoPause: 300 },
      },
      [],
    );

    const input = buildClusterRestoreInput(original, { snapshotIdentifier: 's', runId: RUN_ID });
    const modify = buildClusterPostModify(original, {
      ...cluster,
      DeletionProtection: original.DeletionProtection,
    });

    expect(input).toMatchObject({
      StorageType: 'aurora-iopt1',
      NetworkType: 'DUAL',
      EngineLifecycleSupport: 'open-source-rds-extended-support-disabled',
      ServerlessV2ScalingConfiguration: { MinCapacity: 0, MaxCapacity: 4, SecondsUntilAutoPause: 300 },
    });
    // The Data API is the EnableHttpEndpoint action's job, not ModifyDBCluster's (Serverless v1 only).
    expect(modify).toBeUndefined();
    expect(original.HttpEndpointEnabled).toBe(true);
    expect(clusterDrift(original, { ...cluster, StorageType: 'aurora' }, [])).toContain(
      'StorageType: "aurora-iopt1" → "aurora"',
    );
  });

  it('reports drift in the cluster and in each member', () => {
    const restored = { ...cluster, DBClusterParameterGroup: 'default.aurora-postgresql16' };
    const otherReader = { ...reader, DBInstanceClass: 'db.r6g.large' };
    expect(clusterDrift(captured, restored, [writer, otherReader])).toEqual([
      'DBClusterParameterGroup: "shop-cluster-pg" → "default.aurora-postgresql16"',
      'shop-reader.DBInstanceClass: "db.r6g.xlarge" → "db.r6g.large"',
    ]);
    expect(clusterDrift(captured, cluster, [writer])).toEqual(['member shop-reader missing']);
  });
});

describe('cluster deletion guards', () => {
  const temp = tempIdentifierFor('shop', RUN_ID);
  const tagged = { TagList: [{ Key: 'trapheus:run-id', Value: RUN_ID }] };

  it('accepts the renamed original cluster and members as temps, and nothing else', () => {
    expect(() =>
      assertClusterDeletable(run(), { ...cluster, DBClusterIdentifier: temp, ...tagged }, 'temp'),
    ).not.toThrow();
    expect(() => assertClusterDeletable(run(), { ...cluster, ...tagged }, 'temp')).toThrow(
      /is not this run's temp/,
    );
    expect(() =>
      assertClusterDeletable(run(), { ...cluster, DBClusterIdentifier: temp, TagList: [] }, 'temp'),
    ).toThrow(/does not carry trapheus:run-id/);
    const tempWriter = {
      ...writer,
      DBInstanceIdentifier: memberTempIdentifier('shop-writer', RUN_ID),
      ...tagged,
    };
    expect(() => assertMemberDeletable(run(), tempWriter, 'temp')).not.toThrow();
    expect(() => assertMemberDeletable(run(), { ...tempWriter, DbiResourceId: 'db-OTHER' }, 'temp')).toThrow(
      /not the original member/,
    );
  });

  it('never lets a rollback delete the original cluster or an original member', () => {
    const restoredTag = { TagList: [{ Key: 'trapheus:restored-by', Value: RUN_ID }] };
    expect(() => assertClusterDeletable(run(), { ...cluster, ...restoredTag }, 'restored-copy')).toThrow(
      /is the original cluster/,
    );
    expect(() =>
      assertClusterDeletable(
        run(),
        { ...cluster, DbClusterResourceId: 'cluster-NEW', ...restoredTag },
        'restored-copy',
      ),
    ).not.toThrow();
    expect(() => assertMemberDeletable(run(), { ...writer, ...restoredTag }, 'restored-copy')).toThrow(
      /is an original member/,
    );
    expect(() =>
      assertMemberDeletable(run(), { ...writer, DbiResourceId: 'db-NEW', TagList: [] }, 'restored-copy'),
    ).toThrow(/does not carry trapheus:restored-by/);
  });
});
