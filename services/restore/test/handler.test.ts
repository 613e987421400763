import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';

const env = {
  RUNS_TABLE: 'trapheus-runs-test',
  EVENT_BUS_NAME: 'trapheus-test',
  WORK_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/trapheus-restore-test',
};

const record = (messageId: string, body: unknown) => ({
  messageId,
  receiptHandle: `rh-${messageId}`,
  body: JSON.stringify(body),
  attributes: {
    ApproximateReceiveCount: '1',
    SentTimestamp: '0',
    SenderId: 'x',
    ApproximateFirstReceiveTimestamp: '0',
  },
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:trapheus-restore-test',
  awsRegion: 'us-east-1',
});

const snapshotReady = (runId: string) => ({
  version: '0',
  id: `evt-${runId}`,
  'detail-type': 'SnapshotReady',
  source: 'trapheus',
  account: '123456789012',
  time: '2026-11-24T00:00:00Z',
  region: 'us-east-1',
  resources: [],
  detail: { runId, identifier: 'orders-db', kind: 'instance', step: 'SNAPSHOT_READY' },
});

const context = { functionName: 'restore-worker', awsRequestId: 'req-1' } as unknown as Context;

describe('restore worker handler (SQS → reconciler)', () => {
  const rds = mockClient(RDSClient);
  const dynamo = mockClient(DynamoDBDocumentClient);
  let main: (event: SQSEvent, context: Context) => Promise<unknown>;

  beforeAll(async () => {
    Object.assign(process.env, env);
    ({ main } = await import('../src/functions/worker/handler'));
  });
  afterAll(() => {
    rds.restore();
    dynamo.restore();
  });

  it('reports only the throttled record as a batch item failure; the run is not failed', async () => {
    dynamo.on(GetCommand).callsFake((input) => ({
      Item: {
        runId: input.Key.runId,
        dbKey: 'instance#orders-db',
        identifier: 'orders-db',
        kind: 'instance',
        task: 'create_snapshot',
        snapshotIdentifier: 'orders-db-snapshot',
        step: 'SNAPSHOT_READY',
        version: 3,
        createdAt: '2026-11-24T00:00:00Z',
        updatedAt: '2026-11-24T00:00:00Z',
        history: [],
        active: 'Y',
        progress: {},
      },
    }));
    rds
      .on(DescribeDBInstancesCommand)
      .rejects(
        Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } }),
      );

    const result = await main(
      {
        Records: [record('m-throttled', snapshotReady('run-a')), record('m-garbage', { hello: 'world' })],
      },
      context,
    );

    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-throttled' }] });
    // Only the reconciler's lease was taken and given back: the run itself was not written.
    const runWrites = dynamo
      .commandCalls(UpdateCommand)
      .filter((c) => !String(c.args[0].input.UpdateExpression).includes('#lease'));
    expect(runWrites).toHaveLength(0);
  });
});
