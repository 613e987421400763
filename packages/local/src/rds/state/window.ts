/**
 * The point-in-time restore window of an instance or cluster: `LatestRestorableTime` (both) and
 * `EarliestRestorableTime` (clusters; for instances `DBInstanceAutomatedBackup.RestoreWindow.EarliestTime`).
 */
import type { ClusterRecord, InstanceRecord, Store } from './store';

/**
 * RDS User Guide, "Restoring a DB instance to a specified time" (USER_PIT): the latest restorable time is "typically
 * within 5 minutes of the current time". The simulator uses 5 simulated minutes, divided by its time scale like every
 * other duration.
 */
export const LATEST_RESTORABLE_LAG_SECONDS = 300;

const DAY_MS = 24 * 60 * 60 * 1000;

/** Real milliseconds between now and LatestRestorableTime at `timeScale` (300 simulated seconds). */
export function latestRestorableLagMs(timeScale: number): number {
  if (!(timeScale > 0)) throw new Error('timeScale must be > 0');
  return (LATEST_RESTORABLE_LAG_SECONDS * 1000) / timeScale;
}

export interface RestorableWindow {
  earliest: Date;
  latest: Date;
}

/**
 * Whole seconds, as RDS reports these times (a client that echoes one back, or drops its milliseconds, gets the same
 * instant). Rounded down: the latest time is never in the future, and the earliest may precede the creation by under
 * a second.
 */
const floorToSecond = (ms: number): number => Math.floor(ms / 1000) * 1000;

/**
 * The restorable window at `nowMs`: none without automated backups (retention 0). Earliest: when backups started
 * (creation), but never more than `retentionDays` days back; latest: now minus the lag, never before the earliest.
 * Both in whole seconds, rounded down. Retention days are calendar days (wall clock), not scaled by the time scale.
 *
 * @example
 * restorableWindow({ since: rec.props.InstanceCreateTime, retentionDays: 7, timeScale: 600 })
 * // → { earliest: <creation>, latest: <now - 500 ms> }
 */
export function restorableWindow(opts: {
  /** When automated backups started: the creation time (ISO string or epoch ms). */
  since: string | number;
  retentionDays: number;
  timeScale: number;
  nowMs?: number;
}): RestorableWindow | undefined {
  if (!(opts.retentionDays > 0)) return undefined;
  const now = opts.nowMs ?? Date.now();
  const since = typeof opts.since === 'number' ? opts.since : Date.parse(opts.since);
  const earliest = floorToSecond(
    Math.max(Number.isNaN(since) ? now : since, now - opts.retentionDays * DAY_MS),
  );
  const latest = Math.max(earliest, floorToSecond(now - latestRestorableLagMs(opts.timeScale)));
  return { earliest: new Date(earliest), latest: new Date(latest) };
}

/**
 * The window of a DB instance, or none: none while it is being created (no backup yet), with retention 0, or for an
 * Aurora instance ("The retention period for automated backups is managed by the DB cluster", RDS API reference,
 * CreateDBInstance BackupRetentionPeriod).
 */
export function instanceWindow(
  store: Store,
  rec: InstanceRecord,
  nowMs?: number,
): RestorableWindow | undefined {
  const p = rec.props;
  if (p.DBInstanceStatus === 'creating' || p.DBClusterIdentifier !== undefined) return undefined;
  return restorableWindow({
    since: rec.backupsSinceMs ?? p.InstanceCreateTime,
    retentionDays: p.BackupRetentionPeriod,
    timeScale: store.timeScale,
    nowMs,
  });
}

/** The window of a DB cluster, or none while it is being created. */
export function clusterWindow(
  store: Store,
  rec: ClusterRecord,
  nowMs?: number,
): RestorableWindow | undefined {
  const p = rec.props;
  if (p.Status === 'creating') return undefined;
  return restorableWindow({
    since: p.ClusterCreateTime,
    retentionDays: p.BackupRetentionPeriod,
    timeScale: store.timeScale,
    nowMs,
  });
}
