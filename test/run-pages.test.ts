/**
 * Pages of runs (run-repository.ts listPage) on dynalite, with the runs table as services/snapshot/serverless.yml
 * defines it: 1,000 runs come back page by page, newest first, each exactly once.
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { buildRunRepository, LOCK_PREFIX, newRun, type Run, STEPS } from '@trapheus/shared';
import dynalite from 'dynalite';
import { parse } from 'yaml';

jest.setTimeout(30_000);

const TABLE = 'trapheus-runs-pages';
const T0 = Date.parse('2026-01-01T00:00:00.000Z');

const runsTableDefinition = () => {
  const yml = parse(readFileSync(join(__dirname, '..', 'services', 'snapshot', 'serverless.yml'), 'utf8'));
  const { AttributeDefinitions, KeySchema, GlobalSecondaryIndexes } =
    yml.resources.Resources.RunsTable.Properties;
  return { AttributeDefinitions, KeySchema, GlobalSecondaryIndexes, BillingMode: 'PAY_PER_REQUEST' as const };
};

describe('listPage on dynalite', () => {
  const server = dynalite({ createTableMs: 0 });
  let dynamo: DynamoDBDocumentClient;
  let all: Run[];

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const client = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${port}`,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    dynamo = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
    await client.send(new CreateTableCommand({ TableName: TABLE, ...runsTableDefinition() }));
    all = Array.from({ length: 1000 }, (_, i) => ({
      ...newRun(
        {
          runId: `run-${i.toString(16).padStart(16, '0')}`,
          identifier: `db-${i % 7}`,
          kind: i % 5 === 0 ? 'cluster' : 'instance',
          task: 'create_snapshot',
          snapshotIdentifier: `db-${i % 7}-snapshot`,
        },
        // Some runs share a createdAt: the page boundary must not drop or repeat them.
        new Date(T0 + Math.floor(i / 3) * 1000).toISOString(),
      ),
      step: STEPS[i % STEPS.length]!,
    }));
    const items = [
      ...all,
      { runId: `${LOCK_PREFIX}instance#db-1`, holder: all[1]!.runId, acquiredAt: all[1]!.createdAt },
    ] as unknown as Record<string, unknown>[];
    for (let i = 0; i < items.length; i += 25) {
      await dynamo.send(
        new BatchWriteCommand({
          RequestItems: { [TABLE]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) },
        }),
      );
    }
  });
  afterAll(async () => {
    dynamo?.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const pages = async (query: Parameters<ReturnType<typeof buildRunRepository>['listPage']>[0]) => {
    const runs = buildRunRepository({ dynamo, tableName: TABLE });
    const seen: Run[][] = [];
    let cursor: string | undefined;
    do {
      const page = await runs.listPage({ ...query, cursor });
      seen.push(page.runs);
      cursor = page.cursor;
    } while (cursor && seen.length < 1000);
    return seen;
  };

  const newestFirst = (runs: Run[]) =>
    runs.every((r, i) => i === 0 || runs[i - 1]!.createdAt.localeCompare(r.createdAt) >= 0);

  it('all runs: 1,000 runs in pages of 50, newest first, each exactly once, no lock items', async () => {
    const seen = await pages({ limit: 50 });
    const ids = seen.flat().map((r) => r.runId);
    // DynamoDB may hand out a cursor when the last page ended exactly at the end: that next page is empty.
    expect(seen.slice(0, 20).every((p) => p.length === 50)).toBe(true);
    expect(seen.slice(20).flat()).toEqual([]);
    expect(new Set(ids).size).toBe(1000);
    expect(ids.sort()).toEqual(all.map((r) => r.runId).sort());
    expect(newestFirst(seen.flat())).toBe(true);
  });

  it('one database (byDatabase), a step filter and a kind filter: each matching run exactly once', async () => {
    const ofDb = (await pages({ identifier: 'db-3', limit: 17 })).flat();
    const expected = all.filter((r) => r.dbKey === 'instance#db-3');
    expect(ofDb.map((r) => r.runId).sort()).toEqual(expected.map((r) => r.runId).sort());
    expect(newestFirst(ofDb)).toBe(true);

    const failedPages = await pages({ step: 'FAILED', limit: 10 });
    const failed = failedPages.flat();
    expect(failed.map((r) => r.runId).sort()).toEqual(
      all
        .filter((r) => r.step === 'FAILED')
        .map((r) => r.runId)
        .sort(),
    );
    expect(failedPages.every((p) => p.length <= 10)).toBe(true);

    const clusters = (await pages({ kind: 'cluster', step: 'SUCCEEDED', limit: 25 })).flat();
    expect(clusters.map((r) => r.runId).sort()).toEqual(
      all
        .filter((r) => r.kind === 'cluster' && r.step === 'SUCCEEDED')
        .map((r) => r.runId)
        .sort(),
    );
  });

  it('refuses a cursor it did not make', async () => {
    const runs = buildRunRepository({ dynamo, tableName: TABLE });
    await expect(runs.listPage({ cursor: 'not a cursor' })).rejects.toThrow('invalid page cursor');
  });
});
