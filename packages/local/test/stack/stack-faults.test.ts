/**
 * The local stack's fault hooks: the RDS call log and observers, raised quotas, and stack.faults on DynamoDB
 * (crash / conditional-check / throttling, armed after an RDS call), the bus (SendMessage failure, partial
 * PutEvents failure) and SES (500 / MessageRejected).
 */
import { join } from 'node:path';
import { DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { CreateDBInstanceCommand, CreateDBSnapshotCommand, RDSClient } from '@aws-sdk/client-rds';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { GetQueueUrlCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type LocalStack, startLocalStack } from '../../src';

const ROOT = join(__dirname, '..', '..', '..', '..');
const FN = 'trapheus-restore-local-worker';

jest.setTimeout(60_000);

let stack: LocalStack;
beforeAll(async () => {
  stack = await startLocalStack({
    rootDir: ROOT,
    timeScale: 600,
    seedDemo: false,
    rdsQuotas: { maxInstances: 2 },
    // handlers are never invoked here: nothing is published on a rule the services consume
    loadHandler: async () => async () => ({}),
  });
});
afterAll(() => stack?.stop());

const as = (accessKeyId: string) => ({
  region: stack.region,
  credentials: { accessKeyId, secretAccessKey: 'x' },
  maxAttempts: 1,
});
const errorOf = (p: Promise<unknown>) =>
  p.then(() => undefined).catch((e: { name?: string; $metadata?: { httpStatusCode?: number } }) => e);

describe('RDS simulator hooks', () => {
  it('keeps a call log with caller, status, error code and parameters, and honours raised quotas', async () => {
    const rds = new RDSClient({ ...as(FN), endpoint: stack.endpoints.rds });
    const seen: string[] = [];
    const off = stack.rds.onCall((c) => seen.push(c.action));
    stack.rds.seedInstance({ DBInstanceIdentifier: 'q-1', Engine: 'postgres' });
    stack.rds.seedInstance({ DBInstanceIdentifier: 'q-2', Engine: 'postgres' });
    const err = await errorOf(
      rds.send(
        new CreateDBInstanceCommand({
          DBInstanceIdentifier: 'q-3',
          Engine: 'postgres',
          DBInstanceClass: 'db.t3.micro',
          AllocatedStorage: 20,
        }),
      ),
    );
    off();
    expect(err).toMatchObject({ name: 'InstanceQuotaExceededFault' });
    const call = stack.rds.callLog().at(-1)!;
    expect(call).toMatchObject({
      action: 'CreateDBInstance',
      accessKeyId: FN,
      status: 400,
      errorCode: 'InstanceQuotaExceeded',
      params: expect.objectContaining({ DBInstanceIdentifier: 'q-3' }),
    });
    expect(call.at).toBeLessThanOrEqual(Date.now());
    expect(seen).toEqual(['CreateDBInstance']);
  });
});

describe('stack.faults', () => {
  it('DynamoDB: a crash armed by an RDS call fails the next UpdateItem of that function for that key only', async () => {
    const db = new DynamoDBClient({ ...as(FN), endpoint: stack.endpoints.dynamodb });
    const other = new DynamoDBClient({
      ...as('trapheus-cleanup-local-worker'),
      endpoint: stack.endpoints.dynamodb,
    });
    const rds = new RDSClient({ ...as(FN), endpoint: stack.endpoints.rds });
    await db.send(new PutItemCommand({ TableName: stack.runsTable, Item: { runId: { S: 'run-a' } } }));
    stack.faults.dynamo({
      caller: FN,
      match: 'run-a',
      error: 'crash',
      count: 1,
      after: { action: 'CreateDBSnapshot', param: { DBInstanceIdentifier: 'q-1' } },
    });
    const update = (client: DynamoDBClient, runId: string) =>
      client.send(
        new UpdateItemCommand({
          TableName: stack.runsTable,
          Key: { runId: { S: runId } },
          UpdateExpression: 'SET x = :x',
          ExpressionAttributeValues: { ':x': { S: '1' } },
        }),
      );
    await expect(update(db, 'run-a')).resolves.toBeDefined(); // not armed yet
    await rds.send(
      new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'q-1', DBSnapshotIdentifier: 'q-1-s' }),
    );
    await expect(update(other, 'run-a')).resolves.toBeDefined(); // another function
    await expect(update(db, 'run-b')).resolves.toBeDefined(); // another run
    expect(await errorOf(update(db, 'run-a'))).toMatchObject({ name: 'InternalServerError' });
    await expect(update(db, 'run-a')).resolves.toBeDefined(); // used up

    stack.faults.dynamo({ match: 'run-a', error: 'ConditionalCheckFailedException' });
    expect(await errorOf(update(db, 'run-a'))).toMatchObject({ name: 'ConditionalCheckFailedException' });
    stack.faults.dynamo({ match: 'run-a', error: 'ProvisionedThroughputExceededException' });
    expect(await errorOf(update(db, 'run-a'))).toMatchObject({
      name: 'ProvisionedThroughputExceededException',
    });
    expect(stack.faults.hits().map((h) => h.kind)).toEqual([
      'crash',
      'ConditionalCheckFailedException',
      'ProvisionedThroughputExceededException',
    ]);
    expect(stack.faults.pending()).toEqual([]);
  });

  it('bus: SendMessage of one function fails; PutEvents answers FailedEntryCount 1 for the matching entry', async () => {
    const sqs = new SQSClient({ ...as(FN), endpoint: stack.endpoints.bus });
    const queue = stack.bus.queues()[0]!.name;
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: queue }));
    stack.faults.bus({ kind: 'sqs-send', caller: FN, match: 'run-a' });
    expect(
      await errorOf(sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: '{"runId":"run-a"}' }))),
    ).toMatchObject({ name: 'InternalError' });
    await expect(
      sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: '{"runId":"run-a"}' })),
    ).resolves.toBeDefined();

    const eb = new EventBridgeClient({ ...as(FN), endpoint: stack.endpoints.bus });
    stack.faults.bus({ kind: 'put-events-partial', match: 'run-b' });
    const entry = (runId: string) => ({
      EventBusName: stack.busName,
      Source: 'test.faults',
      DetailType: 'Probe',
      Detail: JSON.stringify({ runId }),
    });
    const out = await eb.send(new PutEventsCommand({ Entries: [entry('run-a'), entry('run-b')] }));
    expect(out.FailedEntryCount).toBe(1);
    expect(out.Entries?.[0]?.EventId).toBeDefined();
    expect(out.Entries?.[1]?.ErrorCode).toBe('InternalFailure');
  });

  it('SES: 500 then MessageRejected, for mail matching the fault only', async () => {
    const ses = new SESv2Client({ ...as('trapheus-notify-local-email'), endpoint: stack.endpoints.ses });
    const send = (subject: string) =>
      ses.send(
        new SendEmailCommand({
          FromEmailAddress: 'trapheus@local.test',
          Destination: { ToAddresses: ['oncall@local.test'] },
          Content: { Simple: { Subject: { Data: subject }, Body: { Text: { Data: 'x' } } } },
        }),
      );
    stack.faults.ses({ error: '500', match: 'db-one' });
    stack.faults.ses({ error: 'MessageRejected', match: 'db-two' });
    expect(await errorOf(send('about db-one'))).toMatchObject({ $metadata: { httpStatusCode: 500 } });
    expect(await errorOf(send('about db-two'))).toMatchObject({ name: 'MessageRejected' });
    await expect(send('about db-three')).resolves.toBeDefined();
    expect((await stack.ses.emails()).map((e) => e.subject)).toEqual(['about db-three']);
  });
});
