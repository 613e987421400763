/**
 * Run metrics as CloudWatch embedded metric format (EMF) lines, written with Powertools Metrics (README, "Metrics
 * and alarms"). Code records samples as it goes (an outcome, a step's duration, a wait that ended, an RDS throttle,
 * a missed deadline, the watchdog's finds); the Lambda wrapper flushes them once per invocation (`flushMetrics`).
 * On Lambda, writing EMF JSON to standard output is all it takes: CloudWatch Logs extracts the metrics (CloudWatch
 * User Guide, "Specification: Embedded metric format").
 *
 * Dimensions are few and of low cardinality (every DimensionSet "creates a new metric in CloudWatch", same page):
 * `Stage` on every metric (several deployments may share an account and the namespace), then the metric's own
 * (`Outcome`, `Task`, `Kind`; `Step`; `EndedBy`). A run id or a database name is never a dimension: it goes in the
 * line as metadata, searchable with Logs Insights. Metrics an alarm watches also carry a coarser roll-up set
 * (`[Stage, Outcome]`, `[Stage]`), because a CloudWatch alarm watches one time series and cannot sum a SEARCH
 * (CloudWatch User Guide, "Using search expressions in graphs").
 *
 * Recording is cheap (a push onto a bounded buffer) and never throws: a metric must never fail a run. Nothing is
 * written when nothing was recorded. One Powertools `Metrics` per process (per module instance on the local stack,
 * which loads each function's modules apart), created at the first flush, from that function's environment.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Logger } from './logging';
import type { Step } from './run';

/** The CloudWatch namespace unless POWERTOOLS_METRICS_NAMESPACE says otherwise. */
export const METRICS_NAMESPACE = 'Trapheus';

/** Every metric name this module writes (the dashboard, the alarms and the tests use these). */
export const METRIC = {
  runOutcome: 'RunOutcome',
  stepSeconds: 'StepSeconds',
  waitSeconds: 'WaitSeconds',
  checkBacksPerWait: 'CheckBacksPerWait',
  waitGapSeconds: 'WaitGapSeconds',
  rdsThrottles: 'RdsThrottles',
  stepDeadlineExceeded: 'StepDeadlineExceeded',
  stalledRunsFound: 'StalledRunsFound',
  stalledExportsFound: 'StalledExportsFound',
} as const;
export type MetricName = (typeof METRIC)[keyof typeof METRIC];

/** What ended a wait, as a dimension: the two signals a wait is built on, and everything else. */
export type WaitEndedByDimension = 'rds-event' | 'check-back' | 'other';

type Unit = typeof MetricUnit.Count | typeof MetricUnit.Seconds;

interface Sample {
  name: MetricName;
  unit: Unit;
  value: number;
  /** Dimensions every set of the sample has, besides `Stage`. */
  common: Record<string, string>;
  /** Each dimension set: `Stage`, the common dimensions and these (an empty one: those alone). */
  sets: Record<string, string>[];
  metadata: Record<string, string>;
}

/** Past this many unflushed samples new ones are dropped (a process that never flushes, such as the CLI). */
const MAX_BUFFERED = 1000;
/**
 * EMF allows 100 values of a metric per line; Powertools publishes a line by itself when a metric reaches 100 (with
 * the metrics recorded so far, clearing the line's metadata): our lines stop at 99.
 */
const MAX_VALUES_PER_LINE = 99;

let buffer: Sample[] = [];
let emitter: Metrics | undefined;
let stage = 'unknown';

/** Warnings of Powertools Metrics go to the flushing worker's logger, never to stdout beside the EMF lines. */
type WarnLogger = Pick<Logger, 'warn'>;
let warnTo: WarnLogger | undefined;

const record = (sample: Sample): void => {
  try {
    if (!Number.isFinite(sample.value) || buffer.length >= MAX_BUFFERED) return;
    buffer.push(sample);
  } catch {
    // a metric never fails the business path
  }
};

const seconds = (ms: number) => Math.max(0, Math.round(ms / 10) / 100);
const sinceMs = (from: string, to: string) => Date.parse(to) - Date.parse(from);

/**
 * A finished run: one count per terminal step, by task and kind (RunOutcome, dimensions Outcome, Task, Kind; the
 * roll-up `[Stage, Outcome]` is what the FAILED and CLEANUP_FAILED alarms watch).
 *
 * @example
 * recordRunOutcome({ runId, step: 'SUCCEEDED', task: 'create_snapshot', kind: 'instance' });
 */
