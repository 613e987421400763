/**
 * The export of a run's fresh snapshot to S3: a side track of the run (pipeline.ts SIDE_TRACKS), never a step.
 *
 * State: an `export` attribute on the run item, written with its own version (`export.v`), never the run's: the
 * main path's conditional writes (step + version) and the export's never conflict, so the export can neither
 * delay nor fail the run. Two small items in the runs table go with it (no `step`, so no listing sees them):
 * `EXPORT#<snapshot id>` → the run (an RDS export event names the snapshot, not the run), and five slots
 * `EXPORTSLOT#0..4`: RDS allows "up to five concurrent DB snapshot export tasks in progress per AWS account"
 * (RDS User Guide / Aurora User Guide, "Creating snapshot export tasks"). A run takes a slot by a conditional
 * write before StartExportTask and gives it back when its export ends; without a free slot it waits `queued`
 * and looks again on its own check-backs (dynalite has no transactions; none are needed).
 *
 * While an export is open (not done, or done but its outcome not yet published) the run item also carries
 * `exportOpen: 'Y'`, removed by the write that closes it: the sparse index `byExportOpen` holds just those runs, so
 * the watchdog finds a broken export check-back chain without scanning the table (the run itself is usually
 * terminal by then, out of `byActive`).
 */
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { errorCode } from './errors';
import { pure } from './pure';

export const EXPORT_STATUSES = ['pending', 'queued', 'running', 'complete', 'failed', 'canceled'] as const;
export type ExportState = (typeof EXPORT_STATUSES)[number];

/** How many exports Trapheus runs at once: the RDS per-account limit. */
export const EXPORT_SLOTS = 5;
export const EXPORT_POINTER_PREFIX = 'EXPORT#';
export const EXPORT_SLOT_PREFIX = 'EXPORTSLOT#';
/** The sparse GSI over `exportOpen` (services/snapshot/serverless.yml, RunsTable), projecting `export`. */
export const EXPORT_OPEN_INDEX = 'byExportOpen';

/**
 * The RDS events that end an export wait (RDS User Guide, "Amazon RDS event categories and event messages",
 * category notification): DB snapshot 0159 failed / 0160 canceled / 0161 completed; DB cluster snapshot 0162 /
 * 0163 / 0164 the same. RDS documents no event for the start of an export.
 */
export const EXPORT_EVENT_IDS: readonly string[] = [
  'RDS-EVENT-0159',
  'RDS-EVENT-0160',
  'RDS-EVENT-0161',
  'RDS-EVENT-0162',
  'RDS-EVENT-0163',
  'RDS-EVENT-0164',
];

