/**
 * Notifications end to end on the local stack: outcome events → notify's queues → SES (aws-ses-v2-local) and
 * each Slack webhook (local receiver), one message per channel per run outcome.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalStack } from '@trapheus/local';
import { main } from '../../packages/cli/src/main';
import { assertIamClean, freshStack, runRestore } from './stack-helpers';

jest.setTimeout(90_000);

describe('notify on the local stack', () => {
  let stack: LocalStack;
  afterEach(async () => {
    try {
      await assertIamClean(stack);
    } finally {
      await stack?.stop();
    }
  });

  it('a fault in the restore step gives exactly one e-mail and one Slack post per webhook, naming the database and step', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'trapheus-e2e-'));
    stack = await freshStack(600, { writeInfo: true, infoDir: cwd });
    stack.rds.faults.add({
      kind: 'api-error',
      operation: 'RestoreDBInstanceFromDBSnapshot',
      code: 'InsufficientDBInstanceCapacity',
    });

    const result = await runRestore(stack);
    await stack.bus.whenIdle(20_000);

    expect(result.code).toBe(2);
    const emails = await stack.ses.emails();
    expect(emails).toHaveLength(1);
    expect(emails[0]?.to).toEqual(['oncall@local.test']);
    expect(emails[0]?.subject).toContain('demo-db');
    expect(emails[0]?.text).toContain('RESTORING');
    expect(emails[0]?.text).toContain('InsufficientDBInstanceCapacity');
    const posts = stack.slack.posts();
    expect(posts.map((p) => p.webhook).sort()).toEqual(['oncall', 'platform-alerts']);
    for (const post of posts) {
      const text = JSON.stringify(post.body);
      expect(text).toContain('demo-db');
      expect(text).toContain('RESTORING');
    }
    // `trapheus local outbox --json`, from another process's point of view (endpoints from local.json).
    const out: string[] = [];
    expect(
      await main(['local', 'outbox', '--json'], { out: (l) => out.push(l), err: () => undefined }, cwd),
    ).toBe(0);
    const outbox = JSON.parse(out.join('\n'));
    expect(outbox.emails).toHaveLength(1);
    expect(outbox.slack.map((p: { webhook: string }) => p.webhook).sort()).toEqual([
      'oncall',
      'platform-alerts',
    ]);
  });

  it('a Slack webhook answering 500 twice and then 200 receives the message exactly once', async () => {
    stack = await freshStack();
    stack.slack.failNext(500, 2, 'oncall');
    stack.rds.faults.add({
      kind: 'async-failure',
      operation: 'RestoreDBInstanceFromDBSnapshot',
      status: 'incompatible-restore',
    });

    await runRestore(stack);
    await stack.bus.whenIdle(20_000);

    const oncall = stack.slack.attempts().filter((a) => a.webhook === 'oncall');
    expect(oncall.map((a) => a.status)).toEqual([500, 500, 200]);
    expect(stack.slack.posts().filter((p) => p.webhook === 'oncall')).toHaveLength(1);
    expect(stack.slack.posts().filter((p) => p.webhook === 'platform-alerts')).toHaveLength(1);
    expect(await stack.ses.emails()).toHaveLength(1);
  });
});
