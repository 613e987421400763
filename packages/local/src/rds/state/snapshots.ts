import { invalidParameterValue, RdsError } from '../errors';
import type { EventSource } from '../events';
import { optString, optTags, type Params, reqString } from '../protocol';
import type { SnapshotProps, Tag } from '../types';
import { applyFilters, checkMaxRecords, idFromArn } from './describe';
import { paginate, snapshotView } from './render';
import {
  clone,
  type InstanceRecord,
  mergeTags,
  type SimContext,
  type SnapshotRecord,
  validateIdentifier,
} from './store';

function snapshotSource(rec: SnapshotRecord): EventSource {
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
  const now = new Date().toISOString();
  const props: SnapshotProps = {
    DBSnapshotIdentifier: snapId,
    DBSnapshotArn: store.arn('snapshot', snapId),
    DBInstanceIdentifier: i.DBInstanceIdentifier,
    DbiResourceId: i.DbiResourceId,
    Status: 'creating',
    PercentProgress: 0,
    SnapshotCreateTime: now,
    InstanceCreateTime: i.InstanceCreateTime,
    SnapshotType: 'manual',
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

const SNAPSHOT_FILTERS: Record<string, (r: SnapshotRecord) => string | undefined> = {
  'db-instance-id': (r) => r.props.DBInstanceIdentifier,
  'db-snapshot-id': (r) => r.props.DBSnapshotIdentifier,
  'dbi-resource-id': (r) => r.props.DbiResourceId,
  'snapshot-type': (r) => r.props.SnapshotType,
  engine: (r) => r.props.Engine,
};

export function describeDBSnapshots(ctx: SimContext, p: Params) {
  const max = checkMaxRecords(p);
  const snapId = optString(p, 'DBSnapshotIdentifier');
  const instanceId = optString(p, 'DBInstanceIdentifier')?.toLowerCase();
  const resourceId = optString(p, 'DbiResourceId');
  const type = optString(p, 'SnapshotType');
  let recs: SnapshotRecord[] = snapId
    ? [ctx.store.snapshot(idFromArn(snapId, 'snapshot'))]
    : [...ctx.store.snapshots.values()];
  if (instanceId) recs = recs.filter((r) => r.props.DBInstanceIdentifier === instanceId);
  if (resourceId) recs = recs.filter((r) => r.props.DbiResourceId === resourceId);
  if (type) recs = recs.filter((r) => r.props.SnapshotType === type);
  recs = applyFilters(p, recs, SNAPSHOT_FILTERS);
  const { page, marker } = paginate(recs, max, optString(p, 'Marker'));
  return { DBSnapshots: page.map(snapshotView), Marker: marker };
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
