import {
  CreateDBClusterSnapshotCommand,
  CreateDBInstanceCommand,
  CreateDBSnapshotCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  EnableHttpEndpointCommand,
  ModifyDBClusterCommand,
  ModifyDBInstanceCommand,
  RestoreDBClusterFromSnapshotCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
  type RestoreDBInstanceFromDBSnapshotCommandInput,
} from '@aws-sdk/client-rds';
import { errorOf, eventIds, type Harness, startHarness, stopHarness, waitFor } from './helpers';

/** Each rule: the real SDK gets AWS's error code with a message naming the parameter, and the valid form works. */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ durations: { createSnapshot: 50, createClusterSnapshot: 50 } });
  const seeds = [
    ['pg', 'postgres'],
    ['ora', 'oracle-ee'],
    ['mssql', 'sqlserver-se'],
  ] as const;
  for (const [id, engine] of seeds) {
    h.sim.seedInstance({
      DBInstanceIdentifier: id,
      Engine: engine,
      StorageType: 'gp3',
      AllocatedStorage: 100,
    });
    await h.rds.send(
      new CreateDBSnapshotCommand({ DBInstanceIdentifier: id, DBSnapshotIdentifier: `${id}-snap` }),
    );
  }
  h.sim.seedCluster({ DBClusterIdentifier: 'apg', Engine: 'aurora-postgresql', EngineVersion: '16.6' });
  await h.rds.send(
    new CreateDBClusterSnapshotCommand({
      DBClusterIdentifier: 'apg',
      DBClusterSnapshotIdentifier: 'apg-snap',
    }),
  );
  await waitFor(() => h.sim.snapshotState().snapshots.every((s) => s.Status === 'available'));
  await waitFor(() => h.sim.snapshotState().clusterSnapshots.every((s) => s.Status === 'available'));
});
afterAll(() => stopHarness(h));

let n = 0;
const restore = (snap: string, extra: Partial<RestoreDBInstanceFromDBSnapshotCommandInput> = {}) =>
  h.rds.send(
    new RestoreDBInstanceFromDBSnapshotCommand({
      DBInstanceIdentifier: `r${++n}`,
      DBSnapshotIdentifier: snap,
      ...extra,
    }),
  );
const available = (id: string) =>
  waitFor(async () => {
    const db = (await h.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id })))
      .DBInstances?.[0];
    return db?.DBInstanceStatus === 'available' ? db : undefined;
  });
const expectError = async (p: Promise<unknown>, code: string, param: string) => {
  const err = await errorOf(p);
  expect(err.code ?? err.name).toBe(code);
  expect(err.status).toBe(400);
  expect(err.message).toContain(param);
};

