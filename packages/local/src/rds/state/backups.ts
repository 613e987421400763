import { invalidParameterCombination, invalidParameterValue, RdsError } from '../errors';
import { optInt, optString, optTags, type Params, reqString } from '../protocol';
import { randomToken } from '../random';
import type { AutomatedBackupProps } from '../types';
import { applyFilters, checkMaxRecords } from './describe';
import { automatedBackupsArn } from './instances';
import { paginate } from './render';
import { clone, type SimContext, type Store } from './store';
import { instanceWindow } from './window';

/**
 * StartDBInstanceAutomatedBackupsReplication, called "in the destination Region". The simulator is one Region and
 * cannot see the request's SigV4 scope, so the destination is the `backupReplicationRegion` option.
 */
export function startDBInstanceAutomatedBackupsReplication(ctx: SimContext, p: Params) {
  const { store } = ctx;
  const sourceArn = reqString(p, 'SourceDBInstanceArn');
  const [, sourceRegion, sourceAccount, sourceId] =
    /^arn:aws[\w-]*:rds:([^:]+):(\d+):db:(.+)$/.exec(sourceArn) ?? [];
  if (sourceId === undefined)
    throw invalidParameterValue(
      `The parameter SourceDBInstanceArn is not a valid DB instance ARN: ${sourceArn}`,
    );
  const dest = ctx.backupReplicationRegion;
  if (sourceRegion === dest) {
    // RDS User Guide, "Replicating automated backups to another AWS Region" (USER_ReplicateBackups): backups are
    // replicated to a different (destination) Region.
    throw invalidParameterCombination(
      `SourceDBInstanceArn is in ${dest}, the destination Region: automated backups replicate to another Region.`,
    );
  }
  if (sourceRegion !== store.region || sourceAccount !== store.accountId) {
    throw new RdsError('DBInstanceNotFound', `DBInstance ${sourceArn} not found.`, 404);
  }
  const rec = store.instance(sourceId);
  const i = rec.props;
  if (i.DBInstanceStatus !== 'available') {
    throw new RdsError(
      'InvalidDBInstanceState',
      `DB instance ${i.DBInstanceIdentifier} is not in available state (${i.DBInstanceStatus}).`,
    );
  }
  const kmsKeyId = optString(p, 'KmsKeyId');
  // RDS User Guide, USER_ReplicateBackups ("Enabling cross-Region automated backups"): for an encrypted source DB
  // instance you must specify a KMS key of the destination Region (`--kms-key-id`).
  if (i.StorageEncrypted && !kmsKeyId) {
    throw invalidParameterCombination(
      'KmsKeyId is required to replicate the automated backups of an encrypted DB instance.',
    );
  }
  const retention = optInt(p, 'BackupRetentionPeriod') ?? i.BackupRetentionPeriod;
  // A second call while replication runs returns the replication that exists (one per destination Region).
  const existing = [...store.automatedBackups.values()].find(
    (b) => b.DbiResourceId === i.DbiResourceId && b.Status !== 'retained',
  );
  if (existing) return { DBInstanceAutomatedBackup: clone(existing) };
  const arn = `arn:aws:rds:${dest}:${store.accountId}:auto-backup:ab-${randomToken(26, 'abcdefghijklmnopqrstuvwxyz0123456789')}`;
  const props: AutomatedBackupProps = {
    DBInstanceArn: i.DBInstanceArn,
    DbiResourceId: i.DbiResourceId,
    Region: store.region,
    DBInstanceIdentifier: i.DBInstanceIdentifier,
    AllocatedStorage: i.AllocatedStorage,
    Status: 'pending',
    Port: i.Endpoint.Port,
    InstanceCreateTime: i.InstanceCreateTime,
    MasterUsername: i.MasterUsername,
    Engine: i.Engine,
    EngineVersion: i.EngineVersion,
    LicenseModel: i.LicenseModel,
    StorageType: i.StorageType,
    Encrypted: i.StorageEncrypted,
    KmsKeyId: kmsKeyId,
    IAMDatabaseAuthenticationEnabled: i.IAMDatabaseAuthenticationEnabled,
    BackupRetentionPeriod: retention,
    DBInstanceAutomatedBackupsArn: arn,
    BackupTarget: i.BackupTarget ?? 'region',
    TagList: optTags(p) ?? [],
  };
  store.automatedBackups.set(arn, props);
  i.DBInstanceAutomatedBackupsReplications = [
    ...(i.DBInstanceAutomatedBackupsReplications ?? []),
    { DBInstanceAutomatedBackupsArn: arn },
  ];
  ctx.scheduler.after(ctx.durations.startBackupReplication, () => {
    if (props.Status === 'pending') props.Status = 'replicating';
  });
  return { DBInstanceAutomatedBackup: clone(props) };
}

