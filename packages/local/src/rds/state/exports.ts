/**
 * Snapshot export to Amazon S3: StartExportTask, DescribeExportTasks, CancelExportTask and the export events.
 *
 * Sources (RDS API reference = the doc comments of `@aws-sdk/client-rds`, dist-types):
 * - StartExportTaskMessage: ExportTaskIdentifier, SourceArn, S3BucketName, IamRoleArn and KmsKeyId are required
 *   (`commands/StartExportTaskCommand.d.ts`); errors DBSnapshotNotFoundFault, DBClusterSnapshotNotFoundFault,
 *   ExportTaskAlreadyExistsFault ("You can't start an export task that's already running"),
 *   InvalidExportSourceStateFault, IamRoleNotFoundFault, InvalidS3BucketFault, KMSKeyNotAccessibleFault.
 * - ExportTask.Status: STARTING | IN_PROGRESS | COMPLETE | CANCELING | CANCELED | FAILED (models, ExportTask).
 * - CancelExportTask: ExportTaskNotFoundFault, InvalidExportTaskStateFault.
 * - "You can have up to five concurrent DB snapshot export tasks in progress per AWS account" (RDS User Guide and
 *   Aurora User Guide, "Creating snapshot export tasks"). The API reference documents no error code for a sixth
 *   (`models/errors.d.ts` has no export quota fault): the simulator refuses it with `ExportTaskLimitReached`
 *   (a stand-in, named as such). Trapheus never relies on that code (it keeps its own five slots).
 * - Events (User Guide, "Amazon RDS event categories and event messages", category notification): DB snapshot
 *   RDS-EVENT-0159 "The snapshot export task failed.", 0160 "…was canceled.", 0161 "…completed."; DB cluster
 *   snapshot RDS-EVENT-0162 / 0163 / 0164, the same for cluster snapshots. No event marks the start of an export.
 */
import { clusterSnapshotNotFound, RdsError, snapshotNotFound } from '../errors';
import type { EventSource } from '../events';
import { optString, type Params, reqString } from '../protocol';
import { applyFilters, checkMaxRecords } from './describe';
import { paginate } from './render';
import type { SimContext, Store } from './store';

/** Documented by the User Guide (see above); the simulator's limit. */
export const MAX_CONCURRENT_EXPORTS = 5;
/** Stand-in code for a sixth concurrent export (RDS documents none). */
export const EXPORT_LIMIT_CODE = 'ExportTaskLimitReached';

export type ExportStatus = 'STARTING' | 'IN_PROGRESS' | 'COMPLETE' | 'CANCELING' | 'CANCELED' | 'FAILED';

export interface ExportTaskRecord {
  ExportTaskIdentifier: string;
  SourceArn: string;
  SourceType: 'SNAPSHOT' | 'CLUSTER';
  S3Bucket: string;
  S3Prefix?: string;
  IamRoleArn: string;
  KmsKeyId: string;
  Status: ExportStatus;
  PercentProgress: number;
  TotalExtractedDataInGB: number;
  TaskStartTime: string;
  TaskEndTime?: string;
  SnapshotTime?: string;
  FailureCause?: string;
  /** the snapshot as an event source */
  source: EventSource;
}

const tasksOf = new WeakMap<Store, Map<string, ExportTaskRecord>>();
const tasks = (store: Store): Map<string, ExportTaskRecord> => {
  let m = tasksOf.get(store);
  if (!m) {
    m = new Map();
    tasksOf.set(store, m);
  }
  return m;
};

/** Every export task of the simulator (for tests and invariant checks). */
export const exportTasks = (store: Store): ExportTaskRecord[] => [...tasks(store).values()];

const ACTIVE: ReadonlySet<ExportStatus> = new Set(['STARTING', 'IN_PROGRESS', 'CANCELING']);

/** Whether an export still reads this snapshot ARN. */
export const exportReads = (store: Store, snapshotArn: string): boolean =>
  exportTasks(store).some((t) => t.SourceArn === snapshotArn && ACTIVE.has(t.Status));

const view = (t: ExportTaskRecord) => {
  const { source: _source, ...rest } = t;
  return rest;
};

const EVENTS = {
  SNAPSHOT: { FAILED: 'RDS-EVENT-0159', CANCELED: 'RDS-EVENT-0160', COMPLETE: 'RDS-EVENT-0161' },
  CLUSTER: { FAILED: 'RDS-EVENT-0162', CANCELED: 'RDS-EVENT-0163', COMPLETE: 'RDS-EVENT-0164' },
} as const;

const finish = (ctx: SimContext, t: ExportTaskRecord, status: 'COMPLETE' | 'FAILED' | 'CANCELED') => {
  t.Status = status;
  t.TaskEndTime = new Date().toISOString();
  if (status === 'COMPLETE') {
    t.PercentProgress = 100;
    t.TotalExtractedDataInGB = 1;
  }
  if (status === 'FAILED') t.FailureCause = t.FailureCause ?? 'Injected failure: the export task failed';
  ctx.events.emit(t.source, EVENTS[t.SourceType][status], t.ExportTaskIdentifier);
};

