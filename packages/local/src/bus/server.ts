import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EventBridgeLocal, PutEventsEntry } from './eventbridge';
import { SecretsError, type SecretsManagerLocal } from './secrets';
import { type Message, type MessageAttributeValue, type SqsBroker, SqsError } from './sqs';
import { type ParameterType, SsmError, type SsmLocal } from './ssm';

/**
 * One HTTP endpoint speaking the AWS JSON protocols, dispatched on X-Amz-Target:
 * `AWSEvents.*` (JSON 1.1), `AmazonSQS.*` (JSON 1.0, query-compatible errors), `AmazonSSM.*` (JSON 1.1),
 * `secretsmanager.*` (JSON 1.1, see secrets.ts).
 */

class AwsError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
    readonly queryError?: string,
  ) {
    super(message);
  }
}

type Body = Record<string, unknown>;
type Op = (body: Body) => unknown | Promise<unknown>;

export interface ServerDeps {
  sqs: SqsBroker;
  events: EventBridgeLocal;
  ssm: SsmLocal;
  secrets: SecretsManagerLocal;
  /** Fault hook: sees each request first and may answer it with an injected failure. */
  intercept?: BusInterceptor;
}

/** A request as the fault hook sees it. */
export interface BusRequest {
  /** the SigV4 access key id (a local function's deployed name) */
  accessKeyId?: string;
  /** `AmazonSQS`, `AWSEvents`, `AmazonSSM` */
  prefix: string;
  /** `SendMessage`, `PutEvents`, … */
  op: string;
  body: Record<string, unknown>;
}

/**
 * An injected answer: an error for the whole request (nothing done), or, for PutEvents, a partial failure where
 * the listed entries fail (`FailedEntryCount` > 0) and the others are put.
 */
export type BusFaultAnswer =
  | { kind: 'error'; status: number; type: string; message: string }
  | { kind: 'fail-entries'; indexes: number[]; code?: string; message?: string };

export type BusInterceptor = (req: BusRequest) => BusFaultAnswer | undefined;

const sqsError = (e: SqsError) =>
  new AwsError(`com.amazonaws.sqs#${e.code}`, e.message, 400, `${e.queryCode};Sender`);

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function intOpt(
  v: unknown,
  name: string,
  min: number,
  max: number,
  queryCompatible = true,
): number | undefined {
  if (v === undefined || v === null) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new AwsError(
      'com.amazonaws.sqs#InvalidParameterValue',
      `Value ${String(v)} for parameter ${name} is invalid. Reason: must be between ${min} and ${max}.`,
      400,
      queryCompatible ? 'InvalidParameterValue;Sender' : undefined,
    );
  }
  return n;
}

function attrsIn(v: unknown): Record<string, MessageAttributeValue> {
  if (!v || typeof v !== 'object') return {};
  const out: Record<string, MessageAttributeValue> = {};
  for (const [k, a] of Object.entries(v as Record<string, Record<string, unknown>>)) {
    const DataType = str(a.DataType);
    if (!DataType) {
      throw new AwsError(
        'com.amazonaws.sqs#InvalidParameterValue',
        `The message attribute '${k}' must contain non-empty message attribute type.`,
        400,
        'InvalidParameterValue;Sender',
      );
    }
    out[k] = {
      DataType,
      ...(a.StringValue !== undefined ? { StringValue: String(a.StringValue) } : {}),
      ...(a.BinaryValue !== undefined ? { BinaryValue: String(a.BinaryValue) } : {}),
    };
  }
  return out;
}

function wanted(names: unknown, key: string): boolean {
  if (!Array.isArray(names)) return false;
  return names.includes('All') || names.includes(key) || names.includes('.*');
}

