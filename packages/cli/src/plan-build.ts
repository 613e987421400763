/**
 * `trapheus plan`: what a restore would do, read from RDS and the runs table without changing anything. The RDS
 * inputs come from the builders the services use (buildRestoreInput, buildPostRestoreModify,
 * buildClusterRestoreInput, buildMemberCreateInput, buildClusterPostModify), the blockers from the intake
 * predicates of the snapshot service (packages/shared/src/intake.ts), the kept / not kept list from the ledger.
 */
import {
  type DBCluster,
  type DBClusterSnapshot,
  type DBInstance,
  type DBSnapshot,
  DescribeAccountAttributesCommand,
  type RDSClient,
} from '@aws-sdk/client-rds';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  ACCEPTED_DB_STATUSES,
  buildClusterPostModify,
  buildClusterRestoreInput,
  buildMemberCreateInput,
  buildPostRestoreModify,
  buildRestoreInput,
  type CapturedCluster,
  type CapturedInstance,
  CLUSTER_LEDGER,
  captureCluster,
  captureInstance,
  copyIdentifierFor,
  type DbKind,
  describeCluster,
  describeClusterSnapshot,
  describeCustomEndpoints,
  describeInstance,
  describeSnapshot,
  INSTANCE_LEDGER,
  isTrapheusSnapshotOf,
  type LedgerEntry,
  listManualSnapshots,
  MAX_TAGS,
  memberCopyIdentifier,
  memberTempIdentifier,
  peekLock,
  RESTORED_TAG,
  type Remedy,
  RUN_TAG,
  type Run,
  type RunRepository,
  retryRemedy,
  runSnapshotIdentifier,
  SNAPSHOT_TAG,
  type Step,
  type Strategy,
  type Task,
  tempIdentifierFor,
  unsupportedCluster,
  unsupportedInstance,
} from '@trapheus/shared';

export interface PlanRequest {
  identifier: string;
  kind: DbKind;
  task: Task;
  /** snapshot tasks: the base name; db_restore: the snapshot (default: the newest Trapheus took). */
  snapshot?: string;
  strategy: Strategy;
  /** The runId the names are computed with (a fresh one: the real run gets its own). */
  runId: string;
  /** The deploy parameter snapshotRetention the plan assumes (default 1). */
  snapshotRetention?: number;
}

/** One RDS call a run would make, in order, with the input the service would send. */
export interface PlannedCall {
  step: Step;
  service: 'snapshot' | 'restore' | 'cleanup';
  action: string;
  params: Record<string, unknown>;
  /** Why, or when it may not happen. */
  note?: string;
}

export type Verdict = 'ok' | 'blocked' | 'handled' | 'unknown' | 'not checked' | 'notice';

export interface PlanCheck {
  check: string;
  verdict: Verdict;
  detail: string;
}

export interface PlanBlocker {
  /** The code the run would be rejected (or fail) with. */
  code: string;
  reason: string;
  remedy?: Remedy;
}

export interface LedgerLine {
  field: string;
  how: string;
  detail: string;
}

export interface Plan {
  identifier: string;
  kind: DbKind;
  task: Task;
  strategy: Strategy;
  /** 0 when the run would go ahead, 1 when blocked. */
  wouldProceed: boolean;
  names: {
    runIdExample: string;
    note: string;
    temp?: string;
    copy?: string;
    members?: { name: string; temp: string; copy?: string }[];
    snapshot?: string;
    snapshotNote: string;
  };
  calls: PlannedCall[];
  ledger: { kept: LedgerLine[]; notKept: LedgerLine[] };
  checks: PlanCheck[];
  blockers: PlanBlocker[];
  estimate: { seconds?: number; basis: string };
}

export interface PlanDeps {
  rds: RDSClient;
  runs: Pick<RunRepository, 'listByDatabase'>;
  dynamo: DynamoDBDocumentClient;
  runsTable: string;
}

const LABEL = { instance: 'DB instance', cluster: 'DB cluster' } as const;
const SNAPSHOT_LABEL = { instance: 'DB snapshot', cluster: 'DB cluster snapshot' } as const;
const NOT_FOUND = { instance: 'DBInstanceNotFound', cluster: 'DBClusterNotFoundFault' } as const;
const SNAPSHOT_NOT_FOUND = {
  instance: 'DBSnapshotNotFound',
  cluster: 'DBClusterSnapshotNotFoundFault',
} as const;
const INVALID_STATE = { instance: 'InvalidDBInstanceState', cluster: 'InvalidDBClusterStateFault' } as const;

/** RDS identifier limits (RDS API reference: DBInstanceIdentifier / DBClusterIdentifier 1–63, snapshots 1–255). */
const MAX_DB_NAME = 63;
const MAX_SNAPSHOT_NAME = 255;

