/**
 * Snapshots across accounts and KMS keys: the `restore` attribute (Modify/Describe DB[Cluster]SnapshotAttribute[s]),
 * snapshots other accounts share with the local one (seedForeignSnapshot), copies (CopyDBSnapshot,
 * CopyDBClusterSnapshot) and restores from shared snapshots, with the KMS key registry (seedKmsKey).
 */
import {
  CopyDBClusterSnapshotCommand,
  type CopyDBClusterSnapshotCommandInput,
  CopyDBSnapshotCommand,
  type CopyDBSnapshotCommandInput,
  CreateDBClusterSnapshotCommand,
  CreateDBSnapshotCommand,
  DeleteDBClusterSnapshotCommand,
  DescribeDBClusterSnapshotAttributesCommand,
  DescribeDBClusterSnapshotsCommand,
  type DescribeDBClusterSnapshotsCommandInput,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotAttributesCommand,
  DescribeDBSnapshotsCommand,
  type DescribeDBSnapshotsCommandInput,
  ModifyDBClusterSnapshotAttributeCommand,
  ModifyDBSnapshotAttributeCommand,
  RestoreDBClusterFromSnapshotCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
} from '@aws-sdk/client-rds';
import type { IamCallInput } from '../../src/iam-recorder';
import { aliasKeyId, MAX_SHARED_ACCOUNTS } from '../../src/rds';
import { errorOf, eventIds, type Harness, startHarness, stopHarness, waitFor } from './helpers';

const LOCAL = '000000000000';
const OWNER = '111111111111';
const OTHER = '222222222222';
const LOCAL_KEY = `arn:aws:kms:us-east-1:${LOCAL}:key/local-cmk`;
const DEFAULT_KEY = `arn:aws:kms:us-east-1:${LOCAL}:key/${aliasKeyId('alias/aws/rds')}`;
const accounts = (n: number, from = 1) =>
  Array.from({ length: n }, (_, i) => String(300000000000 + from + i));

let h: Harness;
const iamCalls: IamCallInput[] = [];
let ownerSharedKey: string;
let ownerPrivateKey: string;
let otherUsableKey: string;
const arns: Record<string, string> = {};

beforeAll(async () => {
  h = await startHarness({ recordCall: (_key, calls) => iamCalls.push(...calls) });
  h.sim.seedInstance({
    DBInstanceIdentifier: 'orders-db',
    Engine: 'postgres',
    TagList: [{ Key: 'team', Value: 'orders' }],
  });
  h.sim.seedInstance({
    DBInstanceIdentifier: 'cmk-db',
    Engine: 'postgres',
    StorageEncrypted: true,
    KmsKeyId: LOCAL_KEY,
  });
  // Encrypted without a KmsKeyId: RDS used the account's AWS managed key (aws/rds).
  h.sim.seedInstance({ DBInstanceIdentifier: 'default-key-db', Engine: 'postgres', StorageEncrypted: true });
  h.sim.seedCluster({ DBClusterIdentifier: 'aurora-plain', Engine: 'aurora-postgresql' });
  h.sim.seedCluster({
    DBClusterIdentifier: 'aurora-cmk',
    Engine: 'aurora-postgresql',
    StorageEncrypted: true,
    KmsKeyId: LOCAL_KEY,
  });
  h.sim.seedCluster({
    DBClusterIdentifier: 'aurora-default',
    Engine: 'aurora-postgresql',
    StorageEncrypted: true,
  });

  ownerSharedKey = h.sim.seedKmsKey({ keyId: 'owner-shared', account: OWNER, usableBy: [LOCAL] });
  ownerPrivateKey = h.sim.seedKmsKey({ keyId: 'owner-private', account: OWNER });
  otherUsableKey = h.sim.seedKmsKey({
    arn: `arn:aws:kms:us-east-1:${OTHER}:key/other-usable`,
    account: OTHER,
    usableBy: [LOCAL],
  });

  arns.plain = h.sim.seedForeignSnapshot({
    kind: 'instance',
    account: OWNER,
    DBSnapshotIdentifier: 'owner-plain',
    // The same name as a local instance: still not one of its snapshots.
    DBInstanceIdentifier: 'orders-db',
    Engine: 'postgres',
    EngineVersion: '16.3',
    AllocatedStorage: 50,
    TagList: [{ Key: 'owner', Value: 'them' }],
    sharedWith: [LOCAL],
  });
  arns.enc = h.sim.seedForeignSnapshot({
    kind: 'instance',
    account: OWNER,
    DBSnapshotIdentifier: 'owner-enc',
    Engine: 'postgres',
    KmsKeyId: ownerSharedKey,
    sharedWith: [LOCAL, OTHER],
  });
  arns.encPrivate = h.sim.seedForeignSnapshot({
    kind: 'instance',
    account: OWNER,
    DBSnapshotIdentifier: 'owner-enc-private',
    Engine: 'postgres',
    Encrypted: true,
    KmsKeyId: ownerPrivateKey,
    sharedWith: [LOCAL],
  });
  arns.notShared = h.sim.seedForeignSnapshot({
    kind: 'instance',
    account: OWNER,
    DBSnapshotIdentifier: 'owner-not-shared',
    Engine: 'postgres',
    sharedWith: [OTHER],
  });
  arns.public = h.sim.seedForeignSnapshot({
    kind: 'instance',
    account: OTHER,
    DBSnapshotIdentifier: 'other-public',
    Engine: 'mysql',
    sharedWith: ['all'],
  });
  arns.clusterEnc = h.sim.seedForeignSnapshot({
    kind: 'cluster',
    account: OWNER,
    DBClusterSnapshotIdentifier: 'owner-cluster-enc',
    DBClusterIdentifier: 'owner-aurora',
    Engine: 'aurora-postgresql',
    EngineVersion: '16.4',
    KmsKeyId: ownerSharedKey,
    sharedWith: [LOCAL],
  });
  arns.clusterEncPrivate = h.sim.seedForeignSnapshot({
    kind: 'cluster',
    account: OWNER,
    DBClusterSnapshotIdentifier: 'owner-cluster-private',
    Engine: 'aurora-postgresql',
    KmsKeyId: ownerPrivateKey,
    sharedWith: [LOCAL],
  });
  arns.clusterPlain = h.sim.seedForeignSnapshot({
    kind: 'cluster',
    account: OWNER,
    DBClusterSnapshotIdentifier: 'owner-cluster-plain',
    Engine: 'aurora-postgresql',
    sharedWith: [LOCAL],
  });
  arns.clusterNotShared = h.sim.seedForeignSnapshot({
    kind: 'cluster',
    account: OWNER,
    DBClusterSnapshotIdentifier: 'owner-cluster-hidden',
    Engine: 'aurora-postgresql',
    sharedWith: [OTHER],
  });

  await Promise.all([
    snapshotOf('orders-db', 'orders-snap'),
    snapshotOf('cmk-db', 'cmk-snap'),
    snapshotOf('default-key-db', 'default-key-snap'),
    clusterSnapshotOf('aurora-plain', 'aurora-plain-snap'),
    clusterSnapshotOf('aurora-cmk', 'aurora-cmk-snap'),
    clusterSnapshotOf('aurora-default', 'aurora-default-snap'),
  ]);
});
afterAll(() => stopHarness(h));

