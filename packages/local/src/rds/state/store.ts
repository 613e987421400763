import { randomUUID } from 'node:crypto';
import {
  clusterNotFound,
  clusterSnapshotNotFound,
  instanceNotFound,
  invalidParameterValue,
  RdsError,
  snapshotNotFound,
} from '../errors';
import type { EventBus } from '../events';
import type { Faults } from '../faults';
import { randomToken } from '../random';
import type { Scheduler } from '../scheduler';
import type {
  AutomatedBackupProps,
  ClusterEndpointProps,
  ClusterProps,
  ClusterSnapshotProps,
  Durations,
  GlobalClusterProps,
  InstanceProps,
  MasterUserSecret,
  SnapshotProps,
  Tag,
} from '../types';

export const DEFAULT_VPC_ID = 'vpc-0d3fa017000000001';
export const DEFAULT_SECURITY_GROUP_ID = 'sg-0d3fa017000000001';
export const DEFAULT_SUBNET_GROUP = 'default';
export const DEFAULT_CA_CERTIFICATE = 'rds-ca-rsa2048-g1';
export const MAX_INSTANCES = 40;
export const MAX_CLUSTERS = 40;
export const MAX_MANUAL_SNAPSHOTS = 100;

/** Account quotas the simulator enforces (RDS defaults unless raised, e.g. for a fleet soak). */
export interface Quotas {
  maxInstances: number;
  maxClusters: number;
  /** Per kind: manual DB snapshots, and manual DB cluster snapshots. */
  maxManualSnapshots: number;
}

export const DEFAULT_QUOTAS: Quotas = {
  maxInstances: MAX_INSTANCES,
  maxClusters: MAX_CLUSTERS,
  maxManualSnapshots: MAX_MANUAL_SNAPSHOTS,
};

export interface InstanceRecord {
  props: InstanceProps;
  /** True during the short gap after a rename when the new name cannot be described yet. */
  hidden: boolean;
  seq: number;
  isWriter: boolean;
  /** The master password last set by ModifyDBInstance (never in Describe output). */
  masterUserPassword?: string;
  /** Epoch ms when automated backups were turned on again (retention 0 → > 0); else they began at creation. */
  backupsSinceMs?: number;
  /** Set on an instance created by RestoreDBInstanceToPointInTime. */
  pointInTime?: PointInTimeRestore;
}

/** What a point-in-time restore was asked for (test and CLI state, never in Describe output). */
export interface PointInTimeRestore {
  /** Identifier of the source instance or cluster at the time of the restore. */
  source: string;
  /** The instant restored to (ISO). */
  restoreTime: string;
  useLatestRestorableTime: boolean;
  /** Clusters: `full-copy` or `copy-on-write` as performed (a 16th concurrent clone is a full copy). */
  restoreType?: 'full-copy' | 'copy-on-write';
}

/** Who may see and use a manual snapshot besides its owner. */
export interface SharingState {
  /** The owner's account id when it is not the local account (a snapshot seeded by `seedForeignSnapshot`). */
  owner?: string;
  /**
   * The `restore` attribute (ModifyDBSnapshotAttribute / ModifyDBClusterSnapshotAttribute): account ids, or `all`,
   * allowed to copy or restore the manual snapshot.
   */
  sharedWith?: string[];
}

export interface SnapshotRecord extends SharingState {
  props: SnapshotProps;
  /** The instance as it was when the snapshot started: what a restore falls back on. */
  source: InstanceProps;
  /** The master password of the instance then: a copy restored from the snapshot starts with it. */
  masterUserPassword?: string;
  startedMs: number;
  durationMs: number;
}

export interface ClusterRecord {
  props: ClusterProps;
  /** The master password last set by ModifyDBCluster (never in Describe output). */
  masterUserPassword?: string;
  /** Set on a cluster created by RestoreDBClusterToPointInTime. */
  pointInTime?: PointInTimeRestore;
}

