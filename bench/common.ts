/**
 * Shared helpers of the benchmark scripts (bench/*.ts). Benchmarks print figures; they are not tests.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { ClientRequest, type IncomingMessage } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { type LocalStack, startLocalStack } from '@trapheus/local';
import {
  buildRunRepository,
  createAwsClients,
  isTerminal,
  type Run,
  type RunRepository,
} from '@trapheus/shared';
import { restore } from '../packages/cli/src/restore';
import { targetForStack } from '../packages/cli/src/target';

export const ROOT = join(__dirname, '..');

/** One line about the machine, for the header: other processes' load skews every wall-time figure. */
export const machineLine = (): string =>
  `  machine: ${cpus().length} cores, 1-min load average ${(loadavg()[0] ?? 0).toFixed(2)} at start, node ${process.version}`;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts the local stack on 127.0.0.1 with the services' logs silenced (TRAPHEUS_LOG_LEVEL overrides). */
export const startBenchStack = (opts: {
  timeScale: number;
  seedDemo?: boolean;
  seed?: number;
  rdsDurations?: Parameters<typeof startLocalStack>[0]['rdsDurations'];
}) => {
  process.env.TRAPHEUS_LOG_LEVEL ??= 'SILENT';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return startLocalStack({
    rootDir: ROOT,
    timeScale: opts.timeScale,
    seedDemo: opts.seedDemo ?? true,
    seed: opts.seed ?? 7,
    ...(opts.rdsDurations ? { rdsDurations: opts.rdsDurations } : {}),
  });
};

export const runsOf = (stack: LocalStack): RunRepository => {
  const clients = createAwsClients({ region: stack.region, env: { ...process.env, ...stack.env } });
  return buildRunRepository({ dynamo: clients.dynamo, tableName: stack.runsTable });
};

/** Starts a run the way `trapheus restore --local` does (without following it); returns its run id. */
export const startRun = async (
  stack: LocalStack,
  opts: { identifier: string; requestId: string; task?: string; strategy?: string },
): Promise<string> => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await restore(
    targetForStack(stack),
    {
      identifier: opts.identifier,
      cluster: false,
      task: opts.task ?? 'create_snapshot',
      requestId: opts.requestId,
      ...(opts.strategy ? { strategy: opts.strategy } : {}),
      wait: false,
      acceptTimeoutSeconds: 60,
      pollMs: 50,
    },
    { out: (l) => out.push(l), err: (l) => err.push(l) },
  );
  const runId = out.at(-1);
  if (code !== 0 || !runId)
    throw new Error(`starting a run on ${opts.identifier} failed: ${err.join(' | ')}`);
  return runId;
};

export const isDone = (run: Run | undefined): run is Run => !!run && isTerminal(run.step) && !run.active;

/** Polls a run until it is terminal (and no longer active) or the timeout; returns the last run seen. */
export const waitForRun = async (
  runs: RunRepository,
  runId: string,
  timeoutMs: number,
  pollMs = 50,
): Promise<Run | undefined> => {
  const until = Date.now() + timeoutMs;
  let last: Run | undefined;
  while (Date.now() < until) {
    last = await runs.get(runId);
    if (isDone(last)) return last;
    await sleep(pollMs);
  }
  return last;
};

/** Time (ms since epoch) at which the run entered `step`, or undefined. */
export const stepAt = (run: Run, step: Run['step']): number | undefined => {
  const entry = run.history.find((h) => h.step === step);
  return entry ? Date.parse(entry.at) : undefined;
};

export interface WireCall {
  /** rds, dynamodb, eventbridge, sqs, ssm, ses, slack, other */
  service: string;
  /** API action (`PutItem`, `SendMessage`, `CreateDBSnapshot`, …) or HTTP method + path */
  action: string;
  /** deployed Lambda function name, or undefined for calls made by the benchmark itself */
  fn?: string;
  /** RDS Query parameters (RDS calls only) */
  params?: URLSearchParams;
  startedAt: number;
  status?: number;
}

const TARGET_SERVICES: Record<string, string> = {
  DynamoDB_20120810: 'dynamodb',
  AWSEvents: 'eventbridge',
  AmazonSQS: 'sqs',
  AmazonSSM: 'ssm',
};

/**
 * Records every HTTP call made in this process (through node:diagnostics_channel): which service and action,
 * and whether a Lambda made it. The local Lambda runner gives each function its own `process.env` (an
 * AsyncLocalStorage), so `AWS_LAMBDA_FUNCTION_NAME` read while the request is sent names the caller.
 * `http.client.request.start` fires once the body is written, so `ClientRequest.prototype.end` is wrapped (until
 * stop()) to keep the body of RDS Query-protocol requests, which name their action in the body.
 */
