/**
 * Writes the README's "what is kept" tables from the configuration ledger (packages/shared/src/ledger.ts), between
 * the `<!-- ledger:start -->` and `<!-- ledger:end -->` markers. `npm run docs:ledger`; a test fails when the README
 * is out of date.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLUSTER_LEDGER, INSTANCE_LEDGER, ledgerMarkdown } from '../packages/shared/src/ledger';

const file = join(__dirname, '..', 'README.md');
const readme = readFileSync(file, 'utf8');
const start = '<!-- ledger:start -->';
const end = '<!-- ledger:end -->';
const from = readme.indexOf(start);
const to = readme.indexOf(end);
if (from < 0 || to < from) throw new Error(`README.md has no ${start} … ${end} section`);
const body = [
  '',
  '<details><summary>DB instances: every field of the SDK <code>DBInstance</code> type</summary>',
  '',
  ledgerMarkdown(INSTANCE_LEDGER, 'DBInstance'),
  '',
  '</details>',
  '',
  '<details><summary>Aurora clusters: every field of the SDK <code>DBCluster</code> type</summary>',
  '',
  ledgerMarkdown(CLUSTER_LEDGER, 'DBCluster'),
  '',
  '</details>',
  '',
].join('\n');
writeFileSync(file, `${readme.slice(0, from + start.length)}${body}${readme.slice(to)}`);
console.log('README.md: ledger tables written');