/** The assumed rates of a size-based estimate (no past run of this database to go by). */
export const ASSUMED = {
  snapshotBaseMin: 5,
  snapshotMinPer100GiB: 10,
  restoreBaseMin: 15,
  restoreMinPer100GiB: 10,
  configureMin: 10,
  renameMin: 2,
  memberCreateMin: 10,
  deleteMin: 10,
};

/** Another resource's ARN in the same account and Region (`arn:…:db:orders-db` → `arn:…:db:<name>`). */
const arnWithName = (arn: string | undefined, name: string): string =>
  arn ? arn.replace(/[^:]+$/, name) : `(the ARN of ${name})`;

const isEmpty = (v: unknown): boolean =>
  v === undefined ||
  v === null ||
  v === '' ||
  v === false ||
  v === 0 ||
  (Array.isArray(v) && v.length === 0) ||
  (typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0);

/** What the ledger says happens to each field this database actually has set. */
const ledgerLines = <C>(
  ledger: Readonly<Record<string, LedgerEntry<C>>>,
  resource: object,
): { kept: LedgerLine[]; notKept: LedgerLine[] } => {
  const kept: LedgerLine[] = [];
  const notKept: LedgerLine[] = [];
  for (const [field, entry] of Object.entries(ledger)) {
    if (isEmpty((resource as Record<string, unknown>)[field])) continue;
    switch (entry.how) {
      case 'restore':
        kept.push({ field, how: 'at restore', detail: entry.param });
        break;
      case 'modify':
        kept.push({ field, how: 'post-restore modify', detail: entry.param });
        break;
      case 'recreate':
        kept.push({ field, how: 're-created', detail: entry.call });
        break;
      case 'snapshot':
        kept.push({ field, how: 'from the snapshot', detail: entry.why });
        break;
      case 'not-carried':
        notKept.push({ field, how: 'not carried', detail: entry.why });
        break;
      default:
        break; // identity: not configuration; refused: a blocker
    }
  }
  return { kept, notKept };
};

/** What RDS gives a copy restored with `input` before the post-restore modify (what the modify is built against). */
const restoredInstanceAsPredicted = (
  original: CapturedInstance,
  input: ReturnType<typeof buildRestoreInput>,
  snapshot: DBSnapshot | undefined,
): DBInstance => ({
  DBInstanceIdentifier: input.DBInstanceIdentifier,
  MonitoringInterval: 0,
  PerformanceInsightsEnabled: false,
  DatabaseInsightsMode: 'standard',
  AllocatedStorage: input.AllocatedStorage ?? snapshot?.AllocatedStorage ?? original.AllocatedStorage,
  PreferredBackupWindow: input.PreferredBackupWindow,
  BackupRetentionPeriod: input.BackupRetentionPeriod,
  DeletionProtection: false,
  EngineVersion: snapshot?.EngineVersion ?? original.EngineVersion,
  ...(input.ManageMasterUserPassword ? { MasterUserSecret: { SecretArn: '(created at restore)' } } : {}),
});

const restoredClusterAsPredicted = (input: ReturnType<typeof buildClusterRestoreInput>): DBCluster => ({
  DBClusterIdentifier: input.DBClusterIdentifier,
  DeletionProtection: false,
  // RDS's default for a new cluster or instance.
  DatabaseInsightsMode: 'standard',
  BackupRetentionPeriod: input.BackupRetentionPeriod,
});

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};

const runSeconds = (run: Run): number | undefined => {
  const first = run.history[0]?.at;
  const last = run.history.at(-1)?.at;
  return first && last ? (Date.parse(last) - Date.parse(first)) / 1000 : undefined;
};

