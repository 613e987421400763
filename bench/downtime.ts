/**
 * bench/downtime.ts — how long the database's name does not answer, per strategy (docs/design.md §7).
 *
 *   npx tsx bench/downtime.ts [--runs 2] [--time-scale 600] [--restore-minutes 30]
 *
 * The same create_snapshot restore of demo-db on the local stack, once with each strategy, on the same simulated
 * timeline: a restore of `--restore-minutes` (default 30), the simulator's rename (gap + renaming + reboot) and
 * modify durations. Each run records when the original's name stopped answering (its rename was requested) and
 * when the copy answered under it (available after its rename, or after the restore for rename_first); the
 * figures are those recordings converted to simulated seconds (wall ms × time scale / 1000).
 *
 * What it does not say: AWS publishes no rename or restore durations, and a renamed instance's new DNS name takes
 * about 10 minutes to become effective, which no simulator models; with swap the copy's endpoint is the
 * original's name, so clients resolve it as soon as the DNS change propagates.
 */
import { downtimeOf } from '@trapheus/shared';
import {
  fmt,
  machineLine,
  numberArgs,
  runsOf,
  startBenchStack,
  startRun,
  stats,
  table,
  waitForRun,
} from './common';

const opts = numberArgs({ runs: 2, timeScale: 600, restoreMinutes: 30 });
const ts = opts.timeScale;
const sim = (seconds: number) => seconds * ts;

const measure = async (strategy: 'swap' | 'rename_first'): Promise<number[]> => {
  const out: number[] = [];
  for (let i = 0; i < opts.runs; i++) {
    const stack = await startBenchStack({
      timeScale: ts,
      rdsDurations: { restoreInstance: opts.restoreMinutes * 60 },
    });
    try {
      const runs = runsOf(stack);
      const runId = await startRun(stack, {
        identifier: 'demo-db',
        requestId: `downtime-${strategy}-${i}`,
        strategy,
      });
      const run = await waitForRun(runs, runId, 120_000);
      const d = run ? downtimeOf(run) : undefined;
      if (run?.step !== 'SUCCEEDED' || d?.seconds === undefined) {
        throw new Error(`${strategy} run ${runId} ended ${run?.step} without a downtime window`);
      }
      out.push(sim(d.seconds));
    } finally {
      await stack.stop();
    }
  }
  return out;
};

const main = async () => {
  console.log(`Trapheus downtime per strategy — ${opts.runs} create_snapshot restores of demo-db each
  how:     local stack at ${ts}×, a ${opts.restoreMinutes}-minute restore; downtime = recorded from the original's
           rename request to the copy answering under the name, in SIMULATED seconds
  ${machineLine()}`);
  const swap = stats(await measure('swap'));
  const renameFirst = stats(await measure('rename_first'));
  console.log(
    table(
      ['strategy', 'downtime p50 (s)', 'min', 'max'],
      [
        ['swap', fmt(swap.median), fmt(swap.min), fmt(swap.max)],
        ['rename_first', fmt(renameFirst.median), fmt(renameFirst.min), fmt(renameFirst.max)],
      ],
    ),
  );
  const ratio = swap.median / renameFirst.median;
  console.log(`DOWNTIME downtime_ratio=${fmt(ratio, 3)} (target ≤ 0.3)`);
};

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
