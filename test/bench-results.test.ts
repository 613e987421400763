/**
 * The benchmark summary: the lines each bench script ends with are read back as figures, each figure is judged
 * against its target, and the README's figures table is exactly what bench/results.json renders to.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type BenchResults,
  benchLine,
  benchMarkdown,
  evaluateTargets,
  parseSummaryLine,
} from '../bench/results';

const ROOT = join(__dirname, '..');

describe('bench summary lines', () => {
  it('reads the numbers of its own tag only, prefixing the fleet figures', () => {
    expect(parseSummaryLine('COLDSTART', 'COLDSTART init_ms_max=61.2 bundle_kb_max=1021')).toEqual({
      init_ms_max: 61.2,
      bundle_kb_max: 1021,
    });
    expect(parseSummaryLine('FLEET', 'FLEET ok=200 total=200 wall_s=150 peak_rss_mb=1100')).toEqual({
      fleet_ok: 200,
      fleet_total: 200,
      fleet_wall_s: 150,
      fleet_peak_rss_mb: 1100,
    });
    expect(parseSummaryLine('DOWNTIME', 'DOWNTIME downtime_ratio=0.080 (target ≤ 0.3)')).toEqual({
      downtime_ratio: 0.08,
    });
    expect(parseSummaryLine('COLDSTART', 'WAITGAP gbs_ratio=0.0078')).toBeUndefined();
    expect(parseSummaryLine('COLDSTART', 'COLDSTART init_ms_max=nan')).toBeUndefined();
  });

  const good = {
    gbs_ratio: 0.0078,
    api_calls_ratio: 1.69,
    wait_gap_p50_s: 4,
    wait_gap_p99_s: 8,
    describe_peak_per_s: 10,
    describe_budget_per_s: 10,
    init_ms_max: 80.4,
    bundle_kb_max: 760,
    fleet_ok: 200,
    fleet_total: 200,
    fleet_wall_s: 150,
    fleet_peak_rss_mb: 1100,
    downtime_ratio: 0.08,
  };

  it('meets every target with good figures, and names each one that is not met', () => {
    expect(evaluateTargets(good).filter((v) => v.met === false)).toEqual([]);
    const bad = evaluateTargets({
      ...good,
      gbs_ratio: 0.02,
      wait_gap_p99_s: 31,
      init_ms_max: 100.1,
      describe_peak_per_s: 11,
      fleet_ok: 199,
    });
    expect(bad.filter((v) => v.met === false).map((v) => v.name)).toEqual([
      'Lambda GB-s against the original (modelled, same timeline)',
      'event-less wait gap p99 (modelled fleet of 200)',
      'peak Describe calls per second, 200-run fleet (modelled)',
      'handler init, slowest function (median of fresh processes)',
      'fleet on the local stack, concurrent restores with faults',
    ]);
  });

  it('counts a missing figure as not met, and a fleet smaller than 200 as not met', () => {
    const { init_ms_max: _dropped, ...withoutInit } = good;
    expect(evaluateTargets(withoutInit).find((v) => v.name.startsWith('handler init'))).toMatchObject({
      value: 'missing',
      met: false,
    });
    expect(
      evaluateTargets({ ...good, fleet_ok: 12, fleet_total: 12 }).find((v) => v.name.startsWith('fleet on')),
    ).toMatchObject({ met: false });
  });

  it('prints the BENCH line in the documented order', () => {
    expect(benchLine(good)).toBe(
      'BENCH gbs_ratio=0.0078 api_calls_ratio=1.69 wait_gap_p50_s=4.0 wait_gap_p99_s=8.0 init_ms_max=80.4 bundle_kb_max=760 fleet=200/200',
    );
  });
});

describe('README figures table', () => {
  it('is what bench/results.json renders to (npm run bench, or npm run docs:readme, writes it)', () => {
    const results = JSON.parse(readFileSync(join(ROOT, 'bench', 'results.json'), 'utf8')) as BenchResults;
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(
      readme.indexOf('<!-- bench:start -->') + '<!-- bench:start -->'.length,
      readme.indexOf('<!-- bench:end -->'),
    );
    expect(section.trim()).toBe(benchMarkdown(results).trim());
    // Whether the figures meet their targets is the benchmark's verdict (printed, and in the table), not a test's:
    // timings belong to the machine that measured them.
  });
});
