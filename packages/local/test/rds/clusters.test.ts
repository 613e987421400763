import {
  CreateDBClusterSnapshotCommand,
  CreateDBInstanceCommand,
  DeleteDBClusterCommand,
  DeleteDBClusterSnapshotCommand,
  DeleteDBInstanceCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  ModifyDBClusterCommand,
  RestoreDBClusterFromSnapshotCommand,
} from '@aws-sdk/client-rds';
import { errorOf, eventIds, type Harness, startHarness, stopHarness, waitFor } from './helpers';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ durations: { createClusterSnapshot: 100, renameCluster: 200 } });
  h.sim.seedCluster({
    DBClusterIdentifier: 'aurora-prod',
    Engine: 'aurora-postgresql',
    EngineVersion: '15.4',
    DBClusterParameterGroup: 'prod-apg15',
    DeletionProtection: true,
    CopyTagsToSnapshot: true,
    TagList: [{ Key: 'team', Value: 'core' }],
    members: [
      { DBInstanceIdentifier: 'aurora-prod-1', DBInstanceClass: 'db.r6g.large', PromotionTier: 0 },
      { DBInstanceIdentifier: 'aurora-prod-2', DBInstanceClass: 'db.r6g.xlarge', PromotionTier: 2 },
    ],
  });
});
afterAll(() => stopHarness(h));

const cluster = async (id: string) =>
  (await h.rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id }))).DBClusters?.[0];
const availableCluster = (id: string) =>
  waitFor(async () => {
    const c = await cluster(id).catch(() => undefined);
    return c?.Status === 'available' ? c : undefined;
  });

