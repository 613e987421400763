import { type CapturedInstance, type Run, tempIdentifierFor } from '@trapheus/shared';
import { createHarness, type Harness } from '@trapheus/shared/testing';
import { buildRestoreSteps } from '../src/steps';

const ORIGINAL = {
  DBInstanceIdentifier: 'orders-db',
  DBInstanceClass: 'db.r6g.large',
  AvailabilityZone: 'us-east-1a',
  DBSubnetGroup: { DBSubnetGroupName: 'private-a' },
  VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-1' }, { VpcSecurityGroupId: 'sg-2' }],
  DBParameterGroups: [{ DBParameterGroupName: 'orders-pg16' }],
  OptionGroupMemberships: [{ OptionGroupName: 'orders-og' }],
  MultiAZ: true,
  StorageType: 'gp3',
  AllocatedStorage: 500,
  Iops: 12000,
  StorageThroughput: 125,
  Endpoint: { Address: 'orders-db.abc.us-east-1.rds.amazonaws.com', Port: 5433 },
  PubliclyAccessible: false,
  AutoMinorVersionUpgrade: true,
  LicenseModel: 'postgresql-license',
  IAMDatabaseAuthenticationEnabled: true,
  DeletionProtection: true,
  CopyTagsToSnapshot: true,
  CACertificateIdentifier: 'rds-ca-rsa2048-g1',
  EnabledCloudwatchLogsExports: ['postgresql', 'upgrade'],
  MonitoringInterval: 60,
  MonitoringRoleArn: 'arn:aws:iam::123456789012:role/rds-monitoring',
  PerformanceInsightsEnabled: true,
  PerformanceInsightsKMSKeyId: 'arn:aws:kms:us-east-1:123456789012:key/pi',
  PerformanceInsightsRetentionPeriod: 7,
  MaxAllocatedStorage: 1000,
  PreferredMaintenanceWindow: 'sun:03:00-sun:04:00',
  PreferredBackupWindow: '01:00-01:30',
  BackupRetentionPeriod: 7,
  TagList: [{ Key: 'team', Value: 'orders' }],
};

