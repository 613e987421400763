import { RdsError } from '../errors';
import type { EventSource } from '../events';
import { optBool, optString, optTags, type Params, reqString } from '../protocol';
import type { ClusterProps, ClusterSnapshotProps, Tag } from '../types';
import { applyFilters, checkMaxRecords, idFromArn } from './describe';
import { clusterSnapshotView, paginate, visibleClusterSnapshotView } from './render';
import { matchesType, visibleSnapshots } from './snapshots';
import {
  type ClusterRecord,
  type ClusterSnapshotRecord,
  clone,
  mergeTags,
  type SimContext,
  type Store,
  validateIdentifier,
} from './store';

export function clusterSnapshotSource(rec: ClusterSnapshotRecord): EventSource {
  return {
    sourceType: 'CLUSTER_SNAPSHOT',
    identifier: rec.props.DBClusterSnapshotIdentifier,
    arn: rec.props.DBClusterSnapshotArn,
  };
}

/** Starts a manual cluster snapshot; the cluster shows `backing-up` until it is done (unless being deleted). */
export function startClusterSnapshot(
  ctx: SimContext,
  cluster: ClusterRecord,
  snapId: string,
  tags: Tag[],
  opts: { keepClusterStatus?: boolean } = {},
): ClusterSnapshotRecord {
  const { store } = ctx;
  const c = cluster.props;
  const props = clusterSnapshotPropsOf(store, c, snapId, tags, 'manual');
  const rec: ClusterSnapshotRecord = {
    props,
    source: clone(c),
    startedMs: Date.now(),
    durationMs: ctx.scheduler.ms(ctx.durations.createClusterSnapshot),
    ...(cluster.masterUserPassword !== undefined ? { masterUserPassword: cluster.masterUserPassword } : {}),
  };
  store.clusterSnapshots.set(snapId, rec);
  if (!opts.keepClusterStatus) c.Status = 'backing-up';
  const failure = ctx.faults.takeAsyncFailure('CreateDBClusterSnapshot', [snapId, c.DBClusterIdentifier]);
  ctx.events.emit(clusterSnapshotSource(rec), 'RDS-EVENT-0074');
  ctx.scheduler.after(ctx.durations.createClusterSnapshot, () => {
    if (c.Status === 'backing-up') c.Status = 'available';
    if (failure) {
      props.Status = 'failed';
      return;
    }
    props.Status = 'available';
    props.PercentProgress = 100;
    ctx.events.emit(clusterSnapshotSource(rec), 'RDS-EVENT-0075');
  });
  return rec;
}

/** The props of a new snapshot of the cluster `c` (status `creating`). */
export function clusterSnapshotPropsOf(
  store: Store,
  c: ClusterProps,
  snapId: string,
  tags: Tag[],
  type: 'manual' | 'automated',
): ClusterSnapshotProps {
  return {
    DBClusterSnapshotIdentifier: snapId,
    DBClusterSnapshotArn: store.arn('cluster-snapshot', snapId),
    DBClusterIdentifier: c.DBClusterIdentifier,
    DbClusterResourceId: c.DbClusterResourceId,
    Status: 'creating',
    PercentProgress: 0,
    SnapshotCreateTime: new Date().toISOString(),
    ClusterCreateTime: c.ClusterCreateTime,
    SnapshotType: type,
    Engine: c.Engine,
    EngineMode: c.EngineMode,
    EngineVersion: c.EngineVersion,
    AllocatedStorage: c.AllocatedStorage,
    Port: c.Port,
    VpcId: store.vpcOfSubnetGroup(c.DBSubnetGroup),
    MasterUsername: c.MasterUsername,
    LicenseModel: c.Engine,
    StorageType: c.StorageType,
    StorageEncrypted: c.StorageEncrypted,
    KmsKeyId: c.KmsKeyId,
    IAMDatabaseAuthenticationEnabled: c.IAMDatabaseAuthenticationEnabled,
    AvailabilityZones: [...c.AvailabilityZones],
    TagList: c.CopyTagsToSnapshot ? mergeTags(c.TagList, tags) : clone(tags),
  };
}

