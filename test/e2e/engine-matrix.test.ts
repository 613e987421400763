/**
 * The engine matrix: one database per engine the pipeline supports, each with its engine's usual non-default
 * settings (managed master password included), restored in place on the local stack. The simulator enforces the
 * per-engine rules of the RDS API reference, so a restore or modify input that AWS would refuse fails here too.
 * Each run must end SUCCEEDED with every drift-checked field of the configuration ledger kept.
 */
import { CreateDBClusterEndpointCommand, type DBInstance } from '@aws-sdk/client-rds';
import type { ClusterSeed, InstanceSeed, LocalStack } from '@trapheus/local';
import {
  captureCluster,
  captureInstance,
  clusterDrift,
  configurationDrift,
  describeCluster,
  describeCustomEndpoints,
  describeInstance,
} from '@trapheus/shared';
import { describeReplications } from '../../services/restore/src/steps';
import { assertIamClean, clientsFor, freshStack, runRestore } from './stack-helpers';

jest.setTimeout(240_000);

const ACCOUNT = '000000000000';
const role = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
const KMS = `arn:aws:kms:us-east-1:${ACCOUNT}:key/matrix`;
const managedSecret = (id: string) => ({
  MasterUserSecret: {
    SecretArn: `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:rds!db-${id}-AbCdEf`,
    SecretStatus: 'active',
    KmsKeyId: KMS,
  },
});

/** What every engine's instance has away from the defaults. */
const common = (id: string, engine: string): InstanceSeed => ({
  DBInstanceIdentifier: id,
  Engine: engine,
  DBInstanceClass: 'db.r6i.large',
  DBParameterGroups: [{ DBParameterGroupName: `${id}-params`, ParameterApplyStatus: 'in-sync' }],
  OptionGroupMemberships: [{ OptionGroupName: `${id}-options`, Status: 'in-sync' }],
  DBSubnetGroup: { DBSubnetGroupName: 'matrix-private', VpcId: 'vpc-0matrix', SubnetGroupStatus: 'Complete' },
  VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-0matrix', Status: 'active' }],
  CopyTagsToSnapshot: true,
  DeletionProtection: true,
  MonitoringInterval: 60,
  MonitoringRoleArn: role('rds-monitoring-role'),
  PerformanceInsightsEnabled: true,
  PerformanceInsightsRetentionPeriod: 465,
  DatabaseInsightsMode: 'advanced',
  MaxAllocatedStorage: 2000,
  PreferredMaintenanceWindow: 'sun:03:00-sun:04:00',
  PreferredBackupWindow: '01:00-01:30',
  BackupRetentionPeriod: 14,
  AutoMinorVersionUpgrade: false,
  NetworkType: 'DUAL',
  TagList: [
    { Key: 'team', Value: 'platform' },
    { Key: 'engine', Value: engine },
  ],
  ...managedSecret(id),
});

const INSTANCES: InstanceSeed[] = [
  {
    ...common('m-mysql', 'mysql'),
    MultiAZ: true,
    StorageType: 'gp3',
    AllocatedStorage: 500,
    Iops: 12000,
    StorageThroughput: 500,
    IAMDatabaseAuthenticationEnabled: true,
    EnabledCloudwatchLogsExports: ['error', 'slowquery'],
    EngineLifecycleSupport: 'open-source-rds-extended-support-disabled',
  },
  {
    ...common('m-mariadb', 'mariadb'),
    StorageType: 'gp2',
    AllocatedStorage: 100,
    EnabledCloudwatchLogsExports: ['error', 'audit'],
  },
  {
    ...common('m-postgres', 'postgres'),
    MultiAZ: true,
    StorageType: 'io1',
    AllocatedStorage: 1000,
    Iops: 10000,
    DedicatedLogVolume: true,
    IAMDatabaseAuthenticationEnabled: true,
    EnabledCloudwatchLogsExports: ['postgresql', 'upgrade'],
    EngineLifecycleSupport: 'open-source-rds-extended-support-disabled',
    AssociatedRoles: [
      { RoleArn: role('pg-s3-import'), FeatureName: 's3Import', Status: 'ACTIVE' },
      { RoleArn: role('pg-s3-export'), FeatureName: 's3Export', Status: 'ACTIVE' },
    ],
  },
  {
    ...common('m-oracle-ee', 'oracle-ee'),
    MultiAZ: true,
    LicenseModel: 'bring-your-own-license',
    StorageType: 'gp3',
    AllocatedStorage: 300,
    Iops: 12000,
    StorageThroughput: 500,
    EnabledCloudwatchLogsExports: ['alert', 'audit', 'listener', 'trace'],
    AssociatedRoles: [{ RoleArn: role('oracle-s3'), FeatureName: 'S3_INTEGRATION', Status: 'ACTIVE' }],
  },
  {
    ...common('m-oracle-se2', 'oracle-se2'),
    LicenseModel: 'license-included',
    StorageType: 'gp3',
    AllocatedStorage: 100,
    EnabledCloudwatchLogsExports: ['alert', 'listener'],
  },
  {
    ...common('m-sqlserver-ex', 'sqlserver-ex'),
    DBInstanceClass: 'db.t3.small',
    StorageType: 'gp3',
    AllocatedStorage: 20,
    EnabledCloudwatchLogsExports: ['error'],
  },
  {
    ...common('m-sqlserver-web', 'sqlserver-web'),
    StorageType: 'gp3',
    AllocatedStorage: 100,
    Iops: 4000,
    StorageThroughput: 200,
    EnabledCloudwatchLogsExports: ['agent', 'error'],
  },
  {
    ...common('m-sqlserver-se', 'sqlserver-se'),
    MultiAZ: true,
    StorageType: 'gp3',
    AllocatedStorage: 200,
    EnabledCloudwatchLogsExports: ['agent', 'error'],
    AssociatedRoles: [{ RoleArn: role('mssql-s3'), FeatureName: 'S3_INTEGRATION', Status: 'ACTIVE' }],
  },
  {
    ...common('m-sqlserver-ee', 'sqlserver-ee'),
    MultiAZ: true,
    StorageType: 'io2',
    AllocatedStorage: 500,
    Iops: 20000,
    EnabledCloudwatchLogsExports: ['agent', 'error'],
  },
];

