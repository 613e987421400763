/**
 * When to look again at a wait RDS will not announce (docs/design.md §4).
 *
 * Most waits end on an RDS event (a snapshot created, an instance restored or deleted, a cluster renamed): a
 * check-back is only the safety net there, so it backs off (base × 1.5ⁿ). Two kinds of change end with no event at
 * all — an instance rename (ModifyDBInstance NewDBInstanceIdentifier) and the settings of a ModifyDBInstance
 * (RDS User Guide, "Amazon RDS event categories and event messages": no event marks either's end) — so for those
 * the check-back IS the signal, and the time from RDS finishing to the next step starting is the gap to the next
 * check-back. Those waits are looked at densely while the change is expected to finish, and the fleet's
 * check-backs are paced to a Describe budget (check-back-pacer.ts).
 *
 * AWS publishes no durations for either change; the expected windows below are this project's working figures
 * (a rename takes 1–10 minutes, a modify 1–15).
 */
import type { Step } from './run';

/** A change RDS ends without an event, whose wait is looked at densely. */
export type EventlessChange = 'rename' | 'modify';

export interface EventlessWindow {
  /** Before this, one look at most (the change rarely ends earlier). */
  earliestSeconds: number;
  /** Until this, looks every `denseSeconds`; past it, the gaps grow with the overrun. */
  latestSeconds: number;
}

/** Working figures: AWS documents no rename or modify duration. */
export const EVENTLESS_WINDOWS: Record<EventlessChange, EventlessWindow> = {
  rename: { earliestSeconds: 60, latestSeconds: 600 },
  modify: { earliestSeconds: 60, latestSeconds: 900 },
};

export interface ScheduleTiming {
  /** First check-back of an event-driven wait; each next one 1.5× later. */
  baseSeconds: number;
  /** No check-back later than this (SQS allows 900 s). */
  maxSeconds: number;
  /** Spacing of the looks at an event-less wait inside its expected window. */
  denseSeconds: number;
}

/**
 * The change a wait is waiting out when RDS announces its end with no event, or undefined when an event ends it.
 *
 * @example
 * eventlessChangeOf('SWAPPING', { resourceType: 'db-instance', target: 'available' }) // 'rename'
 * eventlessChangeOf('RESTORING', { resourceType: 'db-instance', target: 'available' }) // undefined (RDS-EVENT-0043)
 */
export const eventlessChangeOf = (
  step: Step,
  what: { resourceType: string; target: string },
): EventlessChange | undefined => {
  // A modify ends with no event, for an instance as for a cluster (ModifyDBCluster): the configure step's, and
  // the delete guard's lifting of deletion protection before a delete (`unprotected`).
  if (
    (what.target === 'configured' || what.target === 'unprotected') &&
    (what.resourceType === 'db-instance' || what.resourceType === 'db-cluster')
  )
    return 'modify';
  // Cluster renames (RDS-EVENT-0172), snapshots (0042/0075), creations (0005/0170/0043) and deletions (0003/0171)
  // are announced.
  if (what.resourceType !== 'db-instance' || what.target !== 'available') return undefined;
  switch (step) {
    // The original or a member renamed away, the copy renamed in, a name given back on rollback.
    case 'RENAMING':
    case 'SWAPPING':
    case 'ROLLING_BACK':
      return 'rename';
    case 'CONFIGURING':
      return 'modify';
    default:
      return undefined;
  }
};

/** Past its window, an event-less change is still looked at every 24 s at least (its end seen within half a minute). */
const OVERRUN_MAX_SECONDS = 24;

/** Delay of check-back number `attempt` (0-based) of an event-driven wait: base × 1.5^attempt, at most max. */
export const backoffDelay = (attempt: number, timing: Pick<ScheduleTiming, 'baseSeconds' | 'maxSeconds'>) =>
  Math.min(Math.round(timing.baseSeconds * 1.5 ** attempt), timing.maxSeconds, 900);

/**
 * Seconds until the next look at a wait.
 * - Event-driven (`change` undefined): base × 1.5^attempt.
 * - Event-less: the first look after `baseSeconds` (or at the window's start, if sooner), then one at the window's
 *   start, then every `denseSeconds` until its end, then a quarter of the overrun (a change running far longer than
 *   expected is looked at less often), at most 24 s.
 *
 * @example
 * nextLookSeconds({ change: 'rename', elapsedSeconds: 20, attempt: 1, timing }) // 40: the window starts at 60 s
 * nextLookSeconds({ change: 'rename', elapsedSeconds: 200, attempt: 5, timing }) // timing.denseSeconds
 */
export const nextLookSeconds = ({
  change,
  elapsedSeconds,
  attempt,
  timing,
}: {
  change: EventlessChange | undefined;
  elapsedSeconds: number;
  attempt: number;
  timing: ScheduleTiming;
}): number => {
  if (!change) return backoffDelay(attempt, timing);
  const cap = Math.min(timing.maxSeconds, 900);
  const window = EVENTLESS_WINDOWS[change];
  const e = Math.max(0, elapsedSeconds);
  const dense = Math.max(1, timing.denseSeconds);
  let delay: number;
  if (attempt === 0) delay = Math.min(timing.baseSeconds, Math.max(dense, window.earliestSeconds - e));
  else if (e < window.earliestSeconds - dense) delay = window.earliestSeconds - e;
  else if (e < window.latestSeconds) delay = dense;
  else delay = Math.max(dense, Math.min(OVERRUN_MAX_SECONDS, (e - window.latestSeconds) / 4));
  return Math.max(1, Math.min(Math.round(delay), cap));
};

/**
 * The RDS Describe calls one look at a wait makes, for the fleet's budget: a swap's look at an instance reads the
 * name, then the temp name, then the copy's side name (services/restore swapNames) while the names move; other
 * looks read the awaited resource once.
 *
 * @example
 * describesPerLook('SWAPPING', { resourceType: 'db-instance' }) // 3
 */
export const describesPerLook = (step: Step, what: { resourceType: string } | undefined): number =>
  step === 'SWAPPING' && what?.resourceType === 'db-instance' ? 3 : 1;
