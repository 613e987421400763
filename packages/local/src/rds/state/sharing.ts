/**
 * Snapshots across accounts: the `restore` attribute of the local account's manual snapshots
 * (ModifyDBSnapshotAttribute, ModifyDBClusterSnapshotAttribute, DescribeDBSnapshotAttributes,
 * DescribeDBClusterSnapshotAttributes), snapshots other accounts share with it (seeded), and copies into the local
 * account (CopyDBSnapshot, CopyDBClusterSnapshot). Every rule names its AWS source; where AWS documents no error code
 * the comment says so and the generic code is used.
 */
import {
  clusterSnapshotNotFound,
  invalidParameterCombination,
  invalidParameterValue,
  RdsError,
  snapshotNotFound,
} from '../errors';
import { optBool, optString, optStringList, optTags, type Params, reqString } from '../protocol';
import type { ClusterProps, ClusterSnapshotProps, InstanceProps, SnapshotProps } from '../types';
import { clusterSnapshotPropsOf } from './cluster-snapshots';
import { buildCluster } from './clusters';
import { defaultEngineVersion } from './engines';
import { buildInstance, type InstanceSeed } from './instances';
import { assertKmsKeyUsable, resolveKmsKey } from './kms';
import { clusterSnapshotView, snapshotView } from './render';
import { snapshotPropsOf, snapshotSource } from './snapshots';
import {
  type ClusterSnapshotRecord,
  clone,
  mergeTags,
  parseSnapshotArn,
  type SharingState,
  type SimContext,
  type SnapshotRecord,
  type Store,
  validateIdentifier,
} from './store';

const ACCOUNT_ID = /^\d{12}$/;

/** RDS User Guide / Aurora User Guide, "Sharing a DB snapshot": "You can share a manual snapshot with up to 20 other
 * AWS accounts." */
export const MAX_SHARED_ACCOUNTS = 20;

/** The `restore` attribute: RDS API reference, ModifyDBSnapshotAttribute AttributeName: "To manage authorization for
 * other Amazon Web Services accounts to copy or restore a manual DB snapshot, set this value to restore." */
const RESTORE = 'restore';

// ---------------------------------------------------------------------------------------------------------------
// Seeds

interface ForeignSeedCommon {
  /** The owning account (12 digits, not the simulator's). */
  account: string;
  /**
   * The snapshot's `restore` attribute: account ids, or `all`. The local account sees the snapshot only when it is
   * named here or `all` is.
   */
  sharedWith: string[];
}

/** A manual DB snapshot of another account: SnapshotProps fields, of which DBSnapshotIdentifier and Engine needed. */
export type ForeignDBSnapshotSeed = ForeignSeedCommon & {
  kind: 'instance';
  DBSnapshotIdentifier: string;
  Engine: string;
  /** The class of the DB instance the snapshot was taken of (what a restore defaults to); default db.t3.micro. */
  DBInstanceClass?: string;
  DBName?: string;
} & Partial<Omit<SnapshotProps, 'DBSnapshotArn' | 'Status' | 'PercentProgress' | 'SnapshotType'>>;

/** A manual DB cluster snapshot of another account: ClusterSnapshotProps fields. */
export type ForeignClusterSnapshotSeed = ForeignSeedCommon & {
  kind: 'cluster';
  DBClusterSnapshotIdentifier: string;
  Engine: string;
  DatabaseName?: string;
} & Partial<
    Omit<ClusterSnapshotProps, 'DBClusterSnapshotArn' | 'Status' | 'PercentProgress' | 'SnapshotType'>
  >;

export type ForeignSnapshotSeed = ForeignDBSnapshotSeed | ForeignClusterSnapshotSeed;

/** Drops the keys whose value is undefined (so that a builder's defaults stay). */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

const foreignArn = (store: Store, account: string, type: string, id: string) =>
  `arn:aws:rds:${store.region}:${account}:${type}:${id}`;

/** A VPC id of the owner's (the simulator has no VPCs of other accounts). */
const foreignVpc = (account: string) => `vpc-${account.padEnd(17, '0').slice(0, 17)}`;