async function snapshotOf(db: string, id: string, harness = h) {
  await harness.rds.send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: db, DBSnapshotIdentifier: id }));
  await waitFor(async () => (await dbSnapshot(id, harness))?.Status === 'available');
}

async function clusterSnapshotOf(cluster: string, id: string, harness = h) {
  await harness.rds.send(
    new CreateDBClusterSnapshotCommand({ DBClusterIdentifier: cluster, DBClusterSnapshotIdentifier: id }),
  );
  await waitFor(async () => (await clusterSnapshot(id, harness))?.Status === 'available');
}

const dbSnapshot = async (id: string, harness = h) =>
  (await harness.rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: id }))).DBSnapshots?.[0];
const clusterSnapshot = async (id: string, harness = h) =>
  (await harness.rds.send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: id })))
    .DBClusterSnapshots?.[0];
const listSnapshots = async (input: DescribeDBSnapshotsCommandInput) =>
  ((await h.rds.send(new DescribeDBSnapshotsCommand(input))).DBSnapshots ?? []).map(
    (s) => s.DBSnapshotIdentifier,
  );
const listClusterSnapshots = async (input: DescribeDBClusterSnapshotsCommandInput) =>
  ((await h.rds.send(new DescribeDBClusterSnapshotsCommand(input))).DBClusterSnapshots ?? []).map(
    (s) => s.DBClusterSnapshotIdentifier,
  );

const share = (id: string, add?: string[], remove?: string[], attribute = 'restore') =>
  h.rds.send(
    new ModifyDBSnapshotAttributeCommand({
      DBSnapshotIdentifier: id,
      AttributeName: attribute,
      ValuesToAdd: add,
      ValuesToRemove: remove,
    }),
  );
const shareCluster = (id: string, add?: string[], remove?: string[]) =>
  h.rds.send(
    new ModifyDBClusterSnapshotAttributeCommand({
      DBClusterSnapshotIdentifier: id,
      AttributeName: 'restore',
      ValuesToAdd: add,
      ValuesToRemove: remove,
    }),
  );
const copy = (input: CopyDBSnapshotCommandInput, harness = h) =>
  harness.rds.send(new CopyDBSnapshotCommand(input));
const copyCluster = (input: CopyDBClusterSnapshotCommandInput, harness = h) =>
  harness.rds.send(new CopyDBClusterSnapshotCommand(input));

describe('seeds', () => {
  it('seedKmsKey returns the key ARN and refuses a key AWS could not have', () => {
    expect(ownerSharedKey).toBe(`arn:aws:kms:us-east-1:${OWNER}:key/owner-shared`);
    expect(otherUsableKey).toBe(`arn:aws:kms:us-east-1:${OTHER}:key/other-usable`);
    expect(() =>
      h.sim.seedKmsKey({ keyId: 'k', account: OWNER, awsManagedRdsDefault: true, usableBy: [LOCAL] }),
    ).toThrow(/AWS managed key/);
    expect(() => h.sim.seedKmsKey({ arn: `arn:aws:kms:us-east-1:${OTHER}:key/x`, account: OWNER })).toThrow(
      /not a key of account/,
    );
    expect(() => h.sim.seedKmsKey({ account: OWNER })).toThrow(/keyId/);
  });

  it('seedForeignSnapshot refuses a snapshot AWS would not have shared', () => {
    const base = { kind: 'instance' as const, account: OWNER, Engine: 'postgres' };
    expect(() =>
      h.sim.seedForeignSnapshot({
        ...base,
        DBSnapshotIdentifier: 'x1',
        KmsKeyId: ownerSharedKey,
        sharedWith: ['all'],
      }),
    ).toThrow(/all/);
    // Encrypted with the owner's AWS managed key (no KmsKeyId): not shareable.
    expect(() =>
      h.sim.seedForeignSnapshot({
        ...base,
        DBSnapshotIdentifier: 'x2',
        Encrypted: true,
        sharedWith: [LOCAL],
      }),
    ).toThrow(/aws\/rds/);
    expect(() =>
      h.sim.seedForeignSnapshot({ ...base, DBSnapshotIdentifier: 'x3', sharedWith: accounts(21) }),
    ).toThrow(/at most 20/);
    expect(() =>
      h.sim.seedForeignSnapshot({ ...base, account: LOCAL, DBSnapshotIdentifier: 'x4', sharedWith: [LOCAL] }),
    ).toThrow(/account/);
  });

  it('seedAutomatedSnapshot adds an available automated snapshot named rds:<id>-<time>', async () => {
    const id = h.sim.seedAutomatedSnapshot({
      kind: 'instance',
      source: 'orders-db',
      SnapshotCreateTime: '2026-03-04T05:06:07.000Z',
    });
    expect(id).toBe('rds:orders-db-2026-03-04-05-06');
    expect(await dbSnapshot(id)).toMatchObject({ SnapshotType: 'automated', Status: 'available' });
  });
});

