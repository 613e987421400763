/**
 * Point-in-time restore (RestoreDBInstanceToPointInTime, RestoreDBClusterToPointInTime), Aurora copy-on-write clones,
 * and the restorable window (LatestRestorableTime, EarliestRestorableTime, DescribeDBInstanceAutomatedBackups
 * RestoreWindow).
 */
import {
  CreateDBInstanceCommand,
  type DBCluster,
  type DBInstance,
  DescribeDBClustersCommand,
  DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBInstancesCommand,
  ModifyDBInstanceCommand,
  RestoreDBClusterToPointInTimeCommand,
  type RestoreDBClusterToPointInTimeCommandInput,
  RestoreDBInstanceToPointInTimeCommand,
  type RestoreDBInstanceToPointInTimeCommandInput,
} from '@aws-sdk/client-rds';
import type { IamCallInput } from '../../src/iam-recorder';
import {
  DEFAULT_SECURITY_GROUP_ID,
  LATEST_RESTORABLE_LAG_SECONDS,
  latestRestorableLagMs,
  MAX_COPY_ON_WRITE_CLONES,
  restorableWindow,
} from '../../src/rds';
import { errorOf, eventIds, type Harness, startHarness, stopHarness, waitFor } from './helpers';

const DAY_MS = 24 * 60 * 60 * 1000;
const TIME_SCALE = 1000;
const LAG_MS = latestRestorableLagMs(TIME_SCALE);
const floorSecond = (ms: number) => Math.floor(ms / 1000) * 1000;
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

let h: Harness;
const iamCalls: IamCallInput[] = [];
beforeAll(async () => {
  h = await startHarness({ recordCall: (_key, calls) => iamCalls.push(...calls) });
  // Created two days ago (the seed's InstanceCreateTime), so the window reaches back that far.
  h.sim.seedInstance({
    DBInstanceIdentifier: 'orders-db',
    Engine: 'postgres',
    EngineVersion: '16.2',
    DBInstanceClass: 'db.r6g.large',
    InstanceCreateTime: ago(2 * DAY_MS),
    AllocatedStorage: 400,
    StorageType: 'gp3',
    Iops: 12000,
    StorageThroughput: 500,
    MaxAllocatedStorage: 1000,
    MultiAZ: true,
    DBName: 'orders',
    MasterUsername: 'orders_admin',
    Endpoint: { Address: '', Port: 6543, HostedZoneId: '' },
    DBParameterGroups: [{ DBParameterGroupName: 'orders-pg16', ParameterApplyStatus: 'in-sync' }],
    OptionGroupMemberships: [{ OptionGroupName: 'orders-og', Status: 'in-sync' }],
    DBSubnetGroup: { DBSubnetGroupName: 'private', VpcId: 'vpc-0private', SubnetGroupStatus: 'Complete' },
    VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-0orders', Status: 'active' }],
    DeletionProtection: true,
    IAMDatabaseAuthenticationEnabled: true,
    CopyTagsToSnapshot: true,
    CACertificateIdentifier: 'rds-ca-rsa4096-g1',
    EnabledCloudwatchLogsExports: ['postgresql'],
    BackupRetentionPeriod: 7,
    StorageEncrypted: true,
    KmsKeyId: 'arn:aws:kms:us-east-1:000000000000:key/k1',
    TagList: [{ Key: 'team', Value: 'orders' }],
  });
  h.sim.setMasterUserPassword('instance', 'orders-db', 'source-secret-1');
  // Created ten days ago with seven days of retention: the window starts seven days back.
  h.sim.seedInstance({
    DBInstanceIdentifier: 'old-db',
    Engine: 'mysql',
    InstanceCreateTime: ago(10 * DAY_MS),
    BackupRetentionPeriod: 7,
  });
  h.sim.seedInstance({ DBInstanceIdentifier: 'nobackup-db', Engine: 'postgres', BackupRetentionPeriod: 0 });
  h.sim.seedCluster({
    DBClusterIdentifier: 'aurora-prod',
    Engine: 'aurora-postgresql',
    EngineVersion: '15.4',
    ClusterCreateTime: ago(3 * DAY_MS),
    BackupRetentionPeriod: 14,
    DBClusterParameterGroup: 'prod-apg15',
    DBSubnetGroup: 'private',
    VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-0db', Status: 'active' }],
    Port: 5433,
    DatabaseName: 'app',
    MasterUsername: 'app_admin',
    StorageEncrypted: true,
    KmsKeyId: 'arn:aws:kms:us-east-1:000000000000:key/c1',
    DeletionProtection: true,
    CopyTagsToSnapshot: true,
    IAMDatabaseAuthenticationEnabled: true,
    EnabledCloudwatchLogsExports: ['postgresql'],
    ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 8 },
    TagList: [{ Key: 'team', Value: 'core' }],
    members: [{ DBInstanceIdentifier: 'aurora-prod-1', PromotionTier: 0 }],
  });
  h.sim.setMasterUserPassword('cluster', 'aurora-prod', 'cluster-secret-1');
  h.sim.seedCluster({
    DBClusterIdentifier: 'aurora-empty',
    Engine: 'aurora-mysql',
    ClusterCreateTime: ago(DAY_MS),
  });
  // Past the lag, so every seeded window is longer than a moment.
  await new Promise((r) => setTimeout(r, LAG_MS + 50));
});
afterAll(() => stopHarness(h));

const instance = async (id: string): Promise<DBInstance | undefined> =>
  (await h.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances?.[0];
const cluster = async (id: string): Promise<DBCluster | undefined> =>
  (await h.rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id }))).DBClusters?.[0];
const availableInstance = (id: string) =>
  waitFor(async () => {
    const db = await instance(id).catch(() => undefined);
    return db?.DBInstanceStatus === 'available' ? db : undefined;
  });
