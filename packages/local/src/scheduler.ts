/**
 * EventBridge Scheduler, locally: fires the enabled schedules of `trapheus.config.yml` on the stack's clock and puts
 * each firing's RestoreRequested on the project bus, as the deployed AWS::Scheduler::Schedule target does
 * (source `trapheus`, detail-type `RestoreRequested`, the target Input with `<aws.scheduler.scheduled-time>`
 * filled in).
 *
 * The stack's clock runs `timeScale` times faster than the wall clock from the moment the scheduler starts: a
 * `rate(1 minute)` schedule fires every 100 ms at time scale 600, and a cron schedule's wait until its next firing
 * (in its time zone) is divided the same way. Rate schedules count from the start (Scheduler counts from the
 * schedule's creation).
 */
import { firedDetail, nextFirings, RestoreRequested, type ScheduleEntry } from '@trapheus/shared';
import type { EventBridgeEvent } from './bus';

export interface Firing {
  schedule: string;
  /** When the firing was due, on the stack's clock. */
  scheduledTime: string;
  eventId: string;
}

export interface LocalScheduler {
  /** The enabled schedules being fired. */
  schedules: readonly string[];
  fired(): Firing[];
  stop(): void;
}

export interface LocalSchedulerOptions {
  entries: readonly ScheduleEntry[];
  timeScale: number;
  /** Puts one event on the project bus; returns its id. */
  publish: (event: EventBridgeEvent) => string;
  account: string;
  region: string;
  /** Wall clock (ms); default Date.now. */
  now?: () => number;
}

/** Longest single timer (setTimeout's limit is 2^31-1 ms); a longer wait re-arms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export const startLocalScheduler = (opts: LocalSchedulerOptions): LocalScheduler => {
  const now = opts.now ?? Date.now;
  const t0 = now();
  const stackTime = () => t0 + (now() - t0) * opts.timeScale;
  const timers = new Set<NodeJS.Timeout>();
  const fired: Firing[] = [];
  let stopped = false;

  const arm = (entry: ScheduleEntry, after: number) => {
    const next = nextFirings(entry, 1, new Date(after), new Date(t0))[0];
    if (!next || stopped) return;
    const wait = (next.getTime() - stackTime()) / opts.timeScale;
    const t = setTimeout(
      () => {
        timers.delete(t);
        if (stopped) return;
        if (stackTime() < next.getTime()) return arm(entry, after); // a wait longer than one timer
        const eventId = opts.publish({
          source: RestoreRequested.source,
          'detail-type': RestoreRequested.detailType,
          account: opts.account,
          region: opts.region,
          time: new Date(stackTime()).toISOString(),
          resources: [],
          detail: firedDetail(entry, next),
        });
        fired.push({ schedule: entry.name, scheduledTime: next.toISOString(), eventId });
        arm(entry, next.getTime());
      },
      Math.min(Math.max(0, wait), MAX_TIMER_MS),
    );
    t.unref();
    timers.add(t);
  };

  const enabled = opts.entries.filter((e) => e.enabled);
  for (const entry of enabled) arm(entry, t0);
  return {
    schedules: enabled.map((e) => e.name),
    fired: () => [...fired],
    stop: () => {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
};
