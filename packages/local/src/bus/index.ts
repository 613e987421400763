import { randomUUID } from 'node:crypto';
import type { IamRecorder } from '../iam-recorder';
import { type Delivery, type EventBridgeEvent, EventBridgeLocal, eventTime } from './eventbridge';
import { busIamCalls } from './iam';
import {
  type Handler,
  type HandlerLoader,
  installEnvIsolation,
  LambdaFunction,
  requireFresh,
} from './lambda';
import { SecretsManagerLocal } from './secrets';
import { type BusInterceptor, startServer } from './server';
import { type FunctionModel, loadProject, type ProjectModel, type TableModel } from './serverless-config';
import {
  ConcurrencySlot,
  EventSourceMapping,
  interpretBatchResponse,
  type Message,
  type QueueStats,
  SqsBroker,
  toSqsRecord,
} from './sqs';
import { type ParameterType, SsmLocal } from './ssm';

/**
 * The local EventBridge + SQS + Lambda runner: reads the services' serverless.yml files (through
 * serverless-compose.yml), creates their buses, rules, queues (and DynamoDB tables when asked), and runs their
 * real handlers in-process, fed through SQS event-source mappings with Lambda's batch semantics.
 *
 * Handler loading under jest: jest's module registry is not `require.cache`, so pass a loader that isolates
 * modules (the environment is already set while it runs):
 *
 *   loadHandler: async (file, name) => {
 *     let h: Handler | undefined;
 *     jest.isolateModules(() => { h = require(file)[name]; });
 *     return h!;
 *   }
 */

export type { EventBridgeEvent } from './eventbridge';
export type { Handler } from './lambda';
export { compilePattern, InvalidEventPatternError, matchesPattern, validatePattern } from './pattern';
export type { BusFaultAnswer, BusInterceptor, BusRequest } from './server';
export type { FunctionModel, ProjectModel, ServiceModel } from './serverless-config';
export { loadProject, ServerlessConfigError } from './serverless-config';
export type { Message, QueueStats } from './sqs';

export interface InvocationRecord {
  /** deployed name `<service>-<stage>-<key>` */
  functionName: string;
  /** the key under `functions:` */
  functionKey: string;
  /** compose service name */
  service: string;
  trigger: 'sqs' | 'schedule';
  /** queue name for SQS triggers, schedule expression for schedules */
  source: string;
  batchSize: number;
  startedAt: number;
  durationMs: number;
  coldStart: boolean;
  initDurationMs?: number;
  memorySize: number;
  /** memorySize/1024 × duration rounded up to the millisecond */
  gbSeconds: number;
  result: 'ok' | 'partial' | 'error';
  error?: string;
  timedOut: boolean;
  failedMessageIds?: string[];
}

export interface LocalBusOptions {
  /** repo root (has serverless-compose.yml) */
  rootDir: string;
  stage?: string;
  region?: string;
  accountId?: string;
  /** divides SQS delays, visibility timeouts, wait times and batching windows */
  timeScale?: number;
  /** if set, the AWS::DynamoDB::Table resources are created there */
  dynamodbEndpoint?: string;
  /**
   * added to every function's environment (credentials, other endpoints, ...). AWS_ENDPOINT_URL_SQS,
   * _EVENTBRIDGE and _SSM default to the bus's own URL (and _DYNAMODB to dynamodbEndpoint when given).
   */
  baseEnv?: Record<string, string>;
  /** default: require the file with the project's modules fresh (see lambda.ts requireFresh) */
  loadHandler?: (file: string, exportName: string) => Promise<Handler>;
  /** subset of compose service names to run; default all (upstream services are still read for outputs) */
  services?: string[];
  onInvocation?: (rec: InvocationRecord) => void;
  /** max concurrent invocations per function (default 5) */
  maxConcurrency?: number;
  /** also fire `rate(...)` schedules on timers (scaled by timeScale); default false (use runSchedule) */
  runSchedules?: boolean;
  /** server port on 127.0.0.1; default 0 (any free port) */
  port?: number;
  /** IAM check: records the calls each function makes (signed with its own access key id) */
  iam?: Pick<IamRecorder, 'addFunction' | 'recordSigned' | 'recordFor'>;
  /** Fault hook: sees every EventBridge/SQS/SSM request first and may answer it with a failure. */
  intercept?: BusInterceptor;
}

