/**
 * What AWS authorizes for one RDS Query call: the IAM action, every resource the Service Authorization
 * Reference lists for it that the call really involves (in real ARN form, with its SAR resource type and its
 * own tag context), the request context, and the calls RDS makes on the caller's behalf (tag-on-create
 * rds:AddTagsToResource, iam:PassRole, KMS and Secrets Manager use). Read by the IAM check (test/iam).
 *
 * `authorizeRds(ctx, action, params)` runs before the call (tags are evaluated as they are at authorization);
 * its result's `finish()` runs after it, when the store tells which parameter, option and subnet groups the
 * new resource really got (engine defaults when none was named).
 */
import type { IamCallInput, IamResource } from '../iam-recorder';
import { requestTagContext, resourceTagContext } from '../iam-recorder';
import { optTags, type Params } from './protocol';
import { defaultOptionGroup, defaultParameterGroup } from './state/engines';
import { aliasKeyId } from './state/kms';
import { parseSnapshotArn, type SimContext } from './state/store';
import type { Tag } from './types';

type Ctx = Record<string, string | string[]>;
type Res = IamResource;

const str = (p: Params, k: string): string | undefined => {
  const v = p[k];
  return typeof v === 'string' && v !== '' ? v : undefined;
};
/** Sets a condition key when the request gave it a value. */
const setContext = (context: Ctx, key: string, value: string | undefined): void => {
  if (value !== undefined) context[key] = value;
};
/** Identifiers may be given as ARNs: the last segment is the name. */
const idOf = (v: string | undefined): string | undefined =>
  v?.startsWith('arn:') ? v.slice(v.lastIndexOf(':') + 1) : v;
const tagsOf = (p: Params): Tag[] | undefined => {
  try {
    return optTags(p);
  } catch {
    return undefined;
  }
};

export function rdsArn(ctx: SimContext, type: string, id: string): string {
  return `arn:aws:rds:${ctx.region}:${ctx.accountId}:${type}:${id}`;
}

function existingTags(ctx: SimContext, type: string, id: string): Tag[] | undefined {
  const key = id.toLowerCase();
  const s = ctx.store;
  switch (type) {
    case 'db':
      return s.instances.get(key)?.props.TagList;
    case 'snapshot':
      return s.snapshots.get(key)?.props.TagList;
    case 'cluster':
      return s.clusters.get(key)?.props.TagList;
    case 'cluster-snapshot':
      return s.clusterSnapshots.get(key)?.props.TagList;
    default:
      return undefined;
  }
}

/** An existing resource: its ARN and its tags (as aws:ResourceTag/… context) when it exists. */
function existing(ctx: SimContext, type: string, id: string): Res {
  const tags = existingTags(ctx, type, id);
  return { type, arn: rdsArn(ctx, type, id), ...(tags ? { context: resourceTagContext(tags) } : {}) };
}

/**
 * A snapshot a call names by identifier or ARN: the local account's (with its tags), or another account's by its own
 * ARN (a shared snapshot; its owner's tags are not the caller's to see).
 */
function snapshotRes(ctx: SimContext, type: 'snapshot' | 'cluster-snapshot', value: string): Res {
  const m = /^arn:aws[\w-]*:rds:[^:]*:([^:]*):(snapshot|cluster-snapshot):(.+)$/.exec(value);
  if (m && m[1] !== ctx.accountId) return { type, arn: value };
  return existing(ctx, type, idOf(value) ?? '');
}

/** A resource the call creates: no tags of its own yet. */
const created = (ctx: SimContext, type: string, id: string): Res => ({ type, arn: rdsArn(ctx, type, id) });

/** A group named by the call or, after it, the one the resource really got. */
const group = (ctx: SimContext, type: string, name: string | undefined): Res[] =>
  name ? [{ type, arn: rdsArn(ctx, type, name) }] : [];

/**
 * KMS authorizes on the key, never on an alias: an alias (`alias/aws/secretsmanager`, the AWS managed key) stands
 * for a fixed local key id derived from its name.
 */