export interface ClusterEndpointRecord {
  props: ClusterEndpointProps;
  tags: Tag[];
  seq: number;
}

export interface ClusterSnapshotRecord extends SharingState {
  props: ClusterSnapshotProps;
  source: ClusterProps;
  /** The master password of the cluster then: a cluster restored from the snapshot starts with it. */
  masterUserPassword?: string;
  startedMs: number;
  durationMs: number;
}

/**
 * A KMS key as far as RDS is concerned (see state/kms.ts): the account owning it, whether it is that account's AWS
 * managed key for RDS (alias `aws/rds`), and the other accounts its key policy lets use it.
 */
export interface KmsKeyRecord {
  arn: string;
  account: string;
  region: string;
  awsManagedRdsDefault: boolean;
  usableBy: string[];
}

/** Everything an operation handler needs. */
export interface SimContext {
  region: string;
  accountId: string;
  durations: Durations;
  scheduler: Scheduler;
  events: EventBus;
  faults: Faults;
  store: Store;
  /** The Region StartDBInstanceAutomatedBackupsReplication replicates to (the simulator is one Region). */
  backupReplicationRegion: string;
}

type Kind = 'db' | 'snapshot' | 'cluster' | 'cluster-snapshot' | 'cluster-endpoint';

/** RDS identifiers: a letter first, then letters, digits or hyphens; no `--`, no trailing hyphen. */
export function validateIdentifier(id: string, param: string, maxLength = 63): string {
  const ok =
    id.length >= 1 &&
    id.length <= maxLength &&
    /^[a-zA-Z][a-zA-Z0-9-]*$/.test(id) &&
    !id.includes('--') &&
    !id.endsWith('-');
  if (!ok) {
    throw invalidParameterValue(
      `The parameter ${param} is not a valid identifier. Identifiers must begin with a letter; must contain only ` +
        `ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens.`,
    );
  }
  // RDS stores identifiers in lowercase.
  return id.toLowerCase();
}

export function mergeTags(base: Tag[], extra: Tag[]): Tag[] {
  const out = new Map<string, Tag>();
  for (const t of [...base, ...extra]) out.set(t.Key, { Key: t.Key, Value: t.Value });
  return [...out.values()];
}

export const clone = <T>(v: T): T => structuredClone(v);

/** The quota counts manual snapshots only (automated ones are seeded by `seedAutomatedSnapshot`). */
function manualCount(recs: Map<string, { props: { SnapshotType: string } }>): number {
  let n = 0;
  for (const r of recs.values()) if (r.props.SnapshotType === 'manual') n += 1;
  return n;
}

/**
 * An RDS snapshot ARN (`arn:aws:rds:<region>:<account>:snapshot:<id>` or `…:cluster-snapshot:<id>`) of the given
 * kind, with `key`, the ARN as the foreign snapshot maps hold it (identifier in lowercase, as RDS stores it).
 */
export function parseSnapshotArn(
  value: string,
  kind: 'snapshot' | 'cluster-snapshot',
): { region: string; account: string; id: string; key: string } | undefined {
  const m = /^arn:aws[\w-]*:rds:([^:]*):([^:]*):(snapshot|cluster-snapshot):(.+)$/.exec(value);
  if (!m || m[3] !== kind) return undefined;
  const [, region = '', account = '', , id = ''] = m;
  return { region, account, id, key: `arn:aws:rds:${region}:${account}:${kind}:${id.toLowerCase()}` };
}

