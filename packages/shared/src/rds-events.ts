/**
 * One internal shape for RDS events, whichever way they arrive: EventBridge `aws.rds` events (with
 * `SourceIdentifier` bare or `rds:`-prefixed) or RDS event-subscription messages through SNS → SQS.
 * An RDS event is a signal to look, never the truth (docs/design.md §4).
 */
import type { ResourceType } from './run';

export interface RdsSignal {
  resourceType: ResourceType;
  identifier: string;
  /** `RDS-EVENT-0043`, or `unknown`. */
  eventId: string;
  message: string;
  date?: string;
  arn?: string;
}

const ARN_TYPES: Record<string, ResourceType> = {
  db: 'db-instance',
  snapshot: 'db-snapshot',
  cluster: 'db-cluster',
  'cluster-snapshot': 'db-cluster-snapshot',
};

const SOURCE_TYPES: Record<string, ResourceType> = {
  DB_INSTANCE: 'db-instance',
  SNAPSHOT: 'db-snapshot',
  CLUSTER: 'db-cluster',
  CLUSTER_SNAPSHOT: 'db-cluster-snapshot',
  'db-instance': 'db-instance',
  'db-snapshot': 'db-snapshot',
  'db-cluster': 'db-cluster',
  'db-cluster-snapshot': 'db-cluster-snapshot',
};

/**
 * Reads resource type and identifier from an RDS ARN (`arn:aws:rds:us-east-1:123:db:orders-db`).
 * Automated snapshot ids contain a colon (`rds:orders-db-2026-…`), so everything after the type is the id.
 *
 * @example
 * parseRdsArn('arn:aws:rds:eu-west-1:1:cluster:shop') // { resourceType: 'db-cluster', identifier: 'shop' }
 */
export const parseRdsArn = (arn: string): { resourceType: ResourceType; identifier: string } | undefined => {
  const parts = arn.split(':');
  if (parts.length < 7 || parts[0] !== 'arn' || parts[2] !== 'rds') return undefined;
  const resourceType = ARN_TYPES[parts[5] ?? ''];
  const identifier = parts.slice(6).join(':');
  return resourceType && identifier ? { resourceType, identifier } : undefined;
};

/** `rds:mydb` → `mydb` for instances and clusters; automated snapshot ids really start with `rds:`. */
const stripRdsPrefix = (id: string, type: ResourceType | undefined) =>
  id.startsWith('rds:') && (type === 'db-instance' || type === 'db-cluster') ? id.slice(4) : id;

const eventIdOf = (raw: unknown): string => {
  const match = typeof raw === 'string' ? /RDS-EVENT-\d{4}/.exec(raw) : null;
  return match ? match[0] : 'unknown';
};

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

/** From an EventBridge `aws.rds` event. */
export const fromEventBridgeRdsEvent = (event: {
  resources?: readonly string[];
  detail?: unknown;
}): RdsSignal | undefined => {
  const detail = (event.detail ?? {}) as Record<string, unknown>;
  const arn = str(detail.SourceArn) ?? event.resources?.[0];
  const fromArn = arn ? parseRdsArn(arn) : undefined;
  const resourceType = fromArn?.resourceType ?? SOURCE_TYPES[str(detail.SourceType) ?? ''];
  const sourceId = str(detail.SourceIdentifier);
  const identifier = fromArn?.identifier ?? (sourceId ? stripRdsPrefix(sourceId, resourceType) : undefined);
  if (!resourceType || !identifier) return undefined;
  return {
    resourceType,
    identifier,
    eventId: eventIdOf(detail.EventID),
    message: str(detail.Message) ?? '',
    ...(str(detail.Date) ? { date: str(detail.Date) } : {}),
    ...(arn ? { arn } : {}),
  };
};

/** From the JSON `Message` of an RDS event subscription notification (SNS). */
export const fromSubscriptionMessage = (message: Record<string, unknown>): RdsSignal | undefined => {
  const arn = str(message['Source ARN']);
  const fromArn = arn ? parseRdsArn(arn) : undefined;
  const resourceType = fromArn?.resourceType ?? SOURCE_TYPES[str(message['Event Source']) ?? ''];
  const sourceId = str(message['Source ID']);
  const identifier = fromArn?.identifier ?? (sourceId ? stripRdsPrefix(sourceId, resourceType) : undefined);
  if (!resourceType || !identifier) return undefined;
  return {
    resourceType,
    identifier,
    eventId: eventIdOf(message['Event ID']),
    message: str(message['Event Message']) ?? '',
    ...(str(message['Event Time']) ? { date: str(message['Event Time']) } : {}),
    ...(arn ? { arn } : {}),
  };
};
