/**
 * Per-engine rules of the RDS API, each taken from AWS's own reference: the parameter doc comments shipped in
 * `@aws-sdk/client-rds` (dist-types/models/models_0.d.ts, models_1.d.ts) or a named RDS/Aurora User Guide page.
 * Every check names its source next to it. A rule that is not written down there does not belong here.
 */
import { invalidParameterCombination, invalidParameterValue } from '../errors';
import { isAurora } from './engines';

export type EngineFamily =
  | 'mysql'
  | 'mariadb'
  | 'postgres'
  | 'oracle'
  | 'sqlserver'
  | 'db2'
  | 'aurora-mysql'
  | 'aurora-postgresql';

export function engineFamily(engine: string): EngineFamily {
  if (engine.startsWith('oracle')) return 'oracle';
  if (engine.startsWith('sqlserver')) return 'sqlserver';
  if (engine.startsWith('db2')) return 'db2';
  return engine as EngineFamily;
}

const ENGINE_LABEL: Record<EngineFamily, string> = {
  mysql: 'RDS for MySQL',
  mariadb: 'RDS for MariaDB',
  postgres: 'RDS for PostgreSQL',
  oracle: 'RDS for Oracle',
  sqlserver: 'RDS for SQL Server',
  db2: 'RDS for Db2',
  'aurora-mysql': 'Aurora MySQL',
  'aurora-postgresql': 'Aurora PostgreSQL',
};

export const engineLabel = (engine: string): string => ENGINE_LABEL[engineFamily(engine)] ?? engine;

/** An Aurora cluster, or a Multi-AZ DB cluster (RDS for MySQL/PostgreSQL with a DBClusterInstanceClass). */
export const isMultiAzCluster = (engine: string): boolean => engine === 'mysql' || engine === 'postgres';

// ---------------------------------------------------------------------------------------------------------------
// Master user password

/** RestoreDBInstanceFromDBSnapshot: ManageMasterUserPassword only for Oracle; the KMS key only with it. */
export function checkRestoreManagedPassword(engine: string, manage: boolean | undefined, kmsKeyId?: string) {
  // RDS API reference, RestoreDBInstanceFromDBSnapshot ManageMasterUserPassword: "Constraints: Applies to RDS
  // for Oracle only."
  if (manage && engineFamily(engine) !== 'oracle') {
    throw invalidParameterCombination(
      `ManageMasterUserPassword applies to RDS for Oracle only when restoring from a DB snapshot; engine ${engine} is not supported.`,
    );
  }
  // RDS API reference, RestoreDBInstanceFromDBSnapshot MasterUserSecretKmsKeyId: "This setting is valid only if
  // the master user password is managed by RDS in Amazon Web Services Secrets Manager for the DB instance."
  if (kmsKeyId !== undefined && !manage) {
    throw invalidParameterCombination(
      'MasterUserSecretKmsKeyId is valid only when ManageMasterUserPassword is turned on.',
    );
  }
}

/** ModifyDBInstance / ModifyDBCluster: MasterUserPassword and ManageMasterUserPassword together. */
export function checkModifyManagedPassword(opts: {
  kind: 'instance' | 'cluster';
  engine: string;
  managedNow: boolean;
  manage?: boolean;
  password?: string;
  kmsKeyId?: string;
  rotate?: boolean;
  applyImmediately: boolean;
}) {
  const { kind, engine, managedNow, manage, password, kmsKeyId, rotate } = opts;
  if (kind === 'instance' && isAurora(engine) && (password !== undefined || manage !== undefined)) {
    // RDS API reference, ModifyDBInstance MasterUserPassword: "This setting doesn't apply to the following DB
    // instances: Amazon Aurora The password for the master user is managed by the DB cluster."
    throw invalidParameterCombination(
      'MasterUserPassword and ManageMasterUserPassword do not apply to Aurora DB instances: the master user password is managed by the DB cluster (ModifyDBCluster).',
    );
  }
  // RDS API reference, ModifyDBInstance/ModifyDBCluster ManageMasterUserPassword: "Can't manage the master user
  // password with Amazon Web Services Secrets Manager if MasterUserPassword is specified."
  if (manage === true && password !== undefined) {
    throw invalidParameterCombination(
      'ManageMasterUserPassword cannot be turned on when MasterUserPassword is specified.',
    );
  }
  // RDS API reference, ModifyDBInstance MasterUserPassword: "Can't be specified if ManageMasterUserPassword is
  // turned on."
  if (password !== undefined && managedNow && manage !== false) {
    throw invalidParameterCombination(
      'MasterUserPassword cannot be specified while ManageMasterUserPassword is turned on.',
    );
  }
  // RDS API reference, ModifyDBInstance ManageMasterUserPassword: "…and you specify that the master user password
  // is not managed…, then you must specify MasterUserPassword."
  if (manage === false && managedNow && password === undefined) {
    throw invalidParameterCombination(
      'MasterUserPassword is required when turning off ManageMasterUserPassword.',
    );
  }
  // RDS API reference, ModifyDBInstance MasterUserSecretKmsKeyId: "This setting is valid only if … You are turning
  // on ManageMasterUserPassword" and "If the DB instance already manages the master user password…, you can't
  // change the KMS key".
  if (kmsKeyId !== undefined && !(manage === true && !managedNow)) {
    throw invalidParameterCombination(
      'MasterUserSecretKmsKeyId is valid only when turning on ManageMasterUserPassword.',
    );
  }
  // RDS API reference, ModifyDBInstance RotateMasterUserPassword: "valid only if the master user password is
  // managed by RDS" and "You must apply the change immediately when rotating the master user password."
  if (rotate && !managedNow) {
    throw invalidParameterCombination(
      'RotateMasterUserPassword is valid only when the master user password is managed in Secrets Manager.',
    );
  }
  if (rotate && !opts.applyImmediately) {
    throw invalidParameterCombination('RotateMasterUserPassword requires ApplyImmediately.');
  }
  if (password !== undefined) checkPasswordLength(kind, engine, password);
}

