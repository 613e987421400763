/** `trapheus plan` over a mocked RDS and runs table: blockers, quotas, the temp's final snapshot, the command. */

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeAccountAttributesCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { EXIT } from '../src/exit-codes';
import { main } from '../src/main';
import { callLine, renderPlan } from '../src/plan';
import { buildPlan } from '../src/plan-build';

const notFound = (name: string) => Object.assign(new Error(`${name}`), { name });

const rdsWith = (
  db: Record<string, unknown>,
  quotas?: { AccountQuotaName: string; Used: number; Max: number }[],
) => {
  const rds = new RDSClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const mock = mockClient(rds);
  mock.on(DescribeDBInstancesCommand).callsFake((input) => {
    if (input.DBInstanceIdentifier === db.DBInstanceIdentifier) return { DBInstances: [db] };
    throw notFound('DBInstanceNotFoundFault');
  });
  mock.on(DescribeDBClustersCommand).rejects(notFound('DBClusterNotFoundFault'));
  mock.on(DescribeDBSnapshotsCommand).callsFake((input) => {
    if (input.DBSnapshotIdentifier === 'prod-db-nightly') {
      return {
        DBSnapshots: [
          {
            DBSnapshotIdentifier: 'prod-db-nightly',
            DBInstanceIdentifier: 'prod-db',
            Status: 'available',
            DbiResourceId: 'db-PROD',
          },
        ],
      };
    }
    if (input.DBSnapshotIdentifier) throw notFound('DBSnapshotNotFoundFault');
    return { DBSnapshots: [] };
  });
  if (quotas) mock.on(DescribeAccountAttributesCommand).resolves({ AccountQuotas: quotas });
  else
    mock
      .on(DescribeAccountAttributesCommand)
      .rejects(Object.assign(new Error('not valid'), { name: 'InvalidAction' }));
  return { rds, mock };
};

const deps = (rds: RDSClient) => {
  const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
  mockClient(dynamo).on(GetCommand).resolves({});
  return { rds, dynamo, runsTable: 'runs', runs: { listByDatabase: async () => [] } };
};

const staging = {
  DBInstanceIdentifier: 'staging-db',
  DbiResourceId: 'db-STAGING',
  DBInstanceArn: 'arn:aws:rds:us-east-1:123456789012:db:staging-db',
  DBInstanceStatus: 'available',
  Engine: 'postgres',
  EngineVersion: '16.3',
  AllocatedStorage: 200,
  BackupRetentionPeriod: 0,
  TagList: [{ Key: 'env', Value: 'staging' }],
};

const runId = 'run-0123456789abcdef';

