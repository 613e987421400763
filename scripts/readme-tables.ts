/**
 * Writes the README's generated tables: the lifecycle from the pipeline table (packages/shared/src/pipeline.ts)
 * between `<!-- pipeline:start -->` / `<!-- pipeline:end -->`, and "what is kept" from the configuration ledger
 * (packages/shared/src/ledger.ts) between `<!-- ledger:start -->` / `<!-- ledger:end -->`, and the CLI's exit codes
 * (packages/cli/src/exit-codes.ts) between `<!-- exit-codes:start -->` / `<!-- exit-codes:end -->`, and the benchmark
 * figures from bench/results.json (written by `npm run bench`) between `<!-- bench:start -->` / `<!-- bench:end -->`.
 * `npm run docs:readme`; tests fail when the README is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BenchResults, benchMarkdown } from '../bench/results';
import { exitCodesMarkdown } from '../packages/cli/src/exit-codes';
import { CLUSTER_LEDGER, INSTANCE_LEDGER, ledgerMarkdown } from '../packages/shared/src/ledger';
import { pipelineMarkdown } from '../packages/shared/src/pipeline';

const file = join(__dirname, '..', 'README.md');

const replaceSection = (text: string, name: string, body: string): string => {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`README.md has no ${start} … ${end} section`);
  return `${text.slice(0, from + start.length)}\n${body}\n${text.slice(to)}`;
};

/** Writes every generated table of the README. */
export const writeReadmeTables = () => {
  let readme = readFileSync(file, 'utf8');
  readme = replaceSection(readme, 'pipeline', `\n${pipelineMarkdown()}\n`);
  readme = replaceSection(
    readme,
    'ledger',
    [
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
    ].join('\n'),
  );
  readme = replaceSection(readme, 'exit-codes', `\n${exitCodesMarkdown()}\n`);
  const results = JSON.parse(
    readFileSync(join(__dirname, '..', 'bench', 'results.json'), 'utf8'),
  ) as BenchResults;
  readme = replaceSection(readme, 'bench', `\n${benchMarkdown(results)}\n`);
  writeFileSync(file, readme);
  console.log('README.md: pipeline, ledger, exit-code and benchmark tables written');
};

if (require.main === module) writeReadmeTables();
