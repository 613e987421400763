/**
 * dynalite closes the iterator behind each Query and Scan with `iterator.return()`, which abstract-level iterators
 * lack: closeLeakedIterators() provides it, so no read leaves an iterator (and the store version it holds) open.
 */
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import {
  CreateTableCommand,
  DynamoDBClient,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { closeLeakedIterators } from '../../src/dynalite-iterators';

const abstractLevelPath = () => {
  const memoryLevel = require.resolve('memory-level', { paths: [dirname(require.resolve('dynalite'))] });
  return require.resolve('abstract-level', { paths: [dirname(memoryLevel)] });
};

describe('DynamoDB emulator iterators', () => {
  it('every Query and Scan closes its iterator', async () => {
    closeLeakedIterators();
    const { AbstractLevel } = require(abstractLevelPath()) as {
      AbstractLevel: { prototype: { attachResource(r: unknown): void; detachResource(r: unknown): void } };
    };
    const open = new Set<unknown>();
    let attached = 0;
    const origAttach = AbstractLevel.prototype.attachResource;
    const origDetach = AbstractLevel.prototype.detachResource;
    AbstractLevel.prototype.attachResource = function (r) {
      open.add(r);
      attached++;
      return origAttach.call(this, r);
    };
    AbstractLevel.prototype.detachResource = function (r) {
      open.delete(r);
      return origDetach.call(this, r);
    };
    const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = new DynamoDBClient({
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    try {
      await client.send(
        new CreateTableCommand({
          TableName: 'runs',
          KeySchema: [{ AttributeName: 'k', KeyType: 'HASH' }],
          AttributeDefinitions: [{ AttributeName: 'k', AttributeType: 'S' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
      for (let i = 0; i < 5; i++)
        await client.send(new PutItemCommand({ TableName: 'runs', Item: { k: { S: `k${i}` } } }));
      const before = open.size;
      for (let i = 0; i < 20; i++) {
        await client.send(
          new QueryCommand({
            TableName: 'runs',
            KeyConditionExpression: 'k = :k',
            ExpressionAttributeValues: { ':k': { S: `k${i % 5}` } },
          }),
        );
        await client.send(new ScanCommand({ TableName: 'runs', Limit: 2 }));
      }
      await new Promise((r) => setTimeout(r, 50));
      // the hooks saw the reads' iterators (at least one per Query and Scan), and every one was closed
      expect(attached).toBeGreaterThanOrEqual(40);
      expect(open.size).toBe(before);
    } finally {
      AbstractLevel.prototype.attachResource = origAttach;
      AbstractLevel.prototype.detachResource = origDetach;
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
