import {
  AddRoleToDBClusterCommand,
  AddRoleToDBInstanceCommand,
  CreateDBClusterEndpointCommand,
  CreateDBClusterSnapshotCommand,
  CreateDBSnapshotCommand,
  DeleteDBClusterCommand,
  DeleteDBClusterEndpointCommand,
  DeleteDBInstanceCommand,
  DescribeDBClusterEndpointsCommand,
  DescribeDBClustersCommand,
  DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBInstancesCommand,
  DescribeGlobalClustersCommand,
  ModifyDBClusterCommand,
  ModifyDBInstanceCommand,
  RemoveRoleFromDBInstanceCommand,
  RestoreDBClusterFromSnapshotCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
  StartDBInstanceAutomatedBackupsReplicationCommand,
} from '@aws-sdk/client-rds';
import { DEMO_CLUSTER, DEMO_CLUSTER_MEMBERS, DEMO_INSTANCE } from '../../src/demo-seed';
import { errorOf, type Harness, startHarness, stopHarness, waitFor } from './helpers';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    durations: {
      createSnapshot: 50,
      createClusterSnapshot: 50,
      renameGap: 20,
      renameRenaming: 20,
      renameRebooting: 20,
      // 10 simulated s is 10 ms here: a loaded machine (npm test, two workers) saw ACTIVE before reading PENDING
      associateRole: 300,
    },
  });
});
afterAll(() => stopHarness(h));

const instance = async (id: string) =>
  (await h.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances?.[0];
const availableInstance = (id: string) =>
  waitFor(async () => {
    const db = await instance(id).catch(() => undefined);
    return db?.DBInstanceStatus === 'available' ? db : undefined;
  });
const cluster = async (id: string) =>
  (await h.rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id }))).DBClusters?.[0];
const availableCluster = (id: string) =>
  waitFor(async () => {
    const c = await cluster(id).catch(() => undefined);
    return c?.Status === 'available' ? c : undefined;
  });

