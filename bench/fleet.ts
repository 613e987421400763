/**
 * bench/fleet.ts — a fleet of concurrent restores, instances and clusters mixed, under every fault kind
 * (docs/design.md §7).
 *
 *   npx tsx bench/fleet.ts [--runs 200] [--seed 20261201] [--time-scale 600]
 *
 * Runs the chaos soak's plan (test/faults/soak.ts) outside jest: N runs requested at once on one local stack, three
 * quarters instances and a quarter clusters of 1–3 members, 5 % of every fault kind per run, RDS events dropped /
 * duplicated / reordered. Every run is checked against the fault suite's invariants (test/faults/invariants.ts).
 * Prints outcomes, wall time, peak RSS, RDS Describe calls per second, and a last line for `npm run bench`:
 *
 *   FLEET ok=<correct runs> total=<N> wall_s=<…> peak_rss_mb=<…> describe_peak_per_s=<…>
 *
 * Exits non-zero when a run is not correct.
 */

import { loadavg } from 'node:os';
import type { LocalStack, RdsCallRecord } from '@trapheus/local';
import { isTerminal } from '@trapheus/shared';
import { plainStack } from '../test/faults/harness';
import { terminalAt } from '../test/faults/invariants';
import { runSoak, SOAK_DEFAULTS } from '../test/faults/soak';
import { fmt, machineLine, numberArgs, stats, table } from './common';

const opts = numberArgs({
  runs: SOAK_DEFAULTS.runs,
  seed: SOAK_DEFAULTS.seed,
  timeScale: SOAK_DEFAULTS.timeScale,
});
const N = opts.runs;
if (!Number.isInteger(N) || N < 1 || N > 1000) throw new Error('--runs must be 1..1000');
if (!(opts.timeScale > 0)) throw new Error('--time-scale must be > 0');
const RATE = SOAK_DEFAULTS.rate;
const clusters = Math.round(N / 4);

process.env.TRAPHEUS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

console.log(`Trapheus fleet — ${N} concurrent restores (${N - clusters} instances, ${clusters} clusters of 1–3 members) under faults
  how:     the chaos soak's plan and checks (test/faults/soak.ts, harness.ts, invariants.ts), run in plain Node (no
           jest): one local stack in this process — RDS simulator and SQS delays at ${opts.timeScale}×, up to 10 concurrent
           invocations per function, the handlers loaded by the local runner (project modules fresh per function,
           node_modules shared: less memory than under jest, which isolates every module per function), the
           scheduled watchdog firing every ${fmt(300 / opts.timeScale, 2)} s (5 min scaled; a firing is skipped while the previous
           one still runs). All ${N} requests put on the bus at once (distinct databases).
  faults:  seed ${opts.seed}; per run, ${RATE * 100} % of every fault of the fault suite at a random step (RDS API errors and
           async failures, throttling of one call, a crash before the state write or before the check-back,
           DynamoDB conditional-check failures and throttling, a partial PutEvents, SES and Slack 500s, the temp
           name taken by a bystander); stack-wide, RDS events dropped / duplicated / reordered ${RATE * 100} % each and
           ${(RATE / 5) * 100} % of every RDS call throttled (the SDK retries).
  counts:  "correct" = terminal, the final state matching RDS, and none of the invariants broken (original data
           always exists; a good snapshot never missing once taken; deletes only its own resources; one active
           run per database; terminal by the deadline; one notification per channel; no RDS call after the
           terminal state) — checked on RDS samples every 250 ms (the simulator's inventory), the runs table
           polled every second (its byCreated index) and the simulator's call log, after the batch.
           Wall = first request → the last run's terminal state (its history time). Peak RSS = this process's
           resident set (stack, handlers and the checks' samples), sampled every 250 ms. Describe/s = RDS
           Describe* calls answered by the simulator (its call log, every caller), the most in any 1-s window
           (sliding), and the mean over the wall time. CPU = this process's user + system time at the end
           (start-up and the checks included): steadier than wall time when other processes share the cores.`);
console.log(`${machineLine()}\n`);

