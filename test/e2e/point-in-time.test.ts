/**
 * Restores to a point in time, in place, end to end on the local stack (issue 15): `restoreTime` or `latest`
 * instead of a snapshot, checked against the database's restorable window before anything is touched, restored
 * from the original's automated backups (its own name with swap, the temp name with rename_first) with the
 * captured configuration, then swapped and cleaned up like a snapshot restore.
 */
import { DescribeDBClustersCommand } from '@aws-sdk/client-rds';
import { DEMO_CLUSTER_MEMBERS, DEMO_CLUSTER as DEMO_CLUSTER_SEED, type LocalStack } from '@trapheus/local';

const DEMO_CLUSTER = String(DEMO_CLUSTER_SEED.DBClusterIdentifier);

import { type Run, restoreSourceLabel } from '@trapheus/shared';
import { assertIamClean, clientsFor, describe1, freshStack, runRestore } from './stack-helpers';

jest.setTimeout(90_000);

const MUTATING = /^(Create|Delete|Modify|Restore|Add|Remove|Start|Stop|Reboot|Promote|Failover|Copy)/;

/** `trapheus restore … --task db_restore --restore-time T | --latest --wait` against the stack. */
const restoreTo = (
  stack: LocalStack,
  opts: {
    identifier: string;
    cluster?: boolean;
    restoreTime?: string;
    latest?: boolean;
    strategy?: 'swap' | 'rename_first';
  },
) => runRestore(stack, { task: 'db_restore', ...opts });

