import {
  CreateDBSnapshotCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  ModifyDBInstanceCommand,
} from '@aws-sdk/client-rds';
import { errorOf, type Harness, startHarness, stopHarness, waitFor } from './helpers';

let h: Harness;
beforeAll(async () => {
  // 0.15 s gap, 0.15 s renaming, 0.15 s rebooting: long enough to observe each phase.
  h = await startHarness({ durations: { renameGap: 150, renameRenaming: 150, renameRebooting: 150 } });
});
afterAll(() => stopHarness(h));

const describe1 = async (id: string) =>
  (await h.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances?.[0];

describe('instance rename', () => {
  it('frees the old name at once, hides the new one briefly, then renaming → rebooting → available, without any event', async () => {
    h.sim.seedInstance({
      DBInstanceIdentifier: 'orders-db',
      Engine: 'postgres',
      TagList: [{ Key: 'team', Value: 'orders' }],
    });
    const before = await describe1('orders-db');
    h.sim.seedInstance({ DBInstanceIdentifier: 'other-db', Engine: 'postgres' });
    const taken = await errorOf(
      h.rds.send(
        new ModifyDBInstanceCommand({
          DBInstanceIdentifier: 'orders-db',
          NewDBInstanceIdentifier: 'other-db',
          ApplyImmediately: true,
        }),
      ),
    );
    expect(taken).toMatchObject({ name: 'DBInstanceAlreadyExistsFault' });

    const reply = await h.rds.send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: 'orders-db',
        NewDBInstanceIdentifier: 'orders-db-old',
        ApplyImmediately: true,
      }),
    );
    expect(reply.DBInstance?.DBInstanceIdentifier).toBe('orders-db');
    expect(reply.DBInstance?.PendingModifiedValues?.DBInstanceIdentifier).toBe('orders-db-old');

    expect(await errorOf(describe1('orders-db'))).toMatchObject({
      name: 'DBInstanceNotFoundFault',
      status: 404,
    });
    expect(await errorOf(describe1('orders-db-old'))).toMatchObject({ name: 'DBInstanceNotFoundFault' });
    const all = await h.rds.send(new DescribeDBInstancesCommand({}));
    expect(all.DBInstances?.map((d) => d.DBInstanceIdentifier)).toEqual(['other-db']);

    const seen = new Set<string>();
    const after = await waitFor(async () => {
      const db = await describe1('orders-db-old').catch(() => undefined);
      if (db?.DBInstanceStatus) seen.add(db.DBInstanceStatus);
      return db?.DBInstanceStatus === 'available' ? db : undefined;
    });
    expect([...seen]).toEqual(expect.arrayContaining(['renaming', 'rebooting', 'available']));
    expect(after.DbiResourceId).toBe(before?.DbiResourceId);
    expect(after.TagList).toEqual([{ Key: 'team', Value: 'orders' }]);
    expect(after.DBInstanceArn).toBe('arn:aws:rds:us-east-1:000000000000:db:orders-db-old');
    expect(after.Endpoint?.Address?.startsWith('orders-db-old.')).toBe(true);
    expect(after.Endpoint?.Address?.split('.').slice(1)).toEqual(
      before?.Endpoint?.Address?.split('.').slice(1),
    );
    expect(after.PendingModifiedValues).toEqual({});
    expect(h.events).toEqual([]);
    expect(h.sim.emittedEvents()).toEqual([]);
  });

  it('keeps the instance snapshots (under the identifier they were taken from) across a rename', async () => {
    h.sim.seedInstance({ DBInstanceIdentifier: 'snap-db', Engine: 'postgres' });
    await h.rds.send(
      new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'snap-db', DBSnapshotIdentifier: 'snap-db-s1' }),
    );
    await waitFor(async () => (await describe1('snap-db'))?.DBInstanceStatus === 'available');
    const eventsBefore = h.events.length;
    await h.rds.send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: 'snap-db',
        NewDBInstanceIdentifier: 'snap-db-temp',
        ApplyImmediately: true,
      }),
    );
    const renamed = await waitFor(async () => {
      const db = await describe1('snap-db-temp').catch(() => undefined);
      return db?.DBInstanceStatus === 'available' ? db : undefined;
    });
    const out = await h.rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: 'snap-db-s1' }));
    expect(out.DBSnapshots?.[0]).toMatchObject({
      Status: 'available',
      DBInstanceIdentifier: 'snap-db',
      DbiResourceId: renamed.DbiResourceId,
    });
    expect(h.events.length).toBe(eventsBefore);
  });

  it('without ApplyImmediately only records the rename as pending', async () => {
    h.sim.seedInstance({ DBInstanceIdentifier: 'later-db', Engine: 'mysql' });
    const out = await h.rds.send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: 'later-db',
        NewDBInstanceIdentifier: 'later-db-2',
      }),
    );
    expect(out.DBInstance).toMatchObject({
      DBInstanceIdentifier: 'later-db',
      DBInstanceStatus: 'available',
      PendingModifiedValues: { DBInstanceIdentifier: 'later-db-2' },
    });
    expect((await describe1('later-db'))?.DBInstanceStatus).toBe('available');
  });
});