describe('describing snapshots shared with the local account', () => {
  it('describes a shared DB snapshot by its ARN, which carries the owner account', async () => {
    expect(arns.plain).toBe(`arn:aws:rds:us-east-1:${OWNER}:snapshot:owner-plain`);
    const snap = await dbSnapshot(arns.plain ?? '');
    expect(snap).toMatchObject({
      DBSnapshotIdentifier: arns.plain,
      DBSnapshotArn: arns.plain,
      SnapshotType: 'shared',
      Status: 'available',
      Engine: 'postgres',
      EngineVersion: '16.3',
      AllocatedStorage: 50,
      Encrypted: false,
    });
  });

  it('does not find a foreign snapshot by name, nor one not shared with this account', async () => {
    expect(await errorOf(dbSnapshot('owner-plain'))).toMatchObject({
      name: 'DBSnapshotNotFoundFault',
      code: 'DBSnapshotNotFound',
      status: 404,
    });
    expect(await errorOf(dbSnapshot(arns.notShared ?? ''))).toMatchObject({ code: 'DBSnapshotNotFound' });
    expect(await errorOf(clusterSnapshot('owner-cluster-plain'))).toMatchObject({
      code: 'DBClusterSnapshotNotFoundFault',
    });
    expect(await errorOf(clusterSnapshot(arns.clusterNotShared ?? ''))).toMatchObject({
      code: 'DBClusterSnapshotNotFoundFault',
    });
  });

  it('lists shared snapshots only with SnapshotType shared or IncludeShared', async () => {
    const own = await listSnapshots({});
    expect(own).toEqual(expect.arrayContaining(['orders-snap', 'cmk-snap']));
    expect(own.some((id) => id?.startsWith('arn:'))).toBe(false);
    expect(await listSnapshots({ DBInstanceIdentifier: 'orders-db', SnapshotType: 'manual' })).toEqual([
      'orders-snap',
    ]);
    expect((await listSnapshots({ SnapshotType: 'shared' })).sort()).toEqual(
      [arns.plain, arns.enc, arns.encPrivate].sort(),
    );
    const withShared = await listSnapshots({ IncludeShared: true });
    expect(withShared).toEqual(expect.arrayContaining(['orders-snap', arns.plain, arns.enc]));
    expect(withShared).not.toContain(arns.notShared);
    expect(withShared).not.toContain(arns.public);
    // IncludeShared does not apply to SnapshotType manual.
    expect(
      (await listSnapshots({ SnapshotType: 'manual', IncludeShared: true })).some((id) =>
        id?.startsWith('arn:'),
      ),
    ).toBe(false);
    expect(await listSnapshots({ SnapshotType: 'public' })).toEqual([arns.public]);
    expect(await listSnapshots({ IncludePublic: true })).toContain(arns.public);
    expect(await listSnapshots({ DBInstanceIdentifier: 'orders-db', IncludeShared: true })).toEqual(
      expect.arrayContaining(['orders-snap', arns.plain]),
    );
    expect(
      await listSnapshots({
        SnapshotType: 'shared',
        Filters: [{ Name: 'db-snapshot-id', Values: ['owner-enc'] }],
      }),
    ).toEqual([arns.enc]);
  });

  it('describes shared DB cluster snapshots by ARN and with SnapshotType shared', async () => {
    expect(await clusterSnapshot(arns.clusterEnc ?? '')).toMatchObject({
      DBClusterSnapshotIdentifier: arns.clusterEnc,
      DBClusterSnapshotArn: `arn:aws:rds:us-east-1:${OWNER}:cluster-snapshot:owner-cluster-enc`,
      DBClusterIdentifier: 'owner-aurora',
      SnapshotType: 'shared',
      StorageEncrypted: true,
      KmsKeyId: ownerSharedKey,
    });
    expect((await listClusterSnapshots({ SnapshotType: 'shared' })).sort()).toEqual(
      [arns.clusterEnc, arns.clusterEncPrivate, arns.clusterPlain].sort(),
    );
    expect((await listClusterSnapshots({})).some((id) => id?.startsWith('arn:'))).toBe(false);
    expect(await listClusterSnapshots({ IncludeShared: true })).toEqual(
      expect.arrayContaining(['aurora-plain-snap', arns.clusterPlain]),
    );
  });
});

describe('ModifyDBSnapshotAttribute / DescribeDBSnapshotAttributes', () => {
  it('shares a manual snapshot with accounts, lists them, and unshares', async () => {
    const out = await share('orders-snap', [OWNER, OTHER]);
    expect(out.DBSnapshotAttributesResult).toEqual({
      DBSnapshotIdentifier: 'orders-snap',
      DBSnapshotAttributes: [{ AttributeName: 'restore', AttributeValues: [OWNER, OTHER] }],
    });
    await share('orders-snap', undefined, [OWNER]);
    const attrs = await h.rds.send(
      new DescribeDBSnapshotAttributesCommand({ DBSnapshotIdentifier: 'orders-snap' }),
    );
    expect(attrs.DBSnapshotAttributesResult?.DBSnapshotAttributes).toEqual([
      { AttributeName: 'restore', AttributeValues: [OTHER] },
    ]);
    // Unencrypted: `all` makes it public.
    await share('orders-snap', ['all']);
    await share('orders-snap', undefined, ['all', OTHER]);
    const none = await h.rds.send(
      new DescribeDBSnapshotAttributesCommand({
        DBSnapshotIdentifier: `arn:aws:rds:us-east-1:${LOCAL}:snapshot:orders-snap`,
      }),
    );
    expect(none.DBSnapshotAttributesResult?.DBSnapshotAttributes?.[0]?.AttributeName).toBe('restore');
    expect(none.DBSnapshotAttributesResult?.DBSnapshotAttributes?.[0]?.AttributeValues ?? []).toEqual([]);
  });

  it('shares an encrypted snapshot (customer managed key) with accounts but refuses all', async () => {
    await share('cmk-snap', [OWNER]);
    const err = await errorOf(share('cmk-snap', ['all']));
    expect(err).toMatchObject({ code: 'InvalidParameterCombination', status: 400 });
    expect(err.message).toMatch(/encrypted/);
  });

  it('refuses to share a snapshot encrypted with the default aws/rds key', async () => {
    const err = await errorOf(share('default-key-snap', [OWNER]));
    expect(err).toMatchObject({ code: 'InvalidParameterCombination', status: 400 });
    expect(err.message).toMatch(/default KMS key \(aws\/rds\)/);
  });

  it(`shares with at most ${MAX_SHARED_ACCOUNTS} accounts (SharedSnapshotQuotaExceeded); all is not an account`, async () => {
    await snapshotOf('orders-db', 'quota-snap');
    await share('quota-snap', accounts(19));
    await share('quota-snap', [...accounts(1, 100), 'all']);
    const err = await errorOf(share('quota-snap', accounts(1, 200)));
    expect(err).toMatchObject({
      name: 'SharedSnapshotQuotaExceededFault',
      code: 'SharedSnapshotQuotaExceeded',
      status: 400,
      message:
        'You have exceeded the maximum number of accounts that you can share a manual DB snapshot with.',
    });
    const attrs = await h.rds.send(
      new DescribeDBSnapshotAttributesCommand({ DBSnapshotIdentifier: 'quota-snap' }),
    );
    expect(attrs.DBSnapshotAttributesResult?.DBSnapshotAttributes?.[0]?.AttributeValues).toHaveLength(21);
  });

  it('refuses automated snapshots, other attribute names and values that are not account ids', async () => {
    const auto = h.sim.seedAutomatedSnapshot({ kind: 'instance', source: 'cmk-db' });
    expect(await errorOf(share(auto, [OWNER]))).toMatchObject({ code: 'InvalidParameterCombination' });
    expect(await errorOf(share('orders-snap', [OWNER], undefined, 'copy'))).toMatchObject({
      code: 'InvalidParameterValue',
    });
    expect(await errorOf(share('orders-snap', ['12345']))).toMatchObject({ code: 'InvalidParameterValue' });
    expect(
      await errorOf(
        h.rds.send(new ModifyDBSnapshotAttributeCommand({ DBSnapshotIdentifier: 'orders-snap' } as never)),
      ),
    ).toMatchObject({ code: 'MissingParameter' });
  });

  it("can't change or read the attributes of another account's snapshot, or of a missing one", async () => {
    expect(await errorOf(share(arns.plain ?? '', [OTHER]))).toMatchObject({ code: 'DBSnapshotNotFound' });
    expect(
      await errorOf(
        h.rds.send(new DescribeDBSnapshotAttributesCommand({ DBSnapshotIdentifier: arns.plain })),
      ),
    ).toMatchObject({ code: 'DBSnapshotNotFound', status: 404 });
    expect(
      await errorOf(h.rds.send(new DescribeDBSnapshotAttributesCommand({ DBSnapshotIdentifier: 'nope' }))),
    ).toMatchObject({ name: 'DBSnapshotNotFoundFault' });
  });
});

