import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { accessKeyIdFor } from '../iam-recorder';

/**
 * Runs Lambda handlers in-process with a Lambda-like context and an isolated environment.
 *
 * Environment isolation: while the bus runs, `process.env` is replaced by a proxy backed by an
 * AsyncLocalStorage. Inside a function's module load (`require`) and inside each of its invocations (and every
 * async continuation they start), `process.env` reads and writes go to that function's own environment; outside
 * any function they go to the host's original environment. So two functions can read different values of the
 * same variable, at module load or lazily (as the AWS SDK does for AWS_ENDPOINT_URL_*, AWS_REGION and
 * credentials), even when their invocations interleave. stop() puts the original `process.env` back.
 */

/** A Lambda handler: any event in, any result out (async, or callback-style with three parameters). */
export type Handler = (
  // biome-ignore lint/suspicious/noExplicitAny: handlers declare their own event types (SQSEvent, ...)
  event: any,
  context: LambdaContext,
  callback?: (err?: unknown, result?: unknown) => void,
  // biome-ignore lint/suspicious/noExplicitAny: and return whatever their trigger expects
) => any;

export interface LambdaContext {
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  awsRequestId: string;
  logGroupName: string;
  logStreamName: string;
  callbackWaitsForEmptyEventLoop: boolean;
  getRemainingTimeInMillis(): number;
  done(err?: unknown, result?: unknown): void;
  fail(err: unknown): void;
  succeed(result: unknown): void;
}

type Env = Record<string, string>;

const envStorage = new AsyncLocalStorage<Env>();
let installCount = 0;
let originalEnv: NodeJS.ProcessEnv | undefined;

function makeEnvProxy(host: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const target = () => (envStorage.getStore() ?? host) as Record<string, string | undefined>;
  return new Proxy(host, {
    get: (_t, key) => (typeof key === 'string' ? target()[key] : undefined),
    set: (_t, key, value) => {
      if (typeof key === 'string') target()[key] = String(value);
      return true;
    },
    has: (_t, key) => typeof key === 'string' && key in target(),
    deleteProperty: (_t, key) => {
      if (typeof key === 'string') delete target()[key];
      return true;
    },
    ownKeys: () => Reflect.ownKeys(target()),
    getOwnPropertyDescriptor: (_t, key) => {
      if (typeof key !== 'string' || !(key in target())) return undefined;
      return { value: target()[key], writable: true, enumerable: true, configurable: true };
    },
    defineProperty: (_t, key, desc) => {
      if (typeof key === 'string') target()[key] = String(desc.value);
      return true;
    },
  });
}

/** Installs the env proxy on process.env (reference-counted across buses). */
export function installEnvIsolation(): () => void {
  if (installCount === 0) {
    originalEnv = process.env;
    process.env = makeEnvProxy(originalEnv);
  }
  installCount++;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    installCount--;
    if (installCount === 0 && originalEnv) {
      process.env = originalEnv;
      originalEnv = undefined;
    }
  };
}

/** Runs `fn` (and its async continuations) with `process.env` showing `env`. */
export function runWithEnv<T>(env: Env, fn: () => T): T {
  return envStorage.run(env, fn);
}

/**
 * The environment of the function whose invocation (or module load) is running now, undefined outside any. Unlike
 * `process.env`, it stays right after the bus stopped (and put the host's `process.env` back) for an invocation still
 * finishing.
 */
export function currentFunctionEnv(): Readonly<Env> | undefined {
  return envStorage.getStore();
}

/** Host variables a Lambda-like process keeps (the runtime has PATH etc. too). */
const KEPT_HOST_VARS = [
  'PATH',
  'HOME',
  'TMPDIR',
  'TZ',
  'LANG',
  'NODE_OPTIONS',
  'NODE_PATH',
  'NODE_ENV',
  'AWS_SDK_JS_SUPPRESS_NODE_DEPRECATION_WARNING',
  'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED',
];

export interface FunctionSpec {
  /** deployed name: `<service>-<stage>-<function>` */
  name: string;
  /** the key under `functions:` */
  key: string;
  service: string;
  /** absolute path of the handler source file */
  file: string;
  exportName: string;
  memorySize: number;
  /** seconds (not scaled) */
  timeout: number;
  environment: Env;
}

export type HandlerLoader = (file: string, exportName: string) => Promise<Handler> | Handler;

/**
 * Default loader for a plain Node process (with a TypeScript require hook such as tsx when the handlers are .ts):
 * clears the project's own modules (anything outside node_modules) from require.cache, requires the handler file
 * so that it and its project dependencies are fresh instances, then removes what that load added and puts the
 * host's previous entries back, so neither the host nor the next function shares module state with it.
 * Under jest, require.cache is not jest's registry: pass a loader using jest.isolateModules instead (see index.ts).
 */
export function requireFresh(file: string, exportName: string): Handler {
  const isProjectModule = (k: string) =>
    !k.includes(`${path.sep}node_modules${path.sep}`) && k !== __filename;
  const saved = new Map<string, NodeJS.Module>();
  for (const [k, m] of Object.entries(require.cache)) {
    if (m && isProjectModule(k)) {
      saved.set(k, m);
      delete require.cache[k];
    }
  }
  try {
    // biome-ignore lint/suspicious/noExplicitAny: loading an arbitrary module
    const mod = require(file) as Record<string, any>;
    const handler = mod[exportName] ?? mod.default?.[exportName];
    if (typeof handler !== 'function') {
      throw new Error(`${file} does not export a function named "${exportName}"`);
    }
    return handler as Handler;
  } finally {
    for (const k of Object.keys(require.cache)) if (isProjectModule(k)) delete require.cache[k];
    for (const [k, m] of saved) require.cache[k] = m;
  }
}