function kmsKeyArn(ctx: SimContext, key: string): string {
  const alias = /(?:^|:)(alias\/.+)$/.exec(key)?.[1];
  if (alias) {
    // An alias ARN names its account (another account's key); an alias name is the caller's.
    const account = /^arn:aws[\w-]*:kms:[^:]+:([^:]+):alias\//.exec(key)?.[1] ?? ctx.accountId;
    return `arn:aws:kms:${ctx.region}:${account}:key/${aliasKeyId(alias)}`;
  }
  if (key.startsWith('arn:')) return key;
  return `arn:aws:kms:${ctx.region}:${ctx.accountId}:key/${key}`;
}

/** RDS uses the KMS key of an encrypted resource with the caller's permissions (kms:ViaService rds). */
function kmsViaRds(ctx: SimContext, key: string | undefined, actions: string[]): IamCallInput[] {
  if (!key) return [];
  const via = { 'kms:ViaService': `rds.${ctx.region}.amazonaws.com`, 'kms:CallerAccount': ctx.accountId };
  return actions.map((action) => ({
    action,
    resources: [{ type: 'key', arn: kmsKeyArn(ctx, key) }],
    context: via,
    via: 'implied',
    note: 'RDS uses the KMS key on behalf of the caller',
  }));
}

function passRole(roleArn: string | undefined, service: string): IamCallInput[] {
  if (!roleArn) return [];
  return [
    {
      action: 'iam:PassRole',
      resources: [{ type: 'role', arn: roleArn }],
      context: { 'iam:PassedToService': service },
      via: 'implied',
      note: `role passed to ${service}`,
    },
  ];
}

/** ManageMasterUserPassword: RDS creates and tags a `rds!…` secret and encrypts it, as the caller. */
function managedSecret(ctx: SimContext, p: Params, prefix: 'db' | 'cluster', id: string): IamCallInput[] {
  if (str(p, 'ManageMasterUserPassword') !== 'true') return [];
  const secret = `arn:aws:secretsmanager:${ctx.region}:${ctx.accountId}:secret:rds!${prefix}-${id}-AbCdEf`;
  const key = str(p, 'MasterUserSecretKmsKeyId') ?? 'alias/aws/secretsmanager';
  const via = {
    'kms:ViaService': `secretsmanager.${ctx.region}.amazonaws.com`,
    'kms:CallerAccount': ctx.accountId,
  };
  const note = 'RDS creates the managed master user secret on behalf of the caller';
  return [
    ...['secretsmanager:CreateSecret', 'secretsmanager:TagResource'].map((action) => ({
      action,
      resources: [{ type: 'Secret', arn: secret }],
      context: {},
      via: 'implied',
      note,
    })),
    ...['kms:GenerateDataKey', 'kms:Decrypt', 'kms:DescribeKey', 'kms:CreateGrant', 'kms:Encrypt'].map(
      (action) => ({
        action,
        resources: [{ type: 'key', arn: kmsKeyArn(ctx, key) }],
        context: via,
        via: 'implied',
        note,
      }),
    ),
  ];
}

/** Tag-on-create: "RDS performs additional authorization on the rds:AddTagsToResource action". */
function tagOnCreate(resource: Res, tags: Tag[] | undefined): IamCallInput[] {
  if (!tags || tags.length === 0) return [];
  return [
    {
      action: 'rds:AddTagsToResource',
      resources: [{ type: resource.type, arn: resource.arn }],
      context: requestTagContext(tags),
      via: 'implied',
      note: 'tags given at creation',
    },
  ];
}

const RESOURCE_TYPES_BY_ARN = [
  'cluster-snapshot',
  'cluster-pg',
  'cluster-endpoint',
  'cluster',
  'snapshot',
  'db',
  'og',
  'pg',
  'subgrp',
  'secgrp',
  'auto-backup',
];

export interface RdsAuthorization {
  /** after the call: the calls to record (HTTP status of the answer) */
  finish(status: number): IamCallInput[];
}

