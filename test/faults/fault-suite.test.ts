/**
 * The fault suite: every step of an instance run and of a cluster run × every fault (scenarios.ts), plus the
 * stack-wide faults, each checked against the safety invariants (invariants.ts). Scenarios run several at a time
 * on one stack, each on its own database with faults that match only that database's calls or its run.
 *
 * FAULTS_FILTER=<regex> runs the matching scenarios only.
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { freshStack } from '../e2e/stack-helpers';
import { type BatchResult, runBatch } from './harness';
import { checkRun, type Violation } from './invariants';
import { KNOWN } from './known-defects';
import { REPORT_DIR, resetSummary, type Summary, writeSummary } from './report';
import { allScenarios, type Scenario } from './scenarios';

const BATCH = Number(process.env.FAULTS_BATCH ?? 14);

const batches = (list: Scenario[]): Scenario[][] => {
  const out: Scenario[][] = [];
  const groups = new Map<string, Scenario[]>();
  const free: Scenario[] = [];
  for (const s of list) {
    if (s.group) groups.set(s.group, [...(groups.get(s.group) ?? []), s]);
    else free.push(s);
  }
  for (const g of groups.values()) out.push(g);
  for (let i = 0; i < free.length; i += BATCH) out.push(free.slice(i, i + BATCH));
  return out;
};

const filter = process.env.FAULTS_FILTER ? new RegExp(process.env.FAULTS_FILTER) : undefined;
const scenarios = allScenarios().filter((s) => !filter || filter.test(s.name));
const plan = batches(scenarios);

const results: { name: string; violations: Violation[]; step?: string }[] = [];
let wallMs = 0;
let peakRssMb = 0;
const t0 = Date.now();

beforeAll(() => resetSummary('faults'));

afterAll(() => {
  const failures = results.filter((r) => r.violations.length > 0 && !KNOWN[r.name]);
  const known = results.filter((r) => r.violations.length > 0 && KNOWN[r.name]);
  const fixed = results.filter((r) => r.violations.length === 0 && KNOWN[r.name]).map((r) => r.name);
  wallMs = Date.now() - t0;
  const summary: Summary['faults'] = {
    scenarios: results.length,
    passed: results.filter((r) => r.violations.length === 0).length,
    violations: failures.reduce((n, r) => n + r.violations.length, 0),
    knownFailures: known.map((r) => ({
      name: r.name,
      defect: KNOWN[r.name]!,
      violations: r.violations.map((v) => `[${v.invariant}] ${v.message}`),
    })),
    fixedKnownFailures: fixed,
    failures: failures.map((r) => ({
      name: `${r.name} (ended ${r.step ?? '?'})`,
      violations: r.violations.map((v) => `[${v.invariant}] ${v.message}`),
    })),
    wallMs,
    peakRssMb,
  };
  writeSummary({ faults: summary });
});

describe('fault suite', () => {
  it.each(
    plan.map(
      (b, i) =>
        [
          `batch ${i + 1}/${plan.length}: ${b.length} scenario(s), ${b[0]?.group ?? 'per-run faults'}`,
          b,
        ] as const,
    ),
  )('%s', async (_title, batch) => {
    const result: BatchResult = await runBatch(batch, {
      start: (o) => freshStack(o.timeScale, o),
      // 60 s at time scale 600 is 10 simulated hours: more than any step's wait deadline (hours at most), with
      // room for a loaded CI machine (a batch of 14 healthy runs ends in 7–17 s here; it stops as soon as all end).
      deadlineMs: Math.max(60_000, ...batch.map((s) => s.deadlineMs ?? 0)),
      beforeRuns: (stack) => {
        for (const s of batch) s.beforeRuns?.(stack);
      },
    });
    peakRssMb = Math.max(peakRssMb, result.peakRssMb);
    const mine: string[] = [];
    for (const rec of result.records) {
      const sc = rec.scenario as Scenario;
      const violations = checkRun(rec, result, sc.notify);
      results.push({ name: sc.name, violations, ...(rec.run ? { step: rec.run.step } : {}) });
      if (violations.length && !KNOWN[sc.name]) {
        mine.push(
          `${sc.name} (${rec.run?.step ?? 'no run'}):\n${violations.map((v) => `  [${v.invariant}] ${v.message}`).join('\n')}`,
        );
      }
    }
    for (const id of result.unlistedRuns)
      mine.push(`${id}: not in the byCreated index, the polls never saw it (one-active-run unchecked)`);
    appendFileSync(
      join(REPORT_DIR, 'progress.log'),
      `${new Date().toISOString()} ${_title}: ${(result.wallMs / 1000).toFixed(1)} s, ${mine.length} with violations\n${mine.join('\n')}\n`,
    );
    if (process.env.FAULTS_VERBOSE) {
      for (const rec of result.records) {
        process.stdout.write(
          `${(rec.scenario as Scenario).name}: ${rec.run?.history.map((h) => h.step).join('→')} ${rec.run?.reason ?? ''} ${rec.run?.failure?.code ?? ''}\n`,
        );
      }
    }
    expect(mine).toEqual([]);
  });
});
