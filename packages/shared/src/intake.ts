/**
 * The read-only facts and predicates of request intake (the snapshot service's acceptRequest): whether a database
 * may be restored in place, which snapshots are Trapheus's own, and who holds a database's lock. `trapheus plan`
 * reads them without changing anything, so its blockers are the checks a run would meet.
 */
import {
  type DBCluster,
  type DBInstance,
  paginateDescribeDBClusterSnapshots,
  paginateDescribeDBSnapshots,
  type RDSClient,
  type Tag,
} from '@aws-sdk/client-rds';
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { CLUSTER_LEDGER, INSTANCE_LEDGER, refusalOf } from './ledger';
import { SNAPSHOT_TAG, tagValue } from './rds-instance';
import { type DbKind, dbKeyOf, isTerminal, type Run } from './run';
import { holdsLockWhenDone, LOCK_PREFIX, parseRun } from './run-repository';

/** Statuses a database can be accepted in (a run waits them out); any other status rejects the request. */
export const ACCEPTED_DB_STATUSES: ReadonlySet<string> = new Set([
  'available',
  'backing-up',
  'modifying',
  'storage-optimization',
]);

/**
 * Why an instance cannot be restored in place (RDS Custom, and the ledger's `refused` fields: read replicas and
 * their sources, …), or undefined. Cluster membership is reported apart (restore the cluster instead).
 *
 * @example
 * unsupportedInstance({ ReadReplicaSourceDBInstanceIdentifier: 'prod' }) // 'ReadReplicaSourceDBInstanceIdentifier is prod: …'
 */
export const unsupportedInstance = (db: DBInstance): string | undefined => {
  if (db.Engine?.startsWith('custom-')) return `engine ${db.Engine}: RDS Custom is not supported`;
  const { DBClusterIdentifier: _member, ...rest } = db;
  return refusalOf(INSTANCE_LEDGER, rest);
};

/** Why a cluster cannot be restored in place (engine mode, Multi-AZ DB cluster, global member, …), or undefined. */
export const unsupportedCluster = (cluster: DBCluster): string | undefined => {
  if (cluster.EngineMode && !['provisioned', 'serverless-v2'].includes(cluster.EngineMode)) {
    return `engine mode ${cluster.EngineMode}: only provisioned (and Serverless v2) clusters are supported`;
  }
  return refusalOf(CLUSTER_LEDGER, cluster);
};

/**
 * The snapshot a snapshot task takes: a run-unique name under the requested (or default) base, so an earlier good
 * snapshot is never deleted before the new one is available.
 *
 * @example
 * runSnapshotIdentifier('orders-db-snapshot', 'run-3f2a9c21aa') // 'orders-db-snapshot-3f2a9c21'
 */
export const runSnapshotIdentifier = (base: string, runId: string): string =>
  `${base}-${runId.replace(/^run-/, '').slice(0, 8)}`;

/** A manual snapshot as intake and retirement look at it. */
export interface OwnSnapshotCandidate {
  id: string;
  status: string;
  tags: Tag[];
  created?: Date;
}

/** Trapheus's own snapshots of a database under a base name: the base itself or `<base>-<run suffix>`. */
export const isTrapheusSnapshotOf = (s: Pick<OwnSnapshotCandidate, 'id' | 'tags'>, base: string): boolean =>
  tagValue(s.tags, SNAPSHOT_TAG) !== undefined &&
  (s.id === base || (/^[0-9a-f]{8}$/.test(s.id.slice(base.length + 1)) && s.id.startsWith(`${base}-`)));

/** What the one-active-run lock of a database says, read without taking it. */
export type LockView =
  | { free: true; holder?: string }
  | { free: false; holder: string; holderRun?: Run; needsPerson: boolean };

/**
 * The lock of a database as acquireLock would find it, without writing: free (no lock, or a finished holder
 * that does not keep it), held by an active run, or kept by a FAILED run that needs a person.
 */