const clusterSeed = (id: string, engine: string, extra: Partial<ClusterSeed>): ClusterSeed => ({
  DBClusterIdentifier: id,
  Engine: engine,
  DatabaseName: 'app',
  DBClusterParameterGroup: `${id}-cluster-params`,
  DBSubnetGroup: 'matrix-private',
  VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-0matrix', Status: 'active' }],
  StorageEncrypted: true,
  KmsKeyId: KMS,
  StorageType: 'aurora-iopt1',
  IAMDatabaseAuthenticationEnabled: true,
  DeletionProtection: true,
  CopyTagsToSnapshot: true,
  HttpEndpointEnabled: true,
  NetworkType: 'DUAL',
  EngineLifecycleSupport: 'open-source-rds-extended-support-disabled',
  AssociatedRoles: [{ RoleArn: role(`${id}-s3`), FeatureName: 's3Import', Status: 'ACTIVE' }],
  PreferredBackupWindow: '02:00-02:30',
  PreferredMaintenanceWindow: 'sat:04:00-sat:05:00',
  BackupRetentionPeriod: 14,
  TagList: [{ Key: 'team', Value: 'platform' }],
  MasterUserSecret: {
    SecretArn: `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:rds!cluster-${id}-AbCdEf`,
    SecretStatus: 'active',
    KmsKeyId: KMS,
  },
  ...extra,
});

const member = (cluster: string, engine: string, name: string, tier: number, cls: string): InstanceSeed => ({
  DBInstanceIdentifier: `${cluster}-${name}`,
  Engine: engine,
  DBClusterIdentifier: cluster,
  DBInstanceClass: cls,
  PromotionTier: tier,
  StorageType: 'aurora-iopt1',
  TagList: [{ Key: 'role', Value: name }],
});

const CLUSTERS: { seed: ClusterSeed; members: InstanceSeed[]; endpoints: string[] }[] = [
  {
    seed: clusterSeed('m-aurora-mysql', 'aurora-mysql', {
      BacktrackWindow: 86400,
      EnabledCloudwatchLogsExports: ['error', 'slowquery'],
    }),
    members: [
      member('m-aurora-mysql', 'aurora-mysql', 'writer', 0, 'db.r6g.large'),
      member('m-aurora-mysql', 'aurora-mysql', 'reader', 1, 'db.r6g.large'),
    ],
    endpoints: ['m-aurora-mysql-reporting'],
  },
  {
    seed: clusterSeed('m-aurora-pg', 'aurora-postgresql', {
      Port: 5433,
      EnabledCloudwatchLogsExports: ['postgresql'],
      ServerlessV2ScalingConfiguration: { MinCapacity: 0, MaxCapacity: 8, SecondsUntilAutoPause: 600 },
    }),
    members: [
      member('m-aurora-pg', 'aurora-postgresql', 'writer', 0, 'db.serverless'),
      member('m-aurora-pg', 'aurora-postgresql', 'reader', 2, 'db.serverless'),
    ],
    endpoints: ['m-aurora-pg-analytics'],
  },
];

