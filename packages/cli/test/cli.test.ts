import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { Run } from '@trapheus/shared';
import { mockClient } from 'aws-sdk-client-mock';
import { EXIT, EXIT_CODES, exitCodeFor, exitCodesMarkdown } from '../src/exit-codes';
import { parseEventFaults, refuseIfRunning } from '../src/local-commands';
import { buildProgram, commandPaths, explain, main } from '../src/main';
import { followRun } from '../src/restore';
import { describeRun } from '../src/runs-view';

const capture = () => {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
};

const tmp = () => mkdtempSync(join(tmpdir(), 'trapheus-cli-'));

const writeInfo = (cwd: string, content: string) => {
  mkdirSync(join(cwd, '.trapheus'), { recursive: true });
  writeFileSync(join(cwd, '.trapheus', 'local.json'), content);
};

/** A port nothing listens on (bound, read, closed). */
const closedPort = () =>
  new Promise<number>((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });

/** The pid of a process that has exited. */
const deadPid = () =>
  new Promise<number>((resolve) => {
    const child = spawn(process.execPath, ['-e', '0']);
    child.on('exit', () => resolve(child.pid ?? 999999));
  });

const infoJson = (url: string, pid?: number) =>
  JSON.stringify({
    stage: 'local',
    region: 'us-east-1',
    busName: 'trapheus-local',
    runsTable: 'trapheus-runs-local',
    endpoints: { rds: url, bus: url, dynamodb: url, ses: url, slack: url },
    ...(pid ? { pid } : {}),
  });

/** Every command that talks to a running local stack, as a user would type it. */
const LOCAL_COMMANDS = [
  ['restore', 'demo-db', '--local'],
  ['restore', 'demo-db', '--wait', '--local'],
  ['status', 'run-0123456789abcdef', '--local'],
  ['runs', '--local'],
  ['unlock', 'demo-db', '--local'],
  ['local', 'fault', '--reset'],
  ['local', 'outbox'],
];

const run = (over: Partial<Run>): Run => ({
  runId: 'run-0123456789abcdef',
  dbKey: 'instance#orders-db',
  identifier: 'orders-db',
  kind: 'instance',
  task: 'create_snapshot',
  snapshotIdentifier: 'orders-db-snapshot-01234567',
  step: 'REQUESTED',
  version: 1,
  createdAt: '2026-12-01T02:00:00.000Z',
  updatedAt: '2026-12-01T02:00:00.000Z',
  history: [{ step: 'REQUESTED', at: '2026-12-01T02:00:00.000Z' }],
  progress: {},
  ...over,
});