/** From this database's past SUCCEEDED runs, or else from its size at the assumed rates. */
const estimate = (
  req: PlanRequest,
  past: Run[],
  sizeGiB: number | undefined,
  members: number,
): Plan['estimate'] => {
  const succeeded = past.filter((r) => r.step === 'SUCCEEDED');
  const same = succeeded.filter(
    (r) => r.task === req.task && (r.strategy ?? 'rename_first') === req.strategy,
  );
  const basisRuns = same.length ? same : succeeded;
  const durations = basisRuns.map(runSeconds).filter((s): s is number => s !== undefined);
  if (durations.length) {
    return {
      seconds: Math.round(median(durations)),
      basis: `median of ${durations.length} SUCCEEDED run(s) of this database${same.length ? ` (task ${req.task}, strategy ${req.strategy})` : ' (any task or strategy)'}, from the runs table`,
    };
  }
  const gib = sizeGiB ?? 0;
  const a = ASSUMED;
  let min = 0;
  if (req.task !== 'db_restore') min += a.snapshotBaseMin + (gib / 100) * a.snapshotMinPer100GiB;
  if (req.task !== 'create_snapshot_only') {
    min += a.restoreBaseMin + (gib / 100) * a.restoreMinPer100GiB + a.configureMin + a.deleteMin;
    min += (req.strategy === 'swap' ? 2 : 1) * a.renameMin;
    if (req.kind === 'cluster') min += (members > 1 ? 2 : members) * a.memberCreateMin;
  }
  return {
    seconds: Math.round(min * 60),
    basis:
      `no SUCCEEDED run of this database in the runs table: from its size (${sizeGiB === undefined ? 'unknown, taken as 0' : `${gib} GiB`}) at assumed rates ` +
      `(snapshot ${a.snapshotBaseMin} min + ${a.snapshotMinPer100GiB} min per 100 GiB; restore ${a.restoreBaseMin} min + ${a.restoreMinPer100GiB} min per 100 GiB; ` +
      `configure ${a.configureMin} min; each rename ${a.renameMin} min; each wave of member creates ${a.memberCreateMin} min; delete ${a.deleteMin} min)`,
  };
};

/** The account quotas a run needs one more of, from DescribeAccountAttributes (when the endpoint answers it). */
const quotaChecks = async (
  rds: RDSClient,
  req: PlanRequest,
  members: number,
): Promise<{ check: PlanCheck; blocker?: PlanBlocker }[]> => {
  let quotas: { AccountQuotaName?: string; Used?: number; Max?: number }[];
  try {
    quotas = (await rds.send(new DescribeAccountAttributesCommand({}))).AccountQuotas ?? [];
  } catch (err) {
    return [
      {
        check: {
          check: 'quotas',
          verdict: 'unknown',
          detail: `DescribeAccountAttributes was not answered (${(err as Error).name}: ${(err as Error).message}); the run would fail (unchanged, unlocked) if a quota is reached`,
        },
      },
    ];
  }
  const need: { name: string; more: number; why: string }[] = [];
  if (req.task !== 'db_restore') {
    need.push({
      name: req.kind === 'cluster' ? 'ManualClusterSnapshots' : 'ManualSnapshots',
      more: 1,
      why: 'the new snapshot (older ones are retired only once it is available)',
    });
  }
  if (req.task !== 'create_snapshot_only') {
    if (req.kind === 'cluster') need.push({ name: 'DBClusters', more: 1, why: 'the restored cluster' });
    need.push({
      name: 'DBInstances',
      more: req.kind === 'cluster' ? members : 1,
      why: req.kind === 'cluster' ? 'the restored members' : 'the restored copy',
    });
  }
  return need.map(({ name, more, why }) => {
    const q = quotas.find((x) => x.AccountQuotaName === name);
    if (!q || q.Used === undefined || q.Max === undefined) {
      return { check: { check: `quota ${name}`, verdict: 'unknown', detail: 'not in the answer' } };
    }
    const ok = q.Used + more <= q.Max;
    const detail = `${q.Used} of ${q.Max} used; the run needs ${more} more for ${why}`;
    return ok
      ? { check: { check: `quota ${name}`, verdict: 'ok', detail } }
      : {
          check: { check: `quota ${name}`, verdict: 'blocked', detail },
          blocker: { code: `${name}QuotaExceeded`, reason: `account quota ${name}: ${detail}` },
        };
  });
};

/**
 * Reads RDS and the runs table and says what a restore of `req` would do. Only Describe* calls and reads.
 *
 * @example
 * const plan = await buildPlan({ rds, runs, dynamo, runsTable }, { identifier: 'orders-db', kind: 'instance', task: 'create_snapshot', strategy: 'swap', runId });
 */