/** A seed must be a snapshot AWS could have shared: the rules ModifyDB(Cluster)SnapshotAttribute enforces. */
function checkSeedSharing(store: Store, seed: ForeignSnapshotSeed, encrypted: boolean, kmsKeyId?: string) {
  const { account, sharedWith } = seed;
  if (!ACCOUNT_ID.test(account) || account === store.accountId) {
    throw new Error(
      `seedForeignSnapshot: account must be 12 digits and not ${store.accountId}, not ${account}`,
    );
  }
  if (sharedWith.some((v) => v !== 'all' && !ACCOUNT_ID.test(v))) {
    throw new Error('seedForeignSnapshot: sharedWith takes 12-digit account ids or all');
  }
  if (sharedWith.filter((v) => v !== 'all').length > MAX_SHARED_ACCOUNTS) {
    throw new Error(`seedForeignSnapshot: a snapshot is shared with at most ${MAX_SHARED_ACCOUNTS} accounts`);
  }
  if (!encrypted) return;
  if (sharedWith.includes('all')) {
    throw new Error("seedForeignSnapshot: an encrypted snapshot can't be shared with all");
  }
  if (resolveKmsKey(store, kmsKeyId, account).awsManagedRdsDefault) {
    throw new Error(
      "seedForeignSnapshot: a snapshot encrypted with its account's AWS managed key (aws/rds) can't be shared; give KmsKeyId",
    );
  }
}

/**
 * Adds a manual snapshot owned by another account (`available`, no event); returns its ARN. Encrypted when
 * `Encrypted` (`StorageEncrypted` for clusters) is true, or when a KmsKeyId is given (the owner's key: see seedKmsKey).
 */
export function seedForeignSnapshot(store: Store, seed: ForeignSnapshotSeed): string {
  if (seed.kind === 'instance') {
    const { kind: _kind, account, sharedWith, DBInstanceClass, DBName, ...fields } = seed;
    const id = validateIdentifier(seed.DBSnapshotIdentifier, 'DBSnapshotIdentifier', 255);
    const arn = foreignArn(store, account, 'snapshot', id);
    if (store.foreignSnapshots.has(arn)) throw new Error(`seedForeignSnapshot: ${arn} exists`);
    const encrypted = fields.Encrypted ?? fields.KmsKeyId !== undefined;
    checkSeedSharing(store, seed, encrypted, fields.KmsKeyId);
    const instanceId = (fields.DBInstanceIdentifier ?? id).toLowerCase();
    const source: InstanceProps = buildInstance(
      store,
      defined({
        DBInstanceIdentifier: instanceId,
        Engine: seed.Engine,
        EngineVersion: fields.EngineVersion ?? defaultEngineVersion(seed.Engine),
        DBInstanceClass,
        DBName,
        MasterUsername: fields.MasterUsername,
        AllocatedStorage: fields.AllocatedStorage,
        StorageType: fields.StorageType,
        Iops: fields.Iops,
        StorageThroughput: fields.StorageThroughput,
        LicenseModel: fields.LicenseModel,
        InstanceCreateTime: fields.InstanceCreateTime,
        DbiResourceId: fields.DbiResourceId,
        IAMDatabaseAuthenticationEnabled: fields.IAMDatabaseAuthenticationEnabled,
        StorageEncrypted: encrypted,
        KmsKeyId: fields.KmsKeyId,
        ...(fields.Port !== undefined
          ? { Endpoint: { Address: '', Port: fields.Port, HostedZoneId: '' } }
          : {}),
      }) as InstanceSeed,
    );
    source.DBInstanceArn = foreignArn(store, account, 'db', instanceId);
    const props: SnapshotProps = {
      ...snapshotPropsOf(store, source, id, [], 'manual'),
      VpcId: foreignVpc(account),
      ...defined(fields),
      DBSnapshotIdentifier: id,
      DBSnapshotArn: arn,
      DBInstanceIdentifier: instanceId,
      Status: 'available',
      PercentProgress: 100,
      SnapshotType: 'manual',
      Encrypted: encrypted,
      TagList: clone(fields.TagList ?? []),
    };
    store.foreignSnapshots.set(arn, {
      props,
      source,
      startedMs: Date.now(),
      durationMs: 0,
      owner: account,
      sharedWith: [...sharedWith],
    });
    return arn;
  }
  const { kind: _kind, account, sharedWith, DatabaseName, ...fields } = seed;
  const id = validateIdentifier(seed.DBClusterSnapshotIdentifier, 'DBClusterSnapshotIdentifier', 255);
  const arn = foreignArn(store, account, 'cluster-snapshot', id);
  if (store.foreignClusterSnapshots.has(arn)) throw new Error(`seedForeignSnapshot: ${arn} exists`);
  const encrypted = fields.StorageEncrypted ?? fields.KmsKeyId !== undefined;
  checkSeedSharing(store, seed, encrypted, fields.KmsKeyId);
  const clusterId = (fields.DBClusterIdentifier ?? id).toLowerCase();
  const source: ClusterProps = buildCluster(
    store,
    defined({
      DBClusterIdentifier: clusterId,
      Engine: seed.Engine,
      EngineVersion: fields.EngineVersion,
      EngineMode: fields.EngineMode,
      DatabaseName,
      MasterUsername: fields.MasterUsername,
      Port: fields.Port,
      AllocatedStorage: fields.AllocatedStorage,
      StorageType: fields.StorageType,
      ClusterCreateTime: fields.ClusterCreateTime,
      DbClusterResourceId: fields.DbClusterResourceId,
      IAMDatabaseAuthenticationEnabled: fields.IAMDatabaseAuthenticationEnabled,
      StorageEncrypted: encrypted,
      KmsKeyId: fields.KmsKeyId,
    }),
  );
  source.DBClusterArn = foreignArn(store, account, 'cluster', clusterId);
  const props: ClusterSnapshotProps = {
    ...clusterSnapshotPropsOf(store, source, id, [], 'manual'),
    VpcId: foreignVpc(account),
    ...defined(fields),
    DBClusterSnapshotIdentifier: id,
    DBClusterSnapshotArn: arn,
    DBClusterIdentifier: clusterId,
    Status: 'available',
    PercentProgress: 100,
    SnapshotType: 'manual',
    StorageEncrypted: encrypted,
    TagList: clone(fields.TagList ?? []),
  };
  store.foreignClusterSnapshots.set(arn, {
    props,
    source,
    startedMs: Date.now(),
    durationMs: 0,
    owner: account,
    sharedWith: [...sharedWith],
  });
  return arn;
}

