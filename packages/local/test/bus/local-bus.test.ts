import path from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  PurgeQueueCommand,
  QueueDoesNotExist,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import {
  GetParameterCommand,
  GetParametersCommand,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { type Handler, type InvocationRecord, type LocalBus, startLocalBus } from '../../src/bus';

const rootDir = path.join(__dirname, 'fixtures', 'project');
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

type Entry = Record<string, unknown> & { fn: string };
const fixtureGlobal = globalThis as {
  __busFixtureLog?: Entry[];
  __busParallel?: { now: number; max: number };
};
const log = (fn: string) => (fixtureGlobal.__busFixtureLog ?? []).filter((e) => e.fn === fn);

/** Under jest, handlers are loaded as fresh module instances with jest.isolateModules. */
const loadHandler = async (file: string, exportName: string): Promise<Handler> => {
  let handler: Handler | undefined;
  jest.isolateModules(() => {
    handler = require(file)[exportName];
  });
  return handler!;
};

let bus: LocalBus;
let sqs: SQSClient;
let events: EventBridgeClient;
let ssm: SSMClient;
const seen: InvocationRecord[] = [];

beforeAll(async () => {
  bus = await startLocalBus({
    rootDir,
    timeScale: 1000,
    loadHandler,
    baseEnv: { FX_FROM_ENV: 'from-base-env' },
    onInvocation: (rec) => seen.push(rec),
  });
  const common = { endpoint: bus.url, region: 'us-east-1', credentials };
  sqs = new SQSClient(common);
  events = new EventBridgeClient(common);
  ssm = new SSMClient(common);
});

afterAll(async () => {
  sqs?.destroy();
  events?.destroy();
  ssm?.destroy();
  await bus?.stop();
});

beforeEach(async () => {
  await bus.whenIdle(5000);
  fixtureGlobal.__busFixtureLog = [];
  seen.length = 0;
});

const put = (entries: { DetailType: string; Detail: unknown; Source?: string; EventBusName?: string }[]) =>
  events.send(
    new PutEventsCommand({
      Entries: entries.map((e) => ({
        Source: e.Source ?? 'fx.test',
        DetailType: e.DetailType,
        Detail: typeof e.Detail === 'string' ? e.Detail : JSON.stringify(e.Detail),
        EventBusName: e.EventBusName ?? 'trapheus-fx-dev',
      })),
    }),
  );

const queueUrl = (name: string) => `${bus.url}/000000000000/${name}`;

describe('wiring from serverless.yml', () => {
  it('creates the buses, queues and rules the services declare', () => {
    const names = bus.queues().map((q) => q.name);
    expect(names.sort()).toEqual(
      [
        'fx-alpha-dev-parallel',
        'fx-alpha-dev-publisher',
        'fx-beta-dev-delayed',
        'fx-beta-dev-throw',
        'fx-beta-dev-throw-dlq',
        'fx-beta-dev-work',
        'fx-beta-dev-work-dlq',
      ].sort(),
    );
    const work = bus.queues().find((q) => q.name === 'fx-beta-dev-work')!;
    expect(work).toMatchObject({
      dlq: 'fx-beta-dev-work-dlq',
      dlqMessages: 0,
      url: queueUrl('fx-beta-dev-work'),
    });
    expect(bus.model.services.map((s) => s.name)).toEqual(['alpha', 'beta']);
  });
});

describe('EventBridge → SQS → Lambda', () => {
  it('routes PutEvents on the custom bus (passed by compose params) to the worker with its own env', async () => {
    const out = await put([{ DetailType: 'Work', Detail: { action: 'ok', id: 'w1' } }]);
    expect(out.FailedEntryCount).toBe(0);
    expect(out.Entries?.[0]?.EventId).toMatch(/^[0-9a-f-]{36}$/);
    await bus.whenIdle(5000);

    const [w] = log('worker');
    expect(w).toMatchObject({
      id: 'w1',
      source: 'fx.test',
      detailType: 'Work',
      receiveCount: 1,
      greeting: 'hello-dev',
      sharedAtLoad: 'beta',
      sharedNow: 'beta',
      functionName: 'fx-beta-dev-worker',
      env: {
        FROM_ENV: 'from-base-env',
        MISSING_PARAM: 'fallback-literal',
        NESTED: 'nested-dev',
        JOINED: 'a|us-east-1|000000000000',
        WORK_QUEUE_URL: queueUrl('fx-beta-dev-work'),
      },
      record: {
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:fx-beta-dev-work',
        awsRegion: 'us-east-1',
        hasReceipt: true,
      },
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      functionName: 'fx-beta-dev-worker',
      service: 'beta',
      trigger: 'sqs',
      source: 'fx-beta-dev-work',
      batchSize: 1,
      memorySize: 1024,
      result: 'ok',
    });
    expect(bus.queues().find((q) => q.name === 'fx-beta-dev-work')).toMatchObject({
      visible: 0,
      inFlight: 0,
    });
  });

  it('rejects malformed entries and unknown buses per entry', async () => {
    const out = await put([
      { DetailType: 'Work', Detail: 'not json' },
      { DetailType: 'Work', Detail: '[1,2]' },
      { DetailType: 'Work', Detail: { id: 'x' }, EventBusName: 'no-such-bus' },
      { DetailType: 'Nothing', Detail: { id: 'y' } },
    ]);
    expect(out.FailedEntryCount).toBe(3);
    expect(out.Entries?.map((e) => e.ErrorCode ?? 'ok')).toEqual([
      'MalformedDetail',
      'MalformedDetail',
      'ResourceNotFoundException',
      'ok',
    ]);
    await bus.whenIdle(5000);
    expect(log('worker')).toHaveLength(0);
  });

  it('delivers injected aws.rds events on the default bus through the rule pattern', async () => {
    bus.publish({
      source: 'aws.rds',
      'detail-type': 'RDS DB Instance Event',
      detail: { EventID: 'RDS-EVENT-0008', SourceIdentifier: 'orders-db', id: 'rds-1' },
    });
    bus.publish({
      source: 'aws.rds',
      'detail-type': 'RDS DB Instance Event',
      detail: { EventID: 'other', id: 'rds-2' },
    });
    await bus.whenIdle(5000);
    expect(log('worker').map((e) => [e.id, e.source, e.detailType])).toEqual([
      ['rds-1', 'aws.rds', 'RDS DB Instance Event'],
    ]);
  });

  it('partial batch failures: only the failed message comes back, then goes to the DLQ after maxReceiveCount 2', async () => {
    await put([
      { DetailType: 'Work', Detail: { action: 'ok', id: 'a' } },
      { DetailType: 'Work', Detail: { action: 'fail', id: 'b' } },
      { DetailType: 'Work', Detail: { action: 'ok', id: 'c' } },
    ]);
    await bus.whenIdle(5000);

    const worker = log('worker');
    expect(worker.filter((e) => e.id === 'a')).toHaveLength(1);
    expect(worker.filter((e) => e.id === 'c')).toHaveLength(1);
    expect(worker.filter((e) => e.id === 'b').map((e) => e.receiveCount)).toEqual([1, 2]);
    // the three events arrived together and were batched (batching window)
    expect(worker[0]?.batch).toBe(3);
    expect(seen.map((r) => r.result)).toEqual(['partial', 'partial']);
    expect(seen[0]?.failedMessageIds).toHaveLength(1);

    const dlq = bus.dlqMessages('fx-beta-dev-work');
    expect(dlq).toHaveLength(1);
    expect(JSON.parse(dlq[0]!.body).detail).toEqual({ action: 'fail', id: 'b' });
    expect(bus.queues().find((q) => q.name === 'fx-beta-dev-work')).toMatchObject({
      dlqMessages: 1,
      visible: 0,
    });

    // inspect and drain the DLQ with the real SQS client
    const received = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl('fx-beta-dev-work-dlq'),
        MaxNumberOfMessages: 10,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    expect(received.Messages).toHaveLength(1);
    expect(received.Messages?.[0]?.MessageId).toBe(dlq[0]!.messageId);
    expect(received.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('1');
    expect(received.Messages?.[0]?.Attributes?.DeadLetterQueueSourceArn).toBe(
      'arn:aws:sqs:us-east-1:000000000000:fx-beta-dev-work',
    );
    await sqs.send(
      new DeleteMessageCommand({
        QueueUrl: queueUrl('fx-beta-dev-work-dlq'),
        ReceiptHandle: received.Messages![0]!.ReceiptHandle!,
      }),
    );
    expect(bus.dlqMessages('fx-beta-dev-work-dlq')).toHaveLength(0);
  });

  it('an unknown itemIdentifier fails the whole batch (as Lambda does)', async () => {
    await put([{ DetailType: 'Work', Detail: { action: 'bogus', id: 'z' } }]);
    await bus.whenIdle(5000);
    expect(log('worker').map((e) => e.receiveCount)).toEqual([1, 2]);
    expect(seen.map((r) => r.result)).toEqual(['error', 'error']);
    expect(seen[0]?.error).toMatch(/invalid batchItemFailures/);
    expect(bus.dlqMessages('fx-beta-dev-work')).toHaveLength(1);
    await sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl('fx-beta-dev-work-dlq') }));
    expect(bus.dlqMessages('fx-beta-dev-work')).toHaveLength(0);
  });

  it('a throwing handler: the batch comes back after the visibility timeout, then goes to the DLQ', async () => {
    const out = await put([
      {
        DetailType: 'Throw',
        Detail: { n: 1 },
        EventBusName: 'arn:aws:events:us-east-1:000000000000:event-bus/trapheus-fx-dev',
      },
      { DetailType: 'Throw', Detail: { n: 0 } },
    ]);
    expect(out.FailedEntryCount).toBe(0);
    await bus.whenIdle(5000);
    // n: 0 does not match { numeric: ['>', 0] }
    expect(log('thrower').map((e) => [e.n, e.receiveCount])).toEqual([
      [1, '1'],
      [1, '2'],
    ]);
    expect(seen.map((r) => [r.result, r.error])).toEqual([
      ['error', 'boom 1'],
      ['error', 'boom 1'],
    ]);
    const dlq = bus.dlqMessages('fx-beta-dev-throw');
    expect(dlq.map((m) => JSON.parse(m.body).detail)).toEqual([{ n: 1 }]);
    // the disabled rule on the same bus delivered nothing
    expect(bus.deliveries().some((d) => d.rule === 'fx-beta-dev-DisabledRule')).toBe(false);
  });

  it('enforces the function timeout (not scaled) and treats it as a failure', async () => {
    await put([{ DetailType: 'Throw', Detail: { n: 2, sleep: true } }]);
    await bus.whenIdle(5000);
    const timeouts = seen.filter((r) => r.functionKey === 'thrower');
    expect(timeouts.length).toBeGreaterThanOrEqual(1);
    expect(timeouts[0]).toMatchObject({
      result: 'error',
      timedOut: true,
      error: 'Task timed out after 1.00 seconds',
    });
    expect(timeouts[0]!.durationMs).toBeGreaterThanOrEqual(990);
  });
});