describe('DB instance fields', () => {
  it('restore carries NetworkType, domain, lifecycle, DLV, processor features and backup target; describe and rename keep them', async () => {
    h.sim.seedInstance({
      DBInstanceIdentifier: 'src',
      Engine: 'postgres',
      StorageType: 'gp3',
      AllocatedStorage: 50,
    });
    await h.rds.send(
      new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'src', DBSnapshotIdentifier: 'src-snap' }),
    );
    await waitFor(() => h.sim.snapshotState().snapshots[0]?.Status === 'available');
    await h.rds.send(
      new RestoreDBInstanceFromDBSnapshotCommand({
        DBInstanceIdentifier: 'copy',
        DBSnapshotIdentifier: 'src-snap',
        NetworkType: 'DUAL',
        Domain: 'd-1234567890',
        DomainIAMRoleName: 'rds-directory-role',
        EngineLifecycleSupport: 'open-source-rds-extended-support-disabled',
        DedicatedLogVolume: true,
        ProcessorFeatures: [{ Name: 'coreCount', Value: '2' }],
        BackupTarget: 'region',
      }),
    );
    const fields = {
      NetworkType: 'DUAL',
      DomainMemberships: [{ Domain: 'd-1234567890', IAMRoleName: 'rds-directory-role', Status: 'joined' }],
      EngineLifecycleSupport: 'open-source-rds-extended-support-disabled',
      DedicatedLogVolume: true,
      ProcessorFeatures: [{ Name: 'coreCount', Value: '2' }],
      BackupTarget: 'region',
      DatabaseInsightsMode: 'standard',
      AssociatedRoles: [],
      StorageType: 'gp3',
      AllocatedStorage: 50,
      Iops: 3000,
      StorageThroughput: 125,
    };
    expect(await availableInstance('copy')).toMatchObject(fields);
    await h.rds.send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: 'copy',
        ManageMasterUserPassword: true,
        ApplyImmediately: true,
      }),
    );
    const managed = await availableInstance('copy');
    const secret = managed.MasterUserSecret;
    expect(secret).toMatchObject({
      SecretStatus: 'active',
      SecretArn: expect.stringContaining(':secret:rds!db-'),
    });
    await h.rds.send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: 'copy',
        NewDBInstanceIdentifier: 'copy-old',
        ApplyImmediately: true,
      }),
    );
    const renamed = await availableInstance('copy-old');
    expect(renamed).toMatchObject({ ...fields, MasterUserSecret: secret });
    expect(h.sim.snapshotState().secrets).toContain(secret?.SecretArn);
    await h.rds.send(
      new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'copy-old', SkipFinalSnapshot: true }),
    );
    await waitFor(() => !h.sim.snapshotState().secrets.includes(secret!.SecretArn!));
  });

  it('AddRoleToDBInstance / RemoveRoleFromDBInstance with per-engine feature names', async () => {
    h.sim.seedInstance({ DBInstanceIdentifier: 'roles', Engine: 'postgres' });
    h.sim.seedInstance({ DBInstanceIdentifier: 'roles-my', Engine: 'mysql' });
    const role = 'arn:aws:iam::000000000000:role/s3-import';
    await h.rds.send(
      new AddRoleToDBInstanceCommand({
        DBInstanceIdentifier: 'roles',
        RoleArn: role,
        FeatureName: 's3Import',
      }),
    );
    expect((await instance('roles'))?.AssociatedRoles).toEqual([
      { RoleArn: role, FeatureName: 's3Import', Status: 'PENDING' },
    ]);
    await waitFor(async () => (await instance('roles'))?.AssociatedRoles?.[0]?.Status === 'ACTIVE');
    expect(
      await errorOf(
        h.rds.send(
          new AddRoleToDBInstanceCommand({
            DBInstanceIdentifier: 'roles',
            RoleArn: role,
            FeatureName: 's3Import',
          }),
        ),
      ),
    ).toMatchObject({ name: 'DBInstanceRoleAlreadyExistsFault', status: 400 });
    const mysql = await errorOf(
      h.rds.send(
        new AddRoleToDBInstanceCommand({
          DBInstanceIdentifier: 'roles-my',
          RoleArn: role,
          FeatureName: 's3Import',
        }),
      ),
    );
    expect(mysql).toMatchObject({ code: 'InvalidParameterValue' });
    expect(mysql.message).toContain('s3Import');
    await h.rds.send(
      new RemoveRoleFromDBInstanceCommand({
        DBInstanceIdentifier: 'roles',
        RoleArn: role,
        FeatureName: 's3Import',
      }),
    );
    expect((await instance('roles'))?.AssociatedRoles).toEqual([]);
    expect(
      await errorOf(
        h.rds.send(
          new RemoveRoleFromDBInstanceCommand({
            DBInstanceIdentifier: 'roles',
            RoleArn: role,
            FeatureName: 's3Import',
          }),
        ),
      ),
    ).toMatchObject({ name: 'DBInstanceRoleNotFoundFault', status: 404 });
  });

  it('StartDBInstanceAutomatedBackupsReplication replicates to the destination Region and is described', async () => {
    h.sim.seedInstance({ DBInstanceIdentifier: 'bk', Engine: 'postgres', BackupRetentionPeriod: 7 });
    h.sim.seedInstance({ DBInstanceIdentifier: 'bk-enc', Engine: 'postgres', StorageEncrypted: true });
    const enc = await errorOf(
      h.rds.send(
        new StartDBInstanceAutomatedBackupsReplicationCommand({
          SourceDBInstanceArn: 'arn:aws:rds:us-east-1:000000000000:db:bk-enc',
        }),
      ),
    );
    expect(enc).toMatchObject({ code: 'InvalidParameterCombination' });
    expect(enc.message).toContain('KmsKeyId');
    const out = await h.rds.send(
      new StartDBInstanceAutomatedBackupsReplicationCommand({
        SourceDBInstanceArn: 'arn:aws:rds:us-east-1:000000000000:db:bk',
        BackupRetentionPeriod: 14,
      }),
    );
    const arn = out.DBInstanceAutomatedBackup?.DBInstanceAutomatedBackupsArn;
    expect(arn).toMatch(/^arn:aws:rds:us-west-2:000000000000:auto-backup:ab-[a-z0-9]{26}$/);
    expect((await instance('bk'))?.DBInstanceAutomatedBackupsReplications).toEqual([
      { DBInstanceAutomatedBackupsArn: arn },
    ]);
    const list = await h.rds.send(
      new DescribeDBInstanceAutomatedBackupsCommand({ DBInstanceAutomatedBackupsArn: arn }),
    );
    expect(list.DBInstanceAutomatedBackups).toHaveLength(1);
    expect(list.DBInstanceAutomatedBackups?.[0]).toMatchObject({
      DBInstanceAutomatedBackupsArn: arn,
      Region: 'us-east-1',
      BackupRetentionPeriod: 14,
      Status: 'pending',
    });
    // By instance: the local automated backups of the current instance (active), then the replicated ones.
    const byInstance = await h.rds.send(
      new DescribeDBInstanceAutomatedBackupsCommand({ DBInstanceIdentifier: 'bk' }),
    );
    expect(
      byInstance.DBInstanceAutomatedBackups?.map((b) => [b.Status, b.DBInstanceAutomatedBackupsArn]),
    ).toEqual([
      ['active', expect.stringMatching(/^arn:aws:rds:us-east-1:000000000000:auto-backup:ab-[a-z0-9]{26}$/)],
      ['pending', arn],
    ]);
  });

  it('seeds a read replica of a cluster', async () => {
    h.sim.seedInstance({
      DBInstanceIdentifier: 'rr',
      Engine: 'mysql',
      ReadReplicaSourceDBClusterIdentifier: 'arn:aws:rds:us-east-1:000000000000:cluster:maz',
    });
    expect((await instance('rr'))?.ReadReplicaSourceDBClusterIdentifier).toBe(
      'arn:aws:rds:us-east-1:000000000000:cluster:maz',
    );
  });
});

