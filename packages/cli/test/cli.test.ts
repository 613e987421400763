import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { parseEventFaults } from '../src/local-commands';
import { main } from '../src/main';
import { exitCodeFor } from '../src/restore';

const capture = () => {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
};

describe('trapheus CLI', () => {
  const eb = mockClient(EventBridgeClient);
  afterEach(() => eb.reset());
  afterAll(() => eb.restore());

  it('maps final steps to exit codes: 0 SUCCEEDED, 2 ROLLED_BACK, 1 otherwise', () => {
    expect(
      ['SUCCEEDED', 'ROLLED_BACK', 'FAILED', 'CLEANUP_FAILED', 'REJECTED'].map((s) =>
        exitCodeFor(s as never),
      ),
    ).toEqual([0, 2, 1, 1, 1]);
  });

  it('refuses an invalid request before sending anything, naming the field', async () => {
    const { io, err } = capture();

    const code = await main(['restore', 'orders_db', '--task', 'everything'], io);

    expect(code).toBe(1);
    expect(err.join('\n')).toContain('field "identifier" must start with a letter');
    expect(err.join('\n')).toContain(
      'field "task" must be one of create_snapshot, db_restore, create_snapshot_only',
    );
    expect(eb.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('refuses a stray argument instead of running the default task, and sends nothing', async () => {
    const { io, err } = capture();

    const code = await main(['restore', 'demo-db', 'db_restore', '--wait', '--stage', 'dev'], io);

    expect(code).toBe(1);
    expect(err).toEqual([
      'trapheus restore: unexpected argument "db_restore" (it takes <identifier>; did you mean --task db_restore?) (see `npx trapheus --help`)',
    ]);
    expect(eb.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('refuses an option of another command, naming it and the options that apply', async () => {
    const { io, err } = capture();

    const code = await main(['runs', '--throttle', '0.5', '--task', 'x'], io);
    const local = await main(['local', 'outbox', '--task', 'db_restore'], io);
    const extra = await main(['local', 'up', 'now'], io);

    expect([code, local, extra]).toEqual([1, 1, 1]);
    expect(err).toEqual([
      'trapheus runs: --throttle does not apply here (options: --identifier, --cluster, --json, --local, --stage) (see `npx trapheus --help`)',
      'trapheus local outbox: --task does not apply here (options: --json) (see `npx trapheus --help`)',
      'trapheus local up: unexpected argument "now" (it takes no arguments) (see `npx trapheus --help`)',
    ]);
  });

  it('says what is missing when restore has no identifier', async () => {
    const { io, err } = capture();

    expect(await main(['restore'], io)).toBe(1);
    expect(err).toEqual(['trapheus restore: missing <identifier>']);
  });

  it('reports a PutEvents rejection with its code', async () => {
    eb.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [
        { ErrorCode: 'ResourceNotFoundException', ErrorMessage: 'Event bus trapheus-dev does not exist.' },
      ],
    });
    const { io, err } = capture();

    const code = await main(['restore', 'orders-db', '--stage', 'dev'], io);

    expect(code).toBe(1);
    expect(err.at(-1)).toBe(
      'trapheus: PutEvents rejected the request: ResourceNotFoundException Event bus trapheus-dev does not exist.',
    );
    expect(eb.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0]).toMatchObject({
      EventBusName: 'trapheus-dev',
      Source: 'trapheus',
      DetailType: 'RestoreRequested',
    });
  });

  it('explains how to start the local stack when --local finds none', async () => {
    const { io, err } = capture();
    const cwd = mkdtempSync(join(tmpdir(), 'trapheus-cli-'));

    expect(await main(['runs', '--local'], io, cwd)).toBe(1);
    expect(err.join('\n')).toMatch(/no local stack found .* start one with `npx trapheus local up`/);
  });

  it('prints the usage for --help and -h, and names an unknown option with a pointer to it', async () => {
    for (const flag of ['--help', '-h']) {
      const { io, out } = capture();
      expect(await main([flag], io)).toBe(0);
      expect(out.join('\n')).toContain('Usage:');
    }
    const { io, err } = capture();
    expect(await main(['restore', 'demo-db', '--clutser'], io)).toBe(1);
    expect(err).toEqual(["trapheus: Unknown option '--clutser' (see `npx trapheus --help`)"]);
  });

  it('refuses a bad --timeout before sending anything', async () => {
    const { io, err } = capture();

    expect(await main(['restore', 'demo-db', '--wait', '--timeout', 'abc'], io)).toBe(1);
    expect(err).toEqual(['trapheus restore: --timeout must be a positive number of seconds']);
    expect(eb.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('parses event fault settings and rejects bad ones by name', () => {
    expect(parseEventFaults('drop=0.5,duplicate=0.1,reorder=0.2,delay=300')).toEqual({
      drop: 0.5,
      duplicate: 0.1,
      reorder: 0.2,
      delayMs: 300,
    });
    expect(() => parseEventFaults('drop=2')).toThrow('--events: drop is a probability between 0 and 1');
    expect(() => parseEventFaults('lose=0.1')).toThrow('--events: unknown key "lose"');
  });

  it('sends fault commands to the local RDS simulator control endpoint', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'trapheus-cli-'));
    const bodies: { url: string; body: unknown }[] = [];
    const { createServer } = await import('node:http');
    const server = createServer((req, res) => {
      let data = '';
      req.on('data', (c) => {
        data += c;
      });
      req.on('end', () => {
        bodies.push({ url: req.url ?? '', body: JSON.parse(data || '{}') });
        res.end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    mkdirSync(join(cwd, '.trapheus'));
    const url = `http://127.0.0.1:${port}`;
    writeFileSync(
      join(cwd, '.trapheus', 'local.json'),
      JSON.stringify({
        stage: 'local',
        region: 'us-east-1',
        busName: 'b',
        runsTable: 't',
        endpoints: { rds: url, bus: url, dynamodb: url, ses: url, slack: url },
      }),
    );
    const { io } = capture();

    await main(
      [
        'local',
        'fault',
        '--operation',
        'RestoreDBInstanceFromDBSnapshot',
        '--identifier',
        'demo-db',
        '--error',
        'InsufficientDBInstanceCapacity',
      ],
      io,
      cwd,
    );
    await main(['local', 'fault', '--events', 'drop=1'], io, cwd);
    await main(['local', 'fault', '--operation', 'DeleteDBInstance', '--status', 'failed'], io, cwd);
    server.close();

    expect(bodies).toEqual([
      {
        url: '/_sim/faults',
        body: {
          kind: 'api-error',
          operation: 'RestoreDBInstanceFromDBSnapshot',
          code: 'InsufficientDBInstanceCapacity',
          identifier: 'demo-db',
        },
      },
      { url: '/_sim/events', body: { drop: 1 } },
      {
        url: '/_sim/faults',
        body: { kind: 'async-failure', operation: 'DeleteDBInstance', status: 'failed' },
      },
    ]);
  });
});