export const recordRunOutcome = (run: { runId: string; step: Step; task: string; kind: string }): void =>
  record({
    name: METRIC.runOutcome,
    unit: MetricUnit.Count,
    value: 1,
    common: { Outcome: run.step },
    sets: [{ Task: run.task, Kind: run.kind }, {}],
    metadata: { runId: run.runId },
  });

/**
 * The seconds a run spent in `step`, recorded when it leaves the step (StepSeconds, dimension Step).
 *
 * @example
 * recordStepDuration({ runId, step: 'RESTORING', seconds: 612.4 });
 */
export const recordStepDuration = (input: { runId: string; step: Step; seconds: number }): void =>
  record({
    name: METRIC.stepSeconds,
    unit: MetricUnit.Seconds,
    value: Math.round(input.seconds * 100) / 100,
    common: { Step: input.step },
    sets: [{}],
    metadata: { runId: input.runId },
  });

/** A wait that ended, as the run write that ended it saw it (run-trace.ts). */
export interface EndedWaitSample {
  runId: string;
  step: Step;
  /** The signal kind that ended it (run-trace.ts WaitEndedBy), absent outside a reconcile. */
  endedBy?: string;
  since: string;
  endedAt: string;
  /** The wait's `attempt`: how many check-backs found it not done yet. */
  attempts: number;
  /** The RDS event's own time (`rds-event`). */
  signalAt?: string;
  eventId?: string;
  /** Seconds since the check-back that ended it was armed, i.e. since the previous look (`check-back`), when known. */
  checkBackSeconds?: number;
}

/** The EndedBy dimension of a wait's end. */
export const endedByDimension = (endedBy: string | undefined): WaitEndedByDimension =>
  endedBy === 'rds-event' || endedBy === 'check-back' ? endedBy : 'other';

/**
 * A wait that ended (dimension EndedBy): WaitSeconds (since the wait began), CheckBacksPerWait (its attempts) and
 * WaitGapSeconds, how long the run may have lagged behind RDS: for an RDS event, the end minus the event's own
 * time; for a check-back, its interval as it ran: the end minus the look that armed it (RDS reached the state after
 * that look, so at most that long before it was seen); for any other signal, none.
 *
 * @example
 * recordWaitEnded({ runId, step: 'RESTORING', endedBy: 'rds-event', since, endedAt, attempts: 2, signalAt });
 */
export const recordWaitEnded = (wait: EndedWaitSample): void => {
  const endedBy = endedByDimension(wait.endedBy);
  const common = { EndedBy: endedBy };
  const sets = [{}];
  const metadata = {
    runId: wait.runId,
    step: wait.step,
    ...(wait.eventId ? { eventId: wait.eventId } : {}),
  };
  const gap =
    endedBy === 'rds-event' && wait.signalAt && Number.isFinite(Date.parse(wait.signalAt))
      ? seconds(sinceMs(wait.signalAt, wait.endedAt))
      : endedBy === 'check-back'
        ? wait.checkBackSeconds !== undefined
          ? seconds(wait.checkBackSeconds * 1000)
          : undefined
        : undefined;
  record({
    name: METRIC.waitSeconds,
    unit: MetricUnit.Seconds,
    value: seconds(sinceMs(wait.since, wait.endedAt)),
    common,
    sets,
    metadata,
  });
  record({
    name: METRIC.checkBacksPerWait,
    unit: MetricUnit.Count,
    value: wait.attempts,
    common,
    sets,
    metadata,
  });
  if (gap !== undefined) {
    record({ name: METRIC.waitGapSeconds, unit: MetricUnit.Seconds, value: gap, common, sets, metadata });
  }
};

/**
 * An RDS call answered with a throttling error (counted per attempt, SDK retries included).
 *
 * @example
 * recordRdsThrottle('DescribeDBInstances');
 */
export const recordRdsThrottle = (operation: string): void =>
  record({
    name: METRIC.rdsThrottles,
    unit: MetricUnit.Count,
    value: 1,
    common: {},
    sets: [{}],
    metadata: { operation },
  });

/**
 * A step failed because its wait passed its deadline (StepDeadlineExceeded, dimension Step; the roll-up `[Stage]`
 * is what the alarm watches).
 *
 * @example
 * recordDeadlineExceeded({ runId, step: 'RESTORING' });
 */
export const recordDeadlineExceeded = (input: { runId: string; step: Step }): void =>
  record({
    name: METRIC.stepDeadlineExceeded,
    unit: MetricUnit.Count,
    value: 1,
    common: {},
    sets: [{ Step: input.step }, {}],
    metadata: { runId: input.runId },
  });

