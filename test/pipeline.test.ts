import { tempIdentifierFor } from '@trapheus/shared';
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

  it.each([
    [
      'swap (the default): restores beside the original, configures, swaps the names, deletes the temp',
      undefined,
      ['RESTORING', 'CONFIGURING', 'SWAPPING'],
    ],
    [
      'rename_first: renames the original, restores under its name, configures, deletes the temp',
      'rename_first',
      ['RENAMING', 'RESTORING', 'CONFIGURING'],
    ],
  ] as const)('create_snapshot, %s', async (_label, strategy, middle) => {
    const original = seedOrders(h);
    await h.request({
      identifier: 'orders-db',
      task: 'create_snapshot',
      isCluster: false,
      ...(strategy ? { strategy } : {}),
    });
    await h.drain();

    const [run] = h.memory.all();
    expect(run?.step).toBe('SUCCEEDED');
    expect(run?.history.map((e) => e.step)).toEqual([
      'REQUESTED',
      'SNAPSHOTTING',
      'SNAPSHOT_READY',
      ...middle,
      'CLEANING_UP',
      'SUCCEEDED',
    ]);
    expect(run?.progress.downtimeStartedAt).toBeDefined();
    expect(run?.progress.downtimeEndedAt).toBeDefined();
    const restored = h.rds.instances.get('orders-db');
    expect(restored?.DbiResourceId).not.toBe(original.DbiResourceId);
    expect(restored?.DBParameterGroups?.[0]?.DBParameterGroupName).toBe('orders-pg16');
    expect(restored?.MultiAZ).toBe(true);
    expect(restored?.MonitoringInterval).toBe(60);
    expect(restored?.TagList).toEqual([{ Key: 'team', Value: 'orders' }]);
    expect([...h.rds.instances.keys()]).toEqual(['orders-db']);
    expect(h.outcomes().map((o) => o.detailType)).toEqual(['RunSucceeded']);
  });

  it('a failed restore (before the swap) deletes the copy: the original never moved, nothing else remains', async () => {
    const original = seedOrders(h);
    h.rds.failAsync('*', 'incompatible-restore');
    await h.request({ identifier: 'orders-db', task: 'create_snapshot', isCluster: false });
    await h.drain();

    const [run] = h.memory.all();
    expect(run?.step).toBe('ROLLED_BACK');
    expect(run?.failure).toMatchObject({ step: 'RESTORING', code: 'incompatible-restore' });
    expect([...h.rds.instances.keys()]).toEqual(['orders-db']);
    expect(h.rds.instances.get('orders-db')?.DbiResourceId).toBe(original.DbiResourceId);
    expect(h.rds.instances.get('orders-db')?.TagList).toEqual([{ Key: 'team', Value: 'orders' }]);
    expect(h.outcomes().map((o) => o.detailType)).toEqual(['RunRolledBack']);
    expect(h.rds.calls('ModifyDBInstance').filter((c) => c.input.NewDBInstanceIdentifier)).toEqual([]);
    expect(run?.progress.databaseState).toContain('the original was never renamed');
    expect(run?.progress.downtimeStartedAt).toBeUndefined();
  });

  // Every message reaches two invocations at the same moment, at every step: one reconciler works, the other is
  // nudged, and each RDS action happens exactly once.
  it.each([
    ['a successful restore', undefined, 'SUCCEEDED'],
    ['a restore that rolls back', 'incompatible-restore', 'ROLLED_BACK'],
  ] as const)('%s with every delivery doubled does each RDS action once', async (_label, failure, end) => {
    h.restore();
    h = createHarness(
      { snapshot: buildSnapshotSteps, restore: buildRestoreSteps, cleanup: buildCleanupSteps },
      { rdsLatency: true },
    );
    seedOrders(h);
    if (failure) h.rds.failAsync('*', failure);
    await h.request({ identifier: 'orders-db', task: 'create_snapshot', isCluster: false });

    await h.drain({ copies: 2, rounds: 200 });

    const [run] = h.memory.all();
    expect(run?.step).toBe(end);
    const renames = h.rds.calls('ModifyDBInstance').filter((c) => c.input.NewDBInstanceIdentifier);
    expect(h.rds.calls('CreateDBSnapshot')).toHaveLength(1);
    expect(h.rds.calls('RestoreDBInstanceFromDBSnapshot')).toHaveLength(1);
    expect(h.rds.calls('DeleteDBInstance')).toHaveLength(1);
    // swap: the original aside and the copy to the name; a failed restore never renames anything.
    expect(renames).toHaveLength(failure ? 0 : 2);
    expect(h.queue.some((q) => q.body.includes('trapheusNudge'))).toBe(false);
  });

  // Finding: after a snapshot-quota failure (nothing changed) the next request was REJECTED until `unlock`.
  it('a failure that changed nothing does not lock the database: the next request goes ahead', async () => {
    seedOrders(h);
    h.rds.failNext('CreateDBSnapshot', 'SnapshotQuotaExceeded');
    await h.request({ identifier: 'orders-db', task: 'create_snapshot', isCluster: false }, 'evt-1');
    await h.drain();
    const [first] = h.memory.all();
    expect(first?.step).toBe('FAILED');
    expect(first?.reason).toContain('not locked: fix the cause, then request the restore again');
    expect(first?.remedy).toEqual({
      action: 'restore',
      identifier: 'orders-db',
      isCluster: false,
      task: 'create_snapshot',
    });

    await h.request({ identifier: 'orders-db', task: 'create_snapshot', isCluster: false }, 'evt-2');

    const second = h.memory.all().find((r) => r.runId !== first!.runId)!;
    expect(second.step).not.toBe('REJECTED');
  });

  // Finding: a bystander under the temp name made the rollback claim both carry the original's resource id,
  // end FAILED with the database locked, and advise renaming the bystander onto the original's name.
  it('the temp name taken by another database: nothing is changed, the run says so, no lock, no advice to rename', async () => {
    seedOrders(h);
    await h.request({ identifier: 'orders-db', task: 'create_snapshot', isCluster: false }, 'evt-1');
    const [first] = h.memory.all();
    const temp = tempIdentifierFor('orders-db', first!.runId);
    const bystander = h.rds.seedInstance({ DBInstanceIdentifier: temp, DbiResourceId: 'db-BYSTANDER' });

    await h.drain();

    const run = (await h.runs.get(first!.runId))!;
    expect(run.step).toBe('ROLLED_BACK');
    expect(run.failure).toMatchObject({ step: 'SWAPPING', code: 'TempNameTaken' });
    expect(run.progress.databaseState).toBe(
      `unchanged: the original was never renamed and kept answering under orders-db; the copy ${run.copyIdentifier} was deleted (the temp name ${temp} belongs to another database, which was not touched)`,
    );
    expect(h.rds.instances.get(temp)?.DbiResourceId).toBe(bystander.DbiResourceId);
    expect(h.memory.locks.has('instance#orders-db')).toBe(false);
    const [outcome] = h.outcomes();
    expect(outcome?.detail).not.toHaveProperty('tempIdentifier');
    // The database itself saw no change at all: every change was to the run's snapshot and copy.
    const onOriginal = h.rds
      .calls()
      .filter((c) => !c.command.startsWith('Describe') && c.command !== 'CreateDBSnapshot')
      .filter(
        (c) =>
          c.input.DBInstanceIdentifier === 'orders-db' || String(c.input.ResourceName).endsWith(':orders-db'),
      );
    expect(onOriginal).toEqual([]);
  });

  it('a FAILED run that needs a person keeps the database locked until a person unlocks it', async () => {
    seedOrders(h);
    await h.request({ identifier: 'orders-db', task: 'create_snapshot', isCluster: false }, 'evt-1');
    const [first] = h.memory.all();
    // Force the run to FAILED, as a rollback that cannot finish would.
    let run = (await h.runs.get(first!.runId))!;
    run = await h.runs.transition(run, 'FAILED', {
      failure: { step: 'SNAPSHOTTING', code: 'X', message: 'x', at: '' },
      patch: { progress: { needsPerson: true } },
    });
    await h.drain();

    await h.request({ identifier: 'orders-db', task: 'create_snapshot', isCluster: false }, 'evt-2');
    const second = h.memory.all().find((r) => r.runId !== first!.runId)!;
    expect(second.step).toBe('REJECTED');
    expect(second.reason).toContain(
      `the last run (${first!.runId}) on DB instance orders-db FAILED and needs a person`,
    );
    expect(second.remedy).toEqual({ action: 'unlock', identifier: 'orders-db', isCluster: false });

    expect(await h.runs.unlock('instance', 'orders-db')).toEqual({ released: true, holder: first!.runId });
    await h.request({ identifier: 'orders-db', task: 'create_snapshot', isCluster: false }, 'evt-3');
    expect(h.memory.all().filter((r) => r.step === 'SNAPSHOTTING')).toHaveLength(1);
  });
});
