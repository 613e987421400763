/**
 * The run repository: the only module that writes runs. Every change is a conditional write on the run's
 * step and version, so a duplicate, late or out-of-order message can never move a run backwards or apply a
 * step twice. (dynalite, our local DynamoDB, has no transactions: the design needs none.)
 */
import {
  BatchGetCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { formatIssues } from './contracts';
import { errorCode, RunCorruptError, StaleRunError } from './errors';
import {
  ALLOWED_TRANSITIONS,
  type DbKind,
  dbKeyOf,
  isTerminal,
  type RestorePoint,
  type Run,
  type RunFailure,
  type RunProgress,
  type RunVerification,
  STEPS,
  STRATEGIES,
  type Step,
  type Strategy,
  TASKS,
  type Task,
  type VerificationAnswer,
} from './run';
import {
  hasPendingCalls,
  MAX_TRACE_SEGMENTS,
  type RunTrace,
  type TraceSegment,
  traceKey,
  tracePatch,
} from './run-trace';

export const LOCK_PREFIX = 'LOCK#';

const tagSchema = z.object({ Key: z.string().optional(), Value: z.string().optional() });
/** The captured original: the fields every step relies on are checked; the rest is carried as stored. */
const capturedSchema = z.discriminatedUnion('kind', [
  z.looseObject({
    kind: z.literal('instance'),
    DBInstanceIdentifier: z.string(),
    DbiResourceId: z.string(),
    VpcSecurityGroupIds: z.array(z.string()),
    EnabledCloudwatchLogsExports: z.array(z.string()),
    Tags: z.array(tagSchema),
  }),
  z.looseObject({
    kind: z.literal('cluster'),
    DBClusterIdentifier: z.string(),
    DbClusterResourceId: z.string(),
    VpcSecurityGroupIds: z.array(z.string()),
    EnabledCloudwatchLogsExports: z.array(z.string()),
    Tags: z.array(tagSchema),
    members: z.array(
      z.looseObject({
        DBInstanceIdentifier: z.string(),
        DbiResourceId: z.string(),
        IsClusterWriter: z.boolean(),
        Tags: z.array(tagSchema),
      }),
    ),
  }),
]);

/** A run as stored in DynamoDB: every item read is validated before a step sees it. */
export const runSchema = z.looseObject({
  runId: z.string().min(1),
  dbKey: z.string().min(1),
  identifier: z.string(),
  kind: z.enum(['instance', 'cluster']),
  task: z.enum([...TASKS, 'invalid']),
  snapshotIdentifier: z.string(),
  requestId: z.string().optional(),
  schedule: z.string().optional(),
  cloneSource: z.string().optional(),
  rehearsal: z.looseObject({ targetIdentifier: z.string(), keep: z.boolean() }).optional(),
  share: z.looseObject({ accounts: z.array(z.string()), kmsKeyId: z.string().optional() }).optional(),
  restorePoint: z
    .looseObject({
      time: z.string().optional(),
      latest: z.boolean().optional(),
      window: z.looseObject({ earliest: z.string().optional(), latest: z.string().optional() }).optional(),
    })
    .optional(),
  masterPasswordSecretArn: z.string().optional(),
  step: z.enum(STEPS),
  version: z.number().int().positive(),
  createdAt: z.string(),
  updatedAt: z.string(),
  history: z.array(z.object({ step: z.enum(STEPS), at: z.string(), note: z.string().optional() })),
  tempIdentifier: z.string().optional(),
  strategy: z.enum(STRATEGIES).optional(),
  copyIdentifier: z.string().optional(),
  verification: z
    .object({
      hooks: z.array(z.string()),
      timeoutMinutes: z.number().positive(),
      answers: z.record(z.string(), z.object({ ok: z.boolean(), message: z.string(), at: z.string() })),
    })
    .optional(),
  original: capturedSchema.optional(),
  wait: z
    .object({
      resourceType: z.enum([
        'db-instance',
        'db-cluster',
        'db-snapshot',
        'db-cluster-snapshot',
        'verification',
      ]),
      identifier: z.string(),
      target: z.string(),
      since: z.string(),
      deadline: z.string(),
      checkSeq: z.number().int(),
      attempt: z.number().int(),
      nextCheckAt: z.string(),
    })
    .optional(),
  lastCheckSeq: z.number().int().optional(),
  traceSeq: z.number().int().optional(),
  waitKey: z.string().optional(),
  active: z.string().optional(),
  progress: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  failure: z
    .object({ step: z.enum(STEPS), code: z.string(), message: z.string(), at: z.string() })
    .optional(),
  reason: z.string().optional(),
  lease: z.object({ owner: z.string(), until: z.string() }).optional(),
});

/**
 * A run item read from the table, validated: a corrupt or foreign item stops with an error naming what is wrong,
 * never reaches a step as a half-typed object.
 *
 * @example
 * const run = parseRun(out.Item);
 */
export const parseRun = (item: unknown): Run => {
  const parsed = runSchema.safeParse(item);
  if (!parsed.success) {
    const id = (item as { runId?: unknown } | undefined)?.runId;
    throw new RunCorruptError(String(id ?? '(no runId)'), formatIssues(parsed.error.issues));
  }
  const run: Run = parsed.data as Run;
  return run;
};

export interface NewRun {
  runId: string;
  identifier: string;
  kind: DbKind;
  task: Task | 'invalid';
  snapshotIdentifier: string;
  /** A db_restore to a point in time (then snapshotIdentifier is empty). */
  restorePoint?: RestorePoint;
  /** clone_from: the cluster cloned. */
  cloneSource?: string;
  /** restore_copy: the rehearsal's new database and whether it is kept. */
  rehearsal?: { targetIdentifier: string; keep: boolean };
  /** share_snapshot: the accounts, and the key the snapshot is copied with first. */
  share?: { accounts: string[]; kmsKeyId?: string };
  requestId?: string;
  /** The schedule that started the run. */
  schedule?: string;
  /** The secret whose password the copy's master user gets (RestoreRequested `masterPasswordSecretArn`). */
  masterPasswordSecretArn?: string;
  /** Progress markers the run starts with (e.g. the snapshot base name). */
  progress?: RunProgress;
  strategy?: Strategy;
  /** The request's `verify` (answers start empty). */
  verification?: RunVerification;
}

/** Fields a step may change on a run. `undefined` removes the attribute. */
export type RunPatch = Partial<
  Pick<
    Run,
    | 'tempIdentifier'
    | 'restorePoint'
    | 'original'
    | 'wait'
    | 'waitKey'
    | 'progress'
    | 'failure'
    | 'reason'
    | 'remedy'
    | 'snapshotIdentifier'
    | 'verification'
  >
>;

export interface TransitionOptions {
  patch?: RunPatch;
  note?: string;
  failure?: RunFailure;
}

/** `needsPerson`: the holder FAILED; its database stays locked until a person releases it (`unlock`). */
export type LockResult = { acquired: true } | { acquired: false; holder: string; needsPerson?: boolean };

/**
 * A FAILED run that left RDS in a state a person must look at keeps its database locked: the next scheduled run
 * must not start on a broken database. A failure that changed nothing releases it (the alert says what to run).
 *
 * @example
 * holdsLockWhenDone({ step: 'FAILED', progress: { needsPerson: true } }) // true
 */
export const holdsLockWhenDone = (run: Pick<Run, 'step' | 'progress'>): boolean =>
  run.step === 'FAILED' && run.progress?.needsPerson === true;

/**
 * A run as it starts: at REQUESTED, version 1, active. The one definition of that shape (the in-memory test
 * repository uses it too).
 *
 * @example
 * const run = newRun({ runId, identifier: 'orders-db', kind: 'instance', task: 'create_snapshot', snapshotIdentifier }, at);
 */
export const newRun = ({ progress, ...input }: NewRun, at: string): Run => ({
  ...input,
  dbKey: dbKeyOf(input.kind, input.identifier),
  listKey: LIST_KEY,
  step: 'REQUESTED',
  version: 1,
  createdAt: at,
  updatedAt: at,
  history: [{ step: 'REQUESTED', at }],
  active: 'Y',
  progress: progress ?? {},
});

/** The constant partition of the `byCreated` index (listKey, createdAt): every run, newest first. */
export const LIST_KEY = 'RUN';

/** A page of runs and the cursor of the next one (absent on the last page). */
export interface RunPage {
  runs: Run[];
  cursor?: string;
}

export interface RunPageQuery {
  /** Only this database's runs (the byDatabase index); `kind` says instance (default) or cluster. */
  identifier?: string;
  kind?: DbKind;
  /** Only runs at this step. */
  step?: Step;
  /** At most this many runs (default 50). */
  limit?: number;
  /** The `cursor` of the previous page. */
  cursor?: string;
}

const encodeCursor = (key: Record<string, unknown>): string =>
  Buffer.from(JSON.stringify(key)).toString('base64url');

const decodeCursor = (cursor: string): Record<string, unknown> => {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (key && typeof key === 'object' && !Array.isArray(key)) return key as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new Error('invalid page cursor');
};

const isConditionFailure = (err: unknown) => errorCode(err) === 'ConditionalCheckFailedException';

/** Builds `SET`/`REMOVE` clauses for a patch; keys are always aliased (several are reserved words). */
const patchExpression = (patch: Record<string, unknown>) => {
  const sets: string[] = [];
  const removes: string[] = [];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(patch)) {
    names[`#${key}`] = key;
    if (value === undefined) removes.push(`#${key}`);
    else {
      sets.push(`#${key} = :${key}`);
      values[`:${key}`] = value;
    }
  }
  return { sets, removes, names, values };
};

