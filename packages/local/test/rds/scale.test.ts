/**
 * What keeps the simulator's per-call work independent of how many databases it holds: the cluster-member index
 * (Describe of a cluster, state views), faults looked up by operation, and the cheap inventory a sampler reads.
 */
import {
  CreateDBClusterSnapshotCommand,
  CreateDBInstanceCommand,
  CreateDBSnapshotCommand,
  DeleteDBInstanceCommand,
  DescribeDBClustersCommand,
  ModifyDBClusterCommand,
  ModifyDBInstanceCommand,
} from '@aws-sdk/client-rds';
import { Faults } from '../../src/rds/faults';
import { type Harness, startHarness, stopHarness, waitFor } from './helpers';

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ durations: { renameCluster: 100 } });
});
afterEach(() => stopHarness(h));

const membersSeen = async (id: string) =>
  (
    (await h.rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id }))).DBClusters?.[0]
      ?.DBClusterMembers ?? []
  ).map((m) => `${m.DBInstanceIdentifier}${m.IsClusterWriter ? ' (writer)' : ''}`);

/** The members as every instance's DBClusterIdentifier says (what the index must agree with), oldest first. */
const membersByScan = (id: string) =>
  h.sim
    .snapshotState()
    .instances.filter((i) => i.DBClusterIdentifier === id)
    .map((i) => String(i.DBInstanceIdentifier));

const instanceAvailable = (id: string) =>
  waitFor(() =>
    h.sim.inventory().instances.find((i) => i.DBInstanceIdentifier === id && !i.hidden)?.DBInstanceStatus ===
    'available'
      ? true
      : undefined,
  );

describe('cluster members (indexed by cluster)', () => {
  it('follow creates, a member rename, a cluster rename and deletes', async () => {
    h.sim.seedCluster({ DBClusterIdentifier: 'c1', Engine: 'aurora-postgresql' });
    h.sim.seedCluster({ DBClusterIdentifier: 'c2', Engine: 'aurora-postgresql' });
    h.sim.seedInstance({ DBInstanceIdentifier: 'standalone', Engine: 'postgres' });
    for (const [cluster, id] of [
      ['c1', 'c1-a'],
      ['c2', 'c2-a'],
      ['c1', 'c1-b'],
    ] as const) {
      await h.rds.send(
        new CreateDBInstanceCommand({
          DBInstanceIdentifier: id,
          DBClusterIdentifier: cluster,
          Engine: 'aurora-postgresql',
          DBInstanceClass: 'db.r6g.large',
        }),
      );
    }
    expect(await membersSeen('c1')).toEqual(['c1-a (writer)', 'c1-b']);
    expect(await membersSeen('c2')).toEqual(['c2-a (writer)']);

    // A member renamed stays a member, under its new name.
    await instanceAvailable('c1-b');
    await h.rds.send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: 'c1-b',
        NewDBInstanceIdentifier: 'c1-b-new',
        ApplyImmediately: true,
      }),
    );
    expect(await membersSeen('c1')).toEqual(['c1-a (writer)', 'c1-b-new']);

    // A renamed cluster takes its members along; the old name has none.
    await instanceAvailable('c1-a');
    await h.rds.send(
      new ModifyDBClusterCommand({ DBClusterIdentifier: 'c1', NewDBClusterIdentifier: 'c1-old' }),
    );
    expect(await membersSeen('c1-old')).toEqual(['c1-a (writer)', 'c1-b-new']);
    expect(membersByScan('c1')).toEqual([]);

    // Deleted members leave; the next one becomes writer.
    await h.rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'c1-a' }));
    await waitFor(() => (membersByScan('c1-old').length === 1 ? true : undefined));
    expect(await membersSeen('c1-old')).toEqual(['c1-b-new (writer)']);
    expect(await membersSeen('c2')).toEqual(['c2-a (writer)']);

    // Every cluster's members in Describe match a scan of all instances.
    for (const c of h.sim.snapshotState().clusters) {
      const id = String(c.DBClusterIdentifier);
      const described = (c.DBClusterMembers as { DBInstanceIdentifier: string }[]).map(
        (m) => m.DBInstanceIdentifier,
      );
      expect(described).toEqual(membersByScan(id));
    }
  });
});

