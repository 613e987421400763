import { RdsError } from './errors';
import type { EventBus } from './events';
import type { AsyncFailureStatus, EventFaultSettings, FaultSpec } from './types';

/** Fault switches of a running simulator (also reachable over HTTP under `/_sim/`). */
export interface FaultController {
  /** Adds one fault; API errors and async failures are consumed by matching calls. */
  add(spec: FaultSpec): void;
  /** Replaces the event fault settings (probabilities 0..1, delay in real milliseconds). */
  setEvents(settings: EventFaultSettings): void;
  /** Removes every fault, including event faults. */
  reset(): void;
  /** Faults still armed. */
  list(): FaultSpec[];
}

interface Armed {
  spec: FaultSpec;
  remaining: number;
}

const STATUSES: readonly AsyncFailureStatus[] = [
  'incompatible-restore',
  'failed',
  'incompatible-parameters',
  'incompatible-network',
];

const isRecord = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

const isStatus = (v: unknown): v is AsyncFailureStatus =>
  typeof v === 'string' && STATUSES.some((s) => s === v);

/** An optional string field of a fault spec: absent or a string. */
function optString(spec: Record<string, unknown>, key: string): string | undefined {
  const value = spec[key];
  if (value === undefined || typeof value === 'string') return value;
  throw new Error(`${String(spec.kind)} ${key} must be a string`);
}

/** An optional number field of a fault spec: absent or a number. */
function optNumber(spec: Record<string, unknown>, key: string): number | undefined {
  const value = spec[key];
  if (value === undefined || typeof value === 'number') return value;
  throw new Error(`${String(spec.kind)} ${key} must be a number`);
}

/** Validates an untrusted fault spec (from HTTP). */
export function parseFaultSpec(spec: unknown): FaultSpec {
  const kind = isRecord(spec) ? spec.kind : undefined;
  if (!isRecord(spec) || (kind !== 'api-error' && kind !== 'async-failure' && kind !== 'throttle')) {
    throw new Error('fault spec needs kind: api-error | async-failure | throttle');
  }
  if (kind === 'throttle') {
    const { probability } = spec;
    if (typeof probability !== 'number' || probability < 0 || probability > 1) {
      throw new Error('throttle needs probability between 0 and 1');
    }
    const operation = optString(spec, 'operation');
    return { kind, probability, ...(operation !== undefined ? { operation } : {}) };
  }
  const { operation } = spec;
  if (typeof operation !== 'string' || !operation) {
    throw new Error(`${kind} needs operation`);
  }
  if (kind === 'api-error') {
    const { code } = spec;
    if (typeof code !== 'string' || !code) {
      throw new Error('api-error needs code');
    }
    const identifier = optString(spec, 'identifier');
    const message = optString(spec, 'message');
    const count = optNumber(spec, 'count');
    const httpStatus = optNumber(spec, 'httpStatus');
    return {
      kind,
      operation,
      code,
      ...(identifier !== undefined ? { identifier } : {}),
      ...(message !== undefined ? { message } : {}),
      ...(count !== undefined ? { count } : {}),
      ...(httpStatus !== undefined ? { httpStatus } : {}),
    };
  }
  const { status } = spec;
  if (!isStatus(status)) {
    throw new Error(`async-failure status must be one of ${STATUSES.join(', ')}`);
  }
  const identifier = optString(spec, 'identifier');
  const count = optNumber(spec, 'count');
  return {
    kind,
    operation,
    status,
    ...(identifier !== undefined ? { identifier } : {}),
    ...(count !== undefined ? { count } : {}),
  };
}

export class Faults implements FaultController {
  private armed: Armed[] = [];
  /**
   * The same faults, indexed: throttles (every call draws against each, in the order added), and API errors and
   * async failures by operation. A call looks at the faults of its own operation only, not at every run's.
   */
  private throttles: Armed[] = [];
  private readonly byOperation = new Map<string, Armed[]>();

  constructor(
    private readonly random: () => number,
    private readonly events: EventBus,
  ) {}

  add(spec: FaultSpec): void {
    const parsed = parseFaultSpec(spec);
    const count = 'count' in parsed && parsed.count !== undefined ? parsed.count : 1;
    const armed: Armed = { spec: parsed, remaining: count <= 0 ? Number.POSITIVE_INFINITY : count };
    this.armed.push(armed);
    if (parsed.kind === 'throttle') this.throttles.push(armed);
    else {
      const list = this.byOperation.get(parsed.operation);
      if (list) list.push(armed);
      else this.byOperation.set(parsed.operation, [armed]);
    }
  }

  setEvents(settings: EventFaultSettings): void {
    this.events.setFaults(settings);
  }

  reset(): void {
    this.armed = [];
    this.throttles = [];
    this.byOperation.clear();
    this.events.resetFaults();
  }

  list(): FaultSpec[] {
    return this.armed.map((a) => a.spec);
  }

  /** Throws the injected error (throttle or api-error) for this call, if any applies. */
  checkApi(operation: string, identifiers: string[]): void {
    for (const a of this.throttles) {
      const s = a.spec;
      if (
        s.kind === 'throttle' &&
        (!s.operation || s.operation === operation) &&
        this.random() < s.probability
      ) {
        throw new RdsError('Throttling', 'Rate exceeded', 400);
      }
    }
    const hit = this.take('api-error', operation, identifiers);
    if (hit?.kind === 'api-error') {
      throw new RdsError(hit.code, hit.message ?? `Injected fault ${hit.code}`, hit.httpStatus);
    }
  }

  /** The failure status an accepted asynchronous operation must end in, if one is armed for it. */
  takeAsyncFailure(operation: string, identifiers: string[]): AsyncFailureStatus | undefined {
    const hit = this.take('async-failure', operation, identifiers);
    return hit?.kind === 'async-failure' ? hit.status : undefined;
  }

  private take(
    kind: 'api-error' | 'async-failure',
    operation: string,
    identifiers: string[],
  ): FaultSpec | undefined {
    const list = this.byOperation.get(operation);
    const found = list?.find(
      (a) =>
        a.spec.kind === kind && (a.spec.identifier === undefined || identifiers.includes(a.spec.identifier)),
    );
    if (!list || !found) return undefined;
    found.remaining -= 1;
    if (found.remaining <= 0) {
      this.armed = this.armed.filter((a) => a !== found);
      list.splice(list.indexOf(found), 1);
      if (list.length === 0) this.byOperation.delete(operation);
    }
    return found.spec;
  }
}