export const buildPlan = async (deps: PlanDeps, req: PlanRequest): Promise<Plan> => {
  const { rds } = deps;
  const { identifier, kind, task, strategy, runId } = req;
  const label = LABEL[kind];
  const snapshotLabel = SNAPSHOT_LABEL[kind];
  const blockers: PlanBlocker[] = [];
  const checks: PlanCheck[] = [];
  const block = (check: string, b: PlanBlocker) => {
    blockers.push(b);
    checks.push({ check, verdict: 'blocked', detail: b.reason });
  };
  const retry = retryRemedy({
    identifier,
    kind,
    task,
    ...(req.snapshot ? { snapshotIdentifier: req.snapshot } : {}),
  });

  // The request as the snapshot service would record it (onRequest).
  const base = req.snapshot ?? `${identifier}-snapshot`;
  const takesSnapshot = task !== 'db_restore';
  let snapshotId = takesSnapshot ? runSnapshotIdentifier(base, runId) : base;
  let snapshotNote = takesSnapshot
    ? `${snapshotLabel} to take: ${base}-<8 characters of the run id> (computed here with ${runId}; the real run's differs)`
    : req.snapshot
      ? `the named ${snapshotLabel}`
      : `the newest available ${snapshotLabel} Trapheus took under ${base}, else ${base} itself`;

  // 1. The lock (acquireLock, read only).
  const lock = await peekLock(deps.dynamo, deps.runsTable, kind, identifier);
  if (!lock.free && lock.needsPerson) {
    block('lock', {
      code: 'PreviousRunFailed',
      reason:
        `the last run (${lock.holder}) on ${label} ${identifier} FAILED and needs a person; once the database is ` +
        'sorted out, release its lock (trapheus unlock), then request the restore again',
      remedy: { action: 'unlock', identifier, isCluster: kind === 'cluster' },
    });
  } else if (!lock.free) {
    block('lock', {
      code: 'RunAlreadyActive',
      reason: `another run (${lock.holder}) is active on ${label} ${identifier}; wait for it to finish`,
      remedy: { action: 'follow', runId: lock.holder },
    });
  } else {
    checks.push({
      check: 'lock',
      verdict: 'ok',
      detail: lock.holder ? `free (last held by ${lock.holder}, finished)` : 'no active run on this database',
    });
  }

  // 2. The database (describeDb of acceptRequest, plus the capture the restore service would make).
  const db = kind === 'instance' ? await describeInstance(rds, identifier) : undefined;
  const cluster = kind === 'cluster' ? await describeCluster(rds, identifier) : undefined;
  let original: CapturedInstance | CapturedCluster | undefined;
  const memberDbs: DBInstance[] = [];
  if (!db && !cluster) {
    const otherExists =
      kind === 'instance'
        ? !!(await describeCluster(rds, identifier))
        : !!(await describeInstance(rds, identifier));
    const other = kind === 'instance' ? 'DB cluster' : 'DB instance';
    block('database', {
      code: NOT_FOUND[kind],
      reason: `${label} ${identifier} not found${otherExists ? ` (a ${other} ${identifier} exists: request it as a ${kind === 'instance' ? 'cluster' : 'DB instance'})` : ''}`,
      ...(otherExists ? { remedy: { ...retry, isCluster: kind === 'instance' } } : {}),
    });
  } else {
    const status = (db ? db.DBInstanceStatus : cluster?.Status) ?? 'unknown';
    const tagCount = (db ? db.TagList : cluster?.TagList)?.length ?? 0;
    const unsupported = db ? unsupportedInstance(db) : cluster ? unsupportedCluster(cluster) : undefined;
    let ok = true;
    if (db?.DBClusterIdentifier) {
      ok = false;
      block('database', {
        code: 'InstanceInCluster',
        reason: `DB instance ${identifier} is a member of cluster ${db.DBClusterIdentifier}: restore the cluster instead`,
        remedy: { ...retry, identifier: db.DBClusterIdentifier, isCluster: true },
      });
    }
    if (!ACCEPTED_DB_STATUSES.has(status)) {
      ok = false;
      block('status', {
        code: INVALID_STATE[kind],
        reason: `${label} ${identifier} is ${status}; it must be available`,
      });
    }
    if (unsupported) {
      ok = false;
      block('shape', {
        code: 'UnsupportedTopology',
        reason: `${label} ${identifier} cannot be restored in place: ${unsupported}`,
      });
    }
    if (tagCount >= MAX_TAGS) {
      ok = false;
      block('tags', {
        code: 'TagQuotaPerResourceExceeded',
        reason: `${label} ${identifier} has ${tagCount} tags, the RDS maximum: Trapheus needs one free for its run tag`,
      });
    }
    if (ok) {
      checks.push({
        check: 'database',
        verdict: 'ok',
        detail: `${label} ${identifier} is ${status}${status === 'available' ? '' : ' (the run waits until it is available)'}, ${tagCount} tags, no refused shape`,
      });
    }
    if (db?.DBInstanceIdentifier && db.DbiResourceId) original = captureInstance(db);
    if (cluster?.DBClusterIdentifier && cluster.DbClusterResourceId) {
      for (const m of cluster.DBClusterMembers ?? []) {
        const member = await describeInstance(rds, m.DBInstanceIdentifier ?? '');
        if (member) memberDbs.push(member);
      }
      original = captureCluster(cluster, memberDbs, await describeCustomEndpoints(rds, identifier));
    }
  }

  // 3. The snapshot.
  let sourceSnapshot: DBSnapshot | DBClusterSnapshot | undefined;
  const describeSnap = (id: string) =>
    kind === 'instance' ? describeSnapshot(rds, id) : describeClusterSnapshot(rds, id);
  const sourceOf = (s: DBSnapshot | DBClusterSnapshot) =>
    'DBInstanceIdentifier' in s ? s.DBInstanceIdentifier : (s as DBClusterSnapshot).DBClusterIdentifier;
  const own = original ? await listManualSnapshots(rds, kind, identifier) : [];
  if (takesSnapshot) {
    const existing = await describeSnap(snapshotId);
    if (existing && sourceOf(existing) !== identifier) {
      block('snapshot', {
        code: 'SnapshotNameTaken',
        reason:
          `${snapshotLabel} ${snapshotId} exists and is a snapshot of ${sourceOf(existing) ?? 'another database'}: ` +
          'Trapheus replaces only snapshots of the database it restores; choose another snapshot name',
      });
    } else {
      checks.push({
        check: 'snapshot',
        verdict: 'ok',
        detail: `${snapshotId} is free (the run's own name is unique to the run)`,
      });
    }
    if (snapshotId.length > MAX_SNAPSHOT_NAME) {
      block('names', {
        code: 'InvalidParameterValue',
        reason: `the snapshot name ${snapshotId} is ${snapshotId.length} characters, more than ${MAX_SNAPSHOT_NAME}: choose a shorter --snapshot`,
      });
    }
  } else {
    if (!req.snapshot) {
      const newest = own
        .filter((s) => s.status === 'available' && isTrapheusSnapshotOf(s, base))
        .sort((a, b) => (b.created?.getTime() ?? 0) - (a.created?.getTime() ?? 0))[0];
      if (newest) snapshotId = newest.id;
      snapshotNote = newest
        ? `the newest available ${snapshotLabel} Trapheus took of ${identifier} (${newest.id})`
        : `no available ${snapshotLabel} Trapheus took under ${base}: the run looks for ${base} itself`;
    }
    sourceSnapshot = await describeSnap(snapshotId);
    if (!sourceSnapshot) {
      block('snapshot', {
        code: SNAPSHOT_NOT_FOUND[kind],
        reason: `${snapshotLabel} ${snapshotId} not found (task db_restore)`,
      });
    } else if (sourceSnapshot.Status !== 'available') {
      block('snapshot', {
        code: 'InvalidSnapshotState',
        reason: `${snapshotLabel} ${snapshotId} is ${sourceSnapshot.Status}; it must be available`,
      });
    } else {
      const of = sourceOf(sourceSnapshot);
      checks.push({
        check: 'snapshot',
        verdict: of === identifier ? 'ok' : 'notice',
        detail:
          `${snapshotId} is available, a snapshot of ${of ?? 'an unknown database'}` +
          (of === identifier ? '' : ` (not of ${identifier}: its data replaces ${identifier}'s)`),
      });
    }
  }

  // 4. The names (each ≤ 63: the run shortens the identifier part to fit; say so when it does).
  const swap = strategy === 'swap';
  const temp = tempIdentifierFor(identifier, runId);
  const copy = swap ? copyIdentifierFor(identifier, runId) : undefined;
  const memberNames =
    original?.kind === 'cluster'
      ? original.members.map((m) => ({
          name: m.DBInstanceIdentifier,
          temp: memberTempIdentifier(m.DBInstanceIdentifier, runId),
          ...(swap ? { copy: memberCopyIdentifier(m.DBInstanceIdentifier, runId) } : {}),
        }))
      : undefined;
  if (task !== 'create_snapshot_only') {
    const all = [
      { of: identifier, temp, copy },
      ...(memberNames ?? []).map((m) => ({ of: m.name, temp: m.temp, copy: m.copy })),
    ];
    const shortened = all.filter((n) => !n.temp.startsWith(`${n.of}-`));
    const tooLong = all.flatMap((n) => [n.temp, n.copy ?? '']).filter((n) => n.length > MAX_DB_NAME);
    if (tooLong.length) {
      block('names', {
        code: 'InvalidParameterValue',
        reason: `names longer than 63: ${tooLong.join(', ')}`,
      });
    } else {
      checks.push({
        check: 'names',
        verdict: 'ok',
        detail:
          `temp and copy names are at most ${Math.max(...all.flatMap((n) => [n.temp.length, n.copy?.length ?? 0]))} characters (limit 63)` +
          (shortened.length ? `; shortened to fit: ${shortened.map((n) => n.of).join(', ')}` : ''),
      });
    }
  }

  // 5. The RDS calls, in order.
  const calls: PlannedCall[] = [];
  const add = (step: Step, service: PlannedCall['service'], action: string, params: object, note?: string) =>
    calls.push({
      step,
      service,
      action,
      params: params as Record<string, unknown>,
      ...(note ? { note } : {}),
    });
  const retention = req.snapshotRetention ?? 1;
  if (original && takesSnapshot) {
    if (kind === 'instance') {
      add('SNAPSHOTTING', 'snapshot', 'CreateDBSnapshot', {
        DBSnapshotIdentifier: snapshotId,
        DBInstanceIdentifier: identifier,
        Tags: [{ Key: SNAPSHOT_TAG, Value: runId }],
      });
    } else {
      add('SNAPSHOTTING', 'snapshot', 'CreateDBClusterSnapshot', {
        DBClusterSnapshotIdentifier: snapshotId,
        DBClusterIdentifier: identifier,
        Tags: [{ Key: SNAPSHOT_TAG, Value: runId }],
      });
    }
    const older = own
      .filter((s) => s.id !== snapshotId && isTrapheusSnapshotOf(s, base))
      .filter((s) => s.status === 'available' || s.status === 'failed')
      .sort((a, b) => (b.created?.getTime() ?? 0) - (a.created?.getTime() ?? 0))
      .slice(Math.max(0, retention - 1));
    for (const old of older) {
      add(
        'SNAPSHOTTING',
        'snapshot',
        kind === 'instance' ? 'DeleteDBSnapshot' : 'DeleteDBClusterSnapshot',
        kind === 'instance' ? { DBSnapshotIdentifier: old.id } : { DBClusterSnapshotIdentifier: old.id },
        `retires an older Trapheus snapshot once the new one is available (snapshotRetention ${retention} assumed)`,
      );
    }
  }
  if (original?.kind === 'instance' && task !== 'create_snapshot_only') {
    planInstance(add, original, db, {
      runId,
      identifier,
      snapshotId,
      temp,
      copy,
      snapshot: sourceSnapshot as DBSnapshot | undefined,
      snapshotOfThis:
        takesSnapshot || (sourceSnapshot as DBSnapshot | undefined)?.DbiResourceId === original.DbiResourceId,
      snapshotAvailable: takesSnapshot || sourceSnapshot?.Status === 'available',
    });
  }
  if (original?.kind === 'cluster' && task !== 'create_snapshot_only') {
    planCluster(add, original, cluster, {
      runId,
      identifier,
      snapshotId,
      temp,
      copy,
      snapshotOfThis:
        takesSnapshot ||
        (sourceSnapshot as DBClusterSnapshot | undefined)?.DbClusterResourceId ===
          original.DbClusterResourceId,
      snapshotAvailable: takesSnapshot || sourceSnapshot?.Status === 'available',
    });
  }

  // 6. Deletion protection, quotas, IAM.
  if (original && task !== 'create_snapshot_only') {
    checks.push({
      check: 'deletion protection',
      verdict: original.DeletionProtection ? 'handled' : 'ok',
      detail: original.DeletionProtection
        ? `on: the copy is restored without it (DeletionProtection false) and gets it back in the post-restore modify; the temp ${temp} (the original) has it lifted by a Modify call right before its delete`
        : 'off on the original: nothing to lift',
    });
  }
  if (original) {
    for (const q of await quotaChecks(rds, req, memberNames?.length ?? 1)) {
      checks.push(q.check);
      if (q.blocker) blockers.push(q.blocker);
    }
  }
  checks.push({
    check: 'IAM',
    verdict: 'not checked',
    detail:
      'plan does not read the deployed roles; every call listed is one the packaged roles are checked for (npm test, IAM check)',
  });

  const ledger = db
    ? ledgerLines(INSTANCE_LEDGER, db)
    : cluster
      ? ledgerLines(CLUSTER_LEDGER, cluster)
      : { kept: [], notKept: [] };
  // A field the ledger carries at restore but the builder leaves out here (an engine or storage rule): say so.
  const restoreCall = calls.find((c) => c.action.startsWith('Restore'));
  if (restoreCall) {
    for (const line of ledger.kept) {
      if (line.how === 'at restore' && restoreCall.params[line.detail] === undefined) {
        line.how = 'at restore: left to RDS (not passed for this engine, storage or Multi-AZ)';
      }
    }
  }
  const past = await deps.runs.listByDatabase(kind, identifier, 20);
  const sizeGiB = db?.AllocatedStorage ?? cluster?.AllocatedStorage;

  return {
    identifier,
    kind,
    task,
    strategy,
    wouldProceed: blockers.length === 0,
    names: {
      runIdExample: runId,
      note: `computed with a fresh run id (${runId}); the real run gets its own, so the 8 characters after -tr-, -tc- and the snapshot base change`,
      ...(task !== 'create_snapshot_only' ? { temp } : {}),
      ...(copy && task !== 'create_snapshot_only' ? { copy } : {}),
      ...(memberNames && task !== 'create_snapshot_only' ? { members: memberNames } : {}),
      snapshot: snapshotId,
      snapshotNote,
    },
    calls,
    ledger,
    checks,
    blockers,
    estimate: estimate(req, past, sizeGiB, memberNames?.length ?? 0),
  };
};

