/**
 * The whole pipeline on one machine (docs/design.md §6): the RDS simulator, dynalite, the EventBridge + SQS +
 * Lambda runner (wired from the services' serverless.yml files), SES captured by aws-ses-v2-local and Slack
 * webhooks captured by a local receiver. The services' real handlers run unchanged; only endpoints differ.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { loadSchedulesFile } from '@trapheus/shared/schedules-file';
import dynalite from 'dynalite';
import {
  type EventBridgeEvent,
  type InvocationRecord,
  type LocalBus,
  type LocalBusOptions,
  startLocalBus,
} from './bus';
import { DEMO_CLUSTER, DEMO_CLUSTER_MEMBERS, DEMO_INSTANCE } from './demo-seed';
import { closeLeakedIterators } from './dynalite-iterators';
import { captureEmf, EmfCollector, type EmfSummary, LOCAL_STACK_ID_VAR } from './emf';
import { dynamoIamCalls, sesIamCalls, startRecordingProxy } from './iam-proxy';
import { type IamCall, IamRecorder, LOCAL_AWS } from './iam-recorder';
import { startSesLocal, startSlackReceiver } from './outbox';
import {
  type Durations,
  type Quotas,
  type RdsEventBridgeEvent,
  type RdsSimulator,
  startRdsSimulator,
} from './rds';
import { type LocalScheduler, startLocalScheduler } from './scheduler';
import { StackFaults } from './stack-faults';

/** An event of the RDS simulator, as the local bus routes it. */
function toBusEvent(event: RdsEventBridgeEvent): EventBridgeEvent {
  return {
    version: event.version,
    id: event.id,
    'detail-type': event['detail-type'],
    source: event.source,
    account: event.account,
    time: event.time,
    region: event.region,
    resources: event.resources,
    detail: event.detail,
  };
}

export interface LocalStackOptions {
  rootDir: string;
  /** Divides every RDS duration and SQS delay: 60 turns a 10-minute restore into 10 s. */
  timeScale?: number;
  /** Base seconds of the simulator's asynchronous operations (e.g. a 30-minute restore for a benchmark). */
  rdsDurations?: Partial<Durations>;
  stage?: string;
  region?: string;
  seedDemo?: boolean;
  /** Write endpoints to `<infoDir>/.trapheus/local.json` for other `trapheus` processes. */
  writeInfo?: boolean;
  /** Where `.trapheus/local.json` goes (default rootDir). */
  infoDir?: string;
  /** Seed of the simulator's event-fault randomness. */
  seed?: number;
  loadHandler?: LocalBusOptions['loadHandler'];
  onInvocation?: (rec: InvocationRecord) => void;
  /**
   * Use another RDS endpoint (moto, LocalStack) instead of the simulator. Nothing is seeded there and no RDS
   * events arrive: the runs finish on their check-backs alone.
   */
  rdsEndpoint?: string;
  /** The simulator's account quotas (raise them for a fleet: `{ maxInstances: 1000 }`). */
  rdsQuotas?: Partial<Quotas>;
  /** Max concurrent invocations per function (default 5, the runner's default). */
  maxConcurrency?: number;
  /** Fire `rate(...)` schedules (the watchdog) on timers, scaled by timeScale; default false. */
  runSchedules?: boolean;
  /** Longest a reordered RDS event is held back (real ms); default the simulator's (1000). */
  reorderMaxHoldMs?: number;
  /**
   * `trapheus.config.yml`: fire its enabled schedules on the project bus, waits divided by timeScale (absent or
   * empty file: none). An invalid file fails the start with the entry's name.
   */
  schedulesFile?: string;
}