describe('DB cluster fields', () => {
  it('restore with I/O-Optimized storage, roles, DUAL, PI; managed password, custom endpoints; rename keeps them; delete removes them', async () => {
    h.sim.seedCluster({
      DBClusterIdentifier: 'apg',
      Engine: 'aurora-postgresql',
      EngineVersion: '16.6',
      members: [{ DBInstanceIdentifier: 'apg-1' }, { DBInstanceIdentifier: 'apg-2' }],
    });
    await h.rds.send(
      new CreateDBClusterSnapshotCommand({
        DBClusterIdentifier: 'apg',
        DBClusterSnapshotIdentifier: 'apg-snap',
      }),
    );
    await waitFor(() => h.sim.snapshotState().clusterSnapshots[0]?.Status === 'available');
    const role = { RoleArn: 'arn:aws:iam::000000000000:role/s3', FeatureName: 's3Import' };
    await h.rds.send(
      new RestoreDBClusterFromSnapshotCommand({
        DBClusterIdentifier: 'apg-copy',
        SnapshotIdentifier: 'apg-snap',
        Engine: 'aurora-postgresql',
        EngineVersion: '16.6',
        StorageType: 'aurora-iopt1',
        NetworkType: 'DUAL',
        AssociatedRoles: [role],
        EnablePerformanceInsights: true,
        PerformanceInsightsRetentionPeriod: 465,
        EngineLifecycleSupport: 'open-source-rds-extended-support-disabled',
        Domain: 'd-1234567890',
        DomainIAMRoleName: 'dir-role',
      }),
    );
    const restored = await availableCluster('apg-copy');
    const fields = {
      StorageType: 'aurora-iopt1',
      NetworkType: 'DUAL',
      AssociatedRoles: [{ ...role, Status: 'ACTIVE' }],
      PerformanceInsightsEnabled: true,
      PerformanceInsightsRetentionPeriod: 465,
      EngineLifecycleSupport: 'open-source-rds-extended-support-disabled',
      DomainMemberships: [{ Domain: 'd-1234567890', IAMRoleName: 'dir-role' }],
      HttpEndpointEnabled: false,
    };
    expect(restored).toMatchObject(fields);
    await h.rds.send(
      new ModifyDBClusterCommand({
        DBClusterIdentifier: 'apg',
        ManageMasterUserPassword: true,
        ApplyImmediately: true,
      }),
    );
    const managed = await availableCluster('apg');
    expect(managed.MasterUserSecret?.SecretArn).toMatch(/:secret:rds!cluster-[0-9a-f-]{36}-[A-Za-z0-9]{6}$/);
    await h.rds.send(
      new AddRoleToDBClusterCommand({
        DBClusterIdentifier: 'apg',
        RoleArn: 'arn:aws:iam::000000000000:role/lambda',
        FeatureName: 'Lambda',
      }),
    );
    const ep = await h.rds.send(
      new CreateDBClusterEndpointCommand({
        DBClusterIdentifier: 'apg',
        DBClusterEndpointIdentifier: 'analytics',
        EndpointType: 'READER',
        StaticMembers: ['apg-2'],
        Tags: [{ Key: 'team', Value: 'bi' }],
      }),
    );
    expect(ep).toMatchObject({
      Status: 'creating',
      EndpointType: 'CUSTOM',
      CustomEndpointType: 'READER',
      StaticMembers: ['apg-2'],
    });
    expect(ep.Endpoint).toMatch(/^analytics\.cluster-custom-[a-z0-9]+\.us-east-1\.rds\.amazonaws\.com$/);
    await waitFor(async () => {
      const all = await h.rds.send(new DescribeDBClusterEndpointsCommand({ DBClusterIdentifier: 'apg' }));
      return (
        all.DBClusterEndpoints?.find((e) => e.DBClusterEndpointIdentifier === 'analytics')?.Status ===
        'available'
      );
    });
    const all = await h.rds.send(new DescribeDBClusterEndpointsCommand({ DBClusterIdentifier: 'apg' }));
    expect(all.DBClusterEndpoints?.map((e) => e.EndpointType)).toEqual(['WRITER', 'READER', 'CUSTOM']);
    expect(
      await errorOf(
        h.rds.send(
          new CreateDBClusterEndpointCommand({
            DBClusterIdentifier: 'apg',
            DBClusterEndpointIdentifier: 'analytics',
            EndpointType: 'ANY',
          }),
        ),
      ),
    ).toMatchObject({ name: 'DBClusterEndpointAlreadyExistsFault' });
    expect((await cluster('apg'))?.CustomEndpoints).toEqual([ep.Endpoint]);
    await h.rds.send(
      new ModifyDBClusterCommand({
        DBClusterIdentifier: 'apg',
        NewDBClusterIdentifier: 'apg-old',
        ApplyImmediately: true,
      }),
    );
    const renamed = await availableCluster('apg-old');
    expect(renamed).toMatchObject({
      CustomEndpoints: [ep.Endpoint],
      MasterUserSecret: managed.MasterUserSecret,
    });
    expect(renamed.AssociatedRoles?.[0]?.RoleArn).toBe('arn:aws:iam::000000000000:role/lambda');
    const moved = await h.rds.send(
      new DescribeDBClusterEndpointsCommand({ DBClusterEndpointIdentifier: 'analytics' }),
    );
    expect(moved.DBClusterEndpoints?.[0]?.DBClusterIdentifier).toBe('apg-old');
    await h.rds.send(new DeleteDBClusterEndpointCommand({ DBClusterEndpointIdentifier: 'analytics' }));
    await waitFor(() => h.sim.snapshotState().clusterEndpoints.length === 0);
    await h.rds.send(
      new CreateDBClusterEndpointCommand({
        DBClusterIdentifier: 'apg-old',
        DBClusterEndpointIdentifier: 'any-ep',
        EndpointType: 'ANY',
      }),
    );
    for (const m of ['apg-1', 'apg-2'])
      await h.rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: m, SkipFinalSnapshot: true }));
    await h.rds.send(new DeleteDBClusterCommand({ DBClusterIdentifier: 'apg-old', SkipFinalSnapshot: true }));
    await waitFor(() => !h.sim.snapshotState().clusters.some((c) => c.DBClusterIdentifier === 'apg-old'));
    expect(h.sim.snapshotState().clusterEndpoints).toEqual([]);
    expect(h.sim.snapshotState().secrets).not.toContain(managed.MasterUserSecret?.SecretArn);
  });

  it('seeds global database members, cross-Region replicas and Multi-AZ DB clusters', async () => {
    h.sim.seedGlobalCluster({
      GlobalClusterIdentifier: 'orders-global',
      Engine: 'aurora-mysql',
      GlobalClusterMembers: [
        {
          DBClusterArn: 'arn:aws:rds:eu-west-1:000000000000:cluster:orders-eu',
          Readers: [],
          IsWriter: false,
        },
      ],
    });
    h.sim.seedCluster({
      DBClusterIdentifier: 'orders-us',
      Engine: 'aurora-mysql',
      GlobalClusterIdentifier: 'orders-global',
    });
    h.sim.seedCluster({
      DBClusterIdentifier: 'orders-replica',
      Engine: 'aurora-mysql',
      ReplicationSourceIdentifier: 'arn:aws:rds:eu-west-1:000000000000:cluster:orders-eu',
    });
    h.sim.seedCluster({
      DBClusterIdentifier: 'maz',
      Engine: 'postgres',
      DBClusterInstanceClass: 'db.m6gd.large',
      Iops: 1000,
      AllocatedStorage: 100,
    });
    expect(await cluster('orders-us')).toMatchObject({ GlobalClusterIdentifier: 'orders-global' });
    expect(await cluster('orders-replica')).toMatchObject({
      ReplicationSourceIdentifier: 'arn:aws:rds:eu-west-1:000000000000:cluster:orders-eu',
    });
    expect(await cluster('maz')).toMatchObject({
      DBClusterInstanceClass: 'db.m6gd.large',
      StorageType: 'io1',
      MultiAZ: true,
    });
    const g = await h.rds.send(
      new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: 'orders-global' }),
    );
    expect(g.GlobalClusters?.[0]?.GlobalClusterMembers?.map((m) => [m.DBClusterArn, m.IsWriter])).toEqual([
      ['arn:aws:rds:us-east-1:000000000000:cluster:orders-us', true],
      ['arn:aws:rds:eu-west-1:000000000000:cluster:orders-eu', false],
    ]);
  });

  it('the demo seed is valid and shows the new fields', async () => {
    h.sim.seedInstance(DEMO_INSTANCE);
    h.sim.seedCluster({ ...DEMO_CLUSTER, members: [] });
    for (const m of DEMO_CLUSTER_MEMBERS) h.sim.seedInstance(m);
    const db = await instance('demo-db');
    expect(db?.Iops).toBe(3000);
    expect(await cluster('demo-cluster')).toMatchObject({ Engine: 'aurora-postgresql' });
  });
});