describe('RestoreDBInstanceFromDBSnapshot per-engine rules', () => {
  it('ManageMasterUserPassword applies to RDS for Oracle only; the KMS key only with it', async () => {
    await expectError(
      restore('pg-snap', { ManageMasterUserPassword: true }),
      'InvalidParameterCombination',
      'ManageMasterUserPassword',
    );
    await expectError(
      restore('ora-snap', { MasterUserSecretKmsKeyId: 'alias/k' }),
      'InvalidParameterCombination',
      'MasterUserSecretKmsKeyId',
    );
    const out = await restore('ora-snap', {
      ManageMasterUserPassword: true,
      MasterUserSecretKmsKeyId: 'alias/k',
    });
    expect(out.DBInstance?.MasterUserSecret).toMatchObject({
      SecretArn: expect.stringMatching(
        /^arn:aws:secretsmanager:us-east-1:000000000000:secret:rds!db-[0-9a-f-]{36}-[A-Za-z0-9]{6}$/,
      ),
      SecretStatus: 'creating',
      KmsKeyId: 'alias/k',
    });
    const db = await available(out.DBInstance!.DBInstanceIdentifier!);
    expect(db.MasterUserSecret?.SecretStatus).toBe('active');
  });

  it('AllocatedStorage is not valid for RDS for SQL Server', async () => {
    await expectError(
      restore('mssql-snap', { AllocatedStorage: 200 }),
      'InvalidParameterCombination',
      'AllocatedStorage',
    );
    const ok = await restore('mssql-snap', { StorageType: 'gp3' });
    expect(ok.DBInstance?.AllocatedStorage).toBe(100);
  });

  it('gp3 below the threshold (400 GiB; Oracle 200 GiB) refuses Iops/StorageThroughput and reports 3000/125', async () => {
    await expectError(
      restore('pg-snap', { StorageType: 'gp3', Iops: 12000 }),
      'InvalidParameterCombination',
      'storage size less than 400',
    );
    await expectError(
      restore('pg-snap', { StorageType: 'gp3', AllocatedStorage: 300, StorageThroughput: 500 }),
      'InvalidParameterCombination',
      'IOPS or storage throughput',
    );
    await expectError(
      restore('ora-snap', { StorageType: 'gp3', AllocatedStorage: 150, Iops: 12000 }),
      'InvalidParameterCombination',
      'less than 200',
    );
    const low = await restore('pg-snap', { StorageType: 'gp3' });
    expect(low.DBInstance).toMatchObject({ Iops: 3000, StorageThroughput: 125 });
    const ora = await restore('ora-snap', { StorageType: 'gp3', AllocatedStorage: 200, Iops: 15000 });
    expect(ora.DBInstance).toMatchObject({ AllocatedStorage: 200, Iops: 15000, StorageThroughput: 500 });
    const pgHigh = await restore('pg-snap', { StorageType: 'gp3', AllocatedStorage: 400 });
    expect(pgHigh.DBInstance).toMatchObject({ Iops: 12000, StorageThroughput: 500 });
    await expectError(
      restore('pg-snap', { StorageType: 'gp3', AllocatedStorage: 400, Iops: 5000 }),
      'InvalidParameterValue',
      'Iops',
    );
    // SQL Server has no threshold: IOPS can be provisioned at any size (3,000–16,000).
    const sql = await restore('mssql-snap', { StorageType: 'gp3', Iops: 4000, StorageThroughput: 200 });
    expect(sql.DBInstance).toMatchObject({ Iops: 4000, StorageThroughput: 200 });
  });

  it('io1 needs Iops between 0.5 and 50 times the storage (1–50 on SQL Server)', async () => {
    await expectError(
      restore('pg-snap', { StorageType: 'io1', Iops: 9000 }),
      'InvalidParameterCombination',
      'Iops',
    );
    const ok = await restore('pg-snap', { StorageType: 'io1', Iops: 5000 });
    expect(ok.DBInstance).toMatchObject({ StorageType: 'io1', Iops: 5000 });
    expect(ok.DBInstance?.StorageThroughput).toBeUndefined();
  });

  it('log export types are per engine', async () => {
    await expectError(
      restore('ora-snap', { EnableCloudwatchLogsExports: ['postgresql'] }),
      'InvalidParameterCombination',
      'EnableCloudwatchLogsExports',
    );
    await expectError(
      restore('mssql-snap', { EnableCloudwatchLogsExports: ['alert'] }),
      'InvalidParameterCombination',
      'agent, error',
    );
    const ora = await restore('ora-snap', {
      EnableCloudwatchLogsExports: ['alert', 'audit', 'listener', 'trace', 'oemagent'],
    });
    expect(ora.DBInstance?.EnabledCloudwatchLogsExports).toHaveLength(5);
    const sql = await restore('mssql-snap', { EnableCloudwatchLogsExports: ['agent', 'error'] });
    expect(sql.DBInstance?.EnabledCloudwatchLogsExports).toEqual(['agent', 'error']);
  });

  it('LicenseModel is per engine', async () => {
    await expectError(
      restore('pg-snap', { LicenseModel: 'license-included' }),
      'InvalidParameterValue',
      'LicenseModel',
    );
    const ora = await restore('ora-snap', { LicenseModel: 'bring-your-own-license' });
    expect(ora.DBInstance?.LicenseModel).toBe('bring-your-own-license');
  });

  it('EngineLifecycleSupport: RDS for MySQL/PostgreSQL only, documented values, default enrols in Extended Support', async () => {
    await expectError(
      restore('ora-snap', { EngineLifecycleSupport: 'open-source-rds-extended-support-disabled' }),
      'InvalidParameterCombination',
      'EngineLifecycleSupport',
    );
    await expectError(
      restore('pg-snap', { EngineLifecycleSupport: 'extended' }),
      'InvalidParameterValue',
      'EngineLifecycleSupport',
    );
    const def = await restore('pg-snap');
    expect(def.DBInstance?.EngineLifecycleSupport).toBe('open-source-rds-extended-support');
    const off = await restore('pg-snap', {
      EngineLifecycleSupport: 'open-source-rds-extended-support-disabled',
    });
    expect(off.DBInstance?.EngineLifecycleSupport).toBe('open-source-rds-extended-support-disabled');
    expect((await restore('ora-snap')).DBInstance?.EngineLifecycleSupport).toBeUndefined();
  });

  it('NetworkType IPV4 | DUAL, Port 1150-65535, no AvailabilityZone with MultiAZ', async () => {
    await expectError(restore('pg-snap', { NetworkType: 'IPV6' }), 'InvalidParameterValue', 'NetworkType');
    await expectError(restore('pg-snap', { Port: 80 }), 'InvalidParameterValue', 'Port');
    await expectError(
      restore('pg-snap', { MultiAZ: true, AvailabilityZone: 'us-east-1a' }),
      'InvalidParameterCombination',
      'AvailabilityZone',
    );
    expect((await restore('pg-snap', { NetworkType: 'DUAL' })).DBInstance?.NetworkType).toBe('DUAL');
  });
});

