/**
 * The demo's metrics table from a demo-like run: the local stack runs the real handlers (loaded in their own jest
 * module registries), a create_snapshot restore of demo-db goes through, and the EMF lines the functions wrote come
 * back summed (never on stdout), then as the table `trapheus demo` prints.
 */
import { resolve } from 'node:path';
import { type Handler, type LocalStack, startLocalStack } from '@trapheus/local';
import { demoMetricsLines } from '../src/demo-metrics';
import { restore } from '../src/restore';
import { targetForStack } from '../src/target';

jest.setTimeout(90_000);

const ROOT = resolve(__dirname, '..', '..', '..');

const jestLoader = async (file: string, name: string): Promise<Handler> => {
  let handler: Handler | undefined;
  jest.isolateModules(() => {
    handler = require(file)[name];
  });
  return handler!;
};

describe('demo metrics', () => {
  let stack: LocalStack | undefined;
  afterEach(async () => {
    await stack?.stop();
  });

  it('a demo run’s EMF lines are summed per metric and dimensions, kept off stdout, and printed as a table', async () => {
    const written: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
      written.push(String(chunk));
      return true;
    });
    let code: number;
    try {
      stack = await startLocalStack({
        rootDir: ROOT,
        timeScale: 600,
        loadHandler: jestLoader,
        seed: 7,
        runSchedules: true,
      });
      const out: string[] = [];
      code = await restore(
        targetForStack(stack),
        {
          identifier: 'demo-db',
          cluster: false,
          task: 'create_snapshot',
          wait: true,
          acceptTimeoutSeconds: 20,
          waitTimeoutSeconds: 60,
          pollMs: 50,
        },
        { out: (l) => out.push(l), err: () => undefined },
      );
      await stack.bus.whenIdle(5_000).catch(() => undefined);
    } finally {
      write.mockRestore();
    }
    expect(code).toBe(0);
    // Nothing EMF reached the terminal.
    expect(written.filter((w) => w.includes('"_aws"'))).toEqual([]);

    const summary = stack.metrics();
    const row = (metric: string, dims: Record<string, string>) =>
      summary.series.find(
        (s) =>
          s.metric === metric && JSON.stringify(s.dimensions) === JSON.stringify({ Stage: 'local', ...dims }),
      );
    expect(
      row('RunOutcome', { Outcome: 'SUCCEEDED', Task: 'create_snapshot', Kind: 'instance' }),
    ).toMatchObject({
      namespace: 'Trapheus',
      unit: 'Count',
      count: 1,
      sum: 1,
    });
    // Every step the run left, once each.
    const steps = summary.series.filter((s) => s.metric === 'StepSeconds');
    expect(steps.map((s) => s.dimensions.Step).sort()).toEqual(
      [
        'CLEANING_UP',
        'CONFIGURING',
        'REQUESTED',
        'RESTORING',
        'SNAPSHOTTING',
        'SNAPSHOT_READY',
        'SWAPPING',
      ].sort(),
    );
    for (const s of steps) expect(s).toMatchObject({ unit: 'Seconds', count: 1 });
    // Waits ended, each with its WaitSeconds and CheckBacksPerWait.
    const waits = summary.series.filter((s) => s.metric === 'WaitSeconds');
    expect(waits.reduce((n, s) => n + s.count, 0)).toBeGreaterThan(0);
    const checkBacks = summary.series.filter((s) => s.metric === 'CheckBacksPerWait');
    expect(checkBacks.reduce((n, s) => n + s.count, 0)).toBe(waits.reduce((n, s) => n + s.count, 0));
    // The watchdog swept (rate(5 minutes), scaled): its finds are written, zero included.
    expect(row('StalledRunsFound', {})).toMatchObject({ unit: 'Count' });
    expect(summary.functions).toEqual(
      expect.arrayContaining([
        'trapheus-snapshot-local-worker',
        'trapheus-restore-local-worker',
        'trapheus-cleanup-local-worker',
        'trapheus-snapshot-local-watchdog',
      ]),
    );

    const table = demoMetricsLines(summary, 600);
    expect(table[0]).toMatch(
      new RegExp(
        `^metrics \\(CloudWatch EMF, namespace Trapheus, Stage=local\\): ${summary.lines} lines from \\d+ functions$`,
      ),
    );
    expect(table[1]?.split(/\s+/).filter(Boolean)).toEqual([
      'metric',
      'dimensions',
      'unit',
      'count',
      'sum',
      'max',
    ]);
    expect(table).toContainEqual(
      expect.stringMatching(
        /^ {2}RunOutcome +Outcome=SUCCEEDED Task=create_snapshot Kind=instance +Count +1 +1 +1$/,
      ),
    );
    expect(table.filter((l) => /^ {2}StepSeconds +Step=/.test(l))).toHaveLength(7);
    expect(table.at(-1)).toBe('  seconds are the local clock: RDS and SQS waits ran 600× faster than on AWS');
  });

  it('says so when the functions wrote none', () => {
    expect(demoMetricsLines({ lines: 0, invalid: 0, functions: [], series: [] })).toEqual([
      'metrics: the functions wrote none',
    ]);
  });
});