describe('restore service', () => {
  let h: Harness;
  let run: Run;

  /** A run at SNAPSHOT_READY, as the snapshot service leaves it. */
  const readyRun = async () => {
    const { run: created } = await h.runs.create({
      runId: 'run-0123456789abcdef',
      identifier: 'orders-db',
      kind: 'instance',
      task: 'create_snapshot',
      snapshotIdentifier: 'orders-db-snapshot',
    });
    const snapshotting = await h.runs.transition(created, 'SNAPSHOTTING');
    return h.runs.transition(snapshotting, 'SNAPSHOT_READY');
  };
  const snapshotReady = (r: Run) =>
    h.eventBody('SnapshotReady', {
      runId: r.runId,
      identifier: r.identifier,
      kind: 'instance',
      step: r.step,
    });
  const current = async () => (await h.runs.get(run.runId))!;
  const temp = tempIdentifierFor('orders-db', 'run-0123456789abcdef');

  beforeEach(async () => {
    h = createHarness({ restore: buildRestoreSteps });
    h.rds.seedInstance(ORIGINAL);
    h.rds.seedSnapshot({ DBSnapshotIdentifier: 'orders-db-snapshot', DBInstanceIdentifier: 'orders-db' });
    run = await readyRun();
  });
  afterEach(() => h.restore());

  it('captures the configuration, tags the original with the run, then renames it to the temp name', async () => {
    await h.deliver('restore', snapshotReady(run));

    const r = await current();
    expect(r.step).toBe('RENAMING');
    expect(r.tempIdentifier).toBe(temp);
    expect((r.original as unknown as CapturedInstance).DBParameterGroupName).toBe('orders-pg16');
    expect(h.rds.mutatingCalls()).toEqual(['AddTagsToResource', 'ModifyDBInstance']);
    expect(h.rds.calls('AddTagsToResource')[0]?.input).toEqual({
      ResourceName: 'arn:aws:rds:us-east-1:123456789012:db:orders-db',
      Tags: [{ Key: 'trapheus:run-id', Value: run.runId }],
    });
    expect(h.rds.calls('ModifyDBInstance')[0]?.input).toEqual({
      DBInstanceIdentifier: 'orders-db',
      NewDBInstanceIdentifier: temp,
      ApplyImmediately: true,
    });
    expect(r.wait).toMatchObject({ resourceType: 'db-instance', identifier: temp, target: 'available' });
  });

  it('restores with every setting restore accepts, taken from the original', async () => {
    await h.deliver('restore', snapshotReady(run));
    await h.drain();

    const [restore] = h.rds.calls('RestoreDBInstanceFromDBSnapshot');
    expect(restore?.input).toEqual({
      DBInstanceIdentifier: 'orders-db',
      DBSnapshotIdentifier: 'orders-db-snapshot',
      DBInstanceClass: 'db.r6g.large',
      Port: 5433,
      DBSubnetGroupName: 'private-a',
      MultiAZ: true,
      PubliclyAccessible: false,
      AutoMinorVersionUpgrade: true,
      LicenseModel: 'postgresql-license',
      OptionGroupName: 'orders-og',
      StorageType: 'gp3',
      AllocatedStorage: 500,
      Iops: 12000,
      StorageThroughput: 125,
      VpcSecurityGroupIds: ['sg-1', 'sg-2'],
      Tags: [
        { Key: 'team', Value: 'orders' },
        { Key: 'trapheus:restored-by', Value: run.runId },
      ],
      CopyTagsToSnapshot: true,
      EnableIAMDatabaseAuthentication: true,
      EnableCloudwatchLogsExports: ['postgresql', 'upgrade'],
      DBParameterGroupName: 'orders-pg16',
      DeletionProtection: false,
      CACertificateIdentifier: 'rds-ca-rsa2048-g1',
      BackupRetentionPeriod: 7,
      PreferredBackupWindow: '01:00-01:30',
    });
  });

  it('applies what restore does not accept with one modify, then hands over to cleanup', async () => {
    await h.deliver('restore', snapshotReady(run));
    await h.drain();

    const modifies = h.rds.calls('ModifyDBInstance').map((c) => c.input);
    expect(modifies).toHaveLength(2);
    expect(modifies[1]).toEqual({
      DBInstanceIdentifier: 'orders-db',
      ApplyImmediately: true,
      MonitoringInterval: 60,
      MonitoringRoleArn: 'arn:aws:iam::123456789012:role/rds-monitoring',
      EnablePerformanceInsights: true,
      PerformanceInsightsKMSKeyId: 'arn:aws:kms:us-east-1:123456789012:key/pi',
      PerformanceInsightsRetentionPeriod: 7,
      MaxAllocatedStorage: 1000,
      PreferredMaintenanceWindow: 'sun:03:00-sun:04:00',
      DeletionProtection: true,
    });
    const r = await current();
    expect(r.step).toBe('CLEANING_UP');
    expect(h.published.map((p) => p.detailType)).toEqual(['RestoreCompleted']);
    expect(h.rds.calls('RemoveTagsFromResource')[0]?.input).toEqual({
      ResourceName: 'arn:aws:rds:us-east-1:123456789012:db:orders-db',
      TagKeys: ['trapheus:restored-by'],
    });
    expect(h.rds.instances.get('orders-db')?.TagList).toEqual([{ Key: 'team', Value: 'orders' }]);
  });

  it('a duplicated SnapshotReady renames once', async () => {
    await h.deliver('restore', snapshotReady(run));
    await h.deliver('restore', snapshotReady(run));

    expect(h.rds.calls('ModifyDBInstance')).toHaveLength(1);
    expect((await current()).step).toBe('RENAMING');
  });

  it('waits while neither name answers during the rename (no event comes), then restores', async () => {
    await h.deliver('restore', snapshotReady(run));
    const checkBack = h.queue.at(-1)!.body;

    await h.deliver('restore', checkBack);
    expect((await current()).step).toBe('RENAMING');
    expect(h.rds.calls('ModifyDBInstance')).toHaveLength(1);

    h.rds.settle();
    await h.deliver('restore', h.queue.at(-1)!.body);
    expect((await current()).step).toBe('RESTORING');
    expect(h.rds.calls('RestoreDBInstanceFromDBSnapshot')).toHaveLength(1);
  });

  it('an old check-back after the run moved on changes nothing (no step backwards)', async () => {
    await h.deliver('restore', snapshotReady(run));
    const oldCheckBack = h.queue.at(-1)!.body;
    await h.drain();
    const done = await current();

    await h.deliver('restore', oldCheckBack);
    await h.deliver('restore', snapshotReady(run));

    expect(await current()).toEqual(done);
  });

  it('an RDS event about another database is ignored', async () => {
    await h.deliver('restore', snapshotReady(run));
    const before = await current();

    await h.deliver(
      'restore',
      h.rdsEventBody(
        'RDS DB Instance Event',
        'arn:aws:rds:us-east-1:1:db:billing-db',
        'RDS-EVENT-0043',
        'billing-db',
      ),
    );

    expect(await current()).toEqual(before);
  });

  it('a rename answered NotFound (a concurrent delivery renamed it first) waits instead of failing', async () => {
    h.rds.failNext('ModifyDBInstance', 'DBInstanceNotFound', 'orders-db');

    await h.deliver('restore', snapshotReady(run));

    const r = await current();
    expect(r.step).toBe('RENAMING');
    expect(r.wait).toMatchObject({ identifier: temp, target: 'available' });
  });

  it('a busy instance (backing-up) is renamed later, not failed', async () => {
    h.rds.failNext('ModifyDBInstance', 'InvalidDBInstanceState', 'orders-db');

    await h.deliver('restore', snapshotReady(run));
    await h.drain();

    expect((await current()).step).toBe('CLEANING_UP');
    expect(h.rds.calls('ModifyDBInstance').filter((c) => c.input.NewDBInstanceIdentifier)).toHaveLength(2);
  });

  it('a restore call that fails starts the rollback', async () => {
    h.rds.failNext('RestoreDBInstanceFromDBSnapshot', 'InsufficientDBInstanceCapacity');

    await h.deliver('restore', snapshotReady(run));
    await h.drain();

    const r = await current();
    expect(r.step).toBe('ROLLING_BACK');
    expect(r.failure).toMatchObject({ step: 'RESTORING', code: 'InsufficientDBInstanceCapacity' });
    expect(h.published.map((p) => p.detailType)).toEqual(['RestoreFailed']);
  });

  it('a restored copy that ends incompatible-restore starts the rollback', async () => {
    h.rds.failAsync('orders-db', 'incompatible-restore');

    await h.deliver('restore', snapshotReady(run));
    await h.drain();

    expect((await current()).failure).toMatchObject({ step: 'RESTORING', code: 'incompatible-restore' });
  });

  it('throttling is not a failure: the error goes back to the queue and the run stays where it was', async () => {
    h.rds.failNext('DescribeDBInstances', 'Throttling');

    await expect(h.deliver('restore', snapshotReady(run))).rejects.toMatchObject({ name: 'Throttling' });

    expect((await current()).step).toBe('SNAPSHOT_READY');
    await h.deliver('restore', snapshotReady(run));
    expect((await current()).step).toBe('RENAMING');
  });

  it('a step stuck past its deadline fails and rolls back', async () => {
    await h.deliver('restore', snapshotReady(run));
    const r = await current();
    await h.runs.update(r, { wait: { ...r.wait!, deadline: '2000-01-01T00:00:00.000Z' } });

    await h.deliver('restore', h.queue.at(-1)!.body);

    expect((await current()).failure).toMatchObject({ step: 'RENAMING', code: 'DeadlineExceeded' });
  });
});
