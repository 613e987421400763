import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { RestoreRequested, SnapshotReady } from '../src/contracts';
import { createLogger } from '../src/logging';
import { buildPublisher } from '../src/publisher';
import type { Signal } from '../src/signals';
import { checkBackBody } from '../src/signals';
import { sqsWorker } from '../src/sqs-worker';

const record = (messageId: string, body: string): SQSRecord => ({
  messageId,
  receiptHandle: `rh-${messageId}`,
  body,
  attributes: {
    ApproximateReceiveCount: '1',
    SentTimestamp: '1772359200000',
    SenderId: 'AIDAEXAMPLE',
    ApproximateFirstReceiveTimestamp: '1772359200001',
  },
  messageAttributes: {},
  md5OfBody: '00000000000000000000000000000000',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:trapheus-restore-test',
  awsRegion: 'us-east-1',
});

const context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'trapheus-restore-test-worker',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:trapheus-restore-test-worker',
  memoryLimitInMB: '256',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  logGroupName: '/aws/lambda/trapheus-restore-test-worker',
  logStreamName: '2026/03/01/[$LATEST]abcdef',
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
} as Context;

describe('sqsWorker', () => {
  it('parses each body into a signal and reports only the failed records for retry', async () => {
    // Prepare
    const seen: Signal[] = [];
    const main = sqsWorker(createLogger('worker-test'), async (signal) => {
      seen.push(signal);
      if (signal.kind === 'check-back' && signal.seq === 2) throw new Error('Rate exceeded');
    });
    const event: SQSEvent = {
      Records: [
        record('m-1', checkBackBody('run-1', 1)),
        record('m-2', checkBackBody('run-1', 2)),
        record('m-3', 'not json'),
      ],
    };

    // Act
    const response = await main(event, context);

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-2' }] });
    expect(seen).toEqual([
      { kind: 'check-back', runId: 'run-1', seq: 1 },
      { kind: 'check-back', runId: 'run-1', seq: 2 },
      { kind: 'invalid', reason: 'message body is not valid JSON' },
    ]);
  });

  it('returns every record for retry when the whole batch fails, without throwing', async () => {
    const main = sqsWorker(createLogger('worker-test'), async () => {
      throw new Error('table unavailable');
    });

    const response = await main({ Records: [record('m-1', '{}'), record('m-2', '{}')] }, context);

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-1' }, { itemIdentifier: 'm-2' }] });
  });
});

describe('buildPublisher', () => {
  const ebMock = mockClient(EventBridgeClient);
  const publish = buildPublisher({
    eventBridge: new EventBridgeClient({ region: 'us-east-1' }),
    busName: 'trapheus-dev',
  });
  beforeEach(() => ebMock.reset());
  afterAll(() => ebMock.restore());

  it('puts one validated entry on the bus', async () => {
    // Prepare
    ebMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    const detail = {
      runId: 'run-1',
      identifier: 'orders-db',
      kind: 'instance',
      step: 'SNAPSHOT_READY',
    } as const;

    // Act
    await publish(SnapshotReady, detail, ['arn:aws:rds:us-east-1:123456789012:snapshot:orders-db-snapshot']);

    // Assess
    expect(ebMock.commandCalls(PutEventsCommand)[0]?.args[0].input).toEqual({
      Entries: [
        {
          EventBusName: 'trapheus-dev',
          Source: 'trapheus',
          DetailType: 'SnapshotReady',
          Detail: JSON.stringify(detail),
          Resources: ['arn:aws:rds:us-east-1:123456789012:snapshot:orders-db-snapshot'],
        },
      ],
    });
  });

  it('refuses a detail that breaks its contract, before any call', async () => {
    await expect(
      publish(RestoreRequested, { identifier: 'orders_db', task: 'create_snapshot', isCluster: false }),
    ).rejects.toThrow();
    expect(ebMock.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('turns a rejected entry into an error naming the event and the reason', async () => {
    ebMock.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }],
    });

    await expect(
      publish(SnapshotReady, {
        runId: 'run-1',
        identifier: 'orders-db',
        kind: 'instance',
        step: 'SNAPSHOT_READY',
      }),
    ).rejects.toThrow('PutEvents rejected SnapshotReady: ThrottlingException Rate exceeded');
  });
});
