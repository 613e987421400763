/**
 * The run model: one item per restore run in the runs table (docs/design.md §3).
 */
import type { CapturedOriginal } from './captured';

export const TASKS = [
  'create_snapshot',
  'db_restore',
  'create_snapshot_only',
  'clone_from',
  'restore_copy',
  'share_snapshot',
] as const;
export type Task = (typeof TASKS)[number];

/**
 * How the restored copy takes the original's place. `swap` (the default): restore and configure it beside the
 * original, under a side name, then swap the names (the database is offline for two renames). `rename_first`:
 * the original tool's order (rename the original away, restore under its name; offline for the whole restore).
 */
export const STRATEGIES = ['swap', 'rename_first'] as const;
export type Strategy = (typeof STRATEGIES)[number];

export type DbKind = 'instance' | 'cluster';

export const STEPS = [
  'REQUESTED',
  'SNAPSHOTTING',
  'SNAPSHOT_READY',
  'RENAMING',
  'RESTORING',
  'CONFIGURING',
  'VERIFYING',
  'SWAPPING',
  'CLEANING_UP',
  'ROLLING_BACK',
  'SUCCEEDED',
  'ROLLED_BACK',
  'CLEANUP_FAILED',
  'FAILED',
  'REJECTED',
] as const;
export type Step = (typeof STEPS)[number];

export const TERMINAL_STEPS: readonly Step[] = [
  'SUCCEEDED',
  'ROLLED_BACK',
  'CLEANUP_FAILED',
  'FAILED',
  'REJECTED',
];

/** Which step may follow which. Anything else is refused by the run repository. */
export const ALLOWED_TRANSITIONS: Readonly<Record<Step, readonly Step[]>> = {
  REQUESTED: ['SNAPSHOTTING', 'SNAPSHOT_READY', 'REJECTED', 'FAILED'],
  SNAPSHOTTING: ['SNAPSHOT_READY', 'SUCCEEDED', 'FAILED'],
  // swap: SNAPSHOT_READY → RESTORING (beside the original) → CONFIGURING → SWAPPING → CLEANING_UP;
  // rename_first: SNAPSHOT_READY → RENAMING → RESTORING (under the name) → CONFIGURING → CLEANING_UP.
  // A request with `verify` passes VERIFYING (the hooks' answers) before SWAPPING (swap) or CLEANING_UP (rename_first).
  // restore_copy (a rehearsal): SNAPSHOT_READY → RESTORING (under its target name) → CONFIGURING → (VERIFYING) →
  // CLEANING_UP (the copy is deleted) or SUCCEEDED (keep: the copy stays); the source is never touched.
  SNAPSHOT_READY: ['RENAMING', 'RESTORING', 'SUCCEEDED', 'FAILED'],
  RENAMING: ['RESTORING', 'ROLLING_BACK'],
  RESTORING: ['CONFIGURING', 'ROLLING_BACK'],
  CONFIGURING: ['VERIFYING', 'SWAPPING', 'CLEANING_UP', 'SUCCEEDED', 'ROLLING_BACK'],
  VERIFYING: ['SWAPPING', 'CLEANING_UP', 'SUCCEEDED', 'ROLLING_BACK'],
  SWAPPING: ['CLEANING_UP', 'ROLLING_BACK'],
  CLEANING_UP: ['SUCCEEDED', 'CLEANUP_FAILED'],
  ROLLING_BACK: ['ROLLED_BACK', 'FAILED'],
  SUCCEEDED: [],
  ROLLED_BACK: [],
  CLEANUP_FAILED: [],
  FAILED: [],
  REJECTED: [],
};

export const isTerminal = (step: Step): boolean => TERMINAL_STEPS.includes(step);

export interface HistoryEntry {
  step: Step;
  at: string;
  note?: string;
}

