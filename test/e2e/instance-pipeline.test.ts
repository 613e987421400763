/**
 * The instance pipeline end to end on the local stack: the services' real handlers, wired from their
 * serverless.yml files, calling the RDS simulator, dynalite and the local EventBridge/SQS over HTTP.
 */

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalStack } from '@trapheus/local';
import { captureInstance, configurationDrift } from '@trapheus/shared';
import { main } from '../../packages/cli/src/main';
import {
  assertIamClean,
  clientsFor,
  describe1,
  freshStack,
  instanceIds,
  runRestore,
  stepsOf,
} from './stack-helpers';

jest.setTimeout(90_000);

const HAPPY_STEPS = [
  'REQUESTED',
  'SNAPSHOTTING',
  'SNAPSHOT_READY',
  'RENAMING',
  'RESTORING',
  'CONFIGURING',
  'CLEANING_UP',
  'SUCCEEDED',
];

describe('instance pipeline on the local stack', () => {
  let stack: LocalStack;
  afterEach(async () => {
    try {
      await assertIamClean(stack);
    } finally {
      await stack?.stop();
    }
  });

  it('create_snapshot: demo-db is restored in place with its configuration and no temp remains', async () => {
    stack = await freshStack();
    const { rds, runs } = clientsFor(stack);
    const before = (await describe1(rds, 'demo-db'))!;

    const result = await runRestore(stack);

    expect(result.code).toBe(0);
    const run = await runs.get(result.runId);
    expect(stepsOf(run)).toEqual(HAPPY_STEPS);
    const after = (await describe1(rds, 'demo-db'))!;
    expect(after.DbiResourceId).not.toBe(before.DbiResourceId);
    expect(configurationDrift(captureInstance(before), after)).toEqual([]);
    expect(instanceIds(stack)).toEqual(['demo-db']);
    expect(stack.rds.callCounts().RestoreDBInstanceFromDBSnapshot).toBe(1);
  });

  it('create_snapshot_only then db_restore from that snapshot both succeed', async () => {
    stack = await freshStack();
    const { runs } = clientsFor(stack);

    const snap = await runRestore(stack, { task: 'create_snapshot_only' });
    const again = await runRestore(stack, { task: 'db_restore' });

    expect(snap.code).toBe(0);
    expect(stepsOf(await runs.get(snap.runId))).toEqual(['REQUESTED', 'SNAPSHOTTING', 'SUCCEEDED']);
    expect(again.code).toBe(0);
    expect(stepsOf(await runs.get(again.runId))).toEqual([
      'REQUESTED',
      'SNAPSHOT_READY',
      ...HAPPY_STEPS.slice(3),
    ]);
    expect(instanceIds(stack)).toEqual(['demo-db']);
  });

  it('a restore that ends incompatible-restore rolls back: the original answers under its name, no temp left', async () => {
    stack = await freshStack();
    const { rds, runs } = clientsFor(stack);
    const before = (await describe1(rds, 'demo-db'))!;
    stack.rds.faults.add({
      kind: 'async-failure',
      operation: 'RestoreDBInstanceFromDBSnapshot',
      status: 'incompatible-restore',
    });

    const result = await runRestore(stack);

    expect(result.code).toBe(2);
    const run = await runs.get(result.runId);
    expect(run?.step).toBe('ROLLED_BACK');
    expect(run?.failure).toMatchObject({ step: 'RESTORING', code: 'incompatible-restore' });
    const after = (await describe1(rds, 'demo-db'))!;
    expect(after.DbiResourceId).toBe(before.DbiResourceId);
    expect(after.TagList).toEqual(before.TagList);
    expect(instanceIds(stack)).toEqual(['demo-db']);
  });

  it('with every RDS event dropped the run still succeeds through check-backs', async () => {
    stack = await freshStack();
    stack.rds.faults.setEvents({ drop: 1 });

    const result = await runRestore(stack);

    expect(result.code).toBe(0);
    expect(stack.rds.emittedEvents().length).toBeGreaterThan(0);
    expect(stack.rds.deliveredEvents()).toEqual([]);
    expect(instanceIds(stack)).toEqual(['demo-db']);
  });

  it('duplicated and reordered RDS events change nothing: each action happens once', async () => {
    stack = await freshStack();
    const { runs } = clientsFor(stack);
    stack.rds.faults.setEvents({ duplicate: 1, reorder: 0.5 });

    const result = await runRestore(stack);

    expect(result.code).toBe(0);
    expect(stepsOf(await runs.get(result.runId))).toEqual(HAPPY_STEPS);
    const calls = stack.rds.callCounts();
    expect([calls.CreateDBSnapshot, calls.RestoreDBInstanceFromDBSnapshot, calls.DeleteDBInstance]).toEqual([
      1, 1, 1,
    ]);
  });

  it('a second request while a run is active is rejected with a clear reason', async () => {
    stack = await freshStack(60);

    const first = await runRestore(stack, { wait: false });
    const second = await runRestore(stack, { wait: false });

    expect(first.code).toBe(0);
    expect(second.code).toBe(1);
    expect(second.err.join('\n')).toContain(`another run (${first.runId}) is active on DB instance demo-db`);
  });

  it('trapheus runs and status show the run from another process (endpoints from local.json)', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'trapheus-e2e-'));
    stack = await freshStack(600, { writeInfo: true, infoDir: cwd });
    const { runId } = await runRestore(stack, { task: 'create_snapshot_only' });
    const cli = async (...args: string[]) => {
      const out: string[] = [];
      const code = await main(args, { out: (l) => out.push(l), err: () => undefined }, cwd);
      return { code, text: out.join('\n') };
    };

    const runs = await cli('runs', '--identifier', 'demo-db', '--json', '--local');
    const status = await cli('status', runId, '--local');
    const missing = await cli('status', 'run-nope', '--local');

    expect(runs.code).toBe(0);
    expect(JSON.parse(runs.text).map((r: { runId: string; step: string }) => [r.runId, r.step])).toEqual([
      [runId, 'SUCCEEDED'],
    ]);
    expect(status.code).toBe(0);
    expect(status.text).toContain(`run ${runId}: instance demo-db, task create_snapshot_only`);
    expect(status.text).toContain('step: SUCCEEDED');
    expect(status.text).toMatch(/SNAPSHOTTING\s+\d+\.\ds/);
    expect(missing.code).toBe(1);
  });
});
