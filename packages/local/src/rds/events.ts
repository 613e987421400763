import { uuid } from './random';
import type { Scheduler } from './scheduler';
import type { EventFaultSettings, RdsEventBridgeEvent, RdsEventDetailType, RdsSourceType } from './types';

const DETAIL_TYPES: Record<RdsSourceType, RdsEventDetailType> = {
  DB_INSTANCE: 'RDS DB Instance Event',
  SNAPSHOT: 'RDS DB Snapshot Event',
  CLUSTER: 'RDS DB Cluster Event',
  CLUSTER_SNAPSHOT: 'RDS DB Cluster Snapshot Event',
};

/** Documented RDS event ids with their category and message. */
export const EVENT_CATALOG: Record<string, { categories: string[]; message: (extra?: string) => string }> = {
  'RDS-EVENT-0003': { categories: ['deletion'], message: () => 'DB instance deleted' },
  'RDS-EVENT-0005': { categories: ['creation'], message: () => 'DB instance created' },
  'RDS-EVENT-0031': {
    categories: ['failure'],
    message: (s) => `DB instance put into ${s ?? 'failed'} state`,
  },
  'RDS-EVENT-0035': {
    categories: ['failure'],
    message: () => 'Database instance put into incompatible-parameters state',
  },
  'RDS-EVENT-0036': {
    categories: ['failure'],
    message: () =>
      'The DB instance is in an incompatible network. Some of the specified subnet IDs are invalid',
  },
  'RDS-EVENT-0278': {
    categories: ['failure'],
    message: (s) => `The creation of the DB instance failed${s ? ` (${s})` : ''}`,
  },
  // RDS User Guide, "Amazon RDS event categories and event messages" (USER_Events.Messages), DB instance events:
  // RDS-EVENT-0019, category restoration, "Restored from DB instance name to name." ("The DB instance has been
  // restored from a point-in-time backup."). `extra` is "<source> to <target>".
  'RDS-EVENT-0019': {
    categories: ['restoration'],
    message: (s) => `Restored from DB instance ${s ?? ''}.`,
  },
  'RDS-EVENT-0040': { categories: ['creation'], message: () => 'Creating manual snapshot' },
  'RDS-EVENT-0041': { categories: ['deletion'], message: () => 'Deleted manual snapshot' },
  'RDS-EVENT-0042': { categories: ['creation'], message: () => 'Manual snapshot created' },
  'RDS-EVENT-0043': {
    categories: ['restoration'],
    message: (s) => `Restored from snapshot ${s ?? ''}`.trim(),
  },
  // RDS User Guide, "Amazon RDS event categories and event messages" (USER_Events.Messages), DB snapshot events,
  // category notification: RDS-EVENT-0196 "Started copy of snapshot name in region name." and RDS-EVENT-0197
  // "Finished copy of snapshot name in region name." (a copy in the same Region). `extra` is "<name> in region
  // <region>".
  'RDS-EVENT-0196': {
    categories: ['notification'],
    message: (s) => `Started copy of snapshot ${s ?? ''}.`,
  },
  'RDS-EVENT-0197': {
    categories: ['notification'],
    message: (s) => `Finished copy of snapshot ${s ?? ''}.`,
  },
  'RDS-EVENT-0074': { categories: ['backup'], message: () => 'Creating manual cluster snapshot' },
  'RDS-EVENT-0075': { categories: ['backup'], message: () => 'Manual cluster snapshot created' },
  'RDS-EVENT-0170': { categories: ['creation'], message: () => 'DB cluster created' },
  'RDS-EVENT-0171': { categories: ['deletion'], message: () => 'DB cluster deleted' },
  'RDS-EVENT-0172': { categories: ['notification'], message: (s) => `Renamed cluster ${s ?? ''}`.trim() },
  // User Guide, "Amazon RDS event categories and event messages": DB snapshot events (category notification).
  'RDS-EVENT-0159': { categories: ['notification'], message: () => 'The snapshot export task failed.' },
  'RDS-EVENT-0160': { categories: ['notification'], message: () => 'The snapshot export task was canceled.' },
  'RDS-EVENT-0161': { categories: ['notification'], message: () => 'The snapshot export task completed.' },
  // Same page, DB cluster snapshot events (category notification).
  'RDS-EVENT-0162': {
    categories: ['notification'],
    message: () => 'The cluster snapshot export task failed.',
  },
  'RDS-EVENT-0163': {
    categories: ['notification'],
    message: () => 'The cluster snapshot export task was canceled.',
  },
  'RDS-EVENT-0164': {
    categories: ['notification'],
    message: () => 'The cluster snapshot export task completed.',
  },
  // Aurora User Guide, DB cluster events: "You can't create the DB cluster because of incompatible resources.
  // message" (category failure).
  'RDS-EVENT-0354': {
    categories: ['failure'],
    message: (s) => `You can't create the DB cluster because of incompatible resources. ${s ?? ''}`.trim(),
  },
};