describe('buildPlan', () => {
  it('db_restore of another database’s snapshot, no automated backups: the temp is deleted with a final snapshot', async () => {
    const { rds, mock } = rdsWith(staging, [
      { AccountQuotaName: 'DBInstances', Used: 3, Max: 40 },
      { AccountQuotaName: 'ManualSnapshots', Used: 100, Max: 100 },
    ]);

    const plan = await buildPlan(deps(rds), {
      identifier: 'staging-db',
      kind: 'instance',
      task: 'db_restore',
      snapshot: 'prod-db-nightly',
      strategy: 'swap',
      runId,
    });

    expect(plan.wouldProceed).toBe(true);
    expect(plan.calls.at(-1)).toMatchObject({
      action: 'DeleteDBInstance',
      params: {
        DBInstanceIdentifier: 'staging-db-tr-01234567',
        FinalDBSnapshotIdentifier: 'staging-db-tr-01234567-final',
      },
    });
    expect(plan.checks.find((c) => c.check === 'snapshot')).toMatchObject({ verdict: 'notice' });
    // db_restore takes no snapshot: the full manual snapshot quota does not matter.
    expect(plan.checks.find((c) => c.check === 'quota DBInstances')?.verdict).toBe('ok');
    expect(plan.checks.some((c) => c.check === 'quota ManualSnapshots')).toBe(false);
    expect(plan.estimate.basis).toMatch(/\(200 GiB\) at assumed rates/);
    const sent = mock.calls().map((c) => c.args[0].constructor.name);
    expect(sent.every((n) => /^Describe/.test(n))).toBe(true);
  });

  it('a read replica, 50 tags and a full snapshot quota: every blocker, in the order intake meets them', async () => {
    const tags = Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
    const { rds } = rdsWith(
      { ...staging, ReadReplicaDBInstanceIdentifiers: ['staging-db-replica'], TagList: tags },
      [
        { AccountQuotaName: 'DBInstances', Used: 3, Max: 40 },
        { AccountQuotaName: 'ManualSnapshots', Used: 100, Max: 100 },
      ],
    );

    const plan = await buildPlan(deps(rds), {
      identifier: 'staging-db',
      kind: 'instance',
      task: 'create_snapshot',
      strategy: 'rename_first',
      runId,
    });

    expect(plan.wouldProceed).toBe(false);
    expect(plan.blockers.map((b) => b.code)).toEqual([
      'UnsupportedTopology',
      'TagQuotaPerResourceExceeded',
      'ManualSnapshotsQuotaExceeded',
    ]);
    expect(plan.blockers[0]?.reason).toContain('ReadReplicaDBInstanceIdentifiers is staging-db-replica');
    expect(plan.names.copy).toBeUndefined();
  });

  it('a long identifier: the temp name is shortened to 63 and the plan says so; quotas unknown without the API', async () => {
    const id = `a${'b'.repeat(61)}c`;
    const { rds } = rdsWith({
      ...staging,
      DBInstanceIdentifier: id,
      DBInstanceArn: `arn:aws:rds:us-east-1:1:db:${id}`,
    });

    const plan = await buildPlan(deps(rds), {
      identifier: id,
      kind: 'instance',
      task: 'create_snapshot',
      strategy: 'swap',
      runId,
    });

    expect(plan.names.temp).toHaveLength(63);
    expect(plan.checks.find((c) => c.check === 'names')?.detail).toContain(`shortened to fit: ${id}`);
    expect(plan.checks.find((c) => c.check === 'quotas')?.verdict).toBe('unknown');
  });
});

describe('trapheus plan (command)', () => {
  const parse = async (args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
    const code = await main(args, io, '/nonexistent');
    return { code, out, err };
  };

  it('refuses --local with --stage, a stray argument and an unknown strategy before reading anything', async () => {
    expect((await parse(['plan', 'demo-db', '--local', '--stage', 'prod'])).code).toBe(EXIT.USAGE);
    expect((await parse(['plan', 'demo-db', 'db_restore'])).err.join('\n')).toContain(
      'did you mean --task db_restore?',
    );
    expect((await parse(['plan', 'demo-db', '--strategy', 'fast'])).code).toBe(EXIT.USAGE);
  });

  it('an invalid identifier is a usage error (64), as for restore', async () => {
    const r = await parse(['plan', 'Not_Valid!', '--stage', 'dev']);
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.err.join('\n')).toContain('trapheus plan: invalid request');
  });

  it('renders calls as Action Param=value, tags as key=value', () => {
    expect(
      callLine({
        step: 'SNAPSHOTTING',
        service: 'snapshot',
        action: 'CreateDBSnapshot',
        params: { DBSnapshotIdentifier: 's-1', Tags: [{ Key: 'trapheus:snapshot-run', Value: runId }] },
      }),
    ).toBe(`CreateDBSnapshot DBSnapshotIdentifier=s-1 Tags=[trapheus:snapshot-run=${runId}]`);
    const lines = renderPlan(
      {
        identifier: 'x',
        kind: 'instance',
        task: 'create_snapshot',
        strategy: 'swap',
        wouldProceed: false,
        names: { runIdExample: runId, note: 'n', snapshotNote: 'sn' },
        calls: [],
        ledger: { kept: [], notKept: [] },
        checks: [],
        blockers: [{ code: 'RunAlreadyActive', reason: 'r', remedy: { action: 'follow', runId } }],
        estimate: { basis: 'b' },
      },
      '--stage prod',
    );
    expect(lines).toContain(`    next: npx trapheus status ${runId} --wait --stage prod`);
    expect(lines[1]).toBe('verdict: BLOCKED: 1 blocker(s) (exit 1)');
  });
});