export interface RunFailure {
  /** The step that failed. */
  step: Step;
  /** An RDS error code (`DBInstanceNotFound`), a status (`incompatible-restore`) or a Trapheus code. */
  code: string;
  message: string;
  at: string;
}

/** What a wait is on: an RDS resource, or `verification` (the hooks' answers of a VERIFYING run; identifier: runId). */
export type ResourceType =
  | 'db-instance'
  | 'db-cluster'
  | 'db-snapshot'
  | 'db-cluster-snapshot'
  | 'verification';

/** One hook's answer to RestoreVerifying (the first answer per hook wins). */
export interface VerificationAnswer {
  ok: boolean;
  message: string;
  at: string;
}

/** A request's `verify`: the hooks that must answer ok before the copy is committed, and how long they have. */
export interface RunVerification {
  hooks: string[];
  timeoutMinutes: number;
  answers: Record<string, VerificationAnswer>;
}

export interface RunWait {
  resourceType: ResourceType;
  identifier: string;
  /** What the step waits for, for people: `available`, `deleted`, … */
  target: string;
  since: string;
  deadline: string;
  /** Sequence of the one live check-back; older check-backs are dropped. */
  checkSeq: number;
  attempt: number;
  nextCheckAt: string;
}

/** Markers of actions already requested from RDS, so a redelivered message never repeats one. */
export type RunProgress = Record<string, string | number | boolean>;

/**
 * A db_restore to a point in time instead of a snapshot (RestoreRequested `restoreTime` or `latest`): the copy is
 * restored from the original's automated backups (RestoreDBInstanceToPointInTime, RestoreDBClusterToPointInTime).
 */
export interface RestorePoint {
  /** The requested time, UTC ISO 8601 (checked against the restorable window before anything is touched). */
  time?: string;
  /** The latest restorable time (UseLatestRestorableTime). */
  latest?: boolean;
  /** The restorable window when the request was accepted (for the record and the alert). */
  window?: { earliest?: string; latest?: string };
}

/**
 * Where a run's copy comes from, in words.
 *
 * @example
 * restoreSourceLabel({ snapshotIdentifier: 'orders-db-snap' }) // 'snapshot orders-db-snap'
 * restoreSourceLabel({ snapshotIdentifier: '', restorePoint: { latest: true } }) // 'the latest restorable time'
 */
export const restoreSourceLabel = (run: {
  snapshotIdentifier: string;
  restorePoint?: RestorePoint;
  cloneSource?: string;
}): string =>
  run.cloneSource
    ? `a copy-on-write clone of cluster ${run.cloneSource}`
    : run.restorePoint?.time
      ? `point in time ${run.restorePoint.time}`
      : run.restorePoint?.latest
        ? 'the latest restorable time'
        : `snapshot ${run.snapshotIdentifier}`;