export interface AutomatedSnapshotSeed {
  kind: 'instance' | 'cluster';
  /** The local DB instance (kind instance) or DB cluster (kind cluster) the backup is of. */
  source: string;
  /** Default now. */
  SnapshotCreateTime?: string;
}

/**
 * Adds an automated snapshot (`available`, no event) of a local instance or cluster; returns its identifier, named as
 * RDS names them (RDS API reference, CopyDBSnapshot SourceDBSnapshotIdentifier, "Example: rds:mydb-2012-04-02-00-01").
 */
export function seedAutomatedSnapshot(store: Store, seed: AutomatedSnapshotSeed): string {
  const when = new Date(seed.SnapshotCreateTime ?? Date.now());
  const stamp = when.toISOString().slice(0, 16).replace(/[T:]/g, '-');
  if (seed.kind === 'instance') {
    const inst = store.instance(seed.source);
    const id = `rds:${inst.props.DBInstanceIdentifier}-${stamp}`;
    if (store.snapshots.has(id)) throw new Error(`seedAutomatedSnapshot: ${id} exists`);
    const props = snapshotPropsOf(store, inst.props, id, [], 'automated');
    Object.assign(props, {
      Status: 'available',
      PercentProgress: 100,
      SnapshotCreateTime: when.toISOString(),
    });
    store.snapshots.set(id, {
      props,
      source: clone(inst.props),
      startedMs: Date.now(),
      durationMs: 0,
      ...(inst.masterUserPassword !== undefined ? { masterUserPassword: inst.masterUserPassword } : {}),
    });
    return id;
  }
  const cluster = store.cluster(seed.source);
  const id = `rds:${cluster.props.DBClusterIdentifier}-${stamp}`;
  if (store.clusterSnapshots.has(id)) throw new Error(`seedAutomatedSnapshot: ${id} exists`);
  const props = clusterSnapshotPropsOf(store, cluster.props, id, [], 'automated');
  Object.assign(props, { Status: 'available', PercentProgress: 100, SnapshotCreateTime: when.toISOString() });
  store.clusterSnapshots.set(id, {
    props,
    source: clone(cluster.props),
    startedMs: Date.now(),
    durationMs: 0,
    ...(cluster.masterUserPassword !== undefined ? { masterUserPassword: cluster.masterUserPassword } : {}),
  });
  return id;
}

// ---------------------------------------------------------------------------------------------------------------
// The restore attribute