/** Resolves the source snapshot of an export from its ARN (DB snapshot or DB cluster snapshot). */
function sourceOf(ctx: SimContext, arn: string) {
  const m = /^arn:aws:rds:[^:]*:[^:]*:(snapshot|cluster-snapshot):(.+)$/.exec(arn);
  if (!m) {
    throw new RdsError('InvalidParameterValue', `The source ARN ${arn} is not a snapshot ARN.`);
  }
  const [, kind] = m;
  // The local account's snapshot (by ARN). Exporting a snapshot another account shared is not modelled (AWS documents
  // nothing on it); we answer the NotFound fault rather than take a local snapshot of the same name.
  if (kind === 'snapshot') {
    const rec = ctx.store.snapshotRef(arn);
    if (rec.owner !== undefined) throw snapshotNotFound(arn);
    return {
      status: rec.props.Status,
      time: rec.props.SnapshotCreateTime,
      type: 'SNAPSHOT' as const,
      source: { sourceType: 'SNAPSHOT' as const, identifier: rec.props.DBSnapshotIdentifier, arn },
    };
  }
  const rec = ctx.store.clusterSnapshotRef(arn);
  if (rec.owner !== undefined) throw clusterSnapshotNotFound(arn);
  return {
    status: rec.props.Status,
    time: rec.props.SnapshotCreateTime,
    type: 'CLUSTER' as const,
    source: {
      sourceType: 'CLUSTER_SNAPSHOT' as const,
      identifier: rec.props.DBClusterSnapshotIdentifier,
      arn,
    },
  };
}

export function startExportTask(ctx: SimContext, p: Params) {
  const id = reqString(p, 'ExportTaskIdentifier');
  const sourceArn = reqString(p, 'SourceArn');
  const bucket = reqString(p, 'S3BucketName');
  const role = reqString(p, 'IamRoleArn');
  const key = reqString(p, 'KmsKeyId');
  const all = tasks(ctx.store);
  if (all.has(id)) {
    throw new RdsError('ExportTaskAlreadyExists', `The export task with the ID ${id} already exists.`);
  }
  const src = sourceOf(ctx, sourceArn);
  if (src.status !== 'available') {
    throw new RdsError(
      'InvalidExportSourceState',
      `The snapshot ${src.source.identifier} is in ${src.status} state and cannot be exported.`,
    );
  }
  const running = [...all.values()].filter((t) => ACTIVE.has(t.Status)).length;
  if (running >= MAX_CONCURRENT_EXPORTS) {
    throw new RdsError(
      EXPORT_LIMIT_CODE,
      `You can have up to ${MAX_CONCURRENT_EXPORTS} concurrent export tasks in progress per account.`,
    );
  }
  const prefix = optString(p, 'S3Prefix');
  const t: ExportTaskRecord = {
    ExportTaskIdentifier: id,
    SourceArn: sourceArn,
    SourceType: src.type,
    S3Bucket: bucket,
    ...(prefix ? { S3Prefix: prefix } : {}),
    IamRoleArn: role,
    KmsKeyId: key,
    Status: 'STARTING',
    PercentProgress: 0,
    TotalExtractedDataInGB: 0,
    TaskStartTime: new Date().toISOString(),
    ...(src.time ? { SnapshotTime: src.time } : {}),
    source: src.source,
  };
  all.set(id, t);
  const failure = ctx.faults.takeAsyncFailure('StartExportTask', [id, src.source.identifier]);
  const total = ctx.durations.exportSnapshot ?? 3600;
  // STARTING: RDS restores the snapshot first (a fifth of the time here), then IN_PROGRESS until the end.
  ctx.scheduler.after(total / 5, () => {
    if (t.Status !== 'STARTING') return;
    t.Status = 'IN_PROGRESS';
    t.PercentProgress = 10;
  });
  ctx.scheduler.after(total, () => {
    if (t.Status !== 'STARTING' && t.Status !== 'IN_PROGRESS') return;
    finish(ctx, t, failure ? 'FAILED' : 'COMPLETE');
  });
  return view(t);
}

const FILTERS: Record<string, (t: ExportTaskRecord) => string | undefined> = {
  'export-task-identifier': (t) => t.ExportTaskIdentifier,
  's3-bucket': (t) => t.S3Bucket,
  'source-arn': (t) => t.SourceArn,
  status: (t) => t.Status,
};

export function describeExportTasks(ctx: SimContext, p: Params) {
  const max = checkMaxRecords(p);
  const id = optString(p, 'ExportTaskIdentifier');
  const sourceArn = optString(p, 'SourceArn');
  let list = [...tasks(ctx.store).values()];
  if (id) {
    list = list.filter((t) => t.ExportTaskIdentifier === id);
    if (list.length === 0)
      throw new RdsError('ExportTaskNotFound', `The export task with the ID ${id} was not found.`, 404);
  }
  if (sourceArn) list = list.filter((t) => t.SourceArn === sourceArn);
  list = applyFilters(p, list, FILTERS);
  const { page, marker } = paginate(list, max, optString(p, 'Marker'));
  return { ExportTasks: page.map(view), Marker: marker };
}

export function cancelExportTask(ctx: SimContext, p: Params) {
  const id = reqString(p, 'ExportTaskIdentifier');
  const t = tasks(ctx.store).get(id);
  if (!t) throw new RdsError('ExportTaskNotFound', `The export task with the ID ${id} was not found.`, 404);
  if (t.Status !== 'STARTING' && t.Status !== 'IN_PROGRESS') {
    throw new RdsError('InvalidExportTaskStateFault', `The export task ${id} is ${t.Status}.`);
  }
  t.Status = 'CANCELING';
  ctx.scheduler.after(30, () => finish(ctx, t, 'CANCELED'));
  return view(t);
}
