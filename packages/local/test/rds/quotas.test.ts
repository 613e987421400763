import {
  CreateDBInstanceCommand,
  CreateDBSnapshotCommand,
  DescribeDBInstancesCommand,
  paginateDescribeDBInstances,
} from '@aws-sdk/client-rds';
import { errorOf, type Harness, startHarness, stopHarness, waitFor } from './helpers';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ durations: { createSnapshot: 1 } });
});
afterAll(() => stopHarness(h));

describe('quotas', () => {
  it('refuses a 41st DB instance with InstanceQuotaExceeded', async () => {
    for (let i = 1; i <= 40; i++) h.sim.seedInstance({ DBInstanceIdentifier: `db-${i}`, Engine: 'postgres' });
    const err = await errorOf(
      h.rds.send(
        new CreateDBInstanceCommand({
          DBInstanceIdentifier: 'db-41',
          Engine: 'postgres',
          DBInstanceClass: 'db.t3.micro',
          AllocatedStorage: 20,
        }),
      ),
    );
    expect(err).toMatchObject({ name: 'InstanceQuotaExceededFault', status: 400 });
    expect(h.sim.snapshotState().instances).toHaveLength(40);
  });

  it('pages DescribeDBInstances with MaxRecords and Marker for the SDK paginator', async () => {
    const pages: number[] = [];
    const ids: string[] = [];
    for await (const page of paginateDescribeDBInstances({ client: h.rds, pageSize: 20 }, {})) {
      pages.push(page.DBInstances?.length ?? 0);
      ids.push(...(page.DBInstances ?? []).map((d) => d.DBInstanceIdentifier ?? ''));
    }
    expect(pages).toEqual([20, 20]);
    expect(new Set(ids).size).toBe(40);
    const tooSmall = await errorOf(h.rds.send(new DescribeDBInstancesCommand({ MaxRecords: 5 })));
    expect(tooSmall).toMatchObject({ code: 'InvalidParameterValue' });
  });

  it('refuses a 101st manual snapshot with SnapshotQuotaExceeded', async () => {
    for (let i = 1; i <= 100; i++) {
      const instance = `db-${(i % 40) + 1}`;
      await waitFor(async () => {
        const out = await h.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: instance }));
        return out.DBInstances?.[0]?.DBInstanceStatus === 'available';
      });
      await h.rds.send(
        new CreateDBSnapshotCommand({ DBInstanceIdentifier: instance, DBSnapshotIdentifier: `snap-${i}` }),
      );
    }
    await waitFor(async () =>
      h.sim.snapshotState().instances.every((i) => i.DBInstanceStatus === 'available'),
    );
    const err = await errorOf(
      h.rds.send(
        new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'db-1', DBSnapshotIdentifier: 'snap-101' }),
      ),
    );
    expect(err).toMatchObject({ name: 'SnapshotQuotaExceededFault' });
    expect(h.sim.snapshotState().snapshots).toHaveLength(100);
  });
});