/**
 * Builds the repository over a DynamoDB table keyed by `runId`, with the GSIs `byDatabase` (dbKey, createdAt),
 * `byWaitKey` (waitKey) and `byActive` (active, updatedAt).
 *
 * @example
 * const runs = buildRunRepository({ dynamo: clients.dynamo, tableName: config.RUNS_TABLE });
 * const run = await runs.get('run-1234');
 */
export const buildRunRepository = ({
  dynamo,
  tableName,
  now = () => new Date(),
}: {
  dynamo: DynamoDBDocumentClient;
  tableName: string;
  now?: () => Date;
}) => {
  const get = async (runId: string): Promise<Run | undefined> => {
    const out = await dynamo.send(
      new GetCommand({ TableName: tableName, Key: { runId }, ConsistentRead: true }),
    );
    return out.Item ? parseRun(out.Item) : undefined;
  };

  /** Writes `patch` (+ optional new step) if the run is still at `run.step` and `run.version`. */
  const write = async (run: Run, patch: Record<string, unknown>): Promise<Run> => {
    const at = now().toISOString();
    const trace = tracePatch(run, patch, at);
    // The trace segment goes first, under the next seq: a write that then turns out stale leaves it to be
    // overwritten by the next segment (the run never points at it), so a run's trace never has a hole.
    const traceSeq = trace.segment ? (run.traceSeq ?? 0) + 1 : undefined;
    if (trace.segment && traceSeq) {
      await dynamo.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            runId: traceKey(run.runId, traceSeq),
            traceOf: run.runId,
            seq: traceSeq,
            at,
            ...trace.segment,
          },
        }),
      );
    }
    const expr = patchExpression({ ...patch, ...(traceSeq ? { traceSeq } : {}), updatedAt: at });
    expr.names['#version'] = 'version';
    expr.names['#step'] = 'step';
    expr.values[':expectedStep'] = run.step;
    expr.values[':expectedVersion'] = run.version;
    expr.values[':one'] = 1;
    const sets = [...expr.sets, '#version = #version + :one'];
    try {
      const out = await dynamo.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { runId: run.runId },
          UpdateExpression: `SET ${sets.join(', ')}${expr.removes.length ? ` REMOVE ${expr.removes.join(', ')}` : ''}`,
          ConditionExpression: '#step = :expectedStep AND #version = :expectedVersion',
          ExpressionAttributeNames: expr.names,
          ExpressionAttributeValues: expr.values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      trace.commit();
      return parseRun(out.Attributes);
    } catch (err) {
      if (isConditionFailure(err)) throw new StaleRunError(run.runId, `${run.step} v${run.version}`);
      throw err;
    }
  };

  return {
    get,

    /**
     * Creates a run at REQUESTED unless one with this id exists (a redelivered request): then returns that
     * one with `created: false`.
     */
    async create(input: NewRun): Promise<{ created: boolean; run: Run }> {
      const run = newRun(input, now().toISOString());
      try {
        await dynamo.send(
          new PutCommand({
            TableName: tableName,
            Item: run,
            ConditionExpression: 'attribute_not_exists(runId)',
          }),
        );
        return { created: true, run };
      } catch (err) {
        if (!isConditionFailure(err)) throw err;
        const existing = await get(input.runId);
        if (!existing) throw err;
        return { created: false, run: existing };
      }
    },

    /** Moves a run to its next step; refuses steps the lifecycle does not allow. */
    async transition(run: Run, to: Step, opts: TransitionOptions = {}): Promise<Run> {
      if (!ALLOWED_TRANSITIONS[run.step].includes(to)) {
        throw new Error(`run ${run.runId}: transition ${run.step} → ${to} is not allowed`);
      }
      const at = now().toISOString();
      const entry = { step: to, at, ...(opts.note ? { note: opts.note } : {}) };
      const patch: Record<string, unknown> = {
        ...opts.patch,
        step: to,
        history: [...run.history, entry],
        ...(opts.failure ? { failure: opts.failure } : {}),
      };
      // A wait belongs to its step: the next step starts its own, with its own deadline and check-back chain
      // (a rollback must never inherit the deadline of the step that failed). `active` stays on a finished run
      // until its outcome is published and the lock released (see markFinalized).
      patch.wait = undefined;
      patch.waitKey = undefined;
      if (run.wait) patch.lastCheckSeq = run.wait.checkSeq;
      return write(run, patch);
    },

    /**
     * Takes the run's lease for `owner` (free, lapsed, or already ours) and returns the run as it is now, or
     * undefined when another reconciler holds it. Taking it bumps the version: every write of a reconciler
     * whose lease lapsed meanwhile fails its version condition (fencing).
     */
    async acquireLease(runId: string, owner: string, seconds: number): Promise<Run | undefined> {
      const at = now();
      try {
        const out = await dynamo.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { runId },
            UpdateExpression: 'SET #lease = :lease, #version = #version + :one',
            ConditionExpression:
              'attribute_exists(runId) AND (attribute_not_exists(#lease) OR #lease.#until < :now OR #lease.#owner = :me)',
            ExpressionAttributeNames: {
              '#lease': 'lease',
              '#until': 'until',
              '#owner': 'owner',
              '#version': 'version',
            },
            ExpressionAttributeValues: {
              ':lease': { owner, until: new Date(at.getTime() + seconds * 1000).toISOString() },
              ':now': at.toISOString(),
              ':me': owner,
              ':one': 1,
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return parseRun(out.Attributes);
      } catch (err) {
        if (isConditionFailure(err)) return undefined;
        throw err;
      }
    },

    /** Gives the lease back (only if `owner` still holds it); the version stays. */
    async releaseLease(runId: string, owner: string): Promise<void> {
      try {
        await dynamo.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { runId },
            UpdateExpression: 'REMOVE #lease',
            ConditionExpression: '#lease.#owner = :me',
            ExpressionAttributeNames: { '#lease': 'lease', '#owner': 'owner' },
            ExpressionAttributeValues: { ':me': owner },
          }),
        );
      } catch (err) {
        if (!isConditionFailure(err)) throw err;
      }
    },

    /** Changes a run without changing its step (progress markers, waits). */
    async update(run: Run, patch: RunPatch): Promise<Run> {
      return write(run, { ...patch });
    },

    /**
     * Records one hook's answer on a VERIFYING run, outside the reconciler's lease (the answer must not be lost when
     * another reconciler holds the run): only while the run is at VERIFYING, only for a hook it expects, and only the
     * first answer per hook. Bumps the version, so a reconciler that read the run before sees it changed. Returns
     * the run as written, or undefined when the condition failed (a repeat, a late answer, an unknown hook).
     */
    async recordVerificationAnswer(
      runId: string,
      hook: string,
      answer: VerificationAnswer,
    ): Promise<Run | undefined> {
      try {
        const out = await dynamo.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { runId },
            UpdateExpression:
              'SET #verification.#answers.#hook = :answer, #version = #version + :one, #updatedAt = :now',
            ConditionExpression:
              'attribute_exists(runId) AND #step = :verifying AND contains(#verification.#hooks, :hookName) AND attribute_not_exists(#verification.#answers.#hook)',
            ExpressionAttributeNames: {
              '#verification': 'verification',
              '#answers': 'answers',
              '#hooks': 'hooks',
              '#hook': hook,
              '#step': 'step',
              '#version': 'version',
              '#updatedAt': 'updatedAt',
            },
            ExpressionAttributeValues: {
              ':answer': answer,
              ':verifying': 'VERIFYING',
              ':hookName': hook,
              ':one': 1,
              ':now': now().toISOString(),
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return parseRun(out.Attributes);
      } catch (err) {
        if (isConditionFailure(err)) return undefined;
        throw err;
      }
    },

    /**
     * Writes the RDS calls of the current reconcile not written yet (made after its last write), with the same
     * step-and-version condition; a run that moved meanwhile keeps what it has. Returns the run as written.
     */
    async flushTrace(run: Run): Promise<Run | undefined> {
      if (!hasPendingCalls(run.runId)) return undefined;
      try {
        return await write(run, {});
      } catch (err) {
        if (err instanceof StaleRunError) return undefined;
        throw err;
      }
    },

    /**
     * The run's trace, oldest first: its segments 1..traceSeq (the last MAX_TRACE_SEGMENTS), read in batches.
     *
     * @example
     * const { waits, calls } = await runs.getTrace(run);
     */
    async getTrace(run: Pick<Run, 'runId' | 'traceSeq'>): Promise<RunTrace> {
      const last = run.traceSeq ?? 0;
      const first = Math.max(1, last - MAX_TRACE_SEGMENTS + 1);
      const segments = new Map<number, TraceSegment>();
      let pending: { runId: string }[] = [];
      for (let seq = first; seq <= last; seq += 1) pending.push({ runId: traceKey(run.runId, seq) });
      let retries = 0;
      while (pending.length > 0) {
        const batch = pending.slice(0, 100);
        const out = await dynamo.send(
          new BatchGetCommand({ RequestItems: { [tableName]: { Keys: batch, ConsistentRead: true } } }),
        );
        for (const item of out.Responses?.[tableName] ?? []) {
          segments.set(Number(item.seq), {
            waits: Array.isArray(item.waits) ? item.waits : [],
            calls: Array.isArray(item.calls) ? item.calls : [],
          });
        }
        const unprocessed = (out.UnprocessedKeys?.[tableName]?.Keys as { runId: string }[] | undefined) ?? [];
        pending = [...unprocessed, ...pending.slice(100)];
        if (unprocessed.length > 0) {
          // DynamoDB returns unprocessed keys under throttling: back off, as its guide asks, a bounded number of times.
          retries += 1;
          if (retries > 6)
            throw new Error(`trace of ${run.runId}: ${pending.length} segments not read (throttled)`);
          await new Promise((r) => setTimeout(r, 50 * 2 ** retries));
        }
      }
      const ordered = [...segments.entries()].sort(([a], [b]) => a - b).map(([, seg]) => seg);
      return {
        waits: ordered.flatMap((seg) => seg.waits),
        calls: ordered.flatMap((seg) => seg.calls),
        truncated: first > 1,
      };
    },

    /** A terminal run whose outcome was published and lock released leaves the active index. */
    async markFinalized(run: Run): Promise<Run> {
      if (!isTerminal(run.step)) throw new Error(`run ${run.runId} is not finished (${run.step})`);
      return write(run, { active: undefined });
    },

    /** Takes the one-active-run lock of the run's database, or says who holds it. */
    async acquireLock(run: Run): Promise<LockResult> {
      const lockId = `${LOCK_PREFIX}${run.dbKey}`;
      try {
        await dynamo.send(
          new PutCommand({
            TableName: tableName,
            Item: { runId: lockId, holder: run.runId, acquiredAt: now().toISOString() },
            ConditionExpression: 'attribute_not_exists(runId) OR holder = :me',
            ExpressionAttributeValues: { ':me': run.runId },
          }),
        );
        return { acquired: true };
      } catch (err) {
        if (!isConditionFailure(err)) throw err;
      }
      const lock = await dynamo.send(
        new GetCommand({ TableName: tableName, Key: { runId: lockId }, ConsistentRead: true }),
      );
      const holder = lock.Item?.holder as string | undefined;
      if (!holder) return this.acquireLock(run);
      const holderRun = await get(holder);
      if (holderRun && !isTerminal(holderRun.step)) return { acquired: false, holder };
      if (holderRun && holdsLockWhenDone(holderRun)) return { acquired: false, holder, needsPerson: true };
      // The holder finished without releasing (it died between its last write and the release): take over.
      try {
        await dynamo.send(
          new PutCommand({
            TableName: tableName,
            Item: { runId: lockId, holder: run.runId, acquiredAt: now().toISOString() },
            ConditionExpression: 'holder = :old',
            ExpressionAttributeValues: { ':old': holder },
          }),
        );
        return { acquired: true };
      } catch (err) {
        if (isConditionFailure(err)) return { acquired: false, holder: 'another run' };
        throw err;
      }
    },

    /** Releases the lock if this run holds it. */
    async releaseLock(run: Run): Promise<void> {
      try {
        await dynamo.send(
          new DeleteCommand({
            TableName: tableName,
            Key: { runId: `${LOCK_PREFIX}${run.dbKey}` },
            ConditionExpression: 'holder = :me',
            ExpressionAttributeValues: { ':me': run.runId },
          }),
        );
      } catch (err) {
        if (!isConditionFailure(err)) throw err;
      }
    },

    /**
     * Releases a database's lock by hand (`trapheus unlock`), only when its holder is finished: after a person
     * has dealt with a FAILED run. Returns the holder that was released, or why not.
     */
    async unlock(
      kind: DbKind,
      identifier: string,
    ): Promise<{ released: boolean; holder?: string; reason?: string }> {
      const lockId = `${LOCK_PREFIX}${dbKeyOf(kind, identifier)}`;
      const lock = await dynamo.send(
        new GetCommand({ TableName: tableName, Key: { runId: lockId }, ConsistentRead: true }),
      );
      const holder = lock.Item?.holder as string | undefined;
      if (!holder) return { released: false, reason: `${kind} ${identifier} is not locked` };
      const holderRun = await get(holder);
      if (holderRun && !isTerminal(holderRun.step)) {
        return { released: false, holder, reason: `run ${holder} is still active (${holderRun.step})` };
      }
      try {
        await dynamo.send(
          new DeleteCommand({
            TableName: tableName,
            Key: { runId: lockId },
            ConditionExpression: 'holder = :h',
            ExpressionAttributeValues: { ':h': holder },
          }),
        );
      } catch (err) {
        if (isConditionFailure(err))
          return { released: false, reason: 'the lock changed meanwhile; try again' };
        throw err;
      }
      return { released: true, holder };
    },

    /** Runs waiting on an RDS resource (`db-instance#orders-db`). */
    async findByWaitKey(waitKey: string): Promise<Run[]> {
      const out = await dynamo.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: 'byWaitKey',
          KeyConditionExpression: 'waitKey = :k',
          ExpressionAttributeValues: { ':k': waitKey },
        }),
      );
      return (out.Items ?? []).map(parseRun);
    },

    /** Runs of one database, newest first. */
    async listByDatabase(kind: DbKind, identifier: string, limit = 20): Promise<Run[]> {
      const out = await dynamo.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: 'byDatabase',
          KeyConditionExpression: 'dbKey = :k',
          ExpressionAttributeValues: { ':k': dbKeyOf(kind, identifier) },
          ScanIndexForward: false,
          Limit: limit,
        }),
      );
      return (out.Items ?? []).map(parseRun);
    },

    /** Runs that are not terminal (for the watchdog). */
    async listActive(): Promise<Run[]> {
      const items: Run[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const out = await dynamo.send(
          new QueryCommand({
            TableName: tableName,
            IndexName: 'byActive',
            KeyConditionExpression: 'active = :y',
            ExpressionAttributeValues: { ':y': 'Y' },
            ExclusiveStartKey: start,
          }),
        );
        items.push(...(out.Items ?? []).map(parseRun));
        start = out.LastEvaluatedKey;
      } while (start);
      return items;
    },

    /**
     * One page of runs, newest first: a database's runs from the byDatabase index, all runs from the byCreated
     * index (listKey, createdAt; runs written before that index existed have no listKey and are not listed).
     * `step` (and `kind` without `identifier`) filter within the index, so a page may hold fewer than `limit`
     * runs while a cursor says more may follow (the page after the last full one may be empty: DynamoDB can
     * only say there is nothing more by reading on). Each run appears on exactly one page.
     *
     * @example
     * const first = await runs.listPage({ limit: 50 });
     * const second = await runs.listPage({ limit: 50, cursor: first.cursor });
     */
    async listPage(query: RunPageQuery = {}): Promise<RunPage> {
      const limit = Math.max(1, Math.floor(query.limit ?? 50));
      const names: Record<string, string> = {};
      const values: Record<string, unknown> = {};
      const filters: string[] = [];
      let keyCondition: string;
      let indexName: string;
      if (query.identifier) {
        indexName = 'byDatabase';
        keyCondition = 'dbKey = :k';
        values[':k'] = dbKeyOf(query.kind ?? 'instance', query.identifier);
      } else {
        indexName = 'byCreated';
        keyCondition = 'listKey = :k';
        values[':k'] = LIST_KEY;
        if (query.kind) {
          names['#kind'] = 'kind';
          values[':kind'] = query.kind;
          filters.push('#kind = :kind');
        }
      }
      if (query.step) {
        names['#step'] = 'step';
        values[':step'] = query.step;
        filters.push('#step = :step');
      }
      const runs: Run[] = [];
      let start = query.cursor ? decodeCursor(query.cursor) : undefined;
      // Limit bounds the items read before the filter: asking for what is missing never overshoots the page, so
      // the last key read is exactly where the next page starts.
      do {
        const out = await dynamo.send(
          new QueryCommand({
            TableName: tableName,
            IndexName: indexName,
            KeyConditionExpression: keyCondition,
            ...(filters.length ? { FilterExpression: filters.join(' AND ') } : {}),
            ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
            ExpressionAttributeValues: values,
            ScanIndexForward: false,
            Limit: limit - runs.length,
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        );
        runs.push(...(out.Items ?? []).map(parseRun));
        start = out.LastEvaluatedKey;
      } while (start && runs.length < limit);
      return { runs, ...(start ? { cursor: encodeCursor(start) } : {}) };
    },

    /** All runs, newest first (for the CLI; a scan, fine at this table's size). */
    async listAll(limit = 50): Promise<Run[]> {
      const items: Run[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const out = await dynamo.send(
          new ScanCommand({
            TableName: tableName,
            FilterExpression: 'attribute_exists(#step)',
            ExpressionAttributeNames: { '#step': 'step' },
            ExclusiveStartKey: start,
          }),
        );
        items.push(...(out.Items ?? []).map(parseRun));
        start = out.LastEvaluatedKey;
      } while (start);
      return items.sort((a, b) => b.createdAt.localeCompare(a.createdAt)).slice(0, limit);
    },
  };
};

export type RunRepository = ReturnType<typeof buildRunRepository>;
