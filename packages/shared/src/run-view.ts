/**
 * The data of one run's view, for `trapheus status --json` and the web UI (`trapheus ui`): the stored run plus
 * what people ask about it, worked out once. Read-only: a Get on the runs table and a Scan of notify's deliveries
 * table filtered on the run (that table has only its `pk` key, and keeps items 30 days).
 */
import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { errorCode, errorMessage } from './errors';
import {
  downtimeOf,
  type Remedy,
  type ResourceType,
  type Run,
  remedyCommand,
  retryRemedy,
  type Step,
} from './run';
import { holdsLockWhenDone, type RunRepository } from './run-repository';
import type { EndedWait, WaitEndedBy } from './run-trace';

export interface RunViewStep {
  step: Step;
  startedAt: string;
  /** When the next step began; absent for the current (or final) step. */
  endedAt?: string;
  seconds?: number;
  note?: string;
}

export interface RunViewWait {
  step: Step;
  resourceType: ResourceType;
  identifier: string;
  target: string;
  since: string;
  /** Absent for the run's current wait. */
  endedAt?: string;
  endedBy?: WaitEndedBy;
  /** The RDS event's own time (endedBy `rds-event`). */
  signalAt?: string;
  /** endedAt − signalAt: how long after RDS said so the run moved on. */
  gapSeconds?: number;
  /** The current wait only: when it gives up, and when it looks again at the latest. */
  deadline?: string;
  nextCheckAt?: string;
}

export interface RunViewCall {
  at: string;
  service: string;
  action: string;
  target?: string;
  /** The error code when RDS refused the call. */
  error?: string;
}

export interface RunViewNotification {
  /** `email` or `slack`. */
  channel: string;
  /** Slack: the webhook's id (a hash of its URL, never the URL); e-mail: absent (recipients are not recorded). */
  target?: string;
  /** `sent`; `pending` (being sent); `failed` (a sender claimed it and died: a retry may still take it over). */
  status: 'sent' | 'pending' | 'failed';
  /** When it was sent, or claimed. */
  at?: string;
  /** The run's outcome the message was about (`FAILED`, `ROLLED_BACK`, …). */
  step?: string;
  /** `run` (the run's outcome), `export` (an export failure), `export-complete`. */
  about: 'run' | 'export' | 'export-complete';
}

export interface RunViewFailure {
  step: Step;
  code: string;
  message: string;
  /** What a person should do next, in sentences and commands (with the caller's target flags). */
  advice: string[];
}

export interface RunView {
  /** The stored run, as it is in the runs table. */
  run: Run;
  steps: RunViewStep[];
  /** Finished waits, oldest first, then the current one (no endedAt). */
  waits: RunViewWait[];
  /** The mutating RDS calls the run made, oldest first (Describe and List calls are not recorded). */
  calls: RunViewCall[];
  /** The run's oldest waits and calls were not read (a very long trace: the last MAX_TRACE_SEGMENTS segments). */
  traceTruncated?: boolean;
  notifications: RunViewNotification[];
  /** Why the deliveries could not be read (no access, …); a missing deliveries table is no error (none). */
  notificationsError?: string;
  failure?: RunViewFailure;
  /** What a person can do next, as commands (also for a run that did not fail, e.g. REJECTED or a held lock). */
  next: string[];
  downtime?: { from: string; to?: string; seconds?: number };
}

export interface RunViewDeps {
  runs: Pick<RunRepository, 'get' | 'getTrace'>;
  dynamo: DynamoDBDocumentClient;
  runsTable: string;
  /** notify's deliveries table (`deliveriesTableFor(runsTable)`); without it `notifications` is empty. */
  deliveriesTable?: string;
  /** The target flags put into suggested commands (`--local`, `--stage prod`); default `--stage <stage>`. */
  flags?: string;
}

/**
 * notify's deliveries table of the deployment whose runs table is `runsTable` (same stage).
 *
 * @example
 * deliveriesTableFor('trapheus-runs-prod') // 'trapheus-notify-deliveries-prod'
 */
export const deliveriesTableFor = (runsTable: string): string | undefined => {
  const stage = /^trapheus-runs-(.+)$/.exec(runsTable)?.[1];
  return stage ? `trapheus-notify-deliveries-${stage}` : undefined;
};

const secondsBetween = (from: string, to: string): number =>
  Math.round(Date.parse(to) - Date.parse(from)) / 1000;

/** One entry per history entry: when the step started and ended. */
export const runViewSteps = (run: Pick<Run, 'history'>): RunViewStep[] =>
  run.history.map((entry, i) => {
    const next = run.history[i + 1];
    return {
      step: entry.step,
      startedAt: entry.at,
      ...(next ? { endedAt: next.at, seconds: secondsBetween(entry.at, next.at) } : {}),
      ...(entry.note ? { note: entry.note } : {}),
    };
  });

/** The finished waits, then the current one. */
export const runViewWaits = (
  run: Pick<Run, 'wait' | 'step'>,
  ended: readonly EndedWait[] = [],
): RunViewWait[] => [
  ...ended.map(({ eventId: _eventId, ...w }) => ({
    ...w,
    ...(w.signalAt && Number.isFinite(Date.parse(w.signalAt))
      ? { gapSeconds: Math.max(0, secondsBetween(w.signalAt, w.endedAt)) }
      : {}),
  })),
  ...(run.wait
    ? [
        {
          step: run.step,
          resourceType: run.wait.resourceType,
          identifier: run.wait.identifier,
          target: run.wait.target,
          since: run.wait.since,
          deadline: run.wait.deadline,
          nextCheckAt: run.wait.nextCheckAt,
        },
      ]
    : []),
];

