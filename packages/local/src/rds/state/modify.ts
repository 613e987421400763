import { invalidParameterCombination, invalidParameterValue, RdsError } from '../errors';
import { optBool, optInt, optString, optStringList, optStruct, type Params, reqString } from '../protocol';
import type { InstanceProps } from '../types';
import { isAurora } from './engines';
import {
  domainFromParams,
  processorFeaturesFromParams,
  securityGroups,
  validateInstanceSettings,
} from './instances';
import { finishInstance, IOPS_STORAGE, STORAGE_TYPES } from './lifecycle';
import { instanceView } from './render';
import {
  checkInstanceDomain,
  checkInstanceLifecycle,
  checkModifyManagedPassword,
  resolveStorage,
} from './rules';
import { clone, type SimContext, validateIdentifier } from './store';

type Changes = Partial<InstanceProps>;

/** Applied at once whatever ApplyImmediately says, without a status change. */
const IMMEDIATE: (keyof InstanceProps)[] = [
  'DeletionProtection',
  'CopyTagsToSnapshot',
  'BackupRetentionPeriod',
  'PreferredBackupWindow',
  'PreferredMaintenanceWindow',
  'AutoMinorVersionUpgrade',
  'PromotionTier',
  'MaxAllocatedStorage',
];

/** Without ApplyImmediately these wait for the maintenance window (the simulator never reaches it). */
const WINDOW: (keyof InstanceProps)[] = [
  'DBInstanceClass',
  'AllocatedStorage',
  'MultiAZ',
  'StorageType',
  'Iops',
  'StorageThroughput',
  'CACertificateIdentifier',
  'IAMDatabaseAuthenticationEnabled',
  'EngineVersion',
];

/** Fields that PendingModifiedValues can show. */
const PENDING_VISIBLE = new Set<string>([...WINDOW, 'BackupRetentionPeriod']);

function pick(changes: Changes, keys: (keyof InstanceProps)[], keep: boolean): Changes {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(changes)) {
    if (keys.includes(k as keyof InstanceProps) === keep) out[k] = v;
  }
  return out as Changes;
}

function pendingView(changes: Changes): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(changes).filter(([k, v]) => PENDING_VISIBLE.has(k) && v !== undefined),
  );
}

