import { invalidParameterCombination, invalidParameterValue, RdsError } from '../errors';
import { optString, optStringList, optTags, type Params, reqString } from '../protocol';
import { randomToken } from '../random';
import type { ClusterEndpointProps, ClusterProps, GlobalClusterProps, Tag } from '../types';
import { applyFilters, checkMaxRecords, idFromArn } from './describe';
import { defaultEngineVersion, isAurora } from './engines';
import {
  type ClusterEndpointRecord,
  type ClusterRecord,
  clone,
  type SimContext,
  type Store,
  validateIdentifier,
} from './store';

/** Aurora User Guide, "Quotas for Amazon Aurora": "Custom endpoints for each DB cluster: 5". */
export const MAX_CUSTOM_ENDPOINTS = 5;

const endpointNotFound = (id: string) =>
  new RdsError('DBClusterEndpointNotFoundFault', `DBClusterEndpoint ${id} not found.`, 400);

function endpointView(rec: ClusterEndpointRecord): Record<string, unknown> {
  return { ...clone(rec.props) };
}

/** The cluster's own WRITER and READER endpoints, as DescribeDBClusterEndpoints lists them. */
function builtInEndpoints(c: ClusterProps): Record<string, unknown>[] {
  const base = {
    DBClusterIdentifier: c.DBClusterIdentifier,
    DBClusterEndpointResourceIdentifier: c.DbClusterResourceId,
    Status: 'available',
  };
  return [
    { ...base, Endpoint: c.Endpoint, EndpointType: 'WRITER' },
    { ...base, Endpoint: c.ReaderEndpoint, EndpointType: 'READER' },
  ];
}

function checkMembers(store: Store, clusterId: string, ids: string[], param: string): string[] {
  const members = new Set(store.members(clusterId).map((m) => m.props.DBInstanceIdentifier));
  const out = ids.map((i) => i.toLowerCase());
  const bad = out.filter((i) => !members.has(i));
  if (bad.length > 0) {
    throw invalidParameterValue(`${param}: ${bad.join(', ')} are not DB instances of cluster ${clusterId}.`);
  }
  return out;
}

export function createDBClusterEndpoint(ctx: SimContext, p: Params) {
  const { store } = ctx;
  const cluster = store.cluster(reqString(p, 'DBClusterIdentifier')).props;
  const id = validateIdentifier(reqString(p, 'DBClusterEndpointIdentifier'), 'DBClusterEndpointIdentifier');
  const type = reqString(p, 'EndpointType');
  // RDS API reference, CreateDBClusterEndpoint EndpointType: "The type of the endpoint, one of: READER, WRITER,
  // ANY."
  if (!['READER', 'WRITER', 'ANY'].includes(type)) {
    throw invalidParameterValue(`Invalid EndpointType: ${type}. Valid values: READER, WRITER, ANY.`);
  }
  if (!isAurora(cluster.Engine)) {
    // Aurora User Guide, "Custom endpoints" (Aurora.Endpoints.Custom) describes custom endpoints for Aurora DB
    // clusters; RDS Multi-AZ DB clusters have no custom endpoints.
    throw invalidParameterCombination(
      `Custom endpoints are supported for Aurora DB clusters only, not ${cluster.Engine}.`,
    );
  }
  if (cluster.Status !== 'available') {
    throw new RdsError(
      'InvalidDBClusterStateFault',
      `DB cluster ${cluster.DBClusterIdentifier} is not in available state (${cluster.Status}).`,
    );
  }
  if ([...store.clusterEndpoints.values()].some((e) => e.props.DBClusterEndpointIdentifier === id)) {
    throw new RdsError('DBClusterEndpointAlreadyExistsFault', `DBClusterEndpoint ${id} already exists.`);
  }
  const mine = [...store.clusterEndpoints.values()].filter(
    (e) => e.props.DBClusterIdentifier === cluster.DBClusterIdentifier,
  );
  if (mine.length >= MAX_CUSTOM_ENDPOINTS) {
    throw new RdsError(
      'DBClusterEndpointQuotaExceededFault',
      `Cannot create more than ${MAX_CUSTOM_ENDPOINTS} custom endpoints for cluster ${cluster.DBClusterIdentifier}.`,
      403,
    );
  }
  const props: ClusterEndpointProps = {
    DBClusterEndpointIdentifier: id,
    DBClusterIdentifier: cluster.DBClusterIdentifier,
    DBClusterEndpointResourceIdentifier: `cluster-endpoint-${randomToken(26, 'abcdefghijklmnopqrstuvwxyz0123456789')}`,
    Endpoint: store.clusterEndpointAddress(id),
    Status: 'creating',
    EndpointType: 'CUSTOM',
    CustomEndpointType: type,
    StaticMembers: checkMembers(
      store,
      cluster.DBClusterIdentifier,
      optStringList(p, 'StaticMembers') ?? [],
      'StaticMembers',
    ),
    ExcludedMembers: checkMembers(
      store,
      cluster.DBClusterIdentifier,
      optStringList(p, 'ExcludedMembers') ?? [],
      'ExcludedMembers',
    ),
    DBClusterEndpointArn: store.arn('cluster-endpoint', id),
  };
  const rec: ClusterEndpointRecord = { props, tags: optTags(p) ?? [], seq: store.nextSeq() };
  store.clusterEndpoints.set(id, rec);
  ctx.scheduler.after(ctx.durations.createClusterEndpoint, () => {
    if (rec.props.Status === 'creating') rec.props.Status = 'available';
  });
  // CreateDBClusterEndpoint returns the DBClusterEndpoint fields at the top level of its result.
  return endpointView(rec);
}

