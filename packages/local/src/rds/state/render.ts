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
  if (status !== 'creating') return 100;
  const pct = Math.floor(((Date.now() - startedMs) / Math.max(durationMs, 1)) * 100);
  return Math.max(0, Math.min(99, pct));
}

export function snapshotView(rec: SnapshotRecord): Record<string, unknown> {
  return { ...clone(rec.props), PercentProgress: progress(rec.startedMs, rec.durationMs, rec.props.Status) };
}

export function clusterSnapshotView(rec: ClusterSnapshotRecord): Record<string, unknown> {
  return { ...clone(rec.props), PercentProgress: progress(rec.startedMs, rec.durationMs, rec.props.Status) };
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
