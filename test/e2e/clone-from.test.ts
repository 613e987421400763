/**
 * Aurora fast clone, end to end on the local stack (issue 15): task clone_from refreshes a cluster in place from a
 * copy-on-write clone of another cluster (RestoreDBClusterToPointInTime, RestoreType copy-on-write, latest time)
 * with the refreshed cluster's own configuration and members, and is refused where Aurora refuses a clone (or
 * would quietly make a full copy instead).
 */
import {
  DescribeDBClustersCommand,
  type RDSClient,
  RestoreDBClusterToPointInTimeCommand,
} from '@aws-sdk/client-rds';
import { DEMO_CLUSTER, DEMO_CLUSTER_MEMBERS, type LocalStack } from '@trapheus/local';
import type { Run } from '@trapheus/shared';
import { assertIamClean, clientsFor, freshStack, runRestore } from './stack-helpers';

jest.setTimeout(90_000);

const MUTATING = /^(Create|Delete|Modify|Restore|Add|Remove|Start|Stop|Reboot|Promote|Failover|Copy)/;

/** Seeds a cluster shaped like the demo one, with `members` members (the first the writer). */
const seedCluster = (
  stack: LocalStack,
  id: string,
  members: number,
  overrides: Record<string, unknown> = {},
) => {
  stack.rds.seedCluster({ ...DEMO_CLUSTER, DBClusterIdentifier: id, customEndpoints: [], ...overrides });
  for (let i = 0; i < members; i += 1) {
    const shape = DEMO_CLUSTER_MEMBERS[i === 0 ? 0 : 1];
    if (!shape) throw new Error('the demo cluster has a writer and a reader');
    stack.rds.seedInstance({
      ...shape,
      DBInstanceIdentifier: `${id}-${i === 0 ? 'writer' : `reader-${i}`}`,
      DBClusterIdentifier: id,
      ...(overrides.EngineVersion ? { EngineVersion: String(overrides.EngineVersion) } : {}),
    });
  }
};

const cloneFrom = (stack: LocalStack, identifier: string, source: string) =>
  runRestore(stack, { identifier, cluster: true, task: 'clone_from', sourceIdentifier: source });

const cluster = async (rds: RDSClient, id: string) =>
  (await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id }))).DBClusters?.[0];

