/**
 * Waiting for RDS without sleeping (docs/design.md §4): a wait is a record in the run (what, until when) plus one
 * live check-back message on the worker's own queue. RDS events make the worker look earlier; a check-back
 * that finds nothing done yet schedules the next one (wait-schedule.ts: 1.5× later for a wait an RDS event ends,
 * densely while an event-less rename or modify is expected to finish), paced to the fleet's Describe budget
 * (check-back-pacer.ts); past the deadline the step fails.
 */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { CheckBackPacer } from './check-back-pacer';
import type { ResourceType, Run, RunWait } from './run';
import { waitKeyOf } from './run';
import type { RunRepository } from './run-repository';
import { checkBackBody, type DeferredRdsEvent, nudgeBody, type Signal } from './signals';
import { backoffDelay, describesPerLook, eventlessChangeOf, nextLookSeconds } from './wait-schedule';

export interface WaitTiming {
  baseSeconds: number;
  maxSeconds: number;
  deadlineMinutes: number;
  graceSeconds: number;
  /** Spacing of the looks at an event-less rename or modify while it is expected to finish. */
  denseSeconds?: number;
  /**
   * Seconds of the stack's clock per wall-clock second: 1 on AWS; the local stack's time scale there, whose SQS
   * delays (the check-backs) are divided by it, so a wait's elapsed time is measured on the same clock.
   */
  timeScale?: number;
}

export class DeadlineExceededError extends Error {
  constructor(readonly wait: RunWait) {
    super(
      `gave up waiting for ${wait.resourceType} ${wait.identifier} to be ${wait.target} (deadline ${wait.deadline})`,
    );
    this.name = 'DeadlineExceededError';
  }
}

/** Delay of check-back number `attempt` (0-based) of an event-driven wait: base × 1.5^attempt, at most max (SQS allows 900 s). */
export const checkBackDelay = backoffDelay;

/** Default spacing of the looks at an event-less wait (CHECK_BACK_DENSE_SECONDS). */
export const DEFAULT_DENSE_SECONDS = 8;

export interface WaitTarget {
  resourceType: ResourceType;
  identifier: string;
  /** In words, for people and logs: `available`, `deleted`. */
  target: string;
}

export interface WaitOptions {
  /** The wait's deadline (ISO 8601) instead of the step deadline: a person's timeout (the verify timeout). */
  deadline?: string;
}

/**
 * @example
 * const waiter = buildWaiter({ runs, sqs, queueUrl, timing });
 * run = await waiter.start(run, { resourceType: 'db-instance', identifier: 'orders-db', target: 'available' });
 */