describe('SQS semantics through the real client', () => {
  it('DelaySeconds (queue default and per message) holds messages back, scaled by timeScale', async () => {
    const url = queueUrl('fx-beta-dev-delayed');
    const t0 = Date.now();
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'queue-default' }));
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'explicit', DelaySeconds: 250 }));
    const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }));
    expect(attrs.Attributes).toMatchObject({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesDelayed: '2',
      ApproximateNumberOfMessagesNotVisible: '0',
      DelaySeconds: '60',
      QueueArn: 'arn:aws:sqs:us-east-1:000000000000:fx-beta-dev-delayed',
    });
    expect(bus.idle()).toBe(false);
    await bus.whenIdle(5000);
    const got = log('delayed');
    expect(got.map((e) => e.body)).toEqual(['queue-default', 'explicit']);
    expect((got[0]!.at as number) - t0).toBeGreaterThanOrEqual(55);
    expect((got[1]!.at as number) - t0).toBeGreaterThanOrEqual(240);
  });

  it('a handler sends to its own queue (delay + attributes) and publishes with PutEvents at the end', async () => {
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl('fx-alpha-dev-publisher'),
        MessageBody: JSON.stringify({ hops: 0, runId: 'r1' }),
        MessageAttributes: { origin: { DataType: 'String', StringValue: 'test' } },
      }),
    );
    await bus.whenIdle(5000);
    const hops = log('publisher');
    expect(hops.map((e) => [e.hops, e.attribute])).toEqual([
      [0, 'test'],
      [1, 'hop-0'],
      [2, 'hop-1'],
      [3, 'hop-2'],
    ]);
    // environment isolation: same variable name, different values per function, at load and at call time
    expect(hops.every((e) => e.sharedAtLoad === 'alpha' && e.sharedNow === 'alpha')).toBe(true);
    expect(hops[0]).toMatchObject({ functionName: 'fx-alpha-dev-publisher', tableName: 'fx-alpha-dev-runs' });
    const final = log('worker');
    expect(final.map((e) => [e.id, e.sharedAtLoad, e.sharedNow])).toEqual([['r1-final', 'beta', 'beta']]);
  });

  it('runs at most 5 concurrent invocations per function', async () => {
    const url = queueUrl('fx-alpha-dev-parallel');
    fixtureGlobal.__busParallel = { now: 0, max: 0 };
    const batch = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: Array.from({ length: 10 }, (_, i) => ({ Id: `m${i}`, MessageBody: `p${i}` })),
      }),
    );
    expect(batch.Successful).toHaveLength(10);
    expect(batch.Failed ?? []).toHaveLength(0);
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'p10' }));
    await bus.whenIdle(5000);
    const bodies = log('parallel').map((e) => e.body as string);
    expect(bodies.sort()).toEqual(Array.from({ length: 11 }, (_, i) => `p${i}`).sort());
    expect(log('parallel').every((e) => e.batch === 1)).toBe(true);
    expect(fixtureGlobal.__busParallel.max).toBe(5);
  });

  it('GetQueueUrl and errors the SDK parses (QueueDoesNotExist)', async () => {
    const ok = await sqs.send(new GetQueueUrlCommand({ QueueName: 'fx-beta-dev-work' }));
    expect(ok.QueueUrl).toBe(queueUrl('fx-beta-dev-work'));
    const err = await sqs.send(new GetQueueUrlCommand({ QueueName: 'nope' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QueueDoesNotExist);
    expect((err as QueueDoesNotExist).name).toBe('QueueDoesNotExist');
    expect((err as QueueDoesNotExist).$metadata.httpStatusCode).toBe(400);
    const send = await sqs
      .send(new SendMessageCommand({ QueueUrl: queueUrl('nope'), MessageBody: 'x' }))
      .catch((e: unknown) => e);
    expect(send).toBeInstanceOf(QueueDoesNotExist);
  });

  it('ReceiveMessage returns message attributes and their MD5, visibility timeout hides the message', async () => {
    const url = queueUrl('fx-beta-dev-throw-dlq');
    await sqs.send(new PurgeQueueCommand({ QueueUrl: url }));
    const sent = await sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: 'hello',
        MessageAttributes: {
          kind: { DataType: 'String', StringValue: 'probe' },
          n: { DataType: 'Number', StringValue: '42' },
        },
      }),
    );
    // md5('hello') and the attribute digest computed as SQS does
    expect(sent.MD5OfMessageBody).toBe('5d41402abc4b2a76b9719d911017c592');
    expect(sent.MD5OfMessageAttributes).toMatch(/^[0-9a-f]{32}$/);
    const r = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MessageAttributeNames: ['All'], VisibilityTimeout: 100 }),
    );
    expect(r.Messages?.[0]).toMatchObject({
      MessageId: sent.MessageId,
      Body: 'hello',
      MD5OfMessageAttributes: sent.MD5OfMessageAttributes,
      MessageAttributes: {
        kind: { DataType: 'String', StringValue: 'probe' },
        n: { DataType: 'Number', StringValue: '42' },
      },
    });
    const hidden = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url }));
    expect(hidden.Messages ?? []).toHaveLength(0);
    const attrs = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ['ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    expect(attrs.Attributes).toEqual({ ApproximateNumberOfMessagesNotVisible: '1' });
    // 100 s / 1000 = 100 ms later it is visible again (long polling waits for it)
    const again = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 2 }));
    expect(again.Messages?.[0]?.Body).toBe('hello');
    await sqs.send(new PurgeQueueCommand({ QueueUrl: url }));
  });
});

