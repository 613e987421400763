/**
 * The run view (issue 17) end to end on the local stack: `trapheus status --json` prints buildRunView's output,
 * whose steps are the run's history, whose waits say which signal ended each, whose calls are exactly the
 * mutating RDS calls the simulator answered for the run, and whose notifications are notify's deliveries.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { LocalStack } from '@trapheus/local';
import { buildRunView, deliveriesTableFor, isReadOnlyRdsAction, type RunView } from '@trapheus/shared';
import { main } from '../../packages/cli/src/main';
import { assertIamClean, clientsFor, freshStack, runRestore } from './stack-helpers';

jest.setTimeout(90_000);

const TARGET_PARAMS = [
  'DBInstanceIdentifier',
  'DBClusterIdentifier',
  'DBSnapshotIdentifier',
  'DBClusterSnapshotIdentifier',
  'ExportTaskIdentifier',
  'ResourceName',
  'SourceArn',
  'SourceDBInstanceArn',
];

/** The mutating calls Lambda functions made (the CLI and the test call as `local`), as [action, target]. */
const simulatorCalls = (stack: LocalStack) =>
  stack.rds
    .callLog()
    .filter((c) => c.accessKeyId && c.accessKeyId !== 'local' && !isReadOnlyRdsAction(c.action))
    .map((c) => [c.action, TARGET_PARAMS.map((k) => c.params[k]).find((v) => v)]);

describe('run view on the local stack', () => {
  let stack: LocalStack;
  afterEach(async () => {
    try {
      await assertIamClean(stack);
    } finally {
      await stack?.stop();
    }
  });

  it('status --json: steps from history, waits ended by RDS events with their gap, calls as RDS saw them', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'trapheus-e2e-'));
    // At time scale 150 a check-back is at least 130 ms of wall clock away, while an RDS event takes a few ms to
    // arrive: waits end by their events even on a loaded machine (at 600, a due check-back could win every race).
    stack = await freshStack(150, { writeInfo: true, infoDir: cwd });
    const { runs } = clientsFor(stack);
    const result = await runRestore(stack);
    await stack.bus.whenIdle(20_000);
    expect(result.code).toBe(0);

    const out: string[] = [];
    const code = await main(
      ['status', result.runId, '--json', '--local'],
      { out: (l) => out.push(l), err: () => undefined },
      cwd,
    );
    expect(code).toBe(0);
    const view = JSON.parse(out.join('\n')) as RunView;
    const run = (await runs.get(result.runId))!;

    expect(view.run).toEqual(run);
    expect(view.steps.map((s) => [s.step, s.startedAt])).toEqual(run.history.map((h) => [h.step, h.at]));
    expect(view.steps.at(-1)?.endedAt).toBeUndefined();
    expect(view.steps.slice(0, -1).every((s) => typeof s.seconds === 'number')).toBe(true);

    const byEvent = view.waits.filter((w) => w.endedBy === 'rds-event');
    expect(byEvent.length).toBeGreaterThan(0);
    for (const w of byEvent) {
      expect(w.signalAt).toEqual(expect.any(String));
      expect(w.gapSeconds).toBeGreaterThanOrEqual(0);
      expect(Date.parse(w.endedAt!)).toBeGreaterThanOrEqual(Date.parse(w.since));
    }
    expect(view.waits.every((w) => w.endedAt)).toBe(true);

    expect(view.calls.map((c) => [c.action, c.target])).toEqual(simulatorCalls(stack));
    expect(view.calls.map((c) => c.action)).toContain('RestoreDBInstanceFromDBSnapshot');
    expect(new Set(view.calls.map((c) => c.service))).toEqual(new Set(['snapshot', 'restore', 'cleanup']));
    expect(view.traceTruncated).toBeUndefined();
    // The trace lives in items of its own beside the run (one per segment); the run item holds only the count,
    // and no run listing sees them.
    const items = await clientsFor(stack).clients.dynamo.send(
      new ScanCommand({ TableName: stack.runsTable, ConsistentRead: true }),
    );
    const traceItems = (items?.Items ?? []).filter((i) => String(i.runId).startsWith(`TRACE#${run.runId}#`));
    expect(run.traceSeq).toBeGreaterThan(0);
    expect(traceItems).toHaveLength(run.traceSeq!);
    expect(
      traceItems.every((i) => i.step === undefined && i.dbKey === undefined && i.traceOf === run.runId),
    ).toBe(true);
    expect(Object.keys(run)).not.toEqual(expect.arrayContaining(['calls']));
    expect((await runs.listAll()).map((r) => r.runId)).toEqual([run.runId]);
    expect(view.failure).toBeUndefined();
    expect(view.downtime?.seconds).toEqual(expect.any(Number));
  });

  it('a rolled-back run: its failure with advice, and the e-mail and each Slack delivery', async () => {
    stack = await freshStack();
    const { clients, runs } = clientsFor(stack);
    stack.rds.faults.add({
      kind: 'api-error',
      operation: 'RestoreDBInstanceFromDBSnapshot',
      code: 'InsufficientDBInstanceCapacity',
    });
    const result = await runRestore(stack);
    await stack.bus.whenIdle(20_000);
    expect(result.code).toBe(2);

    const view = (await buildRunView(
      {
        runs,
        dynamo: clients.dynamo,
        runsTable: stack.runsTable,
        deliveriesTable: deliveriesTableFor(stack.runsTable),
        flags: '--local',
      },
      result.runId,
    ))!;

    expect(view.run.step).toBe('ROLLED_BACK');
    expect(view.failure).toMatchObject({ step: 'RESTORING', code: 'InsufficientDBInstanceCapacity' });
    expect(view.failure?.advice.join('\n')).toContain('npx trapheus restore demo-db');
    expect(view.failure?.advice.join('\n')).toContain('--local');
    expect(view.calls.map((c) => [c.action, c.target])).toEqual(simulatorCalls(stack));
    expect(view.calls.find((c) => c.action === 'RestoreDBInstanceFromDBSnapshot')?.error).toBe(
      'InsufficientDBInstanceCapacity',
    );
    const sent = view.notifications.map((n) => [n.channel, n.status, n.step, n.about]);
    expect(sent).toEqual(
      expect.arrayContaining([
        ['email', 'sent', 'ROLLED_BACK', 'run'],
        ['slack', 'sent', 'ROLLED_BACK', 'run'],
      ]),
    );
    expect(view.notifications.filter((n) => n.channel === 'slack')).toHaveLength(2);
    expect(JSON.stringify(view.notifications)).not.toMatch(/https?:/);
  });
});
