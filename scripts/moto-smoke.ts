/**
 * Extra CI check, where Python moto is installed: the same handlers, unchanged, against moto's RDS (a second,
 * independent implementation of the RDS Query protocol). moto answers instantly and emits no RDS events, so runs
 * finish on their check-backs alone.
 *
 * 1. `create_snapshot_only` must SUCCEED.
 * 2. `create_snapshot` must stop safely: moto gives a restored instance the same DbiResourceId as the instance
 *    it replaces (real RDS never does), so Trapheus cannot tell the restored copy from the original. It must
 *    refuse to go on and refuse to delete either one, ending FAILED with both named — the safety guards working
 *    as designed, checked against a foreign implementation.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import {
  CreateDBInstanceCommand,
  CreateDBParameterGroupCommand,
  DeleteDBSnapshotCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { startLocalStack } from '@trapheus/local';
import { captureInstance, configurationDrift } from '@trapheus/shared';
import { restore } from '../packages/cli/src/restore';
import { targetForStack } from '../packages/cli/src/target';

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
    const stack = await startLocalStack({
      rootDir: join(__dirname, '..'),
      timeScale: 100,
      rdsEndpoint: endpoint,
      seedDemo: false,
    });
    try {
      const target = targetForStack(stack);
      const run = (task: string) =>
        restore(
          target,
          {
            identifier: 'smoke-db',
            cluster: false,
            task,
            wait: true,
            acceptTimeoutSeconds: 30,
            waitTimeoutSeconds: 120,
            pollMs: 100,
          },
          { out: () => undefined, err: (l) => console.log(`  ${l}`) },
        );
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
      await stack.stop();
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
