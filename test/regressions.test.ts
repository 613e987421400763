import { createHarness, type Harness } from '@trapheus/shared/testing';
import { buildCleanupSteps } from '../services/cleanup/src/steps';
import { buildRestoreSteps } from '../services/restore/src/steps';
import { buildSnapshotSteps } from '../services/snapshot/src/steps';

describe('wait carried over from the restore step into the rollback', () => {
  let h: Harness;
  let t = Date.parse('2026-03-01T03:00:00Z');
  beforeEach(() => {
    t = Date.parse('2026-03-01T03:00:00Z');
    h = createHarness(
      { snapshot: buildSnapshotSteps, restore: buildRestoreSteps, cleanup: buildCleanupSteps },
      { now: () => new Date(t) },
    );
  });
  afterEach(() => h.restore());

  /** Delivers what is queued once, without settling RDS. */
  const pump = async () => {
    const ready = h.queue.splice(0).filter((d) => d.service !== 'notify');
    for (const d of ready) await h.deliver(d.service as never, d.body);
  };

  it('a RESTORING deadline makes the rollback fail at once instead of rolling back', async () => {
    const original = h.rds.seedInstance({ DBInstanceIdentifier: 'orders-db' });
    h.rds.seedSnapshot({ DBSnapshotIdentifier: 'orders-db-snapshot' });
    await h.request({
      identifier: 'orders-db',
      task: 'db_restore',
      isCluster: false,
      strategy: 'rename_first',
    });
    await pump(); // SnapshotReady → restore: capture, tag, rename requested
    h.rds.settle(); // rename done
    await pump(); // check-back: temp available → RESTORING → restore requested (creating)
    let [run] = h.memory.all();
    expect(run!.step).toBe('RESTORING');
    expect(h.rds.instances.get('orders-db')?.DBInstanceStatus).toBe('creating');

    // A large restore is still `creating` after the 240-minute step deadline.
    t += 241 * 60 * 1000;
    await pump(); // live check-back → DeadlineExceeded → ROLLING_BACK → RestoreFailed to cleanup
    [run] = h.memory.all();
    expect(run!.step).toBe('ROLLING_BACK');
    await pump(); // cleanup gets RestoreFailed

    [run] = h.memory.all();
    // The rollback starts its own wait with its own deadline: it deletes the copy and renames the temp back.

    expect(run!.step).not.toBe('FAILED');
    h.rds.settle();
    await h.drain();
    expect(h.memory.all()[0]?.step).toBe('ROLLED_BACK');
    expect(h.rds.instances.get('orders-db')?.DbiResourceId).toBe(original.DbiResourceId);
  });
});
