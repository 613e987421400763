/**
 * bench/wait-gap.ts — the wait gap, Lambda cost and RDS calls of a restore on AWS timings, modelled (docs/design.md §7).
 *
 *   npx tsx bench/wait-gap.ts [--runs 200] [--seed 7] [--budget 10] [--dense 8] [--hop 2] [--sqs-hop 1]
 *
 * A discrete-event model, not a measurement: RDS durations drawn from realistic ranges, an EventBridge → SQS →
 * Lambda hop of a stated constant, and the project's own check-back rules (packages/shared/src/wait-schedule.ts,
 * imported, not copied) paced by its own slot rule (check-back-pacer.ts, in memory). The fleet starts at once (a
 * scheduled refresh of every database at 02:00: the worst case for the Describe budget). The original Python
 * Trapheus is modelled on the same drawn timeline, as bench/cost.ts does on the simulator's.
 * Ends with one machine-readable line, `WAITGAP …`.
 */
import { createPrng } from '../packages/local/src/rds/random';
import { buildCheckBackPacer, memorySlots } from '../packages/shared/src/check-back-pacer';
import { workerConfigSchema } from '../packages/shared/src/config';
import type { Step } from '../packages/shared/src/run';
import {
  describesPerLook,
  type EventlessChange,
  eventlessChangeOf,
  nextLookSeconds,
} from '../packages/shared/src/wait-schedule';
import { fmt, numberArgs, table } from './common';

/** The deploy's default Describe budget (describeBudgetPerSecond), read from the workers' config schema. */
const DEFAULT_BUDGET = workerConfigSchema.shape.DESCRIBE_BUDGET_PER_SECOND.parse(undefined);

const opts = numberArgs({
  runs: 200,
  seed: 7,
  budget: DEFAULT_BUDGET,
  dense: 8,
  hop: 2,
  sqsHop: 1,
  base: 20,
  overrun: 0.02,
});

/** Minutes → seconds ranges of the RDS operations (AWS publishes none: working figures, stated in the header). */
const RANGES = {
  snapshot: [3, 30],
  restore: [5, 60],
  memberCreate: [5, 20],
  modify: [1, 15],
  rename: [1, 10],
  clusterRename: [1, 5],
  delete: [2, 10],
} as const satisfies Record<string, readonly [number, number]>;

/** Billed Lambda seconds per invocation on AWS (stated): a look = DynamoDB get + lease + 1–3 Describe + SQS + write. */
const BILLED = { look: 0.08, action: 0.15 };
const MEMORY_GB = 256 / 1024; // every Trapheus worker (serverless.yml memorySize)
/** The original's constants (template.yaml, src/checkstatus): 128 MB, waiter every 40 s, actions ~0.5 s. */
const ORIGINAL = { memoryGb: 128 / 1024, delay: 40, pollS: 0.15, actionS: 0.5, actions: 4, actionCalls: 5 };

const random = createPrng(opts.seed);
const draw = (range: readonly [number, number]) =>
  Math.round((range[0] + random() * (range[1] - range[0])) * 60);
/**
 * An event-less change's duration: in its range, except a share `--overrun` (2 %) that runs up to its range's
 * length again past the end (a rename or a modify slower than the working figures: the schedule's tail).
 */
const drawEventless = (range: readonly [number, number]) => {
  const base = draw(range);
  if (random() >= opts.overrun) return base;
  return range[1] * 60 + Math.round(random() * (range[1] - range[0]) * 60);
};

/** The element, or a model error (an index the model computed itself is always there). */
const must = <T>(x: T | undefined): T => {
  if (x === undefined) throw new Error('wait-gap model: missing element');
  return x;
};

interface Wait {
  step: Step;
  resourceType: 'db-instance' | 'db-cluster' | 'db-snapshot' | 'db-cluster-snapshot';
  target: string;
  /** seconds RDS takes */
  seconds: number;
  /** the original tool waits on this too (its timeline: snapshot, rename, restore, delete) */
  original?: boolean;
}