export class WireTap {
  readonly calls: WireCall[] = [];
  private readonly byRequest = new WeakMap<ClientRequest, WireCall>();
  private readonly bodies = new WeakMap<ClientRequest, string>();
  private readonly originalEnd = ClientRequest.prototype.end;
  private readonly onStart = (message: unknown) =>
    this.start((message as { request: ClientRequest }).request);
  private readonly onFinish = (message: unknown) => {
    const { request, response } = message as { request: ClientRequest; response: IncomingMessage };
    const call = this.byRequest.get(request);
    if (call) call.status = response.statusCode;
  };

  constructor(private readonly ports: Record<string, string>) {
    const bodies = this.bodies;
    const originalEnd = this.originalEnd as (this: ClientRequest, ...args: unknown[]) => ClientRequest;
    ClientRequest.prototype.end = function (this: ClientRequest, ...args: unknown[]) {
      const body = args[0];
      if (typeof body === 'string') bodies.set(this, body);
      else if (body instanceof Uint8Array) bodies.set(this, Buffer.from(body).toString());
      return originalEnd.apply(this, args);
    } as typeof ClientRequest.prototype.end;
    diagnosticsChannel.subscribe('http.client.request.start', this.onStart);
    diagnosticsChannel.subscribe('http.client.response.finish', this.onFinish);
  }

  static forStack(stack: LocalStack): WireTap {
    const ports: Record<string, string> = {};
    for (const [name, url] of Object.entries(stack.endpoints)) ports[new URL(url).port] = name;
    return new WireTap(ports);
  }

  stop(): void {
    ClientRequest.prototype.end = this.originalEnd;
    diagnosticsChannel.unsubscribe('http.client.request.start', this.onStart);
    diagnosticsChannel.unsubscribe('http.client.response.finish', this.onFinish);
  }

  private start(request: ClientRequest): void {
    const host = request.getHeader('host');
    const endpoint = typeof host === 'string' ? this.ports[host.split(':')[1] ?? ''] : undefined;
    const target = request.getHeader('x-amz-target');
    let service = endpoint ?? 'other';
    let action = `${request.method} ${request.path}`;
    if (typeof target === 'string') {
      const [prefix, name] = target.split('.');
      service = TARGET_SERVICES[prefix ?? ''] ?? service;
      action = name ?? target;
    }
    const call: WireCall = {
      service,
      action,
      startedAt: Date.now(),
      ...(process.env.AWS_LAMBDA_FUNCTION_NAME ? { fn: process.env.AWS_LAMBDA_FUNCTION_NAME } : {}),
    };
    this.calls.push(call);
    this.byRequest.set(request, call);
    const body = this.bodies.get(request);
    if (service === 'rds' && body !== undefined) {
      // Query protocol: the action and its parameters are in the form-encoded body.
      call.params = new URLSearchParams(body);
      call.action = call.params.get('Action') ?? call.action;
    }
  }
}

/** Counts of `key(item)` over items. */
export const countBy = <T>(items: T[], key: (item: T) => string | undefined): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const item of items) {
    const k = key(item);
    if (k !== undefined) out[k] = (out[k] ?? 0) + 1;
  }
  return out;
};

export const median = (xs: number[]): number => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const at = (i: number) => s[i] ?? Number.NaN;
  return s.length % 2 ? at(mid) : (at(mid - 1) + at(mid)) / 2;
};

export const stats = (xs: number[]) => ({
  median: median(xs),
  min: xs.length ? Math.min(...xs) : Number.NaN,
  max: xs.length ? Math.max(...xs) : Number.NaN,
});

export const fmt = (x: number, digits = 0): string => (Number.isFinite(x) ? x.toFixed(digits) : '–');

/** A plain text table: first column left-aligned, the others right-aligned. */
export const table = (header: string[], rows: string[][]): string => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
};

/** `--name value` / `--name=value` options of a benchmark (numbers only), with defaults. */
export const numberArgs = <T extends Record<string, number>>(
  defaults: T,
  argv = process.argv.slice(2),
): T => {
  const out: Record<string, number> = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m?.[1]) throw new Error(`unexpected argument ${arg}`);
    const key = m[1].replace(/-([a-z])/g, (_s, c: string) => c.toUpperCase());
    if (!(key in defaults))
      throw new Error(`unknown option --${m[1]} (known: ${Object.keys(defaults).join(', ')})`);
    const raw = m[2] ?? argv[++i];
    const value = Number(raw);
    if (raw === undefined || !Number.isFinite(value)) throw new Error(`--${m[1]} needs a number`);
    out[key] = value;
  }
  return out as T;
};