describe('engine matrix: one database per engine, restored in place on the local stack', () => {
  let stack: LocalStack;
  afterAll(async () => {
    try {
      await assertIamClean(stack);
    } finally {
      await stack?.stop();
    }
  });

  it('every engine ends SUCCEEDED with everything the ledger drift-checks kept, managed password included', async () => {
    // Prepare
    stack = await freshStack(600, { seedDemo: false });
    const { rds, runs } = clientsFor(stack);
    for (const seed of INSTANCES) stack.rds.seedInstance(seed);
    for (const c of CLUSTERS) {
      stack.rds.seedCluster(c.seed);
      for (const m of c.members) stack.rds.seedInstance(m);
    }
    const rdsIn = () => rds;
    for (const c of CLUSTERS) {
      await rds.send(
        new CreateDBClusterEndpointCommand({
          DBClusterIdentifier: c.seed.DBClusterIdentifier,
          DBClusterEndpointIdentifier: c.endpoints[0]!,
          EndpointType: 'READER',
          StaticMembers: [`${c.seed.DBClusterIdentifier}-reader`],
        }),
      );
    }
    const beforeInstances = new Map<
      string,
      { db: DBInstance; captured: ReturnType<typeof captureInstance> }
    >();
    for (const seed of INSTANCES) {
      const db = (await describeInstance(rds, seed.DBInstanceIdentifier))!;
      beforeInstances.set(seed.DBInstanceIdentifier, {
        db,
        captured: captureInstance(db, await describeReplications(db, rdsIn)),
      });
    }
    const clusterCapture = async (id: string) => {
      const cluster = (await describeCluster(rds, id))!;
      const members = await Promise.all(
        (cluster.DBClusterMembers ?? []).map(
          async (m) => (await describeInstance(rds, m.DBInstanceIdentifier!))!,
        ),
      );
      const endpoints = await describeCustomEndpoints(rds, id);
      return { cluster, members, endpoints, captured: captureCluster(cluster, members, endpoints) };
    };
    const beforeClusters = new Map<string, Awaited<ReturnType<typeof clusterCapture>>>();
    for (const c of CLUSTERS)
      beforeClusters.set(c.seed.DBClusterIdentifier, await clusterCapture(c.seed.DBClusterIdentifier));

    // Act
    const results = await Promise.all([
      ...INSTANCES.map((s) =>
        runRestore(stack, { identifier: s.DBInstanceIdentifier, waitTimeoutSeconds: 200 }),
      ),
      ...CLUSTERS.map((c) =>
        runRestore(stack, { identifier: c.seed.DBClusterIdentifier, cluster: true, waitTimeoutSeconds: 200 }),
      ),
    ]);

    // Assess
    const ids = [
      ...INSTANCES.map((s) => s.DBInstanceIdentifier),
      ...CLUSTERS.map((c) => c.seed.DBClusterIdentifier),
    ];
    const outcomes = await Promise.all(
      results.map(async (r, i) => {
        const run = await runs.get(r.runId);
        return `${ids[i]}: ${run?.step}${run?.failure ? ` (${run.failure.code}: ${run.failure.message})` : ''}`;
      }),
    );
    expect(outcomes).toEqual(ids.map((id) => `${id}: SUCCEEDED`));
    for (const seed of INSTANCES) {
      const before = beforeInstances.get(seed.DBInstanceIdentifier)!;
      const after = (await describeInstance(rds, seed.DBInstanceIdentifier))!;
      expect([seed.DBInstanceIdentifier, after.DbiResourceId === before.db.DbiResourceId]).toEqual([
        seed.DBInstanceIdentifier,
        false,
      ]);
      expect([seed.DBInstanceIdentifier, configurationDrift(before.captured, after)]).toEqual([
        seed.DBInstanceIdentifier,
        [],
      ]);
      // A managed password stays managed, with a secret of the copy's own.
      expect(after.MasterUserSecret?.SecretArn).toMatch(/^arn:aws:secretsmanager:.*:secret:rds!db-/);
      expect(after.MasterUserSecret?.SecretArn).not.toBe(before.db.MasterUserSecret?.SecretArn);
    }
    for (const c of CLUSTERS) {
      const id = c.seed.DBClusterIdentifier;
      const before = beforeClusters.get(id)!;
      const after = await clusterCapture(id);
      expect([id, clusterDrift(before.captured, after.cluster, after.members, after.endpoints)]).toEqual([
        id,
        [],
      ]);
      expect(after.cluster.MasterUserSecret?.SecretArn).toMatch(/secret:rds!cluster-/);
      expect(after.endpoints.map((e) => e.DBClusterEndpointIdentifier)).toEqual(c.endpoints);
    }
    const left = stack.rds.snapshotState().instances.map((i) => String(i.DBInstanceIdentifier));
    expect(left.filter((id) => id.includes('-tr-'))).toEqual([]);
  });
});