export function stopDBInstanceAutomatedBackupsReplication(ctx: SimContext, p: Params) {
  const { store } = ctx;
  const sourceArn = reqString(p, 'SourceDBInstanceArn');
  const backup = [...store.automatedBackups.values()].find(
    (b) => b.DBInstanceArn === sourceArn && b.Status !== 'retained',
  );
  if (!backup) {
    throw new RdsError(
      'DBInstanceAutomatedBackupNotFound',
      `No replicated automated backups for ${sourceArn}.`,
      404,
    );
  }
  // RDS API reference, DescribeDBInstanceAutomatedBackups Filters: "retained - Automated backups for deleted
  // instances and after backup replication is stopped."
  backup.Status = 'retained';
  for (const rec of store.instances.values()) {
    const list = rec.props.DBInstanceAutomatedBackupsReplications;
    if (list) {
      rec.props.DBInstanceAutomatedBackupsReplications = list.filter(
        (r) => r.DBInstanceAutomatedBackupsArn !== backup.DBInstanceAutomatedBackupsArn,
      );
    }
  }
  return { DBInstanceAutomatedBackup: clone(backup) };
}

const FILTERS: Record<string, (b: AutomatedBackupProps) => string | undefined> = {
  status: (b) => (b.Status === 'replicating' || b.Status === 'pending' ? 'active' : b.Status),
  'db-instance-id': (b) => b.DBInstanceIdentifier,
  'dbi-resource-id': (b) => b.DbiResourceId,
};

/**
 * The automated backups of this Region's current instances. RDS API reference, DescribeDBInstanceAutomatedBackups:
 * "Current instances with retention periods greater than zero (0) are returned for both the
 * DescribeDBInstanceAutomatedBackups and DescribeDBInstances operations."; DBInstanceAutomatedBackup Status: "active -
 * Automated backups for current instances", "creating - Automated backups that are waiting for the first automated
 * snapshot to be available" (an instance still being created); RestoreWindow: "The earliest and latest time a DB
 * instance can be restored to." Aurora instances have none ("The retention period for automated backups is managed
 * by the DB cluster", CreateDBInstance BackupRetentionPeriod).
 */
function currentInstanceBackups(store: Store): AutomatedBackupProps[] {
  return [...store.instances.values()]
    .filter(
      (r) => !r.hidden && r.props.BackupRetentionPeriod > 0 && r.props.DBClusterIdentifier === undefined,
    )
    .sort((a, b) => a.seq - b.seq)
    .map((r) => {
      const i = r.props;
      const window = instanceWindow(store, r);
      return {
        DBInstanceArn: i.DBInstanceArn,
        DbiResourceId: i.DbiResourceId,
        Region: store.region,
        DBInstanceIdentifier: i.DBInstanceIdentifier,
        AllocatedStorage: i.AllocatedStorage,
        Status: window ? 'active' : 'creating',
        Port: i.Endpoint.Port,
        InstanceCreateTime: i.InstanceCreateTime,
        MasterUsername: i.MasterUsername,
        Engine: i.Engine,
        EngineVersion: i.EngineVersion,
        LicenseModel: i.LicenseModel,
        StorageType: i.StorageType,
        Encrypted: i.StorageEncrypted,
        KmsKeyId: i.KmsKeyId,
        IAMDatabaseAuthenticationEnabled: i.IAMDatabaseAuthenticationEnabled,
        BackupRetentionPeriod: i.BackupRetentionPeriod,
        DBInstanceAutomatedBackupsArn: automatedBackupsArn(store, i.DbiResourceId),
        BackupTarget: i.BackupTarget ?? 'region',
        ...(window
          ? {
              RestoreWindow: {
                EarliestTime: window.earliest.toISOString(),
                LatestTime: window.latest.toISOString(),
              },
            }
          : {}),
        TagList: [],
      };
    });
}

export function describeDBInstanceAutomatedBackups(ctx: SimContext, p: Params) {
  const max = checkMaxRecords(p);
  // This Region's current instances first, then the replicated backups (kept in their destination Region's list).
  let list = [...currentInstanceBackups(ctx.store), ...ctx.store.automatedBackups.values()];
  const resourceId = optString(p, 'DbiResourceId');
  const instanceId = optString(p, 'DBInstanceIdentifier')?.toLowerCase();
  const arn = optString(p, 'DBInstanceAutomatedBackupsArn');
  if (resourceId) list = list.filter((b) => b.DbiResourceId === resourceId);
  if (instanceId) list = list.filter((b) => b.DBInstanceIdentifier === instanceId);
  if (arn) {
    list = list.filter((b) => b.DBInstanceAutomatedBackupsArn === arn);
    if (list.length === 0) throw new RdsError('DBInstanceAutomatedBackupNotFound', `${arn} not found.`, 404);
  }
  list = applyFilters(p, list, FILTERS);
  const { page, marker } = paginate(list, max, optString(p, 'Marker'));
  return { DBInstanceAutomatedBackups: page.map((b) => clone(b)), Marker: marker };
}