type Add = (
  step: Step,
  service: PlannedCall['service'],
  action: string,
  params: object,
  note?: string,
) => void;

interface Names {
  runId: string;
  identifier: string;
  snapshotId: string;
  temp: string;
  copy: string | undefined;
  snapshotOfThis: boolean;
  snapshotAvailable: boolean;
}

/** The delete of the temp, as guardedDelete decides its final snapshot. */
const finalSnapshotOf = (n: Names, backupRetention: number | undefined): object =>
  n.snapshotOfThis || (n.snapshotAvailable && (backupRetention ?? 0) > 0)
    ? { SkipFinalSnapshot: true }
    : { FinalDBSnapshotIdentifier: `${n.temp}-final` };

const planInstance = (
  add: Add,
  original: CapturedInstance,
  db: DBInstance | undefined,
  n: Names & { snapshot: DBSnapshot | undefined },
) => {
  const swap = n.copy !== undefined;
  const name = n.copy ?? n.identifier;
  const arn = db?.DBInstanceArn;
  const renameAside = (step: Step) => {
    add(step, 'restore', 'AddTagsToResource', {
      ResourceName: arn,
      Tags: [{ Key: RUN_TAG, Value: n.runId }],
    });
    add(step, 'restore', 'ModifyDBInstance', {
      DBInstanceIdentifier: n.identifier,
      NewDBInstanceIdentifier: n.temp,
      ApplyImmediately: true,
    });
  };
  if (!swap) renameAside('RENAMING');
  const input = buildRestoreInput(original, {
    snapshotIdentifier: n.snapshotId,
    runId: n.runId,
    targetIdentifier: name,
  });
  add('RESTORING', 'restore', 'RestoreDBInstanceFromDBSnapshot', input);
  for (const role of original.AssociatedRoles ?? []) {
    add('CONFIGURING', 'restore', 'AddRoleToDBInstance', {
      DBInstanceIdentifier: name,
      RoleArn: role.RoleArn,
      FeatureName: role.FeatureName ?? '',
    });
  }
  for (const r of original.AutomatedBackupsReplications ?? []) {
    add(
      'CONFIGURING',
      'restore',
      'StartDBInstanceAutomatedBackupsReplication',
      { SourceDBInstanceArn: arnWithName(arn, name) },
      `sent in ${r.Region}; retention and KMS key are read there at run time`,
    );
  }
  const modify = buildPostRestoreModify(original, restoredInstanceAsPredicted(original, input, n.snapshot));
  if (modify) {
    add(
      'CONFIGURING',
      'restore',
      'ModifyDBInstance',
      modify,
      'the post-restore modify; a field RDS already gives the copy (e.g. the same maintenance window) is left out at run time',
    );
  }
  if (swap) {
    renameAside('SWAPPING');
    add('SWAPPING', 'restore', 'ModifyDBInstance', {
      DBInstanceIdentifier: name,
      NewDBInstanceIdentifier: n.identifier,
      ApplyImmediately: true,
    });
  }
  add(swap ? 'SWAPPING' : 'CONFIGURING', 'restore', 'RemoveTagsFromResource', {
    ResourceName: arnWithName(arn, n.identifier),
    TagKeys: [RESTORED_TAG],
  });
  if (original.DeletionProtection) {
    add('CLEANING_UP', 'cleanup', 'ModifyDBInstance', {
      DBInstanceIdentifier: n.temp,
      DeletionProtection: false,
      ApplyImmediately: true,
    });
  }
  add('CLEANING_UP', 'cleanup', 'DeleteDBInstance', {
    DBInstanceIdentifier: n.temp,
    ...finalSnapshotOf(n, original.BackupRetentionPeriod),
    DeleteAutomatedBackups: false,
  });
};