describe('ModifyDBClusterSnapshotAttribute / DescribeDBClusterSnapshotAttributes', () => {
  it('shares a manual cluster snapshot and describes its restore attribute', async () => {
    const out = await shareCluster('aurora-plain-snap', ['all', OWNER]);
    expect(out.DBClusterSnapshotAttributesResult).toEqual({
      DBClusterSnapshotIdentifier: 'aurora-plain-snap',
      DBClusterSnapshotAttributes: [{ AttributeName: 'restore', AttributeValues: ['all', OWNER] }],
    });
    const attrs = await h.rds.send(
      new DescribeDBClusterSnapshotAttributesCommand({ DBClusterSnapshotIdentifier: 'aurora-plain-snap' }),
    );
    expect(
      attrs.DBClusterSnapshotAttributesResult?.DBClusterSnapshotAttributes?.[0]?.AttributeValues,
    ).toEqual(['all', OWNER]);
    await shareCluster('aurora-plain-snap', undefined, ['all', OWNER]);
  });

  it('refuses all for an encrypted cluster snapshot, and any share with the default key', async () => {
    await shareCluster('aurora-cmk-snap', [OWNER]);
    expect(await errorOf(shareCluster('aurora-cmk-snap', ['all']))).toMatchObject({
      code: 'InvalidParameterCombination',
    });
    const err = await errorOf(shareCluster('aurora-default-snap', [OWNER]));
    expect(err).toMatchObject({ code: 'InvalidParameterCombination' });
    expect(err.message).toMatch(/aws\/rds/);
  });

  it('refuses a 21st account, automated snapshots, and foreign or missing snapshots', async () => {
    await clusterSnapshotOf('aurora-plain', 'aurora-quota-snap');
    await shareCluster('aurora-quota-snap', accounts(20));
    expect(await errorOf(shareCluster('aurora-quota-snap', accounts(1, 50)))).toMatchObject({
      name: 'SharedSnapshotQuotaExceededFault',
      code: 'SharedSnapshotQuotaExceeded',
    });
    const auto = h.sim.seedAutomatedSnapshot({ kind: 'cluster', source: 'aurora-plain' });
    expect(auto).toMatch(/^rds:aurora-plain-/);
    expect(await errorOf(shareCluster(auto, [OWNER]))).toMatchObject({ code: 'InvalidParameterCombination' });
    expect(await errorOf(shareCluster(arns.clusterPlain ?? '', [OTHER]))).toMatchObject({
      code: 'DBClusterSnapshotNotFoundFault',
      status: 404,
    });
    expect(
      await errorOf(
        h.rds.send(new DescribeDBClusterSnapshotAttributesCommand({ DBClusterSnapshotIdentifier: 'nope' })),
      ),
    ).toMatchObject({ name: 'DBClusterSnapshotNotFoundFault' });
  });
});