/** What a person can do about a run that stopped (the same rules as `trapheus status`). */
export const remediesOfRun = (run: Run): Remedy[] => [
  ...(run.remedy ? [run.remedy] : run.step === 'ROLLED_BACK' ? [retryRemedy(run)] : []),
  ...(holdsLockWhenDone(run)
    ? [{ action: 'unlock' as const, identifier: run.identifier, isCluster: run.kind === 'cluster' }]
    : []),
];

/**
 * `next: <command>` lines a user can copy, with the target flags they use. After a failure a retry waits for the
 * cause to be fixed; an unlock waits for a person.
 */
export const nextLines = (remedies: Remedy[], flags: string, afterFailure = false): string[] =>
  remedies.map((r) => {
    const when =
      r.action === 'unlock'
        ? ' (once a person has sorted the database out)'
        : r.action === 'restore' && afterFailure
          ? ' (once the cause is fixed)'
          : '';
    return `next${when}: ${remedyCommand(r, flags)}`;
  });

const nextOf = (run: Run, flags: string): string[] =>
  nextLines(remediesOfRun(run), flags, run.step !== 'REJECTED');

const stateOf = (run: Run): string[] => {
  switch (run.step) {
    case 'ROLLED_BACK':
      return [`The original answers under ${run.identifier} again, unchanged, and is not locked.`];
    case 'FAILED':
      return holdsLockWhenDone(run)
        ? [
            `The rollback did not finish: ${run.identifier} is locked until a person has checked the database${run.tempIdentifier ? ` (the original may still be named ${run.tempIdentifier})` : ''}.`,
          ]
        : [`Nothing was changed; ${run.identifier} is not locked.`];
    case 'CLEANUP_FAILED':
      return run.tempIdentifier
        ? [
            `The restored copy answers under ${run.identifier}; the old original was kept as ${run.tempIdentifier}: check it, then delete it.`,
          ]
        : [];
    default:
      return [];
  }
};

const failureOf = (run: Run, next: string[]): RunViewFailure | undefined => {
  if (!run.failure) return undefined;
  const { step, code, message } = run.failure;
  return {
    step,
    code,
    message,
    advice: [...stateOf(run), ...(run.reason ? [run.reason] : []), ...next],
  };
};

const notificationOf = (item: Record<string, unknown>, now: number): RunViewNotification | undefined => {
  const raw = typeof item.channel === 'string' ? item.channel : undefined;
  if (!raw) return undefined;
  const about = raw.startsWith('export-complete#')
    ? 'export-complete'
    : raw.startsWith('export#')
      ? 'export'
      : 'run';
  const bare = about === 'run' ? raw : raw.slice(raw.indexOf('#') + 1);
  const [channel = bare, target] = bare.split('#');
  const sent = item.status === 'sent';
  const expired = typeof item.claimExpiresAt === 'number' && item.claimExpiresAt < now;
  const at = sent ? item.sentAt : item.claimedAt;
  return {
    channel,
    ...(target ? { target } : {}),
    status: sent ? 'sent' : expired ? 'failed' : 'pending',
    ...(typeof at === 'string' ? { at } : {}),
    ...(typeof item.step === 'string' ? { step: item.step } : {}),
    about,
  };
};

/** The deliveries notify recorded for the run (only the fields above: never a webhook URL). */
export const runNotifications = async (
  dynamo: DynamoDBDocumentClient,
  tableName: string,
  runId: string,
  now = Date.now(),
): Promise<RunViewNotification[]> => {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await dynamo.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: 'runId = :r',
        ExpressionAttributeValues: { ':r': runId },
        ProjectionExpression: 'runId, step, channel, #status, sentAt, claimedAt, claimExpiresAt',
        ExpressionAttributeNames: { '#status': 'status' },
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    items.push(...((out.Items ?? []) as Record<string, unknown>[]));
    start = out.LastEvaluatedKey;
  } while (start);
  return items
    .map((item) => notificationOf(item, now))
    .filter((n): n is RunViewNotification => n !== undefined)
    .sort(
      (a, b) =>
        (a.at ?? '').localeCompare(b.at ?? '') ||
        a.channel.localeCompare(b.channel) ||
        (a.target ?? '').localeCompare(b.target ?? ''),
    );
};

/**
 * Assembles the view of one run from the runs table (and notify's deliveries table when given).
 *
 * @example
 * const view = await buildRunView({ runs, dynamo, runsTable, deliveriesTable: deliveriesTableFor(runsTable) }, runId);
 */
export const buildRunView = async (deps: RunViewDeps, runId: string): Promise<RunView | undefined> => {
  const run = await deps.runs.get(runId);
  if (!run) return undefined;
  const flags = deps.flags ?? '--stage <stage>';
  const next = nextOf(run, flags);
  const failure = failureOf(run, next);
  const downtime = downtimeOf(run);
  const trace = await deps.runs.getTrace(run);
  let notifications: RunViewNotification[] = [];
  let notificationsError: string | undefined;
  if (deps.deliveriesTable) {
    try {
      notifications = await runNotifications(deps.dynamo, deps.deliveriesTable, run.runId);
    } catch (err) {
      // No notify deployed: no deliveries. Anything else is said, without hiding the rest of the view.
      if (errorCode(err) !== 'ResourceNotFoundException') {
        notificationsError = `${deps.deliveriesTable}: ${errorCode(err)}: ${errorMessage(err)}`;
      }
    }
  }
  return {
    run,
    steps: runViewSteps(run),
    waits: runViewWaits(run, trace.waits),
    calls: trace.calls.map((c) => ({ ...c })),
    ...(trace.truncated ? { traceTruncated: true } : {}),
    notifications,
    ...(notificationsError ? { notificationsError } : {}),
    ...(failure ? { failure } : {}),
    next,
    ...(downtime ? { downtime } : {}),
  };
};
