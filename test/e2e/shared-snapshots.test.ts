/**
 * Snapshots across accounts, end to end on the local stack (issue 15): db_restore from a snapshot another account
 * shared (an encrypted DB snapshot is first copied into this account with the target's key, then restored; an
 * Aurora cluster snapshot is restored directly), and share_snapshot, which takes a fresh snapshot and shares it
 * (copied first with a customer managed key when asked; a snapshot on the AWS managed key is refused by RDS).
 */
import { DescribeDBSnapshotAttributesCommand } from '@aws-sdk/client-rds';
import { DEMO_CLUSTER, type LocalStack } from '@trapheus/local';
import type { Run } from '@trapheus/shared';
import { assertIamClean, clientsFor, describe1, freshStack, runRestore } from './stack-helpers';

jest.setTimeout(90_000);

const PROD = '111111111111';
const LOCAL_KEY = 'arn:aws:kms:us-east-1:000000000000:key/staging';
const MUTATING = /^(Create|Delete|Modify|Restore|Add|Remove|Start|Stop|Reboot|Promote|Failover|Copy)/;

const request = (stack: LocalStack, opts: Parameters<typeof runRestore>[1]) =>
  runRestore(stack, { identifier: 'staging-db', task: 'db_restore', ...opts });

/** An encrypted staging instance on a customer managed key of this account. */
const seedStaging = (stack: LocalStack, kmsKeyId = LOCAL_KEY) =>
  stack.rds.seedInstance({
    DBInstanceIdentifier: 'staging-db',
    Engine: 'postgres',
    EngineVersion: '16.3',
    DBInstanceClass: 'db.t4g.medium',
    AllocatedStorage: 20,
    BackupRetentionPeriod: 1,
    StorageEncrypted: true,
    KmsKeyId: kmsKeyId,
  });

