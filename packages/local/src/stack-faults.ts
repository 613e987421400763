/**
 * Fault hooks of the local stack around the services we do not simulate ourselves: DynamoDB (dynalite, behind
 * its recording proxy), the EventBridge/SQS runner and SES (aws-ses-v2-local, behind its recording proxy). The
 * RDS simulator has its own (`stack.rds.faults`); Slack has `stack.slack.failNext`.
 *
 * A fault matches requests by operation, caller (the function's deployed name, which is its access key id on
 * the local stack) and a substring of the request body (e.g. a run id), and is consumed by `count` matching
 * requests. It can wait to be armed until the RDS simulator has answered a given call (`after`), which is how a
 * "crash after the RDS call and before the state write" is injected:
 *
 * @example
 * stack.faults.dynamo({
 *   operation: 'UpdateItem', caller: 'trapheus-restore-local-worker', match: runId, error: 'crash', count: 4,
 *   after: { action: 'ModifyDBInstance', param: { NewDBInstanceIdentifier: 'orders-db-tr-3f2a0b1c' } },
 * });
 */

import type { BusFaultAnswer, BusInterceptor } from './bus';
import type { ProxyInterceptor } from './iam-proxy';
import type { RdsCallRecord } from './rds';

/** Arms a fault only once the RDS simulator answered a matching call (status 2xx unless `anyStatus`). */
export interface AfterRdsCall {
  action: string;
  /** the RDS call's caller (function deployed name) */
  caller?: string;
  /** every listed request parameter must have this value (case-insensitive) */
  param?: Record<string, string>;
  /** also arm after a refused call */
  anyStatus?: boolean;
}

interface Common {
  /** the calling function's deployed name; any caller when absent */
  caller?: string;
  /** a substring the raw request body must contain (a run id, a queue name, a detail-type) */
  match?: string;
  /** how many matching requests fail; default 1 */
  count?: number;
  after?: AfterRdsCall;
}

export type DynamoFaultError =
  /** 500 InternalServerError: with `count` ≥ the SDK's attempts the call throws, as if the Lambda crashed there */
  | 'crash'
  /** the write is not done and answered as a failed condition */
  | 'ConditionalCheckFailedException'
  /** throttling (retried by the SDK) */
  | 'ProvisionedThroughputExceededException'
  | 'ThrottlingException';

export interface DynamoFault extends Common {
  /** `UpdateItem` (default), `PutItem`, `GetItem`, `Query`, … */
  operation?: string;
  /** table name; any when absent */
  table?: string;
  error: DynamoFaultError;
}

export interface BusFault extends Common {
  /** `sqs:SendMessage`: fails the request (500 InternalError; `count` ≥ SDK attempts = the caller gets an error) */
  /** `events:PutEvents-partial`: answers FailedEntryCount 1, the first matching entry not put */
  kind: 'sqs-send' | 'put-events-error' | 'put-events-partial';
}

export interface SesFault extends Common {
  /** `500`: InternalFailure (retryable); `MessageRejected`: 400, not retryable */
  error: '500' | 'MessageRejected';
}

interface Armed<S> {
  spec: S;
  remaining: number;
  armed: boolean;
  id: number;
  /** times it hit */
  hits: number;
}

export interface FaultHit {
  at: number;
  target: 'dynamodb' | 'bus' | 'ses';
  kind: string;
  caller?: string;
  operation: string;
  id: number;
}

const lower = (s: string) => s.toLowerCase();

export class StackFaults {
  private seq = 0;
  private readonly dynamoFaults: Armed<DynamoFault>[] = [];
  private readonly busFaults: Armed<BusFault>[] = [];
  private readonly sesFaults: Armed<SesFault>[] = [];
  private readonly hitLog: FaultHit[] = [];
  /** faults waiting for their RDS call, by that call's action: each answered call looks at its own only */
  private readonly waiting = new Map<string, Armed<Common>[]>();