const availableCluster = (id: string, harness = h) =>
  waitFor(async () => {
    const c = (
      await harness.rds
        .send(new DescribeDBClustersCommand({ DBClusterIdentifier: id }))
        .catch(() => undefined)
    )?.DBClusters?.[0];
    return c?.Status === 'available' ? c : undefined;
  });
const restoreInstance = (input: Partial<RestoreDBInstanceToPointInTimeCommandInput>) =>
  h.rds.send(
    new RestoreDBInstanceToPointInTimeCommand({
      TargetDBInstanceIdentifier: 'x-target',
      ...input,
    } as RestoreDBInstanceToPointInTimeCommandInput),
  );
const restoreCluster = (input: Partial<RestoreDBClusterToPointInTimeCommandInput>, harness = h) =>
  harness.rds.send(
    new RestoreDBClusterToPointInTimeCommand({
      DBClusterIdentifier: 'x-cluster',
      ...input,
    } as RestoreDBClusterToPointInTimeCommandInput),
  );
const pitrState = (identifier: string, harness = h) =>
  harness.sim.snapshotState().pointInTimeRestores.find((r) => r.identifier === identifier);

describe('restorable window', () => {
  it('restorableWindow: earliest is the creation, at most retention days back; latest lags now by 300 simulated s', () => {
    expect(LATEST_RESTORABLE_LAG_SECONDS).toBe(300);
    expect(latestRestorableLagMs(600)).toBe(500);
    expect(latestRestorableLagMs(1)).toBe(300_000);
    const now = Date.parse('2025-06-01T12:00:00.750Z');
    expect(
      restorableWindow({ since: '2025-05-31T00:00:00.400Z', retentionDays: 7, timeScale: 1, nowMs: now }),
    ).toEqual({ earliest: new Date('2025-05-31T00:00:00Z'), latest: new Date('2025-06-01T11:55:00Z') });
    expect(
      restorableWindow({ since: '2025-01-01T00:00:00Z', retentionDays: 7, timeScale: 1, nowMs: now }),
    ).toEqual({ earliest: new Date('2025-05-25T12:00:00Z'), latest: new Date('2025-06-01T11:55:00Z') });
    // Right after creation the latest time is the creation itself, never before the earliest.
    expect(
      restorableWindow({ since: '2025-06-01T12:00:00Z', retentionDays: 1, timeScale: 600, nowMs: now }),
    ).toEqual({ earliest: new Date('2025-06-01T12:00:00Z'), latest: new Date('2025-06-01T12:00:00Z') });
    expect(restorableWindow({ since: now, retentionDays: 0, timeScale: 1, nowMs: now })).toBeUndefined();
  });

  it('DBInstance has LatestRestorableTime (not EarliestRestorableTime) with retention > 0 only', async () => {
    const before = Date.now();
    const db = await instance('orders-db');
    const after = Date.now();
    const latest = db?.LatestRestorableTime?.getTime() ?? 0;
    expect(latest).toBeGreaterThanOrEqual(floorSecond(before - LAG_MS));
    expect(latest).toBeLessThanOrEqual(after - LAG_MS);
    expect(db).not.toHaveProperty('EarliestRestorableTime');
    expect((await instance('nobackup-db'))?.LatestRestorableTime).toBeUndefined();
    // Aurora instances: the cluster has the window.
    expect((await instance('aurora-prod-1'))?.LatestRestorableTime).toBeUndefined();
  });

  it('DBCluster has EarliestRestorableTime (creation, within retention) and LatestRestorableTime', async () => {
    const c = await cluster('aurora-prod');
    const created = c?.ClusterCreateTime?.getTime() ?? 0;
    expect(c?.EarliestRestorableTime?.getTime()).toBe(floorSecond(created));
    expect(c?.LatestRestorableTime?.getTime()).toBeLessThanOrEqual(Date.now() - LAG_MS);
    expect(c?.LatestRestorableTime?.getTime()).toBeGreaterThan(Date.now() - LAG_MS - 2000);
  });

  it('DescribeDBInstanceAutomatedBackups: RestoreWindow and status active for current instances with retention > 0', async () => {
    const out = await h.rds.send(new DescribeDBInstanceAutomatedBackupsCommand({}));
    const ids = out.DBInstanceAutomatedBackups?.map((b) => b.DBInstanceIdentifier);
    expect(ids).toEqual(expect.arrayContaining(['orders-db', 'old-db']));
    expect(ids).not.toContain('nobackup-db');
    expect(ids).not.toContain('aurora-prod-1');
    const orders = out.DBInstanceAutomatedBackups?.find((b) => b.DBInstanceIdentifier === 'orders-db');
    const db = await instance('orders-db');
    expect(orders).toMatchObject({
      Status: 'active',
      Region: 'us-east-1',
      DbiResourceId: db?.DbiResourceId,
      BackupRetentionPeriod: 7,
      Encrypted: true,
      DBInstanceAutomatedBackupsArn: expect.stringMatching(
        /^arn:aws:rds:us-east-1:000000000000:auto-backup:ab-[a-z0-9]{26}$/,
      ),
    });
    expect(orders?.RestoreWindow?.EarliestTime?.getTime()).toBe(
      floorSecond(db?.InstanceCreateTime?.getTime() ?? 0),
    );
    expect(orders?.RestoreWindow?.LatestTime?.getTime()).toBeLessThanOrEqual(Date.now() - LAG_MS);
    // Retention 7 days of an instance created 10 days ago: the window starts 7 days back.
    const old = out.DBInstanceAutomatedBackups?.find((b) => b.DBInstanceIdentifier === 'old-db');
    const earliest = old?.RestoreWindow?.EarliestTime?.getTime() ?? 0;
    expect(Math.abs(earliest - (Date.now() - 7 * DAY_MS))).toBeLessThan(5000);
    const byArn = await h.rds.send(
      new DescribeDBInstanceAutomatedBackupsCommand({
        DBInstanceAutomatedBackupsArn: orders?.DBInstanceAutomatedBackupsArn,
      }),
    );
    expect(byArn.DBInstanceAutomatedBackups?.map((b) => b.DBInstanceIdentifier)).toEqual(['orders-db']);
  });

  it('a new instance has no window while creating; then one from its creation, longer than a moment after the lag', async () => {
    await h.rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: 'fresh-db',
        Engine: 'postgres',
        DBInstanceClass: 'db.t3.micro',
        AllocatedStorage: 20,
      }),
    );
    expect((await instance('fresh-db'))?.LatestRestorableTime).toBeUndefined();
    const backups = await h.rds.send(
      new DescribeDBInstanceAutomatedBackupsCommand({ DBInstanceIdentifier: 'fresh-db' }),
    );
    expect(backups.DBInstanceAutomatedBackups?.[0]).toMatchObject({ Status: 'creating' });
    expect(backups.DBInstanceAutomatedBackups?.[0]?.RestoreWindow).toBeUndefined();
    const db = await availableInstance('fresh-db');
    const created = floorSecond(db.InstanceCreateTime?.getTime() ?? 0);
    expect(db.LatestRestorableTime?.getTime()).toBeGreaterThanOrEqual(created);
    const later = await waitFor(async () => {
      const d = await instance('fresh-db');
      return (d?.LatestRestorableTime?.getTime() ?? 0) > created ? d : undefined;
    });
    expect(later.LatestRestorableTime?.getTime()).toBeLessThanOrEqual(Date.now() - LAG_MS);
  });

  it('backups turned off and on again: no window, then one from that moment', async () => {
    h.sim.seedInstance({
      DBInstanceIdentifier: 'toggle-db',
      Engine: 'postgres',
      InstanceCreateTime: ago(DAY_MS),
      BackupRetentionPeriod: 3,
    });
    await h.rds.send(
      new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'toggle-db', BackupRetentionPeriod: 0 }),
    );
    expect((await instance('toggle-db'))?.LatestRestorableTime).toBeUndefined();
    const on = Date.now();
    await h.rds.send(
      new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'toggle-db', BackupRetentionPeriod: 2 }),
    );
    const off = Date.now();
    const b = await h.rds.send(
      new DescribeDBInstanceAutomatedBackupsCommand({ DBInstanceIdentifier: 'toggle-db' }),
    );
    const earliest = b.DBInstanceAutomatedBackups?.[0]?.RestoreWindow?.EarliestTime?.getTime();
    expect(earliest).toBeGreaterThanOrEqual(floorSecond(on));
    expect(earliest).toBeLessThanOrEqual(floorSecond(off));
  });
});

