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
  retryRemedy,
  runIdFor,
} from '@trapheus/shared';
import { EXIT, exitCodeFor } from './exit-codes';
import { createProgress, type ProgressStream } from './progress';
import { awaitedText, nextLines, remediesOf } from './runs-view';
import type { Target } from './target';

export interface RestoreOptions {
  identifier: string;
  cluster: boolean;
  task: string;
  snapshot?: string;
  /** db_restore to this point in time (ISO 8601 with a zone), or to the latest restorable time. */
  restoreTime?: string;
  latest?: boolean;
  /** clone_from: the cluster to clone. */
  sourceIdentifier?: string;
  /** restore_copy: the new database, and whether it is kept. */
  targetIdentifier?: string;
  keep?: boolean;
  /** share_snapshot: the accounts, and the key to copy with first. */
  shareWith?: string[];
  kmsKeyId?: string;
  requestId?: string;
  /** `swap` (default) or `rename_first`. */
  strategy?: string;
  /** Also export the run's fresh snapshot to S3 (snapshot tasks). */
  export?: boolean;
  /** The Secrets Manager secret whose password the copy's master user gets. */
  masterPasswordSecretArn?: string;
  /** Hooks that check the copy before it is committed (VERIFYING), and how long they have. */
  verify?: { hooks: string[]; timeoutMinutes?: number };
  wait: boolean;
  acceptTimeoutSeconds: number;
  waitTimeoutSeconds?: number;
  pollMs: number;
}

export interface Io {
  /** What a script reads: a runId, JSON. */
  out: (line: string) => void;
  /** Messages for people. */
  err: (line: string) => void;
  /** Where `--wait` draws its progress (a spinner on a terminal); without it, progress goes to `err` as lines. */
  errStream?: ProgressStream;
  env?: NodeJS.ProcessEnv;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls a run until `done(run)` or the timeout; returns the last run seen. */
const pollRun = async (
  runs: Pick<RunRepository, 'get'>,
  runId: string,
  pollMs: number,
  timeoutMs: number | undefined,
  onRun: (run: Run | undefined) => boolean,
): Promise<Run | undefined> => {
  const until = timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + timeoutMs;
  let last: Run | undefined;
  while (Date.now() < until) {
    last = await runs.get(runId);
    if (onRun(last)) return last;
    await sleep(pollMs);
  }
  return last;
};

/**
 * Sends the request and reports on it. `target` may be a function, resolved only once the request is valid: a bad
 * request is a usage error (64) whether or not the target answers.
 */
export const restore = async (
  targetOrResolve: Target | (() => Promise<Target>),
  opts: RestoreOptions,
  io: Io,
): Promise<number> => {
  const detail = {
    identifier: opts.identifier,
    task: opts.task,
    isCluster: opts.cluster,
    ...(opts.snapshot ? { snapshotIdentifier: opts.snapshot } : {}),
    ...(opts.restoreTime ? { restoreTime: opts.restoreTime } : {}),
    ...(opts.latest ? { latest: true } : {}),
    ...(opts.sourceIdentifier ? { sourceIdentifier: opts.sourceIdentifier } : {}),
    ...(opts.targetIdentifier ? { targetIdentifier: opts.targetIdentifier } : {}),
    ...(opts.keep ? { keep: true } : {}),
    ...(opts.shareWith ? { shareWith: opts.shareWith } : {}),
    ...(opts.kmsKeyId ? { kmsKeyId: opts.kmsKeyId } : {}),
    requestId: opts.requestId ?? `cli-${randomUUID()}`,
    ...(opts.strategy ? { strategy: opts.strategy } : {}),
    ...(opts.export ? { export: true } : {}),
    ...(opts.masterPasswordSecretArn ? { masterPasswordSecretArn: opts.masterPasswordSecretArn } : {}),
    ...(opts.verify ? { verify: opts.verify } : {}),
  };
  const parsed = restoreRequestedDetailSchema.safeParse(detail);
  if (!parsed.success) {
    io.err(`trapheus restore: invalid request, nothing was sent: ${formatIssues(parsed.error.issues)}`);
    return EXIT.USAGE;
  }
  const target = typeof targetOrResolve === 'function' ? await targetOrResolve() : targetOrResolve;
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
    io.err(
      `trapheus: PutEvents rejected the request: ${entry?.ErrorCode} ${entry?.ErrorMessage} (is Trapheus deployed to this stage and region? ${target.flags}, region ${target.region})`,
    );
    return EXIT.UNAVAILABLE;
  }
  const runId = runIdFor({ requestId: parsed.data.requestId });
  const follow = `npx trapheus status ${runId} --wait ${target.flags}`;
  const runs = buildRunRepository({ dynamo: clients.dynamo, tableName: target.runsTable });
  io.err(`request sent to ${target.busName}; waiting for it to be accepted…`);
  const accepted = await pollRun(
    runs,
    runId,
    opts.pollMs,
    opts.acceptTimeoutSeconds * 1000,
    (r) => !!r && r.step !== 'REQUESTED',
  );
  if (!accepted || accepted.step === 'REQUESTED') {
    io.err(
      `trapheus: the request was not accepted within ${opts.acceptTimeoutSeconds}s (is the snapshot service deployed and running?); it may still start: follow it with \`${follow}\``,
    );
    io.out(runId);
    return EXIT.TIMEOUT;
  }
  if (
    accepted.identifier !== parsed.data.identifier ||
    accepted.kind !== (parsed.data.isCluster ? 'cluster' : 'instance')
  ) {
    io.err(
      `trapheus: request rejected: --request-id ${parsed.data.requestId} was already used by run ${runId} (${accepted.kind} ${accepted.identifier}); give a new --request-id, or none`,
    );
    for (const line of nextLines(
      [retryRemedy({ ...parsed.data, kind: opts.cluster ? 'cluster' : 'instance' })],
      target.flags,
    ))
      io.err(line);
    return EXIT.REJECTED;
  }
  if (accepted.step === 'REJECTED') {
    io.err(
      `trapheus: request rejected: ${accepted.reason ?? accepted.failure?.message ?? 'no reason given'}`,
    );
    for (const line of nextLines(accepted.remedy ? [accepted.remedy] : [], target.flags)) io.err(line);
    io.out(runId);
    return EXIT.REJECTED;
  }
  io.out(runId);
  if (!opts.wait) return EXIT.SUCCEEDED;
  return followRun(runs, runId, opts, io, target.flags);
};