/**
 * What one watchdog sweep found: stalled runs (StalledRunsFound, alarmed) and stalled exports (StalledExportsFound),
 * both recorded on every sweep, zero included, so the dashboard shows the watchdog is alive.
 *
 * @example
 * recordWatchdogSweep({ stalledRuns: 1, stalledExports: 0 });
 */
export const recordWatchdogSweep = (found: { stalledRuns: number; stalledExports: number }): void => {
  record({
    name: METRIC.stalledRunsFound,
    unit: MetricUnit.Count,
    value: found.stalledRuns,
    common: {},
    sets: [{}],
    metadata: {},
  });
  record({
    name: METRIC.stalledExportsFound,
    unit: MetricUnit.Count,
    value: found.stalledExports,
    common: {},
    sets: [{}],
    metadata: {},
  });
};

/** How many samples wait for the next flush. */
export const pendingMetrics = (): number => buffer.length;

const emitterFor = (env: NodeJS.ProcessEnv): Metrics => {
  if (emitter) return emitter;
  const warn = (message: string, ...rest: unknown[]) =>
    warnTo?.warn(`metrics: ${message}`, ...(rest.length ? [{ detail: rest }] : []));
  const logger = { debug: () => undefined, info: () => undefined, warn, error: warn };
  const metrics = new Metrics({ namespace: env.POWERTOOLS_METRICS_NAMESPACE || METRICS_NAMESPACE, logger });
  // Nothing recorded is not an error (and flushMetrics never publishes an empty line, so no "no metrics" warning).
  metrics.setThrowOnEmptyMetrics(false);
  emitter = metrics;
  stage = env.TRAPHEUS_STAGE || 'unknown';
  return metrics;
};

/**
 * Samples that go in one EMF line: the same dimensions (sets and values) and metadata, at most MAX_VALUES_PER_LINE
 * values of a metric (an EMF metric's array "MUST NOT have more than 100 members": CloudWatch User Guide,
 * "Specification: Embedded metric format").
 */
const groupsOf = (samples: Sample[]) => {
  const groups = new Map<string, Sample[]>();
  for (const s of samples) {
    const key = JSON.stringify([s.common, s.sets, s.metadata]);
    const group = groups.get(key);
    if (group) group.push(s);
    else groups.set(key, [s]);
  }
  const lines: Sample[][] = [];
  for (const group of groups.values()) {
    let line: Sample[] = [];
    const values = new Map<string, number>();
    for (const sample of group) {
      if ((values.get(sample.name) ?? 0) === MAX_VALUES_PER_LINE) {
        lines.push(line);
        line = [];
        values.clear();
      }
      line.push(sample);
      values.set(sample.name, (values.get(sample.name) ?? 0) + 1);
    }
    if (line.length) lines.push(line);
  }
  return lines;
};

/**
 * Writes what was recorded since the last flush as EMF lines (one per set of dimensions and metadata; a metric
 * recorded twice in a line carries both values, as EMF allows), then forgets it. Writes nothing when nothing was
 * recorded. Never throws: a failure is logged and the samples are dropped.
 *
 * @example
 * try { return await handle(event); } finally { flushMetrics(logger); }
 */
export const flushMetrics = (logger?: WarnLogger, env: NodeJS.ProcessEnv = process.env): void => {
  if (buffer.length === 0) return;
  const samples = buffer;
  buffer = [];
  if (logger) warnTo = logger;
  try {
    const metrics = emitterFor(env);
    for (const group of groupsOf(samples)) {
      const [first] = group;
      if (!first) continue;
      try {
        // The dimensions every set shares go in as Powertools' default dimensions (it puts them in each set), the
        // rest as one set each: a key in two sets would be a "collision" to Powertools. Powertools' own `service`
        // default dimension is left out: it would split every alarmed series by function (the log group says it).
        metrics.clearDefaultDimensions();
        metrics.setDefaultDimensions({ Stage: stage, ...first.common });
        for (const set of first.sets) metrics.addDimensions(set);
        for (const [key, value] of Object.entries(first.metadata)) metrics.addMetadata(key, value);
        for (const s of group) metrics.addMetric(s.name, s.unit, s.value);
        metrics.publishStoredMetrics();
      } catch (err) {
        metrics.clearMetrics();
        metrics.clearDimensions();
        metrics.clearMetadata();
        warnTo?.warn('metrics not written', { error: err instanceof Error ? err.message : String(err) });
      }
    }
  } catch (err) {
    warnTo?.warn('metrics not written', { error: err instanceof Error ? err.message : String(err) });
  }
};

/** Forgets the recorded samples and the emitter (tests: a fresh environment, nothing pending). */
export const resetMetrics = (): void => {
  buffer = [];
  emitter = undefined;
  stage = 'unknown';
  warnTo = undefined;
};
