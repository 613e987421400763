import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { buildExportStore, EXPORT_OPEN_INDEX, isExportOpen, type RunExport } from '../src/exports';

const TABLE = 'trapheus-runs-test';
const NOW = '2026-03-01T10:00:00.000Z';

const anExport = (over: Partial<RunExport> = {}): RunExport => ({
  status: 'running',
  v: 2,
  taskId: 'trapheus-1',
  snapshotIdentifier: 'orders-db-snapshot-1',
  s3Bucket: 'trapheus-exports',
  s3Prefix: 'instance/orders-db',
  requestedAt: NOW,
  deadline: '2026-03-02T10:00:00.000Z',
  checkSeq: 3,
  attempt: 2,
  nextCheckAt: NOW,
  ...over,
});

describe('export store: the sparse `exportOpen` marker the watchdog finds open exports by', () => {
  const ddb = mockClient(DynamoDBDocumentClient);
  const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
  const store = buildExportStore({ dynamo, tableName: TABLE, now: () => new Date(NOW) });

  beforeEach(() => {
    ddb.reset();
    ddb.on(UpdateCommand).resolves({});
    ddb.on(PutCommand).resolves({});
  });
  afterAll(() => ddb.restore());

  it('is open while the export runs, and until its outcome is published', () => {
    expect(isExportOpen({ status: 'queued' })).toBe(true);
    expect(isExportOpen({ status: 'failed' })).toBe(true);
    expect(isExportOpen({ status: 'complete', notified: true })).toBe(false);
  });

  it('marks the run when the export begins', async () => {
    await store.begin('run-1', anExport({ status: 'pending', v: 0 }));

    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
      UpdateExpression: 'SET #export = :e, #open = :y',
      ExpressionAttributeNames: { '#export': 'export', '#open': 'exportOpen' },
      ExpressionAttributeValues: { ':y': 'Y' },
    });
  });

  it('keeps the mark on every write of an open export and removes it with the write that closes it', async () => {
    const prev = anExport();
    await store.save('run-1', prev, { ...prev, status: 'complete' });
    await store.save('run-1', { ...prev, v: 3 }, { ...prev, status: 'complete', notified: true });

    const [ended, published] = ddb.commandCalls(UpdateCommand).map((c) => c.args[0].input);
    expect(ended).toMatchObject({
      UpdateExpression: 'SET #export = :e, #open = :y',
      ConditionExpression: '#export.#v = :v',
      ExpressionAttributeValues: { ':y': 'Y', ':v': 2 },
    });
    expect(published).toMatchObject({
      UpdateExpression: 'SET #export = :e REMOVE #open',
      ExpressionAttributeValues: { ':v': 3 },
    });
    expect(published?.ExpressionAttributeValues).not.toHaveProperty(':y');
  });

  it('lists the open exports from the sparse index, page by page, never by a scan', async () => {
    ddb
      .on(QueryCommand)
      .resolvesOnce({
        Items: [{ runId: 'run-1', exportOpen: 'Y', export: anExport() }],
        LastEvaluatedKey: { runId: 'run-1', exportOpen: 'Y' },
      })
      .resolvesOnce({ Items: [{ runId: 'run-2', exportOpen: 'Y', export: anExport({ status: 'queued' }) }] });

    const open = await store.listOpen();

    expect(open.map((o) => [o.runId, o.export.status])).toEqual([
      ['run-1', 'running'],
      ['run-2', 'queued'],
    ]);
    const queries = ddb.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(queries[0]).toMatchObject({
      TableName: TABLE,
      IndexName: EXPORT_OPEN_INDEX,
      KeyConditionExpression: '#open = :y',
      ExpressionAttributeValues: { ':y': 'Y' },
    });
    expect(queries[1]?.ExclusiveStartKey).toEqual({ runId: 'run-1', exportOpen: 'Y' });
  });
});
