/**
 * Schedules on the local stack: an enabled `rate(1 minute)` schedule at time scale 600 fires every 100 ms and its
 * RestoreRequested starts a run carrying the schedule's name; `trapheus schedules --local` shows that run.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalStack } from '@trapheus/local';
import type { Run } from '@trapheus/shared';
import { main } from '../../packages/cli/src/main';
import { clientsFor, freshStack } from './stack-helpers';

const waitFor = async <T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

describe('schedules on the local stack', () => {
  let stack: LocalStack | undefined;
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
  });

  it('fires an enabled schedule with the time scale, and the run records the schedule', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trapheus-schedules-e2e-'));
    const file = join(dir, 'trapheus.config.yml');
    writeFileSync(
      file,
      [
        'schedules:',
        '  - { name: minutely-demo, identifier: demo-db, task: create_snapshot_only, expression: rate(1 minute) }',
        '  - { name: off-demo, identifier: demo-db, task: db_restore, expression: rate(1 minute), enabled: false }',
        '',
      ].join('\n'),
    );
    const started = Date.now();
    stack = await freshStack(600, { schedulesFile: file, writeInfo: true, infoDir: dir });
    expect(stack.scheduler?.schedules).toEqual(['minutely-demo']);
    const { runs } = clientsFor(stack);

    const run = await waitFor('a run started by the schedule', async () =>
      (await runs.listAll()).find((r: Run) => r.schedule === 'minutely-demo'),
    );
    const firstFiring = stack.scheduler?.fired()[0];
    stack.scheduler?.stop();
    // One stack minute is 100 ms of wall clock at time scale 600.
    expect(firstFiring).toBeDefined();
    expect(Date.parse(firstFiring?.scheduledTime ?? '') - started).toBeGreaterThanOrEqual(60_000 - 1_000);
    expect(run).toMatchObject({
      identifier: 'demo-db',
      kind: 'instance',
      task: 'create_snapshot_only',
      schedule: 'minutely-demo',
    });
    // Each firing has its own requestId (Scheduler's scheduled time): a retried PutEvents never starts a second run.
    const requestIds = (stack.scheduler?.fired() ?? []).map(
      (f) => `schedule:minutely-demo:${f.scheduledTime.replace(/\.\d{3}Z$/, 'Z')}`,
    );
    expect(requestIds).toContain(run.requestId);
    expect(stack.scheduler?.fired().every((f) => f.schedule === 'minutely-demo')).toBe(true);

    // A firing already on the bus when the scheduler stopped still starts its run: wait until every firing has one,
    // so that the last run cannot change under the command.
    const firings = stack.scheduler?.fired().length ?? 0;
    await waitFor('a run for every firing', async () => {
      const n = (await runs.listAll()).filter((r: Run) => r.schedule === 'minutely-demo').length;
      return n >= firings ? n : undefined;
    });

    // `trapheus schedules --local` finds it as the last run the schedule started.
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
    const code = await main(['schedules', '--local', '--config', file, '--json'], io, dir);
    expect(err).toEqual([]);
    expect(code).toBe(0);
    const views = JSON.parse(out.join('\n'));
    expect(views.map((v: { name: string }) => v.name)).toEqual(['minutely-demo', 'off-demo']);
    const newest = (await runs.listAll()).find((r: Run) => r.schedule === 'minutely-demo');
    expect(views[0].lastRun).toEqual({
      runId: newest?.runId,
      step: newest?.step,
      createdAt: newest?.createdAt,
    });
    expect(views[0].next).toHaveLength(3);
    expect(views[1].lastRun).toBeNull();
  });

  it('starts without a config file, and refuses an invalid one naming the entry', async () => {
    stack = await freshStack(600, { schedulesFile: join(tmpdir(), 'no-such-trapheus.config.yml') });
    expect(stack.scheduler).toBeUndefined();
    await stack.stop();
    stack = undefined;
    const dir = mkdtempSync(join(tmpdir(), 'trapheus-schedules-e2e-'));
    const file = join(dir, 'trapheus.config.yml');
    writeFileSync(
      file,
      'schedules:\n  - { name: bad, identifier: demo-db, task: db_restore, expression: cron(0 3 * * * *) }\n',
    );
    await expect(freshStack(600, { schedulesFile: file })).rejects.toThrow(/schedule "bad" \(entry 1\)/);
  });
});
