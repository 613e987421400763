/**
 * The chaos soak: 200 concurrent runs on one local stack (150 instances, 50 clusters of 1–3 members), with 5 % of
 * every fault kind of the fault suite applied at random (seeded: SOAK_SEED, default 20261201; SOAK_RUNS to
 * change the size). Every run must end in a terminal state that matches RDS, with no invariant broken.
 * The plan and the checks are in soak.ts (shared with the fleet benchmark); this file asserts.
 */
import { freshStack } from '../e2e/stack-helpers';
import { resetSummary, writeSummary } from './report';
import { runSoak, SOAK_DEFAULTS } from './soak';

const SEED = Number(process.env.SOAK_SEED ?? SOAK_DEFAULTS.seed);
const RUNS = Number(process.env.SOAK_RUNS ?? SOAK_DEFAULTS.runs);
const RATE = SOAK_DEFAULTS.rate;

describe('chaos soak', () => {
  beforeAll(() => resetSummary('soak'));

  it(`${RUNS} concurrent runs with ${RATE * 100} % of every fault kind`, async () => {
    const { plan, result, check } = await runSoak({
      runs: RUNS,
      seed: SEED,
      rate: RATE,
      timeScale: SOAK_DEFAULTS.timeScale,
      start: (o) => freshStack(o.timeScale, o),
    });
    writeSummary({
      soak: {
        runs: check.runs,
        correct: check.correct,
        violations: check.violations,
        wallMs: result.wallMs,
        peakRssMb: result.peakRssMb,
        seed: SEED,
        byStep: check.byStep,
        faults: plan.applied,
      },
    });
    expect(result.records).toHaveLength(RUNS);
    expect(check.violations).toEqual([]);
    expect(check.correct).toBe(RUNS);
  });
});
