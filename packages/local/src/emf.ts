/**
 * The metrics the handlers write, as CloudWatch Logs would extract them. On Lambda a function's standard output
 * goes to CloudWatch Logs, which turns each embedded metric format (EMF) line into metric values (CloudWatch User
 * Guide, "Specification: Embedded metric format"). On the local stack the handlers run in this process: while a
 * stack runs, the EMF lines its functions write to stdout are taken out of the stream (never printed raw) and
 * summed up per metric and dimensions, for the demo's summary table (`LocalStack.metrics()`).
 *
 * A line belongs to a stack when it is written inside one of that stack's function invocations: the function's
 * environment (lambda.ts runs each invocation with its own) carries the stack's id. Anything else written to stdout,
 * and EMF lines written outside a function, pass through untouched. A stopped stack's late lines are dropped while
 * another stack still captures.
 */

import { currentFunctionEnv } from './bus/lambda';

/** The environment variable naming the local stack a function belongs to. */
export const LOCAL_STACK_ID_VAR = 'TRAPHEUS_LOCAL_STACK_ID';

/** One metric with one set of dimensions, summed over the run. */
export interface EmfSeries {
  namespace: string;
  metric: string;
  unit: string;
  /** The metric's first (most detailed) dimension set, with values; roll-up sets are not listed again. */
  dimensions: Record<string, string>;
  /** How many values were written (a line may carry an array of values). */
  count: number;
  sum: number;
  max: number;
}

export interface EmfSummary {
  /** EMF lines captured. */
  lines: number;
  /** Lines that looked like EMF but were not valid: not summed. */
  invalid: number;
  /** Functions that wrote them (`AWS_LAMBDA_FUNCTION_NAME`). */
  functions: string[];
  series: EmfSeries[];
}

interface Directive {
  Namespace?: unknown;
  Dimensions?: unknown;
  Metrics?: unknown;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The metric values of one EMF line, as CloudWatch would extract them: per directive, each metric of its `Metrics`
 * with the values of the root member of that name (a number or an array of numbers), under the directive's first
 * dimension set. Undefined when the line is not an EMF document.
 *
 * @example
 * parseEmfLine('{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"Trapheus","Dimensions":[["Stage"]],"Metrics":[{"Name":"RdsThrottles","Unit":"Count"}]}]},"Stage":"dev","RdsThrottles":1}')
 * // [{ namespace: 'Trapheus', metric: 'RdsThrottles', unit: 'Count', dimensions: { Stage: 'dev' }, values: [1] }]
 */
export const parseEmfLine = (
  line: string,
):
  | {
      namespace: string;
      metric: string;
      unit: string;
      dimensions: Record<string, string>;
      values: number[];
    }[]
  | undefined => {
  let doc: unknown;
  try {
    doc = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isRecord(doc) || !isRecord(doc._aws) || !Array.isArray(doc._aws.CloudWatchMetrics)) return undefined;
  const root = doc;
  const out = [];
  for (const d of doc._aws.CloudWatchMetrics as Directive[]) {
    if (!isRecord(d) || typeof d.Namespace !== 'string' || !Array.isArray(d.Metrics)) return undefined;
    const sets = Array.isArray(d.Dimensions) ? d.Dimensions : [];
    const first = (Array.isArray(sets[0]) ? sets[0] : []) as unknown[];
    const dimensions: Record<string, string> = {};
    for (const key of first) {
      const value = root[String(key)];
      if (typeof value !== 'string') return undefined;
      dimensions[String(key)] = value;
    }
    for (const m of d.Metrics) {
      if (!isRecord(m) || typeof m.Name !== 'string') return undefined;
      const raw = root[m.Name];
      const values = (Array.isArray(raw) ? raw : [raw]).filter(
        (v): v is number => typeof v === 'number' && Number.isFinite(v),
      );
      if (values.length === 0) return undefined;
      out.push({
        namespace: d.Namespace,
        metric: m.Name,
        unit: typeof m.Unit === 'string' ? m.Unit : 'None',
        dimensions,
        values,
      });
    }
  }
  return out;
};

/** Whether a chunk written to stdout is (made of) EMF lines. */
const looksLikeEmf = (text: string) => text.startsWith('{"_aws":');

/**
 * Sums EMF lines up per namespace, metric and dimensions.
 *
 * @example
 * const collector = new EmfCollector();
 * collector.add(line, 'trapheus-restore-local-worker');
 * collector.summary().series; // [{ metric: 'StepSeconds', dimensions: { Stage: 'local', Step: 'RESTORING' }, … }]
 */
export class EmfCollector {
  private readonly series = new Map<string, EmfSeries>();
  private readonly fns = new Set<string>();
  private lines = 0;
  private invalid = 0;

