import { EventBus } from './events';
import { type FaultController, Faults } from './faults';
import { createPrng } from './random';
import { Scheduler } from './scheduler';
import { type QueryRecorder, type RdsCallObserver, type RdsCallRecord, startServer } from './server';
import { type GlobalClusterSeed, seedGlobalCluster } from './state/cluster-endpoints';
import { type ClusterSeed, seedCluster } from './state/clusters';
import { buildInstance, type InstanceSeed, insertInstance } from './state/instances';
import { type KmsKeySeed, seedKmsKey } from './state/kms';
import { inventoryView, type RdsInventory, stateView } from './state/render';
import {
  type AutomatedSnapshotSeed,
  type ForeignSnapshotSeed,
  seedAutomatedSnapshot,
  seedForeignSnapshot,
} from './state/sharing';
import { type Quotas, type SimContext, Store } from './state/store';
import { DEFAULT_DURATIONS, type Durations, type RdsEventBridgeEvent } from './types';

export type { FaultController } from './faults';
export type { QueryRecorder, RdsCallObserver, RdsCallRecord } from './server';
export type { GlobalClusterSeed } from './state/cluster-endpoints';
export type { ClusterSeed } from './state/clusters';
export { MAX_COPY_ON_WRITE_CLONES } from './state/clusters';
export { defaultOptionGroup, defaultParameterGroup, parameterGroupFamily } from './state/engines';
export type { InstanceSeed } from './state/instances';
export type { KmsKeySeed } from './state/kms';
export { aliasKeyId, RDS_DEFAULT_KEY_ALIAS } from './state/kms';
export type { RdsInventory } from './state/render';
export type {
  AutomatedSnapshotSeed,
  ForeignClusterSnapshotSeed,
  ForeignDBSnapshotSeed,
  ForeignSnapshotSeed,
} from './state/sharing';
export { MAX_SHARED_ACCOUNTS } from './state/sharing';
export type { Quotas } from './state/store';
export {
  DEFAULT_QUOTAS,
  DEFAULT_SECURITY_GROUP_ID,
  DEFAULT_SUBNET_GROUP,
  DEFAULT_VPC_ID,
} from './state/store';
export {
  LATEST_RESTORABLE_LAG_SECONDS,
  latestRestorableLagMs,
  type RestorableWindow,
  restorableWindow,
} from './state/window';
export * from './types';

export interface RdsSimulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (a free port). */
  port?: number;
  /** Default us-east-1. */
  region?: string;
  /** Default 000000000000. */
  accountId?: string;
  /** Every duration is divided by this; default 1 (60 => a 600 s restore takes 10 s). */
  timeScale?: number;
  /** Base seconds per asynchronous operation. */
  durations?: Partial<Durations>;
  /** Seed of the PRNG behind throttling and event faults (reproducible); default 1. */
  seed?: number;
  /** Called for each `aws.rds` event, after event faults are applied. */
  onEvent?: (event: RdsEventBridgeEvent) => void;
  /** `detail.SourceIdentifier` as `rds:<id>` instead of the bare identifier (both occur in reality). */
  sourceIdentifierPrefix?: boolean;
  /** Longest a reordered event waits for a later one before it is delivered anyway (real ms); default 1000. */
  reorderMaxHoldMs?: number;
  /** IAM check: gets what AWS would authorize for each API call, with the caller's access key id. */
  recordCall?: QueryRecorder;
  /**
   * Destination Region of StartDBInstanceAutomatedBackupsReplication (the request's SigV4 scope is not visible to
   * the simulator); default us-west-2.
   */
  backupReplicationRegion?: string;
  /** Account quotas (default: RDS's, 40 instances, 40 clusters, 100 manual snapshots of each kind). */
  quotas?: Partial<Quotas>;
  /** Sees every answered API call, after its state change (fault hooks: "after RDS did X, …"). */
  onCall?: RdsCallObserver;
  /** Keep a log of every API call for `callLog()` (default true). */
  keepCallLog?: boolean;
}

export type RdsSimulatorState = ReturnType<typeof stateView>;

