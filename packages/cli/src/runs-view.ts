/** Text views of runs for people (the --json flag prints the stored run instead). */
import {
  downtimeOf,
  exportOf,
  nextLines,
  type Run,
  remediesOfRun as remediesOf,
  restoreSourceLabel,
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

/** What a waiting run waits for, in words: an RDS resource's state, or the verification hooks' answers. */
export const awaitedText = (run: Run): string | undefined => {
  const w = run.wait;
  if (!w) return undefined;
  if (w.resourceType === 'verification') {
    const pending = run.verification?.hooks.filter((h) => !run.verification?.answers[h]) ?? [];
    return `waiting for hook${pending.length === 1 ? '' : 's'} ${pending.join(', ')} to answer (RestoreVerified or trapheus verify)`;
  }
  return `waiting for ${w.resourceType} ${w.identifier} to be ${w.target}`;
};

/** The request's verification: each hook and its answer so far. */
const verificationLines = (run: Run): string[] => {
  const v = run.verification;
  if (!v) return [];
  return [
    `verification (timeout ${v.timeoutMinutes} min):`,
    ...v.hooks.map((hook) => {
      const a = v.answers[hook];
      return a
        ? `  ${hook}: ${a.ok ? 'ok' : 'FAILED'}${a.message ? ` — ${a.message}` : ''} (at ${a.at})`
        : `  ${hook}: no answer${run.step === 'VERIFYING' ? ' yet' : ''}`;
    }),
  ];
};

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
    `run ${run.runId}: ${run.kind} ${run.identifier}, task ${run.task}, ${restoreSourceLabel(run)}`,
    ...(run.restorePoint?.window?.latest
      ? [
          `restorable window when accepted: ${run.restorePoint.window.earliest ?? '?'} to ${run.restorePoint.window.latest}`,
        ]
      : []),
    `step: ${run.step}${run.wait ? ` (${awaitedText(run)}, deadline ${run.wait.deadline})` : ''}`,
    ...(run.strategy
      ? [
          `strategy: ${run.strategy}${run.copyIdentifier ? ` (the copy is restored as ${run.copyIdentifier}, then swapped in)` : ''}`,
        ]
      : []),
    ...(run.tempIdentifier ? [`temp identifier: ${run.tempIdentifier}`] : []),
    ...downtimeLines(run),
    ...verificationLines(run),
    ...exportLines(run),
    ...(run.failure ? [`failure: ${run.failure.step} ${run.failure.code}: ${run.failure.message}`] : []),
    ...(run.reason ? [`reason: ${run.reason}`] : []),
    ...(typeof run.progress.databaseState === 'string' ? [`database: ${run.progress.databaseState}`] : []),
    ...(typeof run.progress.masterUserSecretArn === 'string'
      ? [`master password: in the copy's own Secrets Manager secret ${run.progress.masterUserSecretArn}`]
      : []),
    ...(run.masterPasswordSecretArn
      ? [
          `master password: ${run.progress.masterPasswordSetAt ? 'set' : 'to be set'} from secret ${run.masterPasswordSecretArn}`,
        ]
      : []),
    ...nextLines(remediesOf(run), flags, run.step !== 'REJECTED'),
    'history:',
    ...timeline(run),
  ].join('\n');

export const RUNS_HEADER = `${'RUN'.padEnd(20)}  ${'CREATED'.padEnd(24)}  ${'KIND'.padEnd(8)} ${'IDENTIFIER'.padEnd(24)} ${'TASK'.padEnd(20)} ${'STEP'.padEnd(14)} ${'TOOK'.padStart(8)} ${'RESTORE'.padStart(8)}  COPY`;

const secondsText = (n: number | undefined) => (n === undefined ? '-' : `${Math.round(n)}s`);

/**
 * One run in the list: how long it took (to its end, or so far), how long its restore took (RESTORING to
 * CONFIGURING), and for a rehearsal (restore_copy) its copy and whether it was kept: the restore-time history an
 * audit asks for (`trapheus runs --identifier orders-db`).
 */
export const runLine = (run: Run): string => {
  const last = run.history.at(-1)?.at ?? run.updatedAt;
  const took = (Date.parse(last) - Date.parse(run.createdAt)) / 1000;
  const from = run.history.find((h) => h.step === 'RESTORING')?.at;
  const to = run.history.find((h) => h.step === 'CONFIGURING')?.at;
  const restore = from && to ? (Date.parse(to) - Date.parse(from)) / 1000 : undefined;
  const copy = run.rehearsal
    ? `${run.rehearsal.targetIdentifier}${run.rehearsal.keep ? ' (kept)' : ' (deleted)'}`
    : '';
  return `${run.runId}  ${run.createdAt}  ${run.kind.padEnd(8)} ${run.identifier.padEnd(24)} ${run.task.padEnd(20)} ${run.step.padEnd(14)} ${secondsText(took).padStart(8)} ${secondsText(restore).padStart(8)}  ${copy}`.trimEnd();
};

export { nextLines, remediesOf };
