/** `trapheus restore`: put a RestoreRequested, wait until it is accepted or rejected, optionally follow it. */
import { randomUUID } from 'node:crypto';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  buildRunRepository,
  createAwsClients,
  formatIssues,
  isTerminal,
  RestoreRequested,
  type Run,
  type RunRepository,
  restoreRequestedDetailSchema,
  runIdFor,
} from '@trapheus/shared';
import type { Target } from './target';

export interface RestoreOptions {
  identifier: string;
  cluster: boolean;
  task: string;
  snapshot?: string;
  requestId?: string;
  /** `swap` (default) or `rename_first`. */
  strategy?: string;
  wait: boolean;
  acceptTimeoutSeconds: number;
  waitTimeoutSeconds?: number;
  pollMs: number;
}

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** Exit codes of `restore --wait`. */
export const exitCodeFor = (step: Run['step']): number =>
  step === 'SUCCEEDED' ? 0 : step === 'ROLLED_BACK' ? 2 : 1;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls a run until `done(run)` or the timeout; returns the last run seen. */
const pollRun = async (
  runs: RunRepository,
  runId: string,
  pollMs: number,
  timeoutMs: number | undefined,
  onRun: (run: Run) => boolean,
): Promise<Run | undefined> => {
  const until = timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + timeoutMs;
  let last: Run | undefined;
  while (Date.now() < until) {
    last = await runs.get(runId);
    if (last && onRun(last)) return last;
    await sleep(pollMs);
  }
  return last;
};

export const restore = async (target: Target, opts: RestoreOptions, io: Io): Promise<number> => {
  const detail = {
    identifier: opts.identifier,
    task: opts.task,
    isCluster: opts.cluster,
    ...(opts.snapshot ? { snapshotIdentifier: opts.snapshot } : {}),
    requestId: opts.requestId ?? `cli-${randomUUID()}`,
    ...(opts.strategy ? { strategy: opts.strategy } : {}),
  };
  const parsed = restoreRequestedDetailSchema.safeParse(detail);
  if (!parsed.success) {
    io.err(`trapheus: invalid request: ${formatIssues(parsed.error.issues)}`);
    return 1;
  }
  const clients = createAwsClients({ region: target.region, env: target.env });
  const put = await clients.eventBridge.send(
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: target.busName,
          Source: RestoreRequested.source,
          DetailType: RestoreRequested.detailType,
          Detail: JSON.stringify(parsed.data),
        },
      ],
    }),
  );
  if ((put.FailedEntryCount ?? 0) > 0) {
    const entry = put.Entries?.[0];
    io.err(`trapheus: PutEvents rejected the request: ${entry?.ErrorCode} ${entry?.ErrorMessage}`);
    return 1;
  }
  const runId = runIdFor({ requestId: parsed.data.requestId });
  const runs = buildRunRepository({ dynamo: clients.dynamo, tableName: target.runsTable });
  io.err(`request sent to ${target.busName}; waiting for it to be accepted…`);
  const accepted = await pollRun(
    runs,
    runId,
    opts.pollMs,
    opts.acceptTimeoutSeconds * 1000,
    (r) => r.step !== 'REQUESTED',
  );
  if (!accepted || accepted.step === 'REQUESTED') {
    io.err(
      `trapheus: no answer within ${opts.acceptTimeoutSeconds}s (is the snapshot service deployed and the stack running?)`,
    );
    io.out(runId);
    return 1;
  }
  if (
    accepted.identifier !== parsed.data.identifier ||
    accepted.kind !== (parsed.data.isCluster ? 'cluster' : 'instance')
  ) {
    io.err(
      `trapheus: request rejected: requestId ${parsed.data.requestId} was already used by run ${runId} (${accepted.kind} ${accepted.identifier}); use a new requestId`,
    );
    return 1;
  }
  if (accepted.step === 'REJECTED') {
    io.err(
      `trapheus: request rejected: ${accepted.reason ?? accepted.failure?.message ?? 'no reason given'}`,
    );
    io.out(runId);
    return 1;
  }
  io.out(runId);
  if (!opts.wait) return 0;
  return follow(runs, runId, opts, io);
};

/** Prints each step as the run reaches it, with the time the previous step took; returns the exit code. */
export const follow = async (
  runs: RunRepository,
  runId: string,
  opts: Pick<RestoreOptions, 'pollMs' | 'waitTimeoutSeconds'>,
  io: Io,
): Promise<number> => {
  let printed = 0;
  let started: number | undefined;
  const show = (run: Run) => {
    for (; printed < run.history.length; printed++) {
      const entry = run.history[printed];
      if (!entry) break;
      const prev = run.history[printed - 1];
      const took = prev
        ? ` (${prev.step} took ${((Date.parse(entry.at) - Date.parse(prev.at)) / 1000).toFixed(1)}s)`
        : '';
      started ??= Date.parse(run.history[0]?.at ?? new Date().toISOString());
      const elapsed = ((Date.parse(entry.at) - started) / 1000).toFixed(1).padStart(6);
      io.err(`[${elapsed}s] ${entry.step}${took}${entry.note ? ` — ${entry.note}` : ''}`);
    }
  };
  const last = await pollRun(
    runs,
    runId,
    opts.pollMs,
    opts.waitTimeoutSeconds === undefined ? undefined : opts.waitTimeoutSeconds * 1000,
    (run) => {
      show(run);
      return isTerminal(run.step) && !run.active;
    },
  );
  if (!last || !isTerminal(last.step)) {
    io.err(
      `trapheus: run ${runId} is still at ${last?.step ?? 'unknown'}; stopped waiting (the run goes on: follow it with \`npx trapheus status ${runId}\`)`,
    );
    return 1;
  }
  if (last.failure) io.err(`failure: ${last.failure.step} ${last.failure.code}: ${last.failure.message}`);
  if (last.reason) io.err(`reason: ${last.reason}`);
  if (typeof last.progress.databaseState === 'string') io.err(`database: ${last.progress.databaseState}`);
  io.err(`run ${runId} ended ${last.step}`);
  return exitCodeFor(last.step);
};
