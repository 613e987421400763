import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { StaleRunError } from '../src/errors';
import type { Run, RunWait } from '../src/run';
import { buildRunRepository } from '../src/run-repository';
import { MAX_TRACE_SEGMENTS } from '../src/run-trace';

const TABLE = 'trapheus-runs-test';
const NOW = '2026-03-01T10:00:00.000Z';
const EARLIER = '2026-03-01T09:00:00.000Z';

const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

const aRun = (overrides: Partial<Run> = {}): Run => ({
  runId: 'run-0123456789abcdef',
  dbKey: 'instance#orders-db',
  identifier: 'orders-db',
  kind: 'instance',
  task: 'create_snapshot',
  snapshotIdentifier: 'orders-db-snapshot',
  step: 'RENAMING',
  version: 4,
  createdAt: EARLIER,
  updatedAt: EARLIER,
  history: [{ step: 'REQUESTED', at: EARLIER }],
  active: 'Y',
  progress: {},
  ...overrides,
});

const aWait = (): RunWait => ({
  resourceType: 'db-instance',
  identifier: 'orders-db',
  target: 'available',
  since: EARLIER,
  deadline: '2026-03-01T13:00:00.000Z',
  checkSeq: 3,
  attempt: 2,
  nextCheckAt: '2026-03-01T09:01:00.000Z',
});

