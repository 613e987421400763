/**
 * bench/cost.ts — Lambda compute and API calls per restore (docs/design.md §7).
 *
 *   npx tsx bench/cost.ts [--runs 5] [--time-scale 600]
 *
 * N sequential `create_snapshot` restores of demo-db on the local stack, twice: with RDS events delivered, and
 * with every RDS event dropped (check-backs only). Per restore: Lambda invocations, GB-s, RDS calls by action
 * (simulator call-count deltas), and the DynamoDB / EventBridge / SQS / SSM / SES calls the Lambdas made (seen
 * on the wire). Then an ESTIMATE for the original Python Trapheus, derived from its design (not measured).
 */
import { DEFAULT_DURATIONS } from '@trapheus/local';
import {
  countBy,
  fmt,
  machineLine,
  numberArgs,
  runsOf,
  startBenchStack,
  startRun,
  stats,
  table,
  WireTap,
  waitForRun,
} from './common';

const opts = numberArgs({ runs: 5, timeScale: 600 });

console.log(`Trapheus cost per restore — ${opts.runs} sequential create_snapshot restores of demo-db per mode
  how:     the local stack in-process (real handlers, RDS simulator at ${opts.timeScale}×, dynalite, local
           EventBridge/SQS); after each run the bus is drained (whenIdle) so late invocations count for it.
  GB-s:    Σ memorySize/1024 × handler duration rounded up to 1 ms, as Lambda bills; init time not included.
  caveats: durations are measured in-process on this machine against local HTTP servers (~1 ms per call,
           no TLS, no network): on AWS each SDK call takes 10–50 ms, so real GB-s is several times higher.
           Invocation and call COUNTS are what the design produces and carry over to AWS. SQS receives/deletes
           made by the Lambda event-source mappings are not counted (the local runner does them in-process).
           Run 1 of each mode includes the cold starts.`);
console.log(`${machineLine()}\n`);

type Sample = Record<string, number>;

const runMode = async (mode: {
  label: string;
  drop: number;
}): Promise<{ samples: Sample[]; steps: string[] }> => {
  const stack = await startBenchStack({ timeScale: opts.timeScale });
  const tap = WireTap.forStack(stack);
  try {
    if (mode.drop > 0) stack.rds.faults.setEvents({ drop: mode.drop });
    const runs = runsOf(stack);
    const samples: Sample[] = [];
    const steps: string[] = [];
    for (let i = 0; i < opts.runs; i++) {
      await stack.bus.whenIdle(30_000);
      const inv0 = stack.bus.invocations().length;
      const rds0 = stack.rds.callCounts();
      const tap0 = tap.calls.length;
      const started = Date.now();
      const runId = await startRun(stack, {
        identifier: 'demo-db',
        requestId: `bench-cost-${mode.drop}-${i}-${started}`,
      });
      const run = await waitForRun(runs, runId, 120_000);
      const ended = run ? Date.parse(run.updatedAt) : Date.now();
      await stack.bus.whenIdle(60_000);
      steps.push(run?.step ?? 'LOST');

      const inv = stack.bus.invocations().slice(inv0);
      const rds1 = stack.rds.callCounts();
      const wire = tap.calls.slice(tap0).filter((c) => c.fn !== undefined && c.service !== 'rds');
      const s: Sample = {
        'Lambda invocations': inv.length,
        '  cold starts': inv.filter((x) => x.coldStart).length,
        'GB-s (local timing)': inv.reduce((sum, x) => sum + x.gbSeconds, 0),
        'handler ms (sum)': inv.reduce((sum, x) => sum + x.durationMs, 0),
        'simulated run time (s)': ((ended - started) * opts.timeScale) / 1000,
      };
      for (const [fn, n] of Object.entries(countBy(inv, (x) => x.functionName))) s[`  ${fn}`] = n;
      let rdsTotal = 0;
      const rdsByAction: Sample = {};
      for (const [action, n] of Object.entries(rds1)) {
        const d = n - (rds0[action] ?? 0);
        if (d > 0) rdsByAction[`  rds ${action}`] = d;
        rdsTotal += d;
      }
      s['RDS API calls'] = rdsTotal;
      Object.assign(s, rdsByAction);
      s['  rds answered 4xx (NotFound, …)'] = tap.calls
        .slice(tap0)
        .filter((c) => c.service === 'rds' && c.fn !== undefined && (c.status ?? 0) >= 400).length;
      for (const [service, n] of Object.entries(countBy(wire, (c) => c.service))) s[`${service} calls`] = n;
      for (const [key, n] of Object.entries(countBy(wire, (c) => `  ${c.service} ${c.action}`))) s[key] = n;
      samples.push(s);
    }
    return { samples, steps };
  } finally {
    tap.stop();
    await stack.stop();
  }
};