export const runExportSchema = z.object({
  status: z.enum(EXPORT_STATUSES),
  /** Own optimistic version: every export write is conditional on it. */
  v: z.number().int().nonnegative(),
  /** The ExportTaskIdentifier (run-unique). */
  taskId: z.string(),
  snapshotIdentifier: z.string(),
  s3Bucket: z.string(),
  /** Where the data lands: `s3://<bucket>/<s3Prefix>/<taskId>/…`. */
  s3Prefix: z.string(),
  requestedAt: z.string(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  /** The slot (0..4) this export holds while it runs. */
  slot: z.number().int().optional(),
  /** RDS's ExportTask.Status as last seen (STARTING, IN_PROGRESS, …). */
  rdsStatus: z.string().optional(),
  failureCause: z.string().optional(),
  deadline: z.string(),
  checkSeq: z.number().int(),
  attempt: z.number().int(),
  nextCheckAt: z.string(),
  /** The outcome was published (ExportCompleted / ExportFailed), once. */
  notified: z.boolean().optional(),
});
export type RunExport = z.infer<typeof runExportSchema>;

export const isExportDone = (e: Pick<RunExport, 'status'>): boolean =>
  e.status === 'complete' || e.status === 'failed' || e.status === 'canceled';

/** Open: still to run, or ended with its outcome not yet published (the watchdog looks at these). */
export const isExportOpen = (e: Pick<RunExport, 'status' | 'notified'>): boolean =>
  !isExportDone(e) || e.notified !== true;

/** The export recorded on a run item, if any (validated). */
export const exportOf = (run: object): RunExport | undefined => {
  const raw = (run as { export?: unknown }).export;
  if (raw === undefined) return undefined;
  const parsed = runExportSchema.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
};

/** The export task id of a run: unique per run, within RDS's identifier rules. */
export const exportTaskIdFor = (runId: string): string => `trapheus-${runId.replace(/^run-/, '')}`;

const exportCheckSchema = /* @__PURE__ */ pure(() =>
  z.object({
    trapheusExportCheck: z.object({ runId: z.string().min(1), seq: z.number().int().nonnegative() }),
  }),
);

/** The SQS body of an export check-back (on the snapshot worker's queue). */
export const exportCheckBody = (runId: string, seq: number): string =>
  JSON.stringify({ trapheusExportCheck: { runId, seq } });

/** Reads an export check-back from an SQS body, or undefined for any other message. */
export const parseExportCheck = (body: string): { runId: string; seq: number } | undefined => {
  try {
    const parsed = exportCheckSchema.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data.trapheusExportCheck : undefined;
  } catch {
    return undefined;
  }
};

const isConditionFailure = (err: unknown) => errorCode(err) === 'ConditionalCheckFailedException';

/**
 * @example
 * const store = buildExportStore({ dynamo, tableName });
 * if (await store.save(run.runId, current, { ...current, status: 'running' })) …
 */
export const buildExportStore = ({
  dynamo,
  tableName,
  now = () => new Date(),
}: {
  dynamo: DynamoDBDocumentClient;
  tableName: string;
  now?: () => Date;
}) => ({
  /** Records a new export on a run that has none; false when it already has one (a redelivery). */
  async begin(runId: string, first: RunExport): Promise<boolean> {
    try {
      await dynamo.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { runId },
          UpdateExpression: 'SET #export = :e, #open = :y',
          ConditionExpression: 'attribute_exists(runId) AND attribute_not_exists(#export)',
          ExpressionAttributeNames: { '#export': 'export', '#open': 'exportOpen' },
          ExpressionAttributeValues: { ':e': first, ':y': 'Y' },
        }),
      );
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
    await dynamo.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          runId: `${EXPORT_POINTER_PREFIX}${first.snapshotIdentifier}`,
          holder: runId,
          at: now().toISOString(),
        },
      }),
    );
    return true;
  },

  /** Replaces the export if it is still at `prev.v`; false when another writer got there first. */
  async save(runId: string, prev: RunExport, next: Omit<RunExport, 'v'>): Promise<RunExport | undefined> {
    const written = { ...next, v: prev.v + 1 };
    const open = isExportOpen(written);
    try {
      await dynamo.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { runId },
          UpdateExpression: open ? 'SET #export = :e, #open = :y' : 'SET #export = :e REMOVE #open',
          ConditionExpression: '#export.#v = :v',
          ExpressionAttributeNames: { '#export': 'export', '#v': 'v', '#open': 'exportOpen' },
          ExpressionAttributeValues: { ':e': written, ':v': prev.v, ...(open ? { ':y': 'Y' } : {}) },
        }),
      );
      return written;
    } catch (err) {
      if (isConditionFailure(err)) return undefined;
      throw err;
    }
  },

  /** Runs whose export is open (`exportOpen`, sparse index): for the watchdog, never a table scan. */
  async listOpen(): Promise<{ runId: string; export: RunExport }[]> {
    const open: { runId: string; export: RunExport }[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await dynamo.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: EXPORT_OPEN_INDEX,
          KeyConditionExpression: '#open = :y',
          ExpressionAttributeNames: { '#open': 'exportOpen' },
          ExpressionAttributeValues: { ':y': 'Y' },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of out.Items ?? []) {
        const e = exportOf(item);
        if (typeof item.runId === 'string' && e) open.push({ runId: item.runId, export: e });
      }
      start = out.LastEvaluatedKey;
    } while (start);
    return open;
  },

  /** The run exporting a snapshot (from an RDS export event). */
  async runOfSnapshot(snapshotIdentifier: string): Promise<string | undefined> {
    const out = await dynamo.send(
      new GetCommand({
        TableName: tableName,
        Key: { runId: `${EXPORT_POINTER_PREFIX}${snapshotIdentifier}` },
        ConsistentRead: true,
      }),
    );
    return typeof out.Item?.holder === 'string' ? out.Item.holder : undefined;
  },

  /**
   * Takes one of the five slots for `runId` (or the one it holds already). A slot whose holder's export is done
   * (it died before giving it back) is taken over. Undefined when all five are busy.
   */
  async claimSlot(
    runId: string,
    holderDone: (holder: string) => Promise<boolean>,
  ): Promise<number | undefined> {
    const claim = async (slot: number, condition: string, values: Record<string, unknown>) => {
      try {
        await dynamo.send(
          new PutCommand({
            TableName: tableName,
            Item: { runId: `${EXPORT_SLOT_PREFIX}${slot}`, holder: runId, at: now().toISOString() },
            ConditionExpression: condition,
            ExpressionAttributeValues: values,
          }),
        );
        return true;
      } catch (err) {
        if (isConditionFailure(err)) return false;
        throw err;
      }
    };
    const holders: (string | undefined)[] = [];
    for (let slot = 0; slot < EXPORT_SLOTS; slot++) {
      if (await claim(slot, 'attribute_not_exists(runId) OR holder = :me', { ':me': runId })) return slot;
      const out = await dynamo.send(
        new GetCommand({
          TableName: tableName,
          Key: { runId: `${EXPORT_SLOT_PREFIX}${slot}` },
          ConsistentRead: true,
        }),
      );
      holders.push(typeof out.Item?.holder === 'string' ? out.Item.holder : undefined);
    }
    for (let slot = 0; slot < EXPORT_SLOTS; slot++) {
      const holder = holders[slot];
      if (holder && (await holderDone(holder)) && (await claim(slot, 'holder = :old', { ':old': holder })))
        return slot;
    }
    return undefined;
  },

  /** Gives a slot back (only if `runId` still holds it). */
  async releaseSlot(runId: string, slot: number): Promise<void> {
    try {
      await dynamo.send(
        new DeleteCommand({
          TableName: tableName,
          Key: { runId: `${EXPORT_SLOT_PREFIX}${slot}` },
          ConditionExpression: 'holder = :me',
          ExpressionAttributeValues: { ':me': runId },
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
  },
});

export type ExportStore = ReturnType<typeof buildExportStore>;