function messageOut(m: Message, body: Body): Record<string, unknown> {
  const sys = [
    ...(Array.isArray(body.AttributeNames) ? body.AttributeNames : []),
    ...(Array.isArray(body.MessageSystemAttributeNames) ? body.MessageSystemAttributeNames : []),
  ];
  const all: Record<string, string> = {
    SenderId: m.senderId,
    SentTimestamp: String(m.sentTimestamp),
    ApproximateReceiveCount: String(m.receiveCount),
    ApproximateFirstReceiveTimestamp: String(m.firstReceiveTimestamp ?? m.sentTimestamp),
    ...(m.deadLetterQueueSourceArn ? { DeadLetterQueueSourceArn: m.deadLetterQueueSourceArn } : {}),
  };
  const Attributes: Record<string, string> = {};
  for (const [k, v] of Object.entries(all)) if (wanted(sys, k)) Attributes[k] = v;
  const names = body.MessageAttributeNames;
  const MessageAttributes: Record<string, MessageAttributeValue> = {};
  for (const [k, v] of Object.entries(m.messageAttributes)) {
    const prefixMatch =
      Array.isArray(names) &&
      names.some((n) => typeof n === 'string' && n.endsWith('.*') && k.startsWith(n.slice(0, -2)));
    if (wanted(names, k) || prefixMatch) MessageAttributes[k] = v;
  }
  return {
    MessageId: m.messageId,
    ReceiptHandle: m.receiptHandle,
    MD5OfBody: m.md5OfBody,
    Body: m.body,
    ...(Object.keys(Attributes).length ? { Attributes } : {}),
    ...(Object.keys(MessageAttributes).length ? { MessageAttributes } : {}),
    ...(m.md5OfMessageAttributes && Object.keys(MessageAttributes).length
      ? { MD5OfMessageAttributes: m.md5OfMessageAttributes }
      : {}),
  };
}