/** The most items in any window of `windowMs` (sliding, ends at each item). */
const peakPerWindow = (times: number[], windowMs = 1000): { count: number; at: number } => {
  const t = [...times].sort((a, b) => a - b);
  let best = { count: 0, at: Number.NaN };
  for (let i = 0, j = 0; i < t.length; i++) {
    while ((t[j] ?? 0) <= (t[i] ?? 0) - windowMs) j++;
    if (i - j + 1 > best.count) best = { count: i - j + 1, at: t[i] ?? Number.NaN };
  }
  return best;
};

interface StackFigures {
  invocations: number;
  invocationErrors: number;
  partialBatches: number;
  gbSeconds: number;
  eventsEmitted: number;
  eventsDelivered: number;
  dlq: { queue: string; messages: number }[];
  /** per function: invocations and their summed duration (ms) */
  byFunction: Record<string, { n: number; ms: number }>;
}

const main = async () => {
  let figures: StackFigures | undefined;
  let lastProgress = 0;
  const started = Date.now();
  const outcome = await runSoak({
    runs: N,
    seed: opts.seed,
    rate: RATE,
    timeScale: opts.timeScale,
    start: plainStack,
    onProgress: (terminal, total) => {
      if (Date.now() - lastProgress < 15_000) return;
      lastProgress = Date.now();
      process.stderr.write(
        `  … ${terminal}/${total} terminal after ${fmt((Date.now() - started) / 1000)} s, RSS ${fmt(process.memoryUsage().rss / 2 ** 20)} MB\n`,
      );
    },
    afterRuns: (stack: LocalStack) => {
      const inv = stack.bus.invocations();
      const byFunction: StackFigures['byFunction'] = {};
      for (const x of inv) {
        const name = x.functionName.replace(/^trapheus-/, '');
        const f = byFunction[name] ?? { n: 0, ms: 0 };
        f.n += 1;
        f.ms += x.durationMs;
        byFunction[name] = f;
      }
      figures = {
        byFunction,
        invocations: inv.length,
        invocationErrors: inv.filter((x) => x.result === 'error').length,
        partialBatches: inv.filter((x) => x.result === 'partial').length,
        gbSeconds: inv.reduce((s, x) => s + x.gbSeconds, 0),
        eventsEmitted: stack.rds.emittedEvents().length,
        eventsDelivered: stack.rds.deliveredEvents().length,
        dlq: stack.bus
          .queues()
          .filter((q) => (q.dlqMessages ?? 0) > 0)
          .map((q) => ({ queue: q.dlq ?? q.name, messages: q.dlqMessages ?? 0 })),
      };
    },
  });
  const { plan, result, check } = outcome;
  const cpu = process.cpuUsage();

  // Wall: first request → the last terminal state (or the poller's end when a run never got there).
  const ends = result.records.map(terminalAt);
  const allTerminal = result.records.every((r) => r.run && isTerminal(r.run.step));
  const lastEnd = allTerminal ? Math.max(...ends) : result.runsEndedAt;
  const wallS = (lastEnd - result.firstRequestAt) / 1000;
  const runWall = result.records
    .map((r, i) => ((ends[i] ?? Number.NaN) - r.startedAt) / 1000)
    .filter(Number.isFinite);
  const runStats = stats(runWall);
  const p95 = [...runWall].sort((a, b) => a - b)[Math.floor(runWall.length * 0.95)] ?? Number.NaN;

  // RDS calls from the simulator's call log
  const calls: RdsCallRecord[] = result.calls;
  const during = calls.filter((c) => c.at >= result.firstRequestAt && c.at <= lastEnd);
  const describes = during.filter((c) => c.action.startsWith('Describe'));
  const describePeak = peakPerWindow(describes.map((c) => c.at));
  const callPeak = peakPerWindow(during.map((c) => c.at));
  const byDescribe: Record<string, number> = {};
  for (const c of describes) byDescribe[c.action] = (byDescribe[c.action] ?? 0) + 1;
  const throttled = during.filter((c) => c.errorCode === 'Throttling').length;
  const peakRssMb = result.peakRssMb;

  const faultsApplied = plan.faultsOf.reduce((n, x) => n + x.length, 0);
  const runsWithFaults = plan.faultsOf.filter((x) => x.length > 0).length;
  const sim = (s: number) => (s * opts.timeScale) / 3600;
  const f = figures;
  const rows: string[][] = [
    ['runs requested (instances / clusters)', `${N} (${plan.instances} / ${plan.clusters})`],
    ['runs correct (terminal, matching RDS, no invariant broken)', `${check.correct}/${check.runs}`],
    ...['SUCCEEDED', 'ROLLED_BACK', 'FAILED', 'CLEANUP_FAILED', 'REJECTED', 'LOST']
      .filter((s) => check.byStep[s] !== undefined || s === 'SUCCEEDED')
      .map((s) => [`  ended ${s}`, String(check.byStep[s] ?? 0)]),
    ...Object.entries(check.byStep)
      .filter(
        ([s]) => !['SUCCEEDED', 'ROLLED_BACK', 'FAILED', 'CLEANUP_FAILED', 'REJECTED', 'LOST'].includes(s),
      )
      .map(([s, n]) => [`  stuck in ${s}`, String(n)]),
    ['invariant violations', String(check.violations.length)],
    ...Object.entries(check.byInvariant).map(([k, n]) => [`  ${k}`, String(n)]),
    ['per-run faults applied (runs with one or more)', `${faultsApplied} (${runsWithFaults})`],
    ['wall: first request → last terminal run (s)', fmt(wallS, 1)],
    ['  = simulated hours', fmt(sim(wallS), 1)],
    [
      '  one run, first request → terminal: median / p95 / max (s)',
      `${fmt(runStats.median, 1)} / ${fmt(p95, 1)} / ${fmt(runStats.max, 1)}`,
    ],
    ['  whole batch: stack start → settled (s)', fmt(result.wallMs / 1000, 1)],
    ['peak RSS of this process (MB)', String(peakRssMb)],
    [
      'CPU time of this process, user + system (s)',
      `${fmt((cpu.user + cpu.system) / 1e6, 1)} (1-min load at the end ${fmt(loadavg()[0] ?? 0, 2)})`,
    ],
    ['RDS calls during the wall (throttled)', `${during.length} (${throttled})`],
    ['  peak in 1 s / mean per s', `${callPeak.count} / ${fmt(during.length / Math.max(wallS, 1e-3), 1)}`],
    ['RDS Describe calls during the wall', String(describes.length)],
    [
      '  peak in 1 s / mean per s',
      `${describePeak.count} / ${fmt(describes.length / Math.max(wallS, 1e-3), 1)}`,
    ],
    ...Object.entries(byDescribe)
      .sort(([, a], [, b]) => b - a)
      .map(([a, n]) => [`  ${a}`, String(n)]),
    ...(f
      ? [
          ['RDS events emitted / delivered after faults', `${f.eventsEmitted} / ${f.eventsDelivered}`],
          [
            'Lambda invocations (errors / partial batches)',
            `${f.invocations} (${f.invocationErrors} / ${f.partialBatches})`,
          ],
          ...Object.entries(f.byFunction)
            .sort(([, a], [, b]) => b.ms - a.ms)
            .map(([name, x]) => [
              `  ${name}: invocations / summed duration (s)`,
              `${x.n} / ${fmt(x.ms / 1000, 1)}`,
            ]),
          ['  GB-s total (local timing) / per run', `${fmt(f.gbSeconds, 1)} / ${fmt(f.gbSeconds / N, 2)}`],
          [
            'DLQ messages',
            `${f.dlq.reduce((s, q) => s + q.messages, 0)}${f.dlq.length ? ` (${f.dlq.map((q) => `${q.queue}: ${q.messages}`).join(', ')})` : ''}`,
          ],
        ]
      : []),
  ];
  console.log(table(['fleet', 'value'], rows));
  for (const v of check.violations.slice(0, 40)) console.log(`violation: ${v}`);
  if (check.violations.length > 40) console.log(`… and ${check.violations.length - 40} more violations`);
  console.log(
    `FLEET ok=${check.correct} total=${N} wall_s=${fmt(wallS, 1)} peak_rss_mb=${peakRssMb} describe_peak_per_s=${describePeak.count}`,
  );
  if (check.correct < N) process.exitCode = 1;
};

main().catch((err) => {
  console.error(err);
  console.log(`FLEET ok=0 total=${N} wall_s=nan peak_rss_mb=nan describe_peak_per_s=nan`);
  process.exitCode = 1;
});