const planCluster = (add: Add, original: CapturedCluster, cluster: DBCluster | undefined, n: Names) => {
  const swap = n.copy !== undefined;
  const name = n.copy ?? n.identifier;
  const arn = cluster?.DBClusterArn;
  const memberArn = (id: string) => arnWithName(arn, id).replace(/:cluster:[^:]+$/, `:db:${id}`);
  const memberName = (id: string) => (swap ? memberCopyIdentifier(id, n.runId) : id);
  const asideMembers = (step: Step) => {
    for (const m of original.members) {
      add(step, 'restore', 'AddTagsToResource', {
        ResourceName: memberArn(m.DBInstanceIdentifier),
        Tags: [{ Key: RUN_TAG, Value: n.runId }],
      });
      add(step, 'restore', 'ModifyDBInstance', {
        DBInstanceIdentifier: m.DBInstanceIdentifier,
        NewDBInstanceIdentifier: memberTempIdentifier(m.DBInstanceIdentifier, n.runId),
        ApplyImmediately: true,
      });
    }
  };
  const asideCluster = (step: Step) => {
    add(step, 'restore', 'AddTagsToResource', {
      ResourceName: arn,
      Tags: [{ Key: RUN_TAG, Value: n.runId }],
    });
    add(step, 'restore', 'ModifyDBCluster', {
      DBClusterIdentifier: n.identifier,
      NewDBClusterIdentifier: n.temp,
      ApplyImmediately: true,
    });
  };
  const moveEndpoints = (step: Step) => {
    for (const e of original.CustomEndpoints ?? []) {
      add(
        step,
        'restore',
        'DeleteDBClusterEndpoint',
        { DBClusterEndpointIdentifier: e.DBClusterEndpointIdentifier },
        `from ${n.temp} (the original): endpoint names are unique in the Region`,
      );
      add(step, 'restore', 'CreateDBClusterEndpoint', {
        DBClusterIdentifier: n.identifier,
        DBClusterEndpointIdentifier: e.DBClusterEndpointIdentifier,
        EndpointType: e.EndpointType,
        ...(e.StaticMembers ? { StaticMembers: e.StaticMembers } : {}),
        ...(e.ExcludedMembers ? { ExcludedMembers: e.ExcludedMembers } : {}),
      });
    }
  };
  const untag = (step: Step) => {
    add(step, 'restore', 'RemoveTagsFromResource', {
      ResourceName: arnWithName(arn, n.identifier),
      TagKeys: [RESTORED_TAG],
    });
    for (const m of original.members) {
      add(step, 'restore', 'RemoveTagsFromResource', {
        ResourceName: memberArn(m.DBInstanceIdentifier),
        TagKeys: [RESTORED_TAG],
      });
    }
  };

  if (!swap) {
    asideMembers('RENAMING');
    asideCluster('RENAMING');
  }
  const input = buildClusterRestoreInput(original, {
    snapshotIdentifier: n.snapshotId,
    runId: n.runId,
    targetIdentifier: name,
  });
  add('RESTORING', 'restore', 'RestoreDBClusterFromSnapshot', input);
  for (const m of original.members) {
    add(
      'RESTORING',
      'restore',
      'CreateDBInstance',
      buildMemberCreateInput(original, m, n.runId, {
        cluster: name,
        member: memberName(m.DBInstanceIdentifier),
      }),
      m.IsClusterWriter ? 'the writer first' : 'a reader, once the writer is available',
    );
  }
  const modify = buildClusterPostModify(original, restoredClusterAsPredicted(input));
  if (modify) {
    add(
      'CONFIGURING',
      'restore',
      'ModifyDBCluster',
      modify,
      'the post-restore modify; a field RDS already gives the copy (e.g. the same maintenance window) is left out at run time',
    );
  }
  if (original.HttpEndpointEnabled) {
    add(
      'CONFIGURING',
      'restore',
      'EnableHttpEndpoint',
      { ResourceArn: arnWithName(arn, name) },
      'the Data API',
    );
  }
  if (swap) {
    asideMembers('SWAPPING');
    asideCluster('SWAPPING');
    add('SWAPPING', 'restore', 'ModifyDBCluster', {
      DBClusterIdentifier: name,
      NewDBClusterIdentifier: n.identifier,
      ApplyImmediately: true,
    });
    for (const m of original.members) {
      add('SWAPPING', 'restore', 'ModifyDBInstance', {
        DBInstanceIdentifier: memberName(m.DBInstanceIdentifier),
        NewDBInstanceIdentifier: m.DBInstanceIdentifier,
        ApplyImmediately: true,
      });
    }
  }
  moveEndpoints(swap ? 'SWAPPING' : 'CONFIGURING');
  untag(swap ? 'SWAPPING' : 'CONFIGURING');
  for (const m of original.members) {
    add('CLEANING_UP', 'cleanup', 'DeleteDBInstance', {
      DBInstanceIdentifier: memberTempIdentifier(m.DBInstanceIdentifier, n.runId),
      SkipFinalSnapshot: true,
    });
  }
  if (original.DeletionProtection) {
    add('CLEANING_UP', 'cleanup', 'ModifyDBCluster', {
      DBClusterIdentifier: n.temp,
      DeletionProtection: false,
      ApplyImmediately: true,
    });
  }
  add('CLEANING_UP', 'cleanup', 'DeleteDBCluster', {
    DBClusterIdentifier: n.temp,
    ...finalSnapshotOf(n, original.BackupRetentionPeriod),
    DeleteAutomatedBackups: false,
  });
};
