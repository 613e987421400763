/**
 * VERIFYING end to end on the local stack: a request with `verify` stops after CONFIGURING, publishes
 * RestoreVerifying on the bus, and goes on only when every hook answered ok (RestoreVerified, or
 * `trapheus verify`); a failed hook or the timeout rolls back. A "hook Lambda" here is an in-process target the
 * test subscribes on the local bus with an EventBridge pattern on RestoreVerifying (stack.bus.subscribe): it
 * answers with PutEvents, as a Lambda target of a rule would.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { EventBridgeEvent, LocalStack } from '@trapheus/local';
import { isTerminal, type RestoreVerifyingDetail, type Run } from '@trapheus/shared';
import { EXIT } from '../../packages/cli/src/exit-codes';
import { main } from '../../packages/cli/src/main';
import { assertIamClean, clientsFor, describe1, freshStack, runRestore } from './stack-helpers';

jest.setTimeout(120_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `trapheus <argv>` as a user runs it. */
const cli = async (cwd: string, argv: string[]) => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) }, cwd);
  return { code, out, err, text: err.join('\n') };
};

describe('VERIFYING on the local stack', () => {
  let stack: LocalStack;
  let cwd: string;
  let seen: RestoreVerifyingDetail[];

  beforeEach(async () => {
    cwd = mkdtempSync(join(tmpdir(), 'trapheus-verify-e2e-'));
    stack = await freshStack(600, { writeInfo: true, infoDir: cwd });
    seen = [];
    stack.bus.subscribe(stack.busName, { source: ['trapheus'], 'detail-type': ['RestoreVerifying'] }, (e) =>
      seen.push(e.detail as RestoreVerifyingDetail),
    );
  });
  afterEach(async () => {
    try {
      await assertIamClean(stack);
    } finally {
      await stack?.stop();
    }
  });

  const runOf = (runId: string) => clientsFor(stack).runs.get(runId);

  /** Polls the run until `pred` holds (real time; the stack runs at time scale 600). */
  const until = async (runId: string, pred: (r: Run) => boolean, what: string, ms = 60_000) => {
    const end = Date.now() + ms;
    let last: Run | undefined;
    while (Date.now() < end) {
      last = await runOf(runId);
      if (last && pred(last)) return last;
      await sleep(25);
    }
    throw new Error(`run ${runId} never ${what}: ${JSON.stringify(last?.history)}`);
  };
  const finished = (runId: string) =>
    until(runId, (r) => isTerminal(r.step) && !r.active, 'finished (outcome published)');

  /** A RestoreVerified put on the bus the way a hook Lambda would (raw Detail: may be malformed on purpose). */
  const putVerified = async (detail: unknown, accepted = true) => {
    const out = await clientsFor(stack).clients.eventBridge.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: stack.busName,
            Source: 'trapheus',
            DetailType: 'RestoreVerified',
            Detail: typeof detail === 'string' ? detail : JSON.stringify(detail),
          },
        ],
      }),
    );
    expect(out.FailedEntryCount ?? 0).toBe(accepted ? 0 : 1);
  };

  /** A hook Lambda targeted by a rule on RestoreVerifying: answers for `hook` on every run that expects it. */
  const hookLambda = (hook: string, answer: { ok: boolean; message: string }) =>
    stack.bus.subscribe(
      stack.busName,
      { source: ['trapheus'], 'detail-type': ['RestoreVerifying'], detail: { hooks: [hook] } },
      (e: EventBridgeEvent) => {
        const { runId } = e.detail as RestoreVerifyingDetail;
        void putVerified({ runId, hook, ...answer });
      },
    );

  it('two hooks both ok (one a hook Lambda by rule, one `trapheus verify`) → SUCCEEDED, the copy is the database', async () => {
    const { rds } = clientsFor(stack);
    const before = await describe1(rds, 'demo-db');
    hookLambda('health', { ok: true, message: 'orders table has rows' });

    const started = await runRestore(stack, {
      wait: false,
      verify: { hooks: ['masking', 'health'], timeoutMinutes: 600 },
    });
    expect(started.code).toBe(EXIT.SUCCEEDED);
    const runId = started.runId;
    const verifying = await until(
      runId,
      (r) => r.step === 'VERIFYING' && !!r.verification?.answers.health,
      'answered by health',
    );
    expect(verifying.verification?.answers.masking).toBeUndefined();
    // The original still serves under its name while the copy is checked (swap).
    expect((await describe1(rds, 'demo-db'))?.DbiResourceId).toBe(before?.DbiResourceId);

    const sent = await cli(cwd, [
      'verify',
      runId,
      '--hook',
      'masking',
      '--ok',
      '--message',
      'masked',
      '--local',
    ]);
    expect(sent.text).toContain('answer sent');
    expect(sent.code).toBe(EXIT.SUCCEEDED);

    const run = await finished(runId);
    expect(run.step).toBe('SUCCEEDED');
    expect(run.history.map((h) => h.step)).toEqual([
      'REQUESTED',
      'SNAPSHOTTING',
      'SNAPSHOT_READY',
      'RESTORING',
      'CONFIGURING',
      'VERIFYING',
      'SWAPPING',
      'CLEANING_UP',
      'SUCCEEDED',
    ]);
    expect(run.verification?.answers).toMatchObject({
      masking: { ok: true, message: 'masked' },
      health: { ok: true, message: 'orders table has rows' },
    });
    const after = await describe1(rds, 'demo-db');
    expect(after?.DbiResourceId).not.toBe(before?.DbiResourceId);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      runId,
      identifier: 'demo-db',
      kind: 'instance',
      copyIdentifier: run.copyIdentifier,
      engine: before?.Engine,
      snapshotIdentifier: run.snapshotIdentifier,
      hooks: ['masking', 'health'],
      endpoint: { port: before?.Endpoint?.Port },
    });
    expect(seen[0]?.endpoint.address).toContain(run.copyIdentifier);
    // A second answer once the run moved on: the CLI says so and sends nothing.
    const late = await cli(cwd, ['verify', runId, '--hook', 'masking', '--fail', 'x', '--local']);
    expect(late.code).toBe(EXIT.FAILED);
    expect(late.text).toContain('not VERIFYING');
  });

  it('one hook fails → ROLLED_BACK, the original under its name, exactly one alert naming the hook and its message', async () => {
    const { rds } = clientsFor(stack);
    const before = await describe1(rds, 'demo-db');
    hookLambda('masking', { ok: true, message: 'masked' });
    hookLambda('health', { ok: false, message: 'orders count is 0' });

    const started = await runRestore(stack, {
      wait: false,
      verify: { hooks: ['masking', 'health'], timeoutMinutes: 600 },
    });
    const run = await finished(started.runId);
    await stack.bus.whenIdle(20_000);

    expect(run.step).toBe('ROLLED_BACK');
    expect(run.failure).toMatchObject({
      step: 'VERIFYING',
      code: 'VerificationFailed',
      message: 'hook health: orders count is 0',
    });
    const now = await describe1(rds, 'demo-db');
    expect(now?.DbiResourceId).toBe(before?.DbiResourceId);
    expect(await describe1(rds, run.copyIdentifier ?? '')).toBeUndefined();
    const emails = await stack.ses.emails();
    expect(emails).toHaveLength(1);
    expect(emails[0]?.text).toContain('hook health: orders count is 0');
    expect(emails[0]?.text).toContain('VERIFICATION (VERIFYING)');
    expect(emails[0]?.text).toMatch(/health: FAILED — orders count is 0/);
    const posts = stack.slack.posts();
    expect(posts.map((p) => p.webhook).sort()).toEqual(['oncall', 'platform-alerts']);
    for (const post of posts) expect(JSON.stringify(post.body)).toContain('orders count is 0');
    const status = await cli(cwd, ['status', started.runId, '--local']);
    expect(status.out.join('\n')).toContain('health: FAILED — orders count is 0');
  });

  it('the timeout passes → ROLLED_BACK (VerificationTimedOut); an answer after it is ignored (run unchanged)', async () => {
    const { rds } = clientsFor(stack);
    const before = await describe1(rds, 'demo-db');
    // 1 minute at time scale 600 (VERIFY_TIME_SCALE): 0.1 s of real time.
    const started = await runRestore(stack, {
      wait: false,
      verify: { hooks: ['masking'], timeoutMinutes: 1 },
    });

    const run = await finished(started.runId);
    await stack.bus.whenIdle(20_000);
    expect(run.step).toBe('ROLLED_BACK');
    expect(run.history.map((h) => h.step)).toContain('VERIFYING');
    expect(run.failure).toMatchObject({ step: 'VERIFYING', code: 'VerificationTimedOut' });
    expect(run.failure?.message).toContain('no answer from hook masking within 1 minute');
    expect((await describe1(rds, 'demo-db'))?.DbiResourceId).toBe(before?.DbiResourceId);
    expect(seen.map((d) => d.runId)).toEqual([started.runId]);

    const settled = (await runOf(started.runId))!;
    await putVerified({ runId: started.runId, hook: 'masking', ok: true, message: 'too late' });
    await stack.bus.whenIdle(20_000);
    const after = (await runOf(started.runId))!;
    expect({ step: after.step, version: after.version, answers: after.verification?.answers }).toEqual({
      step: settled.step,
      version: settled.version,
      answers: {},
    });
    expect(stack.bus.dlqMessages('trapheus-restore-local')).toHaveLength(0);
  });

  it('an unknown hook, an unknown runId and a malformed body are ignored: nothing changes', async () => {
    const started = await runRestore(stack, {
      wait: false,
      verify: { hooks: ['masking'], timeoutMinutes: 600 },
    });
    const runId = started.runId;
    await until(
      runId,
      (r) => r.step === 'VERIFYING' && !!r.progress.verifyingPublishedAt,
      'reached VERIFYING',
    );

    await putVerified({ runId, hook: 'health', ok: false, message: 'not a hook of this run' });
    await putVerified({ runId: 'run-ffffffffffffffff', hook: 'masking', ok: false, message: 'no such run' });
    await putVerified({ runId, hook: 'masking', ok: 'no' });
    // Not JSON: EventBridge itself refuses it (MalformedDetail), as AWS does; JSON of the wrong shape reaches the
    // worker, which logs and drops it.
    await putVerified('{"runId":', false);
    await putVerified({ runId, hook: 'masking', ok: false, colour: 'blue' });
    // The CLI refuses what the worker would ignore (nothing sent).
    expect((await cli(cwd, ['verify', runId, '--hook', 'health', '--ok', '--local'])).code).toBe(EXIT.USAGE);
    expect(
      (await cli(cwd, ['verify', 'run-ffffffffffffffff', '--hook', 'masking', '--ok', '--local'])).code,
    ).toBe(EXIT.FAILED);
    expect((await cli(cwd, ['verify', runId, '--hook', 'masking', '--local'])).code).toBe(EXIT.USAGE);
    expect(
      (await cli(cwd, ['verify', runId, '--hook', 'masking', '--ok', '--fail', 'x', '--local'])).code,
    ).toBe(EXIT.USAGE);
    await sleep(1000);

    const still = (await runOf(runId))!;
    expect(still.step).toBe('VERIFYING');
    expect(still.verification?.answers).toEqual({});
    expect(await runOf('run-ffffffffffffffff')).toBeUndefined();
    expect(stack.bus.dlqMessages('trapheus-restore-local')).toHaveLength(0);

    // The real answer still counts.
    expect((await cli(cwd, ['verify', runId, '--hook', 'masking', '--ok', '--local'])).code).toBe(
      EXIT.SUCCEEDED,
    );
    expect((await finished(runId)).step).toBe('SUCCEEDED');
  });

  it('an Aurora cluster with one hook ok → SUCCEEDED; RestoreVerifying carries the copy cluster’s writer endpoint', async () => {
    hookLambda('smoke', { ok: true, message: 'select 1' });

    const started = await runRestore(stack, {
      identifier: 'demo-cluster',
      cluster: true,
      wait: false,
      verify: { hooks: ['smoke'], timeoutMinutes: 600 },
    });
    const run = await finished(started.runId);

    expect(run.step).toBe('SUCCEEDED');
    expect(run.history.map((h) => h.step)).toEqual(
      expect.arrayContaining(['CONFIGURING', 'VERIFYING', 'SWAPPING', 'CLEANING_UP']),
    );
    expect(run.verification?.answers.smoke).toMatchObject({ ok: true, message: 'select 1' });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ kind: 'cluster', copyIdentifier: run.copyIdentifier, hooks: ['smoke'] });
    expect(seen[0]?.endpoint.address).toContain(run.copyIdentifier);
    expect(seen[0]?.endpoint.port).toBeGreaterThan(0);
  });
});
