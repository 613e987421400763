import {
  CreateDBSnapshotCommand,
  type DBInstance,
  DescribeDBInstancesCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
} from '@aws-sdk/client-rds';
import { DEFAULT_SECURITY_GROUP_ID } from '../../src/rds';
import { errorOf, eventIds, type Harness, startHarness, stopHarness, waitFor } from './helpers';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ durations: { createSnapshot: 100 } });
  h.sim.seedInstance({
    DBInstanceIdentifier: 'orders-db',
    Engine: 'postgres',
    EngineVersion: '16.2',
    DBInstanceClass: 'db.r6g.large',
    AllocatedStorage: 400,
    StorageType: 'gp3',
    Iops: 12000,
    StorageThroughput: 500,
    MultiAZ: true,
    DBName: 'orders',
    MasterUsername: 'orders_admin',
    Endpoint: { Address: '', Port: 6543, HostedZoneId: '' },
    DBParameterGroups: [{ DBParameterGroupName: 'orders-pg16', ParameterApplyStatus: 'in-sync' }],
    OptionGroupMemberships: [{ OptionGroupName: 'orders-og', Status: 'in-sync' }],
    DBSubnetGroup: { DBSubnetGroupName: 'private', VpcId: 'vpc-0private', SubnetGroupStatus: 'Complete' },
    VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-0orders', Status: 'active' }],
    DeletionProtection: true,
    IAMDatabaseAuthenticationEnabled: true,
    CopyTagsToSnapshot: true,
    MonitoringInterval: 60,
    MonitoringRoleArn: 'arn:aws:iam::000000000000:role/mon',
    PerformanceInsightsEnabled: true,
    PerformanceInsightsRetentionPeriod: 7,
    MaxAllocatedStorage: 1000,
    EnabledCloudwatchLogsExports: ['postgresql'],
    StorageEncrypted: true,
    KmsKeyId: 'arn:aws:kms:us-east-1:000000000000:key/k1',
    TagList: [{ Key: 'team', Value: 'orders' }],
  });
  await h.rds.send(
    new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'orders-db', DBSnapshotIdentifier: 'orders-snap' }),
  );
});
afterAll(() => stopHarness(h));

const availableInstance = (id: string) =>
  waitFor(async () => {
    const db = (await h.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id })))
      .DBInstances?.[0];
    return db?.DBInstanceStatus === 'available' ? db : undefined;
  });