/**
 * The local account's own snapshot. Another account's snapshot, even shared with this one, has no attributes this
 * account can read or change: not documented by AWS; we answer DBSnapshotNotFound (DBClusterSnapshotNotFoundFault).
 */
function ownSnapshot(store: Store, idOrArn: string): SnapshotRecord {
  const rec = store.snapshotRef(idOrArn);
  if (rec.owner !== undefined) throw snapshotNotFound(idOrArn);
  return rec;
}

function ownClusterSnapshot(store: Store, idOrArn: string): ClusterSnapshotRecord {
  const rec = store.clusterSnapshotRef(idOrArn);
  if (rec.owner !== undefined) throw clusterSnapshotNotFound(idOrArn);
  return rec;
}

interface Shareable {
  kind: 'instance' | 'cluster';
  id: string;
  rec: SharingState;
  snapshotType: string;
  status: string;
  encrypted: boolean;
  kmsKeyId?: string;
}

/** Applies ValuesToAdd / ValuesToRemove to a snapshot's `restore` attribute, after AWS's checks. */
function modifyRestoreAttribute(ctx: SimContext, p: Params, t: Shareable): void {
  const what = t.kind === 'instance' ? 'DB snapshot' : 'DB cluster snapshot';
  const name = reqString(p, 'AttributeName');
  // RDS API reference, ModifyDBSnapshotAttribute / ModifyDBClusterSnapshotAttribute AttributeName: "set this value to
  // restore". Another name is not documented by AWS; we answer InvalidParameterValue.
  if (name !== RESTORE) {
    throw invalidParameterValue(`The attribute name ${name} is not valid: the only attribute is ${RESTORE}.`);
  }
  const add = optStringList(p, 'ValuesToAdd') ?? [];
  const remove = optStringList(p, 'ValuesToRemove') ?? [];
  // RDS API reference, ValuesToAdd: "one or more Amazon Web Services account IDs, or all to make the manual DB
  // snapshot restorable by any Amazon Web Services account". Another value is not documented by AWS; we answer
  // InvalidParameterValue.
  const bad = [...add, ...remove].find((v) => v !== 'all' && !ACCOUNT_ID.test(v));
  if (bad !== undefined) {
    throw invalidParameterValue(`${bad} is not an Amazon Web Services account ID (12 digits) or all.`);
  }
  // RDS API reference, ModifyDBSnapshotAttribute: "Adds an attribute and values to, or removes an attribute and values
  // from, a manual DB snapshot."; RDS User Guide, "Sharing a DB snapshot": "To share an automated DB snapshot, create a
  // manual DB snapshot by copying the automated snapshot, and then share that copy." The error code is not documented
  // by AWS; we answer InvalidParameterCombination.
  if (t.snapshotType !== 'manual') {
    throw invalidParameterCombination(
      `The ${what} ${t.id} is ${t.snapshotType}: only a manual snapshot can be shared. Copy it and share the copy.`,
    );
  }
  // InvalidDBSnapshotStateFault / InvalidDBClusterSnapshotStateFault are listed by the RDS API reference for these
  // operations; which states allow a change is not documented by AWS; we answer the fault for any but available.
  if (t.status !== 'available') {
    throw new RdsError(
      t.kind === 'instance' ? 'InvalidDBSnapshotState' : 'InvalidDBClusterSnapshotStateFault',
      `The ${what} ${t.id} is not in available state (${t.status}).`,
    );
  }
  if (add.length > 0 && t.encrypted) {
    // RDS API reference, ModifyDBSnapshotAttribute (ModifyDBClusterSnapshotAttribute alike): "If the manual DB snapshot
    // is encrypted, it can be shared, but only by specifying a list of authorized Amazon Web Services account IDs for
    // the ValuesToAdd parameter. You can't use all as a value for that parameter in this case." The error code is not
    // documented by AWS; we answer InvalidParameterCombination.
    if (add.includes('all')) {
      throw invalidParameterCombination(
        `The ${what} ${t.id} is encrypted: it can be shared only with a list of account IDs, not with all.`,
      );
    }
    // RDS User Guide, "Sharing encrypted snapshots" (share-encrypted-snapshot), Aurora User Guide alike: "You can't
    // share a snapshot that has been encrypted using the default KMS key of the AWS account that shared the
    // snapshot." The error code is not documented by AWS; we answer InvalidParameterCombination.
    if (resolveKmsKey(ctx.store, t.kmsKeyId, ctx.accountId).awsManagedRdsDefault) {
      throw invalidParameterCombination(
        `The ${what} ${t.id} is encrypted with the default KMS key (aws/rds) of this account and can't be shared. Copy it with a customer managed key and share the copy.`,
      );
    }
  }
  const next = (t.rec.sharedWith ?? []).filter((v) => !remove.includes(v));
  for (const v of add) if (!next.includes(v)) next.push(v);
  // RDS User Guide, "Sharing a DB snapshot": "You can share a manual snapshot with up to 20 other AWS accounts."
  // RDS API reference: SharedSnapshotQuotaExceededFault (SharedSnapshotQuotaExceeded), "You have exceeded the maximum
  // number of accounts that you can share a manual DB snapshot with." (`all` is not an account.)
  if (next.filter((v) => v !== 'all').length > MAX_SHARED_ACCOUNTS) {
    throw new RdsError(
      'SharedSnapshotQuotaExceeded',
      'You have exceeded the maximum number of accounts that you can share a manual DB snapshot with.',
    );
  }
  t.rec.sharedWith = next;
}

