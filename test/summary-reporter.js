/**
 * Prints one plain closing line, `jest: N passed, N failed` (with `, N skipped` when any), after jest's own
 * summary, so CI and people read the same count. When end-to-end tests ran the IAM check (test/iam, records in
 * `.tmp/iam/`), it first prints the grants (statement action × resource per function) no recorded call needed.
 */
const { existsSync, readFileSync, rmSync } = require('node:fs');
const { join } = require('node:path');

const IAM_DIR = join(__dirname, '..', '.tmp', 'iam');

const unexercisedGrants = () => {
  const grantsFile = join(IAM_DIR, 'grants.json');
  const exercisedFile = join(IAM_DIR, 'exercised.jsonl');
  if (!existsSync(grantsFile) || !existsSync(exercisedFile)) return undefined;
  const grants = JSON.parse(readFileSync(grantsFile, 'utf8'));
  const used = new Set();
  let checked = 0;
  let tests = 0;
  for (const line of readFileSync(exercisedFile, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const rec = JSON.parse(line);
    tests++;
    checked += rec.checked;
    for (const id of rec.exercised) used.add(id);
  }
  const byFn = new Map();
  for (const [id, { fn, grant }] of Object.entries(grants)) {
    if (used.has(id) || grant.startsWith('logs:')) continue;
    if (!byFn.has(fn)) byFn.set(fn, []);
    byFn.get(fn).push(grant);
  }
  const total = Object.keys(grants).length;
  const lines = [
    `IAM check: ${tests} end-to-end test(s), ${checked} distinct calls evaluated; ${total - [...byFn.values()].flat().length} of ${total} grants exercised (log grants not counted as unused).`,
  ];
  if (byFn.size) lines.push('Grants no recorded call exercised (least privilege: keep only with a reason):');
  for (const [fn, list] of byFn) {
    lines.push(`  ${fn}:`);
    for (const g of list) lines.push(`    ${g}`);
  }
  return lines.join('\n');
};

class SummaryReporter {
  onRunStart() {
    for (const f of ['exercised.jsonl', 'calls.jsonl', 'grants.json'])
      rmSync(join(IAM_DIR, f), { force: true });
  }

  onRunComplete(_contexts, results) {
    try {
      const iam = unexercisedGrants();
      if (iam) process.stdout.write(`${iam}\n`);
    } catch (e) {
      process.stdout.write(`IAM check summary unavailable: ${e.message}\n`);
    }
    const skipped = results.numPendingTests + results.numTodoTests;
    const tail = skipped > 0 ? `, ${skipped} skipped` : '';
    process.stdout.write(`jest: ${results.numPassedTests} passed, ${results.numFailedTests} failed${tail}\n`);
  }
}
module.exports = SummaryReporter;