export interface LocalBus {
  /** the HTTP endpoint (EventBridge + SQS + SSM) */
  url: string;
  model: ProjectModel;
  /** inject an event (e.g. aws.rds events from the RDS simulator onto 'default'); returns its id */
  publish(event: EventBridgeEvent, busName?: string): string;
  queues(): QueueStats[];
  /** messages of a dead-letter queue: by its own name, or by the name of a queue whose RedrivePolicy names it */
  dlqMessages(queueName: string): Message[];
  invocations(): InvocationRecord[];
  /** rule → target deliveries made so far */
  deliveries(): Delivery[];
  /** an in-process target: events on `busName` matching `pattern` (e.g. a test's verification hook); unsubscribes */
  subscribe(
    busName: string,
    pattern: Record<string, unknown>,
    listener: (event: EventBridgeEvent) => void,
  ): () => void;
  /** no running invocation, nothing visible/in flight/delayed in consumed queues, nothing delayed elsewhere */
  idle(): boolean;
  whenIdle(timeoutMs?: number): Promise<void>;
  /**
   * Resolves true once no invocation is running (queued or delayed messages do not count), false after
   * `timeoutMs`: what the functions were doing has finished (their last log and metric lines are written).
   */
  whenNoInvocation(timeoutMs?: number): Promise<boolean>;
  /** fires a schedule event now (function deployed name or key) and waits for the invocation */
  runSchedule(functionName: string): Promise<InvocationRecord>;
  ssm: { put(name: string, value: string, type?: ParameterType): void };
  /** the local Secrets Manager (CreateSecret, PutSecretValue, GetSecretValue on the bus's URL) */
  secrets: SecretsManagerLocal;
  stop(): Promise<void>;
}