/** RDS API reference, DBSnapshotAttributesResult: "Contains the results of a successful call to the
 * DescribeDBSnapshotAttributes API action." (the `restore` attribute, empty when not shared). */
function snapshotAttributes(rec: SnapshotRecord) {
  return {
    DBSnapshotIdentifier: rec.props.DBSnapshotIdentifier,
    DBSnapshotAttributes: [{ AttributeName: RESTORE, AttributeValues: [...(rec.sharedWith ?? [])] }],
  };
}

function clusterSnapshotAttributes(rec: ClusterSnapshotRecord) {
  return {
    DBClusterSnapshotIdentifier: rec.props.DBClusterSnapshotIdentifier,
    DBClusterSnapshotAttributes: [{ AttributeName: RESTORE, AttributeValues: [...(rec.sharedWith ?? [])] }],
  };
}

export function modifyDBSnapshotAttribute(ctx: SimContext, p: Params) {
  const rec = ownSnapshot(ctx.store, reqString(p, 'DBSnapshotIdentifier'));
  const s = rec.props;
  modifyRestoreAttribute(ctx, p, {
    kind: 'instance',
    id: s.DBSnapshotIdentifier,
    rec,
    snapshotType: s.SnapshotType,
    status: s.Status,
    encrypted: s.Encrypted,
    kmsKeyId: s.KmsKeyId,
  });
  return { DBSnapshotAttributesResult: snapshotAttributes(rec) };
}

export function modifyDBClusterSnapshotAttribute(ctx: SimContext, p: Params) {
  const rec = ownClusterSnapshot(ctx.store, reqString(p, 'DBClusterSnapshotIdentifier'));
  const s = rec.props;
  modifyRestoreAttribute(ctx, p, {
    kind: 'cluster',
    id: s.DBClusterSnapshotIdentifier,
    rec,
    snapshotType: s.SnapshotType,
    status: s.Status,
    encrypted: s.StorageEncrypted,
    kmsKeyId: s.KmsKeyId,
  });
  return { DBClusterSnapshotAttributesResult: clusterSnapshotAttributes(rec) };
}

/** RDS API reference, DescribeDBSnapshotAttributes: "Returns a list of DB snapshot attribute names and values for a
 * manual DB snapshot." (the identifier is required; the only fault listed is DBSnapshotNotFoundFault). */
export function describeDBSnapshotAttributes(ctx: SimContext, p: Params) {
  const rec = ownSnapshot(ctx.store, reqString(p, 'DBSnapshotIdentifier'));
  return { DBSnapshotAttributesResult: snapshotAttributes(rec) };
}

export function describeDBClusterSnapshotAttributes(ctx: SimContext, p: Params) {
  const rec = ownClusterSnapshot(ctx.store, reqString(p, 'DBClusterSnapshotIdentifier'));
  return { DBClusterSnapshotAttributesResult: clusterSnapshotAttributes(rec) };
}

// ---------------------------------------------------------------------------------------------------------------
// Copies

/**
 * The source of a copy: the local account's snapshot by identifier or ARN, another account's shared snapshot by ARN
 * (Store.snapshotRef). The simulator holds one Region: a source ARN of another Region (a cross-Region copy) is not
 * found here (not documented by AWS that way; we answer the NotFound fault).
 */
