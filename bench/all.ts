/**
 * bench/all.ts — `npm run bench`: every benchmark, then the targets and one machine-readable line (docs/design.md §7).
 *
 *   npx tsx bench/all.ts [--only wait-gap,cold-start,fleet] [--no-readme]
 *
 * Runs each bench script in its own process (their output streams through), reads the one summary line each
 * ends with (WAITGAP, COLDSTART, FLEET, DOWNTIME), prints the targets table, writes bench/results.json and the
 * README's figures table from it (unless --no-readme or a script failed), and ends with:
 *   BENCH gbs_ratio=… api_calls_ratio=… wait_gap_p50_s=… wait_gap_p99_s=… init_ms_max=… bundle_kb_max=… fleet=OK/N
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, table } from './common';
import { BENCH_SCRIPTS, type BenchResults, benchLine, evaluateTargets, parseSummaryLine } from './results';

const args = process.argv.slice(2);
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? (args[onlyAt + 1] ?? '').split(',').filter(Boolean) : undefined;
const writeReadme = !args.includes('--no-readme');

const runScript = (
  script: string,
  args: readonly string[] = [],
): Promise<{ code: number; lines: string[] }> =>
  new Promise((resolve) => {
    const lines: string[] = [];
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', `${script}.ts`), ...args], {
      cwd: ROOT,
      env: {
        ...process.env,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        TMPDIR: join(ROOT, '.tmp'),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let rest = '';
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      const text = rest + chunk.toString('utf8');
      const parts = text.split('\n');
      rest = parts.pop() ?? '';
      lines.push(...parts);
    });
    child.on('close', (code) => {
      if (rest) lines.push(rest);
      resolve({ code: code ?? 1, lines });
    });
  });

const main = async () => {
  const scripts = BENCH_SCRIPTS.filter((s) => !only || only.includes(s.script));
  const results: BenchResults = { measuredAt: new Date().toISOString(), machine: '', figures: {} };
  const failed: string[] = [];
  for (const entry of scripts) {
    const { script, tag } = entry;
    console.log(`\n━━ npm run bench:${script} ${'━'.repeat(Math.max(0, 90 - script.length))}`);
    const started = Date.now();
    const { code, lines } = await runScript(script, 'args' in entry ? entry.args : []);
    const summary = lines.map((l) => parseSummaryLine(tag, l)).find((x) => x);
    if (code !== 0 || !summary) failed.push(`${script} (exit ${code}${summary ? '' : `, no ${tag} line`})`);
    if (summary) Object.assign(results.figures, summary);
    results.machine ||= lines.find((l) => l.trim().startsWith('machine:'))?.trim() ?? '';
    console.log(`(bench:${script}: ${((Date.now() - started) / 1000).toFixed(0)} s)`);
  }

  const verdicts = evaluateTargets(results.figures);
  console.log('\ntargets');
  console.log(
    table(
      ['figure', 'value', 'target', 'met'],
      verdicts.map((v) => [v.name, v.value, v.target, v.met === undefined ? '–' : v.met ? 'yes' : 'NO']),
    ),
  );
  if (failed.length > 0) console.log(`\nfailed: ${failed.join(', ')}`);
  const complete = !only && failed.length === 0;
  if (complete) {
    writeFileSync(join(ROOT, 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
    console.log('bench/results.json written');
    if (writeReadme) {
      const { writeReadmeTables } = await import('../scripts/readme-tables');
      writeReadmeTables();
    }
  } else console.log('bench/results.json not written (a partial or failed run)');
  if (failed.length > 0 || verdicts.some((v) => v.met === false)) process.exitCode = 1;
  console.log(benchLine(results.figures));
};

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
