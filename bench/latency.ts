/**
 * bench/latency.ts — from an RDS resource reaching its state to the run's next step (docs/design.md §7).
 *
 *   npx tsx bench/latency.ts [--runs 3] [--time-scale 120] [--sample-ms 2]
 *
 * Sequential `create_snapshot` restores of demo-db on the local stack, with RDS events delivered and with every
 * RDS event dropped (check-backs only). For each wait that ends on an RDS state, latency = the run's history
 * time of the next step − the time the simulator reached the state, converted to simulated seconds.
 */
import type { LocalStack, RdsEventBridgeEvent } from '@trapheus/local';
import type { Run } from '@trapheus/shared';
import {
  fmt,
  machineLine,
  numberArgs,
  runsOf,
  startBenchStack,
  startRun,
  stats,
  stepAt,
  table,
  waitForRun,
} from './common';

const opts = numberArgs({ runs: 3, timeScale: 120, sampleMs: 2 });
const ts = opts.timeScale;
const sim = (wallMs: number) => (wallMs * ts) / 1000;

const schedule: string[] = [];
for (let n = 0, t = 0; n < 9; n++) {
  t += Math.min(Math.round(20 * 1.5 ** n), 900);
  schedule.push(String(t));
}

console.log(`Trapheus wait latency — RDS state reached → next run step, ${opts.runs} create_snapshot restores per mode
  how:     local stack in-process, RDS simulator and SQS delays at ${ts}× (latencies below are in SIMULATED
           seconds = wall ms × ${ts} / 1000). "Reached" is the simulator's own time: the emitted event's
           detail.Date (ms precision) where RDS emits one; for transitions with no event (the rename, and the
           post-restore modify, which the simulator ends without an event) a sampler reading snapshotState()
           every ${opts.sampleMs} ms. "Next step" is the run's history timestamp (written by the handler).
  modes:   events on (no faults; the rename and the modify emit no event anyway: looked at after 20 s, at 60 s,
           then every 8 s — wait-schedule.ts), and every RDS event dropped (the other waits' check-backs only:
           base 20 s × 1.5ⁿ, ≤ 900 s; cumulative ${schedule.join(', ')} s after a wait starts).
  noise:   sampler resolution ${opts.sampleMs} ms = ${fmt(sim(opts.sampleMs), 2)} s simulated; timers drift ~1 ms = ${fmt(sim(1), 2)} s; each handler
           runs ~5–30 ms wall in-process, i.e. ${fmt(sim(5), 1)}–${fmt(sim(30), 1)} s simulated — so the event-driven figures are
           mostly this machine's processing time × ${ts}; on AWS an EventBridge → SQS → Lambda hop is ~0.5–2 s.
           The "sampler − event" line measures the sampler's own error where both exist.`);
console.log(`${machineLine()}\n`);

interface Transition {
  kind: 'instance' | 'snapshot';
  id: string;
  resourceId: string;
  status: string;
  at: number;
}

/** Polls the simulator's state and records every status change (including disappearance: `gone`). */
const startSampler = (stack: LocalStack, everyMs: number) => {
  const transitions: Transition[] = [];
  const last = new Map<string, Transition>();
  const sample = () => {
    const now = Date.now();
    const state = stack.rds.snapshotState();
    const seen = new Set<string>();
    const note = (kind: Transition['kind'], id: string, resourceId: string, status: string) => {
      const key = `${kind}|${id}|${resourceId}`;
      seen.add(key);
      if (last.get(key)?.status === status) return;
      const t = { kind, id, resourceId, status, at: now };
      last.set(key, t);
      transitions.push(t);
    };
    for (const i of state.instances) {
      const id = String(i.DBInstanceIdentifier);
      const status = state.hiddenInstances.includes(id) ? 'hidden' : String(i.DBInstanceStatus);
      note('instance', id, String(i.DbiResourceId), status);
    }
    for (const s of state.snapshots) {
      note('snapshot', String(s.DBSnapshotIdentifier), String(s.SnapshotCreateTime), String(s.Status));
    }
    for (const [key, t] of last) {
      if (!seen.has(key) && t.status !== 'gone') {
        const gone = { ...t, status: 'gone', at: now };
        last.set(key, gone);
        transitions.push(gone);
      }
    }
  };
  const timer = setInterval(sample, everyMs);
  return { transitions, stop: () => clearInterval(timer) };
};

const STEPS = [
  'snapshot available',
  'temp available after rename',
  'restored copy available',
  'modify done',
  'temp deleted',
] as const;
type StepName = (typeof STEPS)[number];

interface Measure {
  step: StepName;
  /** simulated seconds */
  latency?: number;
  source: 'event' | 'sampler';
  /** sampler − event, simulated seconds (event-based steps) */
  samplerError?: number;
}

