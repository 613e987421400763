/**
 * The chaos soak: 200 concurrent runs on one local stack (150 instances, 50 clusters of 1–3 members), with 5 % of
 * every fault kind of the fault suite applied at random (seeded: SOAK_SEED, default 20261201; SOAK_RUNS to
 * change the size). Every run must end in a terminal state that matches RDS, with no invariant broken.
 */
import type { LocalStack } from '@trapheus/local';
import {
  clusterDb,
  type DbSpec,
  instanceDb,
  type RunCtx,
  runBatch,
  type ScenarioRun,
  seedDb,
} from './harness';
import { checkRun } from './invariants';
import { resetSummary, writeSummary } from './report';
import { FAULTS, STEPS } from './scenarios';

const SEED = Number(process.env.SOAK_SEED ?? 20261201);
const RUNS = Number(process.env.SOAK_RUNS ?? 200);
const RATE = 0.05;

/** mulberry32: small, seeded, reproducible. */
const prng = (seed: number) => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

/** Per-run faults beyond the step × fault table: SES failures and names taken by bystanders. */
const EXTRA_FAULTS: { name: string; arm: (c: RunCtx) => void }[] = [
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

describe('chaos soak', () => {
  beforeAll(() => resetSummary('soak'));

  it(`${RUNS} concurrent runs with ${RATE * 100} % of every fault kind`, async () => {
    const random = prng(SEED);
    const pick = <T>(list: T[]) => list[Math.floor(random() * list.length)]!;
    const applied: Record<string, number> = {};
    const runs: ScenarioRun[] = [];
    const clusters = Math.round(RUNS / 4);
    for (let i = 0; i < RUNS; i++) {
      const n = String(i).padStart(3, '0');
      const db: DbSpec =
        i < RUNS - clusters ? instanceDb(`si-${n}`) : clusterDb(`sc-${n}`, 1 + Math.floor(random() * 3));
      const arms: ((c: RunCtx) => void)[] = [];
      for (const f of FAULTS) {
        if (random() >= RATE) continue;
        const steps = STEPS.filter((s) => s.kind === db.kind && (!f.applies || f.applies(s)));
        const step = pick(steps);
        applied[`${f.name}@${step.step}`] = (applied[`${f.name}@${step.step}`] ?? 0) + 1;
        arms.push((c) => f.arm(step, c));
      }
      for (const f of EXTRA_FAULTS) {
        if (random() >= RATE) continue;
        applied[f.name] = (applied[f.name] ?? 0) + 1;
        arms.push(f.arm);
      }
      runs.push({
        name: `${db.identifier}`,
        db,
        arm: (c) => {
          for (const a of arms) a(c);
        },
      });
    }
    applied['rds-events'] = 1;
    const beforeRuns = (stack: LocalStack) => {
      stack.rds.faults.setEvents({ drop: RATE, duplicate: RATE, reorder: RATE, delayMs: 0 });
      stack.rds.faults.add({ kind: 'throttle', probability: RATE / 5 });
    };

    const result = await runBatch(runs, {
      timeScale: 600,
      deadlineMs: 12 * 60_000,
      sampleEveryMs: 250,
      pollMs: 1000,
      beforeRuns,
      stack: {
        seed: SEED,
        rdsQuotas: { maxInstances: 5000, maxClusters: 1000, maxManualSnapshots: 5000 },
        maxConcurrency: 10,
      },
    });

    const violations: string[] = [];
    let correct = 0;
    const byStep: Record<string, number> = {};
    for (const rec of result.records) {
      const v = checkRun(rec, result);
      const step = rec.run?.step ?? 'LOST';
      byStep[step] = (byStep[step] ?? 0) + 1;
      if (v.length === 0) correct += 1;
      for (const x of v) violations.push(`${rec.scenario.name} (${step}) [${x.invariant}] ${x.message}`);
    }
    writeSummary({
      soak: {
        runs: result.records.length,
        correct,
        violations,
        wallMs: result.wallMs,
        peakRssMb: result.peakRssMb,
        seed: SEED,
        byStep,
        faults: applied,
      },
    });
    expect(violations).toEqual([]);
    expect(correct).toBe(RUNS);
  });
});