describe('clone_from on the local stack', () => {
  let stack: LocalStack | undefined;
  afterEach(async () => {
    try {
      await assertIamClean(stack);
    } finally {
      await stack?.stop();
      stack = undefined;
    }
  });

  it('refreshes a 3-member cluster from a copy-on-write clone of another, keeping its own members and settings', async () => {
    stack = await freshStack();
    seedCluster(stack, 'prod-aurora', 1, { DBClusterParameterGroup: 'default.aurora-postgresql16' });
    seedCluster(stack, 'staging-aurora', 3);
    const { runs, rds } = clientsFor(stack);
    const sourceBefore = (await cluster(rds, 'prod-aurora'))!;
    const stagingBefore = (await cluster(rds, 'staging-aurora'))!;
    const start = Date.now();

    const result = await cloneFrom(stack, 'staging-aurora', 'prod-aurora');
    await stack.bus.whenIdle(20_000);

    expect(result.code).toBe(0);
    const run = (await runs.get(result.runId)) as Run;
    expect(run.step).toBe('SUCCEEDED');
    expect(run.cloneSource).toBe('prod-aurora');
    expect(run.history.map((h) => h.step)).not.toContain('SNAPSHOTTING');
    expect(run.history.find((h) => h.step === 'SNAPSHOT_READY')?.note).toBe(
      'cloning cluster prod-aurora (copy-on-write, no snapshot)',
    );
    const calls = stack.rds.callLog().filter((c) => c.action === 'RestoreDBClusterToPointInTime');
    expect(calls.map((c) => c.params)).toEqual([
      expect.objectContaining({
        SourceDBClusterIdentifier: 'prod-aurora',
        DBClusterIdentifier: run.copyIdentifier,
        RestoreType: 'copy-on-write',
        UseLatestRestorableTime: 'true',
        // The refreshed cluster keeps its own settings, not the source's.
        DBClusterParameterGroupName: DEMO_CLUSTER.DBClusterParameterGroup,
      }),
    ]);
    expect(calls[0]?.params.RestoreToTime).toBeUndefined();

    // The refreshed cluster answers under its name: a clone in the source's clone group, with its 3 members.
    const after = (await cluster(rds, 'staging-aurora'))!;
    expect(after.DbClusterResourceId).not.toBe(stagingBefore.DbClusterResourceId);
    expect(after.CloneGroupId).toBeDefined();
    expect(after.CloneGroupId).toBe((await cluster(rds, 'prod-aurora'))?.CloneGroupId);
    expect(after.DBClusterParameterGroup).toBe(stagingBefore.DBClusterParameterGroup);
    expect(after.DBClusterMembers?.map((m) => m.DBInstanceIdentifier).sort()).toEqual([
      'staging-aurora-reader-1',
      'staging-aurora-reader-2',
      'staging-aurora-writer',
    ]);
    expect(after.DBClusterMembers?.find((m) => m.IsClusterWriter)?.DBInstanceIdentifier).toBe(
      'staging-aurora-writer',
    );
    // The source was only read: no call changed it.
    const touched = stack.rds
      .callLog()
      .filter((c) => c.at >= start && MUTATING.test(c.action) && c.action !== 'RestoreDBClusterToPointInTime')
      .filter((c) =>
        Object.values(c.params).some((v) => v === 'prod-aurora' || v.startsWith('prod-aurora-')),
      );
    expect(touched).toEqual([]);
    expect((await cluster(rds, 'prod-aurora'))?.DbClusterResourceId).toBe(sourceBefore.DbClusterResourceId);
    // The old staging cluster went with a final snapshot (no snapshot was taken by the run).
    const deletes = stack.rds.callLog().filter((c) => c.action === 'DeleteDBCluster');
    expect(deletes.map((c) => c.params)).toEqual([
      expect.objectContaining({
        DBClusterIdentifier: run.tempIdentifier,
        FinalDBSnapshotIdentifier: `${run.tempIdentifier}-final`,
      }),
    ]);
  });

  it('refuses, touching nothing, what Aurora refuses or would quietly turn into a full copy', async () => {
    stack = await freshStack();
    seedCluster(stack, 'staging-aurora', 1);
    seedCluster(stack, 'empty-aurora', 0);
    seedCluster(stack, 'old-aurora', 1, { EngineVersion: '15.8' });
    seedCluster(stack, 'busy-aurora', 1);
    const { runs, rds } = clientsFor(stack);
    // 15 copy-on-write clones of busy-aurora already exist.
    for (let i = 0; i < 15; i += 1) {
      await rds.send(
        new RestoreDBClusterToPointInTimeCommand({
          DBClusterIdentifier: `busy-clone-${i}`,
          SourceDBClusterIdentifier: 'busy-aurora',
          RestoreType: 'copy-on-write',
          UseLatestRestorableTime: true,
        }),
      );
    }
    const start = Date.now();

    const cases = [
      ['empty-aurora', 'InvalidDBClusterStateFault', 'source DB cluster empty-aurora has no DB instance'],
      ['old-aurora', 'InvalidRequest', 'source DB cluster old-aurora runs aurora-postgresql 15.8'],
      [
        'arn:aws:rds:eu-west-1:000000000000:cluster:prod-aurora',
        'InvalidRequest',
        'is in Region eu-west-1, and Aurora clones only within a Region',
      ],
      ['no-such-aurora', 'DBClusterNotFoundFault', 'DB cluster no-such-aurora not found'],
      ['staging-aurora', 'InvalidRequest', 'names the cluster being refreshed'],
      ['busy-aurora', 'CloneLimitReached', 'already has 15 copy-on-write clones'],
    ] as const;
    for (const [source, code, reason] of cases) {
      const result = await cloneFrom(stack, 'staging-aurora', source);
      expect([source, result.code]).toEqual([source, 3]);
      const run = (await runs.get(result.runId)) as Run;
      expect([source, run.failure?.code]).toEqual([source, code]);
      expect(run.reason).toContain(reason);
    }
    // Calls by the stack's functions only (the test's own clone calls above are signed `local`).
    expect(
      stack.rds
        .callLog()
        .filter((c) => c.at >= start && c.accessKeyId !== 'local' && MUTATING.test(c.action)),
    ).toEqual([]);

    // The CLI refuses clone_from without a source, or on an instance, before sending anything.
    const noSource = await cloneFrom(stack, 'staging-aurora', '');
    expect(noSource.code).toBe(64);
    expect(noSource.err.join('\n')).toContain('field "sourceIdentifier" is required for clone_from');
  });
});
