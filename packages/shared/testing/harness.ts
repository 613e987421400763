/**
 * A unit-test harness for the reconciling services: real engines, real step functions, real waiter and
 * publisher, over the in-memory run repository, the fake RDS, and mocked SQS/EventBridge clients whose
 * outputs are captured. A test delivers signals by hand, or drains them the way the queues would.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import {
  buildEngine,
  buildPublisher,
  buildWaiter,
  createLogger,
  type Engine,
  type Publisher,
  parseSignal,
  type RDSClientLike,
  type RunRepository,
  type ServiceName,
  type ServiceSteps,
  type Signal,
  serviceFor,
  type Waiter,
} from './deps';
import { createFakeRds, type FakeRds } from './fake-rds';
import { buildMemoryRunRepository } from './memory-runs';

export interface StepDeps {
  rds: RDSClientLike;
  runs: RunRepository;
  waiter: Waiter;
  publish: Publisher;
}

export type StepBuilder = (deps: StepDeps) => ServiceSteps;

export interface Delivery {
  service: ServiceName | 'notify';
  body: string;
  detailType?: string;
  delaySeconds?: number;
}

const QUEUE_URL = (s: string) => `https://sqs.us-east-1.amazonaws.com/123456789012/trapheus-${s}-test`;

/** Where the bus would deliver a Trapheus event: the pipeline table's routing (the rules are checked against it). */
const routeEvent = (detailType: string, detail: { step?: string }): ServiceName | 'notify' | undefined =>
  serviceFor(detailType, detail.step);

export const createHarness = (
  builders: Partial<Record<ServiceName, StepBuilder>>,
  opts: { now?: () => Date; rdsLatency?: boolean } = {},
) => {
  const now = opts.now ?? (() => new Date());
  const rds: FakeRds = createFakeRds({ latency: opts.rdsLatency ?? false });
  const memory = buildMemoryRunRepository(now);
  const runs = memory.repo;
  const sqsMock = mockClient(SQSClient);
  const ebMock = mockClient(EventBridgeClient);
  const queue: Delivery[] = [];
  const published: { detailType: string; detail: Record<string, unknown> }[] = [];

  sqsMock.on(SendMessageCommand).callsFake((input) => {
    const service = Object.keys(builders).find((s) => QUEUE_URL(s) === input.QueueUrl) as ServiceName;
    queue.push({ service, body: input.MessageBody, delaySeconds: input.DelaySeconds });
    return { MessageId: `m-${queue.length}` };
  });
  ebMock.on(PutEventsCommand).callsFake((input) => {
    for (const e of input.Entries ?? []) {
      const detail = JSON.parse(e.Detail);
      published.push({ detailType: e.DetailType, detail });
      const service = routeEvent(e.DetailType, detail);
      const body = JSON.stringify({
        version: '0',
        id: `evt-${published.length}`,
        'detail-type': e.DetailType,
        source: e.Source,
        account: '123456789012',
        time: now().toISOString(),
        region: 'us-east-1',
        resources: [],
        detail,
      });
      if (service) queue.push({ service, body, detailType: e.DetailType });
    }
    return {
      FailedEntryCount: 0,
      Entries: (input.Entries ?? []).map((_: unknown, i: number) => ({ EventId: `e${i}` })),
    };
  });

  const logger = createLogger('test');
  const engines = new Map<ServiceName, Engine>();
  for (const [service, build] of Object.entries(builders) as [ServiceName, StepBuilder][]) {
    const waiter = buildWaiter({
      runs,
      sqs: new SQSClient({ region: 'us-east-1' }),
      queueUrl: QUEUE_URL(service),
      timing: { baseSeconds: 20, maxSeconds: 900, deadlineMinutes: 240, graceSeconds: 120 },
      now,
    });
    const publish = buildPublisher({
      eventBridge: new EventBridgeClient({ region: 'us-east-1' }),
      busName: 'trapheus-test',
    });
    const deps = { rds: rds.client, runs, waiter, publish, logger, now };
    engines.set(service, buildEngine(deps, build(deps)));
  }

  const eventBody = (detailType: string, detail: unknown, id = `req-${Math.random()}`) =>
    JSON.stringify({
      version: '0',
      id,
      'detail-type': detailType,
      source: 'trapheus',
      account: '123456789012',
      time: now().toISOString(),
      region: 'us-east-1',
      resources: [],
      detail,
    });

  const deliver = async (service: ServiceName, signal: Signal | string) => {
    const engine = engines.get(service);
    if (!engine) throw new Error(`no ${service} service in this harness`);
    await engine.handle(typeof signal === 'string' ? parseSignal(signal) : signal);
  };

  return {
    rds,
    runs,
    memory,
    queue,
    published,
    eventBody,
    deliver,
    /** Sends a RestoreRequested to the snapshot service. */
    async request(detail: unknown, eventId = `req-${Math.random()}`) {
      await deliver('snapshot', eventBody('RestoreRequested', detail, eventId));
    },
    /** An RDS event as EventBridge delivers it. */
    rdsEventBody(detailType: string, arn: string, eventId: string, sourceIdentifier: string) {
      return JSON.stringify({
        version: '0',
        id: `rds-${Math.random()}`,
        'detail-type': detailType,
        source: 'aws.rds',
        account: '123456789012',
        time: now().toISOString(),
        region: 'us-east-1',
        resources: [arn],
        detail: {
          EventCategories: [],
          SourceArn: arn,
          SourceIdentifier: sourceIdentifier,
          EventID: eventId,
          Message: '',
        },
      });
    },
    /**
     * Delivers queued messages to their services (ignoring delays, as if time passed), settling RDS between
     * rounds, until nothing is left for the services in this harness.
     */
    async drain({ settle = true, rounds = 50, copies = 1 } = {}) {
      for (let i = 0; i < rounds; i++) {
        const ready = queue.filter((d) => d.service !== 'notify' && engines.has(d.service as ServiceName));
        if (ready.length === 0) return;
        for (const d of ready) queue.splice(queue.indexOf(d), 1);
        if (settle) rds.settle();
        // `copies` > 1 hands each message to that many invocations at the same moment (SQS at-least-once).
        for (const d of ready) {
          await Promise.all(Array.from({ length: copies }, () => deliver(d.service as ServiceName, d.body)));
        }
      }
      throw new Error('drain did not converge');
    },
    outcomes: () =>
      published.filter((p) => ['RunSucceeded', 'RunFailed', 'RunRolledBack'].includes(p.detailType)),
    restore: () => {
      sqsMock.restore();
      ebMock.restore();
      rds.mock.restore();
    },
  };
};

export type Harness = ReturnType<typeof createHarness>;