describe('CreateDBInstance / ModifyDBInstance per-engine rules', () => {
  it('no Multi-AZ for SQL Server Express; no Active Directory domain for MariaDB; storage size ranges', async () => {
    const base = { DBInstanceClass: 'db.t3.micro', AllocatedStorage: 20, MasterUsername: 'admin' };
    await expectError(
      h.rds.send(
        new CreateDBInstanceCommand({
          ...base,
          DBInstanceIdentifier: 'ex',
          Engine: 'sqlserver-ex',
          MultiAZ: true,
        }),
      ),
      'InvalidParameterCombination',
      'MultiAZ',
    );
    await expectError(
      h.rds.send(
        new CreateDBInstanceCommand({
          ...base,
          DBInstanceIdentifier: 'maria',
          Engine: 'mariadb',
          Domain: 'd-123',
        }),
      ),
      'InvalidParameterCombination',
      'Domain',
    );
    await expectError(
      h.rds.send(
        new CreateDBInstanceCommand({
          ...base,
          DBInstanceIdentifier: 'small',
          Engine: 'postgres',
          StorageType: 'io1',
          Iops: 1000,
        }),
      ),
      'InvalidParameterValue',
      'AllocatedStorage must be from 100',
    );
    const web = await h.rds.send(
      new CreateDBInstanceCommand({
        ...base,
        DBInstanceIdentifier: 'web',
        Engine: 'sqlserver-web',
        MultiAZ: true,
      }),
    );
    expect(web.DBInstance).toMatchObject({
      MultiAZ: true,
      StorageType: 'gp3',
      Iops: 3000,
      StorageThroughput: 125,
    });
  });

  it('DatabaseInsightsMode advanced needs Performance Insights with 465 days; retention values are documented', async () => {
    h.sim.seedInstance({ DBInstanceIdentifier: 'dbi', Engine: 'postgres' });
    await expectError(
      h.rds.send(
        new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'dbi', DatabaseInsightsMode: 'advanced' }),
      ),
      'InvalidParameterCombination',
      'DatabaseInsightsMode',
    );
    await expectError(
      h.rds.send(
        new ModifyDBInstanceCommand({
          DBInstanceIdentifier: 'dbi',
          EnablePerformanceInsights: true,
          PerformanceInsightsRetentionPeriod: 94,
        }),
      ),
      'InvalidParameterValue',
      'PerformanceInsightsRetentionPeriod',
    );
    await h.rds.send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: 'dbi',
        ApplyImmediately: true,
        DatabaseInsightsMode: 'advanced',
        EnablePerformanceInsights: true,
        PerformanceInsightsRetentionPeriod: 465,
      }),
    );
    expect(await available('dbi')).toMatchObject({
      DatabaseInsightsMode: 'advanced',
      PerformanceInsightsEnabled: true,
      PerformanceInsightsRetentionPeriod: 465,
    });
  });

  it('Aurora DB instances inherit DatabaseInsightsMode, EngineLifecycleSupport and the password from the cluster', async () => {
    h.sim.seedCluster({
      DBClusterIdentifier: 'member-c',
      Engine: 'aurora-mysql',
      members: [{ DBInstanceIdentifier: 'member-1' }],
    });
    for (const [param, value] of [
      ['DatabaseInsightsMode', 'standard'],
      ['EngineLifecycleSupport', 'open-source-rds-extended-support'],
      ['MasterUserPassword', 'secret-123'],
    ] as const) {
      await expectError(
        h.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'member-1', [param]: value })),
        'InvalidParameterCombination',
        param,
      );
    }
  });

  it('MasterUserPassword: exclusive with ManageMasterUserPassword, per-engine length, kept but never described', async () => {
    h.sim.seedInstance({ DBInstanceIdentifier: 'pw', Engine: 'oracle-se2' });
    await expectError(
      h.rds.send(
        new ModifyDBInstanceCommand({
          DBInstanceIdentifier: 'pw',
          MasterUserPassword: 'abcdefgh1',
          ManageMasterUserPassword: true,
        }),
      ),
      'InvalidParameterCombination',
      'MasterUserPassword',
    );
    await expectError(
      h.rds.send(
        new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'pw', MasterUserPassword: 'x'.repeat(31) }),
      ),
      'InvalidParameterValue',
      'MasterUserPassword',
    );
    const out = await h.rds.send(
      new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'pw', MasterUserPassword: 'n3w-Passw0rd' }),
    );
    expect(out.DBInstance?.PendingModifiedValues?.MasterUserPassword).toBe('****');
    const db = await available('pw');
    expect(JSON.stringify(db)).not.toContain('n3w-Passw0rd');
    expect(h.sim.masterUserPassword('instance', 'pw')).toBe('n3w-Passw0rd');
    await expectError(
      h.rds.send(
        new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'pw', MasterUserSecretKmsKeyId: 'alias/x' }),
      ),
      'InvalidParameterCombination',
      'MasterUserSecretKmsKeyId',
    );
  });

  it('gp3 modify: no Iops below the threshold, no shrinking, Iops with more io1 storage', async () => {
    h.sim.seedInstance({
      DBInstanceIdentifier: 'st',
      Engine: 'mysql',
      StorageType: 'gp3',
      AllocatedStorage: 100,
    });
    await expectError(
      h.rds.send(
        new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'st', Iops: 12000, ApplyImmediately: true }),
      ),
      'InvalidParameterCombination',
      'IOPS',
    );
    await expectError(
      h.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'st', AllocatedStorage: 50 })),
      'InvalidParameterValue',
      'AllocatedStorage',
    );
    h.sim.seedInstance({
      DBInstanceIdentifier: 'pio',
      Engine: 'mysql',
      StorageType: 'io1',
      AllocatedStorage: 100,
      Iops: 3000,
    });
    await expectError(
      h.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'pio', AllocatedStorage: 200 })),
      'InvalidParameterCombination',
      'Iops',
    );
    await h.rds.send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: 'st',
        AllocatedStorage: 400,
        ApplyImmediately: true,
      }),
    );
    expect(await available('st')).toMatchObject({
      AllocatedStorage: 400,
      Iops: 12000,
      StorageThroughput: 500,
    });
  });
});

