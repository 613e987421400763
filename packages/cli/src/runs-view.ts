/** Text views of runs for people (the --json flag prints the stored run instead). */
import {
  downtimeOf,
  exportOf,
  holdsLockWhenDone,
  type Remedy,
  type Run,
  remedyCommand,
  retryRemedy,
} from '@trapheus/shared';

const seconds = (from: string, to: string) =>
  ((new Date(to).getTime() - new Date(from).getTime()) / 1000).toFixed(1);

/** One line per step: when it started, how long it lasted, and its note. */
export const timeline = (run: Run, now = new Date().toISOString()): string[] =>
  run.history.map((entry, i) => {
    const next = run.history[i + 1];
    const lasted = next
      ? `${seconds(entry.at, next.at)}s`
      : run.active ||
          !['SUCCEEDED', 'ROLLED_BACK', 'FAILED', 'CLEANUP_FAILED', 'REJECTED'].includes(entry.step)
        ? `${seconds(entry.at, now)}s…`
        : '';
    return `  ${entry.at}  ${entry.step.padEnd(14)} ${lasted.padStart(8)}${entry.note ? `  ${entry.note}` : ''}`;
  });

/** The downtime window: nothing answered under the name between these two moments. */
const downtimeLines = (run: Run): string[] => {
  const d = downtimeOf(run);
  if (!d) return [];
  return [
    d.to
      ? `downtime: ${d.seconds?.toFixed(1)}s (from ${d.from} to ${d.to})`
      : `downtime: since ${d.from} (the name does not answer yet)`,
  ];
};

/** `next: <command>` lines a user can copy, with the target flags they used. */
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

/** What to do next about a run that stopped, as commands with the caller's target flags. */
export const remediesOf = (run: Run): Remedy[] => [
  ...(run.remedy ? [run.remedy] : run.step === 'ROLLED_BACK' ? [retryRemedy(run)] : []),
  ...(holdsLockWhenDone(run)
    ? [{ action: 'unlock' as const, identifier: run.identifier, isCluster: run.kind === 'cluster' }]
    : []),
];

/** A run for people; `flags` (`--local`, `--stage prod`) go into the commands it suggests. */
/** The S3 export beside the run, when the request asked for one. */
const exportLines = (run: Run): string[] => {
  const e = exportOf(run);
  if (!e) return [];
  const where = `s3://${e.s3Bucket}/${e.s3Prefix}/${e.taskId}/`;
  return [
    `export: ${e.status}${e.rdsStatus ? ` (RDS ${e.rdsStatus})` : ''}, task ${e.taskId} → ${where}${e.failureCause ? `; ${e.failureCause}` : ''}`,
  ];
};

export const describeRun = (run: Run, flags: string): string =>
  [
    `run ${run.runId}: ${run.kind} ${run.identifier}, task ${run.task}, snapshot ${run.snapshotIdentifier}`,
    `step: ${run.step}${run.wait ? ` (waiting for ${run.wait.resourceType} ${run.wait.identifier} to be ${run.wait.target}, deadline ${run.wait.deadline})` : ''}`,
    ...(run.strategy
      ? [
          `strategy: ${run.strategy}${run.copyIdentifier ? ` (the copy is restored as ${run.copyIdentifier}, then swapped in)` : ''}`,
        ]
      : []),
    ...(run.tempIdentifier ? [`temp identifier: ${run.tempIdentifier}`] : []),
    ...downtimeLines(run),
    ...exportLines(run),
    ...(run.failure ? [`failure: ${run.failure.step} ${run.failure.code}: ${run.failure.message}`] : []),
    ...(run.reason ? [`reason: ${run.reason}`] : []),
    ...(typeof run.progress.databaseState === 'string' ? [`database: ${run.progress.databaseState}`] : []),
    ...nextLines(remediesOf(run), flags, run.step !== 'REJECTED'),
    'history:',
    ...timeline(run),
  ].join('\n');

export const RUNS_HEADER = `${'RUN'.padEnd(20)}  ${'CREATED'.padEnd(24)}  ${'KIND'.padEnd(8)} ${'IDENTIFIER'.padEnd(24)} ${'TASK'.padEnd(20)} STEP`;

export const runLine = (run: Run): string =>
  `${run.runId}  ${run.createdAt}  ${run.kind.padEnd(8)} ${run.identifier.padEnd(24)} ${run.task.padEnd(20)} ${run.step}`;