function parseChanges(p: Params, current: InstanceProps): Changes {
  const c: Changes = {};
  const set = <K extends keyof InstanceProps>(key: K, value: InstanceProps[K] | undefined) => {
    if (value !== undefined) c[key] = value;
  };
  set('DBInstanceClass', optString(p, 'DBInstanceClass'));
  const pg = optString(p, 'DBParameterGroupName');
  if (pg) c.DBParameterGroups = [{ DBParameterGroupName: pg, ParameterApplyStatus: 'in-sync' }];
  const og = optString(p, 'OptionGroupName');
  if (og) c.OptionGroupMemberships = [{ OptionGroupName: og, Status: 'in-sync' }];
  set('MultiAZ', optBool(p, 'MultiAZ'));
  set('StorageType', optString(p, 'StorageType'));
  set('Iops', optInt(p, 'Iops'));
  set('StorageThroughput', optInt(p, 'StorageThroughput'));
  set('AllocatedStorage', optInt(p, 'AllocatedStorage'));
  set('MaxAllocatedStorage', optInt(p, 'MaxAllocatedStorage'));
  const sgs = optStringList(p, 'VpcSecurityGroupIds');
  if (sgs) c.VpcSecurityGroups = securityGroups(sgs);
  set('PubliclyAccessible', optBool(p, 'PubliclyAccessible'));
  set('IAMDatabaseAuthenticationEnabled', optBool(p, 'EnableIAMDatabaseAuthentication'));
  set('DeletionProtection', optBool(p, 'DeletionProtection'));
  set('CopyTagsToSnapshot', optBool(p, 'CopyTagsToSnapshot'));
  set('CACertificateIdentifier', optString(p, 'CACertificateIdentifier'));
  set('MonitoringInterval', optInt(p, 'MonitoringInterval'));
  set('MonitoringRoleArn', optString(p, 'MonitoringRoleArn'));
  set('PerformanceInsightsEnabled', optBool(p, 'EnablePerformanceInsights'));
  set('PerformanceInsightsKMSKeyId', optString(p, 'PerformanceInsightsKMSKeyId'));
  set('PerformanceInsightsRetentionPeriod', optInt(p, 'PerformanceInsightsRetentionPeriod'));
  set('PreferredMaintenanceWindow', optString(p, 'PreferredMaintenanceWindow'));
  set('PreferredBackupWindow', optString(p, 'PreferredBackupWindow'));
  set('BackupRetentionPeriod', optInt(p, 'BackupRetentionPeriod'));
  set('AutoMinorVersionUpgrade', optBool(p, 'AutoMinorVersionUpgrade'));
  set('PromotionTier', optInt(p, 'PromotionTier'));
  set('EngineVersion', optString(p, 'EngineVersion'));
  set('LicenseModel', optString(p, 'LicenseModel'));
  set('NetworkType', optString(p, 'NetworkType'));
  set('EngineLifecycleSupport', optString(p, 'EngineLifecycleSupport'));
  set('DedicatedLogVolume', optBool(p, 'DedicatedLogVolume'));
  set('DatabaseInsightsMode', optString(p, 'DatabaseInsightsMode'));
  set('ProcessorFeatures', processorFeaturesFromParams(p));
  set('DomainMemberships', domainFromParams(p, current.DomainMemberships ?? []));
  if (c.PerformanceInsightsEnabled && current.PerformanceInsightsRetentionPeriod === undefined) {
    c.PerformanceInsightsRetentionPeriod ??= 7;
  }
  // Moving to a storage type without provisioned IOPS/throughput drops them.
  if (c.StorageType && !IOPS_STORAGE.has(c.StorageType) && c.Iops === undefined) c.Iops = undefined;
  if (c.StorageType && c.StorageType !== 'gp3' && c.StorageThroughput === undefined)
    c.StorageThroughput = undefined;
  return c;
}