describe('CopyDBSnapshot', () => {
  it('copies an own snapshot by name: creating, then available with RDS-EVENT-0196 then 0197; tags not copied', async () => {
    const source = await dbSnapshot('orders-snap');
    const out = await copy({
      SourceDBSnapshotIdentifier: 'orders-snap',
      TargetDBSnapshotIdentifier: 'orders-copy',
    });
    expect(out.DBSnapshot).toMatchObject({
      DBSnapshotIdentifier: 'orders-copy',
      DBSnapshotArn: `arn:aws:rds:us-east-1:${LOCAL}:snapshot:orders-copy`,
      Status: 'creating',
      SnapshotType: 'manual',
      Encrypted: false,
      DBInstanceIdentifier: 'orders-db',
    });
    expect(out.DBSnapshot?.SourceDBSnapshotIdentifier).toBeUndefined();
    await waitFor(async () => (await dbSnapshot('orders-copy'))?.Status === 'available');
    const done = await dbSnapshot('orders-copy');
    expect(done?.TagList ?? []).toEqual([]);
    expect(done?.OriginalSnapshotCreateTime).toEqual(source?.SnapshotCreateTime);
    await waitFor(() => eventIds(h.events, 'orders-copy').length === 2);
    expect(eventIds(h.events, 'orders-copy')).toEqual(['RDS-EVENT-0196', 'RDS-EVENT-0197']);
    const [started, finished] = h.events.filter((e) => e.detail.SourceIdentifier === 'orders-copy');
    expect(started?.detail).toMatchObject({
      SourceType: 'SNAPSHOT',
      EventCategories: ['notification'],
      SourceArn: `arn:aws:rds:us-east-1:${LOCAL}:snapshot:orders-copy`,
      Message: 'Started copy of snapshot orders-snap in region us-east-1.',
    });
    expect(finished?.detail.Message).toBe('Finished copy of snapshot orders-snap in region us-east-1.');
  });

  it('copies tags with CopyTags and encrypts an unencrypted source with KmsKeyId', async () => {
    await h.rds.send(
      new CreateDBSnapshotCommand({
        DBInstanceIdentifier: 'orders-db',
        DBSnapshotIdentifier: 'tagged-snap',
        Tags: [{ Key: 'k', Value: 'v' }],
      }),
    );
    await waitFor(async () => (await dbSnapshot('tagged-snap'))?.Status === 'available');
    const out = await copy({
      SourceDBSnapshotIdentifier: 'tagged-snap',
      TargetDBSnapshotIdentifier: 'tagged-copy',
      CopyTags: true,
      Tags: [{ Key: 'copy', Value: 'yes' }],
      KmsKeyId: 'local-cmk',
    });
    expect(out.DBSnapshot).toMatchObject({ Encrypted: true, KmsKeyId: LOCAL_KEY });
    expect(out.DBSnapshot?.TagList).toEqual([
      { Key: 'k', Value: 'v' },
      { Key: 'copy', Value: 'yes' },
    ]);
  });

  it('keeps the source key without KmsKeyId; takes a key of another account whose policy names this one', async () => {
    const same = await copy({
      SourceDBSnapshotIdentifier: 'cmk-snap',
      TargetDBSnapshotIdentifier: 'cmk-copy',
    });
    expect(same.DBSnapshot).toMatchObject({ Encrypted: true, KmsKeyId: LOCAL_KEY });
    const rekeyed = await copy({
      SourceDBSnapshotIdentifier: 'cmk-snap',
      TargetDBSnapshotIdentifier: 'cmk-rekeyed',
      KmsKeyId: otherUsableKey,
    });
    expect(rekeyed.DBSnapshot).toMatchObject({ Encrypted: true, KmsKeyId: otherUsableKey });
    // The alias of the account's AWS managed key.
    const aliased = await copy({
      SourceDBSnapshotIdentifier: 'orders-snap',
      TargetDBSnapshotIdentifier: 'orders-default-key',
      KmsKeyId: 'alias/aws/rds',
    });
    expect(aliased.DBSnapshot).toMatchObject({ Encrypted: true, KmsKeyId: DEFAULT_KEY });
  });

  it('refuses a KmsKeyId this account may not use (KMSKeyNotAccessibleFault)', async () => {
    for (const KmsKeyId of [
      ownerPrivateKey,
      `arn:aws:kms:us-east-1:${OWNER}:key/never-seeded`,
      `arn:aws:kms:eu-west-1:${LOCAL}:key/other-region`,
      `arn:aws:kms:us-east-1:${OWNER}:alias/aws/rds`,
    ]) {
      const err = await errorOf(
        copy({
          SourceDBSnapshotIdentifier: 'orders-snap',
          TargetDBSnapshotIdentifier: 'no-key-copy',
          KmsKeyId,
        }),
      );
      expect(err).toMatchObject({
        name: 'KMSKeyNotAccessibleFault',
        code: 'KMSKeyNotAccessibleFault',
        status: 400,
      });
    }
    expect(await errorOf(dbSnapshot('no-key-copy'))).toMatchObject({ code: 'DBSnapshotNotFound' });
  });

  it('copies a shared unencrypted snapshot by ARN only; the copy names its source', async () => {
    expect(
      await errorOf(
        copy({ SourceDBSnapshotIdentifier: 'owner-plain', TargetDBSnapshotIdentifier: 'by-name' }),
      ),
    ).toMatchObject({ code: 'DBSnapshotNotFound', status: 404 });
    expect(
      await errorOf(
        copy({ SourceDBSnapshotIdentifier: arns.notShared, TargetDBSnapshotIdentifier: 'hidden' }),
      ),
    ).toMatchObject({ code: 'DBSnapshotNotFound' });
    const out = await copy({
      SourceDBSnapshotIdentifier: arns.plain,
      TargetDBSnapshotIdentifier: 'plain-copy',
    });
    expect(out.DBSnapshot).toMatchObject({
      DBSnapshotIdentifier: 'plain-copy',
      DBSnapshotArn: `arn:aws:rds:us-east-1:${LOCAL}:snapshot:plain-copy`,
      SnapshotType: 'manual',
      SourceDBSnapshotIdentifier: arns.plain,
      Encrypted: false,
      AllocatedStorage: 50,
    });
    expect(out.DBSnapshot?.TagList ?? []).toEqual([]);
    await waitFor(() => eventIds(h.events, 'plain-copy').length === 2);
    expect(h.events.find((e) => e.detail.SourceIdentifier === 'plain-copy')?.detail.Message).toBe(
      `Started copy of snapshot ${arns.plain} in region us-east-1.`,
    );
  });

  it('needs KmsKeyId for a shared encrypted snapshot, and access to the owner key', async () => {
    const missing = await errorOf(
      copy({ SourceDBSnapshotIdentifier: arns.enc, TargetDBSnapshotIdentifier: 'enc-copy' }),
    );
    expect(missing).toMatchObject({ code: 'InvalidParameterCombination', status: 400 });
    expect(missing.message).toMatch(/KmsKeyId is required/);
    expect(
      await errorOf(
        copy({
          SourceDBSnapshotIdentifier: arns.encPrivate,
          TargetDBSnapshotIdentifier: 'enc-copy',
          KmsKeyId: LOCAL_KEY,
        }),
      ),
    ).toMatchObject({ code: 'KMSKeyNotAccessibleFault' });
    const out = await copy({
      SourceDBSnapshotIdentifier: arns.enc,
      TargetDBSnapshotIdentifier: 'enc-copy',
      KmsKeyId: LOCAL_KEY,
    });
    expect(out.DBSnapshot).toMatchObject({
      Encrypted: true,
      KmsKeyId: LOCAL_KEY,
      SourceDBSnapshotIdentifier: arns.enc,
    });
    await waitFor(async () => (await dbSnapshot('enc-copy'))?.Status === 'available');
    // The copy is the local account's: an instance can be restored from it.
    await h.rds.send(
      new RestoreDBInstanceFromDBSnapshotCommand({
        DBInstanceIdentifier: 'from-enc-copy',
        DBSnapshotIdentifier: 'enc-copy',
      }),
    );
    const db = (await h.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'from-enc-copy' })))
      .DBInstances?.[0];
    expect(db).toMatchObject({ StorageEncrypted: true, KmsKeyId: LOCAL_KEY });
  });

  it('copies an automated snapshot into a manual one that can be shared', async () => {
    const auto = h.sim.seedAutomatedSnapshot({
      kind: 'instance',
      source: 'orders-db',
      SnapshotCreateTime: '2026-01-01T00:00:00Z',
    });
    const out = await copy({ SourceDBSnapshotIdentifier: auto, TargetDBSnapshotIdentifier: 'auto-copy' });
    expect(out.DBSnapshot).toMatchObject({ SnapshotType: 'manual' });
    await waitFor(async () => (await dbSnapshot('auto-copy'))?.Status === 'available');
    await share('auto-copy', [OWNER]);
  });

  it('checks the target name (1 to 255 characters) and refuses an existing one', async () => {
    expect(
      await errorOf(copy({ SourceDBSnapshotIdentifier: 'orders-snap', TargetDBSnapshotIdentifier: '1-bad' })),
    ).toMatchObject({ code: 'InvalidParameterValue' });
    expect(
      await errorOf(
        copy({
          SourceDBSnapshotIdentifier: 'orders-snap',
          TargetDBSnapshotIdentifier: `a${'b'.repeat(255)}`,
        }),
      ),
    ).toMatchObject({ code: 'InvalidParameterValue' });
    const long = `a${'b'.repeat(254)}`;
    await copy({ SourceDBSnapshotIdentifier: 'orders-snap', TargetDBSnapshotIdentifier: long });
    expect(
      await errorOf(
        copy({ SourceDBSnapshotIdentifier: 'orders-snap', TargetDBSnapshotIdentifier: 'cmk-snap' }),
      ),
    ).toMatchObject({ name: 'DBSnapshotAlreadyExistsFault', code: 'DBSnapshotAlreadyExists', status: 400 });
    expect(
      await errorOf(copy({ SourceDBSnapshotIdentifier: 'missing', TargetDBSnapshotIdentifier: 'x-copy' })),
    ).toMatchObject({ name: 'DBSnapshotNotFoundFault' });
  });

  it('honours injected faults: an async failure leaves the copy failed after RDS-EVENT-0196 only', async () => {
    h.sim.faults.add({
      kind: 'async-failure',
      operation: 'CopyDBSnapshot',
      identifier: 'doomed-copy',
      status: 'failed',
    });
    await copy({ SourceDBSnapshotIdentifier: 'orders-snap', TargetDBSnapshotIdentifier: 'doomed-copy' });
    await waitFor(async () => (await dbSnapshot('doomed-copy'))?.Status === 'failed');
    expect(eventIds(h.events, 'doomed-copy')).toEqual(['RDS-EVENT-0196']);
    h.sim.faults.add({
      kind: 'api-error',
      operation: 'CopyDBSnapshot',
      identifier: 'owner-enc',
      code: 'KMSKeyNotAccessibleFault',
      message: 'injected',
    });
    expect(
      await errorOf(
        copy({
          SourceDBSnapshotIdentifier: arns.enc,
          TargetDBSnapshotIdentifier: 'x-fault',
          KmsKeyId: LOCAL_KEY,
        }),
      ),
    ).toMatchObject({ code: 'KMSKeyNotAccessibleFault', message: 'injected' });
  });
});

