/**
 * Shapes an in-place restore would break are refused at intake on the local stack: the run ends REJECTED with a
 * reason naming the shape, and RDS sees no call but reads.
 */
import type { LocalStack } from '@trapheus/local';
import { assertIamClean, clientsFor, freshStack, runRestore } from './stack-helpers';

jest.setTimeout(60_000);

describe('shapes refused at intake', () => {
  let stack: LocalStack;
  afterEach(async () => {
    try {
      await assertIamClean(stack);
    } finally {
      await stack?.stop();
    }
  });

  it('refuses a Multi-AZ DB cluster, a global database member, a cross-Region replica and an instance replicating a cluster, touching nothing', async () => {
    // Prepare
    stack = await freshStack(600, { seedDemo: false });
    const { runs } = clientsFor(stack);
    stack.rds.seedCluster({
      DBClusterIdentifier: 'maz-cluster',
      Engine: 'postgres',
      DBClusterInstanceClass: 'db.m6gd.large',
      StorageType: 'io1',
      Iops: 3000,
      AllocatedStorage: 100,
    });
    stack.rds.seedCluster({
      DBClusterIdentifier: 'global-member',
      Engine: 'aurora-postgresql',
      GlobalClusterIdentifier: 'global-shop',
    });
    stack.rds.seedCluster({
      DBClusterIdentifier: 'replica-cluster',
      Engine: 'aurora-mysql',
      ReplicationSourceIdentifier: 'arn:aws:rds:eu-west-1:000000000000:cluster:shop',
    });
    stack.rds.seedInstance({
      DBInstanceIdentifier: 'cluster-replica',
      Engine: 'mysql',
      ReadReplicaSourceDBClusterIdentifier: 'shop',
    });

    // Act
    const results = [
      await runRestore(stack, { identifier: 'maz-cluster', cluster: true }),
      await runRestore(stack, { identifier: 'global-member', cluster: true }),
      await runRestore(stack, { identifier: 'replica-cluster', cluster: true }),
      await runRestore(stack, { identifier: 'cluster-replica' }),
    ];

    // Assess
    const reasons = await Promise.all(
      results.map(async (r) => {
        const run = await runs.get(r.runId);
        return [run?.step, run?.reason];
      }),
    );
    expect(reasons).toEqual([
      ['REJECTED', expect.stringContaining('DBClusterInstanceClass is db.m6gd.large: a Multi-AZ DB cluster')],
      [
        'REJECTED',
        expect.stringContaining(
          'GlobalClusterIdentifier is global-shop: a member of an Aurora global database',
        ),
      ],
      [
        'REJECTED',
        expect.stringContaining(
          'ReplicationSourceIdentifier is arn:aws:rds:eu-west-1:000000000000:cluster:shop',
        ),
      ],
      ['REJECTED', expect.stringContaining('ReadReplicaSourceDBClusterIdentifier is shop')],
    ]);
    expect(results.map((r) => r.code)).toEqual([3, 3, 3, 3]); // REJECTED
    const mutating = Object.keys(stack.rds.callCounts()).filter((a) => !a.startsWith('Describe'));
    expect(mutating).toEqual([]);
  });
});