describe('RestoreDBInstanceFromDBSnapshot', () => {
  it('applies the documented defaults when settings are omitted, and emits 0043', async () => {
    await waitFor(async () => h.sim.snapshotState().snapshots[0]?.Status === 'available');
    const out = await h.rds.send(
      new RestoreDBInstanceFromDBSnapshotCommand({
        DBInstanceIdentifier: 'plain-restore',
        DBSnapshotIdentifier: 'orders-snap',
      }),
    );
    expect(out.DBInstance?.DBInstanceStatus).toBe('creating');
    const db: DBInstance = await availableInstance('plain-restore');
    expect(db).toMatchObject({
      Engine: 'postgres',
      EngineVersion: '16.2',
      DBInstanceClass: 'db.r6g.large',
      Endpoint: { Port: 6543 },
      AllocatedStorage: 400,
      StorageType: 'gp3',
      Iops: 12000,
      DBName: 'orders',
      MasterUsername: 'orders_admin',
      MultiAZ: false,
      DBParameterGroups: [{ DBParameterGroupName: 'default.postgres16' }],
      OptionGroupMemberships: [{ OptionGroupName: 'default:postgres-16' }],
      DBSubnetGroup: { DBSubnetGroupName: 'default' },
      VpcSecurityGroups: [{ VpcSecurityGroupId: DEFAULT_SECURITY_GROUP_ID, Status: 'active' }],
      DeletionProtection: false,
      IAMDatabaseAuthenticationEnabled: false,
      CopyTagsToSnapshot: false,
      MonitoringInterval: 0,
      PerformanceInsightsEnabled: false,
      EnabledCloudwatchLogsExports: [],
      StorageEncrypted: true,
      KmsKeyId: 'arn:aws:kms:us-east-1:000000000000:key/k1',
      TagList: [{ Key: 'team', Value: 'orders' }],
    });
    expect(db.MaxAllocatedStorage).toBeUndefined();
    expect(db.MonitoringRoleArn).toBeUndefined();
    expect(eventIds(h.events, 'plain-restore')).toEqual(['RDS-EVENT-0043']);
    const ev = h.events.find((e) => e.detail.SourceIdentifier === 'plain-restore');
    expect(ev).toMatchObject({
      'detail-type': 'RDS DB Instance Event',
      detail: {
        SourceType: 'DB_INSTANCE',
        SourceArn: 'arn:aws:rds:us-east-1:000000000000:db:plain-restore',
        Message: 'Restored from snapshot orders-snap',
      },
    });
  });

  it('applies every setting given at restore', async () => {
    await h.rds.send(
      new RestoreDBInstanceFromDBSnapshotCommand({
        DBInstanceIdentifier: 'full-restore',
        DBSnapshotIdentifier: 'arn:aws:rds:us-east-1:000000000000:snapshot:orders-snap',
        DBInstanceClass: 'db.m6g.xlarge',
        Port: 5432,
        DBSubnetGroupName: 'private',
        MultiAZ: true,
        PubliclyAccessible: true,
        AutoMinorVersionUpgrade: false,
        LicenseModel: 'postgresql-license',
        DBName: 'orders2',
        StorageType: 'io2',
        Iops: 20000,
        OptionGroupName: 'orders-og',
        DBParameterGroupName: 'orders-pg16',
        VpcSecurityGroupIds: ['sg-0orders', 'sg-0extra'],
        EnableIAMDatabaseAuthentication: true,
        DeletionProtection: true,
        CopyTagsToSnapshot: true,
        CACertificateIdentifier: 'rds-ca-rsa4096-g1',
        EnableCloudwatchLogsExports: ['postgresql', 'upgrade'],
        Tags: [{ Key: 'trapheus-run', Value: 'r-1' }],
      }),
    );
    const db = await availableInstance('full-restore');
    expect(db).toMatchObject({
      DBInstanceClass: 'db.m6g.xlarge',
      Endpoint: { Port: 5432 },
      DBSubnetGroup: { DBSubnetGroupName: 'private', VpcId: 'vpc-0private' },
      MultiAZ: true,
      PubliclyAccessible: true,
      AutoMinorVersionUpgrade: false,
      // RDS API reference, RestoreDBInstanceFromDBSnapshot DBName: "only applies to RDS for Oracle and RDS for SQL
      // Server DB instances": PostgreSQL keeps the snapshot's database name.
      DBName: 'orders',
      StorageType: 'io2',
      Iops: 20000,
      OptionGroupMemberships: [{ OptionGroupName: 'orders-og' }],
      DBParameterGroups: [{ DBParameterGroupName: 'orders-pg16' }],
      VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-0orders' }, { VpcSecurityGroupId: 'sg-0extra' }],
      IAMDatabaseAuthenticationEnabled: true,
      DeletionProtection: true,
      CopyTagsToSnapshot: true,
      CACertificateIdentifier: 'rds-ca-rsa4096-g1',
      EnabledCloudwatchLogsExports: ['postgresql', 'upgrade'],
      TagList: [{ Key: 'trapheus-run', Value: 'r-1' }],
    });
    expect(db.StorageThroughput).toBeUndefined();
  });

  it('refuses a taken name and an unknown snapshot', async () => {
    expect(
      await errorOf(
        h.rds.send(
          new RestoreDBInstanceFromDBSnapshotCommand({
            DBInstanceIdentifier: 'orders-db',
            DBSnapshotIdentifier: 'orders-snap',
          }),
        ),
      ),
    ).toMatchObject({ name: 'DBInstanceAlreadyExistsFault' });
    expect(
      await errorOf(
        h.rds.send(
          new RestoreDBInstanceFromDBSnapshotCommand({
            DBInstanceIdentifier: 'x-db',
            DBSnapshotIdentifier: 'no-snap',
          }),
        ),
      ),
    ).toMatchObject({ name: 'DBSnapshotNotFoundFault', status: 404 });
  });
});

// Finding: this check raced the 100 ms snapshot of the shared harness and failed under load. Its own simulator
// keeps the snapshot `creating` for simulated days, so the answer cannot depend on timing.
describe('RestoreDBInstanceFromDBSnapshot from a snapshot still being created', () => {
  let slow: Harness;
  beforeAll(async () => {
    slow = await startHarness({ durations: { createSnapshot: 10_000_000 } });
    slow.sim.seedInstance({ DBInstanceIdentifier: 'orders-db', Engine: 'postgres' });
    await slow.rds.send(
      new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'orders-db', DBSnapshotIdentifier: 'orders-snap' }),
    );
  });
  afterAll(() => stopHarness(slow));

  it('refuses a snapshot that is not available yet', async () => {
    const err = await errorOf(
      slow.rds.send(
        new RestoreDBInstanceFromDBSnapshotCommand({
          DBInstanceIdentifier: 'early',
          DBSnapshotIdentifier: 'orders-snap',
        }),
      ),
    );
    expect(err).toMatchObject({ name: 'InvalidDBSnapshotStateFault' });
  });
});
