import { invalidParameterValue, RdsError } from '../errors';
import { optBool, optInt, optString, optStringList, optStruct, type Params, reqString } from '../protocol';
import type { InstanceProps } from '../types';
import { securityGroups, validateInstanceSettings } from './instances';
import { finishInstance, IOPS_STORAGE } from './lifecycle';
import { instanceView } from './render';
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
  const logConfig = optStruct(p, 'CloudwatchLogsExportConfiguration');
  const enable = logConfig ? (optStringList(logConfig, 'EnableLogTypes') ?? []) : [];
  const disable = logConfig ? (optStringList(logConfig, 'DisableLogTypes') ?? []) : [];
  const port = optInt(p, 'DBPortNumber');
  const logsAfter = logConfig
    ? [...new Set([...props.EnabledCloudwatchLogsExports, ...enable])].filter((t) => !disable.includes(t))
    : undefined;
  validateInstanceSettings({ ...clone(props), ...changes }, enable);

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
    Object.keys(phase).length > 0 || port !== undefined || logsAfter !== undefined || renameNow;
  if (!hasPhase) return { DBInstance: instanceView(rec) };

  const visible: Record<string, unknown> = {
    ...pendingView(phase),
    ...(port !== undefined ? { Port: port } : {}),
    ...(logConfig
      ? { PendingCloudwatchLogsExports: { LogTypesToEnable: enable, LogTypesToDisable: disable } }
      : {}),
  };
  props.PendingModifiedValues = { ...props.PendingModifiedValues, ...visible };
  const failure = ctx.faults.takeAsyncFailure('ModifyDBInstance', [oldId, newId ?? '']);
  const apply = () => {
    Object.assign(props, phase);
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
    return { DBInstance: instanceView(rec) };
  }
  // The reply still shows the old name, with the new one pending.
  const reply = instanceView(rec);
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