export function sqsOperations({ sqs }: ServerDeps): Record<string, Op> {
  const send = (queueUrl: unknown, entry: Body) => {
    const q = sqs.resolve(str(queueUrl));
    const m = q.send(str(entry.MessageBody) ?? '', {
      delaySeconds: intOpt(entry.DelaySeconds, 'DelaySeconds', 0, 900),
      messageAttributes: attrsIn(entry.MessageAttributes),
    });
    return {
      MessageId: m.messageId,
      MD5OfMessageBody: m.md5OfBody,
      ...(m.md5OfMessageAttributes ? { MD5OfMessageAttributes: m.md5OfMessageAttributes } : {}),
    };
  };
  return {
    SendMessage: (b) => send(b.QueueUrl, b),
    SendMessageBatch: (b) => {
      sqs.resolve(str(b.QueueUrl));
      const entries = Array.isArray(b.Entries) ? (b.Entries as Body[]) : [];
      if (entries.length === 0 || entries.length > 10) {
        throw new AwsError(
          'com.amazonaws.sqs#EmptyBatchRequest',
          'There should be at least one SendMessageBatchRequestEntry in the request.',
          400,
          'AWS.SimpleQueueService.EmptyBatchRequest;Sender',
        );
      }
      const Successful: unknown[] = [];
      const Failed: unknown[] = [];
      for (const e of entries) {
        try {
          Successful.push({ Id: e.Id, ...send(b.QueueUrl, e) });
        } catch (err) {
          const code =
            err instanceof SqsError
              ? err.code
              : err instanceof AwsError
                ? err.type.split('#').pop()
                : 'InternalError';
          Failed.push({ Id: e.Id, SenderFault: true, Code: code, Message: (err as Error).message });
        }
      }
      return { Successful, Failed };
    },
    ReceiveMessage: async (b) => {
      const q = sqs.resolve(str(b.QueueUrl));
      const max = intOpt(b.MaxNumberOfMessages, 'MaxNumberOfMessages', 1, 10) ?? 1;
      const vis = intOpt(b.VisibilityTimeout, 'VisibilityTimeout', 0, 43200);
      const wait =
        intOpt(b.WaitTimeSeconds, 'WaitTimeSeconds', 0, 20) ?? q.def.receiveMessageWaitTimeSeconds ?? 0;
      const msgs = await q.receiveWait(max, vis, wait);
      return { Messages: msgs.map((m) => messageOut(m, b)) };
    },
    DeleteMessage: (b) => {
      sqs.resolve(str(b.QueueUrl)).delete(str(b.ReceiptHandle) ?? '');
      return {};
    },
    DeleteMessageBatch: (b) => {
      const q = sqs.resolve(str(b.QueueUrl));
      const Successful: unknown[] = [];
      const Failed: unknown[] = [];
      for (const e of (Array.isArray(b.Entries) ? b.Entries : []) as Body[]) {
        try {
          q.delete(str(e.ReceiptHandle) ?? '');
          Successful.push({ Id: e.Id });
        } catch (err) {
          Failed.push({
            Id: e.Id,
            SenderFault: true,
            Code: (err as SqsError).code,
            Message: (err as Error).message,
          });
        }
      }
      return { Successful, Failed };
    },
    ChangeMessageVisibility: (b) => {
      const q = sqs.resolve(str(b.QueueUrl));
      q.changeVisibility(
        str(b.ReceiptHandle) ?? '',
        intOpt(b.VisibilityTimeout, 'VisibilityTimeout', 0, 43200) ?? 0,
      );
      return {};
    },
    GetQueueUrl: (b) => ({ QueueUrl: sqs.resolve(str(b.QueueName)).url }),
    ListQueues: (b) => {
      const prefix = str(b.QueueNamePrefix) ?? '';
      return {
        QueueUrls: sqs
          .list()
          .filter((q) => q.name.startsWith(prefix))
          .map((q) => q.url),
      };
    },
    CreateQueue: (b) => {
      const name = str(b.QueueName);
      if (!name)
        throw sqsError(new SqsError('MissingParameter', 'MissingParameter', 'QueueName is required.'));
      const a = (b.Attributes ?? {}) as Record<string, string>;
      const redrive = a.RedrivePolicy
        ? (JSON.parse(a.RedrivePolicy) as { deadLetterTargetArn: string; maxReceiveCount: number })
        : undefined;
      const q = sqs.createQueue({
        name,
        delaySeconds: a.DelaySeconds !== undefined ? Number(a.DelaySeconds) : undefined,
        visibilityTimeout: a.VisibilityTimeout !== undefined ? Number(a.VisibilityTimeout) : undefined,
        messageRetentionPeriod:
          a.MessageRetentionPeriod !== undefined ? Number(a.MessageRetentionPeriod) : undefined,
        redrivePolicy: redrive ? { ...redrive, maxReceiveCount: Number(redrive.maxReceiveCount) } : undefined,
      });
      return { QueueUrl: q.url };
    },
    GetQueueAttributes: (b) => {
      const q = sqs.resolve(str(b.QueueUrl));
      const s = q.stats();
      const all: Record<string, string> = {
        QueueArn: q.arn,
        ApproximateNumberOfMessages: String(s.visible),
        ApproximateNumberOfMessagesNotVisible: String(s.inFlight),
        ApproximateNumberOfMessagesDelayed: String(s.delayed),
        DelaySeconds: String(q.def.delaySeconds ?? 0),
        VisibilityTimeout: String(q.visibilityTimeout),
        MessageRetentionPeriod: String(q.def.messageRetentionPeriod ?? 345600),
        ReceiveMessageWaitTimeSeconds: String(q.def.receiveMessageWaitTimeSeconds ?? 0),
        MaximumMessageSize: '262144',
        ...(q.def.redrivePolicy ? { RedrivePolicy: JSON.stringify(q.def.redrivePolicy) } : {}),
      };
      const names = Array.isArray(b.AttributeNames) ? (b.AttributeNames as string[]) : [];
      const Attributes: Record<string, string> = {};
      for (const [k, v] of Object.entries(all))
        if (names.includes('All') || names.includes(k)) Attributes[k] = v;
      return { Attributes };
    },
    PurgeQueue: (b) => {
      sqs.resolve(str(b.QueueUrl)).purge();
      return {};
    },
  };
}