describe('cluster rules', () => {
  const cluster = async (id: string) =>
    (await h.rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id }))).DBClusters?.[0];
  let m = 0;
  const restoreCluster = (extra: Record<string, unknown> = {}) =>
    h.rds.send(
      new RestoreDBClusterFromSnapshotCommand({
        DBClusterIdentifier: `c${++m}`,
        SnapshotIdentifier: 'apg-snap',
        Engine: 'aurora-postgresql',
        EngineVersion: '16.6',
        ...extra,
      }),
    );

  it('restore: Aurora storage types, Aurora-only and Multi-AZ-only parameters, log types, Serverless v2 ranges', async () => {
    await expectError(restoreCluster({ StorageType: 'gp3' }), 'InvalidParameterValue', 'StorageType');
    await expectError(
      restoreCluster({ DBClusterInstanceClass: 'db.m6gd.large' }),
      'InvalidParameterCombination',
      'DBClusterInstanceClass',
    );
    await expectError(
      restoreCluster({ EnableCloudwatchLogsExports: ['upgrade'] }),
      'InvalidParameterCombination',
      'EnableCloudwatchLogsExports',
    );
    await expectError(
      restoreCluster({
        ServerlessV2ScalingConfiguration: { MinCapacity: 0, MaxCapacity: 4 },
        EngineVersion: '15.4',
      }),
      'InvalidParameterValue',
      'MinCapacity',
    );
    await expectError(
      restoreCluster({
        ServerlessV2ScalingConfiguration: { MinCapacity: 0, MaxCapacity: 4, SecondsUntilAutoPause: 60 },
      }),
      'InvalidParameterValue',
      'SecondsUntilAutoPause',
    );
    await expectError(restoreCluster({ BacktrackWindow: 3600 }), 'InvalidParameterValue', 'BacktrackWindow');
    const ok = await restoreCluster({
      StorageType: 'aurora-iopt1',
      EnableCloudwatchLogsExports: ['postgresql', 'instance'],
      ServerlessV2ScalingConfiguration: { MinCapacity: 0, MaxCapacity: 4, SecondsUntilAutoPause: 600 },
    });
    expect(ok.DBCluster).toMatchObject({
      StorageType: 'aurora-iopt1',
      EngineLifecycleSupport: 'open-source-rds-extended-support',
      ServerlessV2ScalingConfiguration: { MinCapacity: 0, MaxCapacity: 4, SecondsUntilAutoPause: 600 },
    });
  });

  it('modify: Data API is not a ModifyDBCluster setting for provisioned clusters; monitoring is Multi-AZ only', async () => {
    h.sim.seedCluster({ DBClusterIdentifier: 'prov', Engine: 'aurora-postgresql', EngineVersion: '16.6' });
    await expectError(
      h.rds.send(new ModifyDBClusterCommand({ DBClusterIdentifier: 'prov', EnableHttpEndpoint: true })),
      'InvalidParameterCombination',
      'EnableHttpEndpoint',
    );
    await expectError(
      h.rds.send(
        new ModifyDBClusterCommand({
          DBClusterIdentifier: 'prov',
          MonitoringInterval: 60,
          MonitoringRoleArn: 'arn:aws:iam::000000000000:role/mon',
        }),
      ),
      'InvalidParameterCombination',
      'MonitoringInterval',
    );
    await expectError(
      h.rds.send(
        new ModifyDBClusterCommand({ DBClusterIdentifier: 'prov', DatabaseInsightsMode: 'advanced' }),
      ),
      'InvalidParameterCombination',
      'DatabaseInsightsMode',
    );
    const out = await h.rds.send(
      new EnableHttpEndpointCommand({ ResourceArn: 'arn:aws:rds:us-east-1:000000000000:cluster:prov' }),
    );
    expect(out.HttpEndpointEnabled).toBe(true);
    expect((await cluster('prov'))?.HttpEndpointEnabled).toBe(true);
    h.sim.seedCluster({ DBClusterIdentifier: 'old-apg', Engine: 'aurora-postgresql', EngineVersion: '13.7' });
    await expectError(
      h.rds.send(
        new EnableHttpEndpointCommand({ ResourceArn: 'arn:aws:rds:us-east-1:000000000000:cluster:old-apg' }),
      ),
      'InvalidParameterValue',
      'EnableHttpEndpoint',
    );
    await h.rds.send(
      new ModifyDBClusterCommand({
        DBClusterIdentifier: 'prov',
        ApplyImmediately: true,
        DatabaseInsightsMode: 'advanced',
        EnablePerformanceInsights: true,
        PerformanceInsightsRetentionPeriod: 465,
      }),
    );
    const c = await waitFor(async () => {
      const x = await cluster('prov');
      return x?.Status === 'available' ? x : undefined;
    });
    expect(c).toMatchObject({ DatabaseInsightsMode: 'advanced', PerformanceInsightsRetentionPeriod: 465 });
  });

  it('a failed cluster restore emits RDS-EVENT-0354', async () => {
    h.sim.faults.add({
      kind: 'async-failure',
      operation: 'RestoreDBClusterFromSnapshot',
      status: 'incompatible-restore',
    });
    await h.rds.send(
      new RestoreDBClusterFromSnapshotCommand({
        DBClusterIdentifier: 'doomed',
        SnapshotIdentifier: 'apg-snap',
        Engine: 'aurora-postgresql',
      }),
    );
    await waitFor(() => eventIds(h.events, 'doomed').includes('RDS-EVENT-0354'));
    const ev = h.events.find((e) => e.detail.EventID === 'RDS-EVENT-0354');
    expect(ev).toMatchObject({
      'detail-type': 'RDS DB Cluster Event',
      detail: { EventCategories: ['failure'], SourceType: 'CLUSTER' },
    });
    expect(ev?.detail.Message).toContain(
      "You can't create the DB cluster because of incompatible resources.",
    );
    expect((await cluster('doomed'))?.Status).toBe('incompatible-restore');
  });
});
