import { invalidParameterValue } from '../errors';
import { optStringList, optTags, type Params, reqString } from '../protocol';
import type { Tag } from '../types';
import { clusterEndpointTags } from './cluster-endpoints';
import { mergeTags, type SimContext } from './store';

/** The tag list of the resource an ARN names (instance, cluster, snapshot or cluster snapshot). */
function resolve(ctx: SimContext, arn: string): { get(): Tag[]; set(tags: Tag[]): void } {
  const m =
    /^arn:aws[\w-]*:rds:([^:]+):(\d+):(db|cluster|snapshot|cluster-snapshot|cluster-endpoint):(.+)$/.exec(
      arn,
    );
  const [, region, account, type, id] = m ?? [];
  if (id === undefined || region !== ctx.region || account !== ctx.accountId) {
    throw invalidParameterValue(
      `The specified resource name does not match an RDS resource in this region: ${arn}`,
    );
  }
  const { store } = ctx;
  if (type === 'cluster-endpoint') return clusterEndpointTags(store, id);
  const holder =
    type === 'db'
      ? store.instance(id).props
      : type === 'cluster'
        ? store.cluster(id).props
        : type === 'snapshot'
          ? store.snapshot(id).props
          : store.clusterSnapshot(id).props;
  return {
    get: () => holder.TagList,
    set: (tags) => {
      holder.TagList = tags;
    },
  };
}

export function addTagsToResource(ctx: SimContext, p: Params) {
  const target = resolve(ctx, reqString(p, 'ResourceName'));
  target.set(mergeTags(target.get(), optTags(p) ?? []));
  return undefined;
}

export function removeTagsFromResource(ctx: SimContext, p: Params) {
  const target = resolve(ctx, reqString(p, 'ResourceName'));
  const keys = optStringList(p, 'TagKeys') ?? [];
  target.set(target.get().filter((t) => !keys.includes(t.Key)));
  return undefined;
}

export function listTagsForResource(ctx: SimContext, p: Params) {
  const target = resolve(ctx, reqString(p, 'ResourceName'));
  return { TagList: target.get().map((t) => ({ ...t })) };
}