export async function startLocalBus(opts: LocalBusOptions): Promise<LocalBus> {
  const stage = opts.stage ?? 'dev';
  const region = opts.region ?? 'us-east-1';
  const accountId = opts.accountId ?? '000000000000';
  const timeScale = opts.timeScale ?? 1;
  const maxConcurrency = opts.maxConcurrency ?? 5;
  const hostEnv = { ...process.env };

  const sqs = new SqsBroker({ region, accountId, timeScale });
  const events = new EventBridgeLocal({
    region,
    accountId,
    sendToQueue: (queueName, body) => {
      const q = sqs.queueByName(queueName);
      if (!q) throw new Error(`queue ${queueName} does not exist`);
      q.send(body);
    },
  });
  const ssm = new SsmLocal({ region, accountId });
  const secrets = new SecretsManagerLocal({ region, accountId });
  const iam = opts.iam;
  const server = await startServer(
    { sqs, events, ssm, secrets, ...(opts.intercept ? { intercept: opts.intercept } : {}) },
    '127.0.0.1',
    opts.port ?? 0,
    iam
      ? (akid, prefix, op, body, status) =>
          iam.recordSigned(
            akid,
            busIamCalls({ sqs, events, ssm, secrets, region, accountId }, prefix, op, body).map((c) => ({
              ...c,
              status,
            })),
          )
      : undefined,
  );
  sqs.endpoint = server.url;

  const releaseEnv = installEnvIsolation();
  const mappings: EventSourceMapping[] = [];
  const scheduleTimers = new Set<NodeJS.Timeout>();
  const records: InvocationRecord[] = [];
  const changeListeners = new Set<() => void>();
  let running = 0;
  let stopped = false;
  const changed = () => {
    for (const l of [...changeListeners]) l();
  };

  const cleanup = async () => {
    stopped = true;
    for (const m of mappings) m.stop();
    for (const t of scheduleTimers) clearInterval(t);
    sqs.stop();
    releaseEnv();
    await server.close();
  };

  let model: ProjectModel | undefined;
  const functions = new Map<string, { model: FunctionModel; fn: LambdaFunction }>();
  const consumedQueues = new Set<string>();
  try {
    model = loadProject(opts.rootDir, {
      stage,
      region,
      accountId,
      env: { ...hostEnv, ...opts.baseEnv },
      sqsEndpoint: server.url,
    });
    const known = model.services.map((s) => s.name);
    const selected = opts.services ?? known;
    for (const s of selected) {
      if (!known.includes(s))
        throw new Error(`unknown service "${s}" (compose services: ${known.join(', ')})`);
    }
    const services = model.services.filter((s) => selected.includes(s.name));

    for (const s of services) for (const b of s.buses) events.addBus(b.name);
    for (const s of services) {
      for (const q of s.queues) {
        if (q.fifo) throw new Error(`${s.file}: FIFO queue ${q.name} is not supported by the local bus`);
        sqs.createQueue(q);
      }
    }
    for (const s of services) {
      for (const r of s.rules) {
        if (!r.eventPattern) continue; // schedule-only rules: not routed
        // A bus owned by a service that is not running still exists for its consumers.
        events.addBus(r.busName);
        events.addRule({
          name: r.name,
          arn: r.arn,
          busName: r.busName,
          service: s.name,
          pattern: r.eventPattern,
          enabled: r.enabled,
          targets: r.targets,
        });
      }
    }
    if (opts.dynamodbEndpoint) {
      await createTables(
        services.flatMap((s) => s.tables),
        opts.dynamodbEndpoint,
        region,
      );
    }

    const loader: HandlerLoader = opts.loadHandler ?? requireFresh;
    // The bus's own services are always reachable through the standard variables (baseEnv may override).
    const baseEnv: Record<string, string> = {
      AWS_ENDPOINT_URL_SQS: server.url,
      AWS_ENDPOINT_URL_EVENTBRIDGE: server.url,
      AWS_ENDPOINT_URL_SSM: server.url,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: server.url,
      ...(opts.dynamodbEndpoint ? { AWS_ENDPOINT_URL_DYNAMODB: opts.dynamodbEndpoint } : {}),
      ...opts.baseEnv,
    };
    for (const s of services) {
      for (const f of s.functions) {
        const fn = new LambdaFunction(
          {
            name: f.name,
            key: f.key,
            service: s.name,
            file: f.file,
            exportName: f.exportName,
            memorySize: f.memorySize,
            timeout: f.timeout,
            environment: f.environment,
          },
          { region, accountId, baseEnv, loader, hostEnv },
        );
        functions.set(f.name, { model: f, fn });
        iam?.addFunction(f.name);
        const slot = new ConcurrencySlot(maxConcurrency);
        for (const ev of f.sqs) {
          if (!ev.enabled) continue;
          const queue = sqs.queueByName(ev.queueName);
          if (!queue) {
            throw new Error(
              `${s.file}: function ${f.key} listens to queue ${ev.queueName}, which no running service creates`,
            );
          }
          consumedQueues.add(queue.name);
          // The event-source mapping reads the queue with the function's role (serverless grants these).
          const esm = (action: string) => ({
            action,
            resources: [{ type: 'queue', arn: queue.arn }],
            context: {},
            via: 'esm',
          });
          iam?.recordFor(f.name, [esm('sqs:GetQueueAttributes')]);
          mappings.push(
            new EventSourceMapping(
              queue,
              sqs,
              slot,
              { batchSize: ev.batchSize, maximumBatchingWindow: ev.maximumBatchingWindow },
              async (messages) => {
                running++;
                iam?.recordFor(f.name, [esm('sqs:ReceiveMessage')]);
                try {
                  const event = { Records: messages.map((m) => toSqsRecord(m, queue, region)) };
                  const r = await fn.invoke(event);
                  const outcome = r.ok
                    ? interpretBatchResponse(r.result, messages, ev.reportBatchItemFailures)
                    : ({ kind: 'error' } as const);
                  let error = r.error;
                  if (r.ok && outcome.kind === 'error') {
                    error = `invalid batchItemFailures response: ${JSON.stringify(r.result)}`;
                  }
                  record(f, s.name, 'sqs', queue.name, messages.length, r, outcome.kind, error, outcome);
                  if (outcome.kind !== 'error') iam?.recordFor(f.name, [esm('sqs:DeleteMessage')]);
                  return outcome;
                } finally {
                  running--;
                  queueMicrotask(changed);
                }
              },
            ),
          );
        }
        if (opts.runSchedules) {
          for (const sch of f.schedules) {
            const ms = rateMs(sch.expression);
            if (!sch.enabled || ms === undefined) continue;
            // The time scale shortens the interval, not the function's run time: a firing that finds the previous
            // one of this schedule still running is skipped (a 5-minute rule never overlaps its own function on
            // AWS; at 600× it would fire every 0.5 s, each firing as slow as on AWS, and pile up).
            let firing = false;
            const t = setInterval(() => {
              if (firing) return;
              firing = true;
              fireSchedule(f.name, sch.expression, sch.input)
                .catch(() => undefined)
                .finally(() => {
                  firing = false;
                });
            }, ms / timeScale);
            scheduleTimers.add(t);
          }
        }
      }
    }
  } catch (e) {
    await cleanup();
    throw e;
  }
  const project = model;
  if (!project) {
    await cleanup();
    throw new Error(`the project under ${opts.rootDir} was not loaded`);
  }

  function record(
    f: FunctionModel,
    service: string,
    trigger: 'sqs' | 'schedule',
    source: string,
    batchSize: number,
    r: Awaited<ReturnType<LambdaFunction['invoke']>>,
    result: 'ok' | 'partial' | 'error',
    error: string | undefined,
    outcome?: ReturnType<typeof interpretBatchResponse>,
  ): InvocationRecord {
    const rec: InvocationRecord = {
      functionName: f.name,
      functionKey: f.key,
      service,
      trigger,
      source,
      batchSize,
      startedAt: Date.now() - Math.round(r.durationMs),
      durationMs: r.durationMs,
      coldStart: r.coldStart,
      ...(r.initDurationMs !== undefined ? { initDurationMs: r.initDurationMs } : {}),
      memorySize: f.memorySize,
      gbSeconds: (f.memorySize / 1024) * (Math.ceil(r.durationMs) / 1000),
      result,
      ...(error ? { error } : {}),
      timedOut: r.timedOut,
      ...(outcome?.kind === 'partial' ? { failedMessageIds: outcome.failedMessageIds } : {}),
    };
    records.push(rec);
    try {
      opts.onInvocation?.(rec);
    } catch {
      // a faulty observer must not break the pipeline
    }
    return rec;
  }

  const findFunction = (name: string) => {
    const direct = functions.get(name);
    if (direct) return direct;
    const byKey = [...functions.values()].filter((f) => f.model.key === name);
    const [only] = byKey;
    if (only && byKey.length === 1) return only;
    throw new Error(
      byKey.length > 1
        ? `function key "${name}" is ambiguous: ${byKey.map((f) => f.model.name).join(', ')}`
        : `unknown function "${name}" (known: ${[...functions.keys()].join(', ')})`,
    );
  };

  async function fireSchedule(name: string, expression?: string, input?: unknown): Promise<InvocationRecord> {
    const { model: f, fn } = findFunction(name);
    const event =
      input !== undefined
        ? input
        : {
            version: '0',
            id: randomUUID(),
            'detail-type': 'Scheduled Event',
            source: 'aws.events',
            account: accountId,
            time: eventTime(new Date()),
            region,
            resources: [`arn:aws:events:${region}:${accountId}:rule/${f.name}-schedule`],
            detail: {},
          };
    running++;
    try {
      const r = await fn.invoke(event);
      return record(
        f,
        f.service,
        'schedule',
        expression ?? f.schedules[0]?.expression ?? 'manual',
        1,
        r,
        r.ok ? 'ok' : 'error',
        r.error,
      );
    } finally {
      running--;
      queueMicrotask(changed);
    }
  }

  const idle = (): boolean => {
    if (running > 0) return false;
    if (mappings.some((m) => m.waiting)) return false;
    for (const q of sqs.list()) {
      const s = q.stats();
      if (s.delayed > 0) return false;
      if (consumedQueues.has(q.name) && (s.visible > 0 || s.inFlight > 0)) return false;
    }
    return true;
  };

  // State changes that can make the bus idle: invocation end (above), message deletions and visibility changes.
  sqs.onChange(() => queueMicrotask(changed));

  return {
    url: server.url,
    model: project,
    publish: (event, busName) => events.publish(event, busName),
    queues: () => sqs.stats(),
    dlqMessages: (queueName) => {
      const q = sqs.queueByName(queueName);
      if (!q) throw new Error(`unknown queue "${queueName}"`);
      const redrive = q.def.redrivePolicy;
      const dlq = redrive ? sqs.queueByArn(redrive.deadLetterTargetArn) : q;
      return dlq ? dlq.snapshot() : [];
    },
    invocations: () => [...records],
    deliveries: () => [...events.deliveries],
    subscribe: (busName, pattern, listener) => events.subscribe(busName, pattern, listener),
    idle,
    whenIdle: (timeoutMs = 10_000) =>
      new Promise<void>((resolve, reject) => {
        let timer: NodeJS.Timeout | undefined;
        let ticker: NodeJS.Timeout | undefined;
        const finish = (err?: Error) => {
          changeListeners.delete(check);
          clearTimeout(timer);
          clearTimeout(ticker);
          if (err) reject(err);
          else resolve();
        };
        // Idle must still hold once pending microtasks (ESM pumps) have run.
        const check = () => {
          if (stopped) return finish(new Error('the local bus was stopped'));
          if (!idle()) return;
          clearTimeout(ticker);
          ticker = setTimeout(() => {
            if (idle()) finish();
          }, 0);
        };
        changeListeners.add(check);
        timer = setTimeout(() => {
          const busy = sqs
            .stats()
            .filter((q) => q.visible + q.inFlight + q.delayed > 0)
            .map((q) => `${q.name} (visible ${q.visible}, in flight ${q.inFlight}, delayed ${q.delayed})`);
          finish(
            new Error(
              `not idle after ${timeoutMs} ms: ${running} running invocation(s); ${busy.join('; ') || 'no queued messages'}`,
            ),
          );
        }, timeoutMs);
        check();
      }),
    whenNoInvocation: (timeoutMs = 5_000) =>
      new Promise<boolean>((resolve) => {
        const finish = (ok: boolean) => {
          changeListeners.delete(check);
          clearTimeout(timer);
          resolve(ok);
        };
        const check = () => {
          if (running === 0) finish(true);
        };
        const timer = setTimeout(() => finish(running === 0), timeoutMs);
        changeListeners.add(check);
        check();
      }),
    runSchedule: (name) => fireSchedule(name),
    ssm: { put: (name, value, type) => void ssm.put(name, value, type ?? 'String') },
    secrets,
    stop: async () => {
      if (stopped) return;
      await cleanup();
    },
  };
}

