import type { Tag } from '../types';
import {
  type ClusterRecord,
  type ClusterSnapshotRecord,
  clone,
  type InstanceRecord,
  type SnapshotRecord,
  type Store,
} from './store';
import { clusterWindow, instanceWindow } from './window';

/** The DBInstance element as Describe returns it. */
export function instanceView(store: Store, rec: InstanceRecord): Record<string, unknown> {
  const view: Record<string, unknown> = { ...clone(rec.props) };
  // RDS has no endpoint for an instance that is still being created.
  if (rec.props.DBInstanceStatus === 'creating') delete view.Endpoint;
  // RDS API reference, DBInstance LatestRestorableTime: "The latest time to which a database in this DB instance can
  // be restored with point-in-time restore." (DBInstance has no EarliestRestorableTime.)
  const window = instanceWindow(store, rec);
  if (window) view.LatestRestorableTime = window.latest.toISOString();
  return view;
}

function progress(startedMs: number, durationMs: number, status: string): number {
  if (status !== 'creating' && status !== 'copying') return 100;
  const pct = Math.floor(((Date.now() - startedMs) / Math.max(durationMs, 1)) * 100);
  return Math.max(0, Math.min(99, pct));
}

export function snapshotView(rec: SnapshotRecord): Record<string, unknown> {
  return { ...clone(rec.props), PercentProgress: progress(rec.startedMs, rec.durationMs, rec.props.Status) };
}

export function clusterSnapshotView(rec: ClusterSnapshotRecord): Record<string, unknown> {
  return { ...clone(rec.props), PercentProgress: progress(rec.startedMs, rec.durationMs, rec.props.Status) };
}

/**
 * A DB snapshot as the local account sees it. Another account's snapshot shared with it carries its ARN as
 * DBSnapshotIdentifier and SnapshotType `shared` (or `public`): not documented by AWS; we answer what DescribeDBSnapshots
 * output of shared snapshots shows in public tools (e.g. `"DBSnapshotIdentifier": "arn:aws:rds:…"`, `"SnapshotType":
 * "shared"`), which is also the only way to name it (RDS API reference, RestoreDBInstanceFromDBSnapshot
 * DBSnapshotIdentifier: "If you are restoring from a shared manual DB snapshot, the DBSnapshotIdentifier must be the ARN
 * of the shared DB snapshot.").
 */
export function visibleSnapshotView(store: Store, rec: SnapshotRecord): Record<string, unknown> {
  const view = snapshotView(rec);
  if (rec.owner === undefined) return view;
  return {
    ...view,
    DBSnapshotIdentifier: rec.props.DBSnapshotArn,
    SnapshotType: store.snapshotTypeSeen(rec),
  };
}

/** A DB cluster snapshot as the local account sees it (see `visibleSnapshotView`). */
export function visibleClusterSnapshotView(
  store: Store,
  rec: ClusterSnapshotRecord,
): Record<string, unknown> {
  const view = clusterSnapshotView(rec);
  if (rec.owner === undefined) return view;
  return {
    ...view,
    DBClusterSnapshotIdentifier: rec.props.DBClusterSnapshotArn,
    SnapshotType: store.snapshotTypeSeen(rec),
  };
}

export function clusterView(store: Store, rec: ClusterRecord): Record<string, unknown> {
  const custom = [...store.clusterEndpoints.values()]
    .filter(
      (e) => e.props.DBClusterIdentifier === rec.props.DBClusterIdentifier && e.props.Status !== 'deleting',
    )
    .sort((a, b) => a.seq - b.seq)
    .map((e) => e.props.Endpoint);
  // RDS API reference, DBCluster EarliestRestorableTime / LatestRestorableTime: "The earliest (latest) time to which
  // a database can be restored with point-in-time restore."
  const window = clusterWindow(store, rec);
  return {
    ...clone(rec.props),
    ...(window
      ? {
          EarliestRestorableTime: window.earliest.toISOString(),
          LatestRestorableTime: window.latest.toISOString(),
        }
      : {}),
    CustomEndpoints: custom,
    DBClusterMembers: store.members(rec.props.DBClusterIdentifier).map((m) => ({
      DBInstanceIdentifier: m.props.DBInstanceIdentifier,
      IsClusterWriter: m.isWriter,
      DBClusterParameterGroupStatus: 'in-sync',
      PromotionTier: m.props.PromotionTier ?? 1,
    })),
  };
}