/** The waits of one run, in order, with drawn durations (the pipeline's steps for the default strategy, swap). */
const waitsOf = (kind: 'instance' | 'cluster'): Wait[] => {
  if (kind === 'instance') {
    const rename = () => ({
      step: 'SWAPPING' as const,
      resourceType: 'db-instance' as const,
      target: 'available',
    });
    return [
      {
        step: 'SNAPSHOTTING',
        resourceType: 'db-snapshot',
        target: 'available',
        seconds: draw(RANGES.snapshot),
        original: true,
      },
      {
        step: 'RESTORING',
        resourceType: 'db-instance',
        target: 'available',
        seconds: draw(RANGES.restore),
        original: true,
      },
      {
        step: 'CONFIGURING',
        resourceType: 'db-instance',
        target: 'configured',
        seconds: drawEventless(RANGES.modify),
      },
      // the original renamed away (the Python tool renames it too), then the copy renamed in
      { ...rename(), seconds: drawEventless(RANGES.rename), original: true },
      { ...rename(), seconds: drawEventless(RANGES.rename) },
      {
        step: 'CLEANING_UP',
        resourceType: 'db-instance',
        target: 'deleted',
        seconds: draw(RANGES.delete),
        original: true,
      },
    ];
  }
  const members = 1 + Math.floor(random() * 3);
  const waits: Wait[] = [
    {
      step: 'SNAPSHOTTING',
      resourceType: 'db-cluster-snapshot',
      target: 'available',
      seconds: draw(RANGES.snapshot),
      original: true,
    },
    {
      step: 'RESTORING',
      resourceType: 'db-cluster',
      target: 'available',
      seconds: draw(RANGES.restore),
      original: true,
    },
  ];
  // members are created together: the run waits for each in turn, for what is left of its creation
  const creates = Array.from({ length: members }, () => draw(RANGES.memberCreate)).sort((a, b) => a - b);
  for (const [i, s] of creates.entries()) {
    waits.push({
      step: 'RESTORING',
      resourceType: 'db-instance',
      target: 'available',
      seconds: s - (creates[i - 1] ?? 0),
    });
  }
  waits.push({
    step: 'CONFIGURING',
    resourceType: 'db-cluster',
    target: 'configured',
    seconds: drawEventless(RANGES.modify),
  });
  for (const direction of ['away', 'in']) {
    waits.push({
      step: 'SWAPPING',
      resourceType: 'db-cluster',
      target: 'available',
      seconds: draw(RANGES.clusterRename),
      ...(direction === 'away' ? { original: true } : {}),
    });
    for (let m = 0; m < members; m++)
      waits.push({
        step: 'SWAPPING',
        resourceType: 'db-instance',
        target: 'available',
        seconds: drawEventless(RANGES.rename),
      });
  }
  for (let m = 0; m < members; m++)
    waits.push({
      step: 'CLEANING_UP',
      resourceType: 'db-instance',
      target: 'deleted',
      seconds: draw(RANGES.delete),
    });
  waits.push({
    step: 'CLEANING_UP',
    resourceType: 'db-cluster',
    target: 'deleted',
    seconds: draw(RANGES.delete),
    original: true,
  });
  return waits;
};

// ---------------------------------------------------------------------------------------------------------------
// The model: a time-ordered queue of looks (check-backs and event deliveries) over the whole fleet.

interface Look {
  at: number;
  run: number;
  /** check-back: the waiter's own; event: an RDS event delivered through EventBridge → SQS */
  kind: 'check-back' | 'event';
  wait: number;
  attempt: number;
  /** an event's look already given its second by the pacer */
  paced?: boolean;
}

class Queue {
  private items: Look[] = [];
  push(l: Look) {
    // binary insertion keeps the queue ordered by time (thousands of items: fine for a model)
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (must(this.items[mid]).at <= l.at) lo = mid + 1;
      else hi = mid;
    }
    this.items.splice(lo, 0, l);
  }
  shift() {
    return this.items.shift();
  }
  get size() {
    return this.items.length;
  }
}

interface RunState {
  kind: 'instance' | 'cluster';
  waits: Wait[];
  current: number;
  /** when the current wait started, and when RDS reaches its state */
  since: number;
  doneAt: number;
  attempt: number;
  ended?: number;
  invocations: { look: number; action: number };
  describes: number;
}

interface GapSample {
  change: EventlessChange | undefined;
  gap: number;
  looks: number;
}