/** `rate(5 minutes)` → ms; undefined for cron(...) (not run on timers). */
export function rateMs(expression: string): number | undefined {
  const m = /^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$/.exec(expression.trim());
  if (!m) return undefined;
  const [, count, units] = m;
  if (count === undefined || units === undefined) return undefined;
  const n = Number(count);
  const unit = units.replace(/s$/, '');
  return n * (unit === 'minute' ? 60_000 : unit === 'hour' ? 3_600_000 : 86_400_000);
}

async function createTables(tables: TableModel[], endpoint: string, region: string): Promise<void> {
  if (tables.length === 0) return;
  const { DynamoDBClient, CreateTableCommand, DescribeTableCommand } = await import(
    '@aws-sdk/client-dynamodb'
  );
  const client = new DynamoDBClient({
    endpoint,
    region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  try {
    for (const t of tables) {
      const p = t.properties;
      const input: Record<string, unknown> = {
        TableName: t.tableName,
        KeySchema: p.KeySchema,
        AttributeDefinitions: p.AttributeDefinitions,
        BillingMode: p.BillingMode ?? (p.ProvisionedThroughput ? 'PROVISIONED' : 'PAY_PER_REQUEST'),
      };
      if (p.ProvisionedThroughput) input.ProvisionedThroughput = p.ProvisionedThroughput;
      if (p.GlobalSecondaryIndexes) input.GlobalSecondaryIndexes = p.GlobalSecondaryIndexes;
      if (p.LocalSecondaryIndexes) input.LocalSecondaryIndexes = p.LocalSecondaryIndexes;
      try {
        // biome-ignore lint/suspicious/noExplicitAny: CloudFormation properties map 1:1 onto CreateTable input
        await client.send(new CreateTableCommand(input as any));
      } catch (e) {
        if ((e as Error).name !== 'ResourceInUseException') {
          throw new Error(
            `creating DynamoDB table ${t.tableName} (${t.service}/${t.logicalId}): ${(e as Error).message}`,
          );
        }
      }
    }
    // dynalite creates tables asynchronously: wait until they are ACTIVE (start-up only).
    const deadline = Date.now() + 15_000;
    for (const t of tables) {
      for (;;) {
        const d = await client.send(new DescribeTableCommand({ TableName: t.tableName }));
        if (d.Table?.TableStatus === 'ACTIVE') break;
        if (Date.now() > deadline) throw new Error(`DynamoDB table ${t.tableName} did not become ACTIVE`);
        await new Promise((r) => setTimeout(r, 25));
      }
    }
  } finally {
    client.destroy();
  }
}