const clock = (iso: string) => iso.slice(11, 19);

/** The line `--wait` keeps up to date: the step, the elapsed time, and what the run waits for until when. */
export const statusLine = (run: Run, now: number): { text: string; key: string } => {
  const started = Date.parse(run.history[0]?.at ?? run.createdAt);
  const elapsed = `${((now - started) / 1000).toFixed(0)}s`;
  const w = run.wait;
  const awaited = w
    ? `${awaitedText(run)} (deadline ${clock(w.deadline)} UTC, in ${Math.max(0, Math.round((Date.parse(w.deadline) - now) / 1000))}s)`
    : 'working';
  return {
    text: `${run.step} · ${elapsed} · ${awaited}`,
    key: `${run.step}|${w ? `${w.resourceType}#${w.identifier}#${w.target}#${w.deadline}` : ''}`,
  };
};

/**
 * Follows a run to its end: each step as the run reaches it (with the time the previous one took) and, between
 * steps, what it waits for. Returns the exit code of the outcome, or EXIT.TIMEOUT when `waitTimeoutSeconds` passes.
 */
export const followRun = async (
  runs: Pick<RunRepository, 'get'>,
  runId: string,
  opts: Pick<RestoreOptions, 'pollMs' | 'waitTimeoutSeconds'>,
  io: Io,
  flags: string,
): Promise<number> => {
  const progress = io.errStream
    ? createProgress(io.errStream, io.env ?? process.env)
    : { status: (text: string) => io.err(text), line: io.err, stop: () => undefined };
  let lastStatusKey: string | undefined;
  let printed = 0;
  const show = (run: Run) => {
    const started = Date.parse(run.history[0]?.at ?? run.createdAt);
    for (; printed < run.history.length; printed++) {
      const entry = run.history[printed];
      if (!entry) break;
      const prev = run.history[printed - 1];
      const took = prev
        ? ` (${prev.step} took ${((Date.parse(entry.at) - Date.parse(prev.at)) / 1000).toFixed(1)}s)`
        : '';
      const elapsed = ((Date.parse(entry.at) - started) / 1000).toFixed(1).padStart(6);
      progress.line(`[${elapsed}s] ${entry.step}${took}${entry.note ? ` — ${entry.note}` : ''}`);
    }
    if (isTerminal(run.step)) return;
    const { text, key } = statusLine(run, Date.now());
    // Without a spinner, a line only when what the run waits for changes; with one, every poll.
    if (io.errStream || key !== lastStatusKey) progress.status(`  ${text}`, key);
    lastStatusKey = key;
  };
  const last = await pollRun(
    runs,
    runId,
    opts.pollMs,
    opts.waitTimeoutSeconds === undefined ? undefined : opts.waitTimeoutSeconds * 1000,
    (run) => {
      if (!run) return false;
      show(run);
      return isTerminal(run.step) && !run.active;
    },
  );
  progress.stop();
  if (!last) {
    io.err(`trapheus: run ${runId} not found`);
    return EXIT.FAILED;
  }
  if (!isTerminal(last.step) || last.active) {
    io.err(
      `trapheus: stopped waiting after ${opts.waitTimeoutSeconds}s; run ${runId} is still at ${last.step} and goes on: follow it with \`npx trapheus status ${runId} --wait ${flags}\``,
    );
    return EXIT.TIMEOUT;
  }
  if (last.failure) io.err(`failure: ${last.failure.step} ${last.failure.code}: ${last.failure.message}`);
  if (last.reason) io.err(`reason: ${last.reason}`);
  if (typeof last.progress.databaseState === 'string') io.err(`database: ${last.progress.databaseState}`);
  for (const line of nextLines(remediesOf(last), flags, last.step !== 'REJECTED')) io.err(line);
  io.err(`run ${runId} ended ${last.step}`);
  return exitCodeFor(last.step);
};
