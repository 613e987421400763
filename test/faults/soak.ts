/**
 * The chaos soak, without jest: N concurrent runs on one local stack (three quarters instances, a quarter clusters
 * of 1–3 members), with `rate` of every fault kind of the fault suite applied at random (seeded), RDS events
 * dropped / duplicated / reordered at `rate` and a fifth of that of every RDS call throttled. `planSoak` decides
 * the runs and their faults, `runSoak` runs them (harness.ts) and checks every run against the invariants
 * (invariants.ts), returning the problems found rather than asserting them. Used by soak.test.ts (which asserts
 * there are none) and by the fleet benchmark (bench/fleet.ts, which prints them).
 */
import type { LocalStack } from '@trapheus/local';
import { createPrng } from '../../packages/local/src/rds/random';
import {
  type BatchOptions,
  type BatchResult,
  clusterDb,
  type DbSpec,
  instanceDb,
  type RunCtx,
  runBatch,
  type ScenarioRun,
  type StackStarter,
  seedDb,
} from './harness';
import { checkRun, type Violation } from './invariants';
import { FAULTS, STEPS } from './scenarios';

export const SOAK_DEFAULTS = { runs: 200, seed: 20261201, rate: 0.05, timeScale: 600 } as const;

/** Per-run faults beyond the step × fault table: SES failures and names taken by bystanders. */
export const EXTRA_FAULTS: { name: string; arm: (c: RunCtx) => void }[] = [
  {
    name: 'ses-500',
    arm: (c) => void c.stack.faults.ses({ error: '500', match: c.db.identifier, count: 2 }),
  },
  {
    // Slack answers 500 to this run's first two posts, whichever webhooks they go to (each delivery is retried).
    name: 'slack-500',
    arm: (c) => void c.stack.slack.failNext(500, 2, undefined, c.runId),
  },
  {
    name: 'temp-name-taken',
    arm: (c) => {
      if (c.db.kind === 'instance') {
        seedDb(c.stack, instanceDb(c.temp));
        c.bystanders.instances.push(c.temp);
      } else {
        seedDb(c.stack, { identifier: c.temp, kind: 'cluster', members: [] });
        c.bystanders.clusters.push(c.temp);
      }
    },
  },
];

export interface SoakPlan {
  scenarios: ScenarioRun[];
  /** how many times each fault was applied (`<fault>@<step>`, an extra fault's name, `rds-events`) */
  applied: Record<string, number>;
  /** the per-run faults of each scenario, in order (`<fault>@<step>` or an extra fault's name) */
  faultsOf: string[][];
  /** the stack-wide faults, set before the runs start */
  beforeRuns: (stack: LocalStack) => void;
  instances: number;
  clusters: number;
}

/** The runs of a soak and their faults, decided by the seed alone. */
export const planSoak = (opts: { runs: number; seed: number; rate?: number }): SoakPlan => {
  const rate = opts.rate ?? SOAK_DEFAULTS.rate;
  const random = createPrng(opts.seed);
  const pick = <T>(list: T[]) => list[Math.floor(random() * list.length)]!;
  const applied: Record<string, number> = {};
  const scenarios: ScenarioRun[] = [];
  const faultsOf: string[][] = [];
  const clusters = Math.round(opts.runs / 4);
  for (let i = 0; i < opts.runs; i++) {
    const n = String(i).padStart(3, '0');
    const db: DbSpec =
      i < opts.runs - clusters ? instanceDb(`si-${n}`) : clusterDb(`sc-${n}`, 1 + Math.floor(random() * 3));
    const arms: ((c: RunCtx) => void)[] = [];
    const names: string[] = [];
    for (const f of FAULTS) {
      if (random() >= rate) continue;
      const steps = STEPS.filter((s) => s.kind === db.kind && (!f.applies || f.applies(s)));
      const step = pick(steps);
      names.push(`${f.name}@${step.step}`);
      arms.push((c) => f.arm(step, c));
    }
    for (const f of EXTRA_FAULTS) {
      if (random() >= rate) continue;
      names.push(f.name);
      arms.push(f.arm);
    }
    for (const name of names) applied[name] = (applied[name] ?? 0) + 1;
    faultsOf.push(names);
    scenarios.push({
      name: `${db.identifier}`,
      db,
      arm: (c) => {
        for (const a of arms) a(c);
      },
    });
  }
  applied['rds-events'] = 1;
  const beforeRuns = (stack: LocalStack) => {
    stack.rds.faults.setEvents({ drop: rate, duplicate: rate, reorder: rate, delayMs: 0 });
    stack.rds.faults.add({ kind: 'throttle', probability: rate / 5 });
  };
  return { scenarios, applied, faultsOf, beforeRuns, instances: opts.runs - clusters, clusters };
};

