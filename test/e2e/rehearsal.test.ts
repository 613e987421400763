/**
 * Rehearsals under a new name, end to end on the local stack (issue 15): task restore_copy restores a snapshot (or a
 * point in time) as a new database with the source's configuration, never touching the source; `keep` leaves the
 * copy, the default deletes it (guarded); each run records its restore duration and outcome, and
 * `trapheus runs --identifier` shows the history.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DescribeDBClustersCommand, ListTagsForResourceCommand } from '@aws-sdk/client-rds';
import { DEMO_CLUSTER, type LocalStack } from '@trapheus/local';
import { RESTORED_TAG, type RestoreVerifyingDetail, type Run } from '@trapheus/shared';
import { main } from '../../packages/cli/src/main';
import { assertIamClean, clientsFor, describe1, freshStack, runRestore } from './stack-helpers';

jest.setTimeout(90_000);

const MUTATING = /^(Create|Delete|Modify|Restore|Add|Remove|Start|Stop|Reboot|Promote|Failover|Copy)/;

const rehearse = (
  stack: LocalStack,
  opts: {
    identifier: string;
    target: string;
    cluster?: boolean;
    keep?: boolean;
    latest?: boolean;
    snapshot?: string;
  },
) => {
  const { target, ...rest } = opts;
  return runRestore(stack, { task: 'restore_copy', targetIdentifier: target, ...rest });
};

/** Mutating calls since `start` that name the source (or one of its members) in a parameter. */
const callsTouching = (stack: LocalStack, start: number, names: string[]) =>
  stack.rds
    .callLog()
    .filter((c) => c.at >= start && MUTATING.test(c.action))
    .filter((c) => Object.entries(c.params).some(([k, v]) => !k.startsWith('Source') && names.includes(v)));

