import { invalidParameterValue, missingParameter } from './errors';
import type { Tag } from './types';

/** A Query-protocol request decoded into nested objects and arrays (`A.Member.1` becomes `A: [..]`). */
export type ParamValue = string | ParamValue[] | Params;
export interface Params {
  [key: string]: ParamValue;
}

export const RDS_XMLNS = 'http://rds.amazonaws.com/doc/2014-10-31/';

/**
 * Decodes `application/x-www-form-urlencoded` Query parameters. A numeric segment marks a list: the segment before
 * it is the member name (`Tags.Tag.1.Key`, `EnableCloudwatchLogsExports.member.1`).
 */
export function parseQuery(body: string): Params {
  const root: Params = {};
  for (const [key, value] of new URLSearchParams(body)) setPath(root, key.split('.'), value);
  return root;
}

function setPath(root: Params, segs: string[], value: string): void {
  let cur: Params = root;
  let i = 0;
  while (i < segs.length) {
    const seg = segs[i];
    if (seg === undefined) return;
    const index = segs[i + 2];
    if (index !== undefined && /^\d+$/.test(index)) {
      const existing = cur[seg];
      const list: ParamValue[] = Array.isArray(existing) ? existing : [];
      cur[seg] = list;
      const at = Number(index) - 1;
      if (i + 3 >= segs.length) {
        list[at] = value;
        return;
      }
      const item = list[at];
      const next: Params = item && typeof item === 'object' && !Array.isArray(item) ? item : {};
      list[at] = next;
      cur = next;
      i += 3;
      continue;
    }
    if (i === segs.length - 1) {
      cur[seg] = value;
      return;
    }
    const child = cur[seg];
    const next: Params = child && typeof child === 'object' && !Array.isArray(child) ? child : {};
    cur[seg] = next;
    cur = next;
    i += 1;
  }
}

export function optString(p: Params, key: string): string | undefined {
  const v = p[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw invalidParameterValue(`Invalid value for parameter ${key}.`);
  return v;
}

export function reqString(p: Params, key: string): string {
  const v = optString(p, key);
  if (v === undefined || v === '') throw missingParameter(key);
  return v;
}

export function optBool(p: Params, key: string): boolean | undefined {
  const v = optString(p, key);
  if (v === undefined) return undefined;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw invalidParameterValue(`Invalid boolean value for parameter ${key}: ${v}`);
}

export function optNumber(p: Params, key: string): number | undefined {
  const v = optString(p, key);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v === '' || !Number.isFinite(n))
    throw invalidParameterValue(`Invalid numeric value for parameter ${key}: ${v}`);
  return n;
}

export function optInt(p: Params, key: string): number | undefined {
  const n = optNumber(p, key);
  if (n !== undefined && !Number.isInteger(n))
    throw invalidParameterValue(`Invalid integer for parameter ${key}.`);
  return n;
}

/** A list of strings; `undefined` when absent, `[]` when sent empty (`Key=`). */
export function optStringList(p: Params, key: string): string[] | undefined {
  const v = p[key];
  if (v === undefined) return undefined;
  if (v === '') return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
    throw invalidParameterValue(`Invalid list for parameter ${key}.`);
  }
  return v.filter((x): x is string => x !== undefined);
}

export function optStruct(p: Params, key: string): Params | undefined {
  const v = p[key];
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'object' || Array.isArray(v))
    throw invalidParameterValue(`Invalid value for parameter ${key}.`);
  return v;
}

export function optStructList(p: Params, key: string): Params[] | undefined {
  const v = p[key];
  if (v === undefined) return undefined;
  if (v === '') return [];
  if (!Array.isArray(v)) throw invalidParameterValue(`Invalid list for parameter ${key}.`);
  return v.filter((x): x is Params => typeof x === 'object' && x !== null && !Array.isArray(x));
}

export function optTags(p: Params, key = 'Tags'): Tag[] | undefined {
  const list = optStructList(p, key);
  if (list === undefined) return undefined;
  return list.map((t) => {
    const k = optString(t, 'Key');
    if (!k) throw invalidParameterValue('Tag keys must not be empty.');
    return { Key: k, Value: optString(t, 'Value') ?? '' };
  });
}

/** Wire names of list members in RDS responses (the default is `member`). */
const LIST_MEMBERS: Record<string, string> = {
  DBInstances: 'DBInstance',
  DBClusters: 'DBCluster',
  DBSnapshots: 'DBSnapshot',
  DBClusterSnapshots: 'DBClusterSnapshot',
  TagList: 'Tag',
  VpcSecurityGroups: 'VpcSecurityGroupMembership',
  DBParameterGroups: 'DBParameterGroup',
  OptionGroupMemberships: 'OptionGroupMembership',
  DBClusterMembers: 'DBClusterMember',
  AvailabilityZones: 'AvailabilityZone',
  DBClusterOptionGroupMemberships: 'DBClusterOptionGroup',
  DBSecurityGroups: 'DBSecurityGroup',
  DomainMemberships: 'DomainMembership',
  ProcessorFeatures: 'ProcessorFeature',
  DBInstanceAutomatedBackupsReplications: 'DBInstanceAutomatedBackupsReplication',
  DBInstanceAutomatedBackups: 'DBInstanceAutomatedBackup',
  DBClusterEndpoints: 'DBClusterEndpointList',
  GlobalClusters: 'GlobalClusterMember',
  GlobalClusterMembers: 'GlobalClusterMember',
  ExportTasks: 'ExportTask',
  // RDS API model (@aws-sdk/client-rds schemas): DBSnapshotAttributeList members are DBSnapshotAttribute,
  // DBClusterSnapshotAttributeList members DBClusterSnapshotAttribute, AttributeValueList members AttributeValue.
  DBSnapshotAttributes: 'DBSnapshotAttribute',
  DBClusterSnapshotAttributes: 'DBClusterSnapshotAttribute',
  AttributeValues: 'AttributeValue',
};

/** List members that depend on the element holding the list (`AssociatedRoles` of an instance or a cluster). */
const NESTED_LIST_MEMBERS: Record<string, string> = {
  'DBInstance.AssociatedRoles': 'DBInstanceRole',
  'DBCluster.AssociatedRoles': 'DBClusterRole',
};

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&apos;',
  );
}

/** Serialises a value as one XML element; `undefined`/`null` fields are left out. */
export function toXml(name: string, value: unknown, parent?: string): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) {
    const member = NESTED_LIST_MEMBERS[`${parent}.${name}`] ?? LIST_MEMBERS[name] ?? 'member';
    return `<${name}>${value.map((v) => toXml(member, v, name)).join('')}</${name}>`;
  }
  if (typeof value === 'object') {
    const inner = Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => toXml(k, v, name))
      .join('');
    return `<${name}>${inner}</${name}>`;
  }
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

export function successXml(
  action: string,
  result: Record<string, unknown> | undefined,
  requestId: string,
): string {
  const body = result
    ? `<${action}Result>${Object.entries(result)
        .map(([k, v]) => toXml(k, v))
        .join('')}</${action}Result>`
    : '';
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${RDS_XMLNS}">${body}` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`
  );
}

export function errorXml(code: string, message: string, requestId: string): string {
  const type = code === 'InternalFailure' ? 'Receiver' : 'Sender';
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${RDS_XMLNS}"><Error><Type>${type}</Type>` +
    `<Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error>` +
    `<RequestId>${requestId}</RequestId></ErrorResponse>`
  );
}