export function eventsOperations({ events }: ServerDeps): Record<string, Op> {
  const busOut = (name: string) => ({ Name: name, Arn: events.busArn(name) });
  return {
    PutEvents: (b) => {
      const entries = Array.isArray(b.Entries) ? (b.Entries as PutEventsEntry[]) : [];
      if (entries.length === 0 || entries.length > 10) {
        throw new AwsError(
          'ValidationException',
          `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and 10`,
        );
      }
      return events.putEvents(entries);
    },
    DescribeEventBus: (b) => {
      const name = events.resolveBus(str(b.Name));
      if (!name)
        throw new AwsError('ResourceNotFoundException', `Event bus ${String(b.Name)} does not exist.`);
      return busOut(name);
    },
    ListEventBuses: (b) => ({
      EventBuses: events
        .busNames()
        .filter((n) => n.startsWith(str(b.NamePrefix) ?? ''))
        .map(busOut),
    }),
    ListRules: (b) => {
      const bus = events.resolveBus(str(b.EventBusName));
      if (!bus)
        throw new AwsError(
          'ResourceNotFoundException',
          `Event bus ${String(b.EventBusName)} does not exist.`,
        );
      return {
        Rules: events
          .rules(bus)
          .filter((r) => r.name.startsWith(str(b.NamePrefix) ?? ''))
          .map((r) => ({
            Name: r.name,
            Arn: r.arn,
            EventBusName: r.busName,
            State: r.enabled ? 'ENABLED' : 'DISABLED',
            ...(r.pattern ? { EventPattern: JSON.stringify(r.pattern) } : {}),
          })),
      };
    },
  };
}

export function ssmOperations({ ssm }: ServerDeps): Record<string, Op> {
  const wrap = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      if (e instanceof SsmError) throw new AwsError(e.code, e.message);
      throw e;
    }
  };
  return {
    GetParameter: (b) => wrap(() => ({ Parameter: ssm.get(str(b.Name) ?? '', b.WithDecryption === true) })),
    GetParameters: (b) => {
      const names = Array.isArray(b.Names) ? (b.Names as string[]) : [];
      const Parameters: unknown[] = [];
      const InvalidParameters: string[] = [];
      for (const n of names) {
        const v = ssm.view(n, b.WithDecryption === true);
        if (v) Parameters.push(v);
        else InvalidParameters.push(n);
      }
      return { Parameters, InvalidParameters };
    },
    PutParameter: (b) =>
      wrap(() => ({
        Version: ssm.put(
          str(b.Name) ?? '',
          str(b.Value) ?? '',
          (str(b.Type) ?? 'String') as ParameterType,
          b.Overwrite === true || !ssm.view(str(b.Name) ?? '', false),
        ),
        Tier: 'Standard',
      })),
    DeleteParameter: (b) =>
      wrap(() => {
        ssm.delete(str(b.Name) ?? '');
        return {};
      }),
  };
}

/** Secrets Manager API Reference: CreateSecret, PutSecretValue, GetSecretValue (see secrets.ts). */
export function secretsOperations({ secrets }: ServerDeps): Record<string, Op> {
  const wrap = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      if (e instanceof SecretsError) throw new AwsError(e.code, e.message);
      throw e;
    }
  };
  return {
    CreateSecret: (b) =>
      wrap(() => secrets.create(str(b.Name) ?? '', str(b.SecretString) ?? '', str(b.KmsKeyId))),
    PutSecretValue: (b) => wrap(() => secrets.put(str(b.SecretId) ?? '', str(b.SecretString) ?? '')),
    GetSecretValue: (b) =>
      wrap(() => secrets.get(str(b.SecretId) ?? '', str(b.VersionId), str(b.VersionStage))),
  };
}

const SERVICES: Record<string, { contentType: string; ops: (d: ServerDeps) => Record<string, Op> }> = {
  AmazonSQS: { contentType: 'application/x-amz-json-1.0', ops: sqsOperations },
  AWSEvents: { contentType: 'application/x-amz-json-1.1', ops: eventsOperations },
  AmazonSSM: { contentType: 'application/x-amz-json-1.1', ops: ssmOperations },
  secretsmanager: { contentType: 'application/x-amz-json-1.1', ops: secretsOperations },
};