export interface Run {
  runId: string;
  /** `${kind}#${identifier}`: key of the one-active-run lock and of the byDatabase index. */
  dbKey: string;
  /** `RUN`: the constant partition of the byCreated index (all runs, newest first); absent on older runs. */
  listKey?: string;
  identifier: string;
  kind: DbKind;
  /** `invalid` for a rejected request whose task was not one of TASKS. */
  task: Task | 'invalid';
  /** The snapshot restored or taken; empty for a restore to a point in time (`restorePoint`). */
  snapshotIdentifier: string;
  /** A db_restore to a point in time instead of a snapshot. */
  restorePoint?: RestorePoint;
  /** clone_from: the Aurora cluster cloned (copy-on-write, latest time) into the refreshed one. */
  cloneSource?: string;
  /**
   * restore_copy: a rehearsal restores the snapshot (or point in time) as a new database `targetIdentifier`, with
   * the source's configuration, without touching the source; `keep` leaves the copy, else it is deleted.
   */
  rehearsal?: { targetIdentifier: string; keep: boolean };
  /**
   * share_snapshot: the accounts the fresh snapshot is shared with, and the customer managed key it is first
   * copied with (a snapshot encrypted with the AWS managed key cannot be shared).
   */
  share?: { accounts: string[]; kmsKeyId?: string };
  requestId?: string;
  /** The schedule of `trapheus.config.yml` that started the run (RestoreRequested `schedule`). */
  schedule?: string;
  /**
   * The Secrets Manager secret whose password the post-restore modify gives the copy's master user
   * (RestoreRequested `masterPasswordSecretArn`). Only the ARN: the password is never stored.
   */
  masterPasswordSecretArn?: string;
  step: Step;
  version: number;
  createdAt: string;
  updatedAt: string;
  history: HistoryEntry[];
  /** The name the original database carries while the restored copy takes its place. */
  tempIdentifier?: string;
  /** How the copy takes the original's place; absent on runs from before strategies (rename_first). */
  strategy?: Strategy;
  /** The side name the copy is restored and configured under before the swap (strategy swap). */
  copyIdentifier?: string;
  /** The hooks that check the configured copy before it is committed (VERIFYING), and their answers. */
  verification?: RunVerification;
  /** Configuration of the original, captured before anything is changed (`kind` says which shape). */
  original?: CapturedOriginal;
  wait?: RunWait;
  /**
   * The last segment of the run's trace (its ended waits and RDS calls), kept as separate items
   * `TRACE#<runId>#<seq>` beside the run (run-trace.ts); absent until the first one.
   */
  traceSeq?: number;
  /** The last check-back sequence used, kept when a wait ends so sequences never repeat within a run. */
  lastCheckSeq?: number;
  /** Sparse index attribute `${resourceType}#${identifier}` while the run waits on RDS. */
  waitKey?: string;
  /** Sparse index attribute `Y` while the run is not terminal. */
  active?: string;
  progress: RunProgress;
  failure?: RunFailure;
  /** Why a request was rejected, or a terminal note for people. */
  reason?: string;
  /** What a person can do next, as data: the CLI renders it as a command with its own target flags. */
  remedy?: Remedy;
  /**
   * The reconciler working on the run right now (one at a time): its owner token and when the lease lapses. Taking
   * it bumps the version, so a reconciler whose lease lapsed can no longer write (fencing).
   */
  lease?: RunLease;
}

export interface RunLease {
  owner: string;
  until: string;
}

export const dbKeyOf = (kind: DbKind, identifier: string): string => `${kind}#${identifier}`;
export const waitKeyOf = (resourceType: ResourceType, identifier: string): string =>
  `${resourceType}#${identifier}`;

/** The temp identifier a run gives the original: unique to the run, valid as an RDS identifier (≤ 63). */
export const tempIdentifierFor = (identifier: string, runId: string): string =>
  runUniqueName(identifier, runId, 'tr');

/** The side name a run restores its copy under before the swap (`-tc-`: Trapheus copy), ≤ 63 characters. */
export const copyIdentifierFor = (identifier: string, runId: string): string =>
  runUniqueName(identifier, runId, 'tc');

const runUniqueName = (identifier: string, runId: string, infix: string): string => {
  const suffix = `-${infix}-${runId.replace(/^run-/, '').slice(0, 8)}`;
  return `${identifier.slice(0, 63 - suffix.length).replace(/-+$/, '')}${suffix}`;
};

/** The strategy of a run (runs from before strategies existed are rename_first). */
export const strategyOf = (run: Pick<Run, 'strategy'>): Strategy => run.strategy ?? 'rename_first';

/** The name the restored copy is created under: the side name (swap) or the original name (rename_first). */
export const copyNameOf = (run: Pick<Run, 'strategy' | 'copyIdentifier' | 'identifier'>): string =>
  strategyOf(run) === 'swap' && run.copyIdentifier ? run.copyIdentifier : run.identifier;

/**
 * Where a restore to a point in time reads the original's automated backups: under its own name (swap: it keeps
 * serving beside the copy) or under the temp name (rename_first: the backups follow a renamed instance).
 *
 * @example
 * pointInTimeSourceOf({ strategy: 'swap', identifier: 'orders-db', runId }) // 'orders-db'
 */