export interface InvokeResult {
  ok: boolean;
  result?: unknown;
  error?: string;
  durationMs: number;
  initDurationMs?: number;
  coldStart: boolean;
  timedOut: boolean;
}

/** One function: loads its handler once (cold start) and invokes it. */
export class LambdaFunction {
  private handler: Handler | undefined;
  private loading: Promise<Handler> | undefined;
  readonly env: Env;

  constructor(
    readonly spec: FunctionSpec,
    private readonly opts: {
      region: string;
      accountId: string;
      baseEnv: Env;
      loader: HandlerLoader;
      /** host environment used for the kept variables */
      hostEnv: NodeJS.ProcessEnv;
    },
  ) {
    const kept: Env = {};
    for (const k of KEPT_HOST_VARS) {
      const v = opts.hostEnv[k];
      if (v !== undefined) kept[k] = v;
    }
    this.env = {
      ...kept,
      ...opts.baseEnv,
      ...spec.environment,
      // Its own identity: every local server tells the calling function from the SigV4 credential (IAM check).
      AWS_ACCESS_KEY_ID: accessKeyIdFor(spec.name),
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_REGION: opts.region,
      AWS_DEFAULT_REGION: opts.region,
      AWS_LAMBDA_FUNCTION_NAME: spec.name,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec.memorySize),
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${spec.name}`,
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs20.x',
      LAMBDA_TASK_ROOT: path.dirname(spec.file),
    };
  }

  get arn(): string {
    return `arn:aws:lambda:${this.opts.region}:${this.opts.accountId}:function:${this.spec.name}`;
  }

  private async load(): Promise<Handler> {
    if (this.handler) return this.handler;
    this.loading ??= runWithEnv(this.env, async () => {
      const h = await this.opts.loader(this.spec.file, this.spec.exportName);
      if (typeof h !== 'function') {
        throw new Error(`${this.spec.file} does not export a function named "${this.spec.exportName}"`);
      }
      this.handler = h;
      return h;
    });
    try {
      return await this.loading;
    } catch (e) {
      this.loading = undefined;
      throw e;
    }
  }

  /** Invokes the handler; never throws: errors, init failures and timeouts come back in the result. */
  async invoke(event: unknown): Promise<InvokeResult> {
    const coldStart = !this.handler;
    const initStart = performance.now();
    let handler: Handler;
    try {
      handler = await this.load();
    } catch (e) {
      return {
        ok: false,
        error: `init error: ${errorMessage(e)}`,
        durationMs: performance.now() - initStart,
        coldStart,
        timedOut: false,
      };
    }
    const initDurationMs = coldStart ? performance.now() - initStart : undefined;
    const timeoutMs = this.spec.timeout * 1000;
    const start = performance.now();
    const deadline = Date.now() + timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const context = this.context(deadline);
    const run = runWithEnv(
      this.env,
      () =>
        new Promise<unknown>((resolve, reject) => {
          const callback = (err?: unknown, result?: unknown) => (err ? reject(err) : resolve(result));
          context.done = callback;
          context.fail = (err) => reject(err);
          context.succeed = (result) => resolve(result);
          try {
            const out = handler(event, context, callback);
            if (out && typeof (out as Promise<unknown>).then === 'function') {
              (out as Promise<unknown>).then(resolve, reject);
            } else if (handler.length < 3) {
              resolve(out);
            }
          } catch (e) {
            reject(e);
          }
        }),
    );
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new TimeoutError(`Task timed out after ${this.spec.timeout.toFixed(2)} seconds`)),
        timeoutMs,
      );
    });
    try {
      const result = await Promise.race([run, timeout]);
      return {
        ok: true,
        result,
        durationMs: performance.now() - start,
        initDurationMs,
        coldStart,
        timedOut: false,
      };
    } catch (e) {
      return {
        ok: false,
        error: errorMessage(e),
        durationMs: performance.now() - start,
        initDurationMs,
        coldStart,
        timedOut: e instanceof TimeoutError,
      };
    } finally {
      clearTimeout(timer);
      // A handler that timed out keeps running in-process (it cannot be killed); its result is ignored.
      run.catch(() => undefined);
    }
  }

  private context(deadline: number): LambdaContext {
    const name = this.spec.name;
    const noop = () => undefined;
    return {
      functionName: name,
      functionVersion: '$LATEST',
      invokedFunctionArn: this.arn,
      memoryLimitInMB: String(this.spec.memorySize),
      awsRequestId: randomUUID(),
      logGroupName: `/aws/lambda/${name}`,
      logStreamName: `${new Date().toISOString().slice(0, 10).replace(/-/g, '/')}/[$LATEST]${randomUUID().replace(/-/g, '')}`,
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done: noop,
      fail: noop,
      succeed: noop,
    };
  }
}

class TimeoutError extends Error {}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return `${e.name && e.name !== 'Error' ? `${e.name}: ` : ''}${e.message}`;
  return typeof e === 'string' ? e : JSON.stringify(e);
}