export class Store {
  readonly instances = new Map<string, InstanceRecord>();
  readonly snapshots = new Map<string, SnapshotRecord>();
  readonly clusters = new Map<string, ClusterRecord>();
  readonly clusterSnapshots = new Map<string, ClusterSnapshotRecord>();
  readonly clusterEndpoints = new Map<string, ClusterEndpointRecord>();
  readonly globalClusters = new Map<string, GlobalClusterProps>();
  /** Replicated automated backups, by their ARN. */
  readonly automatedBackups = new Map<string, AutomatedBackupProps>();
  /** ARNs of the Secrets Manager secrets RDS manages for master passwords (gone with their database). */
  readonly secrets = new Set<string>();
  /** Manual DB snapshots owned by other accounts (`seedForeignSnapshot`), by ARN (identifier in lowercase). */
  readonly foreignSnapshots = new Map<string, SnapshotRecord>();
  /** Manual DB cluster snapshots owned by other accounts, by ARN (identifier in lowercase). */
  readonly foreignClusterSnapshots = new Map<string, ClusterSnapshotRecord>();
  /** KMS keys seeded by `seedKmsKey`, by key (or alias) ARN; keys never seeded are described in state/kms.ts. */
  readonly kmsKeys = new Map<string, KmsKeyRecord>();
  /** Seeded AWS managed `aws/rds` keys: account id → key ARN. */
  readonly rdsDefaultKeys = new Map<string, string>();
  private readonly subnetGroups = new Map<string, string>([[DEFAULT_SUBNET_GROUP, DEFAULT_VPC_ID]]);
  private seq = 0;

  readonly quotas: Quotas;

  constructor(
    readonly region: string,
    readonly accountId: string,
    quotas: Partial<Quotas> = {},
    /** The simulator's time scale (LatestRestorableTime lags now by 300 simulated seconds). */
    readonly timeScale = 1,
  ) {
    this.quotas = { ...DEFAULT_QUOTAS, ...quotas };
  }

  nextSeq(): number {
    this.seq += 1;
    return this.seq;
  }

  arn(kind: Kind, id: string): string {
    return `arn:aws:rds:${this.region}:${this.accountId}:${kind}:${id}`;
  }

  /** `<id>.<hash>.<region>.rds.amazonaws.com`; the hash is per account and Region, as in RDS. */
  readonly endpointHash = randomToken(12);

  instanceAddress(id: string): string {
    return `${id}.${this.endpointHash}.${this.region}.rds.amazonaws.com`;
  }

  clusterAddress(id: string, reader = false): string {
    return `${id}.cluster-${reader ? 'ro-' : ''}${this.endpointHash}.${this.region}.rds.amazonaws.com`;
  }

  clusterEndpointAddress(id: string): string {
    return `${id}.cluster-custom-${this.endpointHash}.${this.region}.rds.amazonaws.com`;
  }

  /** Key id of the account's AWS managed `aws/secretsmanager` key in this Region. */
  readonly secretsManagerKeyId = randomUUID();