export const buildWaiter = ({
  runs,
  sqs,
  queueUrl,
  timing,
  pacer,
  now = () => new Date(),
}: {
  runs: RunRepository;
  sqs: SQSClient;
  queueUrl: string;
  timing: WaitTiming;
  /** Paces check-backs to the fleet's budget; none: each goes at its own time. */
  pacer?: CheckBackPacer;
  now?: () => Date;
}) => {
  /**
   * Sends the check-back `wantedSeconds` from now, later if the fleet's budget for that second is spent (never later
   * than `maxSeconds`); the delay used. The pacer is a courtesy: if it fails (DynamoDB throttled), the check-back goes
   * at the wanted time rather than failing the step.
   */
  const send = async (
    run: Run,
    what: WaitTarget,
    seq: number,
    wantedSeconds: number,
    maxSeconds = 900,
  ): Promise<number> => {
    const runId = run.runId;
    let delaySeconds = wantedSeconds;
    if (pacer) {
      try {
        delaySeconds = await pacer.pace(wantedSeconds, maxSeconds, describesPerLook(run.step, what));
      } catch {
        delaySeconds = wantedSeconds;
      }
    }
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: checkBackBody(runId, seq),
        DelaySeconds: delaySeconds,
      }),
    );
    return delaySeconds;
  };

  const at = (secondsFromNow: number) => new Date(now().getTime() + secondsFromNow * 1000).toISOString();
  const schedule = {
    baseSeconds: timing.baseSeconds,
    maxSeconds: timing.maxSeconds,
    denseSeconds: timing.denseSeconds ?? DEFAULT_DENSE_SECONDS,
  };
  /** Seconds until the next look at the wait, by its kind (wait-schedule.ts). */
  const lookAfter = (run: Run, what: WaitTarget, since: string, attempt: number) =>
    nextLookSeconds({
      change: eventlessChangeOf(run.step, what),
      elapsedSeconds: ((now().getTime() - Date.parse(since)) / 1000) * (timing.timeScale ?? 1),
      attempt,
      timing: schedule,
    });

  return {
    /** Starts waiting on a resource (keeping the deadline when it is the same wait) and arms a check-back. */
    async start(run: Run, what: WaitTarget, opts: WaitOptions = {}): Promise<Run> {
      const same =
        run.wait?.resourceType === what.resourceType &&
        run.wait.identifier === what.identifier &&
        run.wait.target === what.target;
      const seq = (run.wait?.checkSeq ?? run.lastCheckSeq ?? 0) + 1;
      const since = same && run.wait ? run.wait.since : now().toISOString();
      // The check-back goes out before the wait is recorded: if the send fails, nothing changed and the retried
      // message is still the live one; if the write fails, the early check-back is simply not live.
      const delay = await send(run, what, seq, lookAfter(run, what, since, 0));
      const wait: RunWait = {
        ...what,
        since,
        deadline: same && run.wait ? run.wait.deadline : (opts.deadline ?? at(timing.deadlineMinutes * 60)),
        checkSeq: seq,
        attempt: 0,
        nextCheckAt: at(delay),
      };
      return runs.update(run, {
        wait,
        waitKey: waitKeyOf(what.resourceType, what.identifier),
      });
    },

    /**
     * The awaited state is not there yet. Throws DeadlineExceededError past the deadline; re-arms the
     * check-back when this signal is the live check-back, or when the live one is overdue (lost).
     */
    async notYet(run: Run, signal: Signal): Promise<Run> {
      const wait = run.wait;
      if (!wait) return run;
      if (now().toISOString() > wait.deadline) throw new DeadlineExceededError(wait);
      const isLive = signal.kind === 'check-back' && signal.seq === wait.checkSeq;
      const overdue = now().getTime() > new Date(wait.nextCheckAt).getTime() + timing.graceSeconds * 1000;
      if (!isLive && !overdue) return run;
      const attempt = wait.attempt + 1;
      // Never check back much later than the deadline: a short wait (a verify timeout) fails on time.
      const untilDeadline = Math.ceil((new Date(wait.deadline).getTime() - now().getTime()) / 1000) + 1;
      const wanted = Math.max(1, Math.min(lookAfter(run, wait, wait.since, attempt), untilDeadline));
      const delay = await send(run, wait, wait.checkSeq + 1, wanted, Math.max(wanted, untilDeadline));
      const next: RunWait = { ...wait, attempt, checkSeq: wait.checkSeq + 1, nextCheckAt: at(delay) };
      const updated = await runs.update(run, { wait: next });
      return updated;
    },

    /** Waits on `what`: starts the wait if it is a new one, otherwise as `notYet`. */
    async waitFor(run: Run, what: WaitTarget, signal: Signal, opts: WaitOptions = {}): Promise<Run> {
      const same =
        run.wait?.resourceType === what.resourceType &&
        run.wait.identifier === what.identifier &&
        run.wait.target === what.target;
      return same ? this.notYet(run, signal) : this.start(run, what, opts);
    },

    /**
     * Asks this worker to look at the run again in `delaySeconds` (its lease was taken by another reconciler). A
     * check-back that found the run busy is sent again as itself (same sequence): it may be the live one of the
     * wait, and the chain must not break because another reconciler held the run at that moment. An RDS event's look
     * goes on carrying the event.
     */
    async nudge(
      runId: string,
      delaySeconds: number,
      checkBackSeq?: number,
      event?: DeferredRdsEvent,
    ): Promise<void> {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody:
            checkBackSeq === undefined ? nudgeBody(runId, event) : checkBackBody(runId, checkBackSeq),
          DelaySeconds: delaySeconds,
        }),
      );
    },

    /**
     * An RDS event asks to look at a run now. The look uses the second's budget like a check-back: true when the
     * second has room; otherwise the look is sent on as a nudge at the next second with room, carrying the event (the
     * wait it ends counts as ended by it), and false.
     */
    async admitLook(run: Pick<Run, 'runId' | 'step' | 'wait'>, event?: DeferredRdsEvent): Promise<boolean> {
      if (!pacer) return true;
      const runId = run.runId;
      const cost = describesPerLook(run.step, run.wait);
      let delay: number;
      try {
        if (await pacer.takeNow(cost)) return true;
        delay = await pacer.pace(1, 900, cost);
      } catch {
        return true; // the pacer is a courtesy: look now rather than lose the event
      }
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: nudgeBody(runId, event),
          DelaySeconds: delay,
        }),
      );
      return false;
    },

    /** Whether a check-back is the live one of this run (older ones are dropped unread). */
    isLiveCheckBack(run: Run, seq: number): boolean {
      return run.wait?.checkSeq === seq;
    },
  };
};

export type Waiter = ReturnType<typeof buildWaiter>;
