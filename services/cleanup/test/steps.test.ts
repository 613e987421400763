import { captureInstance, type Run, tempIdentifierFor } from '@trapheus/shared';
import { createHarness, type Harness } from '@trapheus/shared/testing';
import { buildCleanupSteps } from '../src/steps';

const RUN_ID = 'run-fedcba9876543210';
const TEMP = tempIdentifierFor('orders-db', RUN_ID);

describe('cleanup service', () => {
  let h: Harness;
  let run: Run;
  const current = async () => (await h.runs.get(RUN_ID))!;
  const signal = (detailType: string, r: Run) =>
    h.eventBody(detailType, { runId: r.runId, identifier: r.identifier, kind: 'instance', step: r.step });

  /** A run that reached `step`, with the original renamed to the temp name (deletion protection on). */
  const runAt = async (
    step: 'CLEANING_UP' | 'ROLLING_BACK',
    failedAt: 'RESTORING' | 'CONFIGURING' = 'RESTORING',
  ) => {
    const original = h.rds.seedInstance({
      DBInstanceIdentifier: TEMP,
      DeletionProtection: true,
      TagList: [
        { Key: 'team', Value: 'orders' },
        { Key: 'trapheus:run-id', Value: RUN_ID },
      ],
    });
    let r = (
      await h.runs.create({
        runId: RUN_ID,
        identifier: 'orders-db',
        kind: 'instance',
        task: 'create_snapshot',
        snapshotIdentifier: 'orders-db-snapshot',
      })
    ).run;
    const captured = captureInstance({ ...original, DBInstanceIdentifier: 'orders-db' });
    for (const s of ['SNAPSHOTTING', 'SNAPSHOT_READY', 'RENAMING', 'RESTORING'] as const) {
      r = await h.runs.transition(r, s, {
        ...(s === 'RENAMING' ? { patch: { original: captured as never, tempIdentifier: TEMP } } : {}),
      });
    }
    if (step === 'CLEANING_UP') {
      r = await h.runs.transition(await h.runs.transition(r, 'CONFIGURING'), 'CLEANING_UP');
    } else {
      if (failedAt === 'CONFIGURING') r = await h.runs.transition(r, 'CONFIGURING');
      r = await h.runs.transition(r, 'ROLLING_BACK', {
        failure: { step: failedAt, code: 'incompatible-restore', message: 'x', at: new Date().toISOString() },
      });
    }
    return r;
  };

  beforeEach(() => {
    h = createHarness({ cleanup: buildCleanupSteps });
    h.rds.seedSnapshot({ DBSnapshotIdentifier: 'orders-db-snapshot' });
  });
  afterEach(() => h.restore());

  describe('after a good restore', () => {
    beforeEach(async () => {
      h.rds.seedInstance({ DBInstanceIdentifier: 'orders-db', TagList: [{ Key: 'team', Value: 'orders' }] });
      run = await runAt('CLEANING_UP');
      // The run's source snapshot was taken of this very database (the temp).
      h.rds.snapshots.get('orders-db-snapshot')!.DbiResourceId = h.rds.instances.get(TEMP)!.DbiResourceId;
    });

    it('lifts deletion protection on the temp, records it, then deletes the temp without a final snapshot', async () => {
      await h.deliver('cleanup', signal('RestoreCompleted', run));
      expect(h.rds.calls('ModifyDBInstance').map((c) => c.input)).toEqual([
        { DBInstanceIdentifier: TEMP, DeletionProtection: false, ApplyImmediately: true },
      ]);
      expect((await current()).progress[`deletionProtectionLifted:${TEMP}`]).toEqual(expect.any(String));

      await h.drain();

      expect(h.rds.calls('DeleteDBInstance').map((c) => c.input)).toEqual([
        { DBInstanceIdentifier: TEMP, SkipFinalSnapshot: true, DeleteAutomatedBackups: false },
      ]);
      expect((await current()).step).toBe('SUCCEEDED');
      expect([...h.rds.instances.keys()]).toEqual(['orders-db']);
      expect(h.outcomes().map((o) => o.detailType)).toEqual(['RunSucceeded']);
    });

    it('takes a final snapshot when the run source snapshot is gone', async () => {
      h.rds.snapshots.clear();

      await h.deliver('cleanup', signal('RestoreCompleted', run));
      await h.drain();

      expect(h.rds.calls('DeleteDBInstance')[0]?.input).toEqual({
        DBInstanceIdentifier: TEMP,
        FinalDBSnapshotIdentifier: `${TEMP}-final`,
        DeleteAutomatedBackups: false,
      });
    });

    it('takes a final snapshot when the source snapshot is of another database and no backups are kept', async () => {
      h.rds.snapshots.get('orders-db-snapshot')!.DbiResourceId = 'db-production';

      await h.deliver('cleanup', signal('RestoreCompleted', run));
      await h.drain();

      expect(h.rds.calls('DeleteDBInstance')[0]?.input).toMatchObject({
        FinalDBSnapshotIdentifier: `${TEMP}-final`,
      });
    });

    it('skips the final snapshot of a temp whose automated backups are kept', async () => {
      h.rds.snapshots.get('orders-db-snapshot')!.DbiResourceId = 'db-production';
      h.rds.instances.get(TEMP)!.BackupRetentionPeriod = 7;

      await h.deliver('cleanup', signal('RestoreCompleted', run));
      await h.drain();

      expect(h.rds.calls('DeleteDBInstance')[0]?.input).toEqual({
        DBInstanceIdentifier: TEMP,
        SkipFinalSnapshot: true,
        DeleteAutomatedBackups: false,
      });
    });

    it('refuses to delete a temp that does not carry this run tag: CLEANUP_FAILED, the copy stays', async () => {
      h.rds.instances.get(TEMP)!.TagList = [{ Key: 'trapheus:run-id', Value: 'run-someoneelse' }];

      await h.deliver('cleanup', signal('RestoreCompleted', run));

      const r = await current();
      expect(r.step).toBe('CLEANUP_FAILED');
      expect(r.failure).toMatchObject({ code: 'UnsafeDeleteError' });
      expect(r.reason).toContain(`the temp ${TEMP} was kept`);
      expect(h.rds.mutatingCalls()).toEqual([]);
      expect(h.rds.instances.has('orders-db')).toBe(true);
    });

    it('a duplicated RestoreCompleted deletes once, and a late RestoreFailed changes nothing', async () => {
      await h.deliver('cleanup', signal('RestoreCompleted', run));
      await h.deliver('cleanup', signal('RestoreCompleted', run));
      await h.drain();
      const done = await current();

      await h.deliver('cleanup', signal('RestoreFailed', run));

      expect(h.rds.calls('DeleteDBInstance')).toHaveLength(1);
      expect(await current()).toEqual(done);
      expect(h.outcomes()).toHaveLength(1);
    });
  });

  describe('after a failed restore', () => {
    it('deletes the half-restored copy, renames the temp back, removes the run tag: ROLLED_BACK', async () => {
      const copy = h.rds.seedInstance({
        DBInstanceIdentifier: 'orders-db',
        DBInstanceStatus: 'incompatible-restore',
        TagList: [{ Key: 'trapheus:restored-by', Value: RUN_ID }],
      });
      run = await runAt('ROLLING_BACK');
      const originalId = h.rds.instances.get(TEMP)!.DbiResourceId;

      await h.deliver('cleanup', signal('RestoreFailed', run));
      await h.drain();

      expect(h.rds.calls('DeleteDBInstance').map((c) => c.input.DBInstanceIdentifier)).toEqual(['orders-db']);
      expect(h.rds.calls('ModifyDBInstance').map((c) => c.input)).toEqual([
        { DBInstanceIdentifier: TEMP, NewDBInstanceIdentifier: 'orders-db', ApplyImmediately: true },
      ]);
      const r = await current();
      expect(r.step).toBe('ROLLED_BACK');
      expect([...h.rds.instances.keys()]).toEqual(['orders-db']);
      expect(h.rds.instances.get('orders-db')?.DbiResourceId).toBe(originalId);
      expect(h.rds.instances.get('orders-db')?.DbiResourceId).not.toBe(copy.DbiResourceId);
      expect(h.rds.instances.get('orders-db')?.TagList).toEqual([{ Key: 'team', Value: 'orders' }]);
      expect(h.outcomes()[0]).toMatchObject({
        detailType: 'RunRolledBack',
        detail: { step: 'ROLLED_BACK', failure: { step: 'RESTORING', code: 'incompatible-restore' } },
      });
    });

    it('never deletes a database under the original name that this run did not restore', async () => {
      h.rds.seedInstance({ DBInstanceIdentifier: 'orders-db', TagList: [] });
      run = await runAt('ROLLING_BACK');

      await h.deliver('cleanup', signal('RestoreFailed', run));

      const r = await current();
      expect(h.rds.calls('DeleteDBInstance')).toEqual([]);
      expect(r.step).toBe('FAILED');
      expect(r.reason).toContain('UnsafeDeleteError');
      expect(r.progress.databaseState).toContain(`${TEMP} is available`);
    });

    it('stops for a person, deleting nothing, when both names claim the original resource id', async () => {
      run = await runAt('ROLLING_BACK');
      const originalId = h.rds.instances.get(TEMP)!.DbiResourceId;
      h.rds.seedInstance({ DBInstanceIdentifier: 'orders-db', DbiResourceId: originalId, TagList: [] });

      await h.deliver('cleanup', signal('RestoreFailed', run));

      const r = await current();
      expect(r.step).toBe('FAILED');
      expect(r.reason).toContain('AmbiguousOriginal');
      expect(h.rds.mutatingCalls()).toEqual([]);
      expect(r.progress.databaseState).toBe(
        `orders-db is available (resource ${originalId}); ${TEMP} is available (resource ${originalId})`,
      );
    });

    it('when the failure came before the rename, the original is simply untagged', async () => {
      run = await runAt('ROLLING_BACK');
      const db = h.rds.instances.get(TEMP)!;
      h.rds.instances.delete(TEMP);
      db.DBInstanceIdentifier = 'orders-db';
      db.DBInstanceArn = 'arn:aws:rds:us-east-1:123456789012:db:orders-db';
      h.rds.instances.set('orders-db', db);

      await h.deliver('cleanup', signal('RestoreFailed', run));

      expect((await current()).step).toBe('ROLLED_BACK');
      expect(h.rds.mutatingCalls()).toEqual(['RemoveTagsFromResource']);
    });
  });
});