describe('CopyDBClusterSnapshot', () => {
  it('copies an own cluster snapshot: copying, then available, naming its source; no event', async () => {
    const out = await copyCluster({
      SourceDBClusterSnapshotIdentifier: 'aurora-cmk-snap',
      TargetDBClusterSnapshotIdentifier: 'aurora-cmk-copy',
    });
    expect(out.DBClusterSnapshot).toMatchObject({
      DBClusterSnapshotIdentifier: 'aurora-cmk-copy',
      Status: 'copying',
      SnapshotType: 'manual',
      StorageEncrypted: true,
      KmsKeyId: LOCAL_KEY,
      SourceDBClusterSnapshotArn: `arn:aws:rds:us-east-1:${LOCAL}:cluster-snapshot:aurora-cmk-snap`,
    });
    await waitFor(async () => (await clusterSnapshot('aurora-cmk-copy'))?.Status === 'available');
    expect(eventIds(h.events, 'aurora-cmk-copy')).toEqual([]);
  });

  it('refuses KmsKeyId for an unencrypted cluster snapshot', async () => {
    const err = await errorOf(
      copyCluster({
        SourceDBClusterSnapshotIdentifier: 'aurora-plain-snap',
        TargetDBClusterSnapshotIdentifier: 'plain-encrypted',
        KmsKeyId: LOCAL_KEY,
      }),
    );
    expect(err).toMatchObject({ code: 'InvalidParameterCombination', status: 400 });
  });

  it('copies a shared encrypted cluster snapshot by ARN with a KmsKeyId, given access to the owner key', async () => {
    expect(
      await errorOf(
        copyCluster({
          SourceDBClusterSnapshotIdentifier: arns.clusterEnc,
          TargetDBClusterSnapshotIdentifier: 'c-copy',
        }),
      ),
    ).toMatchObject({ code: 'InvalidParameterCombination' });
    expect(
      await errorOf(
        copyCluster({
          SourceDBClusterSnapshotIdentifier: arns.clusterEncPrivate,
          TargetDBClusterSnapshotIdentifier: 'c-copy',
          KmsKeyId: LOCAL_KEY,
        }),
      ),
    ).toMatchObject({ code: 'KMSKeyNotAccessibleFault' });
    expect(
      await errorOf(
        copyCluster({
          SourceDBClusterSnapshotIdentifier: arns.clusterEnc,
          TargetDBClusterSnapshotIdentifier: 'c-copy',
          KmsKeyId: ownerPrivateKey,
        }),
      ),
    ).toMatchObject({ code: 'KMSKeyNotAccessibleFault' });
    const out = await copyCluster({
      SourceDBClusterSnapshotIdentifier: arns.clusterEnc,
      TargetDBClusterSnapshotIdentifier: 'c-copy',
      KmsKeyId: LOCAL_KEY,
    });
    expect(out.DBClusterSnapshot).toMatchObject({
      DBClusterSnapshotArn: `arn:aws:rds:us-east-1:${LOCAL}:cluster-snapshot:c-copy`,
      StorageEncrypted: true,
      KmsKeyId: LOCAL_KEY,
      SourceDBClusterSnapshotArn: arns.clusterEnc,
      DBClusterIdentifier: 'owner-aurora',
    });
    expect(
      await errorOf(
        copyCluster({
          SourceDBClusterSnapshotIdentifier: 'owner-cluster-plain',
          TargetDBClusterSnapshotIdentifier: 'n',
        }),
      ),
    ).toMatchObject({ code: 'DBClusterSnapshotNotFoundFault' });
  });

  it('checks the target name (1 to 63 characters) and refuses an existing one', async () => {
    const source = 'aurora-plain-snap';
    expect(
      await errorOf(
        copyCluster({
          SourceDBClusterSnapshotIdentifier: source,
          TargetDBClusterSnapshotIdentifier: `a${'b'.repeat(63)}`,
        }),
      ),
    ).toMatchObject({ code: 'InvalidParameterValue' });
    await copyCluster({
      SourceDBClusterSnapshotIdentifier: source,
      TargetDBClusterSnapshotIdentifier: `a${'b'.repeat(62)}`,
    });
    expect(
      await errorOf(
        copyCluster({
          SourceDBClusterSnapshotIdentifier: source,
          TargetDBClusterSnapshotIdentifier: 'aurora-cmk-snap',
        }),
      ),
    ).toMatchObject({
      name: 'DBClusterSnapshotAlreadyExistsFault',
      code: 'DBClusterSnapshotAlreadyExistsFault',
    });
  });

  it('honours an injected async failure', async () => {
    h.sim.faults.add({
      kind: 'async-failure',
      operation: 'CopyDBClusterSnapshot',
      identifier: 'doomed-cluster-copy',
      status: 'failed',
    });
    await copyCluster({
      SourceDBClusterSnapshotIdentifier: 'aurora-plain-snap',
      TargetDBClusterSnapshotIdentifier: 'doomed-cluster-copy',
    });
    await waitFor(async () => (await clusterSnapshot('doomed-cluster-copy'))?.Status === 'failed');
  });
});

