/**
 * Extra CI check, where Python moto is installed: the same handlers, unchanged, against moto's RDS (a second,
 * independent implementation of the RDS Query protocol), driven the way a user would: `trapheus local up
 * --rds-endpoint <moto>` in a scratch folder, then `trapheus restore … --wait --local` there. moto answers
 * instantly and emits no RDS events, so runs finish on their check-backs alone.
 *
 * 1. `create_snapshot_only` must SUCCEED.
 * 2. `create_snapshot` must stop safely: moto gives a restored instance the same DbiResourceId as the instance
 *    it replaces (real RDS never does), so Trapheus cannot tell the restored copy from the original. It must
 *    refuse to go on and refuse to delete either one, ending FAILED with both named — the safety guards working
 *    as designed, checked against a foreign implementation.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateDBInstanceCommand,
  CreateDBParameterGroupCommand,
  DeleteDBSnapshotCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { captureInstance, configurationDrift } from '@trapheus/shared';

// The SDK warns about Node < 22 when a client is constructed (not on import), so this line, before any client, is
// early enough. Lambda runs Node 22; on an older local Node the notice is only noise in the smoke output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const BIN = join(__dirname, '..', 'packages', 'cli', 'bin', 'trapheus.js');

/** The `trapheus` command in `cwd`, with its output collected. */
const trapheus = (args: string[], cwd: string) => {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number>((done) => child.once('exit', (code) => done(code ?? 1)));
  return { child, exited, output: () => ({ stdout, stderr }) };
};

/** Resolves once `local up` has written `<cwd>/.trapheus/local.json`; rejects with its output if it exits first. */
const stackUp = async (up: ReturnType<typeof trapheus>, cwd: string) => {
  const file = join(cwd, '.trapheus', 'local.json');
  let exit: number | undefined;
  void up.exited.then((code) => {
    exit = code;
  });
  for (let i = 0; i < 300; i++) {
    if (exit !== undefined) throw new Error(`local up exited ${exit}:\n${up.output().stderr}`);
    if (existsSync(file)) {
      const info = (() => {
        try {
          return JSON.parse(readFileSync(file, 'utf8')) as { rdsExternal?: boolean };
        } catch {
          return undefined; // between create and write: read again
        }
      })();
      if (info) return info;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`local up wrote no ${file} in 30 s:\n${up.output().stderr}`);
};

const freePort = () =>
  new Promise<number>((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });

const main = async (): Promise<number> => {
  if (spawnSync('moto_server', ['--help'], { encoding: 'utf8' }).status !== 0) {
    console.log('moto_server is not installed: skipped');
    return 0;
  }
  const port = await freePort();
  const moto: ChildProcess = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: 'ignore',
  });
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    for (let i = 0; i < 100; i++) {
      const ok = await fetch(`${endpoint}/moto-api/`).then(
        () => true,
        () => false,
      );
      if (ok) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const rds = new RDSClient({
      region: 'us-east-1',
      endpoint,
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    await rds.send(
      new CreateDBParameterGroupCommand({
        DBParameterGroupName: 'smoke-pg16',
        DBParameterGroupFamily: 'postgres16',
        Description: 'smoke',
      }),
    );
    await rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: 'smoke-db',
        Engine: 'postgres',
        EngineVersion: '16.3',
        DBInstanceClass: 'db.t4g.medium',
        AllocatedStorage: 50,
        MasterUsername: 'admin',
        MasterUserPassword: 'password123',
        DBParameterGroupName: 'smoke-pg16',
        MultiAZ: true,
        DeletionProtection: true,
        CopyTagsToSnapshot: true,
        Tags: [{ Key: 'team', Value: 'smoke' }],
      }),
    );
    // moto names automated snapshots by the minute, so a restore within the same minute collides with the
    // original's automated snapshot (a moto artefact, not RDS behaviour): remove it.
    const automated = await rds.send(
      new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: 'smoke-db', SnapshotType: 'automated' }),
    );
    for (const snap of automated.DBSnapshots ?? []) {
      await rds.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: snap.DBSnapshotIdentifier }));
    }
    const before = (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'smoke-db' })))
      .DBInstances?.[0];
    if (!before) throw new Error('moto did not return smoke-db');
    const cwd = mkdtempSync(join(tmpdir(), 'trapheus-moto-smoke-'));
    const up = trapheus(['local', 'up', '--rds-endpoint', endpoint, '--time-scale', '100'], cwd);
    try {
      const info = await stackUp(up, cwd);
      if (info.rdsExternal !== true) throw new Error('local.json does not say RDS is external');
      const run = async (task: string) => {
        const restore = trapheus(
          ['restore', 'smoke-db', '--task', task, '--wait', '--local', '--timeout', '120'],
          cwd,
        );
        const code = await restore.exited;
        for (const line of restore.output().stderr.split('\n').filter(Boolean)) console.log(`  ${line}`);
        return code;
      };
      const snapshotOnly = await run('create_snapshot_only');
      const full = await run('create_snapshot');
      const after = (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'smoke-db' })))
        .DBInstances?.[0];
      if (!after) throw new Error('smoke-db is gone after the runs');
      const drift = configurationDrift(captureInstance(before), after);
      const all = (await rds.send(new DescribeDBInstancesCommand({}))).DBInstances ?? [];
      console.log(
        `moto smoke: create_snapshot_only exit ${snapshotOnly} (want 0); create_snapshot exit ${full} (want 1: FAILED, nothing deleted); ` +
          `drift under smoke-db: ${drift.length ? drift.join('; ') : 'none'}; instances: ${all.map((i) => i.DBInstanceIdentifier).join(', ')}`,
      );
      const names = all.map((i) => i.DBInstanceIdentifier ?? '').sort();
      const nothingDeleted = names.length === 2 && names[0] === 'smoke-db';
      return snapshotOnly === 0 && full === 1 && nothingDeleted ? 0 : 1;
    } finally {
      up.child.kill('SIGTERM');
      await up.exited;
      rmSync(cwd, { recursive: true, force: true });
    }
  } finally {
    moto.kill('SIGTERM');
  }
};

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