describe('RestoreDBInstanceToPointInTime', () => {
  it('restores to a time in the window with the documented defaults and the source configuration; emits 0019', async () => {
    const src = await instance('orders-db');
    const time = new Date(floorSecond(Date.now() - DAY_MS));
    const out = await h.rds.send(
      new RestoreDBInstanceToPointInTimeCommand({
        SourceDBInstanceIdentifier: 'orders-db',
        TargetDBInstanceIdentifier: 'orders-pitr',
        RestoreTime: time,
      }),
    );
    expect(out.DBInstance).toMatchObject({
      DBInstanceIdentifier: 'orders-pitr',
      DBInstanceStatus: 'creating',
    });
    expect(out.DBInstance?.LatestRestorableTime).toBeUndefined();
    const db = await availableInstance('orders-pitr');
    expect(db).toMatchObject({
      Engine: 'postgres',
      EngineVersion: '16.2',
      DBInstanceClass: 'db.r6g.large',
      Endpoint: { Port: 6543 },
      AllocatedStorage: 400,
      StorageType: 'gp3',
      Iops: 12000,
      StorageThroughput: 500,
      MaxAllocatedStorage: 1000,
      DBName: 'orders',
      MasterUsername: 'orders_admin',
      OptionGroupMemberships: [{ OptionGroupName: 'orders-og' }],
      CACertificateIdentifier: 'rds-ca-rsa4096-g1',
      EnabledCloudwatchLogsExports: ['postgresql'],
      BackupRetentionPeriod: 7,
      StorageEncrypted: true,
      KmsKeyId: 'arn:aws:kms:us-east-1:000000000000:key/k1',
      // The documented defaults: default security group, subnet group and parameter group; single-AZ; deletion
      // protection, tag copying and IAM authentication off.
      VpcSecurityGroups: [{ VpcSecurityGroupId: DEFAULT_SECURITY_GROUP_ID, Status: 'active' }],
      DBSubnetGroup: { DBSubnetGroupName: 'default' },
      DBParameterGroups: [{ DBParameterGroupName: 'default.postgres16' }],
      MultiAZ: false,
      DeletionProtection: false,
      CopyTagsToSnapshot: false,
      IAMDatabaseAuthenticationEnabled: false,
      TagList: [],
    });
    expect(db.DbiResourceId).not.toBe(src?.DbiResourceId);
    expect(h.sim.masterUserPassword('instance', 'orders-pitr')).toBe('source-secret-1');
    expect(pitrState('orders-pitr')).toEqual({
      kind: 'instance',
      identifier: 'orders-pitr',
      source: 'orders-db',
      restoreTime: time.toISOString(),
      useLatestRestorableTime: false,
    });
    expect(eventIds(h.events, 'orders-pitr')).toEqual(['RDS-EVENT-0019']);
    expect(h.events.find((e) => e.detail.SourceIdentifier === 'orders-pitr')).toMatchObject({
      'detail-type': 'RDS DB Instance Event',
      detail: {
        EventCategories: ['restoration'],
        SourceType: 'DB_INSTANCE',
        SourceArn: 'arn:aws:rds:us-east-1:000000000000:db:orders-pitr',
        Message: 'Restored from DB instance orders-db to orders-pitr.',
      },
    });
  });

  it('applies the settings the request names, MaxAllocatedStorage included', async () => {
    await h.rds.send(
      new RestoreDBInstanceToPointInTimeCommand({
        SourceDBInstanceIdentifier: 'orders-db',
        TargetDBInstanceIdentifier: 'orders-pitr-full',
        UseLatestRestorableTime: true,
        DBInstanceClass: 'db.m6g.xlarge',
        Port: 5432,
        DBSubnetGroupName: 'private',
        VpcSecurityGroupIds: ['sg-0orders'],
        DBParameterGroupName: 'orders-pg16',
        OptionGroupName: 'orders-og2',
        MultiAZ: true,
        DeletionProtection: true,
        CopyTagsToSnapshot: true,
        EnableIAMDatabaseAuthentication: true,
        MaxAllocatedStorage: 2000,
        BackupRetentionPeriod: 3,
        StorageType: 'io2',
        Iops: 20000,
        DBName: 'orders2',
        Tags: [{ Key: 'run', Value: 'r-1' }],
      }),
    );
    const db = await availableInstance('orders-pitr-full');
    expect(db).toMatchObject({
      DBInstanceClass: 'db.m6g.xlarge',
      Endpoint: { Port: 5432 },
      DBSubnetGroup: { DBSubnetGroupName: 'private', VpcId: 'vpc-0private' },
      VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-0orders' }],
      DBParameterGroups: [{ DBParameterGroupName: 'orders-pg16' }],
      OptionGroupMemberships: [{ OptionGroupName: 'orders-og2' }],
      MultiAZ: true,
      DeletionProtection: true,
      CopyTagsToSnapshot: true,
      IAMDatabaseAuthenticationEnabled: true,
      MaxAllocatedStorage: 2000,
      BackupRetentionPeriod: 3,
      StorageType: 'io2',
      Iops: 20000,
      // RestoreDBInstanceToPointInTime DBName applies to RDS for PostgreSQL (not to MySQL, MariaDB, Db2).
      DBName: 'orders2',
      TagList: [{ Key: 'run', Value: 'r-1' }],
    });
    expect(pitrState('orders-pitr-full')).toMatchObject({ useLatestRestorableTime: true });
  });

  it('UseLatestRestorableTime restores to the LatestRestorableTime of the moment', async () => {
    const before = (await instance('old-db'))?.LatestRestorableTime?.getTime() ?? 0;
    await restoreInstance({
      SourceDBInstanceIdentifier: 'old-db',
      TargetDBInstanceIdentifier: 'old-latest',
      UseLatestRestorableTime: true,
    });
    const after = (await instance('old-db'))?.LatestRestorableTime?.getTime() ?? 0;
    const restored = Date.parse(pitrState('old-latest')?.restoreTime ?? '');
    expect(restored).toBeGreaterThanOrEqual(before);
    expect(restored).toBeLessThanOrEqual(after);
  });

  it('names the source by DbiResourceId or by its automated backups ARN', async () => {
    const src = await instance('old-db');
    await restoreInstance({
      SourceDbiResourceId: src?.DbiResourceId,
      TargetDBInstanceIdentifier: 'by-resource',
      UseLatestRestorableTime: true,
    });
    expect(pitrState('by-resource')?.source).toBe('old-db');
    const backup = (
      await h.rds.send(new DescribeDBInstanceAutomatedBackupsCommand({ DBInstanceIdentifier: 'old-db' }))
    ).DBInstanceAutomatedBackups?.[0];
    // Seven days back moves on with the clock: a little after the earliest time stays inside the window.
    const time = new Date((backup?.RestoreWindow?.EarliestTime?.getTime() ?? 0) + 60_000);
    await restoreInstance({
      SourceDBInstanceAutomatedBackupsArn: backup?.DBInstanceAutomatedBackupsArn,
      TargetDBInstanceIdentifier: 'by-backup',
      RestoreTime: time,
    });
    expect(pitrState('by-backup')).toMatchObject({ source: 'old-db', restoreTime: time.toISOString() });
  });

  it('refuses a bad time: both, neither, after the latest, before the earliest', async () => {
    const latest = (await instance('orders-db'))?.LatestRestorableTime as Date;
    const both = await errorOf(
      restoreInstance({
        SourceDBInstanceIdentifier: 'orders-db',
        RestoreTime: latest,
        UseLatestRestorableTime: true,
      }),
    );
    expect(both).toMatchObject({ code: 'InvalidParameterCombination', status: 400 });
    expect(both.message).toBe('Cannot specify both RestoreTime and UseLatestRestorableTime.');
    const neither = await errorOf(restoreInstance({ SourceDBInstanceIdentifier: 'orders-db' }));
    expect(neither).toMatchObject({
      code: 'InvalidParameterCombination',
      message: 'RestoreTime must be specified unless UseLatestRestorableTime is enabled.',
    });
    expect(
      await errorOf(
        restoreInstance({ SourceDBInstanceIdentifier: 'orders-db', UseLatestRestorableTime: false }),
      ),
    ).toMatchObject({ code: 'InvalidParameterCombination' });
    const late = await errorOf(
      restoreInstance({
        SourceDBInstanceIdentifier: 'orders-db',
        RestoreTime: new Date(Date.now() + 60_000),
      }),
    );
    expect(late).toMatchObject({ code: 'InvalidParameterValue', status: 400 });
    expect(late.message).toMatch(
      /^RestoreTime .+ is outside the restorable window of DB instance orders-db: /,
    );
    const early = await errorOf(
      restoreInstance({
        SourceDBInstanceIdentifier: 'old-db',
        RestoreTime: new Date(Date.now() - 8 * DAY_MS),
      }),
    );
    expect(early).toMatchObject({ code: 'InvalidParameterValue' });
    expect(h.sim.snapshotState().instances.some((i) => i.DBInstanceIdentifier === 'x-target')).toBe(false);
  });

  it('refuses a source with BackupRetentionPeriod 0 with PointInTimeRestoreNotEnabled', async () => {
    const err = await errorOf(
      restoreInstance({ SourceDBInstanceIdentifier: 'nobackup-db', UseLatestRestorableTime: true }),
    );
    expect(err).toEqual({
      name: 'PointInTimeRestoreNotEnabledFault',
      code: 'PointInTimeRestoreNotEnabled',
      status: 400,
      message: 'SourceDBInstanceIdentifier refers to a DB instance with BackupRetentionPeriod equal to 0.',
    });
  });

  it('refuses an unknown source, an Aurora source, a missing or doubled source, and a taken name', async () => {
    expect(
      await errorOf(
        restoreInstance({ SourceDBInstanceIdentifier: 'no-such-db', UseLatestRestorableTime: true }),
      ),
    ).toMatchObject({ name: 'DBInstanceNotFoundFault', code: 'DBInstanceNotFound', status: 404 });
    expect(
      await errorOf(
        restoreInstance({ SourceDbiResourceId: 'db-NOSUCHRESOURCE', UseLatestRestorableTime: true }),
      ),
    ).toMatchObject({ code: 'DBInstanceNotFound', status: 404 });
    expect(
      await errorOf(
        restoreInstance({
          SourceDBInstanceAutomatedBackupsArn:
            'arn:aws:rds:us-east-1:000000000000:auto-backup:ab-nosuchbackup',
          UseLatestRestorableTime: true,
        }),
      ),
    ).toMatchObject({ name: 'DBInstanceAutomatedBackupNotFoundFault', status: 404 });
    const aurora = await errorOf(
      restoreInstance({ SourceDBInstanceIdentifier: 'aurora-prod-1', UseLatestRestorableTime: true }),
    );
    expect(aurora).toMatchObject({ code: 'InvalidParameterCombination' });
    expect(aurora.message).toContain('use RestoreDBClusterToPointInTime');
    expect(await errorOf(restoreInstance({ UseLatestRestorableTime: true }))).toMatchObject({
      code: 'InvalidParameterCombination',
      message:
        'Specify exactly one of SourceDBInstanceIdentifier, SourceDbiResourceId or SourceDBInstanceAutomatedBackupsArn.',
    });
    const src = await instance('orders-db');
    expect(
      await errorOf(
        restoreInstance({
          SourceDBInstanceIdentifier: 'orders-db',
          SourceDbiResourceId: src?.DbiResourceId,
          UseLatestRestorableTime: true,
        }),
      ),
    ).toMatchObject({ code: 'InvalidParameterCombination' });
    expect(
      await errorOf(
        restoreInstance({
          SourceDBInstanceIdentifier: 'orders-db',
          TargetDBInstanceIdentifier: 'old-db',
          UseLatestRestorableTime: true,
        }),
      ),
    ).toMatchObject({ name: 'DBInstanceAlreadyExistsFault', code: 'DBInstanceAlreadyExists' });
    expect(
      await errorOf(
        restoreInstance({
          SourceDBInstanceIdentifier: 'orders-db',
          TargetDBInstanceIdentifier: 'bad--name',
          UseLatestRestorableTime: true,
        }),
      ),
    ).toMatchObject({ code: 'InvalidParameterValue' });
    expect(
      await errorOf(
        restoreInstance({
          SourceDBInstanceIdentifier: 'orders-db',
          UseLatestRestorableTime: true,
          Engine: 'mysql',
        }),
      ),
    ).toMatchObject({ code: 'InvalidParameterCombination' });
    // ManageMasterUserPassword: RDS for Oracle only, as in the snapshot restore.
    expect(
      await errorOf(
        restoreInstance({
          SourceDBInstanceIdentifier: 'orders-db',
          UseLatestRestorableTime: true,
          ManageMasterUserPassword: true,
        }),
      ),
    ).toMatchObject({ code: 'InvalidParameterCombination' });
  });

  it('refuses a source still being created (no backup yet) with InvalidDBInstanceState', async () => {
    await h.rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: 'young-db',
        Engine: 'postgres',
        DBInstanceClass: 'db.t3.micro',
        AllocatedStorage: 20,
      }),
    );
    expect(
      await errorOf(
        restoreInstance({ SourceDBInstanceIdentifier: 'young-db', UseLatestRestorableTime: true }),
      ),
    ).toMatchObject({ name: 'InvalidDBInstanceStateFault', code: 'InvalidDBInstanceState' });
  });

  it('honours injected faults: an api-error by action name, an async failure with 0278', async () => {
    h.sim.faults.add({
      kind: 'api-error',
      operation: 'RestoreDBInstanceToPointInTime',
      identifier: 'faulty-1',
      code: 'InsufficientDBInstanceCapacity',
      message: 'No capacity',
    });
    expect(
      await errorOf(
        restoreInstance({
          SourceDBInstanceIdentifier: 'old-db',
          TargetDBInstanceIdentifier: 'faulty-1',
          UseLatestRestorableTime: true,
        }),
      ),
    ).toMatchObject({ name: 'InsufficientDBInstanceCapacityFault', message: 'No capacity' });
    h.sim.faults.add({
      kind: 'async-failure',
      operation: 'RestoreDBInstanceToPointInTime',
      identifier: 'faulty-2',
      status: 'incompatible-restore',
    });
    await restoreInstance({
      SourceDBInstanceIdentifier: 'old-db',
      TargetDBInstanceIdentifier: 'faulty-2',
      UseLatestRestorableTime: true,
    });
    await waitFor(async () => (await instance('faulty-2'))?.DBInstanceStatus === 'incompatible-restore');
    expect(eventIds(h.events, 'faulty-2')).toEqual(['RDS-EVENT-0278']);
  });

  it('records the IAM resources: the new db, its option, parameter and subnet groups', async () => {
    await restoreInstance({
      SourceDBInstanceIdentifier: 'old-db',
      TargetDBInstanceIdentifier: 'iam-pitr',
      UseLatestRestorableTime: true,
      Tags: [{ Key: 'k', Value: 'v' }],
    });
    const call = iamCalls.find(
      (c) =>
        c.action === 'rds:RestoreDBInstanceToPointInTime' &&
        c.resources.some((r) => r.arn.endsWith(':db:iam-pitr')),
    );
    expect(call?.resources.map((r) => [r.type, r.arn])).toEqual([
      ['db', 'arn:aws:rds:us-east-1:000000000000:db:iam-pitr'],
      ['og', expect.stringMatching(/:og:default:mysql-8-0$/)],
      ['pg', expect.stringMatching(/:pg:default\.mysql8\.0$/)],
      ['subgrp', 'arn:aws:rds:us-east-1:000000000000:subgrp:default'],
    ]);
    expect(call?.context).toMatchObject({ 'aws:TagKeys': ['k'] });
    expect(
      iamCalls.some(
        (c) => c.action === 'rds:AddTagsToResource' && c.resources[0]?.arn.endsWith(':db:iam-pitr'),
      ),
    ).toBe(true);
  });
});