describe('restoring from a shared snapshot', () => {
  it('restores a DB instance from a shared unencrypted snapshot by ARN', async () => {
    const out = await h.rds.send(
      new RestoreDBInstanceFromDBSnapshotCommand({
        DBInstanceIdentifier: 'from-shared',
        DBSnapshotIdentifier: arns.plain,
      }),
    );
    expect(out.DBInstance).toMatchObject({
      Engine: 'postgres',
      EngineVersion: '16.3',
      StorageEncrypted: false,
    });
    await waitFor(() => eventIds(h.events, 'from-shared').includes('RDS-EVENT-0043'));
    expect(h.events.find((e) => e.detail.SourceIdentifier === 'from-shared')?.detail.Message).toBe(
      `Restored from snapshot ${arns.plain}`,
    );
  });

  it('refuses a DB instance restore from a shared encrypted snapshot, and a foreign snapshot by name', async () => {
    const err = await errorOf(
      h.rds.send(
        new RestoreDBInstanceFromDBSnapshotCommand({
          DBInstanceIdentifier: 'from-enc',
          DBSnapshotIdentifier: arns.enc,
        }),
      ),
    );
    expect(err).toMatchObject({ code: 'InvalidParameterCombination', status: 400 });
    expect(err.message).toMatch(/both shared and encrypted/);
    expect(
      await errorOf(
        h.rds.send(
          new RestoreDBInstanceFromDBSnapshotCommand({
            DBInstanceIdentifier: 'by-name',
            DBSnapshotIdentifier: 'owner-plain',
          }),
        ),
      ),
    ).toMatchObject({ code: 'DBSnapshotNotFound', status: 404 });
  });

  it('restores a DB cluster from a shared encrypted cluster snapshot when the owner key lets this account use it', async () => {
    const out = await h.rds.send(
      new RestoreDBClusterFromSnapshotCommand({
        DBClusterIdentifier: 'from-shared-cluster',
        SnapshotIdentifier: arns.clusterEnc,
        Engine: 'aurora-postgresql',
        EngineVersion: '16.4',
      }),
    );
    expect(out.DBCluster).toMatchObject({ StorageEncrypted: true, KmsKeyId: ownerSharedKey });
    await waitFor(async () => {
      const c = (
        await h.rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: 'from-shared-cluster' }))
      ).DBClusters?.[0];
      return c?.Status === 'available';
    });
    // Re-keyed with an own key at restore.
    const rekeyed = await h.rds.send(
      new RestoreDBClusterFromSnapshotCommand({
        DBClusterIdentifier: 'from-shared-rekeyed',
        SnapshotIdentifier: arns.clusterEnc,
        Engine: 'aurora-postgresql',
        KmsKeyId: LOCAL_KEY,
      }),
    );
    expect(rekeyed.DBCluster).toMatchObject({ StorageEncrypted: true, KmsKeyId: LOCAL_KEY });
  });

  it('refuses a cluster restore without access to the key (KMSKeyNotAccessibleFault), or by name', async () => {
    const restore = (SnapshotIdentifier: string, id: string, KmsKeyId?: string) =>
      h.rds.send(
        new RestoreDBClusterFromSnapshotCommand({
          DBClusterIdentifier: id,
          SnapshotIdentifier,
          Engine: 'aurora-postgresql',
          KmsKeyId,
        }),
      );
    expect(await errorOf(restore(arns.clusterEncPrivate ?? '', 'no-key'))).toMatchObject({
      name: 'KMSKeyNotAccessibleFault',
      code: 'KMSKeyNotAccessibleFault',
      status: 400,
    });
    expect(await errorOf(restore(arns.clusterPlain ?? '', 'bad-key', ownerPrivateKey))).toMatchObject({
      code: 'KMSKeyNotAccessibleFault',
    });
    expect(await errorOf(restore('owner-cluster-enc', 'by-name'))).toMatchObject({
      code: 'DBClusterSnapshotNotFoundFault',
      status: 404,
    });
    const plain = await restore(arns.clusterPlain ?? '', 'from-shared-plain');
    expect(plain.DBCluster?.StorageEncrypted).toBe(false);
  });
});