const model = async (runs: number, budget: number) => {
  const slots = memorySlots(budget > 0 ? budget : Number.POSITIVE_INFINITY);
  // The project's own pacer on the model's clock (seconds since the fleet started).
  let clock = 0;
  const pacer = buildCheckBackPacer({ take: slots.take, now: () => new Date(clock * 1000), random });
  const queue = new Queue();
  const describesAt = new Map<number, number>();
  const gaps: GapSample[] = [];
  const states: RunState[] = [];
  let looksThisWait = new Map<number, number>();
  /** A look's Describe calls (describesPerLook: 3 for a swap's look at an instance, else 1). */
  const describe = (run: RunState, at: number, calls: number) => {
    run.describes += calls;
    const s = Math.floor(at - opts.sqsHop);
    describesAt.set(s, (describesAt.get(s) ?? 0) + calls);
  };
  const schedule = { baseSeconds: opts.base, maxSeconds: 900, denseSeconds: opts.dense };

  /** Arms the next check-back of run r's wait as the waiter does: the schedule's delay, then the pacer's second. */
  const armCheckBack = async (r: number, now: number) => {
    const run = must(states[r]);
    const w = must(run.waits[run.current]);
    const delay = nextLookSeconds({
      change: eventlessChangeOf(w.step, w),
      elapsedSeconds: now - run.since,
      attempt: run.attempt,
      timing: schedule,
    });
    clock = now;
    const second =
      budget > 0 ? now + (await pacer.pace(delay, 900, describesPerLook(w.step, w))) : now + delay;
    queue.push({
      at: second + opts.sqsHop,
      run: r,
      kind: 'check-back',
      wait: run.current,
      attempt: run.attempt,
    });
  };

  /** Starts wait i of run r at `now`: the action that starts it, its first check-back, its RDS event if any. */
  const startWait = async (r: number, now: number) => {
    const run = must(states[r]);
    const w = must(run.waits[run.current]);
    run.invocations.action++;
    run.since = now;
    run.doneAt = now + w.seconds;
    run.attempt = 0;
    looksThisWait.set(r, 0);
    await armCheckBack(r, now);
    if (!eventlessChangeOf(w.step, w))
      queue.push({ at: run.doneAt + opts.hop, run: r, kind: 'event', wait: run.current, attempt: -1 });
  };

  for (let r = 0; r < runs; r++) {
    const kind = r < runs - Math.round(runs / 4) ? 'instance' : 'cluster';
    states.push({
      kind,
      waits: waitsOf(kind),
      current: 0,
      since: 0,
      doneAt: 0,
      attempt: 0,
      invocations: { look: 0, action: 1 },
      describes: 0,
    });
    await startWait(r, 0);
  }

  while (queue.size > 0) {
    const look = must(queue.shift());
    const run = must(states[look.run]);
    if (run.ended !== undefined || look.wait !== run.current) continue; // a stale look: dropped unread
    if (look.kind === 'check-back' && look.attempt !== run.attempt) continue; // not the live check-back
    if (look.kind === 'event' && budget > 0 && !look.paced) {
      // The event's look takes a slot of its second too; a full second sends it on as a paced nudge.
      // slots count the second a message becomes visible in the queue, as check-backs reserve them
      clock = look.at - opts.sqsHop;
      const cost = describesPerLook(must(run.waits[run.current]).step, must(run.waits[run.current]));
      if (!(await pacer.takeNow(cost))) {
        queue.push({ ...look, at: clock + (await pacer.pace(1, 900, cost)) + opts.sqsHop, paced: true });
        continue;
      }
    }
    run.invocations.look++;
    const current = must(run.waits[run.current]);
    describe(run, look.at, describesPerLook(current.step, current));
    looksThisWait.set(look.run, (looksThisWait.get(look.run) ?? 0) + 1);
    const w = must(run.waits[run.current]);
    if (look.at >= run.doneAt) {
      gaps.push({
        change: eventlessChangeOf(w.step, w),
        gap: look.at - run.doneAt,
        looks: looksThisWait.get(look.run) ?? 0,
      });
      run.current++;
      if (run.current >= run.waits.length) {
        run.ended = look.at;
        run.invocations.action++; // finalize
        continue;
      }
      await startWait(look.run, look.at);
    } else if (look.kind === 'check-back') {
      run.attempt++;
      await armCheckBack(look.run, look.at);
    }
  }
  looksThisWait = new Map();
  return { states, gaps, describesAt };
};

/** The original Trapheus on the same drawn timeline: its four waits, a boto3 waiter polling every 40 s. */
const originalOf = (run: RunState) => {
  let polls = 0;
  let billed = ORIGINAL.actions * ORIGINAL.actionS;
  for (const w of run.waits.filter((x) => x.original)) {
    const k = Math.ceil(w.seconds / ORIGINAL.delay);
    polls += k + 1;
    billed += k * ORIGINAL.delay + (k + 1) * ORIGINAL.pollS;
  }
  return { gbs: billed * ORIGINAL.memoryGb, rdsCalls: polls + ORIGINAL.actionCalls };
};

const percentile = (xs: number[], p: number) => {
  if (xs.length === 0) return Number.NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return must(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]);
};

