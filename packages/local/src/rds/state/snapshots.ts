import { invalidParameterValue, RdsError } from '../errors';
import type { EventSource } from '../events';
import { optBool, optString, optTags, type Params, reqString } from '../protocol';
import type { InstanceProps, SnapshotProps, Tag } from '../types';
import { applyFilters, checkMaxRecords, idFromArn } from './describe';
import { paginate, snapshotView, visibleSnapshotView } from './render';
import {
  type ClusterSnapshotRecord,
  clone,
  type InstanceRecord,
  mergeTags,
  type SimContext,
  type SnapshotRecord,
  type Store,
  validateIdentifier,
} from './store';

export function snapshotSource(rec: SnapshotRecord): EventSource {
  return { sourceType: 'SNAPSHOT', identifier: rec.props.DBSnapshotIdentifier, arn: rec.props.DBSnapshotArn };
}

/**
 * Creates a manual snapshot record (`creating`) and completes it later. The instance shows `backing-up` meanwhile
 * (unless it is being deleted, for a final snapshot) and is `available` again before the snapshot is.
 */
export function startSnapshot(
  ctx: SimContext,
  inst: InstanceRecord,
  snapId: string,
  tags: Tag[],
  opts: { keepInstanceStatus?: boolean } = {},
): SnapshotRecord {
  const { store } = ctx;
  const i = inst.props;
  const props = snapshotPropsOf(store, i, snapId, tags, 'manual');
  const durationMs = ctx.scheduler.ms(ctx.durations.createSnapshot);
  const rec: SnapshotRecord = {
    props,
    source: clone(i),
    startedMs: Date.now(),
    durationMs,
    ...(inst.masterUserPassword !== undefined ? { masterUserPassword: inst.masterUserPassword } : {}),
  };
  store.snapshots.set(snapId, rec);
  if (!opts.keepInstanceStatus) i.DBInstanceStatus = 'backing-up';
  const failure = ctx.faults.takeAsyncFailure('CreateDBSnapshot', [snapId, i.DBInstanceIdentifier]);
  ctx.events.emit(snapshotSource(rec), 'RDS-EVENT-0040');
  ctx.scheduler.after(ctx.durations.createSnapshot, () => {
    if (i.DBInstanceStatus === 'backing-up') i.DBInstanceStatus = 'available';
    if (failure) {
      props.Status = 'failed';
      return;
    }
    props.Status = 'available';
    props.PercentProgress = 100;
    ctx.events.emit(snapshotSource(rec), 'RDS-EVENT-0042');
  });
  return rec;
}

/** The props of a new snapshot of the instance `i` (status `creating`). */
export function snapshotPropsOf(
  store: Store,
  i: InstanceProps,
  snapId: string,
  tags: Tag[],
  type: 'manual' | 'automated',
): SnapshotProps {
  return {
    DBSnapshotIdentifier: snapId,
    DBSnapshotArn: store.arn('snapshot', snapId),
    DBInstanceIdentifier: i.DBInstanceIdentifier,
    DbiResourceId: i.DbiResourceId,
    Status: 'creating',
    PercentProgress: 0,
    SnapshotCreateTime: new Date().toISOString(),
    InstanceCreateTime: i.InstanceCreateTime,
    SnapshotType: type,
    Engine: i.Engine,
    EngineVersion: i.EngineVersion,
    AllocatedStorage: i.AllocatedStorage,
    Port: i.Endpoint.Port,
    AvailabilityZone: i.AvailabilityZone,
    VpcId: i.DBSubnetGroup.VpcId,
    MasterUsername: i.MasterUsername,
    LicenseModel: i.LicenseModel,
    StorageType: i.StorageType,
    Iops: i.Iops,
    StorageThroughput: i.StorageThroughput,
    OptionGroupName: i.OptionGroupMemberships[0]?.OptionGroupName ?? '',
    Encrypted: i.StorageEncrypted,
    KmsKeyId: i.KmsKeyId,
    IAMDatabaseAuthenticationEnabled: i.IAMDatabaseAuthenticationEnabled,
    TagList: i.CopyTagsToSnapshot ? mergeTags(i.TagList, tags) : clone(tags),
  };
}

export function createDBSnapshot(ctx: SimContext, p: Params) {
  const { store } = ctx;
  const snapId = validateIdentifier(reqString(p, 'DBSnapshotIdentifier'), 'DBSnapshotIdentifier', 255);
  const inst = store.instance(reqString(p, 'DBInstanceIdentifier'));
  if (inst.props.DBClusterIdentifier) {
    throw invalidParameterValue(
      'The specified instance is a member of a cluster and a snapshot cannot be created directly for the instance. ' +
        'Please use CreateDBClusterSnapshot instead.',
    );
  }
  if (inst.props.DBInstanceStatus !== 'available') {
    throw new RdsError(
      'InvalidDBInstanceState',
      `Cannot create a snapshot because the database instance ${inst.props.DBInstanceIdentifier} is not currently in the available state.`,
    );
  }
  store.assertSnapshotFree(snapId);
  const rec = startSnapshot(ctx, inst, snapId, optTags(p) ?? []);
  return { DBSnapshot: snapshotView(rec) };
}