export interface LocalStack {
  stage: string;
  region: string;
  busName: string;
  runsTable: string;
  endpoints: { rds: string; bus: string; dynamodb: string; ses: string; slack: string };
  /** Environment pointing SDK v3 clients at this stack. */
  env: Record<string, string>;
  rds: RdsSimulator;
  bus: LocalBus;
  slack: Awaited<ReturnType<typeof startSlackReceiver>>;
  ses: Awaited<ReturnType<typeof startSesLocal>>;
  /**
   * Fault hooks on DynamoDB, the EventBridge/SQS runner and SES (see stack-faults.ts); RDS faults are on
   * `rds.faults`, Slack's on `slack.failNext`.
   */
  faults: StackFaults;
  /** The schedules of `schedulesFile` being fired, and their firings so far. */
  scheduler?: LocalScheduler;
  /**
   * Every AWS call a Lambda function made so far, as AWS would authorize it (action, resource ARNs, context),
   * for the IAM check (test/iam). Calls by other credentials (CLI, tests) are not included.
   */
  iamCalls(): IamCall[];
  /**
   * The CloudWatch metrics (EMF lines) the functions wrote so far, summed per metric and dimensions (emf.ts). The
   * lines themselves are taken out of stdout while the stack runs, as CloudWatch Logs would take them.
   */
  metrics(): EmfSummary;
  /**
   * The same, once the invocations running now have finished (at most `timeoutMs`): a run seen finished from
   * outside may still be in its last invocation, which writes its metrics when it ends.
   */
  settledMetrics(timeoutMs?: number): Promise<EmfSummary>;
  stop(): Promise<void>;
}

export const SLACK_WEBHOOKS_PARAMETER = (stage: string) => `/trapheus/${stage}/slack-webhooks`;

const startDynalite = async (): Promise<{ url: string; stop: () => Promise<void> }> => {
  closeLeakedIterators();
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
};

/**
 * @example
 * const stack = await startLocalStack({ rootDir: process.cwd(), timeScale: 60 });
 * // … put a RestoreRequested on stack.endpoints.bus …
 * await stack.stop();
 */