describe('inventory', () => {
  it('has the identity, status, cluster and tags of every resource, renaming instances included', async () => {
    h.sim.seedInstance({
      DBInstanceIdentifier: 'db1',
      Engine: 'postgres',
      TagList: [{ Key: 'trapheus:run-id', Value: 'run-1' }],
    });
    h.sim.seedCluster({
      DBClusterIdentifier: 'cl1',
      Engine: 'aurora-postgresql',
      TagList: [{ Key: 'a', Value: 'b' }],
    });
    h.sim.seedInstance({
      DBInstanceIdentifier: 'cl1-w',
      Engine: 'aurora-postgresql',
      DBClusterIdentifier: 'cl1',
    });
    await h.rds.send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: 'db1',
        NewDBInstanceIdentifier: 'db1-tmp',
        ApplyImmediately: true,
      }),
    );
    h.sim.seedInstance({ DBInstanceIdentifier: 'db2', Engine: 'postgres' });
    await h.rds.send(
      new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'db2', DBSnapshotIdentifier: 's2' }),
    );
    await h.rds.send(
      new CreateDBClusterSnapshotCommand({ DBClusterIdentifier: 'cl1', DBClusterSnapshotIdentifier: 'cs1' }),
    );
    const inv = h.sim.inventory();
    expect(inv.snapshots.map((s) => s.DBSnapshotIdentifier)).toEqual(['s2']);
    expect(inv.clusterSnapshots).toEqual([
      { DBClusterSnapshotIdentifier: 'cs1', DBClusterIdentifier: 'cl1', Status: 'creating' },
    ]);
    const state = h.sim.snapshotState();
    expect(
      inv.instances.map((i) => [
        i.DBInstanceIdentifier,
        i.DbiResourceId,
        i.DBInstanceStatus,
        i.DBClusterIdentifier,
      ]),
    ).toEqual(
      state.instances.map((i) => [
        i.DBInstanceIdentifier,
        i.DbiResourceId,
        i.DBInstanceStatus,
        i.DBClusterIdentifier,
      ]),
    );
    expect(inv.instances.filter((i) => i.hidden).map((i) => i.DBInstanceIdentifier)).toEqual(
      state.hiddenInstances,
    );
    expect(inv.instances.find((i) => i.DBInstanceIdentifier === 'db1-tmp')?.TagList).toEqual([
      { Key: 'trapheus:run-id', Value: 'run-1' },
    ]);
    expect(inv.clusters).toEqual(
      state.clusters.map((c) => ({
        DBClusterIdentifier: c.DBClusterIdentifier,
        DbClusterResourceId: c.DbClusterResourceId,
        Status: c.Status,
        TagList: c.TagList,
      })),
    );
    expect(inv.snapshots).toEqual(
      state.snapshots.map((s) => ({
        DBSnapshotIdentifier: s.DBSnapshotIdentifier,
        DBInstanceIdentifier: s.DBInstanceIdentifier,
        DbiResourceId: s.DbiResourceId,
        Status: s.Status,
      })),
    );
    // A copy: changing it changes nothing in the simulator.
    inv.instances[0]?.TagList.push({ Key: 'x', Value: 'y' });
    expect(h.sim.inventory().instances[0]?.TagList).toHaveLength(inv.instances[0]!.TagList.length - 1);
  });
});

describe('faults looked up by operation', () => {
  const noEvents = { setFaults: () => undefined, resetFaults: () => undefined } as never;

  it('the first fault added for the operation and identifier is taken; others stay armed, in order', () => {
    const f = new Faults(() => 0.99, noEvents);
    f.add({ kind: 'api-error', operation: 'ModifyDBInstance', identifier: 'a', code: 'A1' });
    f.add({ kind: 'api-error', operation: 'DeleteDBInstance', code: 'D1', count: 2 });
    f.add({ kind: 'api-error', operation: 'ModifyDBInstance', code: 'M-any' });
    f.add({ kind: 'async-failure', operation: 'ModifyDBInstance', identifier: 'b', status: 'failed' });
    f.add({ kind: 'throttle', probability: 0.5 });
    const codeOf = (op: string, ids: string[]) => {
      try {
        f.checkApi(op, ids);
        return undefined;
      } catch (err) {
        return (err as { code: string }).code;
      }
    };
    expect(codeOf('ModifyDBInstance', ['b'])).toBe('M-any');
    expect(codeOf('ModifyDBInstance', ['a'])).toBe('A1');
    expect(codeOf('ModifyDBInstance', ['a'])).toBeUndefined();
    expect(codeOf('CreateDBSnapshot', ['a'])).toBeUndefined();
    expect(f.takeAsyncFailure('ModifyDBInstance', ['a'])).toBeUndefined();
    expect(f.takeAsyncFailure('ModifyDBInstance', ['b'])).toBe('failed');
    expect(f.list().map((s) => (s.kind === 'api-error' ? s.code : s.kind))).toEqual(['D1', 'throttle']);
    expect(codeOf('DeleteDBInstance', ['x'])).toBe('D1');
    expect(codeOf('DeleteDBInstance', ['x'])).toBe('D1');
    expect(codeOf('DeleteDBInstance', ['x'])).toBeUndefined();
    f.reset();
    expect(f.list()).toEqual([]);
    expect(codeOf('DeleteDBInstance', ['x'])).toBeUndefined();
  });

  it('every throttle draws once per call, in the order added, whatever API faults are armed', () => {
    const draws: number[] = [];
    const values = [0.9, 0.9, 0.1];
    const f = new Faults(() => {
      const v = values[draws.length % values.length]!;
      draws.push(v);
      return v;
    }, noEvents);
    f.add({ kind: 'throttle', probability: 0.5, operation: 'DescribeDBInstances' });
    f.add({ kind: 'api-error', operation: 'DescribeDBInstances', code: 'X', count: 0 });
    f.add({ kind: 'throttle', probability: 0.5 });
    f.add({ kind: 'throttle', probability: 0.5 });
    expect(() => f.checkApi('DescribeDBInstances', [])).toThrow('Rate exceeded');
    expect(draws).toHaveLength(3);
    // Another operation: the first throttle does not apply (no draw); the second draws 0.9, the third 0.9.
    expect(errorOfSync(() => f.checkApi('DescribeDBClusters', []))).toBeUndefined();
    expect(draws).toHaveLength(5);
  });
});

const errorOfSync = (fn: () => void) => {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err;
  }
};