describe('SSM and schedules', () => {
  it('runSchedule fires a Scheduled Event; the handler reads a SecureString with the real SSM client', async () => {
    const missing = await bus.runSchedule('checker');
    expect(missing).toMatchObject({ result: 'error', trigger: 'schedule', source: 'rate(5 minutes)' });
    expect(log('checker')).toEqual([{ fn: 'checker', error: 'ParameterNotFound' }]);

    bus.ssm.put('/fx/dev/secret', 's3cr3t', 'SecureString');
    const rec = await bus.runSchedule('fx-alpha-dev-checker');
    expect(rec).toMatchObject({ result: 'ok', memorySize: 512, functionName: 'fx-alpha-dev-checker' });
    const entry = log('checker')[1]!;
    expect(entry).toMatchObject({
      value: 's3cr3t',
      type: 'SecureString',
      detailType: 'Scheduled Event',
      memory: '512',
      memoryEnv: '512',
    });
    expect(entry.remaining).toBeGreaterThan(4000);
    expect(entry.remaining).toBeLessThanOrEqual(5000);
  });

  it('GetParameter / GetParameters / PutParameter over the JSON protocol', async () => {
    const v = await ssm.send(new PutParameterCommand({ Name: '/fx/plain', Value: 'v1', Type: 'String' }));
    expect(v.Version).toBe(1);
    const v2 = await ssm.send(
      new PutParameterCommand({ Name: '/fx/plain', Value: 'v2', Type: 'String', Overwrite: true }),
    );
    expect(v2.Version).toBe(2);
    const dup = await ssm
      .send(new PutParameterCommand({ Name: '/fx/plain', Value: 'v3', Type: 'String' }))
      .catch((e: Error) => e.name);
    expect(dup).toBe('ParameterAlreadyExists');
    const got = await ssm.send(new GetParameterCommand({ Name: '/fx/plain' }));
    expect(got.Parameter).toMatchObject({ Name: '/fx/plain', Value: 'v2', Type: 'String', Version: 2 });
    expect(got.Parameter?.LastModifiedDate).toBeInstanceOf(Date);

    const encrypted = await ssm.send(new GetParameterCommand({ Name: '/fx/dev/secret' }));
    expect(encrypted.Parameter?.Value).not.toBe('s3cr3t');
    const many = await ssm.send(
      new GetParametersCommand({ Names: ['/fx/plain', '/fx/dev/secret', '/fx/none'], WithDecryption: true }),
    );
    expect(many.Parameters?.map((p) => [p.Name, p.Value])).toEqual([
      ['/fx/plain', 'v2'],
      ['/fx/dev/secret', 's3cr3t'],
    ]);
    expect(many.InvalidParameters).toEqual(['/fx/none']);
    const notFound = await ssm.send(new GetParameterCommand({ Name: '/fx/none' })).catch((e: Error) => e);
    expect((notFound as Error).name).toBe('ParameterNotFound');
  });
});

describe('lifecycle', () => {
  it('whenIdle rejects with the busy queues when work does not finish in time', async () => {
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl('fx-beta-dev-delayed'),
        MessageBody: 'late',
        DelaySeconds: 900,
      }),
    );
    await expect(bus.whenIdle(50)).rejects.toThrow(
      /fx-beta-dev-delayed \(visible 0, in flight 0, delayed 1\)/,
    );
    await sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl('fx-beta-dev-delayed') }));
    expect(bus.idle()).toBe(true);
  });
});