const ENDPOINT_FILTERS: Record<string, (e: Record<string, unknown>) => string | undefined> = {
  'db-cluster-endpoint-type': (e) => String(e.EndpointType),
  'db-cluster-endpoint-custom-type': (e) => (e.CustomEndpointType as string | undefined) ?? undefined,
  'db-cluster-endpoint-id': (e) => (e.DBClusterEndpointIdentifier as string | undefined) ?? undefined,
  'db-cluster-endpoint-status': (e) => String(e.Status),
};

export function describeDBClusterEndpoints(ctx: SimContext, p: Params) {
  const max = checkMaxRecords(p);
  const { store } = ctx;
  const clusterId = optString(p, 'DBClusterIdentifier');
  const endpointId = optString(p, 'DBClusterEndpointIdentifier')?.toLowerCase();
  const clusters: ClusterRecord[] = clusterId
    ? [store.cluster(idFromArn(clusterId, 'cluster'))]
    : [...store.clusters.values()];
  let out: Record<string, unknown>[] = [];
  for (const c of clusters) {
    if (!endpointId) out.push(...builtInEndpoints(c.props));
    out.push(
      ...[...store.clusterEndpoints.values()]
        .filter((e) => e.props.DBClusterIdentifier === c.props.DBClusterIdentifier)
        .sort((a, b) => a.seq - b.seq)
        .map(endpointView),
    );
  }
  if (endpointId) {
    // RDS API reference, DescribeDBClusterEndpoints: the only documented error is DBClusterNotFoundFault, so an
    // unknown endpoint identifier gives an empty list, not an error.
    out = out.filter((e) => e.DBClusterEndpointIdentifier === endpointId);
  }
  out = applyFilters(p, out, ENDPOINT_FILTERS);
  const start = Number(optString(p, 'Marker') ?? 0) || 0;
  const size = max ?? 100;
  const page = out.slice(start, start + size);
  return {
    DBClusterEndpoints: page,
    Marker: start + size < out.length ? String(start + size) : undefined,
  };
}

export function deleteDBClusterEndpoint(ctx: SimContext, p: Params) {
  const { store } = ctx;
  const id = reqString(p, 'DBClusterEndpointIdentifier').toLowerCase();
  const rec = store.clusterEndpoints.get(id);
  if (!rec) throw endpointNotFound(id);
  if (rec.props.Status !== 'available' && rec.props.Status !== 'inactive') {
    throw new RdsError(
      'InvalidDBClusterEndpointStateFault',
      `DBClusterEndpoint ${id} is not in a state that allows deletion (${rec.props.Status}).`,
    );
  }
  rec.props.Status = 'deleting';
  ctx.scheduler.after(ctx.durations.deleteClusterEndpoint, () => {
    if (store.clusterEndpoints.get(id) === rec) store.clusterEndpoints.delete(id);
  });
  return endpointView(rec);
}

/** The tag list of a custom endpoint (for the tagging actions). */
export function clusterEndpointTags(store: Store, id: string): { get(): Tag[]; set(tags: Tag[]): void } {
  const rec = store.clusterEndpoints.get(id.toLowerCase());
  if (!rec) throw endpointNotFound(id);
  return { get: () => rec.tags, set: (tags) => (rec.tags = tags) };
}

// ---------------------------------------------------------------------------------------------------------------
// RDS Data API (HTTP endpoint) of Aurora Serverless v2 and provisioned clusters

