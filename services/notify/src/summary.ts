import {
  type Remedy,
  type RunOutcomeDetail,
  remedyCommand,
  remedyRequest,
  restoreSourceLabel,
  retryCommand,
  type Step,
} from '@trapheus/shared';

/** A remedy for people on call: the CLI command (their stage) and, for a new request, the event fields. */
const remedyText = (remedy: Remedy): string => {
  const request = remedyRequest(remedy);
  return `Next: \`${remedyCommand(remedy, '--stage <stage>')}\`${request ? `, or send ${request}` : ''}.`;
};

import { asideName, type ManualCommand, rdsCli } from './commands';
import { isExportCompleted } from './outcome';
import { formatDuration } from './text';

export type Severity = 'success' | 'warning' | 'failure';

export interface TimelineEntry {
  step: Step;
  at: string;
  /** Time spent in this step, until the next one began; absent for the final step. */
  duration?: string;
  note?: string;
}

/** Everything both channels show, worked out once from a run's outcome. */
export interface OutcomeSummary {
  outcome: RunOutcomeDetail;
  severity: Severity;
  /** `FAILED — needs a person` */
  headline: string;
  /** `orders-db: FAILED — needs a person` */
  title: string;
  /** What answers under the original identifier now. */
  databaseNow: string;
  /** The temp database, or why there is none (never a name that no longer exists). */
  tempDatabase: string;
  timeline: TimelineEntry[];
  totalDuration: string;
  /** What a person should do next, in sentences. */
  nextAction: string[];
  commands: ManualCommand[];
  /** The VERIFYING step of a request with `verify`: one line per hook with its answer (empty without verify). */
  verification: string[];
}

const RESTORE_STEPS: readonly Step[] = [
  'RENAMING',
  'RESTORING',
  'CONFIGURING',
  'VERIFYING',
  'CLEANING_UP',
  'ROLLING_BACK',
];

/**
 * Each expected hook and what it answered: `masking: ok — 12 tables masked (at …)`, `health: FAILED — …`,
 * `smoke: no answer`.
 */
export const verificationLines = (o: RunOutcomeDetail): string[] => {
  const v = o.verification;
  if (!v) return [];
  return v.hooks.map((hook) => {
    const a = v.answers[hook];
    if (!a)
      return `${hook}: no answer${o.failure?.code === 'VerificationTimedOut' ? ` within ${v.timeoutMinutes} min` : ''}`;
    return `${hook}: ${a.ok ? 'ok' : 'FAILED'}${a.message ? ` — ${a.message}` : ''} (at ${a.at})`;
  });
};

const headlineOf = (o: RunOutcomeDetail): string => {
  switch (o.step) {
    case 'SUCCEEDED':
      return o.task === 'create_snapshot_only'
        ? 'SUCCEEDED — snapshot created'
        : 'SUCCEEDED — restored in place';
    case 'ROLLED_BACK':
      return 'ROLLED_BACK — restore failed, original back under its name';
    case 'CLEANUP_FAILED':
      return 'CLEANUP_FAILED — restored, but the temp database was kept';
    case 'REJECTED':
      return 'REJECTED — request refused, nothing changed';
    case 'FAILED':
      return o.locked ? 'FAILED — needs a person' : 'FAILED — nothing was changed';
    default:
      return `${o.step} — unexpected final state`;
  }
};

const severityOf = (step: Step): Severity =>
  step === 'SUCCEEDED' ? 'success' : step === 'ROLLED_BACK' || step === 'REJECTED' ? 'warning' : 'failure';

/** The run renamed the original (so a temp database exists or existed). */
const renamedOriginal = (o: RunOutcomeDetail): boolean =>
  o.tempIdentifier !== undefined && o.history.some((h) => RESTORE_STEPS.includes(h.step));

const defaultDatabaseNow = (o: RunOutcomeDetail): string => {
  switch (o.step) {
    case 'SUCCEEDED':
      return o.task === 'create_snapshot_only'
        ? 'the original, unchanged'
        : `the restored copy from ${restoreSourceLabel({ snapshotIdentifier: o.snapshotIdentifier ?? '(unknown)', ...(o.restorePoint ? { restorePoint: o.restorePoint } : {}) })}`;
    case 'ROLLED_BACK':
    case 'REJECTED':
      return 'the original, unchanged';
    case 'CLEANUP_FAILED':
      return `the restored copy from ${restoreSourceLabel({ snapshotIdentifier: o.snapshotIdentifier ?? '(unknown)', ...(o.restorePoint ? { restorePoint: o.restorePoint } : {}) })}`;
    default:
      return renamedOriginal(o)
        ? 'unknown: check both names with the commands below'
        : 'the original: Trapheus did not rename it';
  }
};

