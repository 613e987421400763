import { Logger } from '@aws-lambda-powertools/logger';
import { runIdFor } from '@trapheus/shared';
import { createHarness, type Harness } from '@trapheus/shared/testing';
import { buildSnapshotSteps, runSnapshotIdentifier } from '../src/steps';

const request = { identifier: 'orders-db', task: 'create_snapshot', isCluster: false };

describe('snapshot service', () => {
  let h: Harness;
  beforeEach(() => {
    h = createHarness({ snapshot: buildSnapshotSteps });
    h.rds.seedInstance({ DBInstanceIdentifier: 'orders-db' });
  });
  afterEach(() => h.restore());

  const onlyRun = () => {
    const runs = h.memory.all();
    expect(runs).toHaveLength(1);
    return runs[0]!;
  };

  describe('bad input never touches RDS', () => {
    it.each([
      [{ task: 'create_snapshot', isCluster: false }, 'field "identifier" is required'],
      [
        { identifier: 'orders-db', task: 'restore_everything', isCluster: false },
        'field "task" must be one of',
      ],
      [
        { identifier: 'orders-db', task: 'create_snapshot', isCluster: 'false' },
        'field "isCluster" must be a boolean',
      ],
      [
        { identifier: 'orders_db', task: 'create_snapshot', isCluster: false },
        'field "identifier" must start with a letter',
      ],
      [{ identifier: 'orders-db', task: 'db_restore' }, 'field "isCluster" is required'],
    ])('rejects %j naming the field', async (detail, expected) => {
      await h.request(detail);

      const run = onlyRun();
      expect(run.step).toBe('REJECTED');
      expect(run.reason).toContain(expected);
      expect(h.rds.calls()).toEqual([]);
      expect(h.outcomes()).toEqual([expect.objectContaining({ detailType: 'RunFailed' })]);
      expect(h.outcomes()[0]?.detail).toMatchObject({
        step: 'REJECTED',
        failure: { code: 'InvalidRequest' },
      });
    });

    // Finding: a field the deployment does not know was dropped without a word, and the run SUCCEEDED.
    it('rejects a request with a field this deployment does not know, naming it', async () => {
      await h.request({ ...request, mask: { tables: ['users'] } });

      const run = onlyRun();
      expect(run.step).toBe('REJECTED');
      expect(run.reason).toContain('field "mask" is not supported by this deployment');
      expect(h.rds.calls()).toEqual([]);
    });

    it("stores a request's verify on the run (hooks, timeout, no answers yet)", async () => {
      await h.request({ ...request, verify: { hooks: ['masking', 'health'] } });

      expect(onlyRun().verification).toEqual({
        hooks: ['masking', 'health'],
        timeoutMinutes: 60,
        answers: {},
      });
    });

    it('drops a message body that is not JSON with a clear reason in the log, creating nothing', async () => {
      const warn = jest.spyOn(Logger.prototype, 'warn');

      await h.deliver('snapshot', '{"identifier": ');

      expect(warn).toHaveBeenCalledWith('ignoring message', {
        reason: 'message body is not valid JSON',
        eventId: undefined,
      });
      expect(h.memory.all()).toEqual([]);
      expect(h.rds.calls()).toEqual([]);
      warn.mockRestore();
    });
  });

  it('rejects an unknown database before any change', async () => {
    await h.request({ ...request, identifier: 'nope-db' });

    const run = onlyRun();
    expect(run.step).toBe('REJECTED');
    expect(run.reason).toBe('DB instance nope-db not found');
    expect(h.rds.mutatingCalls()).toEqual([]);
  });

  it('rejects db_restore when the snapshot does not exist', async () => {
    await h.request({ ...request, task: 'db_restore', snapshotIdentifier: 'missing-snap' });

    expect(onlyRun().reason).toBe('DB snapshot missing-snap not found (task db_restore)');
    expect(h.rds.mutatingCalls()).toEqual([]);
  });

  it('db_restore with an available snapshot goes straight to SNAPSHOT_READY and tells restore', async () => {
    h.rds.seedSnapshot({ DBSnapshotIdentifier: 'orders-db-snapshot' });

    await h.request({ ...request, task: 'db_restore' });

    expect(onlyRun().step).toBe('SNAPSHOT_READY');
    expect(h.published.map((p) => p.detailType)).toEqual(['SnapshotReady']);
    expect(h.rds.mutatingCalls()).toEqual([]);
  });

  it('creates the snapshot with the run tag and waits for it with a check-back', async () => {
    await h.request(request);

    const run = onlyRun();
    expect(run.step).toBe('SNAPSHOTTING');
    const snapshotId = runSnapshotIdentifier('orders-db-snapshot', run.runId);
    expect(snapshotId).toBe(`orders-db-snapshot-${run.runId.slice(4, 12)}`);
    expect(h.rds.calls('CreateDBSnapshot').map((c) => c.input)).toEqual([
      {
        DBSnapshotIdentifier: snapshotId,
        DBInstanceIdentifier: 'orders-db',
        Tags: [{ Key: 'trapheus:snapshot-run', Value: run.runId }],
      },
    ]);
    expect(run.wait).toMatchObject({
      resourceType: 'db-snapshot',
      identifier: snapshotId,
      checkSeq: 1,
    });
    expect(h.queue.map((q) => JSON.parse(q.body))).toEqual([
      { trapheusCheckBack: { runId: run.runId, seq: 1 } },
    ]);
    expect(h.queue[0]?.delaySeconds).toBe(20);
  });

  // Finding: like the original tool, create_snapshot deleted <id>-snapshot first; when the new one then failed,
  // the database was left with no snapshot at all.
  it('keeps the previous snapshots until the new one is available, then retires only its own older ones', async () => {
    const tag = (runId: string) => [{ Key: 'trapheus:snapshot-run', Value: runId }];
    h.rds.seedSnapshot({
      DBSnapshotIdentifier: 'orders-db-snapshot',
      DBInstanceIdentifier: 'orders-db',
      TagList: tag('run-old'),
    });
    h.rds.seedSnapshot({
      DBSnapshotIdentifier: 'orders-db-snapshot-0a1b2c3d',
      DBInstanceIdentifier: 'orders-db',
      TagList: tag('run-0a1b2c3d'),
    });
    h.rds.seedSnapshot({
      DBSnapshotIdentifier: 'orders-db-before-upgrade',
      DBInstanceIdentifier: 'orders-db',
    });

    await h.request(request);
    expect(h.rds.mutatingCalls()).toEqual(['CreateDBSnapshot']);

    await h.drain();

    const run = onlyRun();
    expect(run.step).toBe('SNAPSHOT_READY');
    expect(
      h.rds
        .calls('DeleteDBSnapshot')
        .map((c) => c.input.DBSnapshotIdentifier)
        .sort(),
    ).toEqual(['orders-db-snapshot', 'orders-db-snapshot-0a1b2c3d']);
    h.rds.settle();
    expect([...h.rds.snapshots.keys()].sort()).toEqual(
      ['orders-db-before-upgrade', run.snapshotIdentifier].sort(),
    );
  });

  it('a new snapshot that fails leaves the previous one in place', async () => {
    h.rds.seedSnapshot({
      DBSnapshotIdentifier: 'orders-db-snapshot-0a1b2c3d',
      DBInstanceIdentifier: 'orders-db',
      TagList: [{ Key: 'trapheus:snapshot-run', Value: 'run-0a1b2c3d' }],
    });
    h.rds.failNext('CreateDBSnapshot', 'SnapshotQuotaExceeded');

    await h.request(request);
    await h.drain();

    expect(onlyRun().step).toBe('FAILED');
    expect(h.rds.snapshots.get('orders-db-snapshot-0a1b2c3d')?.Status).toBe('available');
    expect(h.rds.calls('DeleteDBSnapshot')).toEqual([]);
  });

  it('db_restore without a snapshot name restores the newest snapshot Trapheus took of the database', async () => {
    const tag = (runId: string) => [{ Key: 'trapheus:snapshot-run', Value: runId }];
    h.rds.seedSnapshot({
      DBSnapshotIdentifier: 'orders-db-snapshot-0a1b2c3d',
      DBInstanceIdentifier: 'orders-db',
      TagList: tag('run-0a1b2c3d'),
      SnapshotCreateTime: new Date('2026-11-01T03:00:00Z'),
    });
    h.rds.seedSnapshot({
      DBSnapshotIdentifier: 'orders-db-snapshot-9f8e7d6c',
      DBInstanceIdentifier: 'orders-db',
      TagList: tag('run-9f8e7d6c'),
      SnapshotCreateTime: new Date('2026-11-02T03:00:00Z'),
    });

    await h.request({ ...request, task: 'db_restore' });

    expect(onlyRun().step).toBe('SNAPSHOT_READY');
    expect(onlyRun().snapshotIdentifier).toBe('orders-db-snapshot-9f8e7d6c');
  });

  it("never replaces a snapshot of another database that holds the run's name: rejected, nothing deleted", async () => {
    const runId = runIdFor({ requestId: 'nightly-1' });
    const taken = runSnapshotIdentifier('shared-name', runId);
    h.rds.seedSnapshot({ DBSnapshotIdentifier: taken, DBInstanceIdentifier: 'billing-db' });

    await h.request({ ...request, snapshotIdentifier: 'shared-name', requestId: 'nightly-1' });

    expect(onlyRun().step).toBe('REJECTED');
    expect(onlyRun().reason).toContain(`DB snapshot ${taken} exists and is a snapshot of billing-db`);
    expect(h.rds.mutatingCalls()).toEqual([]);
  });

  it('rejects an instance with read replicas, naming them (deleting the temp would promote them)', async () => {
    h.rds.instances.get('orders-db')!.ReadReplicaDBInstanceIdentifiers = ['orders-db-replica-1'];

    await h.request(request);

    expect(onlyRun().reason).toBe(
      'DB instance orders-db cannot be restored in place: ReadReplicaDBInstanceIdentifiers is orders-db-replica-1: deleting the temp would promote or orphan its replicas',
    );
    expect(h.rds.mutatingCalls()).toEqual([]);
  });

  it('rejects a database with 50 tags: the run tag would not fit', async () => {
    h.rds.instances.get('orders-db')!.TagList = Array.from({ length: 50 }, (_, i) => ({
      Key: `k${i}`,
      Value: 'v',
    }));

    await h.request(request);

    expect(onlyRun().reason).toContain('has 50 tags, the RDS maximum');
    expect(h.rds.mutatingCalls()).toEqual([]);
  });

  it('create_snapshot_only ends SUCCEEDED once the snapshot is available', async () => {
    await h.request({ ...request, task: 'create_snapshot_only' });
    await h.drain();

    expect(onlyRun().step).toBe('SUCCEEDED');
    expect(h.outcomes().map((o) => o.detailType)).toEqual(['RunSucceeded']);
    expect(h.rds.snapshots.get(onlyRun().snapshotIdentifier)?.Status).toBe('available');
  });

  it('a duplicate delivery of the same request starts one run and one snapshot', async () => {
    await h.request(request, 'event-1');
    await h.request(request, 'event-1');

    expect(h.memory.all()).toHaveLength(1);
    expect(h.rds.calls('CreateDBSnapshot')).toHaveLength(1);
  });

  it('the same requestId never starts two runs, whatever the event id', async () => {
    await h.request({ ...request, requestId: 'nightly-1' }, 'event-1');
    await h.request({ ...request, requestId: 'nightly-1' }, 'event-2');

    expect(h.memory.all()).toHaveLength(1);
  });

  it('a requestId reused for another database is refused with a reason, and the first run is untouched', async () => {
    h.rds.seedInstance({ DBInstanceIdentifier: 'billing-db' });
    await h.request({ ...request, requestId: 'nightly-1' }, 'event-1');
    const [first] = h.memory.all();

    await h.request({ ...request, identifier: 'billing-db', requestId: 'nightly-1' }, 'event-2');

    const second = h.memory.all().find((r) => r.runId !== first?.runId);
    expect(second?.step).toBe('REJECTED');
    expect(second?.reason).toBe(
      `requestId nightly-1 was already used by run ${first?.runId} (create_snapshot of instance orders-db); use a new requestId`,
    );
    expect(h.memory.all().find((r) => r.runId === first?.runId)?.step).toBe('SNAPSHOTTING');
    expect(h.rds.calls('CreateDBSnapshot')).toHaveLength(1);
  });

  it('a second request while a run is active is rejected with the active run named', async () => {
    await h.request(request, 'event-1');
    await h.request(request, 'event-2');

    const [first, second] = h.memory.all();
    expect(first?.step).toBe('SNAPSHOTTING');
    expect(second?.step).toBe('REJECTED');
    expect(second?.reason).toContain(`another run (${first?.runId}) is active on DB instance orders-db`);
  });

  it('an RDS event for an unrelated snapshot is ignored', async () => {
    await h.request(request);
    h.rds.settle();
    const before = onlyRun();

    await h.deliver(
      'snapshot',
      h.rdsEventBody(
        'RDS DB Snapshot Event',
        'arn:aws:rds:us-east-1:1:snapshot:other-snap',
        'RDS-EVENT-0042',
        'other-snap',
      ),
    );

    expect(onlyRun()).toEqual(before);
  });

  it('the RDS snapshot event moves the run on without waiting for the check-back', async () => {
    await h.request(request);
    h.rds.settle();
    const snapshotId = onlyRun().snapshotIdentifier;

    await h.deliver(
      'snapshot',
      h.rdsEventBody(
        'RDS DB Snapshot Event',
        `arn:aws:rds:us-east-1:1:snapshot:${snapshotId}`,
        'RDS-EVENT-0042',
        `rds:${snapshotId}`,
      ),
    );

    expect(onlyRun().step).toBe('SNAPSHOT_READY');
  });

  it('a duplicated check-back does nothing the second time', async () => {
    await h.request(request);
    const checkBack = h.queue[0]!.body;

    await h.deliver('snapshot', checkBack);
    const afterFirst = onlyRun();
    await h.deliver('snapshot', checkBack);

    expect(onlyRun()).toEqual(afterFirst);
    expect(h.rds.calls('CreateDBSnapshot')).toHaveLength(1);
  });
});