export interface EventSource {
  sourceType: RdsSourceType;
  identifier: string;
  arn: string;
}

export interface EventBusOptions {
  region: string;
  accountId: string;
  sourceIdentifierPrefix: boolean;
  random: () => number;
  scheduler: Scheduler;
  onEvent?: (event: RdsEventBridgeEvent) => void;
  /** Longest a reordered event is held back when no later event comes (real ms). */
  reorderMaxHoldMs?: number;
}

/** Builds `aws.rds` events and delivers them through the configured faults (drop, duplicate, reorder, delay). */
export class EventBus {
  private settings: EventFaultSettings = {};
  private held: RdsEventBridgeEvent | undefined;
  private readonly emitted: RdsEventBridgeEvent[] = [];
  private readonly delivered: RdsEventBridgeEvent[] = [];

  constructor(private readonly opts: EventBusOptions) {}

  setFaults(settings: EventFaultSettings): void {
    this.settings = { ...settings };
  }

  resetFaults(): void {
    this.settings = {};
    this.flushHeld();
  }

  /** Events as the simulator produced them, before faults. */
  emittedEvents(): RdsEventBridgeEvent[] {
    return [...this.emitted];
  }

  /** Events as handed to `onEvent` (after faults), in delivery order. */
  deliveredEvents(): RdsEventBridgeEvent[] {
    return [...this.delivered];
  }

  emit(source: EventSource, eventId: string, extra?: string): RdsEventBridgeEvent {
    const entry = EVENT_CATALOG[eventId];
    const now = new Date().toISOString();
    // EventBridge's envelope time has second precision; the RDS detail Date keeps milliseconds.
    const time = now.replace(/\.\d{3}Z$/, 'Z');
    const event: RdsEventBridgeEvent = {
      version: '0',
      id: uuid(),
      'detail-type': DETAIL_TYPES[source.sourceType],
      source: 'aws.rds',
      account: this.opts.accountId,
      time,
      region: this.opts.region,
      resources: [source.arn],
      detail: {
        EventCategories: entry?.categories ?? ['notification'],
        SourceType: source.sourceType,
        SourceArn: source.arn,
        Date: now,
        Message: entry?.message(extra) ?? eventId,
        SourceIdentifier: this.opts.sourceIdentifierPrefix ? `rds:${source.identifier}` : source.identifier,
        EventID: eventId,
      },
    };
    this.emitted.push(event);
    this.route(event);
    return event;
  }

  private route(event: RdsEventBridgeEvent): void {
    const { drop = 0, duplicate = 0, reorder = 0 } = this.settings;
    const random = this.opts.random;
    if (drop > 0 && random() < drop) return;
    const copies = duplicate > 0 && random() < duplicate ? 2 : 1;
    if (!this.held && reorder > 0 && random() < reorder) {
      this.held = event;
      const holdMs = this.opts.reorderMaxHoldMs ?? 1000;
      this.opts.scheduler.afterMs(holdMs, () => {
        if (this.held === event) this.flushHeld();
      });
      return;
    }
    for (let i = 0; i < copies; i++) this.deliver(event);
    this.flushHeld();
  }

  private flushHeld(): void {
    const held = this.held;
    this.held = undefined;
    if (held) this.deliver(held);
  }

  private deliver(event: RdsEventBridgeEvent): void {
    const delayMs = this.settings.delayMs ?? 0;
    const send = () => {
      this.delivered.push(event);
      try {
        this.opts.onEvent?.(structuredClone(event));
      } catch (err) {
        console.error('[rds-simulator] onEvent handler threw', err);
      }
    };
    if (delayMs > 0) this.opts.scheduler.afterMs(delayMs, send);
    else send();
  }
}