  /** Resolves an access key id to a function name (the local stack's IAM recorder knows them). */
  constructor(private readonly callerOf: (accessKeyId: string | undefined) => string | undefined) {}

  dynamo(spec: DynamoFault): number {
    return this.push(this.dynamoFaults, spec);
  }

  bus(spec: BusFault): number {
    return this.push(this.busFaults, spec);
  }

  ses(spec: SesFault): number {
    return this.push(this.sesFaults, spec);
  }

  /** Faults not yet used up, armed or waiting for their RDS call. */
  pending(): { id: number; target: string; armed: boolean; remaining: number; spec: unknown }[] {
    const view = (target: string) => (a: Armed<unknown>) => ({
      id: a.id,
      target,
      armed: a.armed,
      remaining: a.remaining,
      spec: a.spec,
    });
    return [
      ...this.dynamoFaults.map(view('dynamodb')),
      ...this.busFaults.map(view('bus')),
      ...this.sesFaults.map(view('ses')),
    ];
  }

  /** Every injected failure so far. */
  hits(): FaultHit[] {
    return [...this.hitLog];
  }

  reset(): void {
    this.dynamoFaults.length = 0;
    this.busFaults.length = 0;
    this.sesFaults.length = 0;
    this.waiting.clear();
  }

  /** Feed of the RDS simulator's answered calls: arms the faults waiting for one. */
  observeRds(call: RdsCallRecord): void {
    const list = this.waiting.get(call.action);
    if (!list) return;
    for (const a of [...list]) {
      const after = a.spec.after;
      if (a.armed || !after) continue;
      if (!after.anyStatus && (call.status < 200 || call.status > 299)) continue;
      if (after.caller && this.callerOf(call.accessKeyId) !== after.caller) continue;
      const params = after.param ?? {};
      if (Object.entries(params).some(([k, v]) => lower(call.params[k] ?? '') !== lower(v))) continue;
      a.armed = true;
      list.splice(list.indexOf(a), 1);
    }
    if (list.length === 0) this.waiting.delete(call.action);
  }

