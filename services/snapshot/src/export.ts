/**
 * The export side track (pipeline.ts SIDE_TRACKS.export): exports a run's fresh snapshot to S3 beside the run,
 * never in its way. `begin` records it when the snapshot is available (SNAPSHOTTING → next); from then on only
 * export check-backs on the snapshot worker's queue and the RDS export events move it:
 *
 *   pending → (a free slot of five) → running → complete | failed | canceled
 *   pending → (no free slot) → queued → … → running
 *
 * Waiting follows the rules of every other wait (waiting.ts): one live check-back (20 s × 1.5ⁿ, at most 15 min),
 * RDS events (0159–0164) only make it look sooner, DescribeExportTasks is the truth, and a deadline
 * (EXPORT_DEADLINE_MINUTES, default 24 h: exports take hours) cancels the task and fails the export. The outcome is
 * written on the run (`export`) and published for notify, whatever the run's own outcome: ExportCompleted or
 * ExportFailed. A chain that broke anyway (a message in the DLQ) is picked up by the watchdog (watchdog.ts
 * sweepExports), which sends the current check-back again.
 */
import {
  CancelExportTaskCommand,
  DescribeExportTasksCommand,
  type ExportTask,
  type RDSClient,
  StartExportTaskCommand,
} from '@aws-sdk/client-rds';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import {
  checkBackDelay,
  describeClusterSnapshot,
  describeSnapshot,
  EXPORT_EVENT_IDS,
  EXPORT_SLOTS,
  ExportCompleted,
  ExportFailed,
  type ExportStore,
  errorCode,
  errorMessage,
  exportCheckBody,
  exportOf,
  exportTaskIdFor,
  isExportDone,
  isTransient,
  type Logger,
  outcomeDetail,
  type Publisher,
  type RdsSignal,
  type Run,
  type RunExport,
  type RunRepository,
} from '@trapheus/shared';

export interface ExportSettings {
  /** The export bucket, role (assumed by export.rds.amazonaws.com) and KMS key; empty: exports are refused. */
  bucket: string;
  roleArn: string;
  kmsKeyId: string;
  deadlineMinutes: number;
  baseSeconds: number;
  maxSeconds: number;
}

export interface ExportDeps {
  rds: RDSClient;
  runs: RunRepository;
  exports: ExportStore;
  sqs: SQSClient;
  queueUrl: string;
  publish: Publisher;
  logger: Logger;
  settings: ExportSettings;
  now?: () => Date;
}

/** Seconds before a check-back that arrived ahead of its export record is read again. */
const FUTURE_CHECK_RETRY_SECONDS = 5;

/** RDS ExportTask.Status values still reading the snapshot (API reference, ExportTask.Status). */
const ACTIVE_RDS = new Set(['STARTING', 'IN_PROGRESS', 'CANCELING']);

/**
 * @example
 * const exports = buildExportTracker(deps);
 * await exports.begin(run);               // once the snapshot is available
 * await exports.onCheck(runId, seq);      // an export check-back
 */