describe('RestoreDBInstanceToPointInTime quota', () => {
  let small: Harness;
  beforeAll(async () => {
    small = await startHarness({ quotas: { maxInstances: 1 } });
    small.sim.seedInstance({
      DBInstanceIdentifier: 'only-db',
      Engine: 'postgres',
      InstanceCreateTime: ago(DAY_MS),
    });
  });
  afterAll(() => stopHarness(small));

  it('refuses a restore past the instance quota with InstanceQuotaExceeded', async () => {
    expect(
      await errorOf(
        small.rds.send(
          new RestoreDBInstanceToPointInTimeCommand({
            SourceDBInstanceIdentifier: 'only-db',
            TargetDBInstanceIdentifier: 'second-db',
            UseLatestRestorableTime: true,
          }),
        ),
      ),
    ).toMatchObject({ name: 'InstanceQuotaExceededFault', status: 400 });
  });
});

describe('RestoreDBClusterToPointInTime quota', () => {
  let small: Harness;
  beforeAll(async () => {
    small = await startHarness({ quotas: { maxClusters: 1 } });
    small.sim.seedCluster({
      DBClusterIdentifier: 'only',
      Engine: 'aurora-mysql',
      ClusterCreateTime: ago(DAY_MS),
    });
  });
  afterAll(() => stopHarness(small));

  it('refuses a restore past the cluster quota with DBClusterQuotaExceededFault (403)', async () => {
    expect(
      await errorOf(
        restoreCluster({ SourceDBClusterIdentifier: 'only', UseLatestRestorableTime: true }, small),
      ),
    ).toMatchObject({ name: 'DBClusterQuotaExceededFault', status: 403 });
  });
});