function checkPasswordLength(kind: 'instance' | 'cluster', engine: string, password: string) {
  // RDS API reference, ModifyDBInstance MasterUserPassword: "Can include any printable ASCII character except
  // "/", """, or "@"." Length: "RDS for MariaDB - 8 to 41 … Microsoft SQL Server - 8 to 128 … MySQL - 8 to 41 …
  // Oracle - 8 to 30 … PostgreSQL - 8 to 128"; ModifyDBCluster MasterUserPassword: "from 8 to 41 characters".
  const max =
    kind === 'cluster'
      ? 41
      : (
          { mysql: 41, mariadb: 41, oracle: 30, postgres: 128, sqlserver: 128, db2: 255 } as Record<
            string,
            number
          >
        )[engineFamily(engine)];
  if (password.length < 8 || (max !== undefined && password.length > max) || /[/"@]/.test(password)) {
    throw invalidParameterValue(
      `The parameter MasterUserPassword is not a valid password: for ${engineLabel(engine)} it must contain from 8 to ${max} printable ASCII characters other than '/', '"' and '@'.`,
    );
  }
  // RDS API reference, ModifyDBInstance MasterUserPassword: "For RDS for Oracle, can't include the "&" (ampersand)
  // or the "'" (single quotes) character."
  if (kind === 'instance' && engineFamily(engine) === 'oracle' && /[&']/.test(password)) {
    throw invalidParameterValue(
      "The parameter MasterUserPassword is not a valid password: for RDS for Oracle it can't include '&' or \"'\".",
    );
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Storage

/** RestoreDBInstanceFromDBSnapshot AllocatedStorage: not for SQL Server. */
export function checkRestoreAllocatedStorage(engine: string, allocated: number | undefined) {
  // RDS API reference, RestoreDBInstanceFromDBSnapshot AllocatedStorage: "This setting isn't valid for RDS for
  // SQL Server."
  if (allocated !== undefined && engineFamily(engine) === 'sqlserver') {
    throw invalidParameterCombination(
      `AllocatedStorage isn't valid for RDS for SQL Server when restoring from a DB snapshot (engine ${engine}).`,
    );
  }
}

/**
 * Storage size range per engine and storage type.
 * RDS API reference, CreateDBInstance AllocatedStorage: gp2/gp3 "from 20 to 65536" (SQL Server "20 to 16384");
 * io1/io2 "from 100 to 65536" (SQL Server "100 to 16384"); standard "from 5 to 3072" (Oracle "10 to 3072",
 * SQL Server "20 to 1024"). RestoreDBInstanceFromDBSnapshot AllocatedStorage: "Follow the allocation rules
 * specified in CreateDBInstance."
 */
export function allocatedStorageRange(engine: string, storageType: string): [number, number] | undefined {
  const fam = engineFamily(engine);
  const sql = fam === 'sqlserver';
  if (storageType === 'gp2' || storageType === 'gp3') return [20, sql ? 16384 : 65536];
  if (storageType === 'io1' || storageType === 'io2') return [100, sql ? 16384 : 65536];
  if (storageType === 'standard') return [sql ? 20 : fam === 'oracle' ? 10 : 5, sql ? 1024 : 3072];
  return undefined;
}

export function checkAllocatedStorage(engine: string, storageType: string, allocated: number) {
  const range = allocatedStorageRange(engine, storageType);
  if (range && (allocated < range[0] || allocated > range[1])) {
    throw invalidParameterValue(
      `Invalid storage size for engine name ${engine} and storage type ${storageType}: ${allocated}. AllocatedStorage must be from ${range[0]} to ${range[1]}.`,
    );
  }
}

/** RDS User Guide "Amazon RDS DB instance storage", gp3 storage table: the size at which the baseline rises. */
export function gp3Threshold(engine: string): number | undefined {
  // RDS User Guide, CHAP_Storage "gp3 storage": "MariaDB, MySQL, and PostgreSQL | Less than 400 GiB |
  // 3,000 IOPS/125 MiBps | N/A | N/A"; "Oracle | Less than 200 GiB | …"; "RDS for SQL Server doesn't support
  // volume striping, and therefore doesn't have a threshold value."
  const fam = engineFamily(engine);
  if (fam === 'sqlserver') return undefined;
  return fam === 'oracle' ? 200 : 400;
}

export interface StorageInput {
  engine: string;
  storageType: string;
  allocated: number;
  /** Iops and StorageThroughput as the request named them (undefined = not in the request). */
  iops?: number;
  throughput?: number;
  /** What an omitted value falls back on (the snapshot's values at restore, the instance's at modify). */
  fallbackIops?: number;
  fallbackThroughput?: number;
  action:
    | 'CreateDBInstance'
    | 'RestoreDBInstanceFromDBSnapshot'
    | 'RestoreDBInstanceToPointInTime'
    | 'ModifyDBInstance';
}

/**
 * Validates storage settings and returns Iops/StorageThroughput as DescribeDBInstances reports them (gp3 below its
 * threshold reports the 3,000 IOPS / 125 MiBps baseline).
 */
export function resolveStorage(s: StorageInput): { Iops?: number; StorageThroughput?: number } {
  const { engine, storageType, allocated, action } = s;
  const fam = engineFamily(engine);
  const sql = fam === 'sqlserver';
  checkAllocatedStorage(engine, storageType, allocated);
  // RDS API reference, RestoreDBInstanceFromDBSnapshot Iops: "If this parameter is set to 0, the new instance is
  // converted to a non-PIOPS instance"; ModifyDBInstance Iops: "If you are migrating from Provisioned IOPS to
  // standard storage, set this value to 0."
  const iops = s.iops === 0 && action !== 'CreateDBInstance' ? undefined : s.iops;
  if (storageType === 'gp3') {
    const threshold = gp3Threshold(engine);
    if (threshold !== undefined && allocated < threshold) {
      // RDS User Guide, CHAP_Storage "gp3 storage": below the threshold the range of Provisioned IOPS and of
      // provisioned storage throughput is "N/A" ("you can provision additional IOPS and storage throughput when
      // storage size is at or above the threshold value").
      if (iops !== undefined || s.throughput !== undefined) {
        throw invalidParameterCombination(
          `You can't specify IOPS or storage throughput for engine ${engine} and a storage size less than ${threshold}.`,
        );
      }
      return { Iops: 3000, StorageThroughput: 125 };
    }
    // RDS User Guide, CHAP_Storage "gp3 storage": at or above the threshold, baseline "12,000 IOPS/500 MiBps",
    // range "12,000–64,000 IOPS" and "500–4,000 MiBps"; SQL Server: baseline "3,000 IOPS/125 MiBps", range
    // "3,000–16,000 IOPS" and "125–1,000 MiBps".
    const [minIops, maxIops, minTp, maxTp] = sql ? [3000, 16000, 125, 1000] : [12000, 64000, 500, 4000];
    const fallbackOk = (v: number | undefined, min: number, max: number) =>
      v !== undefined && v >= min && v <= max ? v : undefined;
    const outIops = iops ?? fallbackOk(s.fallbackIops, minIops, maxIops) ?? minIops;
    const outTp = s.throughput ?? fallbackOk(s.fallbackThroughput, minTp, maxTp) ?? minTp;
    if (outIops < minIops || outIops > maxIops) {
      throw invalidParameterValue(
        `Invalid Iops for engine ${engine} with gp3 storage of ${allocated} GiB: ${outIops}. Iops must be from ${minIops} to ${maxIops}.`,
      );
    }
    if (outTp < minTp || outTp > maxTp) {
      throw invalidParameterValue(
        `Invalid StorageThroughput for engine ${engine} with gp3 storage of ${allocated} GiB: ${outTp}. StorageThroughput must be from ${minTp} to ${maxTp}.`,
      );
    }
    // RDS User Guide, CHAP_Storage "gp3 storage": "The maximum ratio of storage throughput to IOPS is 0.25";
    // "The minimum ratio of IOPS to allocated storage (in GiB) is 0.5 on RDS for SQL Server"; "The maximum ratio
    // of IOPS to allocated storage is 500".
    if (outTp / outIops > 0.25) {
      throw invalidParameterCombination(
        `The ratio of StorageThroughput to Iops can't exceed 0.25 (StorageThroughput ${outTp}, Iops ${outIops}).`,
      );
    }
    if (outIops / allocated > 500 || (sql && outIops / allocated < 0.5)) {
      throw invalidParameterCombination(
        `The ratio of Iops to AllocatedStorage must be ${sql ? 'from 0.5 ' : ''}up to 500 for gp3 storage (Iops ${outIops}, AllocatedStorage ${allocated}).`,
      );
    }
    return { Iops: outIops, StorageThroughput: outTp };
  }
  // RDS API reference, CreateDBInstance/ModifyDBInstance StorageThroughput: "This setting applies only to the gp3
  // storage type."
  if (s.throughput !== undefined) {
    throw invalidParameterCombination(
      `StorageThroughput applies only to the gp3 storage type, not ${storageType}.`,
    );
  }
  if (storageType === 'io1' || storageType === 'io2') {
    const outIops = iops ?? s.fallbackIops;
    // RDS API reference, CreateDBInstance StorageType: "If you specify io1, io2, or gp3, you must also include a
    // value for the Iops parameter."
    if (outIops === undefined) {
      throw invalidParameterCombination(`Iops is required for storage type ${storageType}.`);
    }
    // RDS API reference, RestoreDBInstanceFromDBSnapshot / RestoreDBInstanceToPointInTime Iops: "Constraints: Must be
    // an integer greater than 1000."
    const restore =
      action === 'RestoreDBInstanceFromDBSnapshot' || action === 'RestoreDBInstanceToPointInTime';
    if (restore && iops !== undefined && iops < 1000) {
      throw invalidParameterValue(`Invalid Iops: ${iops}. Iops must be an integer greater than 1000.`);
    }
    // RDS API reference, CreateDBInstance Iops: "For RDS for Db2, MariaDB, MySQL, Oracle, and PostgreSQL - Must be
    // a multiple between .5 and 50 of the storage amount … For RDS for SQL Server - Must be a multiple between 1
    // and 50 of the storage amount for the DB instance."
    const minRatio = sql ? 1 : 0.5;
    if (outIops < allocated * minRatio || outIops > allocated * 50) {
      throw invalidParameterCombination(
        `Iops must be a multiple between ${minRatio} and 50 of AllocatedStorage for engine ${engine} (Iops ${outIops}, AllocatedStorage ${allocated}).`,
      );
    }
    return { Iops: outIops };
  }
  if (iops !== undefined) {
    throw invalidParameterCombination(`You can't specify IOPS for storage type ${storageType}.`);
  }
  return {};
}

// ---------------------------------------------------------------------------------------------------------------
// Engine-specific valid values

/**
 * Log types per engine for a DB instance. RDS API reference, CreateDBInstance EnableCloudwatchLogsExports: "RDS for
 * Db2 - diag.log | notify.log | iam-db-auth-error RDS for MariaDB - audit | error | general | slowquery |
 * iam-db-auth-error RDS for Microsoft SQL Server - agent | error RDS for MySQL - audit | error | general | slowquery
 * | iam-db-auth-error RDS for Oracle - alert | audit | listener | trace | oemagent RDS for PostgreSQL - postgresql |
 * upgrade | iam-db-auth-error".
 */
const INSTANCE_LOG_TYPES: Partial<Record<EngineFamily, string[]>> = {
  db2: ['diag.log', 'notify.log', 'iam-db-auth-error'],
  mariadb: ['audit', 'error', 'general', 'slowquery', 'iam-db-auth-error'],
  sqlserver: ['agent', 'error'],
  mysql: ['audit', 'error', 'general', 'slowquery', 'iam-db-auth-error'],
  oracle: ['alert', 'audit', 'listener', 'trace', 'oemagent'],
  postgres: ['postgresql', 'upgrade', 'iam-db-auth-error'],
};

/**
 * Log types per engine for a DB cluster. RDS API reference, RestoreDBClusterFromSnapshot
 * EnableCloudwatchLogsExports / ModifyDBCluster CloudwatchLogsExportConfiguration: "Aurora MySQL - audit | error |
 * general | instance | slowquery | iam-db-auth-error Aurora PostgreSQL - instance | postgresql | iam-db-auth-error
 * RDS for MySQL - error | general | slowquery | iam-db-auth-error RDS for PostgreSQL - postgresql | upgrade |
 * iam-db-auth-error".
 */
const CLUSTER_LOG_TYPES: Partial<Record<EngineFamily, string[]>> = {
  'aurora-mysql': ['audit', 'error', 'general', 'instance', 'slowquery', 'iam-db-auth-error'],
  'aurora-postgresql': ['instance', 'postgresql', 'iam-db-auth-error'],
  mysql: ['error', 'general', 'slowquery', 'iam-db-auth-error'],
  postgres: ['postgresql', 'upgrade', 'iam-db-auth-error'],
};

export function checkLogTypes(
  kind: 'instance' | 'cluster',
  engine: string,
  logTypes: string[],
  param: string,
) {
  const allowed = (kind === 'cluster' ? CLUSTER_LOG_TYPES : INSTANCE_LOG_TYPES)[engineFamily(engine)];
  if (!allowed) return;
  const bad = logTypes.filter((t) => !allowed.includes(t));
  if (bad.length > 0) {
    throw invalidParameterCombination(
      `${param}: you cannot use the log types '${bad.join(', ')}' with engine ${engine}. Valid log types: ${allowed.join(', ')}.`,
    );
  }
}

/**
 * RDS API reference, RestoreDBInstanceFromDBSnapshot / CreateDBInstance / ModifyDBInstance LicenseModel: "Valid
 * Values: RDS for Db2 - bring-your-own-license | marketplace-license RDS for MariaDB - general-public-license RDS
 * for Microsoft SQL Server - license-included | bring-your-own-media RDS for MySQL - general-public-license RDS for
 * Oracle - bring-your-own-license | license-included RDS for PostgreSQL - postgresql-license"; "This setting doesn't
 * apply to Amazon Aurora".
 */
const LICENSE_MODELS: Partial<Record<EngineFamily, string[]>> = {
  db2: ['bring-your-own-license', 'marketplace-license'],
  mariadb: ['general-public-license'],
  sqlserver: ['license-included', 'bring-your-own-media'],
  mysql: ['general-public-license'],
  oracle: ['bring-your-own-license', 'license-included'],
  postgres: ['postgresql-license'],
};

export function checkLicenseModel(engine: string, licenseModel: string | undefined) {
  if (licenseModel === undefined) return;
  const allowed = LICENSE_MODELS[engineFamily(engine)];
  if (!allowed) return;
  if (!allowed.includes(licenseModel)) {
    throw invalidParameterValue(
      `LicenseModel ${licenseModel} is not valid for engine ${engine}. Valid values: ${allowed.join(', ')}.`,
    );
  }
}

/** SQL Server Express has no Multi-AZ. */
export function checkMultiAz(engine: string, multiAZ: boolean | undefined) {
  // RDS User Guide, "Multi-AZ deployments for Amazon RDS for Microsoft SQL Server" (USER_SQLServerMultiAZ): Multi-AZ
  // is supported for Standard and Enterprise Editions (and Web Edition with block-level replication); Express
  // Edition is not among the supported editions.
  if (multiAZ && engine === 'sqlserver-ex') {
    throw invalidParameterCombination(
      'MultiAZ is not supported for SQL Server Express Edition (sqlserver-ex).',
    );
  }
}

export const LIFECYCLE_VALUES = [
  'open-source-rds-extended-support',
  'open-source-rds-extended-support-disabled',
];

/** The documented default, enrolling in RDS Extended Support. */
export const DEFAULT_LIFECYCLE = 'open-source-rds-extended-support';

/** Whether an instance (not a cluster member) of this engine has an EngineLifecycleSupport setting. */
export const instanceHasLifecycle = (engine: string): boolean => engine === 'mysql' || engine === 'postgres';

export function checkLifecycleValue(value: string | undefined) {
  // RDS API reference, EngineLifecycleSupport: "Valid Values: open-source-rds-extended-support |
  // open-source-rds-extended-support-disabled".
  if (value !== undefined && !LIFECYCLE_VALUES.includes(value)) {
    throw invalidParameterValue(
      `Invalid EngineLifecycleSupport: ${value}. Valid values: ${LIFECYCLE_VALUES.join(', ')}.`,
    );
  }
}

export function checkInstanceLifecycle(engine: string, value: string | undefined, member: boolean) {
  checkLifecycleValue(value);
  if (value === undefined) return;
  // RDS API reference, RestoreDBInstanceFromDBSnapshot / CreateDBInstance / ModifyDBInstance
  // EngineLifecycleSupport: "This setting applies only to RDS for MySQL and RDS for PostgreSQL. For Amazon Aurora DB
  // instances, the engine lifecycle support is managed by the DB cluster."
  if (member || isAurora(engine)) {
    throw invalidParameterCombination(
      'EngineLifecycleSupport does not apply to Aurora DB instances: it is managed by the DB cluster.',
    );
  }
  if (!instanceHasLifecycle(engine)) {
    throw invalidParameterCombination(
      `EngineLifecycleSupport applies only to RDS for MySQL and RDS for PostgreSQL, not ${engine}.`,
    );
  }
}

export function checkNetworkType(value: string | undefined) {
  // RDS API reference, NetworkType: "Valid Values: IPV4 | DUAL".
  if (value !== undefined && value !== 'IPV4' && value !== 'DUAL') {
    throw invalidParameterValue(`Invalid NetworkType: ${value}. Valid values: IPV4, DUAL.`);
  }
}

export function checkInstanceDomain(engine: string, domain: string | undefined, member: boolean) {
  if (domain === undefined || domain === 'none') return;
  // RDS API reference, CreateDBInstance Domain: "This setting doesn't apply to the following DB instances: Amazon
  // Aurora (The domain is managed by the DB cluster.)"
  if (member || isAurora(engine)) {
    throw invalidParameterCombination(
      'Domain does not apply to Aurora DB instances: it is managed by the DB cluster.',
    );
  }
  // RDS API reference, RestoreDBInstanceFromDBSnapshot / CreateDBInstance / ModifyDBInstance Domain: "Currently,
  // you can create only Db2, MySQL, Microsoft SQL Server, Oracle, and PostgreSQL DB instances in an Active
  // Directory Domain."
  if (!['db2', 'mysql', 'sqlserver', 'oracle', 'postgres'].includes(engineFamily(engine))) {
    throw invalidParameterCombination(
      `Domain: only Db2, MySQL, Microsoft SQL Server, Oracle, and PostgreSQL DB instances can be created in an Active Directory domain, not ${engine}.`,
    );
  }
}

/** Performance Insights retention: 7, month * 31 (1–23), or 731. */
export function checkPiRetention(value: number | undefined) {
  // RDS API reference, PerformanceInsightsRetentionPeriod: "Valid Values: 7 month * 31, where month is a number of
  // months from 1-23 … 731" and "If you specify a retention period that isn't valid, such as 94, Amazon RDS
  // returns an error."
  if (value === undefined) return;
  const ok = value === 7 || value === 731 || (value % 31 === 0 && value / 31 >= 1 && value / 31 <= 23);
  if (!ok) {
    throw invalidParameterValue(
      `Invalid PerformanceInsightsRetentionPeriod: ${value}. Valid values are 7, month * 31 (month 1-23), and 731.`,
    );
  }
}

export function checkDatabaseInsights(
  mode: string | undefined,
  piEnabled: boolean,
  retention: number | undefined,
) {
  if (mode === undefined) return;
  // RDS API reference, DatabaseInsightsMode enum (models_0.d.ts): "standard" | "advanced".
  if (mode !== 'standard' && mode !== 'advanced') {
    throw invalidParameterValue(`Invalid DatabaseInsightsMode: ${mode}. Valid values: standard, advanced.`);
  }
  // RDS API reference, CreateDBCluster/ModifyDBCluster DatabaseInsightsMode: "If you set this value to advanced,
  // you must also set the PerformanceInsightsEnabled parameter to true and the PerformanceInsightsRetentionPeriod
  // parameter to 465"; RDS User Guide, USER_DatabaseInsights.Considerations: "To enable the Advanced mode of
  // Database Insights, you must enable Performance Insights and set the Performance Insights retention period to at
  // least 465 days (15 months)."
  if (mode === 'advanced' && (!piEnabled || (retention ?? 7) < 465)) {
    throw invalidParameterCombination(
      'DatabaseInsightsMode advanced requires Performance Insights enabled (EnablePerformanceInsights) with a PerformanceInsightsRetentionPeriod of at least 465 days.',
    );
  }
}

export function checkBackupRetention(value: number | undefined) {
  // RDS API reference, RestoreDBInstanceFromDBSnapshot BackupRetentionPeriod: "Must be a value from 0 to 35."
  if (value !== undefined && (value < 0 || value > 35)) {
    throw invalidParameterValue(`Invalid BackupRetentionPeriod: ${value}. It must be a value from 0 to 35.`);
  }
}

export function checkPort(value: number | undefined) {
  // RDS API reference, RestoreDBInstanceFromDBSnapshot / RestoreDBClusterFromSnapshot Port: "Value must be
  // 1150-65535".
  if (value !== undefined && (value < 1150 || value > 65535)) {
    throw invalidParameterValue(`Invalid Port: ${value}. The value must be 1150-65535.`);
  }
}

export function checkAzWithMultiAz(az: string | undefined, multiAZ: boolean | undefined) {
  // RDS API reference, RestoreDBInstanceFromDBSnapshot / CreateDBInstance AvailabilityZone: "You can't specify the
  // AvailabilityZone parameter if the DB instance is a Multi-AZ deployment."
  if (az !== undefined && multiAZ) {
    throw invalidParameterCombination(
      'Requesting a specific availability zone is not valid for Multi-AZ instances (AvailabilityZone with MultiAZ).',
    );
  }
}

export function checkBackupTarget(value: string | undefined) {
  // RDS API reference, CreateDBInstance BackupTarget: "Valid Values: local … outposts … region".
  if (value !== undefined && !['local', 'outposts', 'region'].includes(value)) {
    throw invalidParameterValue(`Invalid BackupTarget: ${value}. Valid values: local, outposts, region.`);
  }
}

/**
 * IAM role feature names per engine (DBEngineVersion SupportedFeatureNames; RDS API reference,
 * AddRoleToDBInstance FeatureName: "For information about supported feature names, see DBEngineVersion").
 * From the RDS User Guide: PostgreSQL "Importing data from Amazon S3" (`--feature-name s3Import`), "Exporting data
 * … to Amazon S3" (`s3Export`), "Invoking an AWS Lambda function" (`Lambda`); Oracle "Amazon S3 integration"
 * (`S3_INTEGRATION`); SQL Server "Integrating an Amazon RDS for SQL Server DB instance with Amazon S3"
 * (`S3_INTEGRATION`); Db2 "Amazon S3 integration" (`S3_INTEGRATION`). MySQL and MariaDB DB instances have none.
 */
const INSTANCE_ROLE_FEATURES: Partial<Record<EngineFamily, string[]>> = {
  postgres: ['s3Import', 's3Export', 'Lambda'],
  oracle: ['S3_INTEGRATION'],
  sqlserver: ['S3_INTEGRATION'],
  db2: ['S3_INTEGRATION'],
  mysql: [],
  mariadb: [],
};

export function checkInstanceRoleFeature(engine: string, feature: string) {
  const allowed = INSTANCE_ROLE_FEATURES[engineFamily(engine)];
  if (allowed && !allowed.includes(feature)) {
    throw invalidParameterValue(
      `Feature ${feature} is not supported for engine ${engine}${allowed.length ? ` (supported FeatureName values: ${allowed.join(', ')})` : ': it supports no IAM role features'}.`,
    );
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Clusters

/** Parameters valid for Aurora DB clusters only, or Multi-AZ DB clusters only. */
export function checkClusterScope(
  engine: string,
  param: string,
  scope: 'aurora' | 'multi-az',
  source: string,
) {
  const aurora = isAurora(engine);
  if (scope === 'aurora' && !aurora) {
    throw invalidParameterCombination(
      `${param} is valid for Aurora DB clusters only, not engine ${engine}. (${source})`,
    );
  }
  if (scope === 'multi-az' && aurora) {
    throw invalidParameterCombination(
      `${param} is valid for Multi-AZ DB clusters only, not Aurora (engine ${engine}). (${source})`,
    );
  }
}

export function checkClusterStorageType(engine: string, storageType: string, action: string) {
  // RDS API reference, RestoreDBClusterFromSnapshot / RestoreDBClusterToPointInTime StorageType: "Valid Values:
  // aurora, aurora-iopt1 (Aurora DB clusters); io1 (Multi-AZ DB clusters)"; ModifyDBCluster StorageType: "Aurora DB
  // clusters - aurora | aurora-iopt1 Multi-AZ DB clusters - io1 | io2 | gp3".
  const allowed = isAurora(engine)
    ? ['aurora', 'aurora-iopt1']
    : action === 'RestoreDBClusterFromSnapshot' || action === 'RestoreDBClusterToPointInTime'
      ? ['io1']
      : ['io1', 'io2', 'gp3'];
  if (!allowed.includes(storageType)) {
    throw invalidParameterValue(
      `Invalid StorageType ${storageType} for ${isAurora(engine) ? 'an Aurora' : 'a Multi-AZ'} DB cluster (engine ${engine}) in ${action}. Valid values: ${allowed.join(', ')}.`,
    );
  }
}

/** Aurora versions with Serverless v2 auto-pause (MinCapacity 0). */
function supportsAutoPause(engine: string, version: string): boolean {
  // Aurora User Guide, "Scaling to Zero ACUs with automatic pause and resume for Aurora Serverless v2": auto-pause
  // needs Aurora PostgreSQL 16.3, 15.7, 14.12, 13.15 or higher, or Aurora MySQL 3.08.0 or higher.
  if (engine === 'aurora-postgresql') {
    const [major = 0, minor = 0] = version.split('.').map(Number);
    const min: Record<number, number> = { 13: 15, 14: 12, 15: 7, 16: 3 };
    const minMinor = min[major];
    return major > 16 || (minMinor !== undefined && minor >= minMinor);
  }
  if (engine === 'aurora-mysql') {
    const m = /mysql_aurora\.(\d+)\.(\d+)/.exec(version);
    if (!m) return false;
    return Number(m[1]) > 3 || (Number(m[1]) === 3 && Number(m[2]) >= 8);
  }
  return false;
}

export function checkServerlessV2(
  engine: string,
  version: string,
  s: { MinCapacity?: number; MaxCapacity?: number; SecondsUntilAutoPause?: number } | undefined,
) {
  if (!s) return;
  const { MinCapacity: min, MaxCapacity: max, SecondsUntilAutoPause: pause } = s;
  // RDS API reference, ServerlessV2ScalingConfiguration MinCapacity/MaxCapacity: "You can specify ACU values in
  // half-step increments"; MaxCapacity: "The largest value that you can use is 256".
  for (const [name, v] of [
    ['MinCapacity', min],
    ['MaxCapacity', max],
  ] as const) {
    if (v !== undefined && (v < 0 || v > 256 || !Number.isInteger(v * 2))) {
      throw invalidParameterValue(
        `Invalid ServerlessV2ScalingConfiguration ${name}: ${v}. ACU values go in half-step increments up to 256.`,
      );
    }
  }
  if (min !== undefined && max !== undefined && min > max) {
    throw invalidParameterValue('ServerlessV2ScalingConfiguration MinCapacity must not exceed MaxCapacity.');
  }
  // RDS API reference, ServerlessV2ScalingConfiguration MinCapacity: "For Aurora versions that support the Aurora
  // Serverless v2 auto-pause feature, the smallest value that you can use is 0. For versions that don't support
  // Aurora Serverless v2 auto-pause, the smallest value that you can use is 0.5."
  if (min === 0 && !supportsAutoPause(engine, version)) {
    throw invalidParameterValue(
      `ServerlessV2ScalingConfiguration MinCapacity 0 (auto-pause) is not supported for ${engine} ${version}; the smallest value is 0.5.`,
    );
  }
  // RDS API reference, ServerlessV2ScalingConfiguration SecondsUntilAutoPause: "Specify a value between 300
  // seconds (five minutes) and 86,400 seconds (one day)."
  if (pause !== undefined && (pause < 300 || pause > 86400)) {
    throw invalidParameterValue(
      `Invalid ServerlessV2ScalingConfiguration SecondsUntilAutoPause: ${pause}. Specify a value between 300 and 86400.`,
    );
  }
}

export function checkBacktrack(engine: string, window: number | undefined) {
  if (!window) return;
  // RDS API reference, RestoreDBClusterFromSnapshot BacktrackWindow: "Currently, Backtrack is only supported for
  // Aurora MySQL DB clusters" and "this value must be set to a number from 0 to 259,200 (72 hours)".
  if (engine !== 'aurora-mysql') {
    throw invalidParameterValue(`Backtrack is not supported for the ${engine} engine (BacktrackWindow).`);
  }
  if (window < 0 || window > 259200) {
    throw invalidParameterValue(`Invalid BacktrackWindow: ${window}. It must be from 0 to 259,200.`);
  }
}

export const MONITORING_INTERVALS = new Set([0, 1, 5, 10, 15, 30, 60]);

export function checkMonitoring(interval: number | undefined, roleArn: string | undefined) {
  // RDS API reference, MonitoringInterval: "Valid Values: 0 | 1 | 5 | 10 | 15 | 30 | 60".
  if (interval !== undefined && !MONITORING_INTERVALS.has(interval)) {
    throw invalidParameterValue('MonitoringInterval must be one of 0, 1, 5, 10, 15, 30, 60.');
  }
  // RDS API reference, MonitoringRoleArn: "If MonitoringInterval is set to a value other than 0, supply a
  // MonitoringRoleArn value."
  if ((interval ?? 0) > 0 && !roleArn) {
    throw invalidParameterCombination(
      'A MonitoringRoleARN value is required if you specify a MonitoringInterval value other than 0.',
    );
  }
}