export const buildExportTracker = (deps: ExportDeps) => {
  const { rds, exports, settings } = deps;
  const now = deps.now ?? (() => new Date());
  const at = (seconds: number) => new Date(now().getTime() + seconds * 1000).toISOString();

  const send = (runId: string, seq: number, delaySeconds: number) =>
    deps.sqs.send(
      new SendMessageCommand({
        QueueUrl: deps.queueUrl,
        MessageBody: exportCheckBody(runId, seq),
        DelaySeconds: delaySeconds,
      }),
    );

  /** Writes `next` (same rules as a wait: the next check-back goes out first) unless the export moved meanwhile. */
  const save = async (
    run: Run,
    prev: RunExport,
    next: Omit<RunExport, 'v' | 'checkSeq' | 'attempt' | 'nextCheckAt'>,
    rearm: 'first' | 'next' | 'none',
  ): Promise<RunExport | undefined> => {
    let timing = { checkSeq: prev.checkSeq, attempt: prev.attempt, nextCheckAt: prev.nextCheckAt };
    if (rearm !== 'none') {
      const attempt = rearm === 'first' ? 0 : prev.attempt + 1;
      const delay = checkBackDelay(attempt, settings);
      timing = { checkSeq: prev.checkSeq + 1, attempt, nextCheckAt: at(delay) };
      await send(run.runId, timing.checkSeq, delay);
    }
    const written = await exports.save(run.runId, prev, { ...next, ...timing });
    if (!written)
      deps.logger.info('export changed meanwhile: left to the other writer', { runId: run.runId });
    return written;
  };

  /** Ends the export: gives its slot back, and publishes its outcome (ExportCompleted / ExportFailed) for notify. */
  const finish = async (run: Run, prev: RunExport, ended: Omit<RunExport, 'v'>): Promise<void> => {
    const failed = ended.status !== 'complete';
    const finishedAt = ended.finishedAt ?? now().toISOString();
    const written = await save(run, prev, { ...ended, finishedAt }, 'none');
    if (!written) return;
    if (prev.slot !== undefined) await exports.releaseSlot(run.runId, prev.slot);
    deps.logger[failed ? 'warn' : 'info']('export finished', {
      runId: run.runId,
      status: ended.status,
      failureCause: ended.failureCause,
    });
    if (written.notified) return;
    await deps.publish(failed ? ExportFailed : ExportCompleted, {
      ...outcomeDetail(run, now().toISOString()),
      export: {
        status: ended.status,
        taskId: ended.taskId,
        s3Bucket: ended.s3Bucket,
        s3Prefix: ended.s3Prefix,
        ...(ended.failureCause ? { failureCause: ended.failureCause } : {}),
      },
    });
    // Published: the export is closed (it leaves the watchdog's index of open exports).
    await exports.save(run.runId, written, { ...written, notified: true });
  };

  const describeTask = async (taskId: string): Promise<ExportTask | undefined> => {
    try {
      const out = await rds.send(new DescribeExportTasksCommand({ ExportTaskIdentifier: taskId }));
      return out.ExportTasks?.[0];
    } catch (err) {
      if (errorCode(err) === 'ExportTaskNotFoundFault' || errorCode(err) === 'ExportTaskNotFound')
        return undefined;
      throw err;
    }
  };

  /** Exports RDS runs in the account right now (Trapheus's and anyone else's). */
  const activeRdsExports = async (): Promise<ExportTask[]> => {
    const out: ExportTask[] = [];
    let marker: string | undefined;
    do {
      const page = await rds.send(new DescribeExportTasksCommand({ ...(marker ? { Marker: marker } : {}) }));
      out.push(...(page.ExportTasks ?? []).filter((t) => ACTIVE_RDS.has(t.Status ?? '')));
      marker = page.Marker;
    } while (marker);
    return out;
  };

  const holderDone = async (holder: string): Promise<boolean> => {
    const other = await deps.runs.get(holder);
    const e = other && exportOf(other);
    return !e || isExportDone(e) || e.slot === undefined;
  };

  /** pending / queued: take a slot and start the task, or wait in the queue. */
  const start = async (run: Run, e: RunExport): Promise<void> => {
    const base = { ...e };
    if (now().toISOString() > e.deadline) {
      await finish(run, e, {
        ...base,
        status: 'failed',
        failureCause: 'DeadlineExceeded: never got an export slot',
      });
      return;
    }
    const slot = e.slot ?? (await exports.claimSlot(run.runId, holderDone));
    if (slot === undefined) {
      if (e.status !== 'queued')
        deps.logger.info('export queued: five exports are running', { runId: run.runId });
      await save(run, e, { ...base, status: 'queued' }, 'next');
      return;
    }
    const snapshot =
      run.kind === 'cluster'
        ? (await describeClusterSnapshot(rds, e.snapshotIdentifier))?.DBClusterSnapshotArn
        : (await describeSnapshot(rds, e.snapshotIdentifier))?.DBSnapshotArn;
    if (!snapshot) {
      await exports.releaseSlot(run.runId, slot);
      await finish(run, e, {
        ...base,
        status: 'failed',
        failureCause: `snapshot ${e.snapshotIdentifier} not found`,
      });
      return;
    }
    try {
      await rds.send(
        new StartExportTaskCommand({
          ExportTaskIdentifier: e.taskId,
          SourceArn: snapshot,
          S3BucketName: e.s3Bucket,
          S3Prefix: e.s3Prefix,
          IamRoleArn: settings.roleArn,
          KmsKeyId: settings.kmsKeyId,
        }),
      );
    } catch (err) {
      const code = errorCode(err);
      if (isTransient(err)) throw err;
      if (code !== 'ExportTaskAlreadyExistsFault' && code !== 'ExportTaskAlreadyExists') {
        // RDS documents no code for a sixth concurrent export: whatever it answers, five exports running in the
        // account (someone else's included) means "wait in the queue", never a failure.
        if ((await activeRdsExports()).length >= EXPORT_SLOTS) {
          await exports.releaseSlot(run.runId, slot);
          await save(run, e, { ...base, status: 'queued', rdsStatus: code }, 'next');
          return;
        }
        await exports.releaseSlot(run.runId, slot);
        await finish(run, e, { ...base, status: 'failed', failureCause: `${code}: ${errorMessage(err)}` });
        return;
      }
      // Already started by an earlier delivery of this check-back: just track it.
    }
    await save(
      run,
      e,
      {
        ...base,
        status: 'running',
        slot,
        startedAt: e.startedAt ?? now().toISOString(),
        rdsStatus: 'STARTING',
      },
      'first',
    );
  };

  /** running: DescribeExportTasks is the truth; past the deadline the task is canceled and the export failed. */
  const track = async (run: Run, e: RunExport): Promise<void> => {
    const task = await describeTask(e.taskId);
    const status = task?.Status ?? 'MISSING';
    if (status === 'COMPLETE') {
      await finish(run, e, { ...e, status: 'complete', rdsStatus: status });
      return;
    }
    if (status === 'FAILED' || status === 'CANCELED' || status === 'MISSING') {
      await finish(run, e, {
        ...e,
        status: status === 'CANCELED' ? 'canceled' : 'failed',
        rdsStatus: status,
        failureCause:
          task?.FailureCause ?? (status === 'MISSING' ? `export task ${e.taskId} not found` : status),
      });
      return;
    }
    if (now().toISOString() > e.deadline) {
      if (status !== 'CANCELING') {
        try {
          await rds.send(new CancelExportTaskCommand({ ExportTaskIdentifier: e.taskId }));
        } catch (err) {
          if (isTransient(err)) throw err;
          deps.logger.warn('could not cancel the export past its deadline', { code: errorCode(err) });
        }
      }
      await finish(run, e, {
        ...e,
        status: 'failed',
        rdsStatus: status,
        failureCause: `DeadlineExceeded: still ${status} at ${e.deadline}; the task was canceled`,
      });
      return;
    }
    await save(run, e, { ...e, rdsStatus: status }, 'next');
  };

  const look = async (runId: string, seq: number | undefined): Promise<void> => {
    const run = await deps.runs.get(runId);
    const e = run && exportOf(run);
    if (!run || !e) return;
    if (isExportDone(e)) {
      // An outcome not published (crash in between; the watchdog re-sends this check-back): publish it now.
      if (!e.notified && seq === e.checkSeq) await finish(run, e, e);
      return;
    }
    if (seq !== undefined && seq !== e.checkSeq) {
      // Not the live check-back. One from the future went out before its export record was written (save) and
      // arrived first: it is sent again as itself, shortly, since dropping it would break the chain. One from the past
      // is dropped. Either carries on when the live one is overdue (lost: its record's write never landed).
      const overdue = now().getTime() > Date.parse(e.nextCheckAt) + 120_000;
      if (!overdue) {
        if (seq > e.checkSeq) {
          deps.logger.debug('export check-back ahead of its record: sent again', { runId, seq });
          await send(runId, seq, FUTURE_CHECK_RETRY_SECONDS);
        }
        return;
      }
    }
    if (seq === undefined && e.status !== 'running') return; // events only concern a running task
    if (e.status === 'running') {
      // An RDS event looks now; the live check-back chain stays as it is unless the task ended.
      await track(run, e);
      return;
    }
    await start(run, e);
  };

  return {
    /** Records the export of a run's available snapshot and arms its first check-back; idempotent. */
    async begin(run: Run): Promise<void> {
      if (exportOf(run)) return;
      if (!settings.bucket || !settings.roleArn || !settings.kmsKeyId) {
        deps.logger.warn('export requested but no export bucket is configured', { runId: run.runId });
      }
      const taskId = exportTaskIdFor(run.runId);
      const delay = 0;
      const first: RunExport = {
        status: 'pending',
        v: 0,
        taskId,
        snapshotIdentifier: run.snapshotIdentifier,
        s3Bucket: settings.bucket,
        s3Prefix: `${run.kind}/${run.identifier}`,
        requestedAt: now().toISOString(),
        deadline: at(settings.deadlineMinutes * 60),
        checkSeq: 1,
        attempt: 0,
        nextCheckAt: at(delay),
      };
      // Recorded first, then the check-back: one that arrived before the record would find nothing to do. A redelivery
      // (the record exists) sends it again; a duplicate check-back of a pending export is harmless.
      if (await exports.begin(run.runId, first))
        deps.logger.info('export requested', { runId: run.runId, taskId });
      await send(run.runId, 1, delay);
    },

    /** An export check-back. */
    onCheck: (runId: string, seq: number) => look(runId, seq),

    /** An RDS export event (0159–0164) on a snapshot: looks at the run exporting it, if any. */
    async onRdsEvent(signal: RdsSignal): Promise<boolean> {
      if (!EXPORT_EVENT_IDS.includes(signal.eventId)) return false;
      const runId = await exports.runOfSnapshot(signal.identifier);
      if (runId) await look(runId, undefined);
      return true;
    },

    /** Snapshot identifiers an export still reads (retention must not delete them). */
    async snapshotsBeingExported(): Promise<Set<string>> {
      const ids = new Set<string>();
      for (const t of await activeRdsExports()) {
        const arn = t.SourceArn ?? '';
        ids.add(arn.slice(arn.lastIndexOf(':') + 1));
      }
      return ids;
    },
  };
};

export type ExportTracker = ReturnType<typeof buildExportTracker>;