describe('IAM resources', () => {
  const callOf = (action: string, arnEnd: string) =>
    iamCalls.find((c) => c.action === action && c.resources.some((r) => r.arn.endsWith(arnEnd)));

  it('CopyDBSnapshot: the copy in this account and the source (the owner ARN when shared); KMS on the key', () => {
    const call = callOf('rds:CopyDBSnapshot', ':snapshot:enc-copy');
    expect(call?.resources.map((r) => [r.type, r.arn])).toEqual([
      ['snapshot', `arn:aws:rds:us-east-1:${LOCAL}:snapshot:enc-copy`],
      ['snapshot', arns.enc],
    ]);
    expect(
      iamCalls.some(
        (c) => c.action === 'kms:CreateGrant' && c.resources[0]?.arn === LOCAL_KEY && c.status === 200,
      ),
    ).toBe(true);
    const own = callOf('rds:CopyDBSnapshot', ':snapshot:orders-copy');
    expect(own?.resources.map((r) => r.arn)).toEqual([
      `arn:aws:rds:us-east-1:${LOCAL}:snapshot:orders-copy`,
      `arn:aws:rds:us-east-1:${LOCAL}:snapshot:orders-snap`,
    ]);
    expect(
      iamCalls.some(
        (c) => c.action === 'rds:AddTagsToResource' && c.resources[0]?.arn.endsWith(':snapshot:tagged-copy'),
      ),
    ).toBe(true);
  });

  it('CopyDBClusterSnapshot and the attribute calls name cluster-snapshot / snapshot resources', () => {
    expect(
      callOf('rds:CopyDBClusterSnapshot', ':cluster-snapshot:c-copy')?.resources.map((r) => [r.type, r.arn]),
    ).toEqual([
      ['cluster-snapshot', `arn:aws:rds:us-east-1:${LOCAL}:cluster-snapshot:c-copy`],
      ['cluster-snapshot', arns.clusterEnc],
    ]);
    expect(
      callOf('rds:ModifyDBSnapshotAttribute', ':snapshot:orders-snap')?.resources.map((r) => r.type),
    ).toEqual(['snapshot']);
    expect(callOf('rds:DescribeDBSnapshotAttributes', ':snapshot:orders-snap')?.resources).toHaveLength(1);
    expect(
      callOf('rds:ModifyDBClusterSnapshotAttribute', ':cluster-snapshot:aurora-plain-snap')?.resources.map(
        (r) => r.type,
      ),
    ).toEqual(['cluster-snapshot']);
    expect(
      callOf('rds:DescribeDBClusterSnapshotAttributes', ':cluster-snapshot:aurora-plain-snap')?.resources.map(
        (r) => r.type,
      ),
    ).toEqual(['cluster-snapshot']);
    // A restore from a shared snapshot names the owner's snapshot ARN.
    expect(
      iamCalls.some(
        (c) =>
          c.action === 'rds:RestoreDBInstanceFromDBSnapshot' &&
          c.resources.some((r) => r.type === 'snapshot' && r.arn === arns.plain),
      ),
    ).toBe(true);
  });
});

describe('snapshot states and quotas', () => {
  let slow: Harness;
  beforeAll(async () => {
    // Snapshots and copies that stay `creating` / `copying` for the test's life; one manual snapshot of each kind.
    slow = await startHarness({
      durations: { createSnapshot: 1, createClusterSnapshot: 1, copySnapshot: 1_000_000 },
      quotas: { maxManualSnapshots: 2 },
    });
    slow.sim.seedInstance({ DBInstanceIdentifier: 'db', Engine: 'postgres' });
    slow.sim.seedCluster({ DBClusterIdentifier: 'aurora', Engine: 'aurora-postgresql' });
    await snapshotOf('db', 'snap', slow);
    await clusterSnapshotOf('aurora', 'csnap', slow);
  });
  afterAll(() => stopHarness(slow));

  it('refuses to copy or share a snapshot that is not available, then the quota', async () => {
    // Automated snapshots don't count against the manual snapshot quota.
    slow.sim.seedAutomatedSnapshot({ kind: 'instance', source: 'db' });
    await copy({ SourceDBSnapshotIdentifier: 'snap', TargetDBSnapshotIdentifier: 'pending-copy' }, slow);
    expect((await dbSnapshot('pending-copy', slow))?.Status).toBe('creating');
    expect(
      await errorOf(
        copy({ SourceDBSnapshotIdentifier: 'pending-copy', TargetDBSnapshotIdentifier: 'next' }, slow),
      ),
    ).toMatchObject({ name: 'InvalidDBSnapshotStateFault', code: 'InvalidDBSnapshotState' });
    expect(
      await errorOf(
        slow.rds.send(
          new ModifyDBSnapshotAttributeCommand({
            DBSnapshotIdentifier: 'pending-copy',
            AttributeName: 'restore',
            ValuesToAdd: [OWNER],
          }),
        ),
      ),
    ).toMatchObject({ code: 'InvalidDBSnapshotState' });
    // Two manual DB snapshots now: a third (a copy as much as a new snapshot) exceeds the quota.
    expect(
      await errorOf(copy({ SourceDBSnapshotIdentifier: 'snap', TargetDBSnapshotIdentifier: 'third' }, slow)),
    ).toMatchObject({ name: 'SnapshotQuotaExceededFault', code: 'SnapshotQuotaExceeded' });
    expect(slow.sim.snapshotState().snapshots).toHaveLength(3);
  });

  it('refuses a cluster snapshot copy that is still copying, and cancels a copy deleted while copying', async () => {
    await copyCluster(
      { SourceDBClusterSnapshotIdentifier: 'csnap', TargetDBClusterSnapshotIdentifier: 'pending-ccopy' },
      slow,
    );
    expect((await clusterSnapshot('pending-ccopy', slow))?.Status).toBe('copying');
    expect(
      await errorOf(
        copyCluster(
          { SourceDBClusterSnapshotIdentifier: 'pending-ccopy', TargetDBClusterSnapshotIdentifier: 'n' },
          slow,
        ),
      ),
    ).toMatchObject({
      name: 'InvalidDBClusterSnapshotStateFault',
      code: 'InvalidDBClusterSnapshotStateFault',
    });
    expect(
      await errorOf(
        slow.rds.send(
          new ModifyDBClusterSnapshotAttributeCommand({
            DBClusterSnapshotIdentifier: 'pending-ccopy',
            AttributeName: 'restore',
            ValuesToAdd: [OWNER],
          }),
        ),
      ),
    ).toMatchObject({ code: 'InvalidDBClusterSnapshotStateFault' });
    expect(
      await errorOf(
        copyCluster(
          { SourceDBClusterSnapshotIdentifier: 'csnap', TargetDBClusterSnapshotIdentifier: 'third' },
          slow,
        ),
      ),
    ).toMatchObject({ code: 'SnapshotQuotaExceeded' });
    const deleted = await slow.rds.send(
      new DeleteDBClusterSnapshotCommand({ DBClusterSnapshotIdentifier: 'pending-ccopy' }),
    );
    expect(deleted.DBClusterSnapshot?.Status).toBe('deleting');
    await waitFor(async () => (await errorOf(clusterSnapshot('pending-ccopy', slow))).status === 404);
  });
});