function assertSameRegion(ctx: SimContext, value: string, kind: 'snapshot' | 'cluster-snapshot') {
  const ref = parseSnapshotArn(value, kind);
  if (ref && ref.region !== ctx.region) {
    throw kind === 'snapshot' ? snapshotNotFound(value) : clusterSnapshotNotFound(value);
  }
}

/** Encryption of a copy, after the KMS checks both copy operations share. */
function copyEncryption(
  ctx: SimContext,
  o: {
    kind: 'instance' | 'cluster';
    sourceName: string;
    /** The source's owner: the local account or the account that shared it. */
    owner: string;
    shared: boolean;
    encrypted: boolean;
    sourceKey?: string;
    kmsKeyId?: string;
  },
): { encrypted: boolean; kmsKeyId?: string } {
  const { store } = ctx;
  const what = o.kind === 'instance' ? 'DB snapshot' : 'DB cluster snapshot';
  if (o.encrypted && o.shared && o.kmsKeyId === undefined) {
    // RDS API reference, CopyDBSnapshot KmsKeyId: "If you copy an encrypted DB snapshot that is shared from another
    // Amazon Web Services account, then you must specify a value for this parameter."; CopyDBClusterSnapshot KmsKeyId:
    // "If you copy an encrypted DB cluster snapshot that is shared from another Amazon Web Services account, then you
    // must specify a value for KmsKeyId." The error code is not documented by AWS; we answer
    // InvalidParameterCombination.
    throw invalidParameterCombination(
      `KmsKeyId is required to copy the encrypted ${what} ${o.sourceName} shared from account ${o.owner}.`,
    );
  }
  if (!o.encrypted && o.kmsKeyId !== undefined && o.kind === 'cluster') {
    // RDS API reference, CopyDBClusterSnapshot KmsKeyId: "If you copy an unencrypted DB cluster snapshot and specify a
    // value for the KmsKeyId parameter, an error is returned." The error code is not documented by AWS; we answer
    // InvalidParameterCombination.
    throw invalidParameterCombination(
      `KmsKeyId can't be specified to copy the unencrypted DB cluster snapshot ${o.sourceName}.`,
    );
  }
  // The key given must be one this account may use: its own, or another account's whose key policy names it (RDS
  // API reference: KMSKeyNotAccessibleFault is listed by CopyDBSnapshot and CopyDBClusterSnapshot; CopyDBSnapshot
  // KmsKeyId: "you can't use KMS keys from one Amazon Web Services Region in another").
  const target = o.kmsKeyId !== undefined ? resolveKmsKey(store, o.kmsKeyId, store.accountId) : undefined;
  if (target) assertKmsKeyUsable(store, target);
  // RDS User Guide, "Copying a DB snapshot" (USER_CopySnapshot): "you must have access to the AWS KMS key that was used
  // to encrypt the snapshot" (for a shared one, the owner's key policy must name this account: USER_ShareSnapshot,
  // "Allowing access to an AWS KMS key").
  if (o.encrypted) assertKmsKeyUsable(store, resolveKmsKey(store, o.sourceKey, o.owner));
  // RDS API reference, CopyDBSnapshot KmsKeyId: "If you don't specify a value for this parameter, then the copy of the
  // DB snapshot is encrypted with the same Amazon Web Services KMS key as the source DB snapshot." and "If you specify
  // this parameter when you copy an unencrypted snapshot, the copy is encrypted."
  if (!target)
    return { encrypted: o.encrypted, ...(o.sourceKey !== undefined ? { kmsKeyId: o.sourceKey } : {}) };
  return { encrypted: true, kmsKeyId: target.arn };
}

