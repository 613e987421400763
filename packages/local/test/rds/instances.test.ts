import {
  AddTagsToResourceCommand,
  CreateDBInstanceCommand,
  DeleteDBInstanceCommand,
  DescribeDBInstancesCommand,
  ListTagsForResourceCommand,
  ModifyDBInstanceCommand,
  RemoveTagsFromResourceCommand,
} from '@aws-sdk/client-rds';
import { errorOf, eventIds, type Harness, startHarness, stopHarness, waitFor } from './helpers';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => stopHarness(h));

const describe1 = async (id: string) =>
  (await h.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances?.[0];

const availableInstance = (id: string) =>
  waitFor(async () => {
    const db = await describe1(id);
    return db?.DBInstanceStatus === 'available' ? db : undefined;
  });

describe('DB instances', () => {
  it('creates an instance that is creating, then available with every setting round-tripped, and emits 0005', async () => {
    const created = await h.rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: 'Orders-DB',
        Engine: 'postgres',
        EngineVersion: '16.3',
        DBInstanceClass: 'db.m6g.large',
        AllocatedStorage: 400,
        MaxAllocatedStorage: 500,
        MasterUsername: 'orders',
        MasterUserPassword: 'secret123',
        DBName: 'orders',
        Port: 6543,
        MultiAZ: true,
        StorageType: 'gp3',
        Iops: 12000,
        StorageThroughput: 500,
        DBParameterGroupName: 'orders-pg16',
        OptionGroupName: 'orders-og',
        DBSubnetGroupName: 'private-subnets',
        VpcSecurityGroupIds: ['sg-0aaa', 'sg-0bbb'],
        PubliclyAccessible: false,
        EnableIAMDatabaseAuthentication: true,
        DeletionProtection: true,
        CopyTagsToSnapshot: true,
        CACertificateIdentifier: 'rds-ca-ecc384-g1',
        EnableCloudwatchLogsExports: ['postgresql', 'upgrade'],
        MonitoringInterval: 30,
        MonitoringRoleArn: 'arn:aws:iam::000000000000:role/monitoring',
        EnablePerformanceInsights: true,
        PerformanceInsightsRetentionPeriod: 731,
        PreferredMaintenanceWindow: 'tue:04:00-tue:04:30',
        PreferredBackupWindow: '01:00-01:30',
        BackupRetentionPeriod: 14,
        AutoMinorVersionUpgrade: false,
        StorageEncrypted: true,
        KmsKeyId: 'arn:aws:kms:us-east-1:000000000000:key/abc',
        Tags: [{ Key: 'team', Value: 'payments & billing' }],
      }),
    );
    expect(created.DBInstance?.DBInstanceIdentifier).toBe('orders-db');
    expect(created.DBInstance?.DBInstanceStatus).toBe('creating');
    expect(created.DBInstance?.Endpoint).toBeUndefined();

    const db = await availableInstance('orders-db');
    expect(db).toMatchObject({
      DBInstanceIdentifier: 'orders-db',
      DBInstanceArn: 'arn:aws:rds:us-east-1:000000000000:db:orders-db',
      Engine: 'postgres',
      EngineVersion: '16.3',
      DBInstanceClass: 'db.m6g.large',
      AllocatedStorage: 400,
      MaxAllocatedStorage: 500,
      MasterUsername: 'orders',
      DBName: 'orders',
      MultiAZ: true,
      StorageType: 'gp3',
      Iops: 12000,
      StorageThroughput: 500,
      DBParameterGroups: [{ DBParameterGroupName: 'orders-pg16', ParameterApplyStatus: 'in-sync' }],
      OptionGroupMemberships: [{ OptionGroupName: 'orders-og', Status: 'in-sync' }],
      DBSubnetGroup: { DBSubnetGroupName: 'private-subnets', SubnetGroupStatus: 'Complete' },
      VpcSecurityGroups: [
        { VpcSecurityGroupId: 'sg-0aaa', Status: 'active' },
        { VpcSecurityGroupId: 'sg-0bbb', Status: 'active' },
      ],
      PubliclyAccessible: false,
      IAMDatabaseAuthenticationEnabled: true,
      DeletionProtection: true,
      CopyTagsToSnapshot: true,
      CACertificateIdentifier: 'rds-ca-ecc384-g1',
      EnabledCloudwatchLogsExports: ['postgresql', 'upgrade'],
      MonitoringInterval: 30,
      MonitoringRoleArn: 'arn:aws:iam::000000000000:role/monitoring',
      PerformanceInsightsEnabled: true,
      PerformanceInsightsRetentionPeriod: 731,
      PreferredMaintenanceWindow: 'tue:04:00-tue:04:30',
      PreferredBackupWindow: '01:00-01:30',
      BackupRetentionPeriod: 14,
      AutoMinorVersionUpgrade: false,
      StorageEncrypted: true,
      KmsKeyId: 'arn:aws:kms:us-east-1:000000000000:key/abc',
      TagList: [{ Key: 'team', Value: 'payments & billing' }],
    });
    expect(db?.DbiResourceId).toMatch(/^db-[A-Z0-9]{26}$/);
    expect(db?.Endpoint?.Address).toMatch(/^orders-db\.[a-z0-9]+\.us-east-1\.rds\.amazonaws\.com$/);
    expect(db?.Endpoint?.Port).toBe(6543);
    expect(db?.InstanceCreateTime).toBeInstanceOf(Date);
    expect(db?.DBSubnetGroup?.VpcId).toMatch(/^vpc-/);
    expect(eventIds(h.events, 'orders-db')).toEqual(['RDS-EVENT-0005']);
    expect(h.events[0]).toMatchObject({
      version: '0',
      source: 'aws.rds',
      'detail-type': 'RDS DB Instance Event',
      account: '000000000000',
      region: 'us-east-1',
      resources: ['arn:aws:rds:us-east-1:000000000000:db:orders-db'],
      detail: { SourceType: 'DB_INSTANCE', SourceIdentifier: 'orders-db', EventCategories: ['creation'] },
    });
  });

  it('modifies with ApplyImmediately: modifying with pending values, then available with the values applied', async () => {
    h.sim.seedInstance({ DBInstanceIdentifier: 'mod-db', Engine: 'mysql', DBInstanceClass: 'db.t3.small' });
    const out = await h.rds.send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: 'mod-db',
        ApplyImmediately: true,
        DBInstanceClass: 'db.r6g.xlarge',
        MultiAZ: true,
        AllocatedStorage: 200,
        DBParameterGroupName: 'custom-mysql80',
        VpcSecurityGroupIds: ['sg-0ccc'],
        DBPortNumber: 3307,
        CloudwatchLogsExportConfiguration: { EnableLogTypes: ['error', 'slowquery'] },
        DeletionProtection: true,
      }),
    );
    expect(out.DBInstance?.DBInstanceStatus).toBe('modifying');
    expect(out.DBInstance?.DeletionProtection).toBe(true);
    expect(out.DBInstance?.DBInstanceClass).toBe('db.t3.small');
    expect(out.DBInstance?.PendingModifiedValues).toMatchObject({
      DBInstanceClass: 'db.r6g.xlarge',
      MultiAZ: true,
      AllocatedStorage: 200,
      Port: 3307,
      PendingCloudwatchLogsExports: { LogTypesToEnable: ['error', 'slowquery'] },
    });
    const busy = await errorOf(
      h.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'mod-db', MultiAZ: false })),
    );
    expect(busy).toMatchObject({ name: 'InvalidDBInstanceStateFault', status: 400 });

    const db = await availableInstance('mod-db');
    expect(db).toMatchObject({
      DBInstanceClass: 'db.r6g.xlarge',
      MultiAZ: true,
      AllocatedStorage: 200,
      DBParameterGroups: [{ DBParameterGroupName: 'custom-mysql80' }],
      VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-0ccc' }],
      Endpoint: { Port: 3307 },
      EnabledCloudwatchLogsExports: ['error', 'slowquery'],
      PendingModifiedValues: {},
    });
  });

  it('keeps window-bound changes pending without ApplyImmediately', async () => {
    h.sim.seedInstance({
      DBInstanceIdentifier: 'lazy-db',
      Engine: 'postgres',
      DBInstanceClass: 'db.t3.small',
    });
    const out = await h.rds.send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: 'lazy-db',
        DBInstanceClass: 'db.m6g.large',
        BackupRetentionPeriod: 7,
      }),
    );
    expect(out.DBInstance).toMatchObject({
      DBInstanceStatus: 'available',
      DBInstanceClass: 'db.t3.small',
      BackupRetentionPeriod: 7,
      PendingModifiedValues: { DBInstanceClass: 'db.m6g.large' },
    });
  });

  it('rejects invalid settings the way RDS does', async () => {
    h.sim.seedInstance({ DBInstanceIdentifier: 'strict-db', Engine: 'postgres', StorageType: 'gp2' });
    expect(
      await errorOf(
        h.rds.send(
          new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'strict-db', MonitoringInterval: 60 }),
        ),
      ),
    ).toMatchObject({ name: 'InvalidParameterCombination' });
    expect(
      await errorOf(
        h.rds.send(
          new ModifyDBInstanceCommand({
            DBInstanceIdentifier: 'strict-db',
            CloudwatchLogsExportConfiguration: { EnableLogTypes: ['slowquery'] },
          }),
        ),
      ),
    ).toMatchObject({ name: 'InvalidParameterCombination' });
    expect(
      await errorOf(
        h.rds.send(
          new ModifyDBInstanceCommand({
            DBInstanceIdentifier: 'strict-db',
            Iops: 3000,
            ApplyImmediately: true,
          }),
        ),
      ),
    ).toMatchObject({ name: 'InvalidParameterCombination' });
  });

  it('returns DBInstanceNotFound (404) for unknown instances and validates identifiers', async () => {
    expect(await errorOf(describe1('nope'))).toMatchObject({ name: 'DBInstanceNotFoundFault', status: 404 });
    for (const bad of ['1abc', 'a--b', 'abc-', 'a_b', 'x'.repeat(64)]) {
      const err = await errorOf(
        h.rds.send(
          new CreateDBInstanceCommand({
            DBInstanceIdentifier: bad,
            Engine: 'postgres',
            DBInstanceClass: 'db.t3.micro',
            AllocatedStorage: 20,
          }),
        ),
      );
      expect(err).toMatchObject({ code: 'InvalidParameterValue', status: 400 });
    }
  });

  it('refuses a taken name with DBInstanceAlreadyExists', async () => {
    h.sim.seedInstance({ DBInstanceIdentifier: 'taken-db', Engine: 'postgres' });
    const err = await errorOf(
      h.rds.send(
        new CreateDBInstanceCommand({
          DBInstanceIdentifier: 'TAKEN-db',
          Engine: 'postgres',
          DBInstanceClass: 'db.t3.micro',
          AllocatedStorage: 20,
        }),
      ),
    );
    expect(err).toMatchObject({ name: 'DBInstanceAlreadyExistsFault' });
  });

  it('refuses deletes without a final-snapshot decision, with both, or under deletion protection', async () => {
    h.sim.seedInstance({ DBInstanceIdentifier: 'del-db', Engine: 'postgres', DeletionProtection: true });
    const noChoice = await errorOf(
      h.rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'del-db' })),
    );
    expect(noChoice).toMatchObject({ name: 'InvalidParameterCombination' });
    const both = await errorOf(
      h.rds.send(
        new DeleteDBInstanceCommand({
          DBInstanceIdentifier: 'del-db',
          SkipFinalSnapshot: true,
          FinalDBSnapshotIdentifier: 'f',
        }),
      ),
    );
    expect(both).toMatchObject({ name: 'InvalidParameterCombination' });
    const protectedErr = await errorOf(
      h.rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'del-db', SkipFinalSnapshot: true })),
    );
    expect(protectedErr).toMatchObject({ name: 'InvalidParameterCombination' });
    expect(protectedErr.message).toContain('deletion protection');
  });

  it('deletes: deleting, a second delete is InvalidDBInstanceState, then gone with 0003', async () => {
    h.sim.seedInstance({ DBInstanceIdentifier: 'gone-db', Engine: 'postgres' });
    const out = await h.rds.send(
      new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'gone-db', SkipFinalSnapshot: true }),
    );
    expect(out.DBInstance?.DBInstanceStatus).toBe('deleting');
    const again = await errorOf(
      h.rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'gone-db', SkipFinalSnapshot: true })),
    );
    expect(again).toMatchObject({ name: 'InvalidDBInstanceStateFault' });
    await waitFor(async () => (await errorOf(describe1('gone-db'))).name === 'DBInstanceNotFoundFault');
    expect(eventIds(h.events, 'gone-db')).toEqual(['RDS-EVENT-0003']);
  });

  it('adds, lists and removes tags by ARN', async () => {
    h.sim.seedInstance({
      DBInstanceIdentifier: 'tag-db',
      Engine: 'postgres',
      TagList: [{ Key: 'a', Value: '1' }],
    });
    const arn = 'arn:aws:rds:us-east-1:000000000000:db:tag-db';
    await h.rds.send(
      new AddTagsToResourceCommand({
        ResourceName: arn,
        Tags: [
          { Key: 'b', Value: '2' },
          { Key: 'a', Value: '3' },
        ],
      }),
    );
    await h.rds.send(new RemoveTagsFromResourceCommand({ ResourceName: arn, TagKeys: ['b'] }));
    const out = await h.rds.send(new ListTagsForResourceCommand({ ResourceName: arn }));
    expect(out.TagList).toEqual([{ Key: 'a', Value: '3' }]);
    const missing = await errorOf(
      h.rds.send(
        new ListTagsForResourceCommand({ ResourceName: 'arn:aws:rds:us-east-1:000000000000:db:none' }),
      ),
    );
    expect(missing).toMatchObject({ name: 'DBInstanceNotFoundFault', status: 404 });
  });

  it('filters DescribeDBInstances and rejects unknown filters', async () => {
    const out = await h.rds.send(
      new DescribeDBInstancesCommand({ Filters: [{ Name: 'db-instance-id', Values: ['tag-db', 'mod-db'] }] }),
    );
    expect(out.DBInstances?.map((d) => d.DBInstanceIdentifier).sort()).toEqual(['mod-db', 'tag-db']);
    const bad = await errorOf(
      h.rds.send(new DescribeDBInstancesCommand({ Filters: [{ Name: 'color', Values: ['x'] }] })),
    );
    expect(bad).toMatchObject({ code: 'InvalidParameterValue' });
  });

  it('answers an unknown Action with InvalidAction and counts calls per Action', async () => {
    const res = await fetch(h.sim.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=FlyToTheMoon&Version=2014-10-31',
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('<Code>InvalidAction</Code>');
    expect(h.sim.callCounts()).toMatchObject({ FlyToTheMoon: 1, CreateDBInstance: 7 });
    const calls = (await (await fetch(`${h.sim.url}/_sim/calls`)).json()) as Record<string, number>;
    expect(calls.DeleteDBInstance).toBe(5);
  });
});
