/** `trapheus local …` and `trapheus demo`: the local stack from the command line. */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join, resolve } from 'node:path';
import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { buildRunRepository, captureInstance, configurationDrift, createAwsClients } from '@trapheus/shared';
import { printDemoMetrics } from './demo-metrics';
import { CliError, EXIT } from './exit-codes';
import type { Io } from './restore';
import { restore } from './restore';
import { isAlive, LOCAL_INFO_FILE, readLocalInfo, targetForStack } from './target';

type Values = Record<string, string | boolean | undefined>;

/**
 * Where the services' serverless.yml files are read from: the repository root (packages/cli/src → root),
 * whatever the working directory. `.trapheus/local.json` still goes to the working directory.
 */
const REPO_ROOT = resolve(__dirname, '..', '..', '..');

const postJson = async (url: string, body: unknown) => {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) {
    throw new CliError(
      `the simulator refused ${url}: ${res.status} ${text}`,
      res.status < 500 ? EXIT.USAGE : EXIT.UNAVAILABLE,
    );
  }
  return text;
};

/** The RDS actions the local simulator answers (the ones the services call). */
export const SIMULATED_OPERATIONS = [
  'AddTagsToResource',
  'CopyDBClusterSnapshot',
  'CopyDBSnapshot',
  'CreateDBCluster',
  'CreateDBClusterSnapshot',
  'CreateDBInstance',
  'CreateDBSnapshot',
  'DeleteDBCluster',
  'DeleteDBClusterSnapshot',
  'DeleteDBInstance',
  'DeleteDBSnapshot',
  'DescribeDBClusterSnapshots',
  'DescribeDBClusters',
  'DescribeDBInstances',
  'DescribeDBSnapshots',
  'ListTagsForResource',
  'ModifyDBCluster',
  'ModifyDBClusterSnapshotAttribute',
  'ModifyDBInstance',
  'ModifyDBSnapshotAttribute',
  'RemoveTagsFromResource',
  'RestoreDBClusterFromSnapshot',
  'RestoreDBClusterToPointInTime',
  'RestoreDBInstanceFromDBSnapshot',
  'RestoreDBInstanceToPointInTime',
];

/** `drop=0.5,duplicate=0.1,reorder=0.2,delay=300` → event fault settings. */
export const parseEventFaults = (spec: string) => {
  const out: Record<string, number> = {};
  for (const part of spec.split(',').filter(Boolean)) {
    const [key, raw] = part.split('=');
    const value = Number(raw);
    if (!key || raw === undefined || Number.isNaN(value))
      throw new Error(`--events: bad item "${part}" (want key=number)`);
    if (key === 'delay') out.delayMs = value;
    else if (['drop', 'duplicate', 'reorder'].includes(key)) {
      if (value < 0 || value > 1) throw new Error(`--events: ${key} is a probability between 0 and 1`);
      out[key] = value;
    } else throw new Error(`--events: unknown key "${key}" (drop, duplicate, reorder, delay)`);
  }
  return out;
};

/** Loaded on demand: `restore`, `status` and `runs` need none of the local stack. */
const loadStack = async () =>
  (require('@trapheus/local') as typeof import('@trapheus/local')).startLocalStack;

const timeScaleOf = (values: Values) => {
  const ts = values['time-scale'] === undefined ? 60 : Number(values['time-scale']);
  if (!Number.isFinite(ts) || ts <= 0)
    throw new CliError('--time-scale must be a positive number', EXIT.USAGE);
  return ts;
};