const tempDatabaseOf = (o: RunOutcomeDetail): string => {
  if (o.tempIdentifier) return o.tempIdentifier;
  if (!o.history.some((h) => h.step === 'RENAMING')) return '(none: the original was not renamed)';
  if (o.step === 'SUCCEEDED') return '(none left: deleted after the restore)';
  if (o.step === 'ROLLED_BACK') return '(none left: the original has its name back)';
  return '(none)';
};

const timelineOf = (o: RunOutcomeDetail): TimelineEntry[] =>
  o.history.map((entry, i) => {
    const next = o.history[i + 1];
    const duration = next ? formatDuration(Date.parse(next.at) - Date.parse(entry.at)) : undefined;
    return {
      step: entry.step,
      at: entry.at,
      ...(duration !== undefined ? { duration } : {}),
      ...(entry.note ? { note: entry.note } : {}),
    };
  });

const nextActionOf = (o: RunOutcomeDetail): { nextAction: string[]; commands: ManualCommand[] } => {
  const cli = rdsCli(o.kind);
  const id = o.identifier;
  const temp = o.tempIdentifier;
  const snapshot = o.snapshotIdentifier;
  const describeSnapshot: ManualCommand[] = snapshot
    ? [{ comment: `the run's snapshot`, command: cli.describeSnapshot(snapshot) }]
    : [];
  switch (o.step) {
    case 'SUCCEEDED':
      return {
        nextAction: [
          o.task === 'create_snapshot_only'
            ? `Nothing to do: snapshot ${snapshot ?? ''} is ready and ${id} was not changed.`
            : `Nothing to do: ${id} now serves the data of snapshot ${snapshot ?? ''}; the old database was deleted.`,
        ],
        commands: [],
      };
    case 'ROLLED_BACK':
      return {
        nextAction: [
          `The original answers under ${id} again, unchanged, and is not locked. Fix the cause of the failure below, then request the restore again: \`${retryCommand(o)}\` (with --stage <stage>).`,
        ],
        commands: [{ comment: 'check the original', command: cli.describe(id) }, ...describeSnapshot],
      };
    case 'REJECTED':
      return {
        nextAction: [
          `Nothing was touched. Fix the request, then send RestoreRequested again${o.reason ? `: ${o.reason}` : '.'}`,
          ...(o.remedy ? [remedyText(o.remedy)] : []),
          `A request needs: an identifier naming an existing DB ${o.kind === 'cluster' ? 'cluster (isCluster: true)' : 'instance (isCluster: false)'}; a task among create_snapshot, db_restore, create_snapshot_only, clone_from, restore_copy, share_snapshot; for db_restore an existing snapshot (or a restoreTime inside the restorable window); for clone_from a sourceIdentifier; and no other run active on the same database.`,
        ],
        commands: [
          { comment: 'does the database exist under this name?', command: cli.describe(id) },
          ...(o.task === 'db_restore' ? describeSnapshot : []),
        ],
      };
    case 'CLEANUP_FAILED':
      if (!temp) break;
      return {
        nextAction: [
          `The restored copy answers under ${id}. The old original was kept as ${temp} and still costs money: check it, then delete it.${snapshot ? ` Its data is also in snapshot ${snapshot}.` : ''}`,
          `Drop --skip-final-snapshot (and add --final-db-snapshot-identifier ${temp}-final) to keep one more copy.`,
        ],
        commands: [
          { comment: 'check the temp database (the old original)', command: cli.describe(temp) },
          { comment: 'if deletion protection is on', command: cli.noDeletionProtection(temp) },
          ...(o.kind === 'cluster'
            ? [{ comment: `delete the temp cluster's instances first`, command: cli.deleteMembers(temp) }]
            : []),
          { comment: 'delete the temp database', command: cli.delete(temp) },
        ],
      };
    default:
      break;
  }
  const unlock = `npx trapheus unlock ${id}${o.kind === 'cluster' ? ' --cluster' : ''}`;
  if (temp && renamedOriginal(o)) {
    const aside = asideName(id);
    return {
      nextAction: [
        `The rollback did not finish: the original may still be named ${temp}. Check both names, move a restored copy aside if one holds ${id} (do not delete it before checking), then give the original its name back.`,
        ...(o.locked ? [`${id} stays locked for Trapheus until then: release it with \`${unlock}\`.`] : []),
      ],
      commands: [
        { comment: `what answers under ${id}`, command: cli.describe(id) },
        { comment: 'the original, renamed by this run', command: cli.describe(temp) },
        {
          comment: `only if ${id} is the failed restored copy: move it aside`,
          command: cli.rename(id, aside),
        },
        { comment: 'give the original its name back', command: cli.rename(temp, id) },
        { comment: 'wait until it answers again', command: cli.waitAvailable(id) },
      ],
    };
  }
  return {
    nextAction: [
      o.locked
        ? `Check ${id} with the commands below; it stays locked for Trapheus until you release it with \`${unlock}\`.`
        : `Trapheus did not rename or change ${id}: it still answers under its own name and is not locked. Fix the cause below, then request the restore again: \`${retryCommand(o)}\` (with --stage <stage>).`,
    ],
    commands: [{ comment: 'check the original', command: cli.describe(id) }, ...describeSnapshot],
  };
};