export interface RdsSimulator {
  url: string;
  port: number;
  /** Closes the server and clears every pending timer. */
  stop(): Promise<void>;
  /** Adds an instance that is `available` at once (no event). */
  seedInstance(input: InstanceSeed): void;
  /** Adds a cluster (and optional members) that is `available` at once (no event). */
  seedCluster(input: ClusterSeed): void;
  /** Adds an Aurora global database (DescribeGlobalClusters); member clusters name it in GlobalClusterIdentifier. */
  seedGlobalCluster(input: GlobalClusterSeed): void;
  /**
   * Registers a KMS key (`keyId` or `arn`, owner `account`); returns its ARN. `awsManagedRdsDefault` makes it the
   * account's AWS managed `aws/rds` key (every account has one implicitly); `usableBy` lists the other accounts its key
   * policy lets use it. A key never seeded is a customer managed key of the account in its ARN, usable by it only.
   */
  seedKmsKey(input: KmsKeySeed): string;
  /**
   * Adds a manual DB snapshot (`kind: 'instance'`) or DB cluster snapshot (`kind: 'cluster'`) owned by another
   * `account`, shared with the accounts in `sharedWith` (or `all`); returns its ARN. The local account sees it only by
   * that ARN, or with SnapshotType `shared` / IncludeShared (`public` / IncludePublic when shared with `all`).
   */
  seedForeignSnapshot(input: ForeignSnapshotSeed): string;
  /** Adds an `available` automated snapshot (`rds:<id>-<yyyy-mm-dd-hh-mm>`) of a local instance or cluster. */
  seedAutomatedSnapshot(input: AutomatedSnapshotSeed): string;
  /** The master password last set by ModifyDBInstance/ModifyDBCluster (RDS never returns it in Describe). */
  masterUserPassword(kind: 'instance' | 'cluster', id: string): string | undefined;
  /**
   * Test only: the master password a database was created with (seeds have none). Snapshots keep it and restored
   * copies start with it, as on RDS, until a modify sets another.
   */
  setMasterUserPassword(kind: 'instance' | 'cluster', id: string, password: string): void;
  faults: FaultController;
  /** Plain JSON of all instances, clusters and snapshots, as Describe shows them. */
  snapshotState(): RdsSimulatorState;
  /**
   * Identifiers, resource ids, statuses, cluster membership and tags of every instance, cluster and snapshot: a
   * cheap sample for tests reading the state many times a second (snapshotState renders and copies everything).
   */
  inventory(): RdsInventory;
  /** RDS API calls received per Action (including throttled and failed ones). */
  callCounts(): Record<string, number>;
  /** Events delivered to `onEvent` so far (after faults), in order. */
  deliveredEvents(): RdsEventBridgeEvent[];
  /** Events produced so far, before faults. */
  emittedEvents(): RdsEventBridgeEvent[];
  /** Every answered API call, oldest first, with time, caller, status and string parameters. */
  callLog(): RdsCallRecord[];
  /** Adds an observer of every answered call; returns a function removing it. */
  onCall(observer: RdsCallObserver): () => void;
}

/**
 * Starts an RDS simulator speaking the Query protocol, for the unmodified `@aws-sdk/client-rds`.
 *
 * @example
 * const sim = await startRdsSimulator({ timeScale: 60, onEvent: (e) => bus.put(e) });
 * const rds = new RDSClient({ endpoint: sim.url, region: 'us-east-1' });
 * sim.seedInstance({ DBInstanceIdentifier: 'orders-db', Engine: 'postgres' });
 * // …
 * await sim.stop();
 */
export async function startRdsSimulator(opts: RdsSimulatorOptions = {}): Promise<RdsSimulator> {
  const region = opts.region ?? 'us-east-1';
  const accountId = opts.accountId ?? '000000000000';
  const random = createPrng(opts.seed ?? 1);
  const scheduler = new Scheduler(opts.timeScale ?? 1);
  const events = new EventBus({
    region,
    accountId,
    random,
    scheduler,
    onEvent: opts.onEvent,
    sourceIdentifierPrefix: opts.sourceIdentifierPrefix ?? false,
    reorderMaxHoldMs: opts.reorderMaxHoldMs,
  });
  const faults = new Faults(random, events);
  const store = new Store(region, accountId, opts.quotas, opts.timeScale ?? 1);
  const ctx: SimContext = {
    region,
    accountId,
    durations: { ...DEFAULT_DURATIONS, ...opts.durations },
    scheduler,
    events,
    faults,
    store,
    backupReplicationRegion: opts.backupReplicationRegion ?? 'us-west-2',
  };
  const host = opts.host ?? '127.0.0.1';
  const log: RdsCallRecord[] = [];
  const observers = new Set<RdsCallObserver>(opts.onCall ? [opts.onCall] : []);
  const keepLog = opts.keepCallLog ?? true;
  const { server, port, callCounts } = await startServer(
    ctx,
    host,
    opts.port ?? 0,
    opts.recordCall,
    (call) => {
      if (keepLog) log.push(call);
      for (const o of [...observers]) o(call);
    },
  );
  return {
    url: `http://${host}:${port}`,
    port,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        scheduler.clear();
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
    seedInstance: (input) => {
      insertInstance(
        store,
        buildInstance(store, { ...input, DBInstanceStatus: input.DBInstanceStatus ?? 'available' }),
      );
    },
    seedCluster: (input) => seedCluster(store, input),
    seedGlobalCluster: (input) => seedGlobalCluster(store, input),
    seedKmsKey: (input) => seedKmsKey(store, input),
    seedForeignSnapshot: (input) => seedForeignSnapshot(store, input),
    seedAutomatedSnapshot: (input) => seedAutomatedSnapshot(store, input),
    masterUserPassword: (kind, id) =>
      kind === 'instance'
        ? store.instances.get(id.toLowerCase())?.masterUserPassword
        : store.clusters.get(id.toLowerCase())?.masterUserPassword,
    setMasterUserPassword: (kind, id, password) => {
      const rec =
        kind === 'instance' ? store.instances.get(id.toLowerCase()) : store.clusters.get(id.toLowerCase());
      if (!rec) throw new Error(`no ${kind} ${id}`);
      rec.masterUserPassword = password;
    },
    faults,
    snapshotState: () => stateView(store),
    inventory: () => inventoryView(store),
    callCounts: () => Object.fromEntries(callCounts),
    deliveredEvents: () => events.deliveredEvents(),
    emittedEvents: () => events.emittedEvents(),
    callLog: () => [...log],
    onCall: (observer) => {
      observers.add(observer);
      return () => observers.delete(observer);
    },
  };
}