  /** Adds one EMF line; returns false (and counts it invalid) when it is not one. */
  add(line: string, functionName?: string): boolean {
    const metrics = parseEmfLine(line);
    if (!metrics) {
      this.invalid += 1;
      return false;
    }
    this.lines += 1;
    if (functionName) this.fns.add(functionName);
    for (const m of metrics) {
      const key = JSON.stringify([m.namespace, m.metric, Object.entries(m.dimensions).sort()]);
      const s = this.series.get(key) ?? {
        namespace: m.namespace,
        metric: m.metric,
        unit: m.unit,
        dimensions: m.dimensions,
        count: 0,
        sum: 0,
        max: Number.NEGATIVE_INFINITY,
      };
      for (const v of m.values) {
        s.count += 1;
        s.sum += v;
        s.max = Math.max(s.max, v);
      }
      this.series.set(key, s);
    }
    return true;
  }

  summary(): EmfSummary {
    const series = [...this.series.values()]
      .map((s) => ({ ...s, dimensions: { ...s.dimensions } }))
      .sort(
        (a, b) =>
          a.metric.localeCompare(b.metric) ||
          JSON.stringify(a.dimensions).localeCompare(JSON.stringify(b.dimensions)),
      );
    return { lines: this.lines, invalid: this.invalid, functions: [...this.fns].sort(), series };
  }
}

type Write = typeof process.stdout.write;

const collectors = new Map<string, EmfCollector>();
/** Stacks that stopped capturing (the latest ones): their late EMF lines are dropped, never printed. */
const retired = new Set<string>();
const MAX_RETIRED = 1000;
/** stdout's own write, and whether it was an own property (else the stream's prototype's). */
let original: { write: Write; own: boolean } | undefined;

/**
 * Takes the EMF lines written to stdout inside the functions of stack `stackId` (their environment names it in
 * LOCAL_STACK_ID_VAR) into `collector` instead of the terminal. Several stacks may capture at once; the last one
 * to stop puts stdout back. Returns the release function.
 *
 * @example
 * const release = captureEmf(stackId, collector); … release();
 */
export const captureEmf = (stackId: string, collector: EmfCollector): (() => void) => {
  collectors.set(stackId, collector);
  if (!original) {
    const write = process.stdout.write;
    original = { write, own: Object.hasOwn(process.stdout, 'write') };
    process.stdout.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
      const fnEnv = currentFunctionEnv();
      const id = fnEnv?.[LOCAL_STACK_ID_VAR] ?? '';
      const owner = collectors.get(id);
      const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : '';
      if ((owner || retired.has(id)) && looksLikeEmf(text)) {
        const lines = text.split('\n').filter((l) => l.trim().length > 0);
        for (const l of lines) owner?.add(l, fnEnv?.AWS_LAMBDA_FUNCTION_NAME);
        const done = rest.find((r) => typeof r === 'function') as ((err?: Error | null) => void) | undefined;
        if (done) process.nextTick(done, null);
        return true;
      }
      return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    } as Write;
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    collectors.delete(stackId);
    retired.add(stackId);
    if (retired.size > MAX_RETIRED) retired.delete(retired.values().next().value as string);
    if (collectors.size === 0 && original) {
      if (original.own) process.stdout.write = original.write;
      else delete (process.stdout as { write?: Write }).write;
      original = undefined;
    }
  };
};