export const pointInTimeSourceOf = (
  run: Pick<Run, 'strategy' | 'identifier' | 'tempIdentifier' | 'runId'>,
): string =>
  strategyOf(run) === 'rename_first'
    ? (run.tempIdentifier ?? tempIdentifierFor(run.identifier, run.runId))
    : run.identifier;

/**
 * What a person can do about a run that stopped, as data rather than text: the CLI renders it as a command with
 * the target flags it was called with (`--local`, `--stage prod`), an alert with a `--stage` placeholder.
 */
export type Remedy =
  /** Request the restore again with these fields (a new requestId each time). */
  | {
      action: 'restore';
      identifier: string;
      isCluster: boolean;
      task: Task;
      snapshotIdentifier?: string;
      /** A restore to a point in time: this time (UTC ISO 8601), or the latest restorable time. */
      restoreTime?: string;
      latest?: boolean;
      /** clone_from: the cluster to clone. */
      sourceIdentifier?: string;
      /** restore_copy: the new database's name, and whether it is kept. */
      targetIdentifier?: string;
      keep?: boolean;
      /** share_snapshot: the accounts, and the key to copy with. */
      shareWith?: string[];
      kmsKeyId?: string;
      /** The run's master password secret: a retry without it would leave the snapshot's password on the copy. */
      masterPasswordSecretArn?: string;
    }
  /** Release the database's lock, once a person has dealt with it. */
  | { action: 'unlock'; identifier: string; isCluster: boolean }
  /** Follow another run (the one holding the database) to its end. */
  | { action: 'follow'; runId: string };

export type RestoreRemedy = Extract<Remedy, { action: 'restore' }>;

/**
 * The restore a run asked for, to request it again after a failure that changed nothing. A snapshot task names a
 * run-unique snapshot of its own: only a db_restore names the one it restores.
 */
export const retryRemedy = (run: {
  identifier: string;
  kind: DbKind;
  task: string;
  snapshotIdentifier?: string;
  restorePoint?: RestorePoint;
  cloneSource?: string;
  rehearsal?: { targetIdentifier: string; keep: boolean };
  share?: { accounts: string[]; kmsKeyId?: string };
  masterPasswordSecretArn?: string;
}): RestoreRemedy => ({
  action: 'restore',
  identifier: run.identifier,
  isCluster: run.kind === 'cluster',
  task: TASKS.find((t) => t === run.task) ?? 'create_snapshot',
  ...((run.task === 'db_restore' || run.task === 'restore_copy') &&
  run.snapshotIdentifier &&
  run.snapshotIdentifier !== `${run.identifier}-snapshot`
    ? { snapshotIdentifier: run.snapshotIdentifier }
    : {}),
  ...(run.restorePoint?.time ? { restoreTime: run.restorePoint.time } : {}),
  ...(run.restorePoint?.latest ? { latest: true } : {}),
  ...(run.cloneSource ? { sourceIdentifier: run.cloneSource } : {}),
  ...(run.rehearsal ? { targetIdentifier: run.rehearsal.targetIdentifier } : {}),
  ...(run.rehearsal?.keep ? { keep: true } : {}),
  ...(run.share ? { shareWith: run.share.accounts } : {}),
  ...(run.share?.kmsKeyId ? { kmsKeyId: run.share.kmsKeyId } : {}),
  ...(run.masterPasswordSecretArn ? { masterPasswordSecretArn: run.masterPasswordSecretArn } : {}),
});

/**
 * The remedy as a command to copy; `flags` selects the target (`--local`, `--stage prod`).
 *
 * @example
 * remedyCommand({ action: 'unlock', identifier: 'orders-db', isCluster: false }, '--stage prod')
 * // 'npx trapheus unlock orders-db --stage prod'
 */
