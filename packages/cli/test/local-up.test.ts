/**
 * `trapheus local up --rds-endpoint URL` (or AWS_ENDPOINT_URL_RDS): the real CLI, spawned in a fresh folder, runs
 * its stack against a second RDS simulator started here (standing in for moto or LocalStack). The stack's
 * Lambda functions must send their RDS calls there, local.json must say RDS is external, and `local fault`
 * must refuse (only the built-in simulator has fault routes).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { DEMO_INSTANCE, type RdsSimulator, startRdsSimulator } from '@trapheus/local';
import { externalRdsEndpoint } from '../src/local-commands';

const BIN = resolve(__dirname, '..', 'bin', 'trapheus.js');
const TIME_SCALE = '200';

interface Cli {
  proc: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

const children = new Set<ChildProcess>();
const folders: string[] = [];
const servers: RdsSimulator[] = [];

/** The CLI's environment: this process's, with AWS_ENDPOINT_URL_RDS only when a test sets it. */
const cliEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
  const { AWS_ENDPOINT_URL_RDS: _ignored, ...env } = process.env;
  return { ...env, ...extra };
};

const startCli = (args: string[], cwd: string, env: NodeJS.ProcessEnv = cliEnv()): Cli => {
  const proc = spawn(process.execPath, [BIN, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(proc);
  let out = '';
  let err = '';
  proc.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  proc.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<number | null>((done) =>
    proc.once('exit', (code) => {
      children.delete(proc);
      done(code);
    }),
  );
  return { proc, stdout: () => out, stderr: () => err, exited };
};

const runCli = async (args: string[], cwd: string, env?: NodeJS.ProcessEnv) => {
  const cli = startCli(args, cwd, env);
  const code = await cli.exited;
  return { code, stdout: cli.stdout(), stderr: cli.stderr() };
};

const freshFolder = () => {
  const dir = mkdtempSync(join(tmpdir(), 'trapheus-local-up-'));
  folders.push(dir);
  return dir;
};

interface LocalJson {
  endpoints: { rds: string };
  rdsExternal?: boolean;
  pid: number;
}

/** Waits for `<cwd>/.trapheus/local.json` (complete JSON) while the CLI runs; fails with its output if it exits. */
const waitForInfo = async (cli: Cli, cwd: string, timeoutMs = 20_000): Promise<LocalJson> => {
  const file = join(cwd, '.trapheus', 'local.json');
  let exitCode: number | null | undefined;
  void cli.exited.then((code) => {
    exitCode = code;
  });
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (exitCode !== undefined)
      throw new Error(`local up exited ${exitCode} before writing ${file}:\n${cli.stderr()}${cli.stdout()}`);
    if (existsSync(file)) {
      try {
        return JSON.parse(readFileSync(file, 'utf8')) as LocalJson;
      } catch {
        // caught between create and write: read again
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no ${file} after ${timeoutMs} ms:\n${cli.stderr()}${cli.stdout()}`);
};

/** The CLI's stdout once it contains `text` (it writes local.json before it prints its summary); fails after the timeout. */
const stdoutWith = async (cli: Cli, text: string, timeoutMs = 10_000): Promise<string> => {
  const until = Date.now() + timeoutMs;
  while (!cli.stdout().includes(text)) {
    if (Date.now() > until)
      throw new Error(`no "${text}" in the output after ${timeoutMs} ms:\n${cli.stdout()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return cli.stdout();
};

const stopCli = async (cli: Cli) => {
  cli.proc.kill('SIGTERM');
  return cli.exited;
};

/** A port nothing listens on (bound, then released). */
const closedPort = () =>
  new Promise<number>((done) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => done(port));
    });
  });

/** A second simulator, independent of the CLI's stack: no events reach the stack from it. */
const secondRds = async () => {
  const sim = await startRdsSimulator({ timeScale: Number(TIME_SCALE) });
  servers.push(sim);
  sim.seedInstance(DEMO_INSTANCE);
  const client = new RDSClient({
    region: 'us-east-1',
    endpoint: sim.url,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const describe = async (id: string) =>
    (await client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances?.[0];
  return { sim, describe };
};

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  for (const sim of servers) await sim.stop().catch(() => undefined);
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

describe('trapheus local up with an external RDS endpoint', () => {
  it('runs a restore against the given endpoint, records rdsExternal, refuses faults, cleans up on SIGTERM', async () => {
    const { sim, describe: describeDb } = await secondRds();
    const before = await describeDb('demo-db');
    const cwd = freshFolder();
    const up = startCli(['local', 'up', '--rds-endpoint', sim.url, '--time-scale', TIME_SCALE], cwd);

    const info = await waitForInfo(up, cwd);

    expect(info.endpoints.rds).toBe(sim.url);
    expect(info.rdsExternal).toBe(true);
    expect(info.pid).toBe(up.proc.pid);
    const saidFlag = `RDS: ${sim.url} (from --rds-endpoint)`;
    await stdoutWith(up, saidFlag); // fails the test when the line never comes

    const run = await runCli(['restore', 'demo-db', '--wait', '--local', '--timeout', '120'], cwd);

    if (run.code !== 0) throw new Error(`restore exited ${run.code}:\n${run.stderr}`);
    const counts = sim.callCounts();
    expect(counts.CreateDBSnapshot).toBeGreaterThanOrEqual(1);
    expect(counts.RestoreDBInstanceFromDBSnapshot).toBeGreaterThanOrEqual(1);
    // Signed by the stack's Lambda functions (each signs with its deployed name), not by this test.
    const restoreCalls = sim.callLog().filter((c) => c.action === 'RestoreDBInstanceFromDBSnapshot');
    expect(restoreCalls.map((c) => c.accessKeyId)).toEqual(
      restoreCalls.map(() => expect.stringMatching(/^trapheus-.+-local-/)),
    );
    const after = await describeDb('demo-db');
    expect(after?.DBInstanceStatus).toBe('available');
    expect(after?.DbiResourceId).toEqual(expect.any(String));
    expect(after?.DbiResourceId).not.toBe(before?.DbiResourceId);

    const fault = await runCli(['local', 'fault', '--reset'], cwd);

    expect(fault.code).toBe(64); // usage: not with this stack
    expect(fault.stderr).toContain(`sends RDS calls to ${sim.url}, an external endpoint`);
    expect(fault.stderr).toContain('fault injection needs the built-in simulator');

    expect(await stopCli(up)).toBe(0);
    expect(existsSync(join(cwd, '.trapheus', 'local.json'))).toBe(false);
  }, 60_000);

  it('takes AWS_ENDPOINT_URL_RDS when --rds-endpoint is absent, and refuses an endpoint nothing answers', async () => {
    const { sim } = await secondRds();
    const cwd = freshFolder();
    const up = startCli(
      ['local', 'up', '--time-scale', TIME_SCALE],
      cwd,
      cliEnv({ AWS_ENDPOINT_URL_RDS: sim.url }),
    );

    const info = await waitForInfo(up, cwd);

    expect(info.endpoints.rds).toBe(sim.url);
    expect(info.rdsExternal).toBe(true);
    const saidEnv = `RDS: ${sim.url} (from AWS_ENDPOINT_URL_RDS)`;
    await stdoutWith(up, saidEnv); // fails the test when the line never comes
    expect(await stopCli(up)).toBe(0);

    const closed = `http://127.0.0.1:${await closedPort()}`;
    const refused = await runCli(['local', 'up', '--rds-endpoint', closed], freshFolder());

    expect(refused.code).toBe(69); // the target did not answer
    expect(refused.stderr).toContain(`--rds-endpoint: nothing answers at ${closed}`);
    expect(refused.stderr).toContain('start that server first');
  }, 40_000);

  it('takes only an http(s) URL, naming where the bad value came from', () => {
    expect(externalRdsEndpoint({}, {})).toBeUndefined();
    expect(externalRdsEndpoint({}, { AWS_ENDPOINT_URL_RDS: '' })).toBeUndefined();
    expect(externalRdsEndpoint({ 'rds-endpoint': 'http://127.0.0.1:5000/' }, {})).toEqual({
      url: 'http://127.0.0.1:5000',
      source: '--rds-endpoint',
    });
    // The flag wins over the variable.
    expect(
      externalRdsEndpoint({ 'rds-endpoint': 'https://rds.local:4566' }, { AWS_ENDPOINT_URL_RDS: 'x' }),
    ).toEqual({ url: 'https://rds.local:4566', source: '--rds-endpoint' });
    expect(() => externalRdsEndpoint({ 'rds-endpoint': 'localhost:5000' }, {})).toThrow(
      /^--rds-endpoint: "localhost:5000" is not an http\(s\) URL/,
    );
    expect(() => externalRdsEndpoint({ 'rds-endpoint': '' }, {})).toThrow(/^--rds-endpoint: needs a URL/);
    expect(() => externalRdsEndpoint({}, { AWS_ENDPOINT_URL_RDS: 'ftp://127.0.0.1:21' })).toThrow(
      /^AWS_ENDPOINT_URL_RDS: "ftp:\/\/127.0.0.1:21" is not an http\(s\) URL/,
    );
  });
});