describe('RestoreDBClusterToPointInTime', () => {
  it('full copy: the cluster only (0 members), engine and version of the source, default security group; 0170', async () => {
    const time = new Date(floorSecond(Date.now() - DAY_MS));
    const out = await restoreCluster({
      DBClusterIdentifier: 'aurora-pitr',
      SourceDBClusterIdentifier: 'aurora-prod',
      RestoreToTime: time,
    });
    expect(out.DBCluster).toMatchObject({ Status: 'creating', DBClusterMembers: [] });
    expect(out.DBCluster?.EarliestRestorableTime).toBeUndefined();
    const early = await errorOf(
      h.rds.send(
        new CreateDBInstanceCommand({
          DBInstanceIdentifier: 'aurora-pitr-1',
          DBClusterIdentifier: 'aurora-pitr',
          Engine: 'aurora-postgresql',
          DBInstanceClass: 'db.r6g.large',
        }),
      ),
    );
    expect(early).toMatchObject({ name: 'InvalidDBClusterStateFault' });
    const c = await availableCluster('aurora-pitr');
    expect(c).toMatchObject({
      Engine: 'aurora-postgresql',
      EngineVersion: '15.4',
      DBClusterMembers: [],
      DatabaseName: 'app',
      MasterUsername: 'app_admin',
      StorageEncrypted: true,
      KmsKeyId: 'arn:aws:kms:us-east-1:000000000000:key/c1',
      DBSubnetGroup: 'private',
      EnabledCloudwatchLogsExports: ['postgresql'],
      ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 8 },
      BackupRetentionPeriod: 14,
      // Documented defaults: default security group, default cluster parameter group, the engine's port,
      // deletion protection, tag copying and IAM authentication off.
      VpcSecurityGroups: [{ VpcSecurityGroupId: DEFAULT_SECURITY_GROUP_ID, Status: 'active' }],
      DBClusterParameterGroup: 'default.aurora-postgresql15',
      Port: 5432,
      DeletionProtection: false,
      CopyTagsToSnapshot: false,
      IAMDatabaseAuthenticationEnabled: false,
      TagList: [],
    });
    expect(c.CloneGroupId).toBeUndefined();
    expect(h.sim.masterUserPassword('cluster', 'aurora-pitr')).toBe('cluster-secret-1');
    expect(pitrState('aurora-pitr')).toEqual({
      kind: 'cluster',
      identifier: 'aurora-pitr',
      source: 'aurora-prod',
      restoreTime: time.toISOString(),
      useLatestRestorableTime: false,
      restoreType: 'full-copy',
    });
    expect(eventIds(h.events, 'aurora-pitr')).toEqual(['RDS-EVENT-0170']);
    // Members come with CreateDBInstance once the cluster is available.
    await h.rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: 'aurora-pitr-1',
        DBClusterIdentifier: 'aurora-pitr',
        Engine: 'aurora-postgresql',
        DBInstanceClass: 'db.r6g.large',
      }),
    );
    await availableInstance('aurora-pitr-1');
    expect((await cluster('aurora-pitr'))?.DBClusterMembers).toMatchObject([
      { DBInstanceIdentifier: 'aurora-pitr-1', IsClusterWriter: true },
    ]);
  });

  it('by resource id, with the settings the request names and another KMS key', async () => {
    const src = await cluster('aurora-prod');
    await restoreCluster({
      DBClusterIdentifier: 'aurora-pitr-set',
      SourceDbClusterResourceId: src?.DbClusterResourceId,
      UseLatestRestorableTime: true,
      DBClusterParameterGroupName: 'prod-apg15',
      VpcSecurityGroupIds: ['sg-0db'],
      Port: 5433,
      DeletionProtection: true,
      KmsKeyId: 'arn:aws:kms:us-east-1:000000000000:key/c2',
      Tags: [{ Key: 'run', Value: 'r-9' }],
    });
    const c = await availableCluster('aurora-pitr-set');
    expect(c).toMatchObject({
      DBClusterParameterGroup: 'prod-apg15',
      VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-0db' }],
      Port: 5433,
      DeletionProtection: true,
      StorageEncrypted: true,
      KmsKeyId: 'arn:aws:kms:us-east-1:000000000000:key/c2',
      TagList: [{ Key: 'run', Value: 'r-9' }],
    });
    expect(pitrState('aurora-pitr-set')).toMatchObject({
      source: 'aurora-prod',
      useLatestRestorableTime: true,
    });
  });

  it('refuses bad times, RestoreToTime with copy-on-write, an unknown RestoreType or source, a taken name', async () => {
    const src = { SourceDBClusterIdentifier: 'aurora-prod' };
    const neither = await errorOf(restoreCluster(src));
    expect(neither).toMatchObject({
      code: 'InvalidParameterCombination',
      message: 'RestoreToTime must be specified unless UseLatestRestorableTime is enabled.',
    });
    expect(
      await errorOf(restoreCluster({ ...src, RestoreToTime: new Date(), UseLatestRestorableTime: true })),
    ).toMatchObject({
      code: 'InvalidParameterCombination',
      message: 'Cannot specify both RestoreToTime and UseLatestRestorableTime.',
    });
    const cow = await errorOf(
      restoreCluster({ ...src, RestoreType: 'copy-on-write', RestoreToTime: new Date(Date.now() - DAY_MS) }),
    );
    expect(cow).toMatchObject({
      code: 'InvalidParameterCombination',
      message: 'RestoreToTime cannot be specified when RestoreType is copy-on-write.',
    });
    expect(await errorOf(restoreCluster({ ...src, RestoreType: 'copy-on-write' }))).toMatchObject({
      code: 'InvalidParameterCombination',
    });
    expect(
      await errorOf(restoreCluster({ ...src, RestoreType: 'snapshot', UseLatestRestorableTime: true })),
    ).toMatchObject({ code: 'InvalidParameterValue' });
    const late = await errorOf(restoreCluster({ ...src, RestoreToTime: new Date(Date.now() + 60_000) }));
    expect(late).toMatchObject({ code: 'InvalidParameterValue' });
    expect(late.message).toMatch(
      /^RestoreToTime .+ is outside the restorable window of DB cluster aurora-prod: /,
    );
    expect(
      await errorOf(restoreCluster({ ...src, RestoreToTime: new Date(Date.now() - 4 * DAY_MS) })),
    ).toMatchObject({ code: 'InvalidParameterValue' });
    expect(
      await errorOf(restoreCluster({ SourceDBClusterIdentifier: 'no-such', UseLatestRestorableTime: true })),
    ).toMatchObject({ name: 'DBClusterNotFoundFault', status: 404 });
    expect(await errorOf(restoreCluster({ UseLatestRestorableTime: true }))).toMatchObject({
      code: 'InvalidParameterCombination',
      message: 'Specify exactly one of SourceDBClusterIdentifier or SourceDbClusterResourceId.',
    });
    expect(
      await errorOf(
        restoreCluster({ ...src, DBClusterIdentifier: 'aurora-empty', UseLatestRestorableTime: true }),
      ),
    ).toMatchObject({ name: 'DBClusterAlreadyExistsFault' });
    const kms = await errorOf(
      restoreCluster({
        SourceDBClusterIdentifier: 'aurora-empty',
        UseLatestRestorableTime: true,
        KmsKeyId: 'arn:aws:kms:us-east-1:000000000000:key/c2',
      }),
    );
    expect(kms).toMatchObject({ code: 'InvalidParameterCombination' });
    expect(kms.message).toContain("isn't encrypted");
    expect(h.sim.snapshotState().clusters.some((c) => c.DBClusterIdentifier === 'x-cluster')).toBe(false);
  });

  it('copy-on-write: refused for a cluster without DB instances', async () => {
    const err = await errorOf(
      restoreCluster({
        SourceDBClusterIdentifier: 'aurora-empty',
        RestoreType: 'copy-on-write',
        UseLatestRestorableTime: true,
      }),
    );
    expect(err).toMatchObject({
      name: 'InvalidDBClusterStateFault',
      code: 'InvalidDBClusterStateFault',
      status: 400,
    });
    expect(err.message).toContain('has no DB instances');
  });

  it('copy-on-write: source and clone share a new CloneGroupId; a later full copy inherits it', async () => {
    expect((await cluster('aurora-prod'))?.CloneGroupId).toBeUndefined();
    await restoreCluster({
      DBClusterIdentifier: 'aurora-clone',
      SourceDBClusterIdentifier: 'aurora-prod',
      RestoreType: 'copy-on-write',
      UseLatestRestorableTime: true,
    });
    const group = (await cluster('aurora-prod'))?.CloneGroupId;
    expect(group).toMatch(/^[0-9a-f-]{36}$/);
    const c = await availableCluster('aurora-clone');
    expect(c).toMatchObject({ CloneGroupId: group, DBClusterMembers: [], EngineVersion: '15.4' });
    expect(pitrState('aurora-clone')).toMatchObject({
      restoreType: 'copy-on-write',
      useLatestRestorableTime: true,
    });
    expect(eventIds(h.events, 'aurora-clone')).toEqual(['RDS-EVENT-0170']);
    await restoreCluster({
      DBClusterIdentifier: 'aurora-after',
      SourceDBClusterIdentifier: 'aurora-prod',
      UseLatestRestorableTime: true,
    });
    expect((await cluster('aurora-after'))?.CloneGroupId).toBe(group);
    const inGroup = await h.rds.send(
      new DescribeDBClustersCommand({ Filters: [{ Name: 'clone-group-id', Values: [group ?? ''] }] }),
    );
    expect(inGroup.DBClusters?.map((x) => x.DBClusterIdentifier).sort()).toEqual([
      'aurora-after',
      'aurora-clone',
      'aurora-prod',
    ]);
  });

  it('honours an async failure (0354)', async () => {
    h.sim.faults.add({
      kind: 'async-failure',
      operation: 'RestoreDBClusterToPointInTime',
      identifier: 'aurora-faulty',
      status: 'incompatible-restore',
    });
    await restoreCluster({
      DBClusterIdentifier: 'aurora-faulty',
      SourceDBClusterIdentifier: 'aurora-prod',
      UseLatestRestorableTime: true,
    });
    await waitFor(async () => (await cluster('aurora-faulty'))?.Status === 'incompatible-restore');
    expect(eventIds(h.events, 'aurora-faulty')).toEqual(['RDS-EVENT-0354']);
  });

  it('records the IAM resources: the new cluster, its cluster parameter group, option group and subnet group', async () => {
    await restoreCluster({
      DBClusterIdentifier: 'iam-cluster',
      SourceDBClusterIdentifier: 'aurora-prod',
      UseLatestRestorableTime: true,
    });
    const call = iamCalls.find(
      (c) =>
        c.action === 'rds:RestoreDBClusterToPointInTime' &&
        c.resources.some((r) => r.arn.endsWith(':cluster:iam-cluster')),
    );
    expect(call?.resources.map((r) => r.type)).toEqual(['cluster', 'cluster-pg', 'og', 'subgrp']);
    expect(call?.resources.map((r) => r.arn)).toEqual([
      'arn:aws:rds:us-east-1:000000000000:cluster:iam-cluster',
      'arn:aws:rds:us-east-1:000000000000:cluster-pg:default.aurora-postgresql15',
      expect.stringMatching(/:og:default:aurora-postgresql-15$/),
      'arn:aws:rds:us-east-1:000000000000:subgrp:private',
    ]);
    expect(
      iamCalls.some(
        (c) =>
          c.action === 'kms:CreateGrant' &&
          c.resources[0]?.arn === 'arn:aws:kms:us-east-1:000000000000:key/c1' &&
          c.context['kms:ViaService'] === 'rds.us-east-1.amazonaws.com',
      ),
    ).toBe(true);
  });
});

