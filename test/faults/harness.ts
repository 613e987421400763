/**
 * Fault-suite harness: runs a batch of restore runs on one local stack (each on its own database, with its own
 * faults), samples RDS and the runs table while they run, and checks the safety invariants of each run
 * (invariants.ts) once the batch is over.
 *
 * No jest here: the chaos soak (soak.test.ts) and the fleet benchmark (bench/fleet.ts, plain Node under tsx)
 * both run batches through it. Each says how its stack starts (`BatchOptions.start`): under jest the handlers must
 * be loaded in isolated module registries (test/e2e/stack-helpers.ts freshStack), in plain Node the local runner's
 * default loader does it.
 */
import { join } from 'node:path';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { RDSClient } from '@aws-sdk/client-rds';
import { QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import {
  DEMO_CLUSTER,
  DEMO_CLUSTER_MEMBERS,
  DEMO_INSTANCE,
  type LocalStack,
  type LocalStackOptions,
  type RdsCallRecord,
  startLocalStack,
} from '@trapheus/local';
import {
  createAwsClients,
  isTerminal,
  LIST_KEY,
  RestoreRequested,
  type Run,
  runIdFor,
  tempIdentifierFor,
} from '@trapheus/shared';

export const ROOT = join(__dirname, '..', '..');

/** SDK clients on a stack: the runs table, the bus, and RDS (one attempt: a test's call is not retried). */
export const clientsFor = (stack: LocalStack) => {
  const clients = createAwsClients({ region: stack.region, env: { ...process.env, ...stack.env } });
  const rds = new RDSClient({
    region: stack.region,
    endpoint: stack.endpoints.rds,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  return { clients, rds };
};

/** Starts the batch's stack; `timeScale` is always set. */
export type StackStarter = (opts: Partial<LocalStackOptions> & { timeScale: number }) => Promise<LocalStack>;

/** Outside jest: the local runner's own loader (project modules fresh per function). Seed 7 unless given. */
export const plainStack: StackStarter = (opts) => startLocalStack({ rootDir: ROOT, seed: 7, ...opts });

export const FN = {
  snapshot: 'trapheus-snapshot-local-worker',
  restore: 'trapheus-restore-local-worker',
  cleanup: 'trapheus-cleanup-local-worker',
} as const;

export type Kind = 'instance' | 'cluster';

export interface DbSpec {
  identifier: string;
  kind: Kind;
  /** cluster members, writer first */
  members: string[];
}

/** What a scenario's hooks get: the run's names, decided before the run starts. */
export interface RunCtx {
  stack: LocalStack;
  db: DbSpec;
  requestId: string;
  runId: string;
  /** the run's temp name for the instance or cluster, and for each member */
  temp: string;
  memberTemps: string[];
  /** the snapshot name the run uses today (`<id>-snapshot`) and the run-unique name planned */
  snapshotName: string;
  runUniqueSnapshotName: string;
  /** identifiers of bystanders a scenario seeded: never to be deleted or changed */
  bystanders: { instances: string[]; clusters: string[]; snapshots: string[]; clusterSnapshots: string[] };
  /** one-shot hook: `fn` runs once the simulator has answered a call matching `match` */
  afterRds(match: (c: RdsCallRecord) => boolean, fn: () => void): void;
}

export interface ScenarioRun {
  name: string;
  db: DbSpec;
  task?: string;
  /** before the request is sent: seed bystanders, arm faults */
  arm?(ctx: RunCtx): void | Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------------
// Seeding

export const instanceDb = (identifier: string): DbSpec => ({ identifier, kind: 'instance', members: [] });

export const clusterDb = (identifier: string, memberCount = 2): DbSpec => ({
  identifier,
  kind: 'cluster',
  members: ['writer', 'reader', 'reader2'].slice(0, memberCount).map((r) => `${identifier}-${r}`),
});

export const seedDb = (stack: LocalStack, db: DbSpec): void => {
  if (db.kind === 'instance') {
    stack.rds.seedInstance({ ...DEMO_INSTANCE, DBInstanceIdentifier: db.identifier });
    return;
  }
  const hasReader = db.members.length > 1;
  stack.rds.seedCluster({
    ...DEMO_CLUSTER,
    DBClusterIdentifier: db.identifier,
    customEndpoints: hasReader
      ? [
          {
            DBClusterEndpointIdentifier: `${db.identifier}-ro`,
            EndpointType: 'READER',
            StaticMembers: [db.members[1]!],
          },
        ]
      : [],
  });
  db.members.forEach((m, i) => {
    const base = DEMO_CLUSTER_MEMBERS[Math.min(i, 1)]!;
    stack.rds.seedInstance({
      ...base,
      DBInstanceIdentifier: m,
      DBClusterIdentifier: db.identifier,
      ...(i > 0 ? { PromotionTier: i + 1 } : {}),
    });
  });
};

// ---------------------------------------------------------------------------------------------------------------
// Sampling

export interface InstanceSample {
  rid: string;
  status: string;
  cluster?: string;
  runTag?: string;
  restoredBy?: string;
}
export interface ClusterSample {
  rid: string;
  status: string;
  runTag?: string;
  restoredBy?: string;
}
export interface SnapshotSample {
  status: string;
  /** DbiResourceId (instance snapshots) or source cluster identifier (cluster snapshots) */
  of: string;
  source: string;
}
export interface Sample {
  at: number;
  instances: Map<string, InstanceSample>;
  clusters: Map<string, ClusterSample>;
  snapshots: Map<string, SnapshotSample>;
  clusterSnapshots: Map<string, SnapshotSample & { ofRid?: string }>;
}

const tag = (tags: { Key: string; Value: string }[], key: string): string | undefined =>
  tags.find((t) => t.Key === key)?.Value;

/** One sample of RDS, from the simulator's inventory (4 a second in the soak: cheap, no Describe rendering). */
export const sampleRds = (stack: LocalStack): Sample => {
  const s = stack.rds.inventory();
  const at = Date.now();
  const instances = new Map<string, InstanceSample>();
  for (const i of s.instances) {
    const runTag = tag(i.TagList, 'trapheus:run-id');
    const restoredBy = tag(i.TagList, 'trapheus:restored-by');
    instances.set(i.DBInstanceIdentifier, {
      rid: i.DbiResourceId,
      status: i.DBInstanceStatus,
      ...(i.DBClusterIdentifier ? { cluster: i.DBClusterIdentifier } : {}),
      ...(runTag ? { runTag } : {}),
      ...(restoredBy ? { restoredBy } : {}),
    });
  }
  const clusters = new Map<string, ClusterSample>();
  for (const c of s.clusters) {
    const runTag = tag(c.TagList, 'trapheus:run-id');
    const restoredBy = tag(c.TagList, 'trapheus:restored-by');
    clusters.set(c.DBClusterIdentifier, {
      rid: c.DbClusterResourceId,
      status: c.Status,
      ...(runTag ? { runTag } : {}),
      ...(restoredBy ? { restoredBy } : {}),
    });
  }
  const snapshots = new Map<string, SnapshotSample>();
  for (const sn of s.snapshots) {
    snapshots.set(sn.DBSnapshotIdentifier, {
      status: sn.Status,
      of: sn.DbiResourceId,
      source: sn.DBInstanceIdentifier,
    });
  }
  const clusterSnapshots = new Map<string, SnapshotSample>();
  for (const sn of s.clusterSnapshots) {
    clusterSnapshots.set(sn.DBClusterSnapshotIdentifier, {
      status: sn.Status,
      of: sn.DBClusterIdentifier,
      source: sn.DBClusterIdentifier,
    });
  }
  return { at, instances, clusters, snapshots, clusterSnapshots };
};

/** What the one-active-run invariant reads of each run; a sample keeps only that (a soak takes hundreds). */
export type SampledRun = Pick<Run, 'runId' | 'step' | 'dbKey'>;

export interface RunsSample {
  at: number;
  runs: SampledRun[];
}

/**
 * Every run, from the runs table's byCreated index (listKey `RUN`, every run item): what the batch polls. A scan
 * would read every item of the table each time, the runs' trace items too, which grow with the batch (a 200-run
 * soak: ~5000 items, a few hundred ms a scan).
 */
export const listRuns = async (stack: LocalStack): Promise<Run[]> => {
  const { clients } = clientsFor(stack);
  const runs: Run[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await clients.dynamo.send(
      new QueryCommand({
        TableName: stack.runsTable,
        IndexName: 'byCreated',
        KeyConditionExpression: 'listKey = :k',
        ExpressionAttributeValues: { ':k': LIST_KEY },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of out.Items ?? []) if (typeof item.step === 'string') runs.push(item as Run);
    start = out.LastEvaluatedKey;
  } while (start);
  return runs;
};

/** Runs and locks from a consistent scan of the whole table; `unlisted`: runs missing from byCreated (listRuns). */
export const scanRuns = async (
  stack: LocalStack,
): Promise<{ runs: Run[]; locks: Record<string, string>; unlisted: string[] }> => {
  const { clients } = clientsFor(stack);
  const runs: Run[] = [];
  const unlisted: string[] = [];
  const locks: Record<string, string> = {};
  let start: Record<string, unknown> | undefined;
  do {
    const out = await clients.dynamo.send(
      new ScanCommand({
        TableName: stack.runsTable,
        ConsistentRead: true,
        ExclusiveStartKey: start,
        // Runs and locks only: the runs' trace items (TRACE#…, run-trace.ts) are many and not read here.
        FilterExpression: 'NOT begins_with(runId, :trace)',
        ExpressionAttributeValues: { ':trace': 'TRACE#' },
      }),
    );
    for (const item of out.Items ?? []) {
      if (typeof item.step === 'string') {
        runs.push(item as Run);
        if (item.listKey !== LIST_KEY) unlisted.push(String(item.runId));
      } else if (String(item.runId).startsWith('LOCK#'))
        locks[String(item.runId).slice(5)] = String(item.holder);
    }
    start = out.LastEvaluatedKey;
  } while (start);
  return { runs, locks, unlisted };
};

// ---------------------------------------------------------------------------------------------------------------
// Running a batch

export interface RunRecord {
  scenario: ScenarioRun;
  ctx: RunCtx;
  /** RDS as the run found it */
  initial: Sample;
  originalRid: string;
  memberRids: Record<string, string>;
  startedAt: number;
  run?: Run;
  timedOut: boolean;
}

export interface BatchResult {
  records: RunRecord[];
  /** when the first request was sent, and when the poller saw every run terminal (or gave up at the deadline) */
  firstRequestAt: number;
  runsEndedAt: number;
  samples: Sample[];
  runSamples: RunsSample[];
  calls: RdsCallRecord[];
  emails: { subject: string; text?: string; html?: string }[];
  slack: { webhook: string; body: unknown }[];
  slackAttempts: { webhook: string; status: number }[];
  dlq: { email: string[]; slack: string[] };
  locks: Record<string, string>;
  /**
   * Runs the final scan found that the polls could not see (not in the byCreated index): the samples of the
   * one-active-run invariant miss them. Empty unless the pipeline wrote a run without its listKey.
   */
  unlistedRuns: string[];
  endedAt: number;
  wallMs: number;
  peakRssMb: number;
}

export interface BatchOptions {
  /** how the stack starts (see the header): `freshStack` under jest, `plainStack` in plain Node */
  start: StackStarter;
  timeScale?: number;
  /** per-batch deadline for every run to reach a terminal state */
  deadlineMs?: number;
  sampleEveryMs?: number;
  stack?: Partial<LocalStackOptions>;
  /** before the runs start (global faults: events, throttling) */
  beforeRuns?(stack: LocalStack): void;
  /** pause between two requests (0: all at once) */
  startSpreadMs?: number;
  /** how long to wait for the bus to go idle after the last run ended (default 5 s) */
  settleMs?: number;
  /** how often the runs are polled (default 150 ms) */
  pollMs?: number;
  /** progress: called after each poll of the runs with the count of terminal runs */
  onProgress?(terminal: number, total: number): void;
  /** once everything settled, before the stack stops: read more of it (invocations, queues, events) */
  afterRuns?(stack: LocalStack): void | Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const namesOf = (db: DbSpec, runId: string) => ({
  temp: tempIdentifierFor(db.identifier, runId),
  memberTemps: db.members.map((m) => tempIdentifierFor(m, runId)),
});

export const runBatch = async (scenarios: ScenarioRun[], opts: BatchOptions): Promise<BatchResult> => {
  const t0 = Date.now();
  const stack = await opts.start({
    seedDemo: false,
    runSchedules: true,
    ...opts.stack,
    timeScale: opts.timeScale ?? 600,
  });
  let peakRss = process.memoryUsage().rss;
  try {
    const records: RunRecord[] = [];
    const oneShots: { match: (c: RdsCallRecord) => boolean; fn: () => void }[] = [];
    stack.rds.onCall((c) => {
      if (oneShots.length === 0) return;
      for (const o of [...oneShots]) {
        if (o.match(c)) {
          oneShots.splice(oneShots.indexOf(o), 1);
          o.fn();
        }
      }
    });
    for (const sc of scenarios) seedDb(stack, sc.db);
    for (const [i, sc] of scenarios.entries()) {
      const requestId = `fault-${i}-${sc.db.identifier}`;
      const runId = runIdFor({ requestId });
      const ctx: RunCtx = {
        stack,
        db: sc.db,
        requestId,
        runId,
        ...namesOf(sc.db, runId),
        snapshotName: `${sc.db.identifier}-snapshot`,
        runUniqueSnapshotName: `${sc.db.identifier}-snapshot-${runId.replace(/^run-/, '').slice(0, 8)}`,
        bystanders: { instances: [], clusters: [], snapshots: [], clusterSnapshots: [] },
        afterRds: (match, fn) => oneShots.push({ match, fn }),
      };
      await sc.arm?.(ctx);
      records.push({
        scenario: sc,
        ctx,
        initial: undefined as unknown as Sample,
        originalRid: '',
        memberRids: {},
        startedAt: 0,
        timedOut: false,
      });
    }
    opts.beforeRuns?.(stack);

    const samples: Sample[] = [];
    const runSamples: RunsSample[] = [];
    const first = sampleRds(stack);
    samples.push(first);
    for (const r of records) {
      r.initial = first;
      r.originalRid =
        r.ctx.db.kind === 'instance'
          ? (first.instances.get(r.ctx.db.identifier)?.rid ?? '')
          : (first.clusters.get(r.ctx.db.identifier)?.rid ?? '');
      for (const m of r.ctx.db.members) r.memberRids[m] = first.instances.get(m)?.rid ?? '';
    }
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        samples.push(sampleRds(stack));
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
        await sleep(opts.sampleEveryMs ?? 30);
      }
    })();

    const { clients } = clientsFor(stack);
    const firstRequestAt = Date.now();
    for (const r of records) {
      r.startedAt = Date.now();
      const detail = {
        identifier: r.ctx.db.identifier,
        task: r.scenario.task ?? 'create_snapshot',
        isCluster: r.ctx.db.kind === 'cluster',
        requestId: r.ctx.requestId,
      };
      await clients.eventBridge.send(
        new PutEventsCommand({
          Entries: [
            {
              EventBusName: stack.busName,
              Source: RestoreRequested.source,
              DetailType: RestoreRequested.detailType,
              Detail: JSON.stringify(detail),
            },
          ],
        }),
      );
      if (opts.startSpreadMs) await sleep(opts.startSpreadMs);
    }

    const deadline = Date.now() + (opts.deadlineMs ?? 60_000);
    for (;;) {
      const listed = await listRuns(stack);
      runSamples.push({
        at: Date.now(),
        runs: listed.map(({ runId, step, dbKey }) => ({ runId, step, dbKey })),
      });
      const byId = new Map(listed.map((run) => [run.runId, run]));
      for (const r of records) r.run = byId.get(r.ctx.runId);
      const terminal = records.filter((r) => r.run && isTerminal(r.run.step)).length;
      opts.onProgress?.(terminal, records.length);
      if (terminal === records.length) break;
      if (Date.now() > deadline) {
        for (const r of records) if (!r.run || !isTerminal(r.run.step)) r.timedOut = true;
        break;
      }
      await sleep(opts.pollMs ?? 150);
    }
    const runsEndedAt = Date.now();
    // Let late deliveries (notifications, stale check-backs) play out: a call after the end must show up.
    await stack.bus.whenIdle(opts.settleMs ?? 5_000).catch(() => undefined);
    await sleep(300);
    await stack.bus.whenIdle(2_000).catch(() => undefined);
    sampling = false;
    await sampler;
    samples.push(sampleRds(stack));
    const final = await scanRuns(stack);
    const byId = new Map(final.runs.map((run) => [run.runId, run]));
    for (const r of records) r.run = byId.get(r.ctx.runId) ?? r.run;
    const { locks, unlisted } = final;

    const emails = (await stack.ses.emails()).map((e) => ({
      subject: e.subject,
      ...(e.text !== undefined ? { text: e.text } : {}),
      ...(e.html !== undefined ? { html: e.html } : {}),
    }));
    const dlqBodies = (q: string) => {
      try {
        return stack.bus.dlqMessages(q).map((m) => m.body);
      } catch {
        return [];
      }
    };
    const queueNames = stack.bus.queues().map((q) => q.name);
    const dlq = {
      email: queueNames.filter((q) => /notify-email-dlq/.test(q)).flatMap(dlqBodies),
      slack: queueNames.filter((q) => /notify-slack.*dlq/.test(q)).flatMap(dlqBodies),
    };
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    await opts.afterRuns?.(stack);
    return {
      records,
      firstRequestAt,
      runsEndedAt,
      samples,
      runSamples,
      calls: stack.rds.callLog(),
      emails,
      slack: stack.slack.posts().map((p) => ({ webhook: p.webhook, body: p.body })),
      slackAttempts: stack.slack.attempts().map((a) => ({ webhook: a.webhook, status: a.status })),
      dlq,
      locks,
      unlistedRuns: unlisted,
      endedAt: Date.now(),
      wallMs: Date.now() - t0,
      peakRssMb: Math.round(peakRss / 1024 / 1024),
    };
  } finally {
    await stack.stop();
  }
};