export const peekLock = async (
  dynamo: DynamoDBDocumentClient,
  tableName: string,
  kind: DbKind,
  identifier: string,
): Promise<LockView> => {
  const lock = await dynamo.send(
    new GetCommand({
      TableName: tableName,
      Key: { runId: `${LOCK_PREFIX}${dbKeyOf(kind, identifier)}` },
      ConsistentRead: true,
    }),
  );
  const holder = lock.Item?.holder as string | undefined;
  if (!holder) return { free: true };
  const item = (
    await dynamo.send(new GetCommand({ TableName: tableName, Key: { runId: holder }, ConsistentRead: true }))
  ).Item;
  const holderRun = item ? parseRun(item) : undefined;
  if (holderRun && !isTerminal(holderRun.step)) return { free: false, holder, holderRun, needsPerson: false };
  if (holderRun && holdsLockWhenDone(holderRun)) return { free: false, holder, holderRun, needsPerson: true };
  return { free: true, holder };
};

/** The manual snapshots of a database (every page); the filter also matches a same-named database's, so check. */
export const listManualSnapshots = async (
  rds: RDSClient,
  kind: DbKind,
  dbId: string,
): Promise<OwnSnapshotCandidate[]> => {
  const out: OwnSnapshotCandidate[] = [];
  const add = (
    id: string | undefined,
    source: string | undefined,
    s: { Status?: string; TagList?: Tag[]; SnapshotCreateTime?: Date },
  ) => {
    if (!id || source !== dbId) return;
    out.push({
      id,
      status: s.Status ?? 'unknown',
      tags: s.TagList ?? [],
      ...(s.SnapshotCreateTime ? { created: s.SnapshotCreateTime } : {}),
    });
  };
  if (kind === 'instance') {
    const pages = paginateDescribeDBSnapshots(
      { client: rds },
      { DBInstanceIdentifier: dbId, SnapshotType: 'manual' },
    );
    for await (const page of pages)
      for (const s of page.DBSnapshots ?? []) add(s.DBSnapshotIdentifier, s.DBInstanceIdentifier, s);
  } else {
    const pages = paginateDescribeDBClusterSnapshots(
      { client: rds },
      { DBClusterIdentifier: dbId, SnapshotType: 'manual' },
    );
    for await (const page of pages)
      for (const s of page.DBClusterSnapshots ?? [])
        add(s.DBClusterSnapshotIdentifier, s.DBClusterIdentifier, s);
  }
  return out;
};

/** A database's restorable window (what RDS says a point-in-time restore may ask for). */
export interface RestorableWindow {
  /** BackupRetentionPeriod in days; 0 means automated backups are off (instances only). */
  retentionDays: number;
  earliest?: Date;
  latest?: Date;
}

/**
 * Why a restore to `point` cannot be asked of RDS, if so: automated backups off, no restorable time yet, or a time
 * outside [earliest, latest]. Checked before anything is touched (the run is REJECTED, nothing changes).
 *
 * @example
 * restorePointProblem({ time: '2026-12-01T02:00:00Z' }, { retentionDays: 0 }, 'DB instance orders-db')
 * // { code: 'PointInTimeRestoreNotEnabled', message: 'DB instance orders-db has automated backups off …' }
 */
export const restorePointProblem = (
  point: { time?: string; latest?: boolean },
  window: RestorableWindow,
  label: string,
): { code: string; message: string } | undefined => {
  // RDS API reference, RestoreDBInstanceToPointInTime, PointInTimeRestoreNotEnabledFault: "SourceDBInstanceIdentifier
  // refers to a DB instance with BackupRetentionPeriod equal to 0."
  if (window.retentionDays === 0) {
    return {
      code: 'PointInTimeRestoreNotEnabled',
      message: `${label} has automated backups off (BackupRetentionPeriod 0), so RDS cannot restore it to a point in time; restore a snapshot instead`,
    };
  }
  const iso = (d: Date) => d.toISOString().replace('.000Z', 'Z');
  if (!window.latest) {
    return {
      code: 'RestoreTimeOutsideWindow',
      message: `${label} has no restorable time yet (its first automated backup is not done); try again later, or restore a snapshot`,
    };
  }
  if (!point.time) return undefined;
  const at = Date.parse(point.time);
  const span = `${window.earliest ? iso(window.earliest) : 'its first backup'} to ${iso(window.latest)}`;
  // RDS API reference, RestoreDBInstanceToPointInTime RestoreTime: "Must be before the latest restorable time for
  // the DB instance."; DBCluster EarliestRestorableTime: "The earliest time to which a database can be restored".
  if (at > window.latest.getTime() || (window.earliest && at < window.earliest.getTime())) {
    return {
      code: 'RestoreTimeOutsideWindow',
      message: `field "restoreTime" ${point.time} is outside the restorable window of ${label} (${span})`,
    };
  }
  return undefined;
};
