/**
 * A small in-memory RDS behind aws-sdk-client-mock, for unit tests of the steps: statuses change only when a
 * test calls `settle()`, so a test controls exactly what each reconcile sees. Errors carry the real wire
 * codes. (The HTTP simulator in packages/local is the realistic one, for end-to-end tests.)
 */
import {
  AddTagsToResourceCommand,
  CreateDBSnapshotCommand,
  type DBInstance,
  type DBSnapshot,
  DeleteDBInstanceCommand,
  DeleteDBSnapshotCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  ModifyDBInstanceCommand,
  RDSClient,
  RemoveTagsFromResourceCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
  type Tag,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';

const awsError = (name: string, message = name) =>
  Object.assign(new Error(message), { name, $fault: 'client' });

type Pending = () => void;

const arnOf = (id: string) => `arn:aws:rds:us-east-1:123456789012:db:${id}`;
let resourceCounter = 0;

export interface FakeRds {
  instances: Map<string, DBInstance>;
  snapshots: Map<string, DBSnapshot>;
  /** Completes every operation in flight (status → available, deletes → gone, renames → done). */
  settle(): void;
  seedInstance(props: Partial<DBInstance> & { DBInstanceIdentifier: string }): DBInstance;
  seedSnapshot(props: Partial<DBSnapshot> & { DBSnapshotIdentifier: string }): DBSnapshot;
  /** The next call of `command` (optionally on `identifier`) fails with `code`. */
  failNext(command: string, code: string, identifier?: string): void;
  /** The running restore of `identifier` (`*`: the next restore, whatever its name) ends in `status`. */
  failAsync(identifier: string, status: string): void;
  calls(command?: string): { command: string; input: Record<string, unknown> }[];
  mutatingCalls(): string[];
  mock: ReturnType<typeof mockClient>;
  client: RDSClient;
}

/**
 * `latency`: every call yields to the event loop before RDS answers, as a network call does, so two
 * invocations working at the same moment really interleave (both describe before either acts).
 */
export const createFakeRds = ({ latency = false }: { latency?: boolean } = {}): FakeRds => {
  const instances = new Map<string, DBInstance>();
  const snapshots = new Map<string, DBSnapshot>();
  const pending: Pending[] = [];
  const failures: { command: string; code: string; identifier?: string }[] = [];
  const asyncFailures = new Map<string, string>();
  const log: { command: string; input: Record<string, unknown> }[] = [];
  const client = new RDSClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  const mock = mockClient(RDSClient);
  if (latency) {
    const send = client.send.bind(client) as (...args: unknown[]) => Promise<unknown>;
    (client as unknown as { send: (...args: unknown[]) => Promise<unknown> }).send = async (...args) => {
      await new Promise((resolve) => setImmediate(resolve));
      return send(...args);
    };
  }

  const guard = (command: string, input: Record<string, unknown>) => {
    log.push({ command, input: structuredClone(input) });
    const target = (input.DBInstanceIdentifier ?? input.DBSnapshotIdentifier ?? input.ResourceName) as string;
    const i = failures.findIndex(
      (f) => f.command === command && (!f.identifier || target?.includes(f.identifier)),
    );
    if (i >= 0) {
      const [f] = failures.splice(i, 1);
      throw awsError(f!.code);
    }
  };
  const instance = (id: string) => {
    const db = instances.get(id);
    if (!db) throw awsError('DBInstanceNotFound', `DBInstance ${id} not found.`);
    return db;
  };
  const requireAvailable = (db: DBInstance) => {
    if (db.DBInstanceStatus !== 'available') {
      throw awsError('InvalidDBInstanceState', `Instance ${db.DBInstanceIdentifier} is not available`);
    }
  };
  const resourceTags = (arn: string): { set: (t: Tag[]) => void; get: () => Tag[] } | undefined => {
    for (const db of instances.values()) {
      if (db.DBInstanceArn === arn)
        return {
          get: () => db.TagList ?? [],
          set: (t) => {
            db.TagList = t;
          },
        };
    }
    for (const s of snapshots.values()) {
      if (s.DBSnapshotArn === arn)
        return {
          get: () => s.TagList ?? [],
          set: (t) => {
            s.TagList = t;
          },
        };
    }
    return undefined;
  };

  const seedInstance: FakeRds['seedInstance'] = (props) => {
    const id = props.DBInstanceIdentifier;
    const db: DBInstance = {
      DBInstanceStatus: 'available',
      DBInstanceArn: arnOf(id),
      DbiResourceId: `db-${++resourceCounter}`,
      Engine: 'postgres',
      EngineVersion: '16.3',
      DBInstanceClass: 'db.t4g.micro',
      Endpoint: { Address: `${id}.abc.us-east-1.rds.amazonaws.com`, Port: 5432 },
      TagList: [],
      ...props,
    };
    instances.set(id, db);
    return db;
  };
  const seedSnapshot: FakeRds['seedSnapshot'] = (props) => {
    const s: DBSnapshot = {
      Status: 'available',
      DBSnapshotArn: `arn:aws:rds:us-east-1:123456789012:snapshot:${props.DBSnapshotIdentifier}`,
      SnapshotCreateTime: new Date('2026-01-01T00:00:00Z'),
      TagList: [],
      ...props,
    };
    snapshots.set(props.DBSnapshotIdentifier, s);
    return s;
  };

  mock.on(DescribeDBInstancesCommand).callsFake((input) => {
    guard('DescribeDBInstances', input);
    const id = input.DBInstanceIdentifier as string;
    return { DBInstances: [structuredClone(instance(id))] };
  });
  // This fake holds instances only: a cluster is never found.
  mock.on(DescribeDBClustersCommand).callsFake((input) => {
    guard('DescribeDBClusters', input);
    throw awsError('DBClusterNotFoundFault');
  });
  mock.on(DescribeDBSnapshotsCommand).callsFake((input) => {
    guard('DescribeDBSnapshots', input);
    if (!input.DBSnapshotIdentifier) {
      const all = [...snapshots.values()].filter(
        (x) => !input.DBInstanceIdentifier || x.DBInstanceIdentifier === input.DBInstanceIdentifier,
      );
      return { DBSnapshots: structuredClone(all) };
    }
    const s = snapshots.get(input.DBSnapshotIdentifier as string);
    if (!s) throw awsError('DBSnapshotNotFound');
    return { DBSnapshots: [structuredClone(s)] };
  });
  mock.on(CreateDBSnapshotCommand).callsFake((input) => {
    guard('CreateDBSnapshot', input);
    const db = instance(input.DBInstanceIdentifier);
    requireAvailable(db);
    if (snapshots.has(input.DBSnapshotIdentifier)) throw awsError('DBSnapshotAlreadyExists');
    const s = seedSnapshot({
      DBSnapshotIdentifier: input.DBSnapshotIdentifier,
      DBInstanceIdentifier: db.DBInstanceIdentifier,
      Status: 'creating',
      TagList: input.Tags ?? [],
    });
    pending.push(() => {
      s.Status = 'available';
    });
    return { DBSnapshot: s };
  });
  mock.on(DeleteDBSnapshotCommand).callsFake((input) => {
    guard('DeleteDBSnapshot', input);
    const s = snapshots.get(input.DBSnapshotIdentifier);
    if (!s) throw awsError('DBSnapshotNotFound');
    s.Status = 'deleting';
    pending.push(() => void snapshots.delete(input.DBSnapshotIdentifier));
    return { DBSnapshot: s };
  });
  mock.on(ModifyDBInstanceCommand).callsFake((input) => {
    guard('ModifyDBInstance', input);
    const db = instance(input.DBInstanceIdentifier);
    requireAvailable(db);
    if (input.NewDBInstanceIdentifier) {
      const to = input.NewDBInstanceIdentifier;
      if (instances.has(to)) throw awsError('DBInstanceAlreadyExists');
      instances.delete(db.DBInstanceIdentifier!);
      // Neither name answers until the rename settles; then the new one is available.
      pending.push(() => {
        db.DBInstanceIdentifier = to;
        db.DBInstanceArn = arnOf(to);
        db.DBInstanceStatus = 'available';
        instances.set(to, db);
      });
      return { DBInstance: db };
    }
    if (input.DeletionProtection !== undefined) db.DeletionProtection = input.DeletionProtection;
    const { DBInstanceIdentifier: _, ApplyImmediately: __, DeletionProtection: ___, ...rest } = input;
    if (Object.keys(rest).length > 0) {
      db.DBInstanceStatus = 'modifying';
      pending.push(() => {
        const { EnablePerformanceInsights, ManageMasterUserPassword, MasterUserSecretKmsKeyId, ...plain } =
          rest as Record<string, unknown>;
        Object.assign(db, plain);
        if (EnablePerformanceInsights !== undefined)
          db.PerformanceInsightsEnabled = Boolean(EnablePerformanceInsights);
        if (ManageMasterUserPassword) {
          db.MasterUserSecret = {
            SecretArn: `arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!${db.DbiResourceId}`,
            SecretStatus: 'active',
            ...(MasterUserSecretKmsKeyId ? { KmsKeyId: String(MasterUserSecretKmsKeyId) } : {}),
          };
        }
        db.DBInstanceStatus = 'available';
      });
    }
    return { DBInstance: db };
  });
  mock.on(RestoreDBInstanceFromDBSnapshotCommand).callsFake((input) => {
    guard('RestoreDBInstanceFromDBSnapshot', input);
    const id = input.DBInstanceIdentifier;
    if (instances.has(id)) throw awsError('DBInstanceAlreadyExists');
    const s = snapshots.get(input.DBSnapshotIdentifier);
    if (!s) throw awsError('DBSnapshotNotFound');
    const db = seedInstance({
      DBInstanceIdentifier: id,
      DBInstanceStatus: 'creating',
      DBInstanceClass: input.DBInstanceClass,
      DBSubnetGroup: input.DBSubnetGroupName ? { DBSubnetGroupName: input.DBSubnetGroupName } : undefined,
      VpcSecurityGroups: (input.VpcSecurityGroupIds ?? []).map((g: string) => ({ VpcSecurityGroupId: g })),
      DBParameterGroups: [{ DBParameterGroupName: input.DBParameterGroupName ?? 'default.postgres16' }],
      OptionGroupMemberships: [{ OptionGroupName: input.OptionGroupName ?? 'default:postgres-16' }],
      MultiAZ: input.MultiAZ ?? false,
      StorageType: input.StorageType,
      AllocatedStorage: input.AllocatedStorage,
      // A gp3 volume below its engine threshold reports the baseline 3000 IOPS / 125 MiB/s.
      Iops: input.Iops ?? (input.StorageType === 'gp3' ? 3000 : undefined),
      StorageThroughput: input.StorageThroughput ?? (input.StorageType === 'gp3' ? 125 : undefined),
      Endpoint: { Address: `${id}.new.us-east-1.rds.amazonaws.com`, Port: input.Port ?? 5432 },
      PubliclyAccessible: input.PubliclyAccessible ?? false,
      IAMDatabaseAuthenticationEnabled: input.EnableIAMDatabaseAuthentication ?? false,
      DeletionProtection: input.DeletionProtection ?? false,
      CopyTagsToSnapshot: input.CopyTagsToSnapshot ?? false,
      CACertificateIdentifier: input.CACertificateIdentifier,
      EnabledCloudwatchLogsExports: input.EnableCloudwatchLogsExports ?? [],
      AutoMinorVersionUpgrade: input.AutoMinorVersionUpgrade,
      TagList: input.Tags ?? s.TagList ?? [],
      MonitoringInterval: 0,
      PerformanceInsightsEnabled: false,
      BackupRetentionPeriod: input.BackupRetentionPeriod ?? 1,
      PreferredBackupWindow: input.PreferredBackupWindow,
      LicenseModel: input.LicenseModel,
      NetworkType: input.NetworkType,
      EngineLifecycleSupport: input.EngineLifecycleSupport,
      DedicatedLogVolume: input.DedicatedLogVolume,
      ProcessorFeatures: input.ProcessorFeatures,
      BackupTarget: input.BackupTarget,
      CustomerOwnedIpEnabled: input.EnableCustomerOwnedIp,
      ...(input.Domain
        ? {
            DomainMemberships: [
              {
                Domain: input.Domain,
                IAMRoleName: input.DomainIAMRoleName,
                FQDN: input.DomainFqdn,
                OU: input.DomainOu,
                AuthSecretArn: input.DomainAuthSecretArn,
                DnsIps: input.DomainDnsIps,
                Status: 'joined',
              },
            ],
          }
        : {}),
    });
    pending.push(() => {
      // A failure armed for the name, or for whatever this run restores (`*`: the side name is run-unique).
      const key = asyncFailures.has(id) ? id : asyncFailures.has('*') ? '*' : id;
      db.DBInstanceStatus = asyncFailures.get(key) ?? 'available';
      asyncFailures.delete(key);
    });
    return { DBInstance: db };
  });
  mock.on(DeleteDBInstanceCommand).callsFake((input) => {
    guard('DeleteDBInstance', input);
    const db = instance(input.DBInstanceIdentifier);
    if (db.DBInstanceStatus === 'deleting') throw awsError('InvalidDBInstanceState');
    if (!input.SkipFinalSnapshot && !input.FinalDBSnapshotIdentifier)
      throw awsError('InvalidParameterCombination');
    if (db.DeletionProtection)
      throw awsError('InvalidParameterCombination', 'deletion protection is enabled');
    db.DBInstanceStatus = 'deleting';
    pending.push(() => void instances.delete(input.DBInstanceIdentifier));
    return { DBInstance: db };
  });
  mock.on(AddTagsToResourceCommand).callsFake((input) => {
    guard('AddTagsToResource', input);
    const r = resourceTags(input.ResourceName);
    if (!r) throw awsError('DBInstanceNotFound');
    const keys = new Set((input.Tags as Tag[]).map((t) => t.Key));
    r.set([...r.get().filter((t) => !keys.has(t.Key)), ...input.Tags]);
    return {};
  });
  mock.on(RemoveTagsFromResourceCommand).callsFake((input) => {
    guard('RemoveTagsFromResource', input);
    const r = resourceTags(input.ResourceName);
    if (!r) throw awsError('DBInstanceNotFound');
    r.set(r.get().filter((t) => !(input.TagKeys as string[]).includes(t.Key!)));
    return {};
  });

  return {
    instances,
    snapshots,
    settle() {
      while (pending.length) pending.shift()!();
    },
    seedInstance,
    seedSnapshot,
    failNext(command, code, identifier) {
      failures.push({ command, code, ...(identifier ? { identifier } : {}) });
    },
    failAsync(identifier, status) {
      asyncFailures.set(identifier, status);
    },
    calls(command) {
      return log.filter((c) => !command || c.command === command);
    },
    mutatingCalls() {
      return log.map((c) => c.command).filter((c) => !c.startsWith('Describe'));
    },
    mock,
    client,
  };
};