/** The soak's batch settings: one stack, raised RDS quotas, 10 concurrent invocations per function. */
export const soakBatchOptions = (opts: {
  seed: number;
  timeScale?: number;
  start: StackStarter;
  beforeRuns: (stack: LocalStack) => void;
}): BatchOptions => ({
  start: opts.start,
  timeScale: opts.timeScale ?? SOAK_DEFAULTS.timeScale,
  deadlineMs: 12 * 60_000,
  sampleEveryMs: 250,
  pollMs: 1000,
  beforeRuns: opts.beforeRuns,
  stack: {
    seed: opts.seed,
    rdsQuotas: { maxInstances: 5000, maxClusters: 1000, maxManualSnapshots: 5000 },
    maxConcurrency: 10,
  },
});

export interface SoakCheck {
  runs: number;
  /** runs terminal, matching RDS, with no invariant broken */
  correct: number;
  /** one line per violation: `<run> (<final step>) [<invariant>] <message>` */
  violations: string[];
  /** violations per invariant */
  byInvariant: Record<string, number>;
  /** final steps (`LOST`: no run record) */
  byStep: Record<string, number>;
}

/** Checks every run of a finished batch against the invariants; returns what it found (no assertion). */
export const checkBatch = (result: BatchResult): SoakCheck => {
  const violations: string[] = [];
  const byInvariant: Record<string, number> = {};
  const byStep: Record<string, number> = {};
  let correct = 0;
  for (const rec of result.records) {
    const v: Violation[] = checkRun(rec, result);
    const step = rec.run?.step ?? 'LOST';
    byStep[step] = (byStep[step] ?? 0) + 1;
    if (v.length === 0) correct += 1;
    for (const x of v) {
      byInvariant[x.invariant] = (byInvariant[x.invariant] ?? 0) + 1;
      violations.push(`${rec.scenario.name} (${step}) [${x.invariant}] ${x.message}`);
    }
  }
  // A run the polls could not see weakens the one-active-run check: a problem of the batch, not of one run.
  for (const id of result.unlistedRuns) {
    byInvariant['runs-listed'] = (byInvariant['runs-listed'] ?? 0) + 1;
    violations.push(`${id} [runs-listed] not in the byCreated index: the polls never saw it`);
  }
  return { runs: result.records.length, correct, violations, byInvariant, byStep };
};

export interface SoakOutcome {
  plan: SoakPlan;
  result: BatchResult;
  check: SoakCheck;
}

/** Plans, runs and checks one soak. */
export const runSoak = async (opts: {
  runs: number;
  seed: number;
  rate?: number;
  timeScale?: number;
  start: StackStarter;
  onProgress?: BatchOptions['onProgress'];
  afterRuns?: BatchOptions['afterRuns'];
}): Promise<SoakOutcome> => {
  const plan = planSoak(opts);
  const result = await runBatch(plan.scenarios, {
    ...soakBatchOptions({
      seed: opts.seed,
      start: opts.start,
      beforeRuns: plan.beforeRuns,
      ...(opts.timeScale !== undefined ? { timeScale: opts.timeScale } : {}),
    }),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    ...(opts.afterRuns ? { afterRuns: opts.afterRuns } : {}),
  });
  return { plan, result, check: checkBatch(result) };
};
