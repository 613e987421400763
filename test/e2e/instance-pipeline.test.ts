/**
 * The instance pipeline end to end on the local stack: the services' real handlers, wired from their
 * serverless.yml files, calling the RDS simulator, dynalite and the local EventBridge/SQS over HTTP.
 */

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalStack } from '@trapheus/local';
import { captureInstance, configurationDrift, copyIdentifierFor, runIdFor } from '@trapheus/shared';
import { main } from '../../packages/cli/src/main';
import { describeRun } from '../../packages/cli/src/runs-view';
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
  'RESTORING',
  'CONFIGURING',
  'SWAPPING',
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
    expect(second.code).toBe(3);
    expect(second.err.join('\n')).toContain(`another run (${first.runId}) is active on DB instance demo-db`);
    expect(second.err.join('\n')).toContain(`next: npx trapheus status ${first.runId} --wait --local`);
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

  describe('restore beside, then swap', () => {
    it('the original keeps serving while the copy is restored and configured; downtime is the two renames', async () => {
      stack = await freshStack();
      const { rds, runs } = clientsFor(stack);
      const before = (await describe1(rds, 'demo-db'))!;
      const seen = new Set<string>();
      const sampler = setInterval(() => {
        const demo = stack.rds.snapshotState().instances.find((i) => i.DBInstanceIdentifier === 'demo-db');
        if (demo?.DbiResourceId === before.DbiResourceId) seen.add('original serving');
      }, 5);

      const result = await runRestore(stack);
      clearInterval(sampler);

      expect(result.code).toBe(0);
      const run = (await runs.get(result.runId))!;
      expect(stepsOf(run)).toEqual(HAPPY_STEPS);
      const at = (step: string) => Date.parse(run.history.find((h) => h.step === step)?.at ?? '');
      const downtime =
        Date.parse(String(run.progress.downtimeEndedAt)) - Date.parse(String(run.progress.downtimeStartedAt));
      // The original's name stopped answering only in SWAPPING, after the restore and the configuration.
      expect(Date.parse(String(run.progress.downtimeStartedAt))).toBeGreaterThanOrEqual(at('SWAPPING'));
      expect(downtime).toBeGreaterThan(0);
      expect(downtime).toBeLessThan(at('CLEANING_UP') - at('RESTORING'));
      expect(seen.has('original serving')).toBe(true);
      // `trapheus status` shows the strategy, the side name and the downtime window.
      const status = describeRun(run, '--local');
      expect(status).toContain(
        `strategy: swap (the copy is restored as ${run.copyIdentifier}, then swapped in)`,
      );
      expect(status).toMatch(/downtime: \d+\.\ds \(from .+ to .+\)/);
      const after = (await describe1(rds, 'demo-db'))!;
      expect(after.DbiResourceId).not.toBe(before.DbiResourceId);
      expect(after.Endpoint?.Address).toBe(before.Endpoint?.Address);
      expect(configurationDrift(captureInstance(before), after)).toEqual([]);
      expect(instanceIds(stack)).toEqual(['demo-db']);
    });

    it('a failure before the swap deletes the copy: the original is untouched (resource id, endpoint, tags)', async () => {
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
      const run = (await runs.get(result.runId))!;
      expect(run.failure).toMatchObject({ step: 'RESTORING', code: 'incompatible-restore' });
      expect(run.history.at(-1)?.note).toBe('failed before the swap: the original was never moved');
      const after = (await describe1(rds, 'demo-db'))!;
      expect([after.DbiResourceId, after.Endpoint?.Address, after.TagList]).toEqual([
        before.DbiResourceId,
        before.Endpoint?.Address,
        before.TagList,
      ]);
      expect(stack.rds.callCounts().ModifyDBInstance ?? 0).toBe(0);
      expect(instanceIds(stack)).toEqual(['demo-db']);
    });

    it('a failure between the two renames puts the names back', async () => {
      stack = await freshStack();
      const { rds, runs } = clientsFor(stack);
      const before = (await describe1(rds, 'demo-db'))!;
      const requestId = 'swap-fails-half-way';
      const side = copyIdentifierFor('demo-db', runIdFor({ requestId }));
      // Once the copy is configured, its rename to the name fails for good (the original is renamed aside first).
      const started = await runRestore(stack, { requestId, wait: false });
      for (let i = 0; i < 2000; i++) {
        if ((await runs.get(started.runId))?.step === 'SWAPPING') break;
        await new Promise((r) => setTimeout(r, 5));
      }
      stack.rds.faults.add({
        kind: 'api-error',
        operation: 'ModifyDBInstance',
        identifier: side,
        code: 'InvalidParameterCombination',
        count: 1,
      });

      const result = await runRestore(stack, { requestId });

      expect(result.code).toBe(2);
      const run = (await runs.get(result.runId))!;
      expect(run.failure).toMatchObject({ step: 'SWAPPING', code: 'InvalidParameterCombination' });
      expect(run.history.at(-1)?.note).toBe('names put back during the swap');
      expect(run.progress.databaseState).toContain('the names were put back');
      const after = (await describe1(rds, 'demo-db'))!;
      expect([after.DbiResourceId, after.Endpoint?.Address]).toEqual([
        before.DbiResourceId,
        before.Endpoint?.Address,
      ]);
      expect(instanceIds(stack)).toEqual(['demo-db']);
    });

    it('strategy rename_first keeps the original order: rename, restore under the name, configure', async () => {
      stack = await freshStack();
      const { runs } = clientsFor(stack);

      const result = await runRestore(stack, { strategy: 'rename_first' });

      expect(result.code).toBe(0);
      const run = (await runs.get(result.runId))!;
      expect(stepsOf(run)).toEqual([
        'REQUESTED',
        'SNAPSHOTTING',
        'SNAPSHOT_READY',
        'RENAMING',
        'RESTORING',
        'CONFIGURING',
        'CLEANING_UP',
        'SUCCEEDED',
      ]);
      expect(run.progress.downtimeEndedAt).toBeDefined();
      expect(instanceIds(stack)).toEqual(['demo-db']);
    });
  });
});