/**
 * Works out what a run's outcome means for a person: headline, timeline with durations, what answers under
 * the original name, and what to do next (with the exact AWS CLI lines).
 *
 * @example
 * summarize(outcome).title // 'orders-db: FAILED — needs a person'
 */
export const summarize = (outcome: RunOutcomeDetail): OutcomeSummary => {
  const headline = outcome.export ? exportHeadlineOf(outcome) : headlineOf(outcome);
  return {
    outcome,
    severity: outcome.export ? exportSeverityOf(outcome) : severityOf(outcome.step),
    headline,
    title: `${outcome.identifier}: ${headline}`,
    databaseNow: `${outcome.databaseState ?? defaultDatabaseNow(outcome)}${
      outcome.masterUserSecretArn
        ? `; its master password is in a new Secrets Manager secret, ${outcome.masterUserSecretArn} (point applications at it)`
        : ''
    }`,
    tempDatabase: tempDatabaseOf(outcome),
    timeline: timelineOf(outcome),
    verification: verificationLines(outcome),
    totalDuration: formatDuration(Date.parse(outcome.finishedAt) - Date.parse(outcome.createdAt)),
    ...(outcome.export ? exportNextActionOf(outcome) : nextActionOf(outcome)),
  };
};

const exportSeverityOf = (o: RunOutcomeDetail): Severity => (isExportCompleted(o) ? 'success' : 'failure');

/** Where an export's data lands: `s3://<bucket>/<prefix>/<task id>/`. */
const exportLocation = (e: NonNullable<RunOutcomeDetail['export']>): string =>
  `s3://${e.s3Bucket ?? ''}/${e.s3Prefix ? `${e.s3Prefix}/` : ''}${e.taskId ?? ''}/`;

/**
 * ExportCompleted: the run's snapshot is in S3. ExportFailed: the export did not complete. The run itself is in
 * `step` either way.
 */
const exportHeadlineOf = (o: RunOutcomeDetail): string =>
  o.export && isExportCompleted(o)
    ? `export complete — snapshot ${o.snapshotIdentifier ?? ''} exported to ${exportLocation(o.export)}`
    : `EXPORT ${(o.export?.status ?? 'failed').toUpperCase()} — snapshot ${o.snapshotIdentifier ?? ''} was not exported to S3 (the run is ${o.step})`;

const exportNextActionOf = (o: RunOutcomeDetail): { nextAction: string[]; commands: ManualCommand[] } => {
  const e = o.export;
  const task = e?.taskId ?? '';
  if (e && isExportCompleted(o)) {
    return {
      nextAction: [
        `Nothing to do: export ${task} of snapshot ${o.snapshotIdentifier ?? ''} is in ${exportLocation(e)} (Apache Parquet). The run ${o.runId} is ${o.step}.`,
      ],
      commands: [
        {
          comment: 'what reached the bucket',
          command: `aws s3 ls ${exportLocation(e)} --recursive --summarize`,
        },
      ],
    };
  }
  return {
    nextAction: [
      `The export ${task} ${e?.status ?? 'failed'}${e?.failureCause ? `: ${e.failureCause}` : ''}. The restore itself is not affected (run ${o.runId} is ${o.step}).`,
      `Fix the cause, then export the snapshot again with a new request carrying "export": true, or by hand with the command below.`,
    ],
    commands: [
      {
        comment: 'the export task',
        command: `aws rds describe-export-tasks --export-task-identifier ${task}`,
      },
      ...(e?.s3Bucket
        ? [
            {
              comment: 'what reached the bucket',
              command: `aws s3 ls s3://${e.s3Bucket}/${e.s3Prefix ? `${e.s3Prefix}/` : ''}${task}/ --recursive --summarize`,
            },
          ]
        : []),
    ],
  };
};

/**
 * A restore point in words, with the window RDS reported when the run was accepted.
 *
 * @example
 * restorePointText({ latest: true, window: { latest: '2026-12-01T02:55:00Z' } })
 * // 'the latest restorable time (2026-12-01T02:55:00Z when the run started)'
 */
export const restorePointText = (p: NonNullable<RunOutcomeDetail['restorePoint']>): string =>
  p.time
    ? `point in time ${p.time}${p.window?.earliest ? ` (window ${p.window.earliest} to ${p.window.latest ?? '?'})` : ''}`
    : `the latest restorable time${p.window?.latest ? ` (${p.window.latest} when the run started)` : ''}`;