/** Orders keys: invocations block, GB-s, RDS block, then each other service's block. */
const orderKeys = (samples: Sample[]): string[] => {
  const keys = [...new Set(samples.flatMap((s) => Object.keys(s)))];
  const block = (head: string, prefix: string) => [
    ...(keys.includes(head) ? [head] : []),
    ...keys.filter((k) => k.startsWith(prefix)).sort(),
  ];
  const lambdaFns = keys.filter((k) => k.startsWith('  ') && !k.startsWith('  cold') && !/^ {2}\w+ /.test(k));
  const services = [...new Set(keys.filter((k) => / calls$/.test(k) && k !== 'RDS API calls'))].sort();
  return [
    'simulated run time (s)',
    'Lambda invocations',
    '  cold starts',
    ...lambdaFns.sort(),
    'GB-s (local timing)',
    'handler ms (sum)',
    ...block('RDS API calls', '  rds '),
    ...services.flatMap((h) => block(h, `  ${h.replace(/ calls$/, '')} `)),
  ].filter((k) => keys.includes(k));
};

const main = async () => {
  const modes = [
    { label: 'events on', drop: 0 },
    { label: 'events dropped', drop: 1 },
  ];
  const results: { label: string; drop: number; samples: Sample[]; steps: string[]; wallS: number }[] = [];
  for (const mode of modes) {
    const t0 = Date.now();
    const r = await runMode(mode);
    results.push({ ...mode, ...r, wallS: (Date.now() - t0) / 1000 });
  }
  const allSamples = results.flatMap((r) => r.samples);
  const keys = orderKeys(allSamples);
  const header = ['per restore'];
  for (const r of results) header.push(`${r.label} med`, 'min', 'max');
  const rows = keys.map((k) => {
    const digits = k.startsWith('GB-s') ? 3 : 0;
    const row = [k];
    for (const r of results) {
      const st = stats(r.samples.map((s) => s[k] ?? 0));
      row.push(fmt(st.median, digits), fmt(st.min, digits), fmt(st.max, digits));
    }
    return row;
  });
  console.log(table(header, rows));
  for (const r of results) {
    const outcome = Object.entries(countBy(r.steps, (s) => s))
      .map(([k, n]) => `${n}× ${k}`)
      .join(', ');
    console.log(`${r.label}: runs ended ${outcome}; wall ${r.wallS.toFixed(1)} s for the mode`);
  }
  console.log(
    '(DynamoDB/EventBridge/SQS/SSM/SES counts: calls made by the Lambdas only; the request PutEvents and the\n' +
      ' benchmark polling the run are excluded. DeleteDBSnapshot appears when the previous run left its snapshot.)',
  );
  printPythonEstimate();
  const bad = results.flatMap((r) => r.steps).filter((s) => s !== 'SUCCEEDED');
  if (bad.length > 0) {
    console.log(`\n${bad.length} run(s) did not succeed: the figures above include them`);
    process.exitCode = 1;
  }
};

/**
 * The original Trapheus (github.com/intuit/Trapheus, Python, template.yaml): a Step Functions state machine; the
 * instance path is DbSnapshotCreate → GetDbSnapshotStatus → DbInstanceRename → GetDbInstanceStatusPostRename →
 * RestoreDbInstanceFromSnapshot → GetDbInstanceStatusPostRestore → DeleteOriginalDbInstance →
 * GetDbInstanceStatusPostDelete, every function MemorySize 128, Timeout 900. Each Get…Status Lambda runs a boto3
 * waiter (src/checkstatus/get_dbstatus_function.py) with Delay = DELAY_INTERVAL = 40 s and MaxAttempts =
 * floor((remaining − 40) / 40) = 21: the Lambda sleeps between DescribeDB* calls and is billed for it.
 */
