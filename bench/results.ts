/**
 * The benchmarks' summary lines, their targets (issue "speed and scale"), the BENCH line and the README's figures
 * table: one place, read by bench/all.ts (writes bench/results.json), scripts/readme-tables.ts (writes the README
 * from it) and a test (the README matches bench/results.json).
 */

/** Each script of `npm run bench`, in order, and the tag of the summary line it ends with. */
export const BENCH_SCRIPTS = [
  { script: 'wait-gap', tag: 'WAITGAP' },
  // 20 fresh processes per function: init times on a shared 2-core machine vary by ±20 ms between rounds
  { script: 'cold-start', tag: 'COLDSTART', args: ['--runs', '20'] },
  { script: 'fleet', tag: 'FLEET' },
  { script: 'downtime', tag: 'DOWNTIME' },
] as const;

export type Figures = Record<string, number>;

export interface BenchResults {
  measuredAt: string;
  machine: string;
  figures: Figures;
}

/** FLEET's keys are prefixed (`fleet_ok`, …): its describe figure is wall-clock, WAITGAP's is modelled. */
const PREFIX: Record<string, string> = { FLEET: 'fleet_' };

/**
 * `TAG k=v k=v …` → { k: v } (numbers only), or undefined when the line is not that tag's.
 *
 * @example
 * parseSummaryLine('COLDSTART', 'COLDSTART init_ms_max=61.2 bundle_kb_max=1021') // { init_ms_max: 61.2, bundle_kb_max: 1021 }
 */
export const parseSummaryLine = (tag: string, line: string): Figures | undefined => {
  const m = new RegExp(`^${tag} (.*)$`).exec(line.trim());
  if (!m) return undefined;
  const out: Figures = {};
  for (const pair of (m[1] ?? '').split(/\s+/)) {
    const [k, v] = pair.split('=');
    if (k && v !== undefined && v !== '' && Number.isFinite(Number(v)))
      out[`${PREFIX[tag] ?? ''}${k}`] = Number(v);
  }
  return Object.keys(out).length > 0 ? out : undefined;
};

export interface Verdict {
  name: string;
  value: string;
  target: string;
  /** undefined: reported, no target */
  met: boolean | undefined;
}

const show = (x: number | undefined, digits?: number) =>
  x === undefined ? 'missing' : digits === undefined ? String(x) : x.toFixed(digits);

/** Every figure against its target; a missing figure is not met. */
export const evaluateTargets = (f: Figures): Verdict[] => {
  const atMost = (name: string, key: string, limit: number, digits?: number, unit = ''): Verdict => ({
    name,
    value: `${show(f[key], digits)}${f[key] === undefined ? '' : unit}`,
    target: `≤ ${limit}${unit}`,
    met: f[key] !== undefined && f[key] <= limit,
  });
  return [
    atMost('Lambda GB-s against the original (modelled, same timeline)', 'gbs_ratio', 0.01, 4),
    {
      name: 'RDS calls against the original (modelled)',
      value: show(f.api_calls_ratio, 2),
      target: 'reported',
      met: undefined,
    },
    atMost('event-less wait gap p50 (modelled fleet of 200)', 'wait_gap_p50_s', 5, 1, ' s'),
    atMost('event-less wait gap p99 (modelled fleet of 200)', 'wait_gap_p99_s', 30, 1, ' s'),
    {
      name: 'peak Describe calls per second, 200-run fleet (modelled)',
      value: show(f.describe_peak_per_s),
      target: `≤ ${show(f.describe_budget_per_s)} (budget)`,
      met:
        f.describe_peak_per_s !== undefined &&
        f.describe_budget_per_s !== undefined &&
        f.describe_peak_per_s <= f.describe_budget_per_s,
    },
    atMost('handler init, slowest function (median of fresh processes)', 'init_ms_max', 100, 1, ' ms'),
    atMost('largest bundled handler, SDK inside', 'bundle_kb_max', 1536, 0, ' KiB'),
    {
      name: 'fleet on the local stack, concurrent restores with faults',
      value: f.fleet_ok === undefined ? 'missing' : `${f.fleet_ok}/${f.fleet_total} correct`,
      target: '200/200',
      met:
        f.fleet_ok !== undefined &&
        f.fleet_total !== undefined &&
        f.fleet_total >= 200 &&
        f.fleet_ok === f.fleet_total,
    },
    {
      name: 'fleet wall time / peak memory (local stack)',
      value: `${show(f.fleet_wall_s, 0)} s / ${show(f.fleet_peak_rss_mb, 0)} MB`,
      target: 'reported',
      met: undefined,
    },
    atMost('name dark, swap against rename_first (30-min restore)', 'downtime_ratio', 0.3, 3),
  ];
};

/** The last line of `npm run bench`. */
export const benchLine = (f: Figures): string =>
  [
    'BENCH',
    `gbs_ratio=${show(f.gbs_ratio, 4)}`,
    `api_calls_ratio=${show(f.api_calls_ratio, 2)}`,
    `wait_gap_p50_s=${show(f.wait_gap_p50_s, 1)}`,
    `wait_gap_p99_s=${show(f.wait_gap_p99_s, 1)}`,
    `init_ms_max=${show(f.init_ms_max, 1)}`,
    `bundle_kb_max=${show(f.bundle_kb_max, 0)}`,
    `fleet=${f.fleet_ok === undefined ? 'missing' : `${f.fleet_ok}/${f.fleet_total}`}`,
  ].join(' ');

/** The README's figures table (between `<!-- bench:start -->` and `<!-- bench:end -->`). */
export const benchMarkdown = (r: BenchResults): string => {
  const rows = evaluateTargets(r.figures).map(
    (v) =>
      `| ${v.name} | ${v.value} | ${v.target} | ${v.met === undefined ? '' : v.met ? 'met' : '**not met**'} |`,
  );
  return [
    `From \`npm run bench\` on ${r.measuredAt.slice(0, 10)} (${r.machine.replace(/^machine:\s*/, '') || 'machine not recorded'}); \`bench/results.json\` holds`,
    'the figures, and this table is written from it.',
    '',
    '| figure | value | target | |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
    `\`${benchLine(r.figures)}\``,
  ].join('\n');
};