describe('snapshots across accounts on the local stack', () => {
  let stack: LocalStack | undefined;
  afterEach(async () => {
    try {
      await assertIamClean(stack);
    } finally {
      await stack?.stop();
      stack = undefined;
    }
  });

  it('a shared encrypted DB snapshot from another account: copied with the target key, then restored in place', async () => {
    stack = await freshStack();
    seedStaging(stack);
    stack.rds.seedKmsKey({ keyId: 'prod', account: PROD, usableBy: ['000000000000'] });
    const arn = stack.rds.seedForeignSnapshot({
      kind: 'instance',
      account: PROD,
      sharedWith: ['000000000000'],
      DBSnapshotIdentifier: 'prod-db-nightly',
      Engine: 'postgres',
      EngineVersion: '16.3',
      AllocatedStorage: 20,
      KmsKeyId: `arn:aws:kms:us-east-1:${PROD}:key/prod`,
    });
    const { runs, rds } = clientsFor(stack);
    const before = (await describe1(rds, 'staging-db'))!;

    const result = await request(stack, { snapshot: arn });
    await stack.bus.whenIdle(20_000);

    expect(result.code).toBe(0);
    const run = (await runs.get(result.runId)) as Run;
    expect(run.step).toBe('SUCCEEDED');
    expect(run.history.map((h) => h.step).slice(0, 3)).toEqual([
      'REQUESTED',
      'SNAPSHOTTING',
      'SNAPSHOT_READY',
    ]);
    const copyId = run.snapshotIdentifier;
    expect(copyId).toMatch(/^staging-db-shared-[0-9a-f]{8}$/);
    expect(run.progress.copyOf).toBe(arn);
    const copies = stack.rds.callLog().filter((c) => c.action === 'CopyDBSnapshot');
    expect(copies.map((c) => c.params)).toEqual([
      expect.objectContaining({
        SourceDBSnapshotIdentifier: arn,
        TargetDBSnapshotIdentifier: copyId,
        KmsKeyId: LOCAL_KEY,
      }),
    ]);
    const restores = stack.rds.callLog().filter((c) => c.action === 'RestoreDBInstanceFromDBSnapshot');
    expect(restores.map((c) => c.params.DBSnapshotIdentifier)).toEqual([copyId]);
    const after = (await describe1(rds, 'staging-db'))!;
    expect(after.DbiResourceId).not.toBe(before.DbiResourceId);
    expect(after.KmsKeyId).toBe(LOCAL_KEY);
    // RDS said when the copy finished (RDS-EVENT-0197), which ended the wait.
    expect(stack.rds.emittedEvents().some((e) => e.detail.EventID === 'RDS-EVENT-0197')).toBe(true);
  });

  it('a shared encrypted Aurora cluster snapshot is restored directly (Aurora can), with the cluster key', async () => {
    stack = await freshStack();
    stack.rds.seedKmsKey({ keyId: 'prod', account: PROD, usableBy: ['000000000000'] });
    const id = String(DEMO_CLUSTER.DBClusterIdentifier);
    const arn = stack.rds.seedForeignSnapshot({
      kind: 'cluster',
      account: PROD,
      sharedWith: ['000000000000'],
      DBClusterSnapshotIdentifier: 'prod-aurora-nightly',
      Engine: 'aurora-postgresql',
      EngineVersion: '16.4',
      KmsKeyId: `arn:aws:kms:us-east-1:${PROD}:key/prod`,
    });
    const { runs } = clientsFor(stack);

    const result = await request(stack, { identifier: id, cluster: true, snapshot: arn });

    expect(result.code).toBe(0);
    const run = (await runs.get(result.runId)) as Run;
    expect(run.step).toBe('SUCCEEDED');
    expect(stack.rds.callLog().some((c) => c.action === 'CopyDBClusterSnapshot')).toBe(false);
    const restores = stack.rds.callLog().filter((c) => c.action === 'RestoreDBClusterFromSnapshot');
    expect(restores.map((c) => [c.params.SnapshotIdentifier, c.params.KmsKeyId])).toEqual([
      [arn, DEMO_CLUSTER.KmsKeyId],
    ]);
  });

  it('a shared snapshot whose key this account may not use: the copy fails, nothing else changes, no lock held', async () => {
    stack = await freshStack();
    seedStaging(stack);
    stack.rds.seedKmsKey({ keyId: 'prod-private', account: PROD, usableBy: [] });
    const arn = stack.rds.seedForeignSnapshot({
      kind: 'instance',
      account: PROD,
      sharedWith: ['000000000000'],
      DBSnapshotIdentifier: 'prod-db-private',
      Engine: 'postgres',
      EngineVersion: '16.3',
      AllocatedStorage: 20,
      KmsKeyId: `arn:aws:kms:us-east-1:${PROD}:key/prod-private`,
    });
    const { runs, rds } = clientsFor(stack);
    const before = (await describe1(rds, 'staging-db'))!;
    const start = Date.now();

    const result = await request(stack, { snapshot: arn });

    expect(result.code).toBe(1);
    const run = (await runs.get(result.runId)) as Run;
    expect(run.step).toBe('FAILED');
    expect(run.failure).toMatchObject({ step: 'SNAPSHOTTING', code: 'KMSKeyNotAccessibleFault' });
    expect(run.progress.databaseState).toBe('unchanged: the original still answers under its name');
    expect((await describe1(rds, 'staging-db'))?.DbiResourceId).toBe(before.DbiResourceId);
    const changed = stack.rds
      .callLog()
      .filter((c) => c.at >= start && MUTATING.test(c.action) && c.status < 300)
      .map((c) => c.action);
    expect(changed).toEqual([]);
    // Not locked: a new request is accepted at once.
    const again = await request(stack, { snapshot: arn, wait: false });
    expect(again.code).toBe(0);
  });

  it('share_snapshot: copied with a customer managed key, then shared; on the AWS managed key RDS refuses, and the run says what to do', async () => {
    stack = await freshStack();
    // This account's AWS managed key for RDS (aws/rds): its snapshots cannot be shared.
    const awsManaged = stack.rds.seedKmsKey({
      keyId: 'aws-rds',
      account: '000000000000',
      awsManagedRdsDefault: true,
    });
    seedStaging(stack, awsManaged);
    stack.rds.seedKmsKey({ keyId: 'shareable', account: '000000000000', usableBy: [PROD] });
    const shareable = 'arn:aws:kms:us-east-1:000000000000:key/shareable';
    const { runs, rds } = clientsFor(stack);

    const refused = await request(stack, { task: 'share_snapshot', shareWith: [PROD] });
    expect(refused.code).toBe(1);
    const refusedRun = (await runs.get(refused.runId)) as Run;
    expect(refusedRun.step).toBe('FAILED');
    expect(refusedRun.failure?.code).toBe('SnapshotShareRefused');
    expect(refusedRun.failure?.message).toContain(
      'a snapshot encrypted with the AWS managed key aws/rds cannot be shared; request again with kmsKeyId',
    );
    expect(refusedRun.remedy).toMatchObject({ action: 'restore', task: 'share_snapshot', shareWith: [PROD] });

    const shared = await request(stack, { task: 'share_snapshot', shareWith: [PROD], kmsKeyId: shareable });
    expect(shared.code).toBe(0);
    const sharedRun = (await runs.get(shared.runId)) as Run;
    expect(sharedRun.step).toBe('SUCCEEDED');
    const copy = `${sharedRun.snapshotIdentifier}-shared`;
    expect(sharedRun.progress.sharedSnapshot).toBe(copy);
    expect(
      stack.rds
        .callLog()
        .filter((c) => c.action === 'CopyDBSnapshot')
        .map((c) => [
          c.params.SourceDBSnapshotIdentifier,
          c.params.TargetDBSnapshotIdentifier,
          c.params.KmsKeyId,
        ]),
    ).toEqual([[sharedRun.snapshotIdentifier, copy, shareable]]);
    const attributes = await rds.send(
      new DescribeDBSnapshotAttributesCommand({ DBSnapshotIdentifier: copy }),
    );
    expect(
      attributes.DBSnapshotAttributesResult?.DBSnapshotAttributes?.find((a) => a.AttributeName === 'restore')
        ?.AttributeValues,
    ).toEqual([PROD]);
  });
});