/** Waits until RDS reports a restorable window of at least `ms` (the stack's time scale shortens the lag). */
const windowOf = async (stack: LocalStack, id: string, cluster: boolean, ms = 400) => {
  const { rds } = clientsFor(stack);
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (cluster) {
      const c = (await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id }))).DBClusters?.[0];
      const [from, to] = [c?.EarliestRestorableTime, c?.LatestRestorableTime];
      if (from && to && to.getTime() - from.getTime() >= ms) return { from, to };
    } else {
      const db = await describe1(rds, id);
      const from = db?.InstanceCreateTime;
      const to = db?.LatestRestorableTime;
      if (from && to && to.getTime() - from.getTime() >= ms) return { from, to };
    }
    if (Date.now() > deadline) throw new Error(`no restorable window on ${id}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

const mutatingCalls = (stack: LocalStack, since = 0) =>
  stack.rds
    .callLog()
    .filter((c) => c.at >= since && c.accessKeyId !== 'local' && MUTATING.test(c.action) && c.status < 300);

describe('restore to a point in time on the local stack', () => {
  let stack: LocalStack | undefined;
  afterEach(async () => {
    try {
      await assertIamClean(stack);
    } finally {
      await stack?.stop();
      stack = undefined;
    }
  });

  it('an instance to a time inside its window: restored beside it from its backups, swapped, the original kept as a final snapshot', async () => {
    stack = await freshStack();
    const { runs, rds } = clientsFor(stack);
    const before = (await describe1(rds, 'demo-db'))!;
    const { from, to } = await windowOf(stack, 'demo-db', false);
    const time = new Date(Math.floor((from.getTime() + to.getTime()) / 2 / 1000) * 1000 + 1000);
    const asked = time.toISOString().replace('.000Z', 'Z');

    const result = await restoreTo(stack, { identifier: 'demo-db', restoreTime: asked });
    await stack.bus.whenIdle(20_000);

    expect(result.code).toBe(0);
    const run = (await runs.get(result.runId)) as Run;
    expect(run.step).toBe('SUCCEEDED');
    expect(run.snapshotIdentifier).toBe('');
    expect(run.restorePoint).toMatchObject({ time: asked, window: { latest: expect.any(String) } });
    expect(run.history.map((h) => h.step)).not.toContain('SNAPSHOTTING');
    expect(run.history.find((h) => h.step === 'SNAPSHOT_READY')?.note).toBe(
      `restoring to point in time ${asked} (no snapshot)`,
    );

    // One restore call: from the original under its own name (swap), at the asked time, to the run's side name.
    const restores = stack.rds.callLog().filter((c) => c.action === 'RestoreDBInstanceToPointInTime');
    expect(restores).toHaveLength(1);
    expect(restores[0]?.params).toMatchObject({
      SourceDBInstanceIdentifier: 'demo-db',
      TargetDBInstanceIdentifier: run.copyIdentifier,
      RestoreTime: asked,
    });
    expect(restores[0]?.params.UseLatestRestorableTime).toBeUndefined();
    expect(stack.rds.callLog().some((c) => c.action === 'RestoreDBInstanceFromDBSnapshot')).toBe(false);
    expect(stack.rds.callLog().some((c) => c.action === 'CreateDBSnapshot')).toBe(false);

    // The copy answers under the name with the original's configuration; the original went with a final snapshot
    // (its automated backups go with it), since no snapshot of it was taken by this run.
    const after = (await describe1(rds, 'demo-db'))!;
    expect(after.DbiResourceId).not.toBe(before.DbiResourceId);
    expect(after.DBInstanceClass).toBe(before.DBInstanceClass);
    expect(after.VpcSecurityGroups).toEqual(before.VpcSecurityGroups);
    expect(after.DBParameterGroups?.map((g) => g.DBParameterGroupName)).toEqual(
      before.DBParameterGroups?.map((g) => g.DBParameterGroupName),
    );
    const deletes = stack.rds.callLog().filter((c) => c.action === 'DeleteDBInstance');
    expect(deletes.map((c) => c.params)).toEqual([
      expect.objectContaining({
        DBInstanceIdentifier: run.tempIdentifier,
        FinalDBSnapshotIdentifier: `${run.tempIdentifier}-final`,
      }),
    ]);
    // RDS said which restore it was: RDS-EVENT-0019 (restored from a point-in-time backup).
    expect(
      stack.rds
        .emittedEvents()
        .some(
          (e) => e.detail.EventID === 'RDS-EVENT-0019' && e.detail.SourceIdentifier === run.copyIdentifier,
        ),
    ).toBe(true);
    expect(restoreSourceLabel(run)).toBe(`point in time ${asked}`);
  });

  it('rename_first and latest: the restore reads the backups of the renamed original', async () => {
    stack = await freshStack();
    const { runs } = clientsFor(stack);
    await windowOf(stack, 'demo-db', false);

    const result = await restoreTo(stack, { identifier: 'demo-db', latest: true, strategy: 'rename_first' });
    await stack.bus.whenIdle(20_000);

    expect(result.code).toBe(0);
    const run = (await runs.get(result.runId)) as Run;
    expect(run.step).toBe('SUCCEEDED');
    expect(run.restorePoint?.latest).toBe(true);
    const restores = stack.rds.callLog().filter((c) => c.action === 'RestoreDBInstanceToPointInTime');
    expect(restores.map((c) => c.params)).toEqual([
      expect.objectContaining({
        SourceDBInstanceIdentifier: run.tempIdentifier,
        TargetDBInstanceIdentifier: 'demo-db',
        UseLatestRestorableTime: 'true',
      }),
    ]);
    expect(restores[0]?.params.RestoreTime).toBeUndefined();
  });

  it('a cluster to a time inside its window: the cluster from its backups, then every member', async () => {
    stack = await freshStack();
    const { runs, rds } = clientsFor(stack);
    const { from, to } = await windowOf(stack, DEMO_CLUSTER, true);
    const asked = new Date(Math.ceil((from.getTime() + to.getTime()) / 2 / 1000) * 1000)
      .toISOString()
      .replace('.000Z', 'Z');

    const result = await restoreTo(stack, { identifier: DEMO_CLUSTER, cluster: true, restoreTime: asked });
    await stack.bus.whenIdle(20_000);

    expect(result.code).toBe(0);
    const run = (await runs.get(result.runId)) as Run;
    expect(run.step).toBe('SUCCEEDED');
    const restores = stack.rds.callLog().filter((c) => c.action === 'RestoreDBClusterToPointInTime');
    expect(restores.map((c) => c.params)).toEqual([
      expect.objectContaining({
        SourceDBClusterIdentifier: DEMO_CLUSTER,
        DBClusterIdentifier: run.copyIdentifier,
        RestoreType: 'full-copy',
        RestoreToTime: asked,
      }),
    ]);
    // Snapshot-only parameters are not sent (the call takes engine and version from its source).
    expect(restores[0]?.params.Engine).toBeUndefined();
    expect(restores[0]?.params.SnapshotIdentifier).toBeUndefined();
    const members = stack.rds
      .snapshotState()
      .instances.filter((i) => i.DBClusterIdentifier === DEMO_CLUSTER)
      .map((i) => String(i.DBInstanceIdentifier))
      .sort();
    expect(members).toEqual(DEMO_CLUSTER_MEMBERS.map((m) => m.DBInstanceIdentifier).sort());
    const cluster = (await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: DEMO_CLUSTER })))
      .DBClusters?.[0];
    expect(cluster?.Status).toBe('available');
  });

  it('a point-in-time restore that fails rolls back like a snapshot restore: the copy goes, the original stays', async () => {
    stack = await freshStack();
    const { runs, rds } = clientsFor(stack);
    const before = (await describe1(rds, 'demo-db'))!;
    await windowOf(stack, 'demo-db', false);
    stack.rds.faults.add({
      kind: 'async-failure',
      operation: 'RestoreDBInstanceToPointInTime',
      status: 'incompatible-restore',
    });

    const result = await restoreTo(stack, { identifier: 'demo-db', latest: true });

    expect(result.code).toBe(2);
    const run = (await runs.get(result.runId)) as Run;
    expect(run.step).toBe('ROLLED_BACK');
    expect(run.failure).toMatchObject({ step: 'RESTORING', code: 'incompatible-restore' });
    expect(run.history.at(-1)?.note).toBe('failed before the swap: the original was never moved');
    const after = (await describe1(rds, 'demo-db'))!;
    expect([after.DbiResourceId, after.TagList]).toEqual([before.DbiResourceId, before.TagList]);
    expect(
      stack.rds
        .snapshotState()
        .instances.filter((i) => !i.DBClusterIdentifier)
        .map((i) => i.DBInstanceIdentifier),
    ).toEqual(['demo-db']);
  });

  it('a time outside the window, or backups off: REJECTED before anything is touched', async () => {
    stack = await freshStack();
    const { runs, rds } = clientsFor(stack);
    const before = (await describe1(rds, 'demo-db'))!;
    await windowOf(stack, 'demo-db', false);
    const start = Date.now();

    const early = await restoreTo(stack, { identifier: 'demo-db', restoreTime: '2020-01-01T00:00:00Z' });
    expect(early.code).toBe(3);
    const rejected = (await runs.get(early.runId)) as Run;
    expect(rejected.step).toBe('REJECTED');
    expect(rejected.failure?.code).toBe('RestoreTimeOutsideWindow');
    expect(rejected.reason).toMatch(
      /^field "restoreTime" 2020-01-01T00:00:00Z is outside the restorable window of DB instance demo-db \(.+ to .+\)$/,
    );

    const future = new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const late = await restoreTo(stack, { identifier: 'demo-db', restoreTime: future });
    expect(late.code).toBe(3);
    expect((await runs.get(late.runId))?.failure?.code).toBe('RestoreTimeOutsideWindow');

    stack.rds.seedInstance({
      DBInstanceIdentifier: 'no-backups-db',
      Engine: 'postgres',
      EngineVersion: '16.4',
      DBInstanceClass: 'db.t4g.medium',
      AllocatedStorage: 20,
      BackupRetentionPeriod: 0,
    });
    const off = await restoreTo(stack, { identifier: 'no-backups-db', latest: true });
    expect(off.code).toBe(3);
    const offRun = (await runs.get(off.runId)) as Run;
    expect(offRun.failure?.code).toBe('PointInTimeRestoreNotEnabled');
    expect(offRun.reason).toContain('BackupRetentionPeriod 0');

    // The alert says which point in time was asked for.
    await stack.bus.whenIdle(20_000);
    const mail = JSON.stringify(await stack.ses.emails());
    expect(mail).toContain('Restored to');
    expect(mail).toContain('point in time 2020-01-01T00:00:00Z');

    // Nothing was changed by any of them.
    expect(mutatingCalls(stack, start)).toEqual([]);
    expect((await describe1(rds, 'demo-db'))?.DbiResourceId).toBe(before.DbiResourceId);
  });
});