describe('Aurora clone limit', () => {
  let c: Harness;
  beforeAll(async () => {
    // A full copy takes far longer than a clone here, so which one the 16th became shows in its status.
    c = await startHarness({ durations: { restoreCluster: 1_000_000, cloneCluster: 50 } });
    c.sim.seedCluster({
      DBClusterIdentifier: 'src',
      Engine: 'aurora-mysql',
      ClusterCreateTime: ago(DAY_MS),
      members: [{ DBInstanceIdentifier: 'src-1' }],
    });
  });
  afterAll(() => stopHarness(c));

  it(`the ${MAX_COPY_ON_WRITE_CLONES + 1}th concurrent copy-on-write clone silently becomes a full copy`, async () => {
    expect(MAX_COPY_ON_WRITE_CLONES).toBe(15);
    const clone = (id: string) =>
      restoreCluster(
        {
          DBClusterIdentifier: id,
          SourceDBClusterIdentifier: 'src',
          RestoreType: 'copy-on-write',
          UseLatestRestorableTime: true,
        },
        c,
      );
    for (let i = 1; i <= 15; i++) await clone(`clone-${i}`);
    for (let i = 1; i <= 15; i++) await availableCluster(`clone-${i}`, c);
    const out = await clone('clone-16');
    expect(out.DBCluster?.Status).toBe('creating');
    expect(pitrState('clone-15', c)?.restoreType).toBe('copy-on-write');
    expect(pitrState('clone-16', c)?.restoreType).toBe('full-copy');
    await new Promise((r) => setTimeout(r, 300));
    const sixteenth = (await c.rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: 'clone-16' })))
      .DBClusters?.[0];
    expect(sixteenth?.Status).toBe('creating');
    // "The subsequent cloning operation acts like a point-in-time recovery": a PITR inherits the clone group ID.
    const group = (await c.rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: 'src' })))
      .DBClusters?.[0]?.CloneGroupId;
    expect(sixteenth?.CloneGroupId).toBe(group);
  });
});
