import {
  CreateDBSnapshotCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
} from '@aws-sdk/client-rds';
import { errorOf, eventIds, type Harness, startHarness, stopHarness, waitFor } from './helpers';

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ seed: 7 });
  h.sim.seedInstance({ DBInstanceIdentifier: 'demo-db', Engine: 'postgres' });
});
afterEach(() => stopHarness(h));

const snap = (id: string) =>
  new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'demo-db', DBSnapshotIdentifier: id });
const snapshotAvailable = (id: string) =>
  waitFor(async () => {
    const s = (await h.rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: id })))
      .DBSnapshots?.[0];
    return s?.Status === 'available';
  });
const instanceStatus = async (id: string) =>
  (await h.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances?.[0]
    ?.DBInstanceStatus;

describe('fault injection', () => {
  it('api-error fails the next matching call only, matched by operation and identifier', async () => {
    h.sim.faults.add({
      kind: 'api-error',
      operation: 'RestoreDBInstanceFromDBSnapshot',
      identifier: 'demo-db',
      code: 'InsufficientDBInstanceCapacity',
      message: 'No capacity in us-east-1a',
    });
    await h.rds.send(snap('s1'));
    await snapshotAvailable('s1');
    const other = await h.rds.send(
      new RestoreDBInstanceFromDBSnapshotCommand({
        DBInstanceIdentifier: 'other-db',
        DBSnapshotIdentifier: 's1',
      }),
    );
    expect(other.DBInstance?.DBInstanceIdentifier).toBe('other-db');
    const err = await errorOf(
      h.rds.send(
        new RestoreDBInstanceFromDBSnapshotCommand({
          DBInstanceIdentifier: 'demo-db',
          DBSnapshotIdentifier: 's1',
        }),
      ),
    );
    expect(err).toMatchObject({
      name: 'InsufficientDBInstanceCapacityFault',
      status: 400,
      message: 'No capacity in us-east-1a',
    });
    expect(h.sim.faults.list()).toEqual([]);
  });

  it('api-error with a count fails that many calls, and a NotFound code answers 404', async () => {
    h.sim.faults.add({
      kind: 'api-error',
      operation: 'DescribeDBInstances',
      code: 'DBInstanceNotFound',
      count: 2,
    });
    expect(await errorOf(instanceStatus('demo-db'))).toMatchObject({
      name: 'DBInstanceNotFoundFault',
      status: 404,
    });
    expect(await errorOf(instanceStatus('demo-db'))).toMatchObject({ name: 'DBInstanceNotFoundFault' });
    expect(await instanceStatus('demo-db')).toBe('available');
  });

  it('async-failure ends a restore in the given status with the matching failure event', async () => {
    await h.rds.send(snap('s2'));
    await snapshotAvailable('s2');
    h.sim.faults.add({
      kind: 'async-failure',
      operation: 'RestoreDBInstanceFromDBSnapshot',
      status: 'incompatible-restore',
    });
    h.sim.faults.add({
      kind: 'async-failure',
      operation: 'RestoreDBInstanceFromDBSnapshot',
      status: 'incompatible-network',
    });
    await h.rds.send(
      new RestoreDBInstanceFromDBSnapshotCommand({ DBInstanceIdentifier: 'r1', DBSnapshotIdentifier: 's2' }),
    );
    await h.rds.send(
      new RestoreDBInstanceFromDBSnapshotCommand({ DBInstanceIdentifier: 'r2', DBSnapshotIdentifier: 's2' }),
    );
    await h.rds.send(
      new RestoreDBInstanceFromDBSnapshotCommand({ DBInstanceIdentifier: 'r3', DBSnapshotIdentifier: 's2' }),
    );
    await waitFor(async () => (await instanceStatus('r3')) === 'available');
    expect(await instanceStatus('r1')).toBe('incompatible-restore');
    expect(await instanceStatus('r2')).toBe('incompatible-network');
    expect(eventIds(h.events, 'r1')).toEqual(['RDS-EVENT-0278']);
    expect(eventIds(h.events, 'r2')).toEqual(['RDS-EVENT-0036']);
    expect(eventIds(h.events, 'r3')).toEqual(['RDS-EVENT-0043']);
  });

  it('throttle fails that share of calls with Throttling / "Rate exceeded", reproducibly per seed', async () => {
    const pattern = async (harness: Harness) => {
      harness.sim.faults.add({ kind: 'throttle', probability: 0.3 });
      const out: boolean[] = [];
      for (let i = 0; i < 60; i++) {
        const failed = await harness.rds
          .send(new DescribeDBInstancesCommand({}))
          .then(() => false)
          .catch((e: { name: string; message: string; $metadata: { httpStatusCode: number } }) => {
            expect([e.name, e.message, e.$metadata.httpStatusCode]).toEqual([
              'Throttling',
              'Rate exceeded',
              400,
            ]);
            return true;
          });
        out.push(failed);
      }
      return out;
    };
    const first = await pattern(h);
    const share = first.filter(Boolean).length / first.length;
    expect(share).toBeGreaterThan(0.1);
    expect(share).toBeLessThan(0.5);
    const twin = await startHarness({ seed: 7 });
    try {
      expect(await pattern(twin)).toEqual(first);
    } finally {
      await stopHarness(twin);
    }
    h.sim.faults.reset();
    expect(await instanceStatus('demo-db')).toBe('available');
  });

  it('drops events but keeps them in the emitted log', async () => {
    h.sim.faults.setEvents({ drop: 1 });
    await h.rds.send(snap('s3'));
    await snapshotAvailable('s3');
    expect(h.events).toEqual([]);
    expect(eventIds(h.sim.emittedEvents())).toEqual(['RDS-EVENT-0040', 'RDS-EVENT-0042']);
  });

  it('duplicates events', async () => {
    h.sim.faults.setEvents({ duplicate: 1 });
    await h.rds.send(snap('s4'));
    await snapshotAvailable('s4');
    expect(eventIds(h.events)).toEqual([
      'RDS-EVENT-0040',
      'RDS-EVENT-0040',
      'RDS-EVENT-0042',
      'RDS-EVENT-0042',
    ]);
    expect(h.events[0]?.id).toBe(h.events[1]?.id);
  });

  it('reorders events: a held event comes after the next one', async () => {
    h.sim.faults.setEvents({ reorder: 1 });
    await h.rds.send(snap('s5'));
    await snapshotAvailable('s5');
    await waitFor(() => h.events.length === 2);
    expect(eventIds(h.events)).toEqual(['RDS-EVENT-0042', 'RDS-EVENT-0040']);
  });

  it('delays every event by delayMs', async () => {
    h.sim.faults.setEvents({ delayMs: 300 });
    const sent = Date.now();
    await h.rds.send(snap('s6'));
    expect(h.events).toEqual([]);
    await waitFor(() => h.events.length === 1);
    expect(Date.now() - sent).toBeGreaterThanOrEqual(280);
  });

  it('is driven over HTTP under /_sim/', async () => {
    const post = (path: string, body: unknown) =>
      fetch(`${h.sim.url}/_sim/${path}`, { method: 'POST', body: JSON.stringify(body) });
    expect(
      (await post('faults', { kind: 'api-error', operation: 'DescribeDBInstances', code: 'Boom' })).status,
    ).toBe(200);
    expect((await post('faults', { kind: 'bogus' })).status).toBe(400);
    expect(await errorOf(instanceStatus('demo-db'))).toMatchObject({ name: 'Boom' });
    await post('faults', { kind: 'api-error', operation: 'DescribeDBInstances', code: 'Boom' });
    await post('reset-faults', {});
    expect(await instanceStatus('demo-db')).toBe('available');
    await post('events', { drop: 1 });
    await h.rds.send(snap('s7'));
    await snapshotAvailable('s7');
    expect(h.events).toEqual([]);
    const state = (await (await fetch(`${h.sim.url}/_sim/state`)).json()) as {
      instances: { DBInstanceIdentifier: string }[];
      snapshots: { DBSnapshotIdentifier: string; Status: string }[];
    };
    expect(state.instances.map((i) => i.DBInstanceIdentifier)).toEqual(['demo-db']);
    expect(state.snapshots).toMatchObject([{ DBSnapshotIdentifier: 's7', Status: 'available' }]);
    const calls = (await (await fetch(`${h.sim.url}/_sim/calls`)).json()) as Record<string, number>;
    expect(calls).toMatchObject({ DescribeDBInstances: 2, CreateDBSnapshot: 1 });
  });

  it('can prefix SourceIdentifier with rds:', async () => {
    const prefixed = await startHarness({ sourceIdentifierPrefix: true });
    try {
      prefixed.sim.seedInstance({ DBInstanceIdentifier: 'p-db', Engine: 'postgres' });
      await prefixed.rds.send(
        new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'p-db', DBSnapshotIdentifier: 'p-snap' }),
      );
      expect(prefixed.events[0]?.detail.SourceIdentifier).toBe('rds:p-snap');
    } finally {
      await stopHarness(prefixed);
    }
  });
});