  /** A new RDS-managed master password secret: `rds!db-<uuid>-<6 chars>` or `rds!cluster-…`. */
  createSecret(kind: 'db' | 'cluster', kmsKeyId: string | undefined): MasterUserSecret {
    const arn =
      `arn:aws:secretsmanager:${this.region}:${this.accountId}:secret:rds!${kind}-${randomUUID()}-` +
      randomToken(6, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789');
    this.secrets.add(arn);
    return {
      SecretArn: arn,
      SecretStatus: 'creating',
      // Without MasterUserSecretKmsKeyId "the aws/secretsmanager KMS key is used" (RDS API reference); RDS reports
      // that AWS managed key by its key ARN.
      KmsKeyId: kmsKeyId ?? `arn:aws:kms:${this.region}:${this.accountId}:key/${this.secretsManagerKeyId}`,
    };
  }

  deleteSecret(secret: MasterUserSecret | undefined): void {
    if (secret) this.secrets.delete(secret.SecretArn);
  }

  availabilityZones(): string[] {
    return ['a', 'b', 'c'].map((s) => `${this.region}${s}`);
  }

  randomAz(): string {
    const azs = this.availabilityZones();
    const az = azs[Math.floor(Math.random() * azs.length)];
    if (az === undefined) throw new Error(`no availability zone in ${this.region}`);
    return az;
  }

  /** VPC of a subnet group; unknown names get a stable VPC of their own (the simulator has no subnet API). */
  vpcOfSubnetGroup(name: string): string {
    const known = this.subnetGroups.get(name);
    if (known) return known;
    const vpc = `vpc-${Buffer.from(name).toString('hex').padEnd(17, '0').slice(0, 17)}`;
    this.subnetGroups.set(name, vpc);
    return vpc;
  }

  registerSubnetGroup(name: string, vpcId: string): void {
    this.subnetGroups.set(name, vpcId);
  }

  /** A visible instance, or DBInstanceNotFound. */
  instance(id: string): InstanceRecord {
    const rec = this.instances.get(id.toLowerCase());
    if (!rec || rec.hidden) throw instanceNotFound(id);
    return rec;
  }

  snapshot(id: string): SnapshotRecord {
    const rec = this.snapshots.get(id.toLowerCase());
    if (!rec) throw snapshotNotFound(id);
    return rec;
  }

  /**
   * A DB snapshot as the local account may name it: its own by identifier or ARN; another account's only by ARN
   * (RDS API reference, CopyDBSnapshot SourceDBSnapshotIdentifier: "If you are copying from a shared manual DB
   * snapshot, this parameter must be the Amazon Resource Name (ARN) of the shared DB snapshot."; the same for
   * RestoreDBInstanceFromDBSnapshot DBSnapshotIdentifier), and only while it is shared with this account or `all`
   * (RDS User Guide, "Sharing a DB snapshot", USER_ShareSnapshot). Another account's snapshot not shared with this one
   * is not found (not documented by AWS; we answer DBSnapshotNotFound).
   */
  snapshotRef(idOrArn: string): SnapshotRecord {
    const ref = parseSnapshotArn(idOrArn, 'snapshot');
    if (!ref || ref.account === this.accountId) return this.snapshot(ref ? ref.id : idOrArn);
    const rec = this.foreignSnapshots.get(ref.key);
    if (!rec || !this.sharedWithLocal(rec)) throw snapshotNotFound(idOrArn);
    return rec;
  }

  /** The DB cluster snapshot counterpart of `snapshotRef` (RDS API reference, CopyDBClusterSnapshot: "To copy a DB
   * cluster snapshot from a shared manual DB cluster snapshot, SourceDBClusterSnapshotIdentifier must be the Amazon
   * Resource Name (ARN) of the shared DB cluster snapshot."). */
  clusterSnapshotRef(idOrArn: string): ClusterSnapshotRecord {
    const ref = parseSnapshotArn(idOrArn, 'cluster-snapshot');
    if (!ref || ref.account === this.accountId) return this.clusterSnapshot(ref ? ref.id : idOrArn);
    const rec = this.foreignClusterSnapshots.get(ref.key);
    if (!rec || !this.sharedWithLocal(rec)) throw clusterSnapshotNotFound(idOrArn);
    return rec;
  }

  /** Whether another account's snapshot is shared with the local account, by its id or as public (`all`). */
  sharedWithLocal(rec: SharingState): boolean {
    const list = rec.sharedWith ?? [];
    return list.includes(this.accountId) || list.includes('all');
  }

  /**
   * The SnapshotType the local account sees: its own snapshots' type; another account's snapshot is `shared` when
   * shared with this account by id, else `public`. How a shared snapshot is described to the account it is shared with
   * is not documented by AWS; we answer SnapshotType `shared` (RDS API reference, DescribeDBSnapshots SnapshotType:
   * "shared - Return all manual DB snapshots that have been shared to my Amazon Web Services account"; "public - Return
   * all DB snapshots that have been marked as public").
   */
  snapshotTypeSeen(rec: SharingState & { props: { SnapshotType: string } }): string {
    if (rec.owner === undefined) return rec.props.SnapshotType;
    return (rec.sharedWith ?? []).includes(this.accountId) ? 'shared' : 'public';
  }

  cluster(id: string): ClusterRecord {
    const rec = this.clusters.get(id.toLowerCase());
    if (!rec) throw clusterNotFound(id);
    return rec;
  }

  clusterSnapshot(id: string): ClusterSnapshotRecord {
    const rec = this.clusterSnapshots.get(id.toLowerCase());
    if (!rec) throw clusterSnapshotNotFound(id);
    return rec;
  }

  assertInstanceNameFree(id: string): void {
    if (this.instances.has(id)) {
      throw new RdsError('DBInstanceAlreadyExists', `DB instance already exists: ${id}`);
    }
  }

  assertInstanceQuota(): void {
    const max = this.quotas.maxInstances;
    if (this.instances.size >= max) {
      throw new RdsError('InstanceQuotaExceeded', `Cannot create more than ${max} DB instances.`);
    }
  }

  assertSnapshotFree(id: string): void {
    if (this.snapshots.has(id)) {
      throw new RdsError(
        'DBSnapshotAlreadyExists',
        `Cannot create the snapshot because a snapshot with the identifier ${id} already exists.`,
      );
    }
    if (manualCount(this.snapshots) >= this.quotas.maxManualSnapshots) {
      throw new RdsError(
        'SnapshotQuotaExceeded',
        `Cannot create more than ${this.quotas.maxManualSnapshots} manual snapshots.`,
      );
    }
  }

  assertClusterSnapshotFree(id: string): void {
    if (this.clusterSnapshots.has(id)) {
      throw new RdsError(
        'DBClusterSnapshotAlreadyExistsFault',
        `Cannot create the cluster snapshot because one with the identifier ${id} already exists.`,
      );
    }
    if (manualCount(this.clusterSnapshots) >= this.quotas.maxManualSnapshots) {
      throw new RdsError(
        'SnapshotQuotaExceeded',
        `Cannot create more than ${this.quotas.maxManualSnapshots} manual cluster snapshots.`,
      );
    }
  }

  /**
   * Instances filed under the cluster they belong to, so that finding a cluster's members (every Describe of a
   * cluster, every state view) does not walk every instance. Kept by `insertInstance`, the end of a delete and a
   * cluster rename; `members()` still checks each entry against the instance map and its cluster identifier.
   */
  private readonly clusterMembers = new Map<string, Set<InstanceRecord>>();

  /** Files a new instance under its cluster, if it has one. */
  addMember(rec: InstanceRecord): void {
    const clusterId = rec.props.DBClusterIdentifier;
    if (clusterId === undefined) return;
    const set = this.clusterMembers.get(clusterId);
    if (set) set.add(rec);
    else this.clusterMembers.set(clusterId, new Set([rec]));
  }

  /** Forgets a deleted instance. */
  removeMember(rec: InstanceRecord): void {
    const clusterId = rec.props.DBClusterIdentifier;
    if (clusterId === undefined) return;
    const set = this.clusterMembers.get(clusterId);
    set?.delete(rec);
    if (set?.size === 0) this.clusterMembers.delete(clusterId);
  }

  /** A cluster was renamed: its members go with it (their DBClusterIdentifier is the caller's to set). */
  moveMembers(oldId: string, newId: string): void {
    const set = this.clusterMembers.get(oldId);
    if (!set) return;
    this.clusterMembers.delete(oldId);
    const target = this.clusterMembers.get(newId);
    if (target) for (const r of set) target.add(r);
    else this.clusterMembers.set(newId, set);
  }

  /** Member instances of a cluster, oldest first. */
  members(clusterId: string): InstanceRecord[] {
    const set = this.clusterMembers.get(clusterId);
    if (!set) return [];
    const out: InstanceRecord[] = [];
    for (const r of set) {
      if (r.props.DBClusterIdentifier === clusterId && this.instances.get(r.props.DBInstanceIdentifier) === r)
        out.push(r);
    }
    return out.sort((a, b) => a.seq - b.seq);
  }
}