describe('rehearsals (restore_copy) on the local stack', () => {
  let stack: LocalStack | undefined;
  afterEach(async () => {
    try {
      await assertIamClean(stack);
    } finally {
      await stack?.stop();
      stack = undefined;
    }
  });

  it('one kept and one deleted, the source never touched, and the history in `trapheus runs`', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trapheus-rehearsal-'));
    stack = await freshStack(600, { writeInfo: true, infoDir: dir });
    const { runs, rds } = clientsFor(stack);
    const source = (await describe1(rds, 'demo-db'))!;
    // A snapshot to rehearse with (the newest Trapheus took of demo-db is what restore_copy uses by default).
    const snap = await runRestore(stack, { task: 'create_snapshot_only' });
    expect(snap.code).toBe(0);
    const start = Date.now();

    // 1. Kept: from the latest restorable time.
    const kept = await rehearse(stack, {
      identifier: 'demo-db',
      target: 'demo-db-rehearsal',
      keep: true,
      latest: true,
    });
    expect(kept.code).toBe(0);
    const keptRun = (await runs.get(kept.runId)) as Run;
    expect(keptRun.step).toBe('SUCCEEDED');
    expect(keptRun.history.map((h) => h.step)).toEqual([
      'REQUESTED',
      'SNAPSHOT_READY',
      'RESTORING',
      'CONFIGURING',
      'SUCCEEDED',
    ]);
    expect(keptRun.progress.restoreSeconds).toEqual(expect.any(Number));
    expect(keptRun.progress.databaseState).toBe(
      "unchanged: the source demo-db was never touched; the rehearsal's DB instance demo-db-rehearsal is kept",
    );
    const copy = (await describe1(rds, 'demo-db-rehearsal'))!;
    expect(copy.DBInstanceStatus).toBe('available');
    // The source's configuration, restored under the new name.
    expect(copy.DBInstanceClass).toBe(source.DBInstanceClass);
    expect(copy.VpcSecurityGroups).toEqual(source.VpcSecurityGroups);
    expect(copy.DBParameterGroups?.map((g) => g.DBParameterGroupName)).toEqual(
      source.DBParameterGroups?.map((g) => g.DBParameterGroupName),
    );
    expect(copy.DeletionProtection).toBe(source.DeletionProtection);
    const tags = (await rds.send(new ListTagsForResourceCommand({ ResourceName: copy.DBInstanceArn })))
      .TagList;
    expect(tags).toContainEqual({ Key: RESTORED_TAG, Value: kept.runId });

    // 2. Deleted (the default): from the snapshot Trapheus took.
    const deleted = await rehearse(stack, { identifier: 'demo-db', target: 'demo-db-rehearsal-2' });
    expect(deleted.code).toBe(0);
    const deletedRun = (await runs.get(deleted.runId)) as Run;
    expect(deletedRun.step).toBe('SUCCEEDED');
    expect(deletedRun.snapshotIdentifier).toBe((await runs.get(snap.runId))?.snapshotIdentifier);
    expect(deletedRun.history.map((h) => h.step)).toEqual([
      'REQUESTED',
      'SNAPSHOT_READY',
      'RESTORING',
      'CONFIGURING',
      'CLEANING_UP',
      'SUCCEEDED',
    ]);
    expect(await describe1(rds, 'demo-db-rehearsal-2')).toBeUndefined();
    const deletes = stack.rds.callLog().filter((c) => c.action === 'DeleteDBInstance' && c.at >= start);
    expect(deletes.map((c) => [c.params.DBInstanceIdentifier, c.params.SkipFinalSnapshot])).toEqual([
      ['demo-db-rehearsal-2', 'true'],
    ]);
    expect(deletedRun.progress.databaseState).toMatch(
      /^unchanged: the source demo-db was never touched; the rehearsal's DB instance demo-db-rehearsal-2 \(restored from snapshot demo-db-snapshot-[0-9a-f]{8} in [\d.]+s\) is deleted$/,
    );

    // The source was never touched: same resource, no call changed it.
    expect((await describe1(rds, 'demo-db'))?.DbiResourceId).toBe(source.DbiResourceId);
    expect(callsTouching(stack, start, ['demo-db'])).toEqual([]);

    // 3. A target that exists is refused before anything is done.
    const taken = await rehearse(stack, { identifier: 'demo-db', target: 'demo-db-rehearsal' });
    expect(taken.code).toBe(3);
    const takenRun = (await runs.get(taken.runId)) as Run;
    expect(takenRun.failure?.code).toBe('DBInstanceAlreadyExists');
    expect(takenRun.reason).toContain('field "targetIdentifier": a DB instance demo-db-rehearsal exists');

    // The history: durations and outcomes, newest first.
    const out: string[] = [];
    const code = await main(
      ['runs', '--identifier', 'demo-db', '--local'],
      { out: (l) => out.push(l), err: () => undefined },
      dir,
    );
    expect(code).toBe(0);
    const lines = out.join('\n').split('\n');
    expect(lines[0]).toMatch(/^RUN\s+CREATED\s+KIND\s+IDENTIFIER\s+TASK\s+STEP\s+TOOK\s+RESTORE\s+COPY$/);
    const lineOf = (runId: string) => lines.find((l) => l.startsWith(runId)) ?? '';
    expect(lineOf(kept.runId)).toMatch(
      /restore_copy\s+SUCCEEDED\s+\d+s\s+\d+s\s+demo-db-rehearsal \(kept\)$/,
    );
    expect(lineOf(deleted.runId)).toMatch(
      /restore_copy\s+SUCCEEDED\s+\d+s\s+\d+s\s+demo-db-rehearsal-2 \(deleted\)$/,
    );
    expect(lineOf(taken.runId)).toMatch(
      /restore_copy\s+REJECTED\s+\d+s\s+-\s+demo-db-rehearsal \(deleted\)$/,
    );
    expect(lineOf(snap.runId)).toMatch(/create_snapshot_only\s+SUCCEEDED\s+\d+s\s+-$/);
  });

  it('with verify: the hooks check the copy; ok → the rehearsal passes, a failed hook → ROLLED_BACK, the copy deleted', async () => {
    stack = await freshStack();
    const { runs, rds, clients } = clientsFor(stack);
    const source = (await describe1(rds, 'demo-db'))!;
    // A hook: answers every RestoreVerifying, ok unless the copy's name says "bad".
    const checked: string[] = [];
    stack.bus.subscribe(stack.busName, { source: ['trapheus'], 'detail-type': ['RestoreVerifying'] }, (e) => {
      const d = e.detail as RestoreVerifyingDetail;
      checked.push(d.copyIdentifier);
      const ok = !d.copyIdentifier.includes('bad');
      void clients.eventBridge.send(
        new PutEventsCommand({
          Entries: [
            {
              EventBusName: stack!.busName,
              Source: 'trapheus',
              DetailType: 'RestoreVerified',
              Detail: JSON.stringify({
                runId: d.runId,
                hook: 'smoke',
                ok,
                message: ok ? 'healthy' : 'no rows',
              }),
            },
          ],
        }),
      );
    });
    const rehearseVerified = async (target: string) => {
      const { code, runId } = await runRestore(stack!, {
        task: 'restore_copy',
        targetIdentifier: target,
        latest: true,
        verify: { hooks: ['smoke'] },
      });
      return { code, run: (await runs.get(runId)) as Run };
    };

    const good = await rehearseVerified('demo-db-good');
    expect(good.code).toBe(0);
    expect(good.run.history.map((h) => h.step)).toEqual([
      'REQUESTED',
      'SNAPSHOT_READY',
      'RESTORING',
      'CONFIGURING',
      'VERIFYING',
      'CLEANING_UP',
      'SUCCEEDED',
    ]);
    expect(good.run.verification?.answers.smoke).toMatchObject({ ok: true, message: 'healthy' });

    const bad = await rehearseVerified('demo-db-bad');
    expect(bad.code).toBe(2);
    expect(bad.run.step).toBe('ROLLED_BACK');
    expect(bad.run.failure).toMatchObject({ step: 'VERIFYING', code: 'VerificationFailed' });
    expect(await describe1(rds, 'demo-db-bad')).toBeUndefined();

    // The hook saw each copy under its rehearsal name; the source was never touched.
    expect(checked).toEqual(['demo-db-good', 'demo-db-bad']);
    expect((await describe1(rds, 'demo-db'))?.DbiResourceId).toBe(source.DbiResourceId);
  });

  it('a cluster rehearsal: the cluster and its members restored under new names, then deleted', async () => {
    stack = await freshStack();
    const { runs, rds } = clientsFor(stack);
    const id = String(DEMO_CLUSTER.DBClusterIdentifier);
    const before = (await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id })))
      .DBClusters?.[0];
    const start = Date.now();

    const result = await rehearse(stack, {
      identifier: id,
      target: 'demo-cluster-rehearsal',
      cluster: true,
      latest: true,
    });

    expect(result.code).toBe(0);
    const run = (await runs.get(result.runId)) as Run;
    expect(run.step).toBe('SUCCEEDED');
    expect(run.progress.restoreSeconds).toEqual(expect.any(Number));
    const created = stack.rds
      .callLog()
      .filter((c) => c.at >= start && c.action === 'CreateDBInstance')
      .map((c) => c.params.DBClusterIdentifier);
    expect(created).toEqual(['demo-cluster-rehearsal', 'demo-cluster-rehearsal']);
    expect(
      stack.rds
        .callLog()
        .filter((c) => c.at >= start && c.action === 'DeleteDBCluster')
        .map((c) => c.params.DBClusterIdentifier),
    ).toEqual(['demo-cluster-rehearsal']);
    expect(stack.rds.snapshotState().clusters.map((c) => c.DBClusterIdentifier)).toEqual([id]);
    const after = (await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id })))
      .DBClusters?.[0];
    expect(after?.DbClusterResourceId).toBe(before?.DbClusterResourceId);
    expect(callsTouching(stack, start, [id, 'demo-cluster-writer', 'demo-cluster-reader'])).toEqual([]);
  });
});
