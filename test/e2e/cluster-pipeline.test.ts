/** The Aurora cluster pipeline end to end on the local stack. */
import { DescribeDBClustersCommand } from '@aws-sdk/client-rds';
import type { LocalStack } from '@trapheus/local';
import {
  captureCluster,
  clusterDrift,
  copyIdentifierFor,
  describeCluster,
  describeCustomEndpoints,
  describeInstance,
  runIdFor,
} from '@trapheus/shared';
import { assertIamClean, clientsFor, clusterLayout, freshStack, runRestore, stepsOf } from './stack-helpers';

jest.setTimeout(120_000);

const LAYOUT = {
  clusters: ['demo-cluster'],
  members: ['demo-cluster/demo-cluster-reader', 'demo-cluster/demo-cluster-writer'],
};

describe('cluster pipeline on the local stack', () => {
  let stack: LocalStack;
  afterEach(async () => {
    try {
      await assertIamClean(stack);
    } finally {
      await stack?.stop();
    }
  });

  const capture = async () => {
    const { rds } = clientsFor(stack);
    const cluster = (await describeCluster(rds, 'demo-cluster'))!;
    const members = await Promise.all(
      (cluster.DBClusterMembers ?? []).map(
        async (m) => (await describeInstance(rds, m.DBInstanceIdentifier!))!,
      ),
    );
    return { cluster, members, captured: captureCluster(cluster, members) };
  };

  it('create_snapshot: the cluster and both members are restored in place with their configuration', async () => {
    stack = await freshStack();
    const before = await capture();

    const result = await runRestore(stack, { identifier: 'demo-cluster', cluster: true });

    expect(result.code).toBe(0);
    const after = await capture();
    expect(after.cluster.DbClusterResourceId).not.toBe(before.cluster.DbClusterResourceId);
    expect(clusterDrift(before.captured, after.cluster, after.members)).toEqual([]);
    expect(after.cluster.DBClusterMembers?.find((m) => m.IsClusterWriter)?.DBInstanceIdentifier).toBe(
      'demo-cluster-writer',
    );
    expect(clusterLayout(stack)).toEqual(LAYOUT);
    expect(stack.rds.callCounts().RestoreDBClusterFromSnapshot).toBe(1);
    expect(stack.rds.callCounts().CreateDBInstance).toBe(2);
  });

  it('create_snapshot_only and then db_restore succeed for the cluster', async () => {
    stack = await freshStack();
    const { runs } = clientsFor(stack);

    const snap = await runRestore(stack, {
      identifier: 'demo-cluster',
      cluster: true,
      task: 'create_snapshot_only',
    });
    const again = await runRestore(stack, { identifier: 'demo-cluster', cluster: true, task: 'db_restore' });

    expect([snap.code, again.code]).toEqual([0, 0]);
    expect(stepsOf(await runs.get(snap.runId))).toEqual(['REQUESTED', 'SNAPSHOTTING', 'SUCCEEDED']);
    expect((await runs.get(again.runId))?.step).toBe('SUCCEEDED');
    expect(clusterLayout(stack)).toEqual(LAYOUT);
  });

  it('rename_first: a member that fails to be created rolls the whole cluster back under its names', async () => {
    stack = await freshStack();
    const { rds, runs } = clientsFor(stack);
    const before = await capture();
    stack.rds.faults.add({
      kind: 'api-error',
      operation: 'CreateDBInstance',
      identifier: 'demo-cluster-reader',
      code: 'InsufficientDBInstanceCapacity',
    });

    const result = await runRestore(stack, {
      identifier: 'demo-cluster',
      cluster: true,
      strategy: 'rename_first',
    });

    expect(result.code).toBe(2);
    const run = await runs.get(result.runId);
    expect(run?.failure).toMatchObject({ step: 'RESTORING', code: 'InsufficientDBInstanceCapacity' });
    const cluster = (await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: 'demo-cluster' })))
      .DBClusters?.[0];
    expect(cluster?.DbClusterResourceId).toBe(before.cluster.DbClusterResourceId);
    expect(clusterLayout(stack)).toEqual(LAYOUT);
    const after = await capture();
    expect(after.members.map((m) => m.DbiResourceId).sort()).toEqual(
      before.members.map((m) => m.DbiResourceId).sort(),
    );
    expect(clusterDrift(before.captured, after.cluster, after.members)).toEqual([]);
  });

  it('rename_first: a failure after the custom endpoints moved to the copy rolls back with the endpoints on the original again', async () => {
    stack = await freshStack();
    const { rds, runs } = clientsFor(stack);
    const before = await capture();
    const endpointsBefore = await describeCustomEndpoints(rds, 'demo-cluster');
    // The last call of CONFIGURING (untagging the configured copy) fails for good: the endpoints are on the copy.
    stack.rds.faults.add({
      kind: 'api-error',
      operation: 'RemoveTagsFromResource',
      identifier: 'demo-cluster',
      code: 'InvalidParameterValue',
    });

    const result = await runRestore(stack, {
      identifier: 'demo-cluster',
      cluster: true,
      strategy: 'rename_first',
    });

    expect(result.code).toBe(2);
    const run = await runs.get(result.runId);
    expect(run?.failure).toMatchObject({ step: 'CONFIGURING', code: 'InvalidParameterValue' });
    const after = await capture();
    expect(after.cluster.DbClusterResourceId).toBe(before.cluster.DbClusterResourceId);
    expect(clusterLayout(stack)).toEqual(LAYOUT);
    const endpointsAfter = await describeCustomEndpoints(rds, 'demo-cluster');
    expect(endpointsBefore.map((e) => e.DBClusterEndpointIdentifier)).toEqual(['demo-analytics']);
    expect(
      endpointsAfter.map((e) => [e.DBClusterEndpointIdentifier, e.DBClusterIdentifier, e.Status]),
    ).toEqual([['demo-analytics', 'demo-cluster', 'available']]);
  });

  it('with every RDS event lost the cluster run still succeeds', async () => {
    stack = await freshStack();
    stack.rds.faults.setEvents({ drop: 1 });

    const result = await runRestore(stack, { identifier: 'demo-cluster', cluster: true });

    expect(result.code).toBe(0);
    expect(stack.rds.deliveredEvents()).toEqual([]);
    expect(clusterLayout(stack)).toEqual(LAYOUT);
  });

  describe('restore beside, then swap', () => {
    const THREE = {
      clusters: ['tri'],
      members: ['tri/tri-a', 'tri/tri-b', 'tri/tri-c'],
    };
    const seedThree = () => {
      stack.rds.seedCluster({
        DBClusterIdentifier: 'tri',
        Engine: 'aurora-mysql',
        DBClusterParameterGroup: 'tri-params',
        DeletionProtection: true,
        TagList: [{ Key: 'team', Value: 'shop' }],
      });
      for (const [name, tier] of [
        ['tri-a', 0],
        ['tri-b', 1],
        ['tri-c', 2],
      ] as const) {
        stack.rds.seedInstance({
          DBInstanceIdentifier: name,
          Engine: 'aurora-mysql',
          DBClusterIdentifier: 'tri',
          DBInstanceClass: 'db.r6g.large',
          PromotionTier: tier,
          StorageType: 'aurora',
        });
      }
    };
    const captureTri = async () => {
      const { rds } = clientsFor(stack);
      const cluster = (await describeCluster(rds, 'tri'))!;
      const members = await Promise.all(
        (cluster.DBClusterMembers ?? []).map(
          async (m) => (await describeInstance(rds, m.DBInstanceIdentifier!))!,
        ),
      );
      return { cluster, members, captured: captureCluster(cluster, members) };
    };

    it('a 3-member cluster is restored beside the original and swapped in, members and all', async () => {
      stack = await freshStack(600, { seedDemo: false });
      const { runs } = clientsFor(stack);
      seedThree();
      const before = await captureTri();

      const result = await runRestore(stack, { identifier: 'tri', cluster: true });

      expect(result.code).toBe(0);
      const run = (await runs.get(result.runId))!;
      expect(stepsOf(run)).toEqual([
        'REQUESTED',
        'SNAPSHOTTING',
        'SNAPSHOT_READY',
        'RESTORING',
        'CONFIGURING',
        'SWAPPING',
        'CLEANING_UP',
        'SUCCEEDED',
      ]);
      const after = await captureTri();
      expect(after.cluster.DbClusterResourceId).not.toBe(before.cluster.DbClusterResourceId);
      expect(after.cluster.Endpoint).toBe(before.cluster.Endpoint);
      expect(clusterDrift(before.captured, after.cluster, after.members)).toEqual([]);
      expect(clusterLayout(stack)).toEqual(THREE);
      expect(run.progress.downtimeStartedAt).toBeDefined();
      expect(run.progress.downtimeEndedAt).toBeDefined();
    });

    it('a failure before the swap deletes the copy: the original cluster and members never moved', async () => {
      stack = await freshStack(600, { seedDemo: false });
      const { runs } = clientsFor(stack);
      seedThree();
      const before = await captureTri();
      stack.rds.faults.add({
        kind: 'async-failure',
        operation: 'RestoreDBClusterFromSnapshot',
        status: 'failed',
      });

      const result = await runRestore(stack, { identifier: 'tri', cluster: true });

      expect(result.code).toBe(2);
      const run = (await runs.get(result.runId))!;
      expect(run.history.at(-1)?.note).toBe('failed before the swap: the original was never moved');
      const after = await captureTri();
      expect(after.cluster.DbClusterResourceId).toBe(before.cluster.DbClusterResourceId);
      expect(after.members.map((m) => m.DbiResourceId).sort()).toEqual(
        before.members.map((m) => m.DbiResourceId).sort(),
      );
      expect(clusterLayout(stack)).toEqual(THREE);
      expect(stack.rds.callCounts().ModifyDBCluster ?? 0).toBe(0);
    });

    it('a failure between the renames puts the names back', async () => {
      stack = await freshStack(600, { seedDemo: false });
      const { runs } = clientsFor(stack);
      seedThree();
      const before = await captureTri();
      const requestId = 'cluster-swap-half-way';
      const side = copyIdentifierFor('tri', runIdFor({ requestId }));
      const started = await runRestore(stack, { identifier: 'tri', cluster: true, requestId, wait: false });
      for (let i = 0; i < 4000; i++) {
        if ((await runs.get(started.runId))?.step === 'SWAPPING') break;
        await new Promise((r) => setTimeout(r, 5));
      }
      // The copy cluster's rename to the name fails for good: the original members and cluster are aside by then.
      stack.rds.faults.add({
        kind: 'api-error',
        operation: 'ModifyDBCluster',
        identifier: side,
        code: 'InvalidParameterCombination',
        count: 1,
      });

      const result = await runRestore(stack, { identifier: 'tri', cluster: true, requestId });

      expect(result.code).toBe(2);
      const run = (await runs.get(result.runId))!;
      expect(run.failure).toMatchObject({ step: 'SWAPPING', code: 'InvalidParameterCombination' });
      expect(run.history.at(-1)?.note).toBe('names put back during the swap');
      const after = await captureTri();
      expect(after.cluster.DbClusterResourceId).toBe(before.cluster.DbClusterResourceId);
      expect(after.members.map((m) => m.DbiResourceId).sort()).toEqual(
        before.members.map((m) => m.DbiResourceId).sort(),
      );
      expect(clusterLayout(stack)).toEqual(THREE);
    });
  });
});