const main = async () => {
  console.log(`Trapheus wait gap — RDS reaching a state → the run's next step, modelled on AWS timings
  how:     a discrete-event model of ${opts.runs} restores started at once (${opts.runs - Math.round(opts.runs / 4)} instances, ${Math.round(opts.runs / 4)} Aurora clusters of 1–3 members),
           default strategy (restore beside, configure, swap, delete the old). Waits and their order follow the
           pipeline; each wait's look times come from the project's own rules (wait-schedule.ts nextLookSeconds,
           check-back-pacer.ts buildCheckBackPacer with a budget of ${opts.budget} Describe calls/s across the fleet; a look costs 1–3: wait-schedule.ts describesPerLook).
  RDS:     durations drawn uniformly (minutes): ${Object.entries(RANGES)
    .map(([k, [a, b]]) => `${k} ${a}–${b}`)
    .join(', ')}.
           AWS publishes none of these; they are working figures (seed ${opts.seed}). ${opts.overrun * 100} % of the
           renames and modifies overrun their range by up to its length again (the schedule's tail).
  hops:    an RDS event reaches the step ${opts.hop} s after RDS (EventBridge → SQS → Lambda, a stated constant);
           a check-back reaches it ${opts.sqsHop} s after its delay ends (SQS → Lambda). Event-less: an instance rename and
           a modify (instance or cluster) — RDS emits no event when either ends; their gap is the time to the next look.
  cost:    ours = Σ invocations × billed s (a look ${BILLED.look} s, an action ${BILLED.action} s) × ${MEMORY_GB} GB; the original
           = 128 MB Lambdas whose boto3 waiter polls every 40 s and is billed while it sleeps, on the same drawn
           durations of the waits it has (snapshot, rename, restore, delete; it has no configure step).`);

  const fleet = await model(opts.runs, opts.budget);

  const eventless = fleet.gaps.filter((g) => g.change);
  const evented = fleet.gaps.filter((g) => !g.change);
  const ours = fleet.states.map(
    (s) => (s.invocations.look * BILLED.look + s.invocations.action * BILLED.action) * MEMORY_GB,
  );
  const original = fleet.states.map(originalOf);
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const gbsRatio = sum(ours) / sum(original.map((o) => o.gbs));
  const ourCalls = sum(fleet.states.map((s) => s.describes + s.invocations.action));
  const apiRatio = ourCalls / sum(original.map((o) => o.rdsCalls));
  const peak = Math.max(...fleet.describesAt.values());
  const busiest = must([...fleet.describesAt.entries()].sort((a, b) => b[1] - a[1])[0]);

  const rows = [
    ['event-less (rename, modify)', eventless],
    ['  rename', eventless.filter((g) => g.change === 'rename')],
    ['  modify', eventless.filter((g) => g.change === 'modify')],
    ['ended by an RDS event', evented],
  ].map(([label, xs]) => {
    const g = (xs as GapSample[]).map((x) => x.gap);
    const l = (xs as GapSample[]).map((x) => x.looks);
    return [
      label as string,
      String(g.length),
      fmt(percentile(g, 50), 1),
      fmt(percentile(g, 99), 1),
      fmt(Math.max(...g), 1),
      fmt(sum(l) / Math.max(1, l.length), 1),
    ];
  });
  console.log(`\nwait gaps of the fleet (s)`);
  console.log(table(['waits', 'n', 'p50', 'p99', 'max', 'looks per wait'], rows));
  const wall = fleet.states.map((s) => (s.ended ?? 0) / 60);
  console.log(
    `\nper restore: Lambda ${fmt(sum(ours) / opts.runs, 2)} GB-s (original ${fmt(sum(original.map((o) => o.gbs)) / opts.runs, 1)}), ` +
      `RDS calls ${fmt(ourCalls / opts.runs, 0)} (original ${fmt(sum(original.map((o) => o.rdsCalls)) / opts.runs, 0)}), ` +
      `run time median ${fmt(percentile(wall, 50), 0)} min (max ${fmt(Math.max(...wall), 0)})`,
  );
  console.log(
    `fleet: peak ${peak} Describe calls in one second (at ${fmt(busiest[0] / 60, 1)} min), budget ${opts.budget}/s; ` +
      `${sum([...fleet.describesAt.values()])} Describe calls in all`,
  );
  console.log(
    `WAITGAP gbs_ratio=${gbsRatio.toFixed(4)} api_calls_ratio=${apiRatio.toFixed(2)} wait_gap_p50_s=${fmt(
      percentile(
        eventless.map((g) => g.gap),
        50,
      ),
      1,
    )} wait_gap_p99_s=${fmt(
      percentile(
        eventless.map((g) => g.gap),
        99,
      ),
      1,
    )} describe_peak_per_s=${peak} describe_budget_per_s=${opts.budget}`,
  );
};

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