const snapshotFilters = (store: Store): Record<string, (r: SnapshotRecord) => string | undefined> => ({
  'db-instance-id': (r) => r.props.DBInstanceIdentifier,
  'db-snapshot-id': (r) => r.props.DBSnapshotIdentifier,
  'dbi-resource-id': (r) => r.props.DbiResourceId,
  'snapshot-type': (r) => store.snapshotTypeSeen(r),
  engine: (r) => r.props.Engine,
});

export function describeDBSnapshots(ctx: SimContext, p: Params) {
  const { store } = ctx;
  const max = checkMaxRecords(p);
  const snapId = optString(p, 'DBSnapshotIdentifier');
  const instanceId = optString(p, 'DBInstanceIdentifier')?.toLowerCase();
  const resourceId = optString(p, 'DbiResourceId');
  const type = optString(p, 'SnapshotType');
  const includeShared = optBool(p, 'IncludeShared') ?? false;
  const includePublic = optBool(p, 'IncludePublic') ?? false;
  // By identifier: the local account's snapshot by name or ARN, another account's shared one by ARN only.
  let recs: SnapshotRecord[] = snapId
    ? [store.snapshotRef(snapId)]
    : visibleSnapshots(store, [...store.snapshots.values()], [...store.foreignSnapshots.values()], {
        type,
        includeShared,
        includePublic,
      });
  if (instanceId) recs = recs.filter((r) => r.props.DBInstanceIdentifier === idFromArn(instanceId, 'db'));
  if (resourceId) recs = recs.filter((r) => r.props.DbiResourceId === resourceId);
  if (snapId && type) recs = recs.filter((r) => matchesType(store, r, type));
  recs = applyFilters(p, recs, snapshotFilters(store));
  const { page, marker } = paginate(recs, max, optString(p, 'Marker'));
  return { DBSnapshots: page.map((r) => visibleSnapshotView(store, r)), Marker: marker };
}

/** Whether a snapshot is of the SnapshotType asked for, as the local account sees it. */
export function matchesType(
  store: Store,
  rec: SnapshotRecord | ClusterSnapshotRecord,
  type: string,
): boolean {
  if (type === 'public') return (rec.sharedWith ?? []).includes('all');
  return store.snapshotTypeSeen(rec) === type;
}

/**
 * The snapshots a Describe without identifier lists. RDS API reference, DescribeDBSnapshots SnapshotType (the same
 * for DescribeDBClusterSnapshots): "If you don't specify a SnapshotType value, then both automated and manual
 * snapshots are returned. Shared and public DB snapshots are not included in the returned results by default. You can
 * include shared snapshots with these results by enabling the IncludeShared parameter. You can include public
 * snapshots with these results by enabling the IncludePublic parameter. The IncludeShared and IncludePublic parameters
 * don't apply for SnapshotType values of manual or automated. The IncludePublic parameter doesn't apply when
 * SnapshotType is set to shared. The IncludeShared parameter doesn't apply when SnapshotType is set to public."
 */
export function visibleSnapshots<T extends SnapshotRecord | ClusterSnapshotRecord>(
  store: Store,
  own: T[],
  foreign: T[],
  opts: { type?: string; includeShared: boolean; includePublic: boolean },
): T[] {
  const { type } = opts;
  const shared = foreign.filter((r) => (r.sharedWith ?? []).includes(store.accountId));
  const isPublic = (r: T) => (r.sharedWith ?? []).includes('all');
  if (type === 'shared') return shared;
  if (type === 'public') return [...own.filter(isPublic), ...foreign.filter(isPublic)];
  if (type) return own.filter((r) => r.props.SnapshotType === type);
  const out = [...own];
  if (opts.includeShared) out.push(...shared);
  if (opts.includePublic) out.push(...foreign.filter((r) => isPublic(r) && !out.includes(r)));
  return out;
}

export function deleteDBSnapshot(ctx: SimContext, p: Params) {
  const { store } = ctx;
  const rec = store.snapshot(reqString(p, 'DBSnapshotIdentifier'));
  const status = rec.props.Status;
  if (status !== 'available' && status !== 'failed') {
    throw new RdsError(
      'InvalidDBSnapshotState',
      `Cannot delete the snapshot because it is in ${status} state.`,
    );
  }
  rec.props.Status = 'deleting';
  ctx.scheduler.after(ctx.durations.deleteSnapshot, () => {
    store.snapshots.delete(rec.props.DBSnapshotIdentifier);
    ctx.events.emit(snapshotSource(rec), 'RDS-EVENT-0041');
  });
  return { DBSnapshot: snapshotView(rec) };
}