const measureRun = (run: Run, events: RdsEventBridgeEvent[], transitions: Transition[]): Measure[] => {
  const from = Date.parse(run.createdAt);
  const to = Date.parse(run.updatedAt) + 5_000;
  const inWindow = <T extends { at: number }>(xs: T[]) => xs.filter((x) => x.at >= from && x.at <= to);
  const evs = inWindow(events.map((e) => ({ e, at: Date.parse(e.detail.Date) })));
  const trs = inWindow(transitions);
  const eventAt = (id: string, eventId: string) =>
    evs.filter((x) => x.e.detail.SourceIdentifier === id && x.e.detail.EventID === eventId).at(-1)?.at;
  const temp = run.tempIdentifier ?? '';
  const restoredId = String(run.progress.restoredResourceId ?? '');
  const firstTr = (pred: (t: Transition) => boolean, after = 0) =>
    trs.find((t) => t.at >= after && pred(t))?.at;

  const out: Measure[] = [];
  const push = (step: StepName, reached: number | undefined, next: number | undefined, sampled?: number) => {
    const m: Measure = { step, source: sampled === undefined ? 'sampler' : 'event' };
    if (reached !== undefined && next !== undefined) m.latency = sim(next - reached);
    if (sampled !== undefined && reached !== undefined) m.samplerError = sim(sampled - reached);
    out.push(m);
  };
  // 1. the snapshot this run created becomes available → SNAPSHOT_READY
  const snapEvent = eventAt(run.snapshotIdentifier, 'RDS-EVENT-0042');
  const snapSampled = firstTr(
    (t) => t.kind === 'snapshot' && t.id === run.snapshotIdentifier && t.status === 'available',
    (snapEvent ?? 0) - 1_000,
  );
  push('snapshot available', snapEvent, stepAt(run, 'SNAPSHOT_READY'), snapSampled ?? Number.NaN);
  // 2. the original, renamed to the temp name, is available again (no event) → RESTORING
  push(
    'temp available after rename',
    firstTr((t) => t.kind === 'instance' && t.id === temp && t.status === 'available'),
    stepAt(run, 'RESTORING'),
  );
  // 3. the restored copy is available → CONFIGURING
  const restoredEvent = eventAt(run.identifier, 'RDS-EVENT-0043');
  const restoredSampled = firstTr(
    (t) => t.kind === 'instance' && t.resourceId === restoredId && t.status === 'available',
  );
  push('restored copy available', restoredEvent, stepAt(run, 'CONFIGURING'), restoredSampled ?? Number.NaN);
  // 4. the post-restore modify is applied (modifying → available, no event here) → CLEANING_UP
  const modifying = firstTr(
    (t) => t.kind === 'instance' && t.resourceId === restoredId && t.status === 'modifying',
  );
  push(
    'modify done',
    modifying === undefined
      ? undefined
      : firstTr(
          (t) => t.kind === 'instance' && t.resourceId === restoredId && t.status === 'available',
          modifying,
        ),
    stepAt(run, 'CLEANING_UP'),
  );
  // 5. the temp is deleted → SUCCEEDED
  const deletedEvent = eventAt(temp, 'RDS-EVENT-0003');
  const deletedSampled = firstTr((t) => t.kind === 'instance' && t.id === temp && t.status === 'gone');
  push('temp deleted', deletedEvent, stepAt(run, 'SUCCEEDED'), deletedSampled ?? Number.NaN);
  return out;
};

const runMode = async (drop: number) => {
  const stack = await startBenchStack({ timeScale: ts });
  const sampler = startSampler(stack, opts.sampleMs);
  try {
    if (drop > 0) stack.rds.faults.setEvents({ drop });
    const runs = runsOf(stack);
    const measures: Measure[] = [];
    const ends: string[] = [];
    for (let i = 0; i < opts.runs; i++) {
      await stack.bus.whenIdle(60_000);
      const runId = await startRun(stack, {
        identifier: 'demo-db',
        requestId: `bench-latency-${drop}-${i}-${Date.now()}`,
      });
      const run = await waitForRun(runs, runId, 150_000);
      ends.push(run?.step ?? 'LOST');
      if (run?.step === 'SUCCEEDED')
        measures.push(...measureRun(run, stack.rds.emittedEvents(), sampler.transitions));
    }
    await stack.bus.whenIdle(60_000);
    return { measures, ends };
  } finally {
    sampler.stop();
    await stack.stop();
  }
};

const main = async () => {
  const started = Date.now();
  const on = await runMode(0);
  const off = await runMode(1);
  const header = [
    'wait ends on',
    'reached from',
    'events on: med',
    'min',
    'max',
    'dropped: med',
    'min',
    'max',
  ];
  const rows = STEPS.map((step) => {
    const pick = (ms: Measure[]) =>
      ms.flatMap((m) => (m.step === step && m.latency !== undefined ? [m.latency] : []));
    const a = stats(pick(on.measures));
    const b = stats(pick(off.measures));
    const source = on.measures.find((m) => m.step === step)?.source === 'event' ? 'event Date' : 'sampler';
    return [
      step,
      source,
      fmt(a.median, 1),
      fmt(a.min, 1),
      fmt(a.max, 1),
      fmt(b.median, 1),
      fmt(b.min, 1),
      fmt(b.max, 1),
    ];
  });
  console.log('latency, simulated seconds (RDS state reached → next step in the run history)');
  console.log(table(header, rows));
  const errs = [...on.measures, ...off.measures]
    .map((m) => m.samplerError)
    .filter((e): e is number => e !== undefined && Number.isFinite(e));
  const e = stats(errs.map(Math.abs));
  console.log(
    `sampler − event time where both exist (${errs.length} pairs): |median| ${fmt(e.median, 2)} s, |max| ${fmt(e.max, 2)} s simulated`,
  );
  console.log(`runs: events on ${on.ends.join(', ')}; events dropped ${off.ends.join(', ')}`);
  console.log(`wall time ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if ([...on.ends, ...off.ends].some((s) => s !== 'SUCCEEDED')) process.exitCode = 1;
};

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
