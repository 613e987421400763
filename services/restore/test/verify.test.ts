/**
 * VERIFYING over fakes (restore service only): the step is entered after CONFIGURING when the request asked for
 * it, publishes RestoreVerifying once, and moves on, fails or times out on the hooks' answers, which the engine
 * records first and validates (unknown run, unknown hook, late or repeated answers change nothing).
 */
import { copyIdentifierFor, type Run, type Strategy } from '@trapheus/shared';
import { createHarness, type Harness } from '@trapheus/shared/testing';
import { buildRestoreSteps } from '../src/steps';

const RUN_ID = 'run-0123456789abcdef';
const ORIGINAL = {
  DBInstanceIdentifier: 'orders-db',
  DBInstanceClass: 'db.r6g.large',
  Engine: 'postgres',
  DBSubnetGroup: { DBSubnetGroupName: 'private-a' },
  VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-1' }],
  DBParameterGroups: [{ DBParameterGroupName: 'orders-pg16' }],
  OptionGroupMemberships: [{ OptionGroupName: 'orders-og' }],
  Endpoint: { Address: 'orders-db.abc.us-east-1.rds.amazonaws.com', Port: 5433 },
  BackupRetentionPeriod: 7,
  EnabledCloudwatchLogsExports: [],
  TagList: [{ Key: 'team', Value: 'orders' }],
};