function printPythonEstimate() {
  const D = 40; // s between waiter polls (constants.DELAY_INTERVAL)
  const memGb = 128 / 1024;
  const attemptsPerInvocation = Math.floor((900 - D) / D);
  const actionS = 0.5; // assumed billed duration of an action Lambda (boto3 client + 1–2 calls), s
  const pollS = 0.15; // assumed duration of one DescribeDB* call inside a waiter, s
  const pollLambdaS = 0.3; // assumed billed duration of a one-poll Lambda (variant B), s
  const d = DEFAULT_DURATIONS;
  const renameGap = d.renameGap;
  const waits = [
    { name: 'snapshot available', T: d.createSnapshot },
    { name: 'renamed instance available', T: d.renameGap + d.renameRenaming + d.renameRebooting },
    { name: 'restored instance available', T: d.restoreInstance },
    { name: 'temp instance deleted', T: d.deleteInstance },
  ];
  // During the rename gap the new name is not found: InstanceUnavailableException, Step Functions retries after
  // 5, 10, 20 … s (IntervalSeconds 5, BackoffRate 2), one Lambda and one Describe each.
  let gapRetries = 0;
  for (let t = 0, i = 0; t < renameGap; i++) {
    t += 5 * 2 ** i;
    gapRetries++;
  }
  let polls = 0;
  let waitInvocations = 0;
  let waitBilledS = 0;
  const rows: string[][] = [];
  for (const w of waits) {
    const k = Math.ceil(w.T / D); // the first poll at or after T sees the state: polls at 0, D, …, kD
    const p = k + 1;
    const inv = Math.ceil(p / attemptsPerInvocation);
    polls += p;
    waitInvocations += inv;
    waitBilledS += k * D + p * pollS;
    rows.push([w.name, String(w.T), String(p), String(inv), fmt(k * D + p * pollS, 1)]);
  }
  const actions = 4;
  const actionCalls = 5; // CreateDBSnapshot, ModifyDBInstance, DescribeDBInstances + RestoreDBInstanceFromDBSnapshot, DeleteDBInstance
  const invA = actions + waitInvocations + gapRetries;
  const gbA = memGb * (actions * actionS + waitBilledS + gapRetries * actionS);
  const rdsA = actionCalls + polls + gapRetries;
  const invB = actions + polls + gapRetries;
  const gbB = memGb * (actions * actionS + (polls + gapRetries) * pollLambdaS);
  const transitions = 15 + gapRetries;
  console.log(`
ESTIMATE, NOT A MEASUREMENT — the original Python Trapheus (intuit/Trapheus) for the same restore
  source:  template.yaml (Step Functions; all Lambdas 128 MB, timeout 900 s) and src/checkstatus/
           get_dbstatus_function.py: each status step is ONE Lambda running a boto3 waiter that calls DescribeDB*
           every D = ${D} s (constants.DELAY_INTERVAL), up to ${attemptsPerInvocation} attempts, sleeping in between (billed).
  RDS durations: the simulator's defaults (the same the local runs above use): snapshot ${d.createSnapshot} s, rename
           ${d.renameGap}+${d.renameRenaming}+${d.renameRebooting} s, restore ${d.restoreInstance} s, delete ${d.deleteInstance} s.
  formula: per wait of T s: polls p = ceil(T/D) + 1; billed ≈ ceil(T/D)·D + p·${pollS} s; invocations ceil(p/${attemptsPerInvocation}).
           GB-s = 0.125 × (4 actions × ${actionS} s + Σ billed waits + rename-gap retries × ${actionS} s)
           RDS calls = ${actionCalls} action calls + Σ p + ${gapRetries} NotFound polls during the ${renameGap}-s rename gap
  assumptions: happy path, no throttling; an action Lambda bills ${actionS} s, one Describe takes ${pollS} s; init not billed;
           the rename gap makes the first post-rename polls fail NotFound (Step Functions retries 5 s, 10 s, …).`);
  console.log(table(['wait', 'T (s)', 'polls', 'Lambdas', 'billed s'], rows));
  console.log(
    table(
      [
        'original Trapheus, per restore (estimate)',
        'Lambda invocations',
        'GB-s',
        'RDS calls',
        'SFN transitions',
      ],
      [
        [
          'A: as written (waiter sleeps in the Lambda)',
          String(invA),
          fmt(gbA, 1),
          String(rdsA),
          String(transitions),
        ],
        [
          `B: one ${pollLambdaS}-s Lambda per poll, Wait state between`,
          String(invB),
          fmt(gbB, 2),
          String(rdsA),
          `~${transitions + 3 * polls}`,
        ],
      ],
    ),
  );
  console.log(
    '  (B is the lower bound if the waits were Step Functions Wait states with one Lambda per poll: GB-s drops but\n' +
      '   invocations, RDS calls and state transitions grow with the wait time. Step Functions Standard bills\n' +
      '   $0.025 per 1,000 transitions, retries included. The Python tool also has no post-restore modify and no\n' +
      '   configuration check, so it makes fewer action calls than Trapheus does.)',
  );
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