/** Plain JSON of everything the simulator holds (for tests and the CLI). */
export function stateView(store: Store) {
  return {
    instances: [...store.instances.values()].map((r) => instanceView(store, r)),
    hiddenInstances: [...store.instances.values()]
      .filter((r) => r.hidden)
      .map((r) => r.props.DBInstanceIdentifier),
    clusters: [...store.clusters.values()].map((r) => clusterView(store, r)),
    snapshots: [...store.snapshots.values()].map(snapshotView),
    clusterSnapshots: [...store.clusterSnapshots.values()].map(clusterSnapshotView),
    /** Manual snapshots of other accounts (seedForeignSnapshot), as their owner sees them. */
    foreignSnapshots: [
      ...[...store.foreignSnapshots.values()].map((r) => ({
        kind: 'instance' as const,
        owner: r.owner,
        sharedWith: [...(r.sharedWith ?? [])],
        ...snapshotView(r),
      })),
      ...[...store.foreignClusterSnapshots.values()].map((r) => ({
        kind: 'cluster' as const,
        owner: r.owner,
        sharedWith: [...(r.sharedWith ?? [])],
        ...clusterSnapshotView(r),
      })),
    ],
    /** The `restore` attribute of the local account's manual snapshots that are shared. */
    sharedSnapshots: [
      ...[...store.snapshots.values()]
        .filter((r) => (r.sharedWith ?? []).length > 0)
        .map((r) => ({
          kind: 'instance' as const,
          identifier: r.props.DBSnapshotIdentifier,
          sharedWith: [...(r.sharedWith ?? [])],
        })),
      ...[...store.clusterSnapshots.values()]
        .filter((r) => (r.sharedWith ?? []).length > 0)
        .map((r) => ({
          kind: 'cluster' as const,
          identifier: r.props.DBClusterSnapshotIdentifier,
          sharedWith: [...(r.sharedWith ?? [])],
        })),
    ],
    /** KMS keys seeded with seedKmsKey. */
    kmsKeys: [...store.kmsKeys.values()].map((k) => clone(k)),
    clusterEndpoints: [...store.clusterEndpoints.values()].map((e) => clone(e.props)),
    globalClusters: [...store.globalClusters.values()].map((g) => clone(g)),
    automatedBackups: [...store.automatedBackups.values()].map((b) => clone(b)),
    /** ARNs of the master password secrets RDS manages (each goes away with its database). */
    secrets: [...store.secrets],
    /** What each point-in-time restore (instance or cluster) was asked for, by the identifier it was created as. */
    pointInTimeRestores: [
      ...[...store.instances.values()].flatMap((r) =>
        r.pointInTime
          ? [{ kind: 'instance' as const, identifier: r.props.DBInstanceIdentifier, ...clone(r.pointInTime) }]
          : [],
      ),
      ...[...store.clusters.values()].flatMap((r) =>
        r.pointInTime
          ? [{ kind: 'cluster' as const, identifier: r.props.DBClusterIdentifier, ...clone(r.pointInTime) }]
          : [],
      ),
    ],
  };
}

/**
 * The identity and status of every instance, cluster and snapshot, and their tags: what a test sampling the state
 * many times a second reads (the fault suite's invariants), without rendering each resource as Describe does.
 */
export interface RdsInventory {
  /** every instance, renaming (hidden) ones included, as in `stateView().instances` */
  instances: {
    DBInstanceIdentifier: string;
    DbiResourceId: string;
    DBInstanceStatus: string;
    DBClusterIdentifier?: string;
    hidden: boolean;
    TagList: Tag[];
  }[];
  clusters: { DBClusterIdentifier: string; DbClusterResourceId: string; Status: string; TagList: Tag[] }[];
  snapshots: {
    DBSnapshotIdentifier: string;
    DBInstanceIdentifier: string;
    DbiResourceId: string;
    Status: string;
  }[];
  clusterSnapshots: { DBClusterSnapshotIdentifier: string; DBClusterIdentifier: string; Status: string }[];
}

const tagsCopy = (tags: Tag[] | undefined): Tag[] =>
  (tags ?? []).map((t) => ({ Key: t.Key, Value: t.Value }));

export function inventoryView(store: Store): RdsInventory {
  const instances: RdsInventory['instances'] = [];
  for (const r of store.instances.values()) {
    const p = r.props;
    instances.push({
      DBInstanceIdentifier: p.DBInstanceIdentifier,
      DbiResourceId: p.DbiResourceId,
      DBInstanceStatus: p.DBInstanceStatus,
      ...(p.DBClusterIdentifier !== undefined ? { DBClusterIdentifier: p.DBClusterIdentifier } : {}),
      hidden: r.hidden,
      TagList: tagsCopy(p.TagList),
    });
  }
  const clusters: RdsInventory['clusters'] = [];
  for (const r of store.clusters.values()) {
    const p = r.props;
    clusters.push({
      DBClusterIdentifier: p.DBClusterIdentifier,
      DbClusterResourceId: p.DbClusterResourceId,
      Status: p.Status,
      TagList: tagsCopy(p.TagList),
    });
  }
  const snapshots: RdsInventory['snapshots'] = [];
  for (const r of store.snapshots.values()) {
    const p = r.props;
    snapshots.push({
      DBSnapshotIdentifier: p.DBSnapshotIdentifier,
      DBInstanceIdentifier: p.DBInstanceIdentifier,
      DbiResourceId: p.DbiResourceId,
      Status: p.Status,
    });
  }
  const clusterSnapshots: RdsInventory['clusterSnapshots'] = [];
  for (const r of store.clusterSnapshots.values()) {
    const p = r.props;
    clusterSnapshots.push({
      DBClusterSnapshotIdentifier: p.DBClusterSnapshotIdentifier,
      DBClusterIdentifier: p.DBClusterIdentifier,
      Status: p.Status,
    });
  }
  return { instances, clusters, snapshots, clusterSnapshots };
}

/** `MaxRecords`/`Marker` paging (the marker is an offset). */
export function paginate<T>(
  items: T[],
  maxRecords?: number,
  marker?: string,
): { page: T[]; marker?: string } {
  const start = marker ? Number(marker) || 0 : 0;
  const size = maxRecords ?? 100;
  const page = items.slice(start, start + size);
  const next = start + size < items.length ? String(start + size) : undefined;
  return { page, marker: next };
}
