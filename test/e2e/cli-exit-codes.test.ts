/**
 * The CLI as a user runs it against the local stack: each run outcome has its exit code, and each hint it prints
 * is a command that works when copied (the test runs it).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalStack } from '@trapheus/local';
import { EXIT } from '../../packages/cli/src/exit-codes';
import { main } from '../../packages/cli/src/main';
import { freshStack } from './stack-helpers';

jest.setTimeout(120_000);

const cli = async (cwd: string, argv: string[]) => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) }, cwd);
  return { code, out, err, text: err.join('\n') };
};

/** The arguments of the `npx trapheus …` command in a hint line. */
const hinted = (text: string, pattern: RegExp): string[] => {
  const line = text.split('\n').find((l) => pattern.test(l));
  const command = line?.match(/npx trapheus ([^`\n]+)/)?.[1];
  if (!command) throw new Error(`no hint matching ${pattern} in:\n${text}`);
  return command.trim().split(/\s+/);
};

describe('trapheus CLI against the local stack: exit codes and copyable hints', () => {
  let stack: LocalStack;
  const cwd = mkdtempSync(join(tmpdir(), 'trapheus-cli-e2e-'));

  beforeAll(async () => {
    stack = await freshStack(600, { writeInfo: true, infoDir: cwd });
  });
  afterAll(() => stack?.stop());

  it('REJECTED exits 3 and names the flag; the hinted command SUCCEEDS (exit 0)', async () => {
    const rejected = await cli(cwd, ['restore', 'demo-cluster', '--local']);

    expect(rejected.code).toBe(EXIT.REJECTED);
    expect(rejected.text).toContain('DB instance demo-cluster not found (a DB cluster demo-cluster exists');
    expect(rejected.text).toContain(
      'next: npx trapheus restore demo-cluster --cluster --task create_snapshot --local',
    );
    expect(rejected.text).not.toContain('isCluster');

    const retried = await cli(cwd, [...hinted(rejected.text, /^next: /), '--wait']);

    expect(retried.text).toContain('ended SUCCEEDED');
    expect(retried.code).toBe(EXIT.SUCCEEDED);
  });

  it('a --wait timeout exits 75; the hinted `status --wait` follows the run to SUCCEEDED (exit 0)', async () => {
    const timedOut = await cli(cwd, ['restore', 'demo-db', '--wait', '--timeout', '0.2', '--local']);

    expect(timedOut.code).toBe(EXIT.TIMEOUT);
    const follow = hinted(timedOut.text, /follow it with/);
    expect(follow).toEqual(['status', timedOut.out.at(-1), '--wait', '--local']);

    const followed = await cli(cwd, follow);

    expect(followed.code).toBe(EXIT.SUCCEEDED);
    expect(followed.text).toContain(`run ${timedOut.out.at(-1)} ended SUCCEEDED`);
  });

  it('ROLLED_BACK exits 2 and suggests the same restore, with the target, once the cause is fixed', async () => {
    expect(
      (
        await cli(cwd, [
          'local',
          'fault',
          '--operation',
          'RestoreDBInstanceFromDBSnapshot',
          '--status',
          'incompatible-restore',
        ])
      ).code,
    ).toBe(0);

    const rolledBack = await cli(cwd, ['restore', 'demo-db', '--wait', '--local']);

    expect(rolledBack.code).toBe(EXIT.ROLLED_BACK);
    expect(rolledBack.text).toContain(
      'next (once the cause is fixed): npx trapheus restore demo-db --task create_snapshot --local',
    );
  });

  it('FAILED exits 1 (the snapshot could not be taken; nothing changed) with the command to retry', async () => {
    await cli(cwd, [
      'local',
      'fault',
      '--operation',
      'CreateDBSnapshot',
      '--error',
      'InvalidParameterCombination',
    ]);

    const failed = await cli(cwd, ['restore', 'demo-db', '--wait', '--local']);

    expect(failed.text).toContain('ended FAILED');
    expect(failed.code).toBe(EXIT.FAILED);
    expect(failed.text).toContain(
      'next (once the cause is fixed): npx trapheus restore demo-db --task create_snapshot --local',
    );
  });

  it('CLEANUP_FAILED exits 4: the copy is live, the temp could not be deleted', async () => {
    await cli(cwd, [
      'local',
      'fault',
      '--operation',
      'DeleteDBInstance',
      '--error',
      'InvalidParameterCombination',
    ]);

    const cleanupFailed = await cli(cwd, ['restore', 'demo-db', '--wait', '--local']);

    expect(cleanupFailed.text).toContain('ended CLEANUP_FAILED');
    expect(cleanupFailed.code).toBe(EXIT.CLEANUP_FAILED);
  });

  it('status and runs read the runs of the stack (exit 0); an unknown run is exit 1', async () => {
    const runs = await cli(cwd, ['runs', '--local']);
    expect(runs.code).toBe(EXIT.SUCCEEDED);
    expect(runs.out.join('\n').match(/\bdemo-db\b/g)?.length).toBeGreaterThanOrEqual(4);

    const missing = await cli(cwd, ['status', 'run-0000000000000000', '--local']);
    expect(missing.code).toBe(EXIT.FAILED);
    expect(missing.text).toContain('run run-0000000000000000 not found in trapheus-runs-local (--local)');
  });
});