export const startLocalStack = async (opts: LocalStackOptions): Promise<LocalStack> => {
  const stage = opts.stage ?? 'local';
  const region = opts.region ?? LOCAL_AWS.region;
  const accountId = LOCAL_AWS.accountId;
  const iam = new IamRecorder();
  const faults = new StackFaults((akid) => iam.callerOf(akid));
  const timeScale = opts.timeScale ?? 60;
  const stops: (() => Promise<void>)[] = [];
  const stackId = randomUUID();
  const emf = new EmfCollector();
  const releaseEmf = captureEmf(stackId, emf);
  let busForEmf: LocalBus | undefined;
  // Runs after the bus stopped (stop() runs `stops` in order; the bus is put first): invocations still running then
  // finish first (for a while), so their last EMF lines are captured, not printed.
  stops.push(async () => {
    await busForEmf?.whenNoInvocation(2_000);
    releaseEmf();
  });
  try {
    const dynamoServer = await startDynalite();
    stops.push(dynamoServer.stop);
    // dynalite and aws-ses-v2-local are not ours: a recording proxy in front of each (IAM check).
    const db = await startRecordingProxy(
      dynamoServer.url,
      (req) => dynamoIamCalls(region, accountId, req),
      (akid, calls) => iam.recordSigned(akid, calls),
      faults.dynamoInterceptor,
    );
    stops.push(db.stop);
    const slack = await startSlackReceiver({});
    stops.push(() => slack.stop());
    const ses = await startSesLocal({});
    stops.push(() => ses.stop());
    const sesProxy = await startRecordingProxy(
      ses.url,
      (req) => sesIamCalls(region, accountId, req),
      (akid, calls) => iam.recordSigned(akid, calls),
      faults.sesInterceptor,
    );
    stops.push(sesProxy.stop);

    let bus: LocalBus | undefined;
    const early: Parameters<LocalBus['publish']>[0][] = [];
    const rds = await startRdsSimulator({
      region,
      accountId,
      timeScale,
      recordCall: (akid, calls) => iam.recordSigned(akid, calls),
      ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
      ...(opts.rdsQuotas ? { quotas: opts.rdsQuotas } : {}),
      ...(opts.rdsDurations ? { durations: opts.rdsDurations } : {}),
      ...(opts.reorderMaxHoldMs !== undefined ? { reorderMaxHoldMs: opts.reorderMaxHoldMs } : {}),
      onCall: (call) => faults.observeRds(call),
      onEvent: (event) => {
        const e = toBusEvent(event);
        if (bus) bus.publish(e, 'default');
        else early.push(e);
      },
    });
    stops.push(() => rds.stop());

    const env = {
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_RDS: opts.rdsEndpoint ?? rds.url,
      AWS_ENDPOINT_URL_DYNAMODB: db.url,
      AWS_ENDPOINT_URL_SESV2: sesProxy.url,
      AWS_ENDPOINT_URL_SES: sesProxy.url,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      // Wall-clock settings follow the stack's clock (RDS durations and SQS delays are divided by the time scale):
      // a crashed reconciler's lease lapses in the same simulated minute as on AWS.
      RUN_LEASE_SECONDS: String(Math.max(10, Math.ceil(60 / timeScale))),
      CHECK_BACK_GRACE_SECONDS: String(Math.max(2, Math.ceil(120 / timeScale))),
      // A request's verify timeout (minutes) passes on the stack's clock too.
      VERIFY_TIME_SCALE: String(timeScale),
      // Which stack a function's EMF lines belong to (emf.ts).
      [LOCAL_STACK_ID_VAR]: stackId,
    };
    const localBus = await startLocalBus({
      rootDir: opts.rootDir,
      stage,
      region,
      accountId,
      timeScale,
      dynamodbEndpoint: db.url,
      iam,
      baseEnv: env,
      intercept: faults.busInterceptor,
      ...(opts.maxConcurrency !== undefined ? { maxConcurrency: opts.maxConcurrency } : {}),
      ...(opts.runSchedules ? { runSchedules: true } : {}),
      ...(opts.loadHandler ? { loadHandler: opts.loadHandler } : {}),
      ...(opts.onInvocation ? { onInvocation: opts.onInvocation } : {}),
    });
    bus = localBus;
    busForEmf = localBus;
    stops.unshift(() => localBus.stop());
    for (const event of early.splice(0)) bus.publish(event, 'default');
    bus.ssm.put(
      SLACK_WEBHOOKS_PARAMETER(stage),
      JSON.stringify([slack.webhookUrl('platform-alerts'), slack.webhookUrl('oncall')]),
      'SecureString',
    );
    if (opts.seedDemo !== false && !opts.rdsEndpoint) {
      rds.seedInstance(DEMO_INSTANCE);
      rds.seedCluster(DEMO_CLUSTER);
      for (const member of DEMO_CLUSTER_MEMBERS) rds.seedInstance(member);
    }

    // Before anything fires: a bad config fails the start.
    const scheduleEntries = opts.schedulesFile ? loadSchedulesFile(opts.schedulesFile) : [];
    const scheduler = scheduleEntries.length
      ? startLocalScheduler({
          entries: scheduleEntries,
          timeScale,
          account: accountId,
          region,
          publish: (event) => localBus.publish(event, `trapheus-${stage}`),
        })
      : undefined;
    if (scheduler) stops.unshift(async () => scheduler.stop());

    const stack: LocalStack = {
      stage,
      region,
      busName: `trapheus-${stage}`,
      runsTable: `trapheus-runs-${stage}`,
      endpoints: {
        rds: opts.rdsEndpoint ?? rds.url,
        bus: bus.url,
        dynamodb: db.url,
        ses: sesProxy.url,
        slack: slack.url,
      },
      env: {
        ...env,
        AWS_ENDPOINT_URL_EVENTBRIDGE: bus.url,
        AWS_ENDPOINT_URL_SQS: bus.url,
        AWS_ENDPOINT_URL_SSM: bus.url,
        // The SDK's service-specific endpoint variable for Secrets Manager (serviceId "Secrets Manager").
        AWS_ENDPOINT_URL_SECRETS_MANAGER: bus.url,
      },
      rds,
      bus,
      slack,
      ses,
      faults,
      ...(scheduler ? { scheduler } : {}),
      iamCalls: () => iam.calls(),
      metrics: () => emf.summary(),
      settledMetrics: async (timeoutMs = 5_000) => {
        await localBus.whenNoInvocation(timeoutMs);
        return emf.summary();
      },
      stop: async () => {
        for (const stop of stops.splice(0)) await stop().catch(() => undefined);
      },
    };
    if (opts.writeInfo) {
      const file = join(opts.infoDir ?? opts.rootDir, '.trapheus', 'local.json');
      mkdirSync(dirname(file), { recursive: true });
      const { stage: s, region: r, busName, runsTable, endpoints } = stack;
      // rdsExternal: RDS calls go to opts.rdsEndpoint, which has no `/_sim/…` fault routes (`local fault` refuses).
      const info = {
        stage: s,
        region: r,
        busName,
        runsTable,
        endpoints,
        ...(opts.rdsEndpoint ? { rdsExternal: true } : {}),
        pid: process.pid,
      };
      writeFileSync(file, `${JSON.stringify(info, null, 2)}\n`);
    }
    return stack;
  } catch (err) {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    throw err;
  }
};