describe('Aurora clusters', () => {
  it('describes a seeded cluster with its members, writer first', async () => {
    const c = await cluster('aurora-prod');
    expect(c).toMatchObject({
      DBClusterArn: 'arn:aws:rds:us-east-1:000000000000:cluster:aurora-prod',
      Engine: 'aurora-postgresql',
      EngineVersion: '15.4',
      DBClusterParameterGroup: 'prod-apg15',
      Status: 'available',
      DeletionProtection: true,
      DBClusterMembers: [
        { DBInstanceIdentifier: 'aurora-prod-1', IsClusterWriter: true, PromotionTier: 0 },
        { DBInstanceIdentifier: 'aurora-prod-2', IsClusterWriter: false, PromotionTier: 2 },
      ],
      TagList: [{ Key: 'team', Value: 'core' }],
    });
    expect(c?.Endpoint).toMatch(/^aurora-prod\.cluster-[a-z0-9]+\.us-east-1\.rds\.amazonaws\.com$/);
    expect(c?.DbClusterResourceId).toMatch(/^cluster-/);
    const members = await h.rds.send(
      new DescribeDBInstancesCommand({ Filters: [{ Name: 'db-cluster-id', Values: ['aurora-prod'] }] }),
    );
    expect(
      members.DBInstances?.map((i) => [i.DBInstanceIdentifier, i.DBInstanceClass, i.DBClusterIdentifier]),
    ).toEqual([
      ['aurora-prod-1', 'db.r6g.large', 'aurora-prod'],
      ['aurora-prod-2', 'db.r6g.xlarge', 'aurora-prod'],
    ]);
  });

  it('refuses to delete a cluster with deletion protection or with members', async () => {
    expect(
      await errorOf(
        h.rds.send(
          new DeleteDBClusterCommand({ DBClusterIdentifier: 'aurora-prod', SkipFinalSnapshot: true }),
        ),
      ),
    ).toMatchObject({ name: 'InvalidParameterCombination' });
    await h.rds.send(
      new ModifyDBClusterCommand({ DBClusterIdentifier: 'aurora-prod', DeletionProtection: false }),
    );
    expect(
      await errorOf(
        h.rds.send(
          new DeleteDBClusterCommand({ DBClusterIdentifier: 'aurora-prod', SkipFinalSnapshot: true }),
        ),
      ),
    ).toMatchObject({ name: 'InvalidDBClusterStateFault' });
    expect(await errorOf(cluster('missing'))).toMatchObject({ name: 'DBClusterNotFoundFault', status: 404 });
  });

  it('snapshots a cluster with 0074/0075 and copies the cluster tags', async () => {
    const out = await h.rds.send(
      new CreateDBClusterSnapshotCommand({
        DBClusterIdentifier: 'aurora-prod',
        DBClusterSnapshotIdentifier: 'aurora-prod-snap',
      }),
    );
    expect(out.DBClusterSnapshot?.Status).toBe('creating');
    expect((await cluster('aurora-prod'))?.Status).toBe('backing-up');
    const snap = await waitFor(async () => {
      const s = (
        await h.rds.send(
          new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: 'aurora-prod-snap' }),
        )
      ).DBClusterSnapshots?.[0];
      return s?.Status === 'available' ? s : undefined;
    });
    expect(snap).toMatchObject({
      DBClusterIdentifier: 'aurora-prod',
      EngineVersion: '15.4',
      SnapshotType: 'manual',
      PercentProgress: 100,
      TagList: [{ Key: 'team', Value: 'core' }],
    });
    expect(eventIds(h.events, 'aurora-prod-snap')).toEqual(['RDS-EVENT-0074', 'RDS-EVENT-0075']);
    expect(h.events.find((e) => e.detail.EventID === 'RDS-EVENT-0075')).toMatchObject({
      'detail-type': 'RDS DB Cluster Snapshot Event',
      detail: { SourceType: 'CLUSTER_SNAPSHOT' },
    });
    expect(
      await errorOf(
        h.rds.send(
          new CreateDBClusterSnapshotCommand({
            DBClusterIdentifier: 'aurora-prod',
            DBClusterSnapshotIdentifier: 'aurora-prod-snap',
          }),
        ),
      ),
    ).toMatchObject({ name: 'DBClusterSnapshotAlreadyExistsFault' });
  });

  it('restores a cluster without members, on the Region default version and default parameter group', async () => {
    await availableCluster('aurora-prod');
    const out = await h.rds.send(
      new RestoreDBClusterFromSnapshotCommand({
        DBClusterIdentifier: 'aurora-copy',
        SnapshotIdentifier: 'aurora-prod-snap',
        Engine: 'aurora-postgresql',
      }),
    );
    expect(out.DBCluster?.Status).toBe('creating');
    const memberEarly = await errorOf(
      h.rds.send(
        new CreateDBInstanceCommand({
          DBInstanceIdentifier: 'aurora-copy-1',
          DBClusterIdentifier: 'aurora-copy',
          Engine: 'aurora-postgresql',
          DBInstanceClass: 'db.r6g.large',
        }),
      ),
    );
    expect(memberEarly).toMatchObject({ name: 'InvalidDBClusterStateFault' });
    const c = await availableCluster('aurora-copy');
    expect(c.DBClusterMembers).toEqual([]);
    expect(c.EngineVersion).not.toBe('15.4');
    expect(c.DBClusterParameterGroup).toBe(`default.aurora-postgresql${c.EngineVersion?.split('.')[0]}`);
    expect(c.DeletionProtection).toBe(false);
    expect(c.TagList).toEqual([{ Key: 'team', Value: 'core' }]);
    expect(eventIds(h.events, 'aurora-copy')).toEqual(['RDS-EVENT-0170']);
  });

  it('restores with explicit settings and adds members (first is writer)', async () => {
    await h.rds.send(
      new RestoreDBClusterFromSnapshotCommand({
        DBClusterIdentifier: 'aurora-new',
        SnapshotIdentifier: 'arn:aws:rds:us-east-1:000000000000:cluster-snapshot:aurora-prod-snap',
        Engine: 'aurora-postgresql',
        EngineVersion: '15.4',
        DBClusterParameterGroupName: 'prod-apg15',
        DBSubnetGroupName: 'private',
        VpcSecurityGroupIds: ['sg-0db'],
        Port: 5433,
        DeletionProtection: true,
        CopyTagsToSnapshot: true,
        EnableIAMDatabaseAuthentication: true,
        EnableCloudwatchLogsExports: ['postgresql'],
        ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 8 },
        Tags: [{ Key: 'run', Value: 'r-2' }],
      }),
    );
    const c = await availableCluster('aurora-new');
    expect(c).toMatchObject({
      EngineVersion: '15.4',
      DBClusterParameterGroup: 'prod-apg15',
      DBSubnetGroup: 'private',
      VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-0db' }],
      Port: 5433,
      DeletionProtection: true,
      CopyTagsToSnapshot: true,
      IAMDatabaseAuthenticationEnabled: true,
      EnabledCloudwatchLogsExports: ['postgresql'],
      ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 8 },
      TagList: [{ Key: 'run', Value: 'r-2' }],
    });
    for (const [id, tier] of [
      ['aurora-new-1', 0],
      ['aurora-new-2', 1],
    ] as const) {
      await h.rds.send(
        new CreateDBInstanceCommand({
          DBInstanceIdentifier: id,
          DBClusterIdentifier: 'aurora-new',
          Engine: 'aurora-postgresql',
          DBInstanceClass: 'db.r6g.large',
          PromotionTier: tier,
        }),
      );
    }
    const member = (
      await h.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'aurora-new-1' }))
    ).DBInstances?.[0];
    expect(member).toMatchObject({
      DBInstanceStatus: 'creating',
      EngineVersion: '15.4',
      DBClusterIdentifier: 'aurora-new',
    });
    await waitFor(async () => {
      const all = await h.rds.send(
        new DescribeDBInstancesCommand({ Filters: [{ Name: 'db-cluster-id', Values: ['aurora-new'] }] }),
      );
      return all.DBInstances?.every((i) => i.DBInstanceStatus === 'available');
    });
    expect((await cluster('aurora-new'))?.DBClusterMembers).toEqual([
      {
        DBInstanceIdentifier: 'aurora-new-1',
        IsClusterWriter: true,
        PromotionTier: 0,
        DBClusterParameterGroupStatus: 'in-sync',
      },
      {
        DBInstanceIdentifier: 'aurora-new-2',
        IsClusterWriter: false,
        PromotionTier: 1,
        DBClusterParameterGroupStatus: 'in-sync',
      },
    ]);
    expect(eventIds(h.events, 'aurora-new-1')).toEqual(['RDS-EVENT-0005']);
  });

  it('renames a cluster: renaming, then available with 0172; member names stay', async () => {
    const out = await h.rds.send(
      new ModifyDBClusterCommand({
        DBClusterIdentifier: 'aurora-prod',
        NewDBClusterIdentifier: 'aurora-prod-old',
      }),
    );
    expect(out.DBCluster?.DBClusterIdentifier).toBe('aurora-prod-old');
    expect(out.DBCluster?.Status).toBe('renaming');
    expect(await errorOf(cluster('aurora-prod'))).toMatchObject({ name: 'DBClusterNotFoundFault' });
    const c = await availableCluster('aurora-prod-old');
    expect(c.DBClusterArn).toBe('arn:aws:rds:us-east-1:000000000000:cluster:aurora-prod-old');
    expect(c.DBClusterMembers?.map((m) => m.DBInstanceIdentifier)).toEqual([
      'aurora-prod-1',
      'aurora-prod-2',
    ]);
    const ev = h.events.filter((e) => e.detail.EventID === 'RDS-EVENT-0172');
    expect(ev).toHaveLength(1);
    expect(ev[0]).toMatchObject({
      'detail-type': 'RDS DB Cluster Event',
      resources: ['arn:aws:rds:us-east-1:000000000000:cluster:aurora-prod-old'],
      detail: {
        SourceType: 'CLUSTER',
        SourceIdentifier: 'aurora-prod-old',
        Message: 'Renamed cluster from aurora-prod to aurora-prod-old',
      },
    });
  });

  it('modifies a cluster: modifying, then the values applied; deletes need a final-snapshot decision', async () => {
    const out = await h.rds.send(
      new ModifyDBClusterCommand({
        DBClusterIdentifier: 'aurora-new',
        ApplyImmediately: true,
        CloudwatchLogsExportConfiguration: { DisableLogTypes: ['postgresql'] },
        ServerlessV2ScalingConfiguration: { MinCapacity: 1, MaxCapacity: 16 },
        BackupRetentionPeriod: 9,
      }),
    );
    expect(out.DBCluster?.Status).toBe('modifying');
    expect(out.DBCluster?.BackupRetentionPeriod).toBe(9);
    expect(out.DBCluster?.PendingModifiedValues?.PendingCloudwatchLogsExports?.LogTypesToDisable).toEqual([
      'postgresql',
    ]);
    const busy = await errorOf(
      h.rds.send(new ModifyDBClusterCommand({ DBClusterIdentifier: 'aurora-new', Port: 5434 })),
    );
    expect(busy).toMatchObject({ name: 'InvalidDBClusterStateFault' });
    const c = await availableCluster('aurora-new');
    expect(c).toMatchObject({
      EnabledCloudwatchLogsExports: [],
      ServerlessV2ScalingConfiguration: { MinCapacity: 1, MaxCapacity: 16 },
    });
    const noChoice = await errorOf(
      h.rds.send(new DeleteDBClusterCommand({ DBClusterIdentifier: 'aurora-copy' })),
    );
    expect(noChoice).toMatchObject({ name: 'InvalidParameterCombination' });
  });

  it('deletes members, then the cluster (0171), then the cluster snapshot (no event)', async () => {
    for (const id of ['aurora-prod-1', 'aurora-prod-2']) {
      await h.rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: id }));
    }
    const out = await h.rds.send(
      new DeleteDBClusterCommand({ DBClusterIdentifier: 'aurora-prod-old', SkipFinalSnapshot: true }),
    );
    expect(out.DBCluster?.Status).toBe('deleting');
    await waitFor(async () => (await errorOf(cluster('aurora-prod-old'))).name === 'DBClusterNotFoundFault');
    expect(eventIds(h.events, 'aurora-prod-old')).toEqual(['RDS-EVENT-0172', 'RDS-EVENT-0171']);
    await h.rds.send(new DeleteDBClusterSnapshotCommand({ DBClusterSnapshotIdentifier: 'aurora-prod-snap' }));
    await waitFor(async () => h.sim.snapshotState().clusterSnapshots.length === 0);
    expect(eventIds(h.events, 'aurora-prod-snap')).toEqual(['RDS-EVENT-0074', 'RDS-EVENT-0075']);
  });
});
