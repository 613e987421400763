/**
 * Fault-suite harness: runs a batch of restore runs on one local stack (each on its own database, with its own
 * faults), samples RDS and the runs table while they run, and checks the safety invariants of each run
 * (invariants.ts) once the batch is over.
 */
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import {
  DEMO_CLUSTER,
  DEMO_CLUSTER_MEMBERS,
  DEMO_INSTANCE,
  type LocalStack,
  type LocalStackOptions,
  type RdsCallRecord,
} from '@trapheus/local';
import { isTerminal, RestoreRequested, type Run, runIdFor, tempIdentifierFor } from '@trapheus/shared';
import { clientsFor, freshStack } from '../e2e/stack-helpers';

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

const tag = (tags: unknown, key: string): string | undefined =>
  (Array.isArray(tags) ? (tags as { Key: string; Value: string }[]) : []).find((t) => t.Key === key)?.Value;

export const sampleRds = (stack: LocalStack): Sample => {
  const s = stack.rds.snapshotState();
  const at = Date.now();
  const instances = new Map<string, InstanceSample>();
  for (const i of s.instances as Record<string, unknown>[]) {
    instances.set(String(i.DBInstanceIdentifier), {
      rid: String(i.DbiResourceId),
      status: String(i.DBInstanceStatus),
      ...(i.DBClusterIdentifier ? { cluster: String(i.DBClusterIdentifier) } : {}),
      ...(tag(i.TagList, 'trapheus:run-id') ? { runTag: tag(i.TagList, 'trapheus:run-id') } : {}),
      ...(tag(i.TagList, 'trapheus:restored-by')
        ? { restoredBy: tag(i.TagList, 'trapheus:restored-by') }
        : {}),
    });
  }
  const clusters = new Map<string, ClusterSample>();
  for (const c of s.clusters as Record<string, unknown>[]) {
    clusters.set(String(c.DBClusterIdentifier), {
      rid: String(c.DbClusterResourceId),
      status: String(c.Status),
      ...(tag(c.TagList, 'trapheus:run-id') ? { runTag: tag(c.TagList, 'trapheus:run-id') } : {}),
      ...(tag(c.TagList, 'trapheus:restored-by')
        ? { restoredBy: tag(c.TagList, 'trapheus:restored-by') }
        : {}),
    });
  }
  const snapshots = new Map<string, SnapshotSample>();
  for (const sn of s.snapshots as Record<string, unknown>[]) {
    snapshots.set(String(sn.DBSnapshotIdentifier), {
      status: String(sn.Status),
      of: String(sn.DbiResourceId),
      source: String(sn.DBInstanceIdentifier),
    });
  }
  const clusterSnapshots = new Map<string, SnapshotSample>();
  for (const sn of s.clusterSnapshots as Record<string, unknown>[]) {
    clusterSnapshots.set(String(sn.DBClusterSnapshotIdentifier), {
      status: String(sn.Status),
      of: String(sn.DBClusterIdentifier),
      source: String(sn.DBClusterIdentifier),
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

export const scanRuns = async (
  stack: LocalStack,
): Promise<{ runs: Run[]; locks: Record<string, string> }> => {
  const { clients } = clientsFor(stack);
  const runs: Run[] = [];
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
      if (typeof item.step === 'string') runs.push(item as Run);
      else if (String(item.runId).startsWith('LOCK#'))
        locks[String(item.runId).slice(5)] = String(item.holder);
    }
    start = out.LastEvaluatedKey;
  } while (start);
  return { runs, locks };
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
  samples: Sample[];
  runSamples: RunsSample[];
  calls: RdsCallRecord[];
  emails: { subject: string; text?: string; html?: string }[];
  slack: { webhook: string; body: unknown }[];
  slackAttempts: { webhook: string; status: number }[];
  dlq: { email: string[]; slack: string[] };
  locks: Record<string, string>;
  endedAt: number;
  wallMs: number;
  peakRssMb: number;
}

export interface BatchOptions {
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
  /** how often the runs table is scanned (default 150 ms) */
  pollMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const namesOf = (db: DbSpec, runId: string) => ({
  temp: tempIdentifierFor(db.identifier, runId),
  memberTemps: db.members.map((m) => tempIdentifierFor(m, runId)),
});

export const runBatch = async (scenarios: ScenarioRun[], opts: BatchOptions = {}): Promise<BatchResult> => {
  const t0 = Date.now();
  const stack = await freshStack(opts.timeScale ?? 600, {
    seedDemo: false,
    runSchedules: true,
    ...opts.stack,
  });
  let peakRss = process.memoryUsage().rss;
  try {
    const records: RunRecord[] = [];
    const oneShots: { match: (c: RdsCallRecord) => boolean; fn: () => void }[] = [];
    stack.rds.onCall((c) => {
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
    let locks: Record<string, string> = {};
    for (;;) {
      const scanned = await scanRuns(stack);
      locks = scanned.locks;
      runSamples.push({
        at: Date.now(),
        runs: scanned.runs.map(({ runId, step, dbKey }) => ({ runId, step, dbKey })),
      });
      const byId = new Map(scanned.runs.map((run) => [run.runId, run]));
      for (const r of records) r.run = byId.get(r.ctx.runId);
      if (records.every((r) => r.run && isTerminal(r.run.step))) break;
      if (Date.now() > deadline) {
        for (const r of records) if (!r.run || !isTerminal(r.run.step)) r.timedOut = true;
        break;
      }
      await sleep(opts.pollMs ?? 150);
    }
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
    locks = final.locks;

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
    return {
      records,
      samples,
      runSamples,
      calls: stack.rds.callLog(),
      emails,
      slack: stack.slack.posts().map((p) => ({ webhook: p.webhook, body: p.body })),
      slackAttempts: stack.slack.attempts().map((a) => ({ webhook: a.webhook, status: a.status })),
      dlq,
      locks,
      endedAt: Date.now(),
      wallMs: Date.now() - t0,
      peakRssMb: Math.round(peakRss / 1024 / 1024),
    };
  } finally {
    await stack.stop();
  }
};