describe('restore service: VERIFYING', () => {
  let h: Harness;
  let clock: number;
  const current = async (): Promise<Run> => (await h.runs.get(RUN_ID))!;

  /** A run at SNAPSHOT_READY whose request asked for `hooks`. */
  const readyRun = async (strategy: Strategy, hooks = ['masking', 'health'], timeoutMinutes = 30) => {
    const { run } = await h.runs.create({
      runId: RUN_ID,
      identifier: 'orders-db',
      kind: 'instance',
      task: 'create_snapshot',
      snapshotIdentifier: 'orders-db-snapshot',
      strategy,
      verification: { hooks, timeoutMinutes, answers: {} },
    });
    return h.runs.transition(await h.runs.transition(run, 'SNAPSHOTTING'), 'SNAPSHOT_READY');
  };

  /** Delivers queued messages (check-backs as if their delay passed) until the run sits at VERIFYING. */
  const untilVerifying = async () => {
    await h.deliver(
      'restore',
      h.eventBody('SnapshotReady', {
        runId: RUN_ID,
        identifier: 'orders-db',
        kind: 'instance',
        step: 'SNAPSHOT_READY',
      }),
    );
    for (let i = 0; i < 40 && (await current()).step !== 'VERIFYING'; i++) {
      const ready = h.queue.splice(0).filter((d) => d.service === 'restore');
      h.rds.settle();
      for (const d of ready) await h.deliver('restore', d.body);
    }
    const reached = await current();
    expect({ step: reached.step, failure: reached.failure }).toEqual({
      step: 'VERIFYING',
      failure: undefined,
    });
  };

  const answer = (detail: Record<string, unknown>) =>
    h.deliver('restore', h.eventBody('RestoreVerified', detail));
  const verifying = () => h.published.filter((p) => p.detailType === 'RestoreVerifying');

  beforeEach(() => {
    clock = Date.parse('2026-12-01T03:00:00Z');
    h = createHarness({ restore: buildRestoreSteps }, { now: () => new Date(clock) });
    h.rds.seedInstance(ORIGINAL);
    h.rds.seedSnapshot({ DBSnapshotIdentifier: 'orders-db-snapshot', DBInstanceIdentifier: 'orders-db' });
  });
  afterEach(() => h.restore());

  it('swap: enters VERIFYING after CONFIGURING, the original untouched, and publishes RestoreVerifying once with the copy', async () => {
    await readyRun('swap');
    await untilVerifying();
    // More check-backs while waiting: no second publish.
    for (const d of h.queue.splice(0)) await h.deliver('restore', d.body);

    const run = await current();
    const side = copyIdentifierFor('orders-db', RUN_ID);
    expect(run.history.map((e) => e.step)).toEqual([
      'REQUESTED',
      'SNAPSHOTTING',
      'SNAPSHOT_READY',
      'RESTORING',
      'CONFIGURING',
      'VERIFYING',
    ]);
    expect(run.wait).toMatchObject({ resourceType: 'verification', identifier: RUN_ID });
    const entered = run.history.at(-1)!.at;
    expect(run.wait?.deadline).toBe(new Date(Date.parse(entered) + 30 * 60_000).toISOString());
    expect(verifying()).toHaveLength(1);
    expect(verifying()[0]?.detail).toEqual({
      runId: RUN_ID,
      identifier: 'orders-db',
      kind: 'instance',
      copyIdentifier: side,
      endpoint: { address: expect.stringContaining(side), port: 5433 },
      engine: 'postgres',
      snapshotIdentifier: 'orders-db-snapshot',
      hooks: ['masking', 'health'],
      deadline: run.wait?.deadline,
    });
    expect(h.rds.calls('ModifyDBInstance').some((c) => c.input.NewDBInstanceIdentifier)).toBe(false);
  });

  it('moves on to SWAPPING once every hook answered ok; a repeat or a late answer changes nothing', async () => {
    await readyRun('swap');
    await untilVerifying();

    await answer({ runId: RUN_ID, hook: 'masking', ok: true, message: '12 tables masked' });
    const half = await current();
    expect(half.step).toBe('VERIFYING');
    expect(half.verification?.answers.masking).toMatchObject({ ok: true, message: '12 tables masked' });

    await answer({ runId: RUN_ID, hook: 'masking', ok: false, message: 'second thoughts' });
    expect((await current()).version).toBe(half.version);

    await answer({ runId: RUN_ID, hook: 'health', ok: true });
    const done = await current();
    expect(done.history.map((e) => e.step).slice(-2)).toEqual(['VERIFYING', 'SWAPPING']);
    expect(done.verification?.answers.masking?.ok).toBe(true);

    const before = await current();
    await answer({ runId: RUN_ID, hook: 'health', ok: false, message: 'too late' });
    expect(await current()).toEqual(before);
  });

  it('a hook answering not ok fails the step (VerificationFailed, naming the hook) and the run rolls back', async () => {
    await readyRun('swap');
    await untilVerifying();

    await answer({ runId: RUN_ID, hook: 'health', ok: false, message: 'orders count is 0' });

    const run = await current();
    expect(run.step).toBe('ROLLING_BACK');
    expect(run.failure).toMatchObject({
      step: 'VERIFYING',
      code: 'VerificationFailed',
      message: 'hook health: orders count is 0',
    });
    expect(h.published.map((p) => p.detailType)).toContain('RestoreFailed');
  });

  it('no answer until the deadline: the live check-back fails the step with VerificationTimedOut', async () => {
    await readyRun('swap', ['masking'], 5);
    await untilVerifying();
    await answer({ runId: RUN_ID, hook: 'nobody', ok: true });

    clock += 5 * 60_000 + 1000;
    const checkBacks = h.queue.splice(0).filter((d) => d.body.includes('trapheusCheckBack'));
    expect(checkBacks.length).toBeGreaterThan(0);
    for (const d of checkBacks) await h.deliver('restore', d.body);

    const run = await current();
    expect(run.step).toBe('ROLLING_BACK');
    expect(run.failure).toMatchObject({ code: 'VerificationTimedOut' });
    expect(run.failure?.message).toMatch(/^no answer from hook masking within 5 minutes/);
    // An answer after the timeout is ignored.
    await answer({ runId: RUN_ID, hook: 'masking', ok: true });
    expect(await current()).toEqual(run);
  });

  it('check-backs never wait much past the deadline (the timeout is noticed on time)', async () => {
    await readyRun('swap', ['masking'], 1);
    await untilVerifying();
    for (let i = 0; i < 6; i++) {
      clock += 20_000;
      for (const d of h.queue.splice(0)) await h.deliver('restore', d.body);
    }
    const delays = h.queue.map((d) => d.delaySeconds ?? 0);
    const run = await current();
    if (run.step === 'VERIFYING') {
      const left = (Date.parse(run.wait!.deadline) - clock) / 1000;
      for (const delay of delays) expect(delay).toBeLessThanOrEqual(Math.ceil(left) + 1);
    } else {
      expect(run.failure?.code).toBe('VerificationTimedOut');
    }
  });

  it('an unknown run, an unknown hook and a malformed answer are ignored: nothing changes', async () => {
    await readyRun('swap');
    await untilVerifying();
    const before = await current();

    await answer({ runId: 'run-ffffffffffffffff', hook: 'masking', ok: true });
    await answer({ runId: RUN_ID, hook: 'nobody', ok: true });
    await answer({ runId: RUN_ID, hook: 'masking', ok: 'yes' });
    await answer({ runId: RUN_ID, hook: 'masking', ok: true, extra: 1 });
    await answer({ runId: RUN_ID, hook: 'mask ing', ok: true });

    expect(await current()).toEqual(before);
  });

  it('rename_first: VERIFYING with the copy under the name, then committed (untagged) and handed to cleanup', async () => {
    await readyRun('rename_first', ['masking']);
    await untilVerifying();
    expect(verifying()[0]?.detail).toMatchObject({ copyIdentifier: 'orders-db' });

    await answer({ runId: RUN_ID, hook: 'masking', ok: true });

    const run = await current();
    expect(run.history.map((e) => e.step).slice(-4)).toEqual([
      'RESTORING',
      'CONFIGURING',
      'VERIFYING',
      'CLEANING_UP',
    ]);
    expect(h.rds.calls('RemoveTagsFromResource').map((c) => c.input.TagKeys)).toContainEqual([
      'trapheus:restored-by',
    ]);
    expect(h.published.map((p) => p.detailType)).toContain('RestoreCompleted');
  });
});