const describeDb = async (rds: RDSClient, id: string) =>
  (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances?.[0];

/** `trapheus demo`: stack up, a create_snapshot restore of demo-db, checks, summary, shutdown. */
const demo = async (values: Values, io: Io, cwd: string): Promise<number> => {
  const started = Date.now();
  refuseIfRunning(cwd, io);
  const startLocalStack = await loadStack();
  const timeScale = timeScaleOf(values);
  io.err(`starting the local stack (time scale ${timeScale}×)…`);
  // The demo is the no-setup path: always the built-in RDS simulator, whatever AWS_ENDPOINT_URL_RDS says.
  const stack = await startLocalStack({ rootDir: REPO_ROOT, infoDir: cwd, timeScale, writeInfo: true });
  try {
    const rds = new RDSClient({
      region: stack.region,
      endpoint: stack.endpoints.rds,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const before = await describeDb(rds, 'demo-db');
    if (!before) throw new Error('demo-db was not seeded');
    io.err(
      `demo-db: ${before.DBInstanceClass}, Multi-AZ ${before.MultiAZ}, parameter group ${before.DBParameterGroups?.[0]?.DBParameterGroupName}, deletion protection ${before.DeletionProtection}`,
    );
    const lines: string[] = [];
    const code = await restore(
      targetForStack(stack),
      {
        identifier: 'demo-db',
        cluster: false,
        task: 'create_snapshot',
        wait: true,
        acceptTimeoutSeconds: 30,
        waitTimeoutSeconds: 120,
        pollMs: 200,
      },
      { ...io, out: (l) => lines.push(l) },
    );
    const runId = lines.at(-1) ?? '';
    const after = await describeDb(rds, 'demo-db');
    const drift = after ? configurationDrift(captureInstance(before), after) : ['demo-db missing'];
    const leftovers = stack.rds
      .snapshotState()
      .instances.filter((i) => !i.DBClusterIdentifier)
      .map((i) => String(i.DBInstanceIdentifier))
      .filter((id) => id !== 'demo-db');
    const checks = [
      { ok: code === 0, what: 'the run SUCCEEDED' },
      {
        ok: !!after && after.DbiResourceId !== before.DbiResourceId,
        what: 'demo-db is a new instance restored from the snapshot',
      },
      {
        ok: drift.length === 0,
        what: `demo-db kept its configuration${drift.length ? ` (drift: ${drift.join('; ')})` : ''}`,
      },
      {
        ok: leftovers.length === 0,
        what: `no temp instance remains${leftovers.length ? ` (found ${leftovers.join(', ')})` : ''}`,
      },
    ];
    const invocations = stack.bus.invocations();
    const gbSeconds = invocations.reduce((sum, i) => sum + i.gbSeconds, 0);
    const calls = Object.values(stack.rds.callCounts()).reduce((a, b) => a + b, 0);
    io.out('');
    for (const c of checks) io.out(`${c.ok ? '✓' : '✗'} ${c.what}`);
    io.out('');
    io.out(`run ${runId}`);
    io.out(
      `Lambda invocations: ${invocations.length}, compute ${gbSeconds.toFixed(3)} GB-s (local timing); RDS API calls: ${calls}`,
    );
    io.out(`wall time: ${((Date.now() - started) / 1000).toFixed(1)} s at time scale ${timeScale}×`);
    // The metrics the functions wrote during the run (EMF, as CloudWatch would get them): README, Metrics and alarms.
    await printDemoMetrics(stack, timeScale, io);
    io.out('');
    io.out(`next: \`npx trapheus local up\` keeps the stack running; \`npm test\` runs the tests`);
    return checks.every((c) => c.ok) ? 0 : 1;
  } finally {
    await stack.stop();
    removeOwnInfo(cwd);
  }
};

/** Removes local.json only when it describes this process's stack (another `local up` may have replaced it). */
const removeOwnInfo = (cwd: string) => {
  const file = LOCAL_INFO_FILE(cwd);
  try {
    if (JSON.parse(readFileSync(file, 'utf8')).pid === process.pid) rmSync(file, { force: true });
  } catch {
    // no file: nothing to remove
  }
};

/**
 * Refuses to start a second stack over a live one in the same folder. A file that cannot be read names no live
 * stack: the new stack replaces it (and says so).
 */
export const refuseIfRunning = (cwd: string, io: Pick<Io, 'err'>) => {
  const file = LOCAL_INFO_FILE(cwd);
  if (!existsSync(file)) return;
  let pid: unknown;
  try {
    pid = (JSON.parse(readFileSync(file, 'utf8')) as { pid?: unknown }).pid;
  } catch (err) {
    io.err(`${file} is not valid JSON (${(err as Error).message}): the new stack replaces it`);
    return;
  }
  if (typeof pid === 'number' && pid !== process.pid && isAlive(pid)) {
    throw new CliError(
      `a local stack is already running here (pid ${pid}); stop it first (Ctrl-C in its terminal), or use it: its endpoints are in ${file}`,
      EXIT.FAILED,
    );
  }
};

/** An RDS endpoint other than the built-in simulator (moto, LocalStack, another simulator), and where it came from. */
export interface ExternalRds {
  url: string;
  source: '--rds-endpoint' | 'AWS_ENDPOINT_URL_RDS';
}

/**
 * `--rds-endpoint`, else `AWS_ENDPOINT_URL_RDS` (the SDK's own variable for the RDS endpoint), else undefined (the
 * built-in simulator). Only an http(s) URL is taken; the error starts with the name of where the value came from.
 */
export const externalRdsEndpoint = (
  values: Values,
  env: NodeJS.ProcessEnv = process.env,
): ExternalRds | undefined => {
  const flag = values['rds-endpoint'];
  const fromEnv = env.AWS_ENDPOINT_URL_RDS;
  let source: ExternalRds['source'];
  let raw: string;
  if (flag !== undefined && flag !== false) {
    source = '--rds-endpoint';
    raw = typeof flag === 'string' ? flag.trim() : '';
  } else if (fromEnv !== undefined && fromEnv.trim() !== '') {
    source = 'AWS_ENDPOINT_URL_RDS';
    raw = fromEnv.trim();
  } else return undefined;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new CliError(
      `${source}: ${raw ? `"${raw}" is not an http(s) URL` : 'needs a URL'} (want e.g. http://127.0.0.1:5000)`,
      EXIT.USAGE,
    );
  }
  return { url: raw.replace(/\/+$/, ''), source };
};

/**
 * Any HTTP answer (even 404) counts; a refused connection, a DNS failure or `timeoutMs` of silence does not.
 * node:http, like the SDK (fetch refuses some ports outright, e.g. 6000).
 */
export const checkAnswers = ({ url, source }: ExternalRds, timeoutMs = 3000): Promise<void> =>
  new Promise((answered, failed) => {
    const fail = (why: string) =>
      failed(
        new CliError(
          /CERT|TLS|SSL/.test(why)
            ? `${source}: ${url} answered, but its TLS certificate is refused (${why}); the SDK would refuse it too`
            : `${source}: nothing answers at ${url} (${why}): start that server first`,
          EXIT.UNAVAILABLE,
        ),
      );
    const req = (url.startsWith('https:') ? httpsRequest : httpRequest)(url, { method: 'GET' }, (res) => {
      res.resume();
      answered();
    });
    req.setTimeout(timeoutMs, () => {
      req.destroy();
      fail(`no answer within ${timeoutMs / 1000} s`);
    });
    req.on('error', (err: NodeJS.ErrnoException) => fail(err.code ?? err.message));
    req.end();
  });

const up = async (values: Values, io: Io, cwd: string): Promise<number> => {
  const external = externalRdsEndpoint(values);
  const timeScale = timeScaleOf(values);
  refuseIfRunning(cwd, io);
  if (external) await checkAnswers(external);
  const startLocalStack = await loadStack();
  const stack = await startLocalStack({
    rootDir: REPO_ROOT,
    infoDir: cwd,
    timeScale,
    writeInfo: true,
    schedulesFile: join(REPO_ROOT, 'trapheus.config.yml'),
    ...(external ? { rdsEndpoint: external.url } : {}),
  });
  io.out(`Trapheus local stack is up (stage ${stack.stage}, bus ${stack.busName}, table ${stack.runsTable})`);
  for (const [name, url] of Object.entries(stack.endpoints)) io.out(`  ${name.padEnd(9)} ${url}`);
  if (stack.scheduler?.schedules.length) {
    io.out(`schedules fired here (trapheus.config.yml): ${stack.scheduler.schedules.join(', ')}`);
  }
  if (external) {
    io.out(`endpoints written to ${LOCAL_INFO_FILE(cwd)}`);
    io.out(
      `RDS: ${external.url} (from ${external.source}), not the built-in simulator: nothing is seeded there and no RDS events arrive, so runs finish on their check-backs; \`local fault\` needs the built-in simulator`,
    );
    io.out('try: npx trapheus restore <an instance there> --wait --local');
  } else {
    io.out(
      `endpoints written to ${LOCAL_INFO_FILE(cwd)}; RDS: the built-in simulator, seeded with DB instance demo-db and Aurora cluster demo-cluster`,
    );
    io.out(
      'try: npx trapheus restore demo-db --wait --local   or   npx trapheus restore demo-cluster --cluster --wait --local',
    );
  }
  io.out('Ctrl-C stops the stack');
  await new Promise<void>((stopped) => {
    process.once('SIGINT', stopped);
    process.once('SIGTERM', stopped);
  });
  await stack.stop();
  removeOwnInfo(cwd);
  io.err('local stack stopped');
  return 0;
};

const fault = async (values: Values, io: Io, cwd: string): Promise<number> => {
  const info = readLocalInfo(cwd);
  if (info.rdsExternal) {
    throw new CliError(
      `local fault: the local stack sends RDS calls to ${info.endpoints.rds}, an external endpoint; fault injection needs the built-in simulator: restart \`local up\` without --rds-endpoint (and without AWS_ENDPOINT_URL_RDS)`,
      EXIT.USAGE,
    );
  }
  const sim = info.endpoints.rds;
  if (values.reset) {
    await postJson(`${sim}/_sim/reset-faults`, {});
    io.out('faults cleared');
    return 0;
  }
  if (typeof values.events === 'string') {
    let settings: ReturnType<typeof parseEventFaults>;
    try {
      settings = parseEventFaults(values.events);
    } catch (err) {
      throw new CliError(`trapheus local fault: ${(err as Error).message}`, EXIT.USAGE);
    }
    await postJson(`${sim}/_sim/events`, settings);
    io.out(`RDS event faults set: ${JSON.stringify(settings)}`);
    return 0;
  }
  if (typeof values.throttle === 'string') {
    const p = Number(values.throttle);
    if (!(p >= 0 && p <= 1)) {
      io.err('trapheus local fault: --throttle is a probability between 0 and 1');
      return EXIT.USAGE;
    }
    await postJson(`${sim}/_sim/faults`, { kind: 'throttle', probability: Number(values.throttle) });
    io.out(`throttling ${values.throttle} of RDS calls`);
    return 0;
  }
  if (typeof values.operation !== 'string') {
    io.err(
      'trapheus local fault: give --operation with --error or --status, or --events, --throttle, --reset',
    );
    return EXIT.USAGE;
  }
  if (!SIMULATED_OPERATIONS.includes(values.operation)) {
    io.err(
      `trapheus local fault: unknown RDS operation ${values.operation}; one of: ${SIMULATED_OPERATIONS.join(', ')}`,
    );
    return EXIT.USAGE;
  }
  const identifier = typeof values.identifier === 'string' ? { identifier: values.identifier } : {};
  if (typeof values.error === 'string') {
    await postJson(`${sim}/_sim/faults`, {
      kind: 'api-error',
      operation: values.operation,
      code: values.error,
      ...identifier,
    });
    io.out(
      `the next ${values.operation}${identifier.identifier ? ` on ${identifier.identifier}` : ''} fails with ${values.error}`,
    );
    return 0;
  }
  if (typeof values.status === 'string') {
    await postJson(`${sim}/_sim/faults`, {
      kind: 'async-failure',
      operation: values.operation,
      status: values.status,
      ...identifier,
    });
    io.out(
      `the next ${values.operation}${identifier.identifier ? ` on ${identifier.identifier}` : ''} ends ${values.status}`,
    );
    return 0;
  }
  io.err('trapheus local fault: --operation needs --error <code> or --status <status>');
  return EXIT.USAGE;
};

const outbox = async (values: Values, io: Io, cwd: string): Promise<number> => {
  const info = readLocalInfo(cwd);
  const emails = (await (await fetch(`${info.endpoints.ses}/store`)).json()) as { emails?: unknown[] };
  const posts = (await (await fetch(`${info.endpoints.slack}/posts`)).json()) as unknown[];
  if (values.json) {
    io.out(JSON.stringify({ emails: emails.emails ?? [], slack: posts }, null, 2));
    return 0;
  }
  const mails = (emails.emails ?? []) as { subject?: string; destination?: { to?: string[] }; at?: number }[];
  io.out(`e-mails (${mails.length}):`);
  for (const m of mails) io.out(`  to ${m.destination?.to?.join(', ')}: ${m.subject}`);
  io.out(`Slack posts (${posts.length}):`);
  for (const p of posts as { webhook?: string; body?: { text?: string } }[])
    io.out(`  ${p.webhook}: ${p.body?.text ?? ''}`);
  return 0;
};

export const localCommand = async (
  positionals: string[],
  values: Values,
  io: Io,
  cwd: string,
): Promise<number> => {
  const [sub] = positionals;
  switch (sub) {
    case 'demo':
      return demo(values, io, cwd);
    case 'up':
      return up(values, io, cwd);
    case 'fault':
      return fault(values, io, cwd);
    case 'outbox':
      return outbox(values, io, cwd);
    default:
      io.err(
        `trapheus local: unknown subcommand ${sub ?? '(none)'} (up, fault, outbox; or \`trapheus demo\`)`,
      );
      return EXIT.USAGE;
  }
};

export { buildRunRepository, createAwsClients };
