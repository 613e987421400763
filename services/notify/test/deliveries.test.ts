import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import dynalite from 'dynalite';
import { buildDeliveryLedger, type DeliveryKey } from '../src/deliveries';

const KEY: DeliveryKey = { runId: 'run-1', step: 'FAILED', channel: 'email' };
const NOW = new Date('2026-11-24T12:00:00.000Z');

describe('delivery ledger: exact DynamoDB input', () => {
  const dynamo = mockClient(DynamoDBDocumentClient);
  afterAll(() => dynamo.restore());
  beforeEach(() => dynamo.reset());

  it('claims with a conditional PutItem that only succeeds for a new or abandoned claim, with a TTL attribute', async () => {
    dynamo.on(PutCommand).resolves({});
    const ledger = buildDeliveryLedger({
      dynamo: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
      tableName: 'deliveries',
      now: () => NOW,
      newToken: () => 'tok',
    });

    expect(await ledger.claim(KEY)).toEqual({ kind: 'claimed', token: 'tok' });
    expect(dynamo.commandCalls(PutCommand)[0]?.args[0].input).toEqual({
      TableName: 'deliveries',
      Item: {
        pk: 'run-1#FAILED#email',
        runId: 'run-1',
        step: 'FAILED',
        channel: 'email',
        status: 'sending',
        token: 'tok',
        claimedAt: '2026-11-24T12:00:00.000Z',
        claimExpiresAt: NOW.getTime() + 120_000,
        expiresAt: NOW.getTime() / 1000 + 30 * 86_400,
      },
      ConditionExpression: 'attribute_not_exists(pk) OR (#status = :sending AND claimExpiresAt < :now)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':sending': 'sending', ':now': NOW.getTime() },
    });
  });

  it('reports an already-sent delivery when the condition fails', async () => {
    dynamo.on(PutCommand).rejects(
      Object.assign(new Error('The conditional request failed'), {
        name: 'ConditionalCheckFailedException',
      }),
    );
    dynamo.on(GetCommand).resolves({ Item: { status: 'sent', sentAt: '2026-11-24T11:00:00.000Z' } });
    const ledger = buildDeliveryLedger({
      dynamo: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
      tableName: 'deliveries',
    });

    expect(await ledger.claim(KEY)).toEqual({ kind: 'sent', sentAt: '2026-11-24T11:00:00.000Z' });
    expect(dynamo.commandCalls(GetCommand)[0]?.args[0].input).toEqual({
      TableName: 'deliveries',
      Key: { pk: 'run-1#FAILED#email' },
      ConsistentRead: true,
    });
  });
});

describe('delivery ledger on dynalite (conditional writes only)', () => {
  let server: ReturnType<typeof dynalite>;
  let client: DynamoDBClient;
  let dynamo: DynamoDBDocumentClient;

  beforeAll(async () => {
    server = dynalite({ createTableMs: 0 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    client = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${port}`,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    dynamo = DynamoDBDocumentClient.from(client);
    await client.send(
      new CreateTableCommand({
        TableName: 'deliveries',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      }),
    );
  });
  afterAll(async () => {
    client.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('lets one claim win, refuses the rest until released or sent, and takes over an abandoned claim', async () => {
    let now = NOW;
    let n = 0;
    const ledger = buildDeliveryLedger({
      dynamo,
      tableName: 'deliveries',
      now: () => now,
      newToken: () => `t${++n}`,
    });
    const key = { ...KEY, runId: `run-${Date.now()}` };

    const [a, b] = await Promise.all([ledger.claim(key), ledger.claim(key)]);
    expect([a.kind, b.kind].sort()).toEqual(['claimed', 'in-progress']);
    const winner = (a.kind === 'claimed' ? a : b) as { kind: 'claimed'; token: string };

    await ledger.release(key, winner.token);
    const again = await ledger.claim(key);
    expect(again).toEqual({ kind: 'claimed', token: 't3' });

    now = new Date(NOW.getTime() + 121_000); // the sender died: its claim expired
    const takeover = await ledger.claim(key);
    expect(takeover).toEqual({ kind: 'claimed', token: 't4' });
    expect(await ledger.markSent(key, 't3')).toBe(false);
    expect(await ledger.markSent(key, 't4')).toBe(true);

    expect(await ledger.claim(key)).toEqual({ kind: 'sent', sentAt: now.toISOString() });
    const item = await dynamo.send(
      new GetCommand({ TableName: 'deliveries', Key: { pk: `${key.runId}#FAILED#email` } }),
    );
    expect(item.Item).toMatchObject({ status: 'sent', token: 't4', expiresAt: expect.any(Number) });
    expect(item.Item?.claimExpiresAt).toBeUndefined();
  });
});