export function createDBClusterSnapshot(ctx: SimContext, p: Params) {
  const { store } = ctx;
  const snapId = validateIdentifier(
    reqString(p, 'DBClusterSnapshotIdentifier'),
    'DBClusterSnapshotIdentifier',
    255,
  );
  const cluster = store.cluster(reqString(p, 'DBClusterIdentifier'));
  if (cluster.props.Status !== 'available') {
    throw new RdsError(
      'InvalidDBClusterStateFault',
      `DB cluster ${cluster.props.DBClusterIdentifier} is not in available state (${cluster.props.Status}).`,
    );
  }
  store.assertClusterSnapshotFree(snapId);
  const rec = startClusterSnapshot(ctx, cluster, snapId, optTags(p) ?? []);
  return { DBClusterSnapshot: clusterSnapshotView(rec) };
}

const filters = (store: Store): Record<string, (r: ClusterSnapshotRecord) => string | undefined> => ({
  'db-cluster-id': (r) => r.props.DBClusterIdentifier,
  'db-cluster-snapshot-id': (r) => r.props.DBClusterSnapshotIdentifier,
  'snapshot-type': (r) => store.snapshotTypeSeen(r),
  engine: (r) => r.props.Engine,
});

export function describeDBClusterSnapshots(ctx: SimContext, p: Params) {
  const { store } = ctx;
  const max = checkMaxRecords(p);
  const snapId = optString(p, 'DBClusterSnapshotIdentifier');
  const clusterId = optString(p, 'DBClusterIdentifier')?.toLowerCase();
  const type = optString(p, 'SnapshotType');
  // By identifier: the local account's snapshot by name or ARN, another account's shared one by ARN only (see
  // visibleSnapshots for the lists).
  let recs = snapId
    ? [store.clusterSnapshotRef(snapId)]
    : visibleSnapshots(
        store,
        [...store.clusterSnapshots.values()],
        [...store.foreignClusterSnapshots.values()],
        {
          type,
          includeShared: optBool(p, 'IncludeShared') ?? false,
          includePublic: optBool(p, 'IncludePublic') ?? false,
        },
      );
  if (clusterId) recs = recs.filter((r) => r.props.DBClusterIdentifier === idFromArn(clusterId, 'cluster'));
  if (snapId && type) recs = recs.filter((r) => matchesType(store, r, type));
  recs = applyFilters(p, recs, filters(store));
  const { page, marker } = paginate(recs, max, optString(p, 'Marker'));
  return { DBClusterSnapshots: page.map((r) => visibleClusterSnapshotView(store, r)), Marker: marker };
}

export function deleteDBClusterSnapshot(ctx: SimContext, p: Params) {
  const { store } = ctx;
  const rec = store.clusterSnapshot(reqString(p, 'DBClusterSnapshotIdentifier'));
  const status = rec.props.Status;
  // RDS API reference, CopyDBClusterSnapshot: "To cancel the copy operation once it is in progress, delete the target
  // DB cluster snapshot identified by TargetDBClusterSnapshotIdentifier while that DB cluster snapshot is in "copying"
  // status."
  if (status !== 'available' && status !== 'failed' && status !== 'copying') {
    throw new RdsError(
      'InvalidDBClusterSnapshotStateFault',
      `Cannot delete the cluster snapshot in ${status} state.`,
    );
  }
  rec.props.Status = 'deleting';
  // RDS documents no event for a deleted cluster snapshot.
  ctx.scheduler.after(ctx.durations.deleteClusterSnapshot, () =>
    store.clusterSnapshots.delete(rec.props.DBClusterSnapshotIdentifier),
  );
  return { DBClusterSnapshot: clusterSnapshotView(rec) };
}
