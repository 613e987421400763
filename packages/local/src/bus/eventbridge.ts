import { randomUUID } from 'node:crypto';
import { compilePattern } from './pattern';

/** In-memory EventBridge: buses, rules with event patterns, delivery to SQS targets. */

export interface EventBridgeEvent {
  version?: string;
  id?: string;
  'detail-type': string;
  source: string;
  account?: string;
  time?: string;
  region?: string;
  resources?: string[];
  detail: unknown;
  [k: string]: unknown;
}

export interface LocalRule {
  name: string;
  arn: string;
  busName: string;
  service?: string;
  pattern?: Record<string, unknown>;
  enabled: boolean;
  targets: { id: string; arn: string; queueName?: string; input?: string; inputPath?: string }[];
}

export interface PutEventsEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  EventBusName?: string;
  Time?: number | string | Date;
  Resources?: string[];
  TraceHeader?: string;
}

export type PutEventsResultEntry = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

export interface Delivery {
  rule: string;
  target: string;
  queueName?: string;
  eventId: string;
  ok: boolean;
  error?: string;
}

/** An event about to be routed: its id is known. */
type RoutedEvent = EventBridgeEvent & { id: string };

interface CompiledRule extends LocalRule {
  matches: (event: unknown) => boolean;
}

/** EventBridge time format: second precision, Z. */
export const eventTime = (d: Date): string => `${d.toISOString().slice(0, 19)}Z`;

export class EventBridgeLocal {
  private readonly buses = new Map<string, { name: string; arn: string; rules: CompiledRule[] }>();
  readonly deliveries: Delivery[] = [];
  private readonly subscribers = new Set<{
    busName: string;
    matches: (event: unknown) => boolean;
    listener: (event: EventBridgeEvent) => void;
  }>();

  /**
   * An in-process target (a test's stand-in for a Lambda target of a rule): `listener` gets each event on `busName`
   * matching `pattern`, after the rules' deliveries, on a later tick. Returns the unsubscribe function.
   */
  subscribe(busName: string, pattern: Record<string, unknown>, listener: (event: EventBridgeEvent) => void) {
    const entry = { busName, matches: compilePattern(pattern), listener };
    this.subscribers.add(entry);
    return () => void this.subscribers.delete(entry);
  }

  constructor(
    private readonly opts: {
      region: string;
      accountId: string;
      /** delivers a message body to a queue; throws when the queue is unknown */
      sendToQueue: (queueName: string, body: string) => void;
    },
  ) {
    this.addBus('default');
  }

  busArn(name: string): string {
    return `arn:aws:events:${this.opts.region}:${this.opts.accountId}:event-bus/${name}`;
  }

  addBus(name: string): void {
    if (!this.buses.has(name)) this.buses.set(name, { name, arn: this.busArn(name), rules: [] });
  }

  hasBus(name: string): boolean {
    return this.buses.has(name);
  }

  busNames(): string[] {
    return [...this.buses.keys()];
  }

  /** Adds a rule; its pattern is validated here (an invalid pattern throws). */
  addRule(rule: LocalRule): void {
    const bus = this.buses.get(rule.busName);
    if (!bus) throw new Error(`rule ${rule.name}: event bus "${rule.busName}" does not exist`);
    const matches = rule.pattern ? compilePattern(rule.pattern) : () => false;
    bus.rules.push({ ...rule, matches });
  }

  rules(busName?: string): LocalRule[] {
    const list = busName
      ? [this.buses.get(busName)?.rules ?? []]
      : [...this.buses.values()].map((b) => b.rules);
    return list.flat().map(({ matches: _m, ...r }) => r);
  }

  /** Resolves a bus given by name or ARN; undefined when unknown. */
  resolveBus(ref: string | undefined): string | undefined {
    const r = ref ?? 'default';
    const name = r.startsWith('arn:') ? r.slice(r.indexOf('event-bus/') + 'event-bus/'.length) : r;
    return this.buses.has(name) ? name : undefined;
  }

  putEvents(entries: PutEventsEntry[]): { FailedEntryCount: number; Entries: PutEventsResultEntry[] } {
    const results = entries.map((e) => this.putOne(e));
    return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
  }

  private putOne(e: PutEventsEntry): PutEventsResultEntry {
    const busName = this.resolveBus(e.EventBusName);
    if (!busName) {
      return {
        ErrorCode: 'ResourceNotFoundException',
        ErrorMessage: `Event bus ${e.EventBusName} does not exist.`,
      };
    }
    const invalid = (field: string): PutEventsResultEntry => ({
      ErrorCode: 'InvalidArgument',
      ErrorMessage: `Parameter ${field} is not valid. Reason: ${field} is a required argument.`,
    });
    const { Source: source, DetailType: detailType, Detail: detailText } = e;
    if (typeof source !== 'string' || source.length === 0) return invalid('Source');
    if (typeof detailType !== 'string' || detailType.length === 0) return invalid('DetailType');
    if (typeof detailText !== 'string' || detailText.length === 0) return invalid('Detail');
    let detail: unknown;
    try {
      detail = JSON.parse(detailText);
    } catch {
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    }
    if (detail === null || typeof detail !== 'object' || Array.isArray(detail)) {
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    }
    const time =
      e.Time === undefined ? new Date() : new Date(typeof e.Time === 'number' ? e.Time * 1000 : e.Time);
    const event: RoutedEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': detailType,
      source,
      account: this.opts.accountId,
      time: eventTime(Number.isNaN(time.getTime()) ? new Date() : time),
      region: this.opts.region,
      resources: e.Resources ?? [],
      detail,
    };
    this.route(event, busName);
    return { EventId: event.id };
  }

  /** Injects a full event (missing envelope fields are filled in) and routes it. Returns the event id. */
  publish(event: EventBridgeEvent, busName = 'default'): string {
    const name = this.resolveBus(busName);
    if (!name) throw new Error(`Event bus ${busName} does not exist.`);
    const full: RoutedEvent = {
      version: '0',
      account: this.opts.accountId,
      time: eventTime(new Date()),
      region: this.opts.region,
      resources: [],
      ...event,
      id: event.id ?? randomUUID(),
    };
    this.route(full, name);
    return full.id;
  }

  private route(event: RoutedEvent, busName: string): void {
    const bus = this.buses.get(busName);
    if (!bus) throw new Error(`Event bus ${busName} does not exist.`);
    for (const rule of bus.rules) {
      if (!rule.enabled || !rule.matches(event)) continue;
      for (const target of rule.targets) {
        const delivery: Delivery = { rule: rule.name, target: target.id, eventId: event.id, ok: true };
        if (!target.queueName) {
          delivery.ok = false;
          delivery.error = `target ${target.arn} is not an SQS queue (not supported locally)`;
        } else {
          delivery.queueName = target.queueName;
          try {
            this.opts.sendToQueue(target.queueName, targetBody(event, target));
          } catch (err) {
            delivery.ok = false;
            delivery.error = (err as Error).message;
          }
        }
        this.deliveries.push(delivery);
      }
    }
    for (const sub of this.subscribers) {
      if (sub.busName === busName && sub.matches(event))
        setImmediate(() => sub.listener(structuredClone(event)));
    }
  }
}

function targetBody(event: EventBridgeEvent, target: LocalRule['targets'][number]): string {
  if (target.input !== undefined) return target.input;
  if (target.inputPath) {
    const segments = target.inputPath
      .replace(/^\$\.?/, '')
      .split('.')
      .filter(Boolean);
    let v: unknown = event;
    for (const s of segments) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[s] : undefined;
    return JSON.stringify(v ?? null);
  }
  return JSON.stringify(event);
}