export const remedyCommand = (remedy: Remedy, flags: string): string => {
  const tail = flags ? ` ${flags}` : '';
  switch (remedy.action) {
    case 'restore':
      // The CLI has no flag for the master password secret: say so rather than drop it silently.
      return `npx trapheus restore ${remedy.identifier}${remedy.isCluster ? ' --cluster' : ''} --task ${remedy.task}${remedy.snapshotIdentifier ? ` --snapshot ${remedy.snapshotIdentifier}` : ''}${remedy.restoreTime ? ` --restore-time ${remedy.restoreTime}` : ''}${remedy.latest ? ' --latest' : ''}${remedy.sourceIdentifier ? ` --source ${remedy.sourceIdentifier}` : ''}${remedy.targetIdentifier ? ` --target ${remedy.targetIdentifier}` : ''}${remedy.keep ? ' --keep' : ''}${remedy.shareWith ? ` --share-with ${remedy.shareWith.join(',')}` : ''}${remedy.kmsKeyId ? ` --kms-key-id ${remedy.kmsKeyId}` : ''}${remedy.masterPasswordSecretArn ? ` --master-password-secret-arn ${remedy.masterPasswordSecretArn}` : ''}${tail}`;
    case 'unlock':
      return `npx trapheus unlock ${remedy.identifier}${remedy.isCluster ? ' --cluster' : ''}${tail}`;
    case 'follow':
      return `npx trapheus status ${remedy.runId} --wait${tail}`;
  }
};

/** The remedy for someone who sends events rather than using the CLI (alerts): the fields of a new request. */
export const remedyRequest = (remedy: Remedy): string | undefined =>
  remedy.action === 'restore'
    ? `a RestoreRequested with ${JSON.stringify({
        identifier: remedy.identifier,
        isCluster: remedy.isCluster,
        task: remedy.task,
        ...(remedy.snapshotIdentifier ? { snapshotIdentifier: remedy.snapshotIdentifier } : {}),
        ...(remedy.restoreTime ? { restoreTime: remedy.restoreTime } : {}),
        ...(remedy.latest ? { latest: true } : {}),
        ...(remedy.sourceIdentifier ? { sourceIdentifier: remedy.sourceIdentifier } : {}),
        ...(remedy.targetIdentifier ? { targetIdentifier: remedy.targetIdentifier } : {}),
        ...(remedy.keep ? { keep: true } : {}),
        ...(remedy.shareWith ? { shareWith: remedy.shareWith } : {}),
        ...(remedy.kmsKeyId ? { kmsKeyId: remedy.kmsKeyId } : {}),
        ...(remedy.masterPasswordSecretArn
          ? { masterPasswordSecretArn: remedy.masterPasswordSecretArn }
          : {}),
      })} and a new requestId`
    : undefined;

/**
 * The CLI command that requests the same restore again (for alerts after a failure that changed nothing); the
 * target (`--stage …` or `--local`) is the reader's.
 *
 * @example
 * retryCommand(run) // 'npx trapheus restore orders-db --task create_snapshot'
 */
export const retryCommand = (run: {
  identifier: string;
  kind: DbKind;
  task: string;
  snapshotIdentifier?: string;
}): string => remedyCommand(retryRemedy(run), '');

/**
 * The window during which nothing answered under the database's name, from the run's progress markers: from the
 * original's rename request to the copy answering under the name (or the original again, after a rollback).
 *
 * @example
 * downtimeOf(run) // { from: '…', to: '…', seconds: 412 } (to undefined while it lasts)
 */
export const downtimeOf = (
  run: Pick<Run, 'progress'>,
): { from: string; to?: string; seconds?: number } | undefined => {
  const from = run.progress.downtimeStartedAt;
  if (typeof from !== 'string') return undefined;
  const to = run.progress.downtimeEndedAt;
  if (typeof to !== 'string') return { from };
  return { from, to, seconds: Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000) };
};