describe('run repository (DynamoDB)', () => {
  const ddb = mockClient(DynamoDBDocumentClient);
  const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
  const runs = buildRunRepository({ dynamo, tableName: TABLE, now: () => new Date(NOW) });

  beforeEach(() => ddb.reset());
  afterAll(() => ddb.restore());

  describe('validation of what the table returns', () => {
    it('refuses an item that is not a run, naming what is wrong, before any step sees it', async () => {
      ddb.on(GetCommand).resolves({ Item: { ...aRun(), step: 'DANCING', version: 'four' } });

      await expect(runs.get('run-0123456789abcdef')).rejects.toMatchObject({
        name: 'RunCorruptError',
        message: expect.stringContaining('field "step" '),
      });
    });

    it('refuses a captured original of neither kind', async () => {
      ddb.on(GetCommand).resolves({ Item: aRun({ original: { DBInstanceIdentifier: 'x' } as never }) });

      await expect(runs.get('run-0123456789abcdef')).rejects.toMatchObject({ name: 'RunCorruptError' });
    });
  });

  describe('the reconciler lease', () => {
    it('takes a free or lapsed lease (or its own) with one conditional update that bumps the version', async () => {
      ddb.on(UpdateCommand).resolves({ Attributes: aRun({ version: 5 }) });

      const leased = await runs.acquireLease('run-0123456789abcdef', 'owner-1', 60);

      expect(leased?.version).toBe(5);
      expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toEqual({
        TableName: TABLE,
        Key: { runId: 'run-0123456789abcdef' },
        UpdateExpression: 'SET #lease = :lease, #version = #version + :one',
        ConditionExpression:
          'attribute_exists(runId) AND (attribute_not_exists(#lease) OR #lease.#until < :now OR #lease.#owner = :me)',
        ExpressionAttributeNames: {
          '#lease': 'lease',
          '#until': 'until',
          '#owner': 'owner',
          '#version': 'version',
        },
        ExpressionAttributeValues: {
          ':lease': { owner: 'owner-1', until: '2026-03-01T10:01:00.000Z' },
          ':now': NOW,
          ':me': 'owner-1',
          ':one': 1,
        },
        ReturnValues: 'ALL_NEW',
      });
    });

    it('says no (undefined) when another reconciler holds the lease', async () => {
      ddb.on(UpdateCommand).rejects(conditionFailed());

      await expect(runs.acquireLease('run-0123456789abcdef', 'owner-2', 60)).resolves.toBeUndefined();
    });

    it('gives the lease back only if it still holds it', async () => {
      ddb.on(UpdateCommand).rejects(conditionFailed());

      await expect(runs.releaseLease('run-0123456789abcdef', 'owner-1')).resolves.toBeUndefined();
      expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
        UpdateExpression: 'REMOVE #lease',
        ConditionExpression: '#lease.#owner = :me',
        ExpressionAttributeValues: { ':me': 'owner-1' },
      });
    });
  });

  describe('get', () => {
    it('reads the run with a consistent read and returns the stored item', async () => {
      // Prepare
      const stored = aRun();
      ddb.on(GetCommand).resolves({ Item: stored });

      // Act
      const run = await runs.get('run-0123456789abcdef');

      // Assess
      expect(run).toEqual(stored);
      expect(ddb.commandCalls(GetCommand)[0]?.args[0].input).toEqual({
        TableName: TABLE,
        Key: { runId: 'run-0123456789abcdef' },
        ConsistentRead: true,
      });
    });

    it('returns undefined for an unknown run', async () => {
      ddb.on(GetCommand).resolves({});

      await expect(runs.get('run-missing')).resolves.toBeUndefined();
    });
  });

  describe('create', () => {
    it('puts a REQUESTED run only if no run with this id exists', async () => {
      // Prepare
      ddb.on(PutCommand).resolves({});

      // Act
      const result = await runs.create({
        runId: 'run-aaaa',
        identifier: 'orders-db',
        kind: 'instance',
        task: 'create_snapshot',
        snapshotIdentifier: 'orders-db-snapshot',
        requestId: 'nightly-2026-03-01',
      });

      // Assess
      const expected: Run = {
        runId: 'run-aaaa',
        identifier: 'orders-db',
        kind: 'instance',
        task: 'create_snapshot',
        snapshotIdentifier: 'orders-db-snapshot',
        requestId: 'nightly-2026-03-01',
        dbKey: 'instance#orders-db',
        listKey: 'RUN',
        step: 'REQUESTED',
        version: 1,
        createdAt: NOW,
        updatedAt: NOW,
        history: [{ step: 'REQUESTED', at: NOW }],
        active: 'Y',
        progress: {},
      };
      expect(result).toEqual({ created: true, run: expected });
      expect(ddb.commandCalls(PutCommand)).toHaveLength(1);
      expect(ddb.commandCalls(PutCommand)[0]?.args[0].input).toEqual({
        TableName: TABLE,
        Item: expected,
        ConditionExpression: 'attribute_not_exists(runId)',
      });
    });

    it('keys a cluster run by its cluster dbKey', async () => {
      ddb.on(PutCommand).resolves({});

      const { run } = await runs.create({
        runId: 'run-bbbb',
        identifier: 'shop',
        kind: 'cluster',
        task: 'db_restore',
        snapshotIdentifier: 'shop-snapshot',
      });

      expect(run.dbKey).toBe('cluster#shop');
      expect(ddb.commandCalls(PutCommand)[0]?.args[0].input.Item).toMatchObject({ dbKey: 'cluster#shop' });
    });

    it('returns the stored run with created: false when the run already exists (a redelivered request)', async () => {
      // Prepare
      const stored = aRun({ runId: 'run-aaaa', step: 'SNAPSHOTTING', version: 3 });
      ddb.on(PutCommand).rejects(conditionFailed());
      ddb.on(GetCommand, { TableName: TABLE, Key: { runId: 'run-aaaa' } }).resolves({ Item: stored });

      // Act
      const result = await runs.create({
        runId: 'run-aaaa',
        identifier: 'orders-db',
        kind: 'instance',
        task: 'create_snapshot',
        snapshotIdentifier: 'orders-db-snapshot',
      });

      // Assess
      expect(result).toEqual({ created: false, run: stored });
      expect(ddb.commandCalls(GetCommand)[0]?.args[0].input).toEqual({
        TableName: TABLE,
        Key: { runId: 'run-aaaa' },
        ConsistentRead: true,
      });
    });

    it('propagates any other DynamoDB error', async () => {
      ddb.on(PutCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

      await expect(
        runs.create({
          runId: 'run-aaaa',
          identifier: 'orders-db',
          kind: 'instance',
          task: 'create_snapshot',
          snapshotIdentifier: 'orders-db-snapshot',
        }),
      ).rejects.toMatchObject({ name: 'ThrottlingException' });
      expect(ddb.commandCalls(GetCommand)).toHaveLength(0);
    });
  });

  describe('transition', () => {
    it('sets step, history and version+1 conditionally on the expected step and version', async () => {
      // Prepare
      const run = aRun({ step: 'RENAMING', version: 4 });
      const after = { ...run, step: 'RESTORING', version: 5 };
      ddb.on(UpdateCommand).resolves({ Attributes: after });

      // Act
      const result = await runs.transition(run, 'RESTORING', { note: 'renamed to orders-db-tr-01234567' });

      // Assess
      expect(result).toEqual(after);
      expect(ddb.commandCalls(UpdateCommand)).toHaveLength(1);
      expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toEqual({
        TableName: TABLE,
        Key: { runId: 'run-0123456789abcdef' },
        UpdateExpression:
          'SET #step = :step, #history = :history, #updatedAt = :updatedAt, #version = #version + :one REMOVE #wait, #waitKey',
        ConditionExpression: '#step = :expectedStep AND #version = :expectedVersion',
        ExpressionAttributeNames: {
          '#step': 'step',
          '#history': 'history',
          '#wait': 'wait',
          '#waitKey': 'waitKey',
          '#updatedAt': 'updatedAt',
          '#version': 'version',
        },
        ExpressionAttributeValues: {
          ':step': 'RESTORING',
          ':history': [
            { step: 'REQUESTED', at: EARLIER },
            { step: 'RESTORING', at: NOW, note: 'renamed to orders-db-tr-01234567' },
          ],
          ':updatedAt': NOW,
          ':expectedStep': 'RENAMING',
          ':expectedVersion': 4,
          ':one': 1,
        },
        ReturnValues: 'ALL_NEW',
      });
    });

    it('writes the patch and the failure along with the new step', async () => {
      // Prepare
      const run = aRun({ step: 'RESTORING', version: 7 });
      const failure = {
        step: 'RESTORING' as const,
        code: 'incompatible-restore',
        message: 'restored copy ended in incompatible-restore',
        at: NOW,
      };
      ddb.on(UpdateCommand).resolves({ Attributes: { ...run, step: 'ROLLING_BACK', version: 8 } });

      // Act
      await runs.transition(run, 'ROLLING_BACK', {
        patch: { progress: { restoreRequested: true } },
        failure,
      });

      // Assess
      const input = ddb.commandCalls(UpdateCommand)[0]?.args[0].input;
      expect(input?.UpdateExpression).toBe(
        'SET #progress = :progress, #step = :step, #history = :history, #failure = :failure, #updatedAt = :updatedAt, #version = #version + :one REMOVE #wait, #waitKey',
      );
      expect(input?.ExpressionAttributeValues).toMatchObject({
        ':progress': { restoreRequested: true },
        ':step': 'ROLLING_BACK',
        ':failure': failure,
        ':expectedStep': 'RESTORING',
        ':expectedVersion': 7,
      });
      expect(input?.ExpressionAttributeNames).toMatchObject({
        '#progress': 'progress',
        '#failure': 'failure',
      });
    });

    it('turns a lost conditional write into a StaleRunError', async () => {
      // Prepare
      ddb.on(UpdateCommand).rejects(conditionFailed());

      // Act
      const attempt = runs.transition(aRun({ step: 'RENAMING', version: 4 }), 'RESTORING');

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(StaleRunError);
      await expect(attempt).rejects.toThrow('run run-0123456789abcdef is no longer at RENAMING v4');
    });

    it('propagates a throttling error unchanged (not as stale)', async () => {
      ddb
        .on(UpdateCommand)
        .rejects(
          Object.assign(new Error('Rate exceeded'), { name: 'ProvisionedThroughputExceededException' }),
        );

      const attempt = runs.transition(aRun(), 'RESTORING');

      await expect(attempt).rejects.toMatchObject({ name: 'ProvisionedThroughputExceededException' });
      await expect(attempt).rejects.not.toBeInstanceOf(StaleRunError);
    });

    it.each([
      ['SUCCEEDED', 'RENAMING'],
      ['RESTORING', 'SNAPSHOTTING'],
      ['CLEANING_UP', 'ROLLING_BACK'],
      ['ROLLED_BACK', 'ROLLING_BACK'],
      ['REQUESTED', 'RENAMING'],
    ] as const)('refuses %s → %s before any DynamoDB call', async (from, to) => {
      // Prepare
      const run = aRun({ step: from });

      // Act
      const attempt = runs.transition(run, to);

      // Assess
      await expect(attempt).rejects.toThrow(
        `run run-0123456789abcdef: transition ${from} → ${to} is not allowed`,
      );
      expect(ddb.calls()).toHaveLength(0);
    });

    it('ends the wait on a terminal step, remembering its check-back sequence, and keeps active until markFinalized', async () => {
      // Prepare
      const run = aRun({
        step: 'CLEANING_UP',
        version: 9,
        wait: aWait(),
        waitKey: 'db-instance#orders-db-tr-01234567',
      });
      ddb.on(UpdateCommand).resolves({ Attributes: { ...run, step: 'SUCCEEDED', version: 10 } });

      // Act
      await runs.transition(run, 'SUCCEEDED');

      // Assess
      const input = ddb.commandCalls(UpdateCommand)[0]?.args[0].input;
      expect(input?.UpdateExpression).toBe(
        'SET #step = :step, #history = :history, #lastCheckSeq = :lastCheckSeq, #traceSeq = :traceSeq, #updatedAt = :updatedAt, #version = #version + :one REMOVE #wait, #waitKey',
      );
      expect(input?.UpdateExpression).not.toContain('#active');
      // The ended wait goes to a trace item of its own, written first (outside a reconcile: no signal known);
      // the run write carries only its number.
      expect(ddb.commandCalls(PutCommand)[0]?.args[0].input).toEqual({
        TableName: TABLE,
        Item: {
          runId: 'TRACE#run-0123456789abcdef#000001',
          traceOf: 'run-0123456789abcdef',
          seq: 1,
          at: NOW,
          calls: [],
          waits: [
            {
              step: 'CLEANING_UP',
              resourceType: 'db-instance',
              identifier: 'orders-db',
              target: 'available',
              since: EARLIER,
              endedAt: NOW,
            },
          ],
        },
      });
      expect(ddb.calls()[0]?.args[0]).toBeInstanceOf(PutCommand);
      expect(input?.ExpressionAttributeValues?.[':traceSeq']).toBe(1);
      expect(input?.ExpressionAttributeValues?.[':lastCheckSeq']).toBe(aWait().checkSeq);
      expect(input?.ExpressionAttributeNames).toEqual({
        '#step': 'step',
        '#history': 'history',
        '#wait': 'wait',
        '#waitKey': 'waitKey',
        '#lastCheckSeq': 'lastCheckSeq',
        '#traceSeq': 'traceSeq',
        '#updatedAt': 'updatedAt',
        '#version': 'version',
      });
      expect(input?.ExpressionAttributeValues).not.toHaveProperty(':wait');
      expect(input?.ExpressionAttributeValues).not.toHaveProperty(':waitKey');
    });

    it('ends the wait on every step change, so the next step never inherits its deadline', async () => {
      const run = aRun({ step: 'RESTORING', wait: aWait(), waitKey: 'db-instance#orders-db' });
      ddb.on(UpdateCommand).resolves({ Attributes: { ...run, step: 'ROLLING_BACK', version: 5 } });

      await runs.transition(run, 'ROLLING_BACK');

      expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input.UpdateExpression).toContain(
        'REMOVE #wait, #waitKey',
      );
    });
  });

  describe('update', () => {
    it('sets defined fields and REMOVEs the ones given as undefined, without changing the step', async () => {
      // Prepare
      const run = aRun({
        step: 'RESTORING',
        version: 6,
        wait: aWait(),
        waitKey: 'db-instance#orders-db',
        traceSeq: 4,
      });
      ddb.on(UpdateCommand).resolves({ Attributes: { ...run, version: 7 } });

      // Act
      await runs.update(run, {
        tempIdentifier: 'orders-db-tr-01234567',
        wait: undefined,
        waitKey: undefined,
      });

      // Assess
      expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toEqual({
        TableName: TABLE,
        Key: { runId: 'run-0123456789abcdef' },
        UpdateExpression:
          'SET #tempIdentifier = :tempIdentifier, #traceSeq = :traceSeq, #updatedAt = :updatedAt, #version = #version + :one REMOVE #wait, #waitKey',
        ConditionExpression: '#step = :expectedStep AND #version = :expectedVersion',
        ExpressionAttributeNames: {
          '#tempIdentifier': 'tempIdentifier',
          '#wait': 'wait',
          '#waitKey': 'waitKey',
          '#traceSeq': 'traceSeq',
          '#updatedAt': 'updatedAt',
          '#version': 'version',
          '#step': 'step',
        },
        ExpressionAttributeValues: {
          ':tempIdentifier': 'orders-db-tr-01234567',
          ':traceSeq': 5,
          ':updatedAt': NOW,
          ':expectedStep': 'RESTORING',
          ':expectedVersion': 6,
          ':one': 1,
        },
        ReturnValues: 'ALL_NEW',
      });
      expect(ddb.commandCalls(PutCommand)[0]?.args[0].input.Item).toMatchObject({
        runId: 'TRACE#run-0123456789abcdef#000005',
        seq: 5,
      });
    });

    it('a write that ends no wait and made no call writes no trace item', async () => {
      const run = aRun({ step: 'RESTORING', version: 6, traceSeq: 4 });
      ddb.on(UpdateCommand).resolves({ Attributes: { ...run, version: 7 } });

      await runs.update(run, { progress: { renameRequested: true } });

      expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
      expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input.UpdateExpression).not.toContain('traceSeq');
    });

    it('getTrace reads segments 1..traceSeq in batches of 100, retries unprocessed keys, and orders them', async () => {
      const seg = (seq: number) => ({
        runId: `TRACE#run-0123456789abcdef#${String(seq).padStart(6, '0')}`,
        seq,
        waits: [],
        calls: [{ at: NOW, service: 'restore', action: `A${seq}` }],
      });
      let first = true;
      ddb.on(BatchGetCommand).callsFake((input) => {
        const keys = input.RequestItems[TABLE].Keys as { runId: string }[];
        const seqs = keys.map((k) => Number(k.runId.slice(-6)));
        // The first batch leaves its last key unprocessed (throttled); answers come in any order.
        const answered = first ? seqs.slice(0, -1) : seqs;
        const unprocessed = first ? keys.slice(-1) : [];
        first = false;
        return {
          Responses: { [TABLE]: answered.reverse().map(seg) },
          ...(unprocessed.length ? { UnprocessedKeys: { [TABLE]: { Keys: unprocessed } } } : {}),
        };
      });

      const trace = await runs.getTrace({ runId: 'run-0123456789abcdef', traceSeq: 150 });

      expect(trace.calls.map((c) => c.action)).toEqual(Array.from({ length: 150 }, (_, i) => `A${i + 1}`));
      expect(trace.truncated).toBe(false);
      const batches = ddb
        .commandCalls(BatchGetCommand)
        .map((c) => c.args[0].input.RequestItems?.[TABLE]?.Keys?.length);
      expect(batches).toEqual([100, 51]);
    });

    it('getTrace of a run with no trace reads nothing; a very long one reads the last MAX_TRACE_SEGMENTS', async () => {
      expect(await runs.getTrace({ runId: 'run-0123456789abcdef' })).toEqual({
        waits: [],
        calls: [],
        truncated: false,
      });
      expect(ddb.commandCalls(BatchGetCommand)).toHaveLength(0);
      ddb.on(BatchGetCommand).resolves({ Responses: { [TABLE]: [] } });
      const long = await runs.getTrace({ runId: 'run-0123456789abcdef', traceSeq: MAX_TRACE_SEGMENTS + 7 });
      expect(long.truncated).toBe(true);
      const firstKey = ddb.commandCalls(BatchGetCommand)[0]?.args[0].input.RequestItems?.[TABLE]?.Keys?.[0];
      expect(firstKey).toEqual({ runId: 'TRACE#run-0123456789abcdef#000008' });
    });

    it('turns a lost conditional write into a StaleRunError', async () => {
      ddb.on(UpdateCommand).rejects(conditionFailed());

      await expect(runs.update(aRun(), { progress: { renameRequested: true } })).rejects.toBeInstanceOf(
        StaleRunError,
      );
    });
  });

  describe('markFinalized', () => {
    it('removes active from a terminal run, conditionally on its step and version', async () => {
      // Prepare
      const run = aRun({ step: 'SUCCEEDED', version: 11 });
      ddb.on(UpdateCommand).resolves({ Attributes: { ...run, active: undefined, version: 12 } });

      // Act
      await runs.markFinalized(run);

      // Assess
      const input = ddb.commandCalls(UpdateCommand)[0]?.args[0].input;
      expect(input?.UpdateExpression).toBe(
        'SET #updatedAt = :updatedAt, #version = #version + :one REMOVE #active',
      );
      expect(input?.ConditionExpression).toBe('#step = :expectedStep AND #version = :expectedVersion');
      expect(input?.ExpressionAttributeValues).toEqual({
        ':updatedAt': NOW,
        ':expectedStep': 'SUCCEEDED',
        ':expectedVersion': 11,
        ':one': 1,
      });
    });

    it('refuses a run that is not finished, before any call', async () => {
      await expect(runs.markFinalized(aRun({ step: 'RESTORING' }))).rejects.toThrow(
        'run run-0123456789abcdef is not finished (RESTORING)',
      );
      expect(ddb.calls()).toHaveLength(0);
    });
  });

  describe('acquireLock', () => {
    const lockPut = (holder: string) => ({
      TableName: TABLE,
      Item: { runId: 'LOCK#instance#orders-db', holder, acquiredAt: NOW },
      ConditionExpression: 'attribute_not_exists(runId) OR holder = :me',
      ExpressionAttributeValues: { ':me': holder },
    });

    it('takes a free lock with a conditional put', async () => {
      // Prepare
      ddb.on(PutCommand).resolves({});

      // Act
      const result = await runs.acquireLock(aRun());

      // Assess
      expect(result).toEqual({ acquired: true });
      expect(ddb.commandCalls(PutCommand)).toHaveLength(1);
      expect(ddb.commandCalls(PutCommand)[0]?.args[0].input).toEqual(lockPut('run-0123456789abcdef'));
    });

    it('reports a lock held by another active run, naming the holder', async () => {
      // Prepare
      ddb.on(PutCommand).rejects(conditionFailed());
      ddb
        .on(GetCommand, { Key: { runId: 'LOCK#instance#orders-db' } })
        .resolves({ Item: { runId: 'LOCK#instance#orders-db', holder: 'run-other' } });
      ddb
        .on(GetCommand, { Key: { runId: 'run-other' } })
        .resolves({ Item: aRun({ runId: 'run-other', step: 'RESTORING' }) });

      // Act
      const result = await runs.acquireLock(aRun());

      // Assess
      expect(result).toEqual({ acquired: false, holder: 'run-other' });
      expect(ddb.commandCalls(PutCommand)).toHaveLength(1);
      expect(ddb.commandCalls(GetCommand).map((c) => c.args[0].input)).toEqual([
        { TableName: TABLE, Key: { runId: 'LOCK#instance#orders-db' }, ConsistentRead: true },
        { TableName: TABLE, Key: { runId: 'run-other' }, ConsistentRead: true },
      ]);
    });

    it('takes over a lock left by a finished run, conditionally on the old holder', async () => {
      // Prepare
      ddb.on(PutCommand).rejectsOnce(conditionFailed()).resolves({});
      ddb
        .on(GetCommand, { Key: { runId: 'LOCK#instance#orders-db' } })
        .resolves({ Item: { runId: 'LOCK#instance#orders-db', holder: 'run-old' } });
      ddb
        .on(GetCommand, { Key: { runId: 'run-old' } })
        .resolves({ Item: aRun({ runId: 'run-old', step: 'ROLLED_BACK' }) });

      // Act
      const result = await runs.acquireLock(aRun());

      // Assess
      expect(result).toEqual({ acquired: true });
      const puts = ddb.commandCalls(PutCommand).map((c) => c.args[0].input);
      expect(puts).toEqual([
        lockPut('run-0123456789abcdef'),
        {
          TableName: TABLE,
          Item: { runId: 'LOCK#instance#orders-db', holder: 'run-0123456789abcdef', acquiredAt: NOW },
          ConditionExpression: 'holder = :old',
          ExpressionAttributeValues: { ':old': 'run-old' },
        },
      ]);
    });

    it('never takes over from a FAILED run: that database waits for a person', async () => {
      ddb.on(PutCommand).rejects(conditionFailed());
      ddb
        .on(GetCommand, { Key: { runId: 'LOCK#instance#orders-db' } })
        .resolves({ Item: { runId: 'LOCK#instance#orders-db', holder: 'run-old' } });
      ddb
        .on(GetCommand, { Key: { runId: 'run-old' } })
        .resolves({ Item: aRun({ runId: 'run-old', step: 'FAILED', progress: { needsPerson: true } }) });

      const result = await runs.acquireLock(aRun());

      expect(result).toEqual({ acquired: false, holder: 'run-old', needsPerson: true });
      expect(ddb.commandCalls(PutCommand)).toHaveLength(1);
    });

    it('gives up when another run wins the takeover race', async () => {
      ddb.on(PutCommand).rejects(conditionFailed());
      ddb
        .on(GetCommand, { Key: { runId: 'LOCK#instance#orders-db' } })
        .resolves({ Item: { runId: 'LOCK#instance#orders-db', holder: 'run-old' } });
      ddb
        .on(GetCommand, { Key: { runId: 'run-old' } })
        .resolves({ Item: aRun({ runId: 'run-old', step: 'ROLLED_BACK' }) });

      const result = await runs.acquireLock(aRun());

      expect(result).toEqual({ acquired: false, holder: 'another run' });
      expect(ddb.commandCalls(PutCommand)).toHaveLength(2);
    });

    it('re-puts with holder = :me when the run already holds its lock (a redelivered request)', async () => {
      // The first put succeeds thanks to `holder = :me`: the call is the same as for a free lock.
      ddb.on(PutCommand).resolves({});

      const result = await runs.acquireLock(aRun());

      expect(result).toEqual({ acquired: true });
      expect(ddb.commandCalls(PutCommand)[0]?.args[0].input.ConditionExpression).toBe(
        'attribute_not_exists(runId) OR holder = :me',
      );
      expect(ddb.commandCalls(GetCommand)).toHaveLength(0);
    });
  });

  describe('releaseLock', () => {
    it('deletes the lock only if this run holds it', async () => {
      ddb.on(DeleteCommand).resolves({});

      await runs.releaseLock(aRun());

      expect(ddb.commandCalls(DeleteCommand)[0]?.args[0].input).toEqual({
        TableName: TABLE,
        Key: { runId: 'LOCK#instance#orders-db' },
        ConditionExpression: 'holder = :me',
        ExpressionAttributeValues: { ':me': 'run-0123456789abcdef' },
      });
    });

    it('treats a lock held by someone else as already released', async () => {
      ddb.on(DeleteCommand).rejects(conditionFailed());

      await expect(runs.releaseLock(aRun())).resolves.toBeUndefined();
      expect(ddb.commandCalls(DeleteCommand)).toHaveLength(1);
    });

    it('propagates other errors so the message is retried', async () => {
      ddb.on(DeleteCommand).rejects(Object.assign(new Error('internal'), { name: 'InternalServerError' }));

      await expect(runs.releaseLock(aRun())).rejects.toMatchObject({ name: 'InternalServerError' });
    });
  });

  describe('queries', () => {
    it('findByWaitKey queries the byWaitKey index', async () => {
      // Prepare
      const waiting = aRun({ waitKey: 'db-instance#orders-db' });
      ddb.on(QueryCommand).resolves({ Items: [waiting] });

      // Act
      const found = await runs.findByWaitKey('db-instance#orders-db');

      // Assess
      expect(found).toEqual([waiting]);
      expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toEqual({
        TableName: TABLE,
        IndexName: 'byWaitKey',
        KeyConditionExpression: 'waitKey = :k',
        ExpressionAttributeValues: { ':k': 'db-instance#orders-db' },
      });
    });

    it('findByWaitKey returns an empty list when nothing waits', async () => {
      ddb.on(QueryCommand).resolves({});

      await expect(runs.findByWaitKey('db-snapshot#nope')).resolves.toEqual([]);
    });

    it('listByDatabase queries byDatabase newest first', async () => {
      ddb.on(QueryCommand).resolves({ Items: [aRun()] });

      await runs.listByDatabase('cluster', 'shop', 5);

      expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toEqual({
        TableName: TABLE,
        IndexName: 'byDatabase',
        KeyConditionExpression: 'dbKey = :k',
        ExpressionAttributeValues: { ':k': 'cluster#shop' },
        ScanIndexForward: false,
        Limit: 5,
      });
    });

    it('listActive pages through byActive until there is no LastEvaluatedKey', async () => {
      // Prepare
      const first = aRun({ runId: 'run-1' });
      const second = aRun({ runId: 'run-2' });
      const third = aRun({ runId: 'run-3' });
      ddb
        .on(QueryCommand)
        .resolvesOnce({ Items: [first, second], LastEvaluatedKey: { runId: 'run-2', active: 'Y' } })
        .resolvesOnce({ Items: [third] });

      // Act
      const active = await runs.listActive();

      // Assess
      expect(active.map((r) => r.runId)).toEqual(['run-1', 'run-2', 'run-3']);
      const inputs = ddb.commandCalls(QueryCommand).map((c) => c.args[0].input);
      expect(inputs).toEqual([
        {
          TableName: TABLE,
          IndexName: 'byActive',
          KeyConditionExpression: 'active = :y',
          ExpressionAttributeValues: { ':y': 'Y' },
          ExclusiveStartKey: undefined,
        },
        {
          TableName: TABLE,
          IndexName: 'byActive',
          KeyConditionExpression: 'active = :y',
          ExpressionAttributeValues: { ':y': 'Y' },
          ExclusiveStartKey: { runId: 'run-2', active: 'Y' },
        },
      ]);
    });

    it('listAll scans every page, skips lock items by filter and sorts newest first', async () => {
      // Prepare
      ddb
        .on(ScanCommand)
        .resolvesOnce({
          Items: [aRun({ runId: 'run-old', createdAt: '2026-01-01T00:00:00.000Z' })],
          LastEvaluatedKey: { runId: 'run-old' },
        })
        .resolvesOnce({ Items: [aRun({ runId: 'run-new', createdAt: '2026-02-01T00:00:00.000Z' })] });

      // Act
      const all = await runs.listAll(10);

      // Assess
      expect(all.map((r) => r.runId)).toEqual(['run-new', 'run-old']);
      expect(ddb.commandCalls(ScanCommand)[1]?.args[0].input).toEqual({
        TableName: TABLE,
        FilterExpression: 'attribute_exists(#step)',
        ExpressionAttributeNames: { '#step': 'step' },
        ExclusiveStartKey: { runId: 'run-old' },
      });
    });
  });
});