export function copyDBSnapshot(ctx: SimContext, p: Params) {
  const { store } = ctx;
  const sourceParam = reqString(p, 'SourceDBSnapshotIdentifier');
  // RDS API reference, CopyDBSnapshot TargetDBSnapshotIdentifier: "Must contain from 1 to 255 letters, numbers, or
  // hyphens; First character must be a letter; Can't end with a hyphen or contain two consecutive hyphens".
  const target = validateIdentifier(
    reqString(p, 'TargetDBSnapshotIdentifier'),
    'TargetDBSnapshotIdentifier',
    255,
  );
  assertSameRegion(ctx, sourceParam, 'snapshot');
  const src = store.snapshotRef(sourceParam);
  const s = src.props;
  const shared = src.owner !== undefined;
  const sourceName = shared ? s.DBSnapshotArn : s.DBSnapshotIdentifier;
  // RDS API reference, CopyDBSnapshot: "The source DB snapshot must be in the available state."
  if (s.Status !== 'available') {
    throw new RdsError(
      'InvalidDBSnapshotState',
      `Cannot copy the DB snapshot ${sourceName} because it is not in available state (${s.Status}).`,
    );
  }
  // DBSnapshotAlreadyExists and SnapshotQuotaExceeded, as CreateDBSnapshot (RDS API reference: both listed).
  store.assertSnapshotFree(target);
  const enc = copyEncryption(ctx, {
    kind: 'instance',
    sourceName,
    owner: src.owner ?? ctx.accountId,
    shared,
    encrypted: s.Encrypted,
    sourceKey: s.KmsKeyId,
    kmsKeyId: optString(p, 'KmsKeyId'),
  });
  const tags = optTags(p) ?? [];
  const props: SnapshotProps = {
    ...clone(s),
    DBSnapshotIdentifier: target,
    DBSnapshotArn: store.arn('snapshot', target),
    // RDS API reference, CopyDBSnapshot (example response): the copy is `creating` at first.
    Status: 'creating',
    PercentProgress: 0,
    // RDS API reference, DBSnapshot SnapshotCreateTime: "Changes for the copy when the snapshot is copied.";
    // OriginalSnapshotCreateTime: "Doesn't change when the snapshot is copied."
    SnapshotCreateTime: new Date().toISOString(),
    OriginalSnapshotCreateTime: s.OriginalSnapshotCreateTime ?? s.SnapshotCreateTime,
    // RDS User Guide, "Copying a DB snapshot": "After you copy a snapshot, the copy is a manual snapshot."
    SnapshotType: 'manual',
    // RDS API reference, CopyDBSnapshot OptionGroupName: "The name of an option group to associate with the copy of
    // the snapshot."
    OptionGroupName: optString(p, 'OptionGroupName') ?? s.OptionGroupName,
    Encrypted: enc.encrypted,
    KmsKeyId: enc.kmsKeyId,
    // RDS API reference, CopyDBSnapshot CopyTags: "Specifies whether to copy all tags from the source DB snapshot to
    // the target DB snapshot. By default, tags aren't copied."
    TagList: (optBool(p, 'CopyTags') ?? false) ? mergeTags(s.TagList, tags) : clone(tags),
  };
  // RDS API reference, DBSnapshot SourceDBSnapshotIdentifier: "It only has a value in the case of a cross-account or
  // cross-Region copy."
  if (shared) props.SourceDBSnapshotIdentifier = s.DBSnapshotArn;
  else delete props.SourceDBSnapshotIdentifier;
  if (!enc.encrypted) delete props.KmsKeyId;
  const rec: SnapshotRecord = {
    props,
    source: clone(src.source),
    startedMs: Date.now(),
    durationMs: ctx.scheduler.ms(ctx.durations.copySnapshot),
    ...(src.masterUserPassword !== undefined ? { masterUserPassword: src.masterUserPassword } : {}),
  };
  store.snapshots.set(target, rec);
  const failure = ctx.faults.takeAsyncFailure('CopyDBSnapshot', [
    target,
    s.DBSnapshotIdentifier,
    s.DBSnapshotArn,
  ]);
  // RDS User Guide, "Amazon RDS event categories and event messages": RDS-EVENT-0196 "Started copy of snapshot name in
  // region name." / RDS-EVENT-0197 "Finished copy of snapshot name in region name." (same-Region copies). Which
  // snapshot the events are about is not documented by AWS; we answer: the copy, naming the source in the message.
  const where = `${sourceName} in region ${ctx.region}`;
  ctx.events.emit(snapshotSource(rec), 'RDS-EVENT-0196', where);
  ctx.scheduler.after(ctx.durations.copySnapshot, () => {
    if (props.Status !== 'creating') return;
    // An injected failure leaves the copy `failed` without an event (as CreateDBSnapshot does).
    if (failure) {
      props.Status = 'failed';
      return;
    }
    props.Status = 'available';
    props.PercentProgress = 100;
    ctx.events.emit(snapshotSource(rec), 'RDS-EVENT-0197', where);
  });
  return { DBSnapshot: snapshotView(rec) };
}

