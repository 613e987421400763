import { createHarness, type Harness } from '@trapheus/shared/testing';
import { buildCleanupSteps } from '../services/cleanup/src/steps';
import { buildRestoreSteps } from '../services/restore/src/steps';
import { buildSnapshotSteps } from '../services/snapshot/src/steps';

const seedOrders = (h: Harness) =>
  h.rds.seedInstance({
    DBInstanceIdentifier: 'orders-db',
    DBInstanceClass: 'db.r6g.large',
    DBSubnetGroup: { DBSubnetGroupName: 'private-a' },
    VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-1' }, { VpcSecurityGroupId: 'sg-2' }],
    DBParameterGroups: [{ DBParameterGroupName: 'orders-pg16' }],
    OptionGroupMemberships: [{ OptionGroupName: 'orders-og' }],
    MultiAZ: true,
    StorageType: 'gp3',
    AllocatedStorage: 100,
    Iops: 3000,
    StorageThroughput: 125,
    PubliclyAccessible: false,
    IAMDatabaseAuthenticationEnabled: true,
    DeletionProtection: true,
    CopyTagsToSnapshot: true,
    CACertificateIdentifier: 'rds-ca-rsa2048-g1',
    EnabledCloudwatchLogsExports: ['postgresql'],
    MonitoringInterval: 60,
    MonitoringRoleArn: 'arn:aws:iam::123456789012:role/rds-monitoring',
    PerformanceInsightsEnabled: true,
    PerformanceInsightsRetentionPeriod: 7,
    MaxAllocatedStorage: 500,
    PreferredMaintenanceWindow: 'sun:03:00-sun:04:00',
    BackupRetentionPeriod: 7,
    TagList: [{ Key: 'team', Value: 'orders' }],
  });

describe('the instance pipeline, end to end over fakes', () => {
  let h: Harness;
  beforeEach(() => {
    h = createHarness({
      snapshot: buildSnapshotSteps,
      restore: buildRestoreSteps,
      cleanup: buildCleanupSteps,
    });
  });
  afterEach(() => h.restore());

  it('create_snapshot: snapshots, renames, restores with the same configuration, deletes the temp', async () => {
    const original = seedOrders(h);
    await h.request({ identifier: 'orders-db', task: 'create_snapshot', isCluster: false });
    await h.drain();

    const [run] = h.memory.all();
    expect(run?.step).toBe('SUCCEEDED');
    expect(run?.history.map((e) => e.step)).toEqual([
      'REQUESTED',
      'SNAPSHOTTING',
      'SNAPSHOT_READY',
      'RENAMING',
      'RESTORING',
      'CONFIGURING',
      'CLEANING_UP',
      'SUCCEEDED',
    ]);
    const restored = h.rds.instances.get('orders-db');
    expect(restored?.DbiResourceId).not.toBe(original.DbiResourceId);
    expect(restored?.DBParameterGroups?.[0]?.DBParameterGroupName).toBe('orders-pg16');
    expect(restored?.MultiAZ).toBe(true);
    expect(restored?.MonitoringInterval).toBe(60);
    expect(restored?.TagList).toEqual([{ Key: 'team', Value: 'orders' }]);
    expect([...h.rds.instances.keys()]).toEqual(['orders-db']);
    expect(h.outcomes().map((o) => o.detailType)).toEqual(['RunSucceeded']);
  });

  it('a failed restore rolls back: the original is back under its name and nothing else remains', async () => {
    const original = seedOrders(h);
    h.rds.failAsync('orders-db', 'incompatible-restore');
    await h.request({ identifier: 'orders-db', task: 'create_snapshot', isCluster: false });
    await h.drain();

    const [run] = h.memory.all();
    expect(run?.step).toBe('ROLLED_BACK');
    expect(run?.failure).toMatchObject({ step: 'RESTORING', code: 'incompatible-restore' });
    expect([...h.rds.instances.keys()]).toEqual(['orders-db']);
    expect(h.rds.instances.get('orders-db')?.DbiResourceId).toBe(original.DbiResourceId);
    expect(h.rds.instances.get('orders-db')?.TagList).toEqual([{ Key: 'team', Value: 'orders' }]);
    expect(h.outcomes().map((o) => o.detailType)).toEqual(['RunRolledBack']);
  });
});