/** Before the call: what AWS would authorize. */
export function authorizeRds(ctx: SimContext, action: string, p: Params): RdsAuthorization {
  const s = ctx.store;
  const tags = tagsOf(p);
  const reqCtx = requestTagContext(tags);
  const dbId = idOf(str(p, 'DBInstanceIdentifier'));
  const clusterId = idOf(str(p, 'DBClusterIdentifier'));
  const pre: Res[] = [];
  let post: (ok: boolean) => { resources: Res[]; extra: IamCallInput[] } = () => ({
    resources: [],
    extra: [],
  });
  const context: Ctx = {};

  switch (action) {
    case 'DescribeDBInstances':
      pre.push(dbId ? existing(ctx, 'db', dbId) : created(ctx, 'db', '*'));
      break;
    case 'DescribeDBClusters':
      pre.push(clusterId ? existing(ctx, 'cluster', clusterId) : created(ctx, 'cluster', '*'));
      break;
    case 'DescribeDBSnapshots': {
      const snap = str(p, 'DBSnapshotIdentifier');
      if (snap) pre.push(snapshotRes(ctx, 'snapshot', snap));
      if (dbId) pre.push(existing(ctx, 'db', dbId));
      if (!snap && !dbId) pre.push(created(ctx, 'snapshot', '*'));
      break;
    }
    case 'DescribeDBClusterSnapshots': {
      const snap = str(p, 'DBClusterSnapshotIdentifier');
      if (snap) pre.push(snapshotRes(ctx, 'cluster-snapshot', snap));
      if (clusterId) pre.push(existing(ctx, 'cluster', clusterId));
      if (!snap && !clusterId) pre.push(created(ctx, 'cluster-snapshot', '*'));
      break;
    }
    case 'DescribeDBClusterEndpoints': {
      const ep = str(p, 'DBClusterEndpointIdentifier');
      if (clusterId) pre.push(existing(ctx, 'cluster', clusterId));
      if (ep) pre.push(created(ctx, 'cluster-endpoint', ep));
      if (!clusterId && !ep) pre.push(created(ctx, 'cluster', '*'));
      break;
    }
    case 'DescribeDBInstanceAutomatedBackups': {
      // SAR (rds DescribeDBInstanceAutomatedBackups): auto-backup, db (none required).
      const backupArn = str(p, 'DBInstanceAutomatedBackupsArn');
      if (backupArn) pre.push({ type: 'auto-backup', arn: backupArn });
      if (dbId) pre.push(existing(ctx, 'db', dbId));
      if (!backupArn && !dbId) pre.push(created(ctx, 'auto-backup', '*'));
      break;
    }
    case 'DescribeGlobalClusters': {
      const g = str(p, 'GlobalClusterIdentifier');
      pre.push({ type: 'global-cluster', arn: `arn:aws:rds::${ctx.accountId}:global-cluster:${g ?? '*'}` });
      break;
    }
    case 'CreateDBSnapshot':
    case 'CreateDBClusterSnapshot': {
      const cluster = action === 'CreateDBClusterSnapshot';
      const snapId = str(p, cluster ? 'DBClusterSnapshotIdentifier' : 'DBSnapshotIdentifier') ?? '';
      pre.push(cluster ? existing(ctx, 'cluster', clusterId ?? '') : existing(ctx, 'db', dbId ?? ''));
      const snap = created(ctx, cluster ? 'cluster-snapshot' : 'snapshot', snapId);
      pre.push(snap);
      Object.assign(context, reqCtx);
      post = () => ({ resources: [], extra: tagOnCreate(snap, tags) });
      break;
    }
    case 'CopyDBSnapshot':
    case 'CopyDBClusterSnapshot': {
      // SAR (rds CopyDBSnapshot): snapshot* with aws:RequestTag/${TagKey}, aws:TagKeys, rds:CopyOptionGroup,
      // rds:req-tag/${TagKey}; CopyDBClusterSnapshot: cluster-snapshot* with aws:RequestTag, aws:TagKeys,
      // rds:req-tag. Both snapshots are resources of the call: the copy (in this account) and the source (its ARN,
      // another account's for a shared snapshot).
      const cluster = action === 'CopyDBClusterSnapshot';
      const type = cluster ? 'cluster-snapshot' : 'snapshot';
      const targetId =
        str(p, cluster ? 'TargetDBClusterSnapshotIdentifier' : 'TargetDBSnapshotIdentifier') ?? '';
      const target = created(ctx, type, targetId);
      pre.push(target);
      pre.push(
        snapshotRes(
          ctx,
          type,
          str(p, cluster ? 'SourceDBClusterSnapshotIdentifier' : 'SourceDBSnapshotIdentifier') ?? '',
        ),
      );
      Object.assign(context, reqCtx);
      if (!cluster) setContext(context, 'rds:CopyOptionGroup', str(p, 'CopyOptionGroup'));
      post = (ok) => {
        const copy = ok
          ? (cluster ? s.clusterSnapshots : s.snapshots).get(targetId.toLowerCase())?.props
          : undefined;
        return {
          resources: [],
          extra: [
            ...tagOnCreate(target, tags),
            // RDS User Guide, Overview.Encryption.Keys: "To create an RDS resource using a customer managed key, a user
            // must have permissions to call the following operations on the customer managed key: kms:CreateGrant,
            // kms:DescribeKey" (the copy's key: the one given, else the source's).
            ...kmsViaRds(ctx, str(p, 'KmsKeyId') ?? copy?.KmsKeyId, ['kms:CreateGrant', 'kms:DescribeKey']),
          ],
        };
      };
      break;
    }
    case 'ModifyDBSnapshotAttribute':
    case 'DescribeDBSnapshotAttributes':
      // SAR: ModifyDBSnapshotAttribute (Write) and DescribeDBSnapshotAttributes (List) on snapshot*.
      pre.push(snapshotRes(ctx, 'snapshot', str(p, 'DBSnapshotIdentifier') ?? ''));
      break;
    case 'ModifyDBClusterSnapshotAttribute':
    case 'DescribeDBClusterSnapshotAttributes':
      // SAR: ModifyDBClusterSnapshotAttribute (Write) and DescribeDBClusterSnapshotAttributes (List) on
      // cluster-snapshot*.
      pre.push(snapshotRes(ctx, 'cluster-snapshot', str(p, 'DBClusterSnapshotIdentifier') ?? ''));
      break;
    case 'DeleteDBSnapshot':
      pre.push(existing(ctx, 'snapshot', idOf(str(p, 'DBSnapshotIdentifier')) ?? ''));
      break;
    case 'DeleteDBClusterSnapshot':
      pre.push(existing(ctx, 'cluster-snapshot', idOf(str(p, 'DBClusterSnapshotIdentifier')) ?? ''));
      break;
    case 'DeleteDBInstance':
      pre.push(existing(ctx, 'db', dbId ?? ''));
      break;
    case 'DeleteDBCluster': {
      pre.push(existing(ctx, 'cluster', clusterId ?? ''));
      // SAR: cluster-snapshot is required. With a final snapshot, its ARN; skipped, the cluster's own name.
      const final = str(p, 'FinalDBSnapshotIdentifier');
      pre.push(created(ctx, 'cluster-snapshot', final ?? clusterId ?? ''));
      break;
    }
    case 'RestoreDBInstanceFromDBSnapshot': {
      const snapParam = str(p, 'DBSnapshotIdentifier') ?? '';
      const snapId = idOf(snapParam) ?? '';
      const isClusterSnap = snapParam.includes(':cluster-snapshot:');
      const snapRes = snapshotRes(ctx, isClusterSnap ? 'cluster-snapshot' : 'snapshot', snapParam);
      const ref = parseSnapshotArn(snapParam, 'snapshot');
      const source =
        ref && ref.account !== ctx.accountId
          ? s.foreignSnapshots.get(ref.key)
          : s.snapshots.get(snapId.toLowerCase());
      const db = created(ctx, 'db', dbId ?? '');
      pre.push(db, snapRes);
      Object.assign(context, reqCtx);
      post = () => {
        const inst = s.instances.get((dbId ?? '').toLowerCase())?.props;
        const engine = str(p, 'Engine') ?? inst?.Engine ?? source?.props.Engine ?? '';
        const version = inst?.EngineVersion ?? source?.props.EngineVersion ?? '';
        return {
          resources: [
            ...group(
              ctx,
              'og',
              str(p, 'OptionGroupName') ??
                inst?.OptionGroupMemberships[0]?.OptionGroupName ??
                source?.props.OptionGroupName ??
                (engine ? defaultOptionGroup(engine, version) : undefined),
            ),
            ...group(
              ctx,
              'pg',
              str(p, 'DBParameterGroupName') ??
                inst?.DBParameterGroups[0]?.DBParameterGroupName ??
                (engine ? defaultParameterGroup(engine, version) : undefined),
            ),
            ...group(
              ctx,
              'subgrp',
              str(p, 'DBSubnetGroupName') ?? inst?.DBSubnetGroup.DBSubnetGroupName ?? 'default',
            ),
          ],
          extra: [
            ...tagOnCreate(db, tags),
            ...kmsViaRds(ctx, inst?.KmsKeyId ?? str(p, 'KmsKeyId'), ['kms:CreateGrant', 'kms:DescribeKey']),
            ...passRole(str(p, 'MonitoringRoleArn'), 'monitoring.rds.amazonaws.com'),
            ...managedSecret(ctx, p, 'db', dbId ?? ''),
          ],
        };
      };
      break;
    }
    case 'RestoreDBInstanceToPointInTime': {
      // SAR (rds RestoreDBInstanceToPointInTime): auto-backup, db*, og*, pg*, subgrp*; the source instance is not a
      // resource of the action, the new one (TargetDBInstanceIdentifier) is.
      const targetId = idOf(str(p, 'TargetDBInstanceIdentifier')) ?? '';
      const db = created(ctx, 'db', targetId);
      pre.push(db);
      const backupArn = str(p, 'SourceDBInstanceAutomatedBackupsArn');
      if (backupArn) pre.push({ type: 'auto-backup', arn: backupArn });
      Object.assign(context, reqCtx);
      // SAR condition keys of the action: rds:BackupTarget, rds:ManageMasterUserPassword, rds:PubliclyAccessible.
      setContext(context, 'rds:BackupTarget', str(p, 'BackupTarget'));
      setContext(context, 'rds:ManageMasterUserPassword', str(p, 'ManageMasterUserPassword'));
      setContext(context, 'rds:PubliclyAccessible', str(p, 'PubliclyAccessible'));
      post = () => {
        const inst = s.instances.get(targetId.toLowerCase())?.props;
        return {
          resources: [
            ...group(
              ctx,
              'og',
              str(p, 'OptionGroupName') ?? inst?.OptionGroupMemberships[0]?.OptionGroupName,
            ),
            ...group(
              ctx,
              'pg',
              str(p, 'DBParameterGroupName') ?? inst?.DBParameterGroups[0]?.DBParameterGroupName,
            ),
            ...group(
              ctx,
              'subgrp',
              str(p, 'DBSubnetGroupName') ?? inst?.DBSubnetGroup.DBSubnetGroupName ?? 'default',
            ),
          ],
          extra: [
            ...tagOnCreate(db, tags),
            // The restored instance is encrypted with the source's key (the call has no KmsKeyId).
            ...kmsViaRds(ctx, inst?.KmsKeyId, ['kms:CreateGrant', 'kms:DescribeKey']),
            ...managedSecret(ctx, p, 'db', targetId),
          ],
        };
      };
      break;
    }
    case 'RestoreDBClusterToPointInTime': {
      // SAR (rds RestoreDBClusterToPointInTime): cluster*, cluster-auto-backup, cluster-pg*, og*, subgrp*; the
      // source cluster is not a resource of the action, the new one (DBClusterIdentifier) is.
      const cluster = created(ctx, 'cluster', clusterId ?? '');
      pre.push(cluster);
      Object.assign(context, reqCtx);
      // SAR condition keys of the action: rds:DatabaseClass, rds:Piops, rds:StorageSize (Multi-AZ DB clusters).
      setContext(context, 'rds:DatabaseClass', str(p, 'DBClusterInstanceClass'));
      setContext(context, 'rds:Piops', str(p, 'Iops'));
      post = () => {
        const c = s.clusters.get((clusterId ?? '').toLowerCase())?.props;
        return {
          resources: [
            ...group(ctx, 'cluster-pg', str(p, 'DBClusterParameterGroupName') ?? c?.DBClusterParameterGroup),
            // Aurora has no option groups of its own, but the SAR requires og: the engine default is used.
            ...group(
              ctx,
              'og',
              str(p, 'OptionGroupName') ?? (c ? defaultOptionGroup(c.Engine, c.EngineVersion) : undefined),
            ),
            ...group(ctx, 'subgrp', str(p, 'DBSubnetGroupName') ?? c?.DBSubnetGroup ?? 'default'),
          ],
          extra: [
            ...tagOnCreate(cluster, tags),
            ...kmsViaRds(ctx, c?.KmsKeyId ?? str(p, 'KmsKeyId'), ['kms:CreateGrant', 'kms:DescribeKey']),
          ],
        };
      };
      break;
    }
    case 'CreateDBInstance': {
      const db = created(ctx, 'db', dbId ?? '');
      pre.push(db);
      if (clusterId) pre.push(existing(ctx, 'cluster', clusterId));
      Object.assign(context, reqCtx);
      setContext(context, 'rds:ManageMasterUserPassword', str(p, 'ManageMasterUserPassword'));
      post = () => {
        const inst = s.instances.get((dbId ?? '').toLowerCase())?.props;
        const engine = str(p, 'Engine') ?? inst?.Engine ?? '';
        const version = str(p, 'EngineVersion') ?? inst?.EngineVersion ?? '';
        const cluster = clusterId ? s.clusters.get(clusterId.toLowerCase())?.props : undefined;
        return {
          resources: [
            ...group(
              ctx,
              'og',
              str(p, 'OptionGroupName') ??
                inst?.OptionGroupMemberships[0]?.OptionGroupName ??
                (engine ? defaultOptionGroup(engine, version) : undefined),
            ),
            ...group(
              ctx,
              'pg',
              str(p, 'DBParameterGroupName') ??
                inst?.DBParameterGroups[0]?.DBParameterGroupName ??
                (engine ? defaultParameterGroup(engine, version) : undefined),
            ),
            ...group(
              ctx,
              'subgrp',
              str(p, 'DBSubnetGroupName') ??
                inst?.DBSubnetGroup.DBSubnetGroupName ??
                cluster?.DBSubnetGroup ??
                'default',
            ),
          ],
          extra: [
            ...tagOnCreate(db, tags),
            ...(clusterId
              ? []
              : kmsViaRds(ctx, inst?.KmsKeyId ?? str(p, 'KmsKeyId'), ['kms:CreateGrant', 'kms:DescribeKey'])),
            ...passRole(str(p, 'MonitoringRoleArn'), 'monitoring.rds.amazonaws.com'),
            ...kmsViaRds(ctx, str(p, 'PerformanceInsightsKMSKeyId'), ['kms:CreateGrant', 'kms:DescribeKey']),
            ...managedSecret(ctx, p, 'db', dbId ?? ''),
          ],
        };
      };
      break;
    }
    case 'RestoreDBClusterFromSnapshot':
    case 'CreateDBCluster': {
      const cluster = created(ctx, 'cluster', clusterId ?? '');
      pre.push(cluster);
      if (action === 'RestoreDBClusterFromSnapshot') {
        const snapParam = str(p, 'SnapshotIdentifier') ?? '';
        const snapId = idOf(snapParam) ?? '';
        const isDbSnap = snapParam.includes(':snapshot:') || s.snapshots.has(snapId.toLowerCase());
        pre.push(snapshotRes(ctx, isDbSnap ? 'snapshot' : 'cluster-snapshot', snapParam));
      }
      Object.assign(context, reqCtx);
      post = () => {
        const c = s.clusters.get((clusterId ?? '').toLowerCase())?.props;
        const engine = str(p, 'Engine') ?? c?.Engine ?? '';
        const version = str(p, 'EngineVersion') ?? c?.EngineVersion ?? '';
        return {
          resources: [
            ...group(ctx, 'cluster-pg', str(p, 'DBClusterParameterGroupName') ?? c?.DBClusterParameterGroup),
            // Aurora has no option groups of its own, but the SAR requires og: the engine default is used.
            ...group(
              ctx,
              'og',
              str(p, 'OptionGroupName') ?? (engine ? defaultOptionGroup(engine, version) : undefined),
            ),
            ...group(ctx, 'subgrp', str(p, 'DBSubnetGroupName') ?? c?.DBSubnetGroup ?? 'default'),
          ],
          extra: [
            ...tagOnCreate(cluster, tags),
            ...kmsViaRds(ctx, c?.KmsKeyId ?? str(p, 'KmsKeyId'), ['kms:CreateGrant', 'kms:DescribeKey']),
            ...managedSecret(ctx, p, 'cluster', clusterId ?? ''),
          ],
        };
      };
      break;
    }
    case 'ModifyDBInstance': {
      pre.push(existing(ctx, 'db', dbId ?? ''));
      pre.push(...group(ctx, 'og', str(p, 'OptionGroupName')));
      pre.push(...group(ctx, 'pg', str(p, 'DBParameterGroupName')));
      pre.push(...group(ctx, 'subgrp', str(p, 'DBSubnetGroupName')));
      setContext(context, 'rds:ManageMasterUserPassword', str(p, 'ManageMasterUserPassword'));
      post = () => ({
        resources: [],
        extra: [
          ...passRole(str(p, 'MonitoringRoleArn'), 'monitoring.rds.amazonaws.com'),
          ...kmsViaRds(ctx, str(p, 'PerformanceInsightsKMSKeyId'), ['kms:CreateGrant', 'kms:DescribeKey']),
          ...managedSecret(ctx, p, 'db', dbId ?? ''),
        ],
      });
      break;
    }
    case 'ModifyDBCluster': {
      pre.push(existing(ctx, 'cluster', clusterId ?? ''));
      pre.push(...group(ctx, 'cluster-pg', str(p, 'DBClusterParameterGroupName')));
      pre.push(...group(ctx, 'pg', str(p, 'DBInstanceParameterGroupName')));
      pre.push(...group(ctx, 'og', str(p, 'OptionGroupName')));
      setContext(context, 'rds:ManageMasterUserPassword', str(p, 'ManageMasterUserPassword'));
      post = () => ({ resources: [], extra: managedSecret(ctx, p, 'cluster', clusterId ?? '') });
      break;
    }
    case 'AddRoleToDBInstance':
      pre.push(existing(ctx, 'db', dbId ?? ''));
      post = () => ({ resources: [], extra: passRole(str(p, 'RoleArn'), 'rds.amazonaws.com') });
      break;
    case 'AddRoleToDBCluster':
      pre.push(existing(ctx, 'cluster', clusterId ?? ''));
      post = () => ({ resources: [], extra: passRole(str(p, 'RoleArn'), 'rds.amazonaws.com') });
      break;
    case 'CreateDBClusterEndpoint': {
      pre.push(existing(ctx, 'cluster', clusterId ?? ''));
      const ep = created(ctx, 'cluster-endpoint', str(p, 'DBClusterEndpointIdentifier') ?? '');
      pre.push(ep);
      Object.assign(context, reqCtx);
      setContext(context, 'rds:EndpointType', str(p, 'EndpointType'));
      post = () => ({ resources: [], extra: tagOnCreate(ep, tags) });
      break;
    }
    case 'DeleteDBClusterEndpoint':
    case 'ModifyDBClusterEndpoint':
      pre.push(created(ctx, 'cluster-endpoint', str(p, 'DBClusterEndpointIdentifier') ?? ''));
      break;
    case 'StartDBInstanceAutomatedBackupsReplication': {
      // Sent to the destination Region: the source instance keeps its own (source Region) ARN.
      const sourceArn = str(p, 'SourceDBInstanceArn') ?? '';
      const source = idOf(sourceArn) ?? '';
      const src = s.instances.get(source.toLowerCase())?.props;
      const db = existing(ctx, 'db', source);
      pre.push(sourceArn.startsWith('arn:') ? { ...db, arn: sourceArn } : db);
      pre.push(created(ctx, 'auto-backup', `ab-${(src?.DbiResourceId ?? source).toLowerCase()}`));
      Object.assign(context, reqCtx);
      post = () => ({
        resources: [],
        extra: kmsViaRds(ctx, str(p, 'KmsKeyId'), ['kms:CreateGrant', 'kms:DescribeKey']),
      });
      break;
    }
    case 'StartExportTask': {
      // SAR (rds StartExportTask): resource types snapshot / cluster-snapshot / cluster, none required. RDS passes
      // the export role (IamRoleArn, assumed by export.rds.amazonaws.com) and creates a KMS grant as the caller:
      // "the caller needs iam:PassRole on the role, and kms:CreateGrant and kms:DescribeKey on the key" (User
      // Guide, Exporting DB snapshot data to Amazon S3: "If you use a Lambda function to export a snapshot, add the
      // kms:DescribeKey action to the Lambda function policy").
      const sourceArn = str(p, 'SourceArn') ?? '';
      const m = /:(snapshot|cluster-snapshot):(.+)$/.exec(sourceArn);
      if (m) pre.push(existing(ctx, m[1] ?? 'snapshot', m[2] ?? ''));
      post = () => ({
        resources: [],
        extra: [
          ...passRole(str(p, 'IamRoleArn'), 'export.rds.amazonaws.com'),
          ...kmsViaRds(ctx, str(p, 'KmsKeyId'), ['kms:CreateGrant', 'kms:DescribeKey']),
        ],
      });
      break;
    }
    case 'DescribeExportTasks':
    case 'CancelExportTask':
      // SAR: CancelExportTask has no resource type, DescribeExportTasks none required: authorized on "*".
      pre.push({ type: '*', arn: '*' });
      break;
    case 'EnableHttpEndpoint':
    case 'DisableHttpEndpoint': {
      // SAR: EnableHttpEndpoint requires the `cluster` resource type (the ResourceArn).
      const arn = str(p, 'ResourceArn') ?? '';
      pre.push(existing(ctx, 'cluster', arn.split(':').slice(6).join(':')));
      break;
    }
    case 'AddTagsToResource':
    case 'RemoveTagsFromResource':
    case 'ListTagsForResource': {
      const arn = str(p, 'ResourceName') ?? '';
      const parts = arn.split(':');
      const type = parts[5] ?? '';
      const id = parts.slice(6).join(':');
      pre.push(existing(ctx, RESOURCE_TYPES_BY_ARN.includes(type) ? type : type || '*', id));
      if (action === 'AddTagsToResource') Object.assign(context, reqCtx);
      if (action === 'RemoveTagsFromResource') {
        const keys = p.TagKeys;
        const list = Array.isArray(keys) ? keys.filter((k): k is string => typeof k === 'string') : [];
        if (list.length) context['aws:TagKeys'] = list;
      }
      break;
    }
    default:
      // Unknown to this table: the identifiers the call names.
      if (dbId) pre.push(existing(ctx, 'db', dbId));
      if (clusterId) pre.push(existing(ctx, 'cluster', clusterId));
      Object.assign(context, reqCtx);
  }

  return {
    finish(status) {
      const after = post(status < 300);
      const call: IamCallInput = {
        action: `rds:${action}`,
        resources: [...pre, ...after.resources],
        context,
        via: 'rds',
        status,
      };
      return [call, ...after.extra.map((c) => ({ ...c, status }))];
    },
  };
}
