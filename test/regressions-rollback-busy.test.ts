import { createHarness, type Harness } from '@trapheus/shared/testing';
import { buildCleanupSteps } from '../services/cleanup/src/steps';
import { buildRestoreSteps } from '../services/restore/src/steps';
import { buildSnapshotSteps } from '../services/snapshot/src/steps';

describe('InvalidDBInstanceState during rollback / configure', () => {
  let h: Harness;
  beforeEach(() => {
    h = createHarness({
      snapshot: buildSnapshotSteps,
      restore: buildRestoreSteps,
      cleanup: buildCleanupSteps,
    });
  });
  afterEach(() => h.restore());

  it('a momentarily busy temp (backup window) only delays the rename-back', async () => {
    h.rds.seedInstance({ DBInstanceIdentifier: 'orders-db' });
    h.rds.seedSnapshot({ DBSnapshotIdentifier: 'orders-db-snapshot' });
    // The restore API refuses (non-transient) → ROLLING_BACK; the temp's backup starts between describe and modify.
    h.rds.failNext('RestoreDBInstanceFromDBSnapshot', 'InsufficientDBInstanceCapacity');
    h.rds.failNext('ModifyDBInstance', 'InvalidDBInstanceState', '-tr-'); // the rename-back only
    await h.request({ identifier: 'orders-db', task: 'db_restore', isCluster: false });
    await h.drain();
    const [run] = h.memory.all();
    expect(run!.step).toBe('ROLLED_BACK'); // actual: FAILED, original stranded under the temp name
  });

  it('a momentarily busy restored copy only delays the post-restore modify', async () => {
    h.rds.seedInstance({
      DBInstanceIdentifier: 'orders-db',
      MonitoringInterval: 60,
      MonitoringRoleArn: 'arn:aws:iam::1:role/m',
    });
    h.rds.seedSnapshot({ DBSnapshotIdentifier: 'orders-db-snapshot' });
    const pump = async () => {
      const ready = h.queue.splice(0).filter((d) => d.service !== 'notify');
      for (const d of ready) await h.deliver(d.service as never, d.body);
    };
    await h.request({ identifier: 'orders-db', task: 'db_restore', isCluster: false });
    await pump();
    h.rds.settle(); // rename done
    await pump();
    h.rds.settle(); // restore done
    h.rds.failNext('ModifyDBInstance', 'InvalidDBInstanceState', 'orders-db'); // copy just went backing-up
    await pump(); // RESTORING → CONFIGURING → post-restore modify refused
    const run = h.memory.all()[0]!;
    expect(run.step).not.toBe('ROLLING_BACK'); // actual: ROLLING_BACK, a good copy thrown away
  });
});