export interface RunningServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** IAM check hook: each request's target, body and answer status, with the caller's access key id. */
export type BusCallRecorder = (
  accessKeyId: string | undefined,
  prefix: string,
  op: string,
  body: Body,
  status: number,
) => void;

const accessKeyIdOfHeader = (h: string | string[] | undefined) =>
  /Credential=([^/,\s]+)\//.exec(String(h ?? ''))?.[1];

export async function startServer(
  deps: ServerDeps,
  host = '127.0.0.1',
  port = 0,
  record?: BusCallRecorder,
): Promise<RunningServer> {
  const tables: Record<string, Record<string, Op>> = {};
  for (const [prefix, s] of Object.entries(SERVICES)) tables[prefix] = s.ops(deps);

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const target = String(req.headers['x-amz-target'] ?? '');
    const [prefix = '', op = ''] = target.split('.');
    const service = SERVICES[prefix];
    const requestId = randomUUID();
    let parsed: Body | undefined;
    const reply = (status: number, payload: unknown, extraHeaders: Record<string, string> = {}) => {
      if (record && parsed && service) {
        const auth = String(req.headers.authorization ?? '');
        record(/Credential=([^/,\s]+)\//.exec(auth)?.[1], prefix, op, parsed, status);
      }
      const text = JSON.stringify(payload);
      res.writeHead(status, {
        'content-type': service?.contentType ?? 'application/x-amz-json-1.1',
        'content-length': Buffer.byteLength(text),
        'x-amzn-requestid': requestId,
        ...extraHeaders,
      });
      res.end(text);
    };
    if (!service) {
      reply(400, { __type: 'UnknownOperationException', message: `Unknown X-Amz-Target "${target}"` });
      return;
    }
    const fn = tables[prefix]?.[op];
    if (!fn) {
      reply(400, {
        __type: 'UnknownOperationException',
        message: `${prefix}.${op} is not supported by the local bus`,
      });
      return;
    }
    let body: Body;
    try {
      const text = Buffer.concat(chunks).toString('utf8');
      body = text ? (JSON.parse(text) as Body) : {};
      parsed = body;
    } catch {
      reply(400, { __type: 'SerializationException', message: 'Request body is not valid JSON' });
      return;
    }
    const fault = deps.intercept?.({
      ...(accessKeyIdOfHeader(req.headers.authorization) !== undefined
        ? { accessKeyId: accessKeyIdOfHeader(req.headers.authorization) }
        : {}),
      prefix,
      op,
      body,
    });
    if (fault?.kind === 'error') {
      const queryError = prefix === 'AmazonSQS' ? `${fault.type.split('#').pop()};Receiver` : undefined;
      reply(
        fault.status,
        { __type: fault.type, message: fault.message },
        queryError ? { 'x-amzn-query-error': queryError } : {},
      );
      return;
    }
    if (fault?.kind === 'fail-entries' && prefix === 'AWSEvents' && op === 'PutEvents') {
      const entries = Array.isArray(body.Entries) ? (body.Entries as PutEventsEntry[]) : [];
      const Entries = entries.map((e, i) =>
        fault.indexes.includes(i)
          ? {
              ErrorCode: fault.code ?? 'InternalFailure',
              ErrorMessage: fault.message ?? 'Injected fault: the entry was not put',
            }
          : deps.events.putEvents([e]).Entries[0],
      );
      reply(200, { FailedEntryCount: Entries.filter((e) => e && 'ErrorCode' in e).length, Entries });
      return;
    }
    try {
      reply(200, (await fn(body)) ?? {});
    } catch (e) {
      const err = e instanceof SqsError ? sqsError(e) : e;
      if (err instanceof AwsError) {
        reply(
          err.status,
          { __type: err.type, message: err.message },
          err.queryError ? { 'x-amzn-query-error': err.queryError } : {},
        );
      } else {
        reply(500, { __type: 'InternalFailure', message: (err as Error)?.message ?? String(err) });
      }
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(e));
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const url = `http://${host}:${addr.port}`;
  return {
    url,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
