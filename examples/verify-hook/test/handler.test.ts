import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { RestoreVerifiedDetail } from '../src/contract';
import type { Db, DbTarget } from '../src/db';
import { type Deps, type Log, makeHandler } from '../src/handler';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:verify-abcdef';
const NOW = Date.parse('2026-12-01T03:00:00Z');

const secrets = mockClient(SecretsManagerClient);
const events = mockClient(EventBridgeClient);

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'verify-hook-'));
  for (const family of ['postgres', 'mysql']) {
    mkdirSync(join(root, 'sql', family), { recursive: true });
    writeFileSync(join(root, 'sql', family, '02-smoke.sql'), 'SELECT 2;');
    writeFileSync(join(root, 'sql', family, '01-mask.sql'), 'UPDATE t SET x = 1;');
    writeFileSync(join(root, 'sql', family, 'notes.txt'), 'not SQL');
  }
  writeFileSync(join(root, 'ca.pem'), '-----BEGIN CERTIFICATE-----\nfake\n-----END CERTIFICATE-----\n');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const detail = (over: Record<string, unknown> = {}) => ({
  runId: 'run-3f2a9c1d0b7e4a56',
  identifier: 'orders-db',
  kind: 'instance',
  copyIdentifier: 'orders-db-tc-3f2a9c1d',
  endpoint: { address: 'orders-db-tc-3f2a9c1d.abc.us-east-1.rds.amazonaws.com', port: 5432 },
  engine: 'postgres',
  snapshotIdentifier: 'orders-db-snapshot-3f2a9c1d',
  hooks: ['masking', 'smoke'],
  deadline: '2026-12-01T03:30:00Z',
  ...over,
});
const event = (d: unknown = detail()) => ({
  version: '0',
  id: 'e-1',
  'detail-type': 'RestoreVerifying',
  source: 'trapheus',
  account: '000000000000',
  time: '2026-12-01T03:00:00Z',
  region: 'us-east-1',
  resources: [],
  detail: d,
});
const ctx = (ms = 900_000) => ({ getRemainingTimeInMillis: () => ms });

interface Fake {
  targets: DbTarget[];
  ran: string[];
  closed: number;
}

/** A database double: records what it was asked; `fail` maps a SQL text to the error it throws. */
const fakeDb = (fail: Record<string, Error> = {}, connectError?: Error) => {
  const fake: Fake = { targets: [], ran: [], closed: 0 };
  const open = async (t: DbTarget): Promise<Db> => {
    fake.targets.push(t);
    if (connectError) throw connectError;
    return {
      run: async (sql) => {
        fake.ran.push(sql);
        const err = fail[sql];
        if (err) throw err;
      },
      close: async () => {
        fake.closed++;
      },
    };
  };
  return { fake, open };
};

const setup = (open: Deps['openDb'], env: Record<string, string> = {}) => {
  const logs: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
  const log: Log = (level, msg, fields) => logs.push({ level, msg, fields });
  const handler = makeHandler({
    secrets: new SecretsManagerClient({ region: 'us-east-1' }),
    events: new EventBridgeClient({ region: 'us-east-1' }),
    openDb: open,
    env: {
      HOOK_NAME: 'masking',
      EVENT_BUS_NAME: 'trapheus-dev',
      DB_SECRET_ARN: SECRET_ARN,
      DB_CA_FILE: join(root, 'ca.pem'),
      LAMBDA_TASK_ROOT: root,
      ...env,
    },
    now: () => NOW,
    log,
  });
  return { handler, logs };
};

/** The RestoreVerified details published, parsed with the contract's schema. */
const answers = () =>
  events.commandCalls(PutEventsCommand).flatMap((c) =>
    (c.args[0].input.Entries ?? []).map((e) => {
      expect(e).toMatchObject({
        EventBusName: 'trapheus-dev',
        Source: 'trapheus',
        DetailType: 'RestoreVerified',
      });
      return RestoreVerifiedDetail.parse(JSON.parse(e.Detail ?? ''));
    }),
  );

beforeEach(() => {
  secrets.reset();
  events.reset();
  secrets.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({
    SecretString: JSON.stringify({ username: 'verify', password: 's3cret', engine: 'postgres' }),
  });
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'x' }] });
});

