/**
 * The demo's metrics table: what the handlers wrote as CloudWatch embedded metric format (EMF) lines during the run,
 * summed per metric and dimensions by the local stack (`stack.metrics()`, packages/local/src/emf.ts). On AWS the
 * same lines become the `Trapheus` metrics the dashboard and the alarms read (README, "Metrics and alarms").
 */
import type { EmfSummary, LocalStack } from '@trapheus/local';
import type { Io } from './restore';

const num = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(2));

/**
 * The summary as a compact table: metric, dimensions (a dimension every row shares, such as the stage, is said once
 * in the title), unit, count, sum and max. Seconds are the local stack's clock: RDS durations and SQS delays are
 * divided by the time scale.
 *
 * @example
 * for (const line of demoMetricsLines(stack.metrics(), 60)) io.out(line);
 */
export const demoMetricsLines = (summary: EmfSummary, timeScale?: number): string[] => {
  if (summary.series.length === 0) return ['metrics: the functions wrote none'];
  // A dimension with the same value on every row (Stage) goes in the title.
  const shared = new Map<string, string>();
  const [first, ...rest] = summary.series;
  for (const [k, v] of Object.entries(first?.dimensions ?? {})) {
    if (rest.every((s) => s.dimensions[k] === v)) shared.set(k, v);
  }
  const namespaces = [...new Set(summary.series.map((s) => s.namespace))].join(', ');
  const rows = summary.series.map((s) => [
    s.metric,
    Object.entries(s.dimensions)
      .filter(([k]) => !shared.has(k))
      .map(([k, v]) => `${k}=${v}`)
      .join(' ') || '-',
    s.unit,
    String(s.count),
    num(s.sum),
    num(s.max),
  ]);
  const header = ['metric', 'dimensions', 'unit', 'count', 'sum', 'max'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const right = new Set([3, 4, 5]);
  const line = (cells: string[]) =>
    `  ${cells
      .map((c, i) => (right.has(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd()}`;
  const sharedText = [...shared].map(([k, v]) => `${k}=${v}`).join(' ');
  return [
    `metrics (CloudWatch EMF, namespace ${namespaces}${sharedText ? `, ${sharedText}` : ''}): ${summary.lines} lines from ${summary.functions.length} functions`,
    line(header),
    ...rows.map(line),
    ...(timeScale && timeScale !== 1
      ? [`  seconds are the local clock: RDS and SQS waits ran ${timeScale}× faster than on AWS`]
      : []),
  ];
};

/**
 * Prints the demo's metrics table, once the run's last invocation has written its lines (`trapheus demo`, before the
 * stack stops).
 *
 * @example
 * await printDemoMetrics(stack, timeScale, io);
 */
export const printDemoMetrics = async (
  stack: Pick<LocalStack, 'settledMetrics'>,
  timeScale: number,
  io: Pick<Io, 'out'>,
): Promise<void> => {
  io.out('');
  for (const line of demoMetricsLines(await stack.settledMetrics(), timeScale)) io.out(line);
};