export function modifyDBInstance(ctx: SimContext, p: Params) {
  const { store } = ctx;
  const rec = store.instance(reqString(p, 'DBInstanceIdentifier'));
  const props = rec.props;
  const oldId = props.DBInstanceIdentifier;
  if (props.DBInstanceStatus !== 'available') {
    throw new RdsError(
      'InvalidDBInstanceState',
      `Database instance ${oldId} is not in available state (${props.DBInstanceStatus}).`,
    );
  }
  const applyImmediately = optBool(p, 'ApplyImmediately') ?? false;
  const rawNewId = optString(p, 'NewDBInstanceIdentifier');
  const newId = rawNewId ? validateIdentifier(rawNewId, 'NewDBInstanceIdentifier') : undefined;
  if (newId !== undefined) {
    if (newId === oldId)
      throw invalidParameterValue('The new DB instance identifier must differ from the current one.');
    store.assertInstanceNameFree(newId);
  }
  const changes = parseChanges(p, props);
  const member = props.DBClusterIdentifier !== undefined;
  checkInstanceLifecycle(props.Engine, changes.EngineLifecycleSupport, member);
  checkInstanceDomain(props.Engine, optString(p, 'Domain') ?? optString(p, 'DomainFqdn'), member);
  if ((member || isAurora(props.Engine)) && changes.DatabaseInsightsMode !== undefined) {
    // RDS API reference, ModifyDBInstance DatabaseInsightsMode: "Aurora DB instances inherit this value from the DB
    // cluster, so you can't change this value."
    throw invalidParameterCombination(
      'DatabaseInsightsMode: Aurora DB instances inherit this value from the DB cluster, so you cannot change it.',
    );
  }
  const manage = optBool(p, 'ManageMasterUserPassword');
  const password = optString(p, 'MasterUserPassword');
  const rotate = optBool(p, 'RotateMasterUserPassword') ?? false;
  const secretKms = optString(p, 'MasterUserSecretKmsKeyId');
  checkModifyManagedPassword({
    kind: 'instance',
    engine: props.Engine,
    managedNow: props.MasterUserSecret !== undefined,
    manage,
    password,
    kmsKeyId: secretKms,
    rotate,
    applyImmediately,
  });
  const storageTouched = ['StorageType', 'Iops', 'StorageThroughput', 'AllocatedStorage'].some(
    (k) => p[k] !== undefined,
  );
  if (storageTouched && !isAurora(props.Engine)) {
    const storageType = changes.StorageType ?? props.StorageType;
    const allocated = changes.AllocatedStorage ?? props.AllocatedStorage;
    // RDS User Guide, USER_PIOPS.gp3 ("Modifying settings for General Purpose SSD (gp3) storage"): "you can't
    // reduce the storage size".
    if (changes.AllocatedStorage !== undefined && changes.AllocatedStorage < props.AllocatedStorage) {
      throw invalidParameterValue(
        `Invalid AllocatedStorage ${changes.AllocatedStorage}: you can't reduce the storage size (currently ${props.AllocatedStorage} GiB).`,
      );
    }
    // RDS API reference, ModifyDBInstance AllocatedStorage: "When you increase the allocated storage for a DB
    // instance that uses Provisioned IOPS (gp3, io1, or io2 storage type), you must also specify the Iops
    // parameter." (gp3 below its threshold takes no Iops at all: RDS User Guide, CHAP_Storage "gp3 storage".)
    if (
      changes.AllocatedStorage !== undefined &&
      changes.AllocatedStorage > props.AllocatedStorage &&
      (storageType === 'io1' || storageType === 'io2') &&
      changes.Iops === undefined
    ) {
      throw invalidParameterCombination(
        'When you increase AllocatedStorage of a Provisioned IOPS instance you must also specify the Iops parameter.',
      );
    }
    if (STORAGE_TYPES.has(storageType)) {
      const out = resolveStorage({
        engine: props.Engine,
        storageType,
        allocated,
        iops: changes.Iops,
        throughput: changes.StorageThroughput,
        fallbackIops: props.Iops,
        fallbackThroughput: props.StorageThroughput,
        action: 'ModifyDBInstance',
      });
      if (out.Iops !== props.Iops) changes.Iops = out.Iops;
      if (out.StorageThroughput !== props.StorageThroughput)
        changes.StorageThroughput = out.StorageThroughput;
    }
  }
  const logConfig = optStruct(p, 'CloudwatchLogsExportConfiguration');
  const enable = logConfig ? (optStringList(logConfig, 'EnableLogTypes') ?? []) : [];
  const disable = logConfig ? (optStringList(logConfig, 'DisableLogTypes') ?? []) : [];
  const port = optInt(p, 'DBPortNumber');
  const logsAfter = logConfig
    ? [...new Set([...props.EnabledCloudwatchLogsExports, ...enable])].filter((t) => !disable.includes(t))
    : undefined;
  validateInstanceSettings(
    { ...clone(props), ...changes },
    {
      logTypes: enable,
      logParam: 'CloudwatchLogsExportConfiguration',
    },
  );
  // Password and secret changes are applied as soon as possible whatever ApplyImmediately says (RDS API reference,
  // ModifyDBInstance MasterUserPassword: "the change is asynchronously applied as soon as possible").
  const credentials = password !== undefined || manage !== undefined || rotate;
  let newSecret: InstanceProps['MasterUserSecret'];
  if (manage === true && !props.MasterUserSecret) newSecret = store.createSecret('db', secretKms);

  // RDS API reference, ModifyDBInstance BackupRetentionPeriod: "Setting this parameter to a positive number enables
  // backups. Setting this parameter to 0 disables automated backups." The restorable window of backups turned on
  // again starts then (not documented by AWS in these words; we answer: nothing before that can be restored).
  const retention = changes.BackupRetentionPeriod;
  if (retention !== undefined && retention > 0 && props.BackupRetentionPeriod === 0) {
    rec.backupsSinceMs = Date.now();
  }
  Object.assign(props, pick(changes, IMMEDIATE, true));
  const later = pick(changes, IMMEDIATE, false);
  const phase = applyImmediately ? later : pick(later, WINDOW, false);
  if (!applyImmediately) {
    const deferred = pick(later, WINDOW, true);
    props.PendingModifiedValues = {
      ...props.PendingModifiedValues,
      ...pendingView(deferred),
      ...(newId ? { DBInstanceIdentifier: newId } : {}),
    };
  }
  const renameNow = applyImmediately && newId !== undefined;
  const hasPhase =
    Object.keys(phase).length > 0 ||
    port !== undefined ||
    logsAfter !== undefined ||
    renameNow ||
    credentials;
  if (!hasPhase) return { DBInstance: instanceView(store, rec) };

  const visible: Record<string, unknown> = {
    ...pendingView(phase),
    ...(port !== undefined ? { Port: port } : {}),
    ...(logConfig
      ? { PendingCloudwatchLogsExports: { LogTypesToEnable: enable, LogTypesToDisable: disable } }
      : {}),
    // RDS API reference, ModifyDBInstance MasterUserPassword: "the MasterUserPassword element exists in the
    // PendingModifiedValues element" (RDS API operations never return the password itself).
    ...(password !== undefined ? { MasterUserPassword: '****' } : {}),
  };
  if (newSecret) props.MasterUserSecret = newSecret;
  if (rotate && props.MasterUserSecret) props.MasterUserSecret.SecretStatus = 'rotating';
  props.PendingModifiedValues = { ...props.PendingModifiedValues, ...visible };
  const failure = ctx.faults.takeAsyncFailure('ModifyDBInstance', [oldId, newId ?? '']);
  const apply = () => {
    Object.assign(props, phase);
    if (password !== undefined) rec.masterUserPassword = password;
    if (manage === false && props.MasterUserSecret) {
      // "RDS deletes the secret and uses the new password" (RDS API reference, ModifyDBInstance
      // ManageMasterUserPassword).
      store.deleteSecret(props.MasterUserSecret);
      props.MasterUserSecret = undefined;
    }
    if (props.MasterUserSecret?.SecretStatus === 'rotating') props.MasterUserSecret.SecretStatus = 'active';
    if (port !== undefined) props.Endpoint.Port = port;
    if (logsAfter) props.EnabledCloudwatchLogsExports = logsAfter;
    const pending = { ...props.PendingModifiedValues };
    for (const k of Object.keys(visible)) delete pending[k];
    props.PendingModifiedValues = pending;
    finishInstance(ctx, rec, failure, { creating: false });
  };

  if (!renameNow || newId === undefined) {
    props.DBInstanceStatus = 'modifying';
    ctx.scheduler.after(ctx.durations.modifyInstance, apply);
    return { DBInstance: instanceView(store, rec) };
  }
  // The reply still shows the old name, with the new one pending.
  const reply = instanceView(store, rec);
  reply.PendingModifiedValues = { ...props.PendingModifiedValues, DBInstanceIdentifier: newId };
  store.instances.delete(oldId);
  props.DBInstanceIdentifier = newId;
  props.DBInstanceArn = store.arn('db', newId);
  props.Endpoint.Address = store.instanceAddress(newId);
  props.DBInstanceStatus = 'renaming';
  rec.hidden = true;
  store.instances.set(newId, rec);
  // No event at all: RDS emits none for an instance rename.
  ctx.scheduler.sequence([
    [ctx.durations.renameGap, () => (rec.hidden = false)],
    [ctx.durations.renameRenaming, () => (props.DBInstanceStatus = 'rebooting')],
    [ctx.durations.renameRebooting, apply],
  ]);
  return { DBInstance: reply };
}