describe('verify hook', () => {
  it('runs every SQL file in name order and answers ok', async () => {
    const { fake, open } = fakeDb();
    const { handler } = setup(open);

    await handler(event(), ctx());

    expect(fake.ran).toEqual(['UPDATE t SET x = 1;', 'SELECT 2;']);
    expect(fake.closed).toBe(1);
    expect(fake.targets[0]).toMatchObject({
      family: 'postgres',
      host: 'orders-db-tc-3f2a9c1d.abc.us-east-1.rds.amazonaws.com',
      port: 5432,
      user: 'verify',
      password: 's3cret',
      ssl: { rejectUnauthorized: true, verifyIdentity: true },
      // The deadline is 30 minutes away, the Lambda stops in 15: 10 s are kept to close and answer.
      statementTimeoutMs: 900_000 - 10_000,
    });
    expect(answers()).toEqual([
      {
        runId: 'run-3f2a9c1d0b7e4a56',
        hook: 'masking',
        ok: true,
        message: expect.stringContaining('postgres/01-mask.sql, postgres/02-smoke.sql'),
      },
    ]);
  });

  it('answers ok:false naming the failing file and the database error, and runs nothing after it', async () => {
    const err = Object.assign(new Error('relation "t" does not exist'), { code: '42P01' });
    const { fake, open } = fakeDb({ 'UPDATE t SET x = 1;': err });
    const { handler } = setup(open);

    await handler(event(), ctx());

    expect(fake.ran).toEqual(['UPDATE t SET x = 1;']);
    expect(fake.closed).toBe(1);
    const [a] = answers();
    expect(a?.ok).toBe(false);
    expect(a?.message).toContain('postgres/01-mask.sql');
    expect(a?.message).toContain('relation "t" does not exist (code 42P01)');
  });

  it('uses the MySQL files for aurora-mysql, mysql and mariadb', async () => {
    for (const engine of ['aurora-mysql', 'mysql', 'mariadb']) {
      events.reset();
      events.on(PutEventsCommand).resolves({ FailedEntryCount: 0 });
      const { fake, open } = fakeDb();
      const { handler } = setup(open);

      const deadline = new Date(NOW + 60_000).toISOString();
      await handler(event(detail({ engine, endpoint: { address: 'db', port: '3306' }, deadline })), ctx());

      expect(fake.targets[0]).toMatchObject({ family: 'mysql', port: 3306, statementTimeoutMs: 60_000 });
      expect(answers()[0]?.message).toContain('mysql/01-mask.sql, mysql/02-smoke.sql');
    }
  });

  it('ignores an event that does not ask for this hook (no connection, no answer)', async () => {
    const { fake, open } = fakeDb();
    const { handler, logs } = setup(open);

    expect(await handler(event(detail({ hooks: ['smoke'] })), ctx())).toBeUndefined();

    expect(fake.targets).toEqual([]);
    expect(events.commandCalls(PutEventsCommand)).toHaveLength(0);
    expect(logs.map((l) => l.msg)).toEqual(['not for this hook']);
  });

  it('refuses an engine it does not speak with ok:false, without connecting', async () => {
    const { fake, open } = fakeDb();
    const { handler } = setup(open);

    await handler(event(detail({ engine: 'sqlserver-se' })), ctx());

    expect(fake.targets).toEqual([]);
    expect(answers()).toEqual([
      expect.objectContaining({
        ok: false,
        message: expect.stringContaining('engine sqlserver-se is not supported'),
      }),
    ]);
  });

  it('a malformed event it can address (run id, asks for this hook) is answered ok:false naming the fields', async () => {
    const { fake, open } = fakeDb();
    const { handler, logs } = setup(open);
    const { endpoint: _gone, ...rest } = detail();

    await handler(event({ ...rest, host: 'x' }), ctx());

    expect(fake.targets).toEqual([]);
    const [a] = answers();
    expect(a).toMatchObject({ runId: 'run-3f2a9c1d0b7e4a56', hook: 'masking', ok: false });
    expect(a?.message).toMatch(/^malformed RestoreVerifying event: detail\.endpoint: /);
    expect(logs[0]).toMatchObject({ level: 'error', msg: 'malformed RestoreVerifying event' });
  });

  it('a malformed event without a readable run id is logged and not answered', async () => {
    const { open } = fakeDb();
    const { handler, logs } = setup(open);

    expect(await handler(event(detail({ runId: 42 })), ctx())).toBeUndefined();
    expect(await handler({ hello: 'world' }, ctx())).toBeUndefined();

    expect(events.commandCalls(PutEventsCommand)).toHaveLength(0);
    expect(logs.map((l) => l.level)).toEqual(['error', 'error']);
  });

  it('answers ok:false when it cannot connect, naming the endpoint and the TLS mode', async () => {
    const { open } = fakeDb(
      {},
      Object.assign(new Error('connect ETIMEDOUT 10.0.0.5:5432'), { code: 'ETIMEDOUT' }),
    );
    const { handler } = setup(open);

    await handler(event(), ctx());

    expect(answers()[0]?.message).toBe(
      'connecting to postgres orders-db-tc-3f2a9c1d.abc.us-east-1.rds.amazonaws.com:5432 (TLS verify-full) failed: ' +
        'connect ETIMEDOUT 10.0.0.5:5432 (code ETIMEDOUT)',
    );
  });

  it('fails closed when the CA bundle is missing (verify-full), and connects without it only when told to', async () => {
    const { fake, open } = fakeDb();
    const missing = setup(open, { DB_CA_FILE: 'certs/missing.pem' });
    await missing.handler(event(), ctx());
    expect(fake.targets).toEqual([]);
    expect(answers()[0]?.message).toContain('needs the RDS CA bundle');

    events.reset();
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0 });
    const noVerify = setup(open, { DB_CA_FILE: 'certs/missing.pem', DB_TLS: 'require-no-verify' });
    await noVerify.handler(event(), ctx());
    expect(fake.targets[0]?.ssl).toEqual({ rejectUnauthorized: false, verifyIdentity: false });
    expect(answers()[0]?.ok).toBe(true);
  });

  it('a crash (unreadable secret) still answers ok:false, without a piece of the secret', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: 'password=hunter2' });
    const { open } = fakeDb();
    const { handler } = setup(open);

    await handler(event(), ctx());

    const [a] = answers();
    expect(a?.ok).toBe(false);
    expect(a?.message).toBe(`hook failed: secret ${SECRET_ARN} is not a JSON SecretString`);
    expect(a?.message).not.toContain('hunter2');
  });

  it('runs nothing once the deadline has passed, and answers ok:false', async () => {
    const { fake, open } = fakeDb();
    const { handler } = setup(open);

    await handler(event(detail({ deadline: NOW - 1 })), ctx());

    expect(fake.targets).toEqual([]);
    expect(answers()[0]).toMatchObject({ ok: false, message: expect.stringContaining('no time left') });
  });

  it('a file still running when time is up is answered ok:false before Lambda stops the function', async () => {
    const never: Deps['openDb'] = async () => ({ run: () => new Promise(() => {}), close: async () => {} });
    const { handler } = setup(never);

    // 10.05 s left: 50 ms for the SQL, 10 s kept to close and answer.
    await handler(event(), ctx(10_050));

    expect(answers()[0]?.message).toMatch(/^postgres\/01-mask\.sql failed on .*: the file timed out/);
  });

  it('a connection still opening when time is up is answered ok:false, and closed once it opens', async () => {
    let closed = 0;
    let resolveOpen: (db: Db) => void = () => {};
    const slow: Deps['openDb'] = () =>
      new Promise((resolve) => {
        resolveOpen = resolve;
      });
    const { handler } = setup(slow);

    await handler(event(), ctx(10_050));
    resolveOpen({ run: async () => {}, close: async () => void closed++ });
    await new Promise((r) => setImmediate(r));

    expect(answers()[0]?.message).toMatch(/^connecting to .* failed: the connection timed out/);
    expect(closed).toBe(1);
  });

  it('refuses to start under a hook name Trapheus would not accept', async () => {
    const { open } = fakeDb();
    const { handler } = setup(open, { HOOK_NAME: 'masking hook' });

    await expect(handler(event(), ctx())).rejects.toThrow('HOOK_NAME');
    expect(events.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('keeps a long database error under the 1,000 characters an answer may carry', async () => {
    const { open } = fakeDb({ 'UPDATE t SET x = 1;': new Error('x'.repeat(5000)) });
    const { handler } = setup(open);

    await handler(event(), ctx());

    expect(answers()[0]?.message).toHaveLength(1000);
  });

  it('throws when the answer cannot be published (the run then times out and rolls back)', async () => {
    events.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'AccessDeniedException', ErrorMessage: 'no' }],
    });
    const { open } = fakeDb();
    const { handler } = setup(open);

    await expect(handler(event(), ctx())).rejects.toThrow(
      'PutEvents refused the answer: AccessDeniedException no',
    );
  });
});