describe('trapheus CLI', () => {
  const eb = mockClient(EventBridgeClient);
  afterEach(() => eb.reset());
  afterAll(() => eb.restore());

  it('maps final steps to the documented exit codes, and documents each code once', () => {
    expect(
      (['SUCCEEDED', 'FAILED', 'ROLLED_BACK', 'REJECTED', 'CLEANUP_FAILED'] as const).map(exitCodeFor),
    ).toEqual([0, 1, 2, 3, 4]);
    expect(EXIT_CODES.map((e) => e.code)).toEqual([0, 1, 2, 3, 4, 64, 69, 70, 75]);
  });

  it("is the README's exit-code table (npm run docs:readme writes it)", () => {
    const readme = readFileSync(join(__dirname, '..', '..', '..', 'README.md'), 'utf8');
    expect(readme).toContain(
      `<!-- exit-codes:start -->\n\n${exitCodesMarkdown()}\n\n<!-- exit-codes:end -->`,
    );
  });

  it('refuses a bad identifier before sending anything, naming the field (exit 64)', async () => {
    const { io, err } = capture();

    const code = await main(['restore', 'orders_db', '--stage', 'dev'], io);

    expect(code).toBe(EXIT.USAGE);
    expect(err.join('\n')).toContain('nothing was sent');
    expect(err.join('\n')).toContain('field "identifier" must start with a letter');
    expect(eb.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('validates the request before looking for the target: a bad request is exit 64 even with no local stack', async () => {
    const { io, err } = capture();

    expect(await main(['restore', 'demo-db', '--task', 'db_restore', '--export', '--local'], io, tmp())).toBe(
      EXIT.USAGE,
    );
    expect(err.join('\n')).toContain(
      'field "export" applies to the snapshot tasks (create_snapshot, create_snapshot_only)',
    );
  });

  it('refuses an unknown task, listing the choices (exit 64, nothing sent)', async () => {
    const { io, err } = capture();

    expect(await main(['restore', 'orders-db', '--task', 'everything'], io)).toBe(EXIT.USAGE);
    expect(err.join('\n')).toContain(
      "option '--task <task>' argument 'everything' is invalid. Allowed choices are create_snapshot, db_restore, create_snapshot_only, clone_from, restore_copy, share_snapshot.",
    );
    expect(eb.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('refuses a stray argument instead of running the default task, and sends nothing', async () => {
    const { io, err } = capture();

    const code = await main(['restore', 'demo-db', 'db_restore', '--wait', '--stage', 'dev'], io);

    expect(code).toBe(EXIT.USAGE);
    expect(err).toEqual([
      "error: unexpected argument 'db_restore': trapheus restore takes <identifier> (did you mean --task db_restore?) (see `npx trapheus restore --help`)",
    ]);
    expect(eb.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('refuses an option of another command, and arguments a command does not take, pointing at its help', async () => {
    const { io, err } = capture();

    const codes = [
      await main(['runs', '--throttle', '0.5', '--task', 'x'], io),
      await main(['local', 'outbox', '--task', 'db_restore'], io),
      await main(['local', 'up', 'now'], io),
      await main(['restore', 'demo-db', '--local', '--stage', 'prod'], io),
    ];

    expect(codes).toEqual([64, 64, 64, 64]);
    expect(err).toEqual([
      "error: unknown option '--throttle' (see `npx trapheus runs --help`)",
      "error: unknown option '--task' (see `npx trapheus local outbox --help`)",
      "error: unexpected argument 'now': trapheus local up takes no arguments (see `npx trapheus local up --help`)",
      "error: option '--local' cannot be used with option '--stage <stage>' (see `npx trapheus restore --help`)",
    ]);
  });

  it('a restore to a point in time: --restore-time or --latest, never with --snapshot or each other (exit 64, nothing sent)', async () => {
    const { io, err } = capture();

    const codes = [
      await main(
        ['restore', 'demo-db', '--task', 'db_restore', '--restore-time', 'T', '--snapshot', 's'],
        io,
      ),
      await main(['restore', 'demo-db', '--task', 'db_restore', '--latest', '--snapshot', 's'], io),
      await main(['restore', 'demo-db', '--task', 'db_restore', '--latest', '--restore-time', 'T'], io),
      await main(['restore', 'demo-db', '--restore-time', '2026-12-01T02:00:00Z', '--local'], io),
      await main(
        ['restore', 'demo-db', '--task', 'db_restore', '--restore-time', 'yesterday', '--local'],
        io,
      ),
    ];

    expect(codes).toEqual([64, 64, 64, 64, 64]);
    expect(err).toEqual([
      "error: option '--restore-time <time>' cannot be used with option '--snapshot <id>' (see `npx trapheus restore --help`)",
      "error: option '--latest' cannot be used with option '--snapshot <id>' (see `npx trapheus restore --help`)",
      "error: option '--restore-time <time>' cannot be used with option '--latest' (see `npx trapheus restore --help`)",
      'trapheus restore: invalid request, nothing was sent: field "restoreTime" applies to tasks db_restore and restore_copy (a restore to a point in time), not create_snapshot',
      'trapheus restore: invalid request, nothing was sent: field "restoreTime" must be an ISO 8601 time with a zone, e.g. 2026-12-01T02:00:00Z',
    ]);
    expect(eb.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('says what is missing when restore has no identifier (exit 64)', async () => {
    const { io, err } = capture();

    expect(await main(['restore'], io)).toBe(EXIT.USAGE);
    expect(err).toEqual([
      "error: missing required argument 'identifier' (see `npx trapheus restore --help`)",
    ]);
  });

  it('reports a PutEvents rejection with its code and the target it used (exit 69)', async () => {
    eb.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [
        { ErrorCode: 'ResourceNotFoundException', ErrorMessage: 'Event bus trapheus-dev does not exist.' },
      ],
    });
    const { io, err } = capture();

    const code = await main(['restore', 'orders-db', '--stage', 'dev'], io);

    expect(code).toBe(EXIT.UNAVAILABLE);
    expect(err.at(-1)).toContain(
      'trapheus: PutEvents rejected the request: ResourceNotFoundException Event bus trapheus-dev does not exist. (is Trapheus deployed to this stage and region? --stage dev',
    );
    expect(eb.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0]).toMatchObject({
      EventBusName: 'trapheus-dev',
      Source: 'trapheus',
      DetailType: 'RestoreRequested',
    });
  });

  it('restore --verify asks for the named hooks in the request it sends, and validates them first', async () => {
    eb.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'X', ErrorMessage: 'stop here' }],
    });
    const { io, err } = capture();

    await main(
      ['restore', 'orders-db', '--verify', 'masking, smoke', '--verify-timeout', '30', '--stage', 'dev'],
      io,
    );
    const refused = await main(['restore', 'orders-db', '--verify', 'masking,masking', '--stage', 'dev'], io);

    const details = eb
      .commandCalls(PutEventsCommand)
      .map((c) => JSON.parse(c.args[0].input.Entries?.[0]?.Detail ?? '{}') as { verify?: unknown });
    expect(details.map((d) => d.verify)).toEqual([{ hooks: ['masking', 'smoke'], timeoutMinutes: 30 }]);
    expect(refused).toBe(EXIT.USAGE);
    expect(err.join('\n')).toContain('field "verify.hooks');
  });

  it('restore --master-password-secret-arn names the secret in the request, validated before sending', async () => {
    eb.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'X', ErrorMessage: 'stop here' }],
    });
    const { io, err } = capture();
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:staging/db-master-AbC123';

    await main(['restore', 'orders-db', '--master-password-secret-arn', arn, '--stage', 'dev'], io);
    const refused = await main(
      ['restore', 'orders-db', '--master-password-secret-arn', 'staging/db', '--stage', 'dev'],
      io,
    );

    const details = eb
      .commandCalls(PutEventsCommand)
      .map(
        (c) =>
          JSON.parse(c.args[0].input.Entries?.[0]?.Detail ?? '{}') as { masterPasswordSecretArn?: string },
      );
    expect(details.map((d) => d.masterPasswordSecretArn)).toEqual([arn]);
    expect(refused).toBe(EXIT.USAGE);
    expect(err.join('\n')).toContain('field "masterPasswordSecretArn"');
  });

  it('restore --export asks for the S3 export in the request it sends', async () => {
    eb.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'X', ErrorMessage: 'stop here' }],
    });
    const { io } = capture();

    await main(['restore', 'orders-db', '--export', '--stage', 'dev'], io);
    await main(['restore', 'orders-db', '--stage', 'dev'], io);

    const details = eb
      .commandCalls(PutEventsCommand)
      .map((c) => JSON.parse(c.args[0].input.Entries?.[0]?.Detail ?? '{}') as { export?: boolean });
    expect(details.map((d) => d.export)).toEqual([true, undefined]);
  });

  it('status shows the S3 export beside the run, with where the data lands', () => {
    const text = describeRun(
      run({
        step: 'SUCCEEDED',
        ...{
          export: {
            status: 'failed',
            v: 3,
            taskId: 'trapheus-0123456789abcdef',
            snapshotIdentifier: 'orders-db-snapshot-01234567',
            s3Bucket: 'exports',
            s3Prefix: 'instance/orders-db',
            requestedAt: '2026-12-01T02:00:00.000Z',
            rdsStatus: 'FAILED',
            failureCause: 'KMS key disabled',
            deadline: '2026-12-02T02:00:00.000Z',
            checkSeq: 2,
            attempt: 1,
            nextCheckAt: '2026-12-01T02:05:00.000Z',
          },
        },
      }),
      '--local',
    );

    expect(text).toContain(
      'export: failed (RDS FAILED), task trapheus-0123456789abcdef → s3://exports/instance/orders-db/trapheus-0123456789abcdef/; KMS key disabled',
    );
  });

  it('prints the usage and the exit codes for --help and -h (exit 0), and the usage with exit 64 when no command is given', async () => {
    for (const flag of ['--help', '-h']) {
      const { io, out } = capture();
      expect(await main([flag], io)).toBe(0);
      expect(out.join('\n')).toContain('Usage: trapheus <command> [options]');
      for (const { code, meaning } of EXIT_CODES) expect(out.join('\n')).toContain(`${code}  ${meaning}`);
    }
    const { io, err } = capture();
    expect(await main([], io)).toBe(EXIT.USAGE);
    expect(err.join('\n')).toContain('Usage: trapheus <command> [options]');
  });

  it('gives every command its own help: its options with their defaults and an example', async () => {
    const { io: quiet } = capture();
    const paths = commandPaths(buildProgram(quiet, tmp(), () => undefined));
    expect(paths).toEqual([
      'restore',
      'status',
      'runs',
      'unlock',
      'demo',
      'local up',
      'local fault',
      'local outbox',
      'plan',
      'schedules',
      'verify',
      'ui',
    ]);
    for (const path of paths) {
      const { io, out } = capture();
      expect(await main([...path.split(' '), '--help'], io)).toBe(0);
      const help = out.join('\n');
      expect(help).toContain(`Usage: trapheus ${path} [options]`);
      expect(help).toMatch(new RegExp(`\\$ npx trapheus ${path} `));
      expect(help).not.toContain('Commands:');
    }
    const { io, out } = capture();
    await main(['restore', '--help'], io);
    const help = out.join('\n').replace(/\s+/g, ' '); // as read, whatever the wrapping
    expect(help).toContain('default: "create_snapshot"');
    expect(help).toContain('default: "swap"');
    expect(help).toContain('default: "dev"');
    expect(help).toContain('75 timed out waiting');
  });

  it('an error that is not about the target is an internal error (exit 70); AWS errors name the target (exit 69)', () => {
    expect(explain(new TypeError('x is undefined'), {}).exitCode).toBe(EXIT.INTERNAL);
    const notFound = Object.assign(new Error('Requested resource not found'), {
      name: 'ResourceNotFoundException',
      $metadata: {},
    });
    const e = explain(notFound, { stage: 'prod' });
    expect(e.exitCode).toBe(EXIT.UNAVAILABLE);
    expect(e.message).toContain('is Trapheus deployed to stage prod');
    expect(explain(new Error('Could not load credentials from any providers'), {}).message).toContain(
      'add --local',
    );
  });

  describe('the local stack file and a dead stack', () => {
    it('explains how to start the local stack when --local finds none, for every command (exit 69)', async () => {
      const cwd = tmp();
      for (const argv of LOCAL_COMMANDS) {
        const { io, err } = capture();
        expect(await main(argv, io, cwd)).toBe(EXIT.UNAVAILABLE);
        expect(err.join('\n')).toMatch(
          /no local stack found \(.*local\.json is missing\): start one with `npx trapheus local up`/,
        );
      }
    });

    it('names the file, the cause and the fix for a corrupt local.json, for every command (exit 69)', async () => {
      const cwd = tmp();
      for (const argv of LOCAL_COMMANDS) {
        writeInfo(cwd, '{"stage": "local", "region": ');
        const { io, err } = capture();
        expect(await main(argv, io, cwd)).toBe(EXIT.UNAVAILABLE);
        const text = err.join('\n');
        expect(text).toContain(`${join(cwd, '.trapheus', 'local.json')} is not valid JSON`);
        expect(text).toContain(
          `delete it (rm ${join(cwd, '.trapheus', 'local.json')}) and start the stack again`,
        );
      }
      // `local up` and `demo` start a stack of their own: a damaged file names no live stack, so it is replaced.
      const notes: string[] = [];
      writeInfo(cwd, '{"stage": ');
      expect(() => refuseIfRunning(cwd, { err: (l) => notes.push(l) })).not.toThrow();
      expect(notes[0]).toContain('is not valid JSON');
      expect(notes[0]).toContain('the new stack replaces it');
      writeInfo(cwd, infoJson('http://127.0.0.1:1', process.pid));
      expect(() => refuseIfRunning(cwd, { err: () => undefined })).not.toThrow(); // its own pid
      writeInfo(cwd, JSON.stringify({ stage: 'local' }));
      const { io, err } = capture();
      expect(await main(['runs', '--local'], io, cwd)).toBe(EXIT.UNAVAILABLE);
      expect(err.join('\n')).toContain('is damaged (field region:');
    });

    it('reports a stack whose process is gone, for every command, and removes its stale file (exit 69)', async () => {
      const cwd = tmp();
      const pid = await deadPid();
      const url = `http://127.0.0.1:${await closedPort()}`;
      for (const argv of LOCAL_COMMANDS) {
        writeInfo(cwd, infoJson(url, pid));
        const { io, err } = capture();
        expect(await main(argv, io, cwd)).toBe(EXIT.UNAVAILABLE);
        expect(err.join('\n')).toContain(
          `the local stack (pid ${pid}) is not running any more (its ${join(cwd, '.trapheus', 'local.json')} was left behind and is now removed): start one with \`npx trapheus local up\``,
        );
      }
    });

    it('reports a stack that does not answer (its process lives on), for every command, naming the endpoint (exit 69)', async () => {
      const cwd = tmp();
      const url = `http://127.0.0.1:${await closedPort()}`;
      writeInfo(cwd, infoJson(url, process.pid));
      for (const argv of LOCAL_COMMANDS) {
        const { io, err } = capture();
        expect(await main(argv, io, cwd)).toBe(EXIT.UNAVAILABLE);
        const text = err.join('\n');
        expect(text).toContain(`is not answering (rds at ${url}, bus at ${url}`);
        expect(text).toContain('start one with `npx trapheus local up`');
        expect(text).not.toContain('fetch failed');
      }
    });
  });

  describe('hints you can copy', () => {
    it('a rejected run suggests the command with the flag, not the event field, and the target', () => {
      const rejected = run({
        step: 'REJECTED',
        reason:
          'DB instance demo-cluster not found (a DB cluster demo-cluster exists: request it as a cluster)',
        remedy: { action: 'restore', identifier: 'demo-cluster', isCluster: true, task: 'create_snapshot' },
      });

      const text = describeRun(rejected, '--stage prod');

      expect(text).toContain(
        'next: npx trapheus restore demo-cluster --cluster --task create_snapshot --stage prod',
      );
      expect(text).not.toContain('isCluster');
    });

    it('a FAILED run that holds its lock suggests unlock with the target, once a person has looked', () => {
      const failed = run({ step: 'FAILED', progress: { needsPerson: true } });

      expect(describeRun(failed, '--local')).toContain(
        'next (once a person has sorted the database out): npx trapheus unlock orders-db --local',
      );
    });

    it('a ROLLED_BACK run suggests the same restore again once the cause is fixed', () => {
      const rolledBack = run({
        step: 'ROLLED_BACK',
        kind: 'cluster',
        task: 'db_restore',
        snapshotIdentifier: 'nightly',
      });

      expect(describeRun(rolledBack, '--stage dev')).toContain(
        'next (once the cause is fixed): npx trapheus restore orders-db --cluster --task db_restore --snapshot nightly --stage dev',
      );
    });
  });

  describe('--wait progress on stderr', () => {
    const waiting = run({
      step: 'RESTORING',
      history: [
        { step: 'REQUESTED', at: '2026-12-01T02:00:00.000Z' },
        { step: 'RESTORING', at: '2026-12-01T02:00:03.000Z' },
      ],
      wait: {
        resourceType: 'db-instance',
        identifier: 'orders-db-tc-01234567',
        target: 'available',
        since: '2026-12-01T02:00:03.000Z',
        deadline: '2026-12-01T03:30:00.000Z',
        checkSeq: 1,
        attempt: 0,
        nextCheckAt: '2026-12-01T02:01:00.000Z',
      },
      active: 'Y',
    });
    const done = run({
      ...waiting,
      step: 'SUCCEEDED',
      wait: undefined,
      active: undefined,
      history: [...waiting.history, { step: 'SUCCEEDED', at: '2026-12-01T02:00:09.000Z' }],
    });
    /** A run repository that shows the run waiting `polls` times, then done. */
    const repo = (polls: number) => {
      let n = 0;
      return { get: async () => (n++ < polls ? waiting : done) };
    };
    const stream = (isTTY: boolean) => {
      const chunks: string[] = [];
      return { chunks, stream: { isTTY, write: (c: string) => chunks.push(c) } };
    };

    it('draws a spinner line on a terminal, with the step, what it waits for and its deadline', async () => {
      const { chunks, stream: errStream } = stream(true);
      const { io } = capture();

      const code = await followRun(
        repo(3),
        done.runId,
        { pollMs: 1 },
        { ...io, errStream, env: {} },
        '--local',
      );

      expect(code).toBe(EXIT.SUCCEEDED);
      const spinnerLines = chunks.filter((c) => c.startsWith('\r\x1b[2K') && c.includes('waiting for'));
      expect(spinnerLines.length).toBeGreaterThanOrEqual(3);
      expect(spinnerLines[0]?.startsWith('\r\x1b[2K')).toBe(true);
      expect(spinnerLines[0]?.slice(5)).toMatch(
        /^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] {3}RESTORING · \d+s · waiting for db-instance orders-db-tc-01234567 to be available \(deadline 03:30:00 UTC, in \d+s\)$/,
      );
      expect(chunks.join('')).toContain('SUCCEEDED (RESTORING took 6.0s)');
    });

    it('cuts the spinner line to the terminal width, so redrawing never leaves wrapped rows behind', async () => {
      const { chunks, stream: errStream } = stream(true);
      const { io } = capture();

      await followRun(
        repo(2),
        done.runId,
        { pollMs: 1 },
        { ...io, errStream: { ...errStream, columns: 40 }, env: {} },
        '--local',
      );

      const spinnerLines = chunks.filter((c) => c.includes('RESTORING ·'));
      expect(spinnerLines.length).toBeGreaterThan(0);
      for (const line of spinnerLines) expect(line.replace('\r\x1b[2K', '').length).toBeLessThan(40);
      expect(spinnerLines[0]?.endsWith('…')).toBe(true);
    });

    it('prints plain lines when stderr is not a terminal or CI is set: each wait once, no escape codes', async () => {
      for (const [isTTY, env] of [
        [false, {}],
        [true, { CI: 'true' }],
      ] as const) {
        const { chunks, stream: errStream } = stream(isTTY);
        const { io } = capture();

        expect(
          await followRun(repo(5), done.runId, { pollMs: 1 }, { ...io, errStream, env }, '--local'),
        ).toBe(0);

        const text = chunks.join('');
        expect(text).not.toContain('\x1b');
        expect(text.match(/waiting for db-instance orders-db-tc-01234567/g)).toHaveLength(1);
        expect(text.split('\n').filter(Boolean)).toEqual([
          '[   0.0s] REQUESTED',
          '[   3.0s] RESTORING (REQUESTED took 3.0s)',
          expect.stringMatching(
            /^ {2}RESTORING · \d+s · waiting for db-instance .* to be available \(deadline 03:30:00 UTC, in \d+s\)$/,
          ),
          '[   9.0s] SUCCEEDED (RESTORING took 6.0s)',
        ]);
      }
    });

    it('stops waiting at --timeout with exit 75 and a copyable command that carries the target', async () => {
      const { io, err } = capture();

      const code = await followRun(
        { get: async () => waiting },
        waiting.runId,
        { pollMs: 5, waitTimeoutSeconds: 0.05 },
        io,
        '--stage prod',
      );

      expect(code).toBe(EXIT.TIMEOUT);
      expect(err.at(-1)).toContain(
        `follow it with \`npx trapheus status ${waiting.runId} --wait --stage prod\``,
      );
    });
  });

  it('parses event fault settings and rejects bad ones by name', () => {
    expect(parseEventFaults('drop=0.5,duplicate=0.1,reorder=0.2,delay=300')).toEqual({
      drop: 0.5,
      duplicate: 0.1,
      reorder: 0.2,
      delayMs: 300,
    });
    expect(() => parseEventFaults('drop=2')).toThrow('--events: drop is a probability between 0 and 1');
    expect(() => parseEventFaults('lose=0.1')).toThrow('--events: unknown key "lose"');
  });

  it('refuses bad fault settings as usage errors (exit 64), naming the option', async () => {
    const server = await import('node:http').then(({ createServer: http }) => http((_q, r) => r.end('{}')));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const cwd = tmp();
    writeInfo(cwd, infoJson(`http://127.0.0.1:${(server.address() as { port: number }).port}`, process.pid));
    const { io, err } = capture();

    const codes = [
      await main(['local', 'fault', '--events', 'drop=2'], io, cwd),
      await main(['local', 'fault', '--throttle', '7'], io, cwd),
      await main(['local', 'fault', '--operation', 'DropDatabase', '--error', 'X'], io, cwd),
      await main(['local', 'fault'], io, cwd),
    ];
    server.close();

    expect(codes).toEqual([64, 64, 64, 64]);
    expect(err[0]).toBe('trapheus: trapheus local fault: --events: drop is a probability between 0 and 1');
    expect(err[1]).toContain('--throttle is a probability between 0 and 1');
    expect(err[2]).toContain('unknown RDS operation DropDatabase');
    expect(err[3]).toContain('give --operation with --error or --status');
  });

  it('sends fault commands to the local RDS simulator control endpoint', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'trapheus-cli-'));
    const bodies: { url: string; body: unknown }[] = [];
    const { createServer } = await import('node:http');
    const server = createServer((req, res) => {
      let data = '';
      req.on('data', (c) => {
        data += c;
      });
      req.on('end', () => {
        bodies.push({ url: req.url ?? '', body: JSON.parse(data || '{}') });
        res.end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    mkdirSync(join(cwd, '.trapheus'));
    const url = `http://127.0.0.1:${port}`;
    writeFileSync(
      join(cwd, '.trapheus', 'local.json'),
      JSON.stringify({
        stage: 'local',
        region: 'us-east-1',
        busName: 'b',
        runsTable: 't',
        endpoints: { rds: url, bus: url, dynamodb: url, ses: url, slack: url },
      }),
    );
    const { io } = capture();

    await main(
      [
        'local',
        'fault',
        '--operation',
        'RestoreDBInstanceFromDBSnapshot',
        '--identifier',
        'demo-db',
        '--error',
        'InsufficientDBInstanceCapacity',
      ],
      io,
      cwd,
    );
    await main(['local', 'fault', '--events', 'drop=1'], io, cwd);
    await main(['local', 'fault', '--operation', 'DeleteDBInstance', '--status', 'failed'], io, cwd);
    server.close();

    expect(bodies).toEqual([
      {
        url: '/_sim/faults',
        body: {
          kind: 'api-error',
          operation: 'RestoreDBInstanceFromDBSnapshot',
          code: 'InsufficientDBInstanceCapacity',
          identifier: 'demo-db',
        },
      },
      { url: '/_sim/events', body: { drop: 1 } },
      {
        url: '/_sim/faults',
        body: { kind: 'async-failure', operation: 'DeleteDBInstance', status: 'failed' },
      },
    ]);
  });
});