/** Aurora versions with RDS Data API for Serverless v2 and provisioned clusters. */
function dataApiSupported(engine: string, version: string): boolean {
  // Aurora User Guide, "Region and version availability for RDS Data API" (data-api.regions): Aurora PostgreSQL
  // 16.1, 15.4, 14.9, 13.12 and higher; Aurora MySQL 3.07 and higher (Serverless v2 and provisioned).
  if (engine === 'aurora-postgresql') {
    const [major = 0, minor = 0] = version.split('.').map(Number);
    const min: Record<number, number> = { 13: 12, 14: 9, 15: 4, 16: 1 };
    const minMinor = min[major];
    return major > 16 || (minMinor !== undefined && minor >= minMinor);
  }
  if (engine === 'aurora-mysql') {
    const m = /mysql_aurora\.(\d+)\.(\d+)/.exec(version);
    return !!m && (Number(m[1]) > 3 || (Number(m[1]) === 3 && Number(m[2]) >= 7));
  }
  return false;
}

function setHttpEndpoint(ctx: SimContext, p: Params, enabled: boolean) {
  const arn = reqString(p, 'ResourceArn');
  const rec = ctx.store.cluster(idFromArn(arn, 'cluster'));
  const c = rec.props;
  if (enabled && !dataApiSupported(c.Engine, c.EngineVersion)) {
    throw invalidParameterValue(
      `RDS Data API (EnableHttpEndpoint) is not supported for ${c.Engine} ${c.EngineVersion}.`,
    );
  }
  c.HttpEndpointEnabled = enabled;
  return { ResourceArn: c.DBClusterArn, HttpEndpointEnabled: enabled };
}

export const enableHttpEndpoint = (ctx: SimContext, p: Params) => setHttpEndpoint(ctx, p, true);
export const disableHttpEndpoint = (ctx: SimContext, p: Params) => setHttpEndpoint(ctx, p, false);

// ---------------------------------------------------------------------------------------------------------------
// Global clusters (seeded)

export type GlobalClusterSeed = Partial<GlobalClusterProps> & {
  GlobalClusterIdentifier: string;
  Engine: string;
};

export function seedGlobalCluster(store: Store, seed: GlobalClusterSeed): void {
  const id = seed.GlobalClusterIdentifier;
  store.globalClusters.set(id, {
    GlobalClusterResourceId: `cluster-${randomToken(24, 'abcdef0123456789')}`,
    GlobalClusterArn: `arn:aws:rds::${store.accountId}:global-cluster:${id}`,
    Status: 'available',
    EngineVersion: seed.EngineVersion ?? defaultEngineVersion(seed.Engine),
    StorageEncrypted: false,
    DeletionProtection: false,
    GlobalClusterMembers: [],
    TagList: [],
    ...seed,
  });
}

function globalView(store: Store, g: GlobalClusterProps): Record<string, unknown> {
  const local = [...store.clusters.values()]
    .filter((c) => c.props.GlobalClusterIdentifier === g.GlobalClusterIdentifier)
    .map((c) => ({
      DBClusterArn: c.props.DBClusterArn,
      Readers: [] as string[],
      IsWriter: !c.props.ReplicationSourceIdentifier,
    }));
  const known = new Set(local.map((m) => m.DBClusterArn));
  return {
    ...clone(g),
    GlobalClusterMembers: [...local, ...g.GlobalClusterMembers.filter((m) => !known.has(m.DBClusterArn))],
  };
}

export function describeGlobalClusters(ctx: SimContext, p: Params) {
  const max = checkMaxRecords(p);
  const { store } = ctx;
  // Clusters seeded with a GlobalClusterIdentifier the simulator was not told about still form a global cluster.
  for (const c of store.clusters.values()) {
    const gid = c.props.GlobalClusterIdentifier;
    if (gid && !store.globalClusters.has(gid)) {
      seedGlobalCluster(store, {
        GlobalClusterIdentifier: gid,
        Engine: c.props.Engine,
        EngineVersion: c.props.EngineVersion,
      });
    }
  }
  const id = optString(p, 'GlobalClusterIdentifier');
  let list = [...store.globalClusters.values()];
  if (id) {
    list = list.filter((g) => g.GlobalClusterIdentifier === id);
    if (list.length === 0)
      throw new RdsError('GlobalClusterNotFoundFault', `GlobalCluster ${id} not found.`, 404);
  }
  const start = Number(optString(p, 'Marker') ?? 0) || 0;
  const size = max ?? 100;
  return {
    GlobalClusters: list.slice(start, start + size).map((g) => globalView(store, g)),
    Marker: start + size < list.length ? String(start + size) : undefined,
  };
}