  /** Hook of the DynamoDB recording proxy. */
  readonly dynamoInterceptor: ProxyInterceptor = (req) => {
    if (this.dynamoFaults.length === 0) return undefined;
    const op = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
    const table = /"TableName"\s*:\s*"([^"]+)"/.exec(req.body)?.[1];
    const hit = this.take(this.dynamoFaults, req.accessKeyId, req.body, (s) => {
      if ((s.operation ?? 'UpdateItem') !== op) return false;
      return !s.table || s.table === table;
    });
    if (!hit) return undefined;
    this.log('dynamodb', hit, op, req.accessKeyId);
    const type = (name: string) => `com.amazonaws.dynamodb.v20120810#${name}`;
    switch (hit.spec.error) {
      case 'crash':
        return answer(500, { __type: type('InternalServerError'), message: 'Injected fault: crash' });
      case 'ConditionalCheckFailedException':
        return answer(400, { __type: type(hit.spec.error), message: 'The conditional request failed' });
      default:
        return answer(400, {
          __type: type(hit.spec.error),
          message:
            'Injected fault: the level of configured provisioned throughput for the table was exceeded',
        });
    }
  };

  /** Hook of the EventBridge/SQS runner. */
  readonly busInterceptor: BusInterceptor = (req): BusFaultAnswer | undefined => {
    if (this.busFaults.length === 0) return undefined;
    // Serialized only if a fault that could match wants to look at the body.
    let body: string | undefined;
    const bodyText = () => {
      body ??= JSON.stringify(req.body);
      return body;
    };
    const target = `${req.prefix}.${req.op}`;
    const hit = this.take(this.busFaults, req.accessKeyId, bodyText, (s) => {
      if (s.kind === 'sqs-send') return target === 'AmazonSQS.SendMessage';
      return target === 'AWSEvents.PutEvents';
    });
    if (!hit) return undefined;
    this.log('bus', hit, target, req.accessKeyId);
    if (hit.spec.kind === 'sqs-send') {
      return {
        kind: 'error',
        status: 500,
        type: 'com.amazonaws.sqs#InternalError',
        message: 'Injected fault: SendMessage failed',
      };
    }
    if (hit.spec.kind === 'put-events-error') {
      return { kind: 'error', status: 500, type: 'InternalException', message: 'Injected fault' };
    }
    const entries = Array.isArray(req.body.Entries) ? req.body.Entries : [];
    const match = hit.spec.match;
    const index = match ? entries.findIndex((e) => JSON.stringify(e).includes(match)) : 0;
    return { kind: 'fail-entries', indexes: [Math.max(0, index)] };
  };

  /** Hook of the SES recording proxy (v2 `outbound-emails` and v1 `SendEmail`/`SendRawEmail`). */
  readonly sesInterceptor: ProxyInterceptor = (req) => {
    if (this.sesFaults.length === 0) return undefined;
    const isSend =
      req.method === 'POST' &&
      (req.path.startsWith('/v2/email/outbound-emails') || /Action=Send(Raw)?Email/.test(req.body));
    if (!isSend) return undefined;
    const hit = this.take(this.sesFaults, req.accessKeyId, req.body, () => true);
    if (!hit) return undefined;
    this.log('ses', hit, 'SendEmail', req.accessKeyId);
    if (hit.spec.error === 'MessageRejected') {
      return {
        status: 400,
        headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'MessageRejected' },
        body: JSON.stringify({
          __type: 'MessageRejected',
          message: 'Injected fault: Email address is not verified.',
        }),
      };
    }
    return {
      status: 500,
      headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'InternalFailure' },
      body: JSON.stringify({ __type: 'InternalFailure', message: 'Injected fault' }),
    };
  };

  private push<S extends Common>(list: Armed<S>[], spec: S): number {
    this.seq += 1;
    const count = spec.count ?? 1;
    const armed: Armed<S> = {
      spec,
      remaining: count <= 0 ? Number.POSITIVE_INFINITY : count,
      armed: !spec.after,
      id: this.seq,
      hits: 0,
    };
    list.push(armed);
    if (spec.after) {
      const waiting = this.waiting.get(spec.after.action);
      if (waiting) waiting.push(armed);
      else this.waiting.set(spec.after.action, [armed]);
    }
    return this.seq;
  }

  private take<S extends Common>(
    list: Armed<S>[],
    accessKeyId: string | undefined,
    body: string | (() => string),
    matches: (spec: S) => boolean,
  ): Armed<S> | undefined {
    const caller = this.callerOf(accessKeyId);
    const text = typeof body === 'string' ? () => body : body;
    // Cheap tests first: the body (a request's whole JSON) is searched last.
    const found = list.find(
      (a) =>
        a.armed &&
        a.remaining > 0 &&
        (!a.spec.caller || a.spec.caller === caller) &&
        matches(a.spec) &&
        (!a.spec.match || text().includes(a.spec.match)),
    );
    if (!found) return undefined;
    found.remaining -= 1;
    found.hits += 1;
    if (found.remaining <= 0) list.splice(list.indexOf(found), 1);
    return found;
  }

  private log(target: FaultHit['target'], a: Armed<Common>, operation: string, akid: string | undefined) {
    const caller = this.callerOf(akid);
    this.hitLog.push({
      at: Date.now(),
      target,
      kind: 'error' in a.spec ? String(a.spec.error) : String((a.spec as BusFault).kind),
      operation,
      id: a.id,
      ...(caller ? { caller } : {}),
    });
  }
}

const answer = (status: number, body: unknown) => ({
  status,
  body: JSON.stringify(body),
  headers: { 'content-type': 'application/x-amz-json-1.0' },
});