export function copyDBClusterSnapshot(ctx: SimContext, p: Params) {
  const { store } = ctx;
  const sourceParam = reqString(p, 'SourceDBClusterSnapshotIdentifier');
  // RDS API reference, CopyDBClusterSnapshot TargetDBClusterSnapshotIdentifier: "Must contain from 1 to 63 letters,
  // numbers, or hyphens. First character must be a letter. Can't end with a hyphen or contain two consecutive
  // hyphens."
  const target = validateIdentifier(
    reqString(p, 'TargetDBClusterSnapshotIdentifier'),
    'TargetDBClusterSnapshotIdentifier',
    63,
  );
  assertSameRegion(ctx, sourceParam, 'cluster-snapshot');
  const src = store.clusterSnapshotRef(sourceParam);
  const s = src.props;
  const shared = src.owner !== undefined;
  const sourceName = shared ? s.DBClusterSnapshotArn : s.DBClusterSnapshotIdentifier;
  // RDS API reference, CopyDBClusterSnapshot SourceDBClusterSnapshotIdentifier: "Must specify a valid source snapshot
  // in the "available" state."
  if (s.Status !== 'available') {
    throw new RdsError(
      'InvalidDBClusterSnapshotStateFault',
      `Cannot copy the DB cluster snapshot ${sourceName} because it is not in available state (${s.Status}).`,
    );
  }
  // DBClusterSnapshotAlreadyExistsFault and SnapshotQuotaExceeded, as CreateDBClusterSnapshot (RDS API reference:
  // both listed).
  store.assertClusterSnapshotFree(target);
  const enc = copyEncryption(ctx, {
    kind: 'cluster',
    sourceName,
    owner: src.owner ?? ctx.accountId,
    shared,
    encrypted: s.StorageEncrypted,
    sourceKey: s.KmsKeyId,
    kmsKeyId: optString(p, 'KmsKeyId'),
  });
  const tags = optTags(p) ?? [];
  const props: ClusterSnapshotProps = {
    ...clone(s),
    DBClusterSnapshotIdentifier: target,
    DBClusterSnapshotArn: store.arn('cluster-snapshot', target),
    // RDS API reference, DBClusterSnapshot Status: "Valid statuses are the following: available, copying, creating".
    Status: 'copying',
    PercentProgress: 0,
    SnapshotCreateTime: new Date().toISOString(),
    // Aurora User Guide, "Copying a DB cluster snapshot": the copy is a manual snapshot (as for DB snapshots).
    SnapshotType: 'manual',
    StorageEncrypted: enc.encrypted,
    KmsKeyId: enc.kmsKeyId,
    // RDS API reference, CopyDBClusterSnapshot CopyTags: "By default, tags are not copied."
    TagList: (optBool(p, 'CopyTags') ?? false) ? mergeTags(s.TagList, tags) : clone(tags),
    // RDS API reference, DBClusterSnapshot SourceDBClusterSnapshotArn: "If the DB cluster snapshot was copied from a
    // source DB cluster snapshot, the Amazon Resource Name (ARN) for the source DB cluster snapshot" (any copy).
    SourceDBClusterSnapshotArn: s.DBClusterSnapshotArn,
  };
  if (!enc.encrypted) delete props.KmsKeyId;
  const rec: ClusterSnapshotRecord = {
    props,
    source: clone(src.source),
    startedMs: Date.now(),
    durationMs: ctx.scheduler.ms(ctx.durations.copySnapshot),
    ...(src.masterUserPassword !== undefined ? { masterUserPassword: src.masterUserPassword } : {}),
  };
  store.clusterSnapshots.set(target, rec);
  const failure = ctx.faults.takeAsyncFailure('CopyDBClusterSnapshot', [
    target,
    s.DBClusterSnapshotIdentifier,
    s.DBClusterSnapshotArn,
  ]);
  // RDS User Guide, "Amazon RDS event categories and event messages": the DB cluster snapshot events list no copy
  // event (only the DB snapshot ones do): none is emitted.
  ctx.scheduler.after(ctx.durations.copySnapshot, () => {
    // Deleting the copy while `copying` cancels it (DeleteDBClusterSnapshot).
    if (props.Status !== 'copying') return;
    if (failure) {
      props.Status = 'failed';
      return;
    }
    props.Status = 'available';
    props.PercentProgress = 100;
  });
  return { DBClusterSnapshot: clusterSnapshotView(rec) };
}
