import {
  CreateDBSnapshotCommand,
  DeleteDBInstanceCommand,
  DeleteDBSnapshotCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  ModifyDBInstanceCommand,
} from '@aws-sdk/client-rds';
import { errorOf, eventIds, type Harness, startHarness, stopHarness, waitFor } from './helpers';

let h: Harness;
beforeAll(async () => {
  // Snapshots take 0.4 s here so the in-between states can be observed.
  h = await startHarness({ durations: { createSnapshot: 400, deleteSnapshot: 100 } });
});
afterAll(() => stopHarness(h));

const snapshot = async (id: string) =>
  (await h.rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: id }))).DBSnapshots?.[0];
const instanceStatus = async (id: string) =>
  (await h.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances?.[0]
    ?.DBInstanceStatus;

describe('DB snapshots', () => {
  it('creates a snapshot: creating with rising progress and the instance backing-up, then available with 0040/0042', async () => {
    h.sim.seedInstance({
      DBInstanceIdentifier: 'orders-db',
      Engine: 'postgres',
      EngineVersion: '15.5',
      AllocatedStorage: 50,
      StorageType: 'io1',
      Iops: 3000,
      CopyTagsToSnapshot: true,
      TagList: [
        { Key: 'team', Value: 'orders' },
        { Key: 'env', Value: 'prod' },
      ],
    });
    const created = await h.rds.send(
      new CreateDBSnapshotCommand({
        DBInstanceIdentifier: 'orders-db',
        DBSnapshotIdentifier: 'orders-db-snapshot',
        Tags: [{ Key: 'env', Value: 'snap' }],
      }),
    );
    expect(created.DBSnapshot).toMatchObject({
      Status: 'creating',
      SnapshotType: 'manual',
      DBInstanceIdentifier: 'orders-db',
    });
    expect(await instanceStatus('orders-db')).toBe('backing-up');
    const busy = await errorOf(
      h.rds.send(
        new ModifyDBInstanceCommand({
          DBInstanceIdentifier: 'orders-db',
          NewDBInstanceIdentifier: 'x',
          ApplyImmediately: true,
        }),
      ),
    );
    expect(busy).toMatchObject({ name: 'InvalidDBInstanceStateFault' });
    const midway = await waitFor(async () => {
      const s = await snapshot('orders-db-snapshot');
      return s && (s.PercentProgress ?? 0) > 0 && s.Status === 'creating' ? s : undefined;
    });
    expect(midway.PercentProgress).toBeLessThan(100);

    const done = await waitFor(async () => {
      const s = await snapshot('orders-db-snapshot');
      return s?.Status === 'available' ? s : undefined;
    });
    expect(await instanceStatus('orders-db')).toBe('available');
    expect(done).toMatchObject({
      DBSnapshotArn: 'arn:aws:rds:us-east-1:000000000000:snapshot:orders-db-snapshot',
      PercentProgress: 100,
      Engine: 'postgres',
      EngineVersion: '15.5',
      AllocatedStorage: 50,
      StorageType: 'io1',
      Iops: 3000,
      Port: 5432,
      OptionGroupName: 'default:postgres-15',
      Encrypted: false,
    });
    expect(done.SnapshotCreateTime).toBeInstanceOf(Date);
    expect(done.TagList).toEqual([
      { Key: 'team', Value: 'orders' },
      { Key: 'env', Value: 'snap' },
    ]);
    expect(eventIds(h.events, 'orders-db-snapshot')).toEqual(['RDS-EVENT-0040', 'RDS-EVENT-0042']);
    const ev = h.events.find((e) => e.detail.EventID === 'RDS-EVENT-0042');
    expect(ev).toMatchObject({
      'detail-type': 'RDS DB Snapshot Event',
      resources: ['arn:aws:rds:us-east-1:000000000000:snapshot:orders-db-snapshot'],
      detail: {
        SourceType: 'SNAPSHOT',
        SourceArn: 'arn:aws:rds:us-east-1:000000000000:snapshot:orders-db-snapshot',
      },
    });
  });

  it('refuses an existing snapshot identifier with DBSnapshotAlreadyExists', async () => {
    const err = await errorOf(
      h.rds.send(
        new CreateDBSnapshotCommand({
          DBInstanceIdentifier: 'orders-db',
          DBSnapshotIdentifier: 'orders-db-snapshot',
        }),
      ),
    );
    expect(err).toMatchObject({ name: 'DBSnapshotAlreadyExistsFault', status: 400 });
  });

  it('finds snapshots by instance and answers DBSnapshotNotFound (404) for unknown ones', async () => {
    const out = await h.rds.send(new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: 'orders-db' }));
    expect(out.DBSnapshots?.map((s) => s.DBSnapshotIdentifier)).toEqual(['orders-db-snapshot']);
    expect(await errorOf(snapshot('nope'))).toMatchObject({ name: 'DBSnapshotNotFoundFault', status: 404 });
  });

  it('refuses to delete a snapshot that is still creating', async () => {
    h.sim.seedInstance({ DBInstanceIdentifier: 'busy-db', Engine: 'mysql' });
    await h.rds.send(
      new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'busy-db', DBSnapshotIdentifier: 'busy-snap' }),
    );
    const err = await errorOf(h.rds.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: 'busy-snap' })));
    expect(err).toMatchObject({ name: 'InvalidDBSnapshotStateFault' });
    const again = await errorOf(
      h.rds.send(
        new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'busy-db', DBSnapshotIdentifier: 'busy-snap-2' }),
      ),
    );
    expect(again).toMatchObject({ name: 'InvalidDBInstanceStateFault' });
  });

  it('deletes a snapshot: deleting, then gone with 0041', async () => {
    const out = await h.rds.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: 'orders-db-snapshot' }));
    expect(out.DBSnapshot?.Status).toBe('deleting');
    expect((await snapshot('orders-db-snapshot'))?.Status).toBe('deleting');
    await waitFor(
      async () => (await errorOf(snapshot('orders-db-snapshot'))).name === 'DBSnapshotNotFoundFault',
    );
    expect(eventIds(h.events, 'orders-db-snapshot')).toEqual([
      'RDS-EVENT-0040',
      'RDS-EVENT-0042',
      'RDS-EVENT-0041',
    ]);
  });

  it('takes a final snapshot on delete when asked', async () => {
    h.sim.seedInstance({ DBInstanceIdentifier: 'final-db', Engine: 'postgres' });
    await h.rds.send(
      new DeleteDBInstanceCommand({
        DBInstanceIdentifier: 'final-db',
        FinalDBSnapshotIdentifier: 'final-db-final',
      }),
    );
    expect((await snapshot('final-db-final'))?.Status).toBe('creating');
    expect(await instanceStatus('final-db')).toBe('deleting');
    await waitFor(async () => (await snapshot('final-db-final'))?.Status === 'available');
    await waitFor(async () => (await errorOf(instanceStatus('final-db'))).name === 'DBInstanceNotFoundFault');
    expect(eventIds(h.events, 'final-db')).toEqual(['RDS-EVENT-0003']);
  });
});
