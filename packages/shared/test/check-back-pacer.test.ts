import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import { parse } from 'yaml';
import {
  buildCheckBackPacer,
  dynamoSlots,
  memorySlots,
  pacedSecond,
  type SlotTaker,
} from '../src/check-back-pacer';

jest.setTimeout(30_000);

/** Reserves `n` check-backs all wanting `second`; the seconds they got, in order. */
const reserveMany = async (n: number, second: number, take: SlotTaker) => {
  const got: number[] = [];
  for (let i = 0; i < n; i++) got.push(await pacedSecond(second, take));
  return got;
};

const perSecond = (seconds: number[]) =>
  seconds.reduce<Record<number, number>>((acc, s) => {
    acc[s] = (acc[s] ?? 0) + 1;
    return acc;
  }, {});

describe('pacedSecond (in memory)', () => {
  it('gives the wanted second while it has room, then the next seconds', () => {
    const { take } = memorySlots(3);
    return expect(reserveMany(7, 100, take)).resolves.toEqual([100, 100, 100, 101, 101, 101, 102]);
  });

  it('spreads a crowd over the next seconds at the budget each, with no second skipped', async () => {
    const { take } = memorySlots(10);
    const got = await reserveMany(100, 1000, take);
    expect(perSecond(got)).toEqual(Object.fromEntries(Array.from({ length: 10 }, (_, i) => [1000 + i, 10])));
  });

  it('spreads a whole fleet wanting one second at random beyond the next ten, never over the budget', async () => {
    const { take } = memorySlots(10);
    let seed = 1;
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const got: number[] = [];
    for (let i = 0; i < 200; i++) got.push(await pacedSecond(1000, take, random));
    const counts = perSecond(got);
    expect(Object.values(counts).every((n) => n <= 10)).toBe(true);
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(200);
    // the near seconds are filled first, one by one
    for (let s = 1000; s < 1010; s++) expect(counts[s]).toBe(10);
    expect(Math.max(...got)).toBeLessThan(1000 + 10 + 512);
  });

  it('goes over the budget at the last second tried only when every try was full', async () => {
    const full: SlotTaker = async () => false;
    const tried: number[] = [];
    const got = await pacedSecond(
      1000,
      async (s) => {
        tried.push(s);
        return full(s);
      },
      () => 0.5,
    );
    expect(tried).toHaveLength(20);
    expect(tried.slice(0, 10)).toEqual([1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009]);
    // then wanted + 10 + half of a window of 4, 8, 16 … 512 seconds
    expect(tried.slice(10)).toEqual([1012, 1014, 1018, 1026, 1042, 1074, 1138, 1266, 1266, 1266]);
    expect(got).toBe(1266);
  });
});

describe('buildCheckBackPacer', () => {
  it('turns the paced second into a delay on the stack clock', async () => {
    const { take } = memorySlots(1);
    const now = () => new Date(100_400); // 100.4 s
    const pacer = buildCheckBackPacer({ take, now });
    expect(await pacer.pace(8)).toBe(9); // second 109 (ceil 108.4) → 8.6 s → 9
    expect(await pacer.pace(8)).toBe(10); // 109 is full → 110
  });

  it('never sends a look later than 900 s (SQS) or its bound, and spreads a crowd at the 900-s backoff below it', async () => {
    const { take } = memorySlots(10);
    let seed = 7;
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const pacer = buildCheckBackPacer({ take, now: () => new Date(1_000_000), random });
    const delays: number[] = [];
    for (let i = 0; i < 200; i++) delays.push(await pacer.pace(900));
    expect(Math.max(...delays)).toBeLessThanOrEqual(900);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(840);
    expect(Object.values(perSecond(delays)).every((n) => n <= 10)).toBe(true);
    // a deadline 30 s away bounds the search too
    const bounded = await pacer.pace(20, 30);
    expect(bounded).toBeLessThanOrEqual(30);
  });

  it('counts seconds of the local stack clock under a time scale', async () => {
    const { take, taken } = memorySlots(5);
    const pacer = buildCheckBackPacer({ take, timeScale: 600, now: () => new Date(1_000) }); // 600 s simulated
    expect(await pacer.pace(20)).toBe(20);
    expect([...taken.keys()]).toEqual([620]);
  });
});

describe('dynamoSlots on dynalite (the runs table as deployed)', () => {
  const TABLE = 'trapheus-runs-pacer';
  const server = dynalite({ createTableMs: 0 });
  let dynamo: DynamoDBDocumentClient;

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const client = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${port}`,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    dynamo = DynamoDBDocumentClient.from(client);
    const yml = parse(
      readFileSync(join(__dirname, '..', '..', '..', 'services', 'snapshot', 'serverless.yml'), 'utf8'),
    );
    const { AttributeDefinitions, KeySchema, GlobalSecondaryIndexes } =
      yml.resources.Resources.RunsTable.Properties;
    await client.send(
      new CreateTableCommand({
        TableName: TABLE,
        AttributeDefinitions,
        KeySchema,
        GlobalSecondaryIndexes,
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  });
  afterAll(async () => {
    dynamo?.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('holds the budget per second under concurrent reservations, and reuses an hour-old counter', async () => {
    const take = dynamoSlots({ dynamo, tableName: TABLE, budgetPerSecond: 4 });
    const got = await Promise.all(Array.from({ length: 20 }, () => pacedSecond(5000, take)));
    expect(perSecond(got)).toEqual({ 5000: 4, 5001: 4, 5002: 4, 5003: 4, 5004: 4 });
    // An hour later the same counter item serves the new second from zero.
    expect(await reserveMany(5, 8600, take)).toEqual([8600, 8600, 8600, 8600, 8601]);
    const items = (await dynamo.send(new ScanCommand({ TableName: TABLE }))).Items ?? [];
    expect(items.map((i) => i.runId).sort()).toEqual(
      ['PACE#1400', 'PACE#1401', 'PACE#1402', 'PACE#1403', 'PACE#1404'].sort(),
    );
    expect(items.find((i) => i.runId === 'PACE#1400')).toMatchObject({ slot: 8600, n: 4 });
    expect(items.every((i) => i.step === undefined)).toBe(true);
  });

  it('counts a look by its Describe calls: a 3-call look needs 3 of the budget left', async () => {
    const take = dynamoSlots({ dynamo, tableName: TABLE, budgetPerSecond: 4 });
    expect(await take(9000, 2)).toBe(true);
    expect(await take(9000, 3)).toBe(false);
    expect(await take(9000, 2)).toBe(true);
    expect(await take(9000, 1)).toBe(false);
    expect(await take(9001, 3)).toBe(true);
  });
});
