/**
 * The snapshot service's steps: accept a request (REQUESTED) and create or replace the source snapshot
 * (SNAPSHOTTING).
 */
import { CreateDBSnapshotCommand, DeleteDBSnapshotCommand, type RDSClient } from '@aws-sdk/client-rds';
import {
  describeInstance,
  describeSnapshot,
  errorCode,
  formatIssues,
  type Publisher,
  type Run,
  type RunFailure,
  type RunRepository,
  restoreRequestedDetailSchema,
  runIdFor,
  type ServiceSteps,
  SNAPSHOT_TAG,
  SnapshotReady,
  type StepContext,
  TASKS,
  tagValue,
  type Waiter,
} from '@trapheus/shared';

export interface SnapshotDeps {
  rds: RDSClient;
  runs: RunRepository;
  waiter: Waiter;
  publish: Publisher;
}

/** Instance statuses a snapshot can wait out; any other status rejects the request. */
const BUSY_BUT_FINE = new Set(['available', 'backing-up', 'modifying', 'storage-optimization']);

const signalOf = (run: Run) => ({
  runId: run.runId,
  identifier: run.identifier,
  kind: run.kind,
  step: run.step,
});

export const buildSnapshotSteps = ({ rds, runs, waiter, publish }: SnapshotDeps): ServiceSteps => {
  const reject = (run: Run, reason: string, code: string, ctx: StepContext) => {
    ctx.logger.warn('request rejected', { reason });
    return runs.transition(run, 'REJECTED', {
      patch: { reason, progress: { ...run.progress, databaseState: 'unchanged: Trapheus did not touch it' } },
      failure: { step: 'REQUESTED', code, message: reason, at: ctx.now().toISOString() },
    });
  };

  /** Announces a ready snapshot to the restore service (or finishes a snapshot-only run). */
  const snapshotReady = async (run: Run, note: string): Promise<Run> => {
    if (run.task === 'create_snapshot_only') {
      return runs.transition(run, 'SUCCEEDED', {
        note,
        patch: { progress: { ...run.progress, databaseState: 'unchanged; snapshot created' } },
      });
    }
    const next = await runs.transition(run, 'SNAPSHOT_READY', { note });
    await publish(SnapshotReady, signalOf(next));
    return next;
  };

  /** REQUESTED: one active run per database, the database exists, and for db_restore the snapshot does. */
  const acceptRequest = async (run: Run, ctx: StepContext): Promise<Run> => {
    if (run.kind === 'cluster') {
      return reject(run, 'Aurora cluster restores are not supported yet', 'NotSupported', ctx);
    }
    const lock = await runs.acquireLock(run);
    if (!lock.acquired) {
      return reject(
        run,
        `another run (${lock.holder}) is active on DB instance ${run.identifier}; wait for it to finish`,
        'RunAlreadyActive',
        ctx,
      );
    }
    const db = await describeInstance(rds, run.identifier);
    if (!db) return reject(run, `DB instance ${run.identifier} not found`, 'DBInstanceNotFound', ctx);
    if (db.DBClusterIdentifier) {
      return reject(
        run,
        `DB instance ${run.identifier} is a member of cluster ${db.DBClusterIdentifier}: restore the cluster (isCluster: true)`,
        'InstanceInCluster',
        ctx,
      );
    }
    if (!BUSY_BUT_FINE.has(db.DBInstanceStatus ?? '')) {
      return reject(
        run,
        `DB instance ${run.identifier} is ${db.DBInstanceStatus}; it must be available`,
        'InvalidDBInstanceState',
        ctx,
      );
    }
    if (run.task !== 'db_restore') return runs.transition(run, 'SNAPSHOTTING');
    const snapshot = await describeSnapshot(rds, run.snapshotIdentifier);
    if (!snapshot) {
      return reject(
        run,
        `DB snapshot ${run.snapshotIdentifier} not found (task db_restore)`,
        'DBSnapshotNotFound',
        ctx,
      );
    }
    if (snapshot.Status !== 'available') {
      return reject(
        run,
        `DB snapshot ${run.snapshotIdentifier} is ${snapshot.Status}; it must be available`,
        'InvalidDBSnapshotState',
        ctx,
      );
    }
    return snapshotReady(run, `using existing snapshot ${run.snapshotIdentifier}`);
  };

  /** SNAPSHOTTING: delete a previous snapshot of that name, wait until it is gone, create ours, wait. */
  const takeSnapshot = async (run: Run, ctx: StepContext): Promise<Run> => {
    const snapshotId = run.snapshotIdentifier;
    const snapshot = await describeSnapshot(rds, snapshotId);
    const ours = snapshot && tagValue(snapshot.TagList, SNAPSHOT_TAG) === run.runId;

    if (snapshot && ours) {
      if (snapshot.Status === 'available') return snapshotReady(run, `snapshot ${snapshotId} created`);
      if (snapshot.Status === 'failed' || snapshot.Status === 'deleting') {
        throw Object.assign(new Error(`snapshot ${snapshotId} is ${snapshot.Status}`), {
          name: 'SnapshotFailed',
        });
      }
      return waiter.waitFor(
        run,
        { resourceType: 'db-snapshot', identifier: snapshotId, target: 'available' },
        ctx.signal,
      );
    }

    if (snapshot) {
      // An older snapshot holds the name: replace it (the original tool's behaviour), once it is settled.
      if (snapshot.Status === 'available' || snapshot.Status === 'failed') {
        ctx.logger.info('deleting the previous snapshot', {
          snapshotId,
          created: snapshot.SnapshotCreateTime,
        });
        await rds.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: snapshotId }));
        run = await runs.update(run, {
          progress: { ...run.progress, replacedSnapshotAt: ctx.now().toISOString() },
        });
      }
      return waiter.waitFor(
        run,
        { resourceType: 'db-snapshot', identifier: snapshotId, target: 'deleted' },
        ctx.signal,
      );
    }

    const db = await describeInstance(rds, run.identifier);
    if (!db)
      throw Object.assign(new Error(`DB instance ${run.identifier} not found`), {
        name: 'DBInstanceNotFound',
      });
    if (db.DBInstanceStatus !== 'available') {
      return waiter.waitFor(
        run,
        { resourceType: 'db-instance', identifier: run.identifier, target: 'available' },
        ctx.signal,
      );
    }
    try {
      await rds.send(
        new CreateDBSnapshotCommand({
          DBSnapshotIdentifier: snapshotId,
          DBInstanceIdentifier: run.identifier,
          Tags: [{ Key: SNAPSHOT_TAG, Value: run.runId }],
        }),
      );
    } catch (err) {
      // Someone created it between our describe and create, or the instance just got busy: look again later.
      if (!['DBSnapshotAlreadyExists', 'InvalidDBInstanceState'].includes(errorCode(err))) throw err;
      ctx.logger.info('snapshot not created yet, will look again', { code: errorCode(err) });
    }
    run = await runs.update(run, {
      progress: { ...run.progress, snapshotRequestedAt: ctx.now().toISOString() },
    });
    return waiter.waitFor(
      run,
      { resourceType: 'db-snapshot', identifier: snapshotId, target: 'available' },
      ctx.signal,
    );
  };

  const onStepFailure = (run: Run, failure: RunFailure, _ctx: StepContext): Promise<Run> =>
    runs.transition(run, 'FAILED', {
      failure,
      patch: {
        reason: `${run.step === 'REQUESTED' ? 'accepting the request' : 'taking the snapshot'} failed; the database was not changed`,
        progress: { ...run.progress, databaseState: 'unchanged: the original still answers under its name' },
      },
    });

  const onRequest: ServiceSteps['onRequest'] = async (signal, ctx) => {
    const raw = (signal.detail ?? {}) as Record<string, unknown>;
    const parsed = restoreRequestedDetailSchema.safeParse(signal.detail);
    const requestId = typeof raw.requestId === 'string' && raw.requestId ? raw.requestId : undefined;
    const runId = runIdFor({ requestId, eventId: signal.eventId });
    if (!parsed.success) {
      const identifier = typeof raw.identifier === 'string' && raw.identifier ? raw.identifier : '(missing)';
      const task = TASKS.find((t) => t === raw.task) ?? 'invalid';
      const { run } = await runs.create({
        runId,
        identifier,
        kind: raw.isCluster === true ? 'cluster' : 'instance',
        task,
        snapshotIdentifier: `${identifier}-snapshot`,
        ...(requestId ? { requestId } : {}),
      });
      if (run.step !== 'REQUESTED') return run;
      return reject(
        run,
        `invalid RestoreRequested: ${formatIssues(parsed.error.issues)}`,
        'InvalidRequest',
        ctx,
      );
    }
    const detail = parsed.data;
    const { run, created } = await runs.create({
      runId,
      identifier: detail.identifier,
      kind: detail.isCluster ? 'cluster' : 'instance',
      task: detail.task,
      snapshotIdentifier: detail.snapshotIdentifier ?? `${detail.identifier}-snapshot`,
      ...(detail.requestId ? { requestId: detail.requestId } : {}),
    });
    ctx.logger.info(created ? 'run created' : 'request already seen', { runId, step: run.step });
    return run;
  };

  return {
    service: 'snapshot',
    steps: { REQUESTED: acceptRequest, SNAPSHOTTING: takeSnapshot },
    clusterSteps: { REQUESTED: acceptRequest },
    onStepFailure,
    onRequest,
  };
};
