/**
 * Event contracts: one object per event (source, detail-type, detail schema), shared by producers and
 * consumers. The EventBridge rule patterns in each service's serverless.yml are checked against these
 * objects by a test, so pattern and validation cannot drift apart.
 *
 * The detail schemas are built on first use (`z.lazy`): a function's cold start never pays for the contracts it
 * never parses (building them all took about 9 ms of a worker's init; the restore worker never reads a
 * RestoreRequested).
 */
import * as z from 'zod';
import { secretArnSchema } from './master-password';
import { type DbKind, type Remedy, STEPS, STRATEGIES, TASKS } from './run';

export const TRAPHEUS_SOURCE = 'trapheus';

/** RDS identifiers: 1–63 letters, digits or hyphens, starting with a letter, no `--`, no trailing hyphen. */
export const rdsIdentifierSchema = z.lazy(() =>
  z
    .string({ error: (iss) => (iss.input === undefined ? 'is required' : 'must be a string') })
    .min(1, 'must not be empty')
    .max(63, 'must be at most 63 characters')
    .regex(
      /^[A-Za-z](?:[A-Za-z0-9]|-(?!-))*$/,
      'must start with a letter and contain only letters, digits and single hyphens',
    )
    .refine((s) => !s.endsWith('-'), 'must not end with a hyphen')
    // RDS stores identifiers in lower case; events and describes say `orders-db` for a request of `Orders-DB`.
    .transform((s) => s.toLowerCase()),
);

/** A snapshot shared by another account is named by its ARN (RestoreDBInstanceFromDBSnapshot DBSnapshotIdentifier). */
export const SHARED_SNAPSHOT_ARN =
  /^arn:aws[a-z-]*:rds:[a-z0-9-]+:(\d{12}):(snapshot|cluster-snapshot):(.+)$/;

/**
 * Snapshot identifiers follow the same rules as instance identifiers (max 255 for snapshots); db_restore also takes
 * the ARN of a snapshot shared by another account (RDS API reference, RestoreDBInstanceFromDBSnapshot
 * DBSnapshotIdentifier: "If you are restoring from a shared manual DB snapshot, the DBSnapshotIdentifier must be
 * the ARN of the shared DB snapshot.").
 */
const snapshotIdentifierSchema = z.lazy(() =>
  z
    .string({ error: 'must be a string' })
    .min(1, 'must not be empty')
    .max(1011, 'must be at most 1011 characters')
    .refine(
      (s) =>
        SHARED_SNAPSHOT_ARN.test(s) ||
        (s.length <= 255 && /^[A-Za-z](?:[A-Za-z0-9]|-(?!-))*$/.test(s) && !s.endsWith('-')),
      'must be a snapshot name (a letter first, then letters, digits and single hyphens, at most 255, no trailing hyphen) or the ARN of a shared snapshot',
    )
    .transform((s) => s.toLowerCase()),
);

/** A verification hook's name: what it answers under (RestoreVerified `hook`, `trapheus verify --hook`). */
export const hookNameSchema = z.lazy(() =>
  z
    .string({ error: 'must be a string' })
    .min(1, 'must not be empty')
    .max(64, 'must be at most 64 characters')
    .regex(/^[A-Za-z0-9_-]+$/, 'must contain only letters, digits, - and _'),
);

/** A request's `verify`: the hooks that must answer ok before the copy is committed, and how long they have. */
export const verifySchema = z.lazy(() =>
  z.strictObject({
    timeoutMinutes: z
      .number({ error: 'must be a number of minutes' })
      .min(1, 'must be at least 1 (minute)')
      .max(1440, 'must be at most 1440 (24 hours)')
      .default(60),
    hooks: z
      .array(hookNameSchema, { error: 'must be an array of hook names' })
      .min(1, 'must name at least one hook')
      .max(20, 'must name at most 20 hooks')
      .refine((hooks) => new Set(hooks).size === hooks.length, 'must not name a hook twice'),
  }),
);
export type VerifyRequest = z.infer<typeof verifySchema>;

/**
 * The public `RestoreRequested` detail: the original Python Trapheus keys plus two optional ones. Strict: a field
 * this deployment does not know (say a `verify` block for a step it does not have) rejects the request, so a
 * caller never believes something ran that did not.
 */
export const restoreRequestedDetailSchema = z.lazy(() =>
  z
    .strictObject({
      identifier: rdsIdentifierSchema,
      task: z.enum(TASKS, {
        error: (iss) => (iss.input === undefined ? 'is required' : `must be one of ${TASKS.join(', ')}`),
      }),
      isCluster: z.boolean({
        error: (iss) => (iss.input === undefined ? 'is required' : 'must be a boolean (true or false)'),
      }),
      snapshotIdentifier: snapshotIdentifierSchema.optional(),
      /**
       * db_restore to this point in time instead of a snapshot (ISO 8601 with a zone: `2026-12-01T02:00:00Z`), from
       * the database's automated backups; checked against its restorable window before anything is touched.
       */
      restoreTime: z
        .string({ error: 'must be a string (ISO 8601 time with a zone, e.g. 2026-12-01T02:00:00Z)' })
        .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/, {
          message: 'must be an ISO 8601 time with a zone, e.g. 2026-12-01T02:00:00Z',
          abort: true,
        })
        .refine((s) => Number.isFinite(Date.parse(s)), 'must be a valid time')
        // RDS API reference, RestoreDBInstanceToPointInTime RestoreTime: "Must be a time in Universal Coordinated Time
        // (UTC) format." Normalised once, so the run, the alert and the call say the same instant.
        .transform((s) => new Date(Date.parse(s)).toISOString().replace('.000Z', 'Z'))
        .optional(),
      /** db_restore to the latest restorable time instead of a snapshot. */
      latest: z.literal(true, { error: 'must be true (or left out)' }).optional(),
      /**
       * clone_from: the Aurora cluster whose copy-on-write clone (at its latest restorable time) replaces the refreshed
       * one's data, instead of a snapshot: in minutes, whatever the size. Its identifier, or its ARN (same Region).
       */
      sourceIdentifier: z
        .string({ error: 'must be a string' })
        .min(1, 'must not be empty')
        .max(2048, 'must be at most 2048 characters')
        .regex(
          /^(arn:[a-z-]+:rds:[a-z0-9-]+:\d{12}:cluster:)?[A-Za-z](?:[A-Za-z0-9]|-(?!-))*$/,
          'must be a DB cluster identifier or its ARN (arn:aws:rds:<region>:<account>:cluster:<id>)',
        )
        .transform((s) => (s.startsWith('arn:') ? s : s.toLowerCase()))
        .optional(),
      /** share_snapshot: the AWS accounts (12-digit ids) the fresh snapshot is shared with. */
      shareWith: z
        .array(
          z
            .string({ error: 'must be 12-digit AWS account ids' })
            .regex(/^\d{12}$/, 'must be 12-digit AWS account ids'),
          {
            error: 'must be a list of 12-digit AWS account ids',
          },
        )
        .min(1, 'must name at least one account')
        // RDS User Guide, Sharing a DB snapshot: "You can share a manual snapshot with up to 20 other AWS accounts."
        .max(20, 'must name at most 20 accounts (RDS shares a snapshot with at most 20)')
        .refine((a) => new Set(a).size === a.length, 'must not name an account twice')
        .optional(),
      /**
       * share_snapshot: a customer managed KMS key (ARN) to copy the snapshot with before sharing it; needed when the
       * database is encrypted with the AWS managed key aws/rds, whose snapshots RDS does not share. The key's policy
       * must let the accounts use it.
       */
      kmsKeyId: z
        .string({ error: 'must be a string' })
        .regex(
          /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/,
          'must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)',
        )
        .optional(),
      /** restore_copy: the new database the rehearsal restores (it must not exist). */
      targetIdentifier: rdsIdentifierSchema.optional(),
      /** restore_copy: leave the copy when the rehearsal is done (default: it is deleted). */
      keep: z.boolean({ error: 'must be a boolean (true or false)' }).optional(),
      requestId: z
        .string({ error: 'must be a string' })
        .min(1, 'must not be empty')
        .max(128, 'must be at most 128 characters')
        .optional(),
      /** `swap` (default): restore beside the original, then swap the names; `rename_first`: the original tool's order. */
      strategy: z.enum(STRATEGIES, { error: `must be one of ${STRATEGIES.join(', ')}` }).optional(),
      /**
       * Also export the run's fresh snapshot to S3 (snapshot tasks): a side track that never delays or fails the run;
       * its outcome is recorded on the run (`export`) and published: ExportFailed (always notified) or ExportCompleted
       * (notified with notifyOnSuccess).
       */
      export: z.boolean({ error: 'must be a boolean (true or false)' }).optional(),
      /**
       * The Secrets Manager secret whose password the restored copy's master user gets (post-restore modify), so the
       * copy never keeps the snapshot's password. Only for an original without a managed master password (that one
       * gets a managed secret of its own), and only a secret the deployment allows (masterPasswordSecretArns).
       */
      masterPasswordSecretArn: secretArnSchema.optional(),
      /**
       * Check the configured copy before it is committed: the run publishes RestoreVerifying and waits (VERIFYING)
       * until every hook answered ok (RestoreVerified, or `trapheus verify`); a failed hook or the timeout rolls back.
       */
      verify: verifySchema.optional(),
      /** Set by a schedule of `trapheus.config.yml` (its name): recorded on the run, so `trapheus schedules` finds it. */
      schedule: z
        .string({ error: 'must be a string' })
        .min(1, 'must not be empty')
        .max(64, 'must be at most 64 characters')
        .optional(),
    })
    .superRefine((d, ctx) => {
      if (d.verify && d.task === 'create_snapshot_only') {
        ctx.addIssue({
          code: 'custom',
          path: ['verify'],
          message:
            'applies to the restore tasks (create_snapshot, db_restore): create_snapshot_only restores no copy',
        });
      }
      for (const field of ['restoreTime', 'latest'] as const) {
        if (d[field] === undefined || d.task === 'clone_from' || d.task === 'share_snapshot') continue;
        if (d.task !== 'db_restore' && d.task !== 'restore_copy') {
          ctx.addIssue({
            code: 'custom',
            path: [field],
            message: `applies to tasks db_restore and restore_copy (a restore to a point in time), not ${d.task}`,
          });
        } else if (d.snapshotIdentifier) {
          ctx.addIssue({
            code: 'custom',
            path: [field],
            message:
              'cannot be combined with snapshotIdentifier: restore either a snapshot or a point in time',
          });
        }
      }
      if (d.task === 'clone_from') {
        if (!d.isCluster) {
          ctx.addIssue({
            code: 'custom',
            path: ['isCluster'],
            message: 'must be true for clone_from: Aurora clones clusters (copy-on-write)',
          });
        }
        if (!d.sourceIdentifier) {
          ctx.addIssue({
            code: 'custom',
            path: ['sourceIdentifier'],
            message: 'is required for clone_from: the cluster to clone',
          });
        }
        for (const field of ['snapshotIdentifier', 'restoreTime', 'latest', 'export'] as const) {
          if (d[field] !== undefined) {
            ctx.addIssue({
              code: 'custom',
              path: [field],
              message:
                'does not apply to clone_from: it clones the source cluster at its latest time, no snapshot',
            });
          }
        }
      } else if (d.sourceIdentifier !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['sourceIdentifier'],
          message: `applies to task clone_from (a refresh from another cluster), not ${d.task}`,
        });
      }
      if (d.snapshotIdentifier && SHARED_SNAPSHOT_ARN.test(d.snapshotIdentifier)) {
        const [, , type] = SHARED_SNAPSHOT_ARN.exec(d.snapshotIdentifier) ?? [];
        if (d.task !== 'db_restore' && d.task !== 'restore_copy') {
          ctx.addIssue({
            code: 'custom',
            path: ['snapshotIdentifier'],
            message: `is a snapshot ARN, which only db_restore and restore_copy take (${d.task} takes a snapshot base name)`,
          });
        } else if ((type === 'cluster-snapshot') !== d.isCluster) {
          ctx.addIssue({
            code: 'custom',
            path: ['snapshotIdentifier'],
            message: `is the ARN of a ${type === 'cluster-snapshot' ? 'DB cluster snapshot' : 'DB snapshot'}, and isCluster is ${d.isCluster}`,
          });
        }
      }
      if (d.task === 'share_snapshot') {
        if (!d.shareWith) {
          ctx.addIssue({
            code: 'custom',
            path: ['shareWith'],
            message: 'is required for share_snapshot: the accounts to share with',
          });
        }
        for (const field of [
          'restoreTime',
          'latest',
          'verify',
          'export',
          'masterPasswordSecretArn',
          'strategy',
        ] as const) {
          if (d[field] !== undefined) {
            ctx.addIssue({
              code: 'custom',
              path: [field],
              message:
                'does not apply to share_snapshot: it takes and shares a snapshot, and restores nothing',
            });
          }
        }
      } else {
        for (const field of ['shareWith', 'kmsKeyId'] as const) {
          if (d[field] !== undefined) {
            ctx.addIssue({
              code: 'custom',
              path: [field],
              message: `applies to task share_snapshot, not ${d.task}`,
            });
          }
        }
      }
      if (d.task === 'restore_copy') {
        if (!d.targetIdentifier) {
          ctx.addIssue({
            code: 'custom',
            path: ['targetIdentifier'],
            message: 'is required for restore_copy: the name of the new database the rehearsal restores',
          });
        } else if (d.targetIdentifier === d.identifier) {
          ctx.addIssue({
            code: 'custom',
            path: ['targetIdentifier'],
            message: 'must differ from identifier: a rehearsal never touches its source',
          });
        }
        for (const field of ['export', 'strategy'] as const) {
          if (d[field] !== undefined) {
            ctx.addIssue({
              code: 'custom',
              path: [field],
              message:
                'does not apply to restore_copy: a rehearsal restores beside its source and never swaps',
            });
          }
        }
      } else {
        for (const field of ['targetIdentifier', 'keep'] as const) {
          if (d[field] !== undefined) {
            ctx.addIssue({
              code: 'custom',
              path: [field],
              message: `applies to task restore_copy (a rehearsal under a new name), not ${d.task}`,
            });
          }
        }
      }
      if (d.restoreTime && d.latest) {
        ctx.addIssue({
          code: 'custom',
          path: ['latest'],
          message: 'cannot be combined with restoreTime: give a time, or latest, not both',
        });
      }
      if (d.export === true && d.task === 'db_restore') {
        ctx.addIssue({
          code: 'custom',
          path: ['export'],
          message:
            'applies to the snapshot tasks (create_snapshot, create_snapshot_only): a db_restore takes no fresh snapshot to export',
        });
      }
    }),
);
export type RestoreRequestedDetail = z.infer<typeof restoreRequestedDetailSchema>;

/** Internal signal: "look at run X" (SnapshotReady, RestoreCompleted, RestoreFailed, RunStalled). */
export const runSignalDetailSchema = z.lazy(() =>
  z.object({
    runId: z.string().min(1),
    identifier: z.string().min(1),
    kind: z.enum(['instance', 'cluster']),
    step: z.enum(STEPS),
  }),
);
export type RunSignalDetail = z.infer<typeof runSignalDetailSchema>;

const historyEntrySchema = z.lazy(() =>
  z.object({ step: z.enum(STEPS), at: z.string(), note: z.string().optional() }),
);
const failureSchema = z.lazy(() =>
  z.object({
    step: z.enum(STEPS),
    code: z.string(),
    message: z.string(),
    at: z.string(),
  }),
);

const remedySchema = z.lazy(
  () =>
    z.discriminatedUnion('action', [
      z.object({
        action: z.literal('restore'),
        identifier: z.string(),
        isCluster: z.boolean(),
        task: z.enum(TASKS),
        snapshotIdentifier: z.string().optional(),
        restoreTime: z.string().optional(),
        latest: z.boolean().optional(),
        sourceIdentifier: z.string().optional(),
        targetIdentifier: z.string().optional(),
        keep: z.boolean().optional(),
        shareWith: z.array(z.string()).optional(),
        kmsKeyId: z.string().optional(),
        masterPasswordSecretArn: z.string().optional(),
      }),
      z.object({ action: z.literal('unlock'), identifier: z.string(), isCluster: z.boolean() }),
      z.object({ action: z.literal('follow'), runId: z.string() }),
    ]) satisfies z.ZodType<Remedy>,
);

/** A run's outcome, for notify: everything a person on call needs, no table read required. */
export const runOutcomeDetailSchema = z.lazy(() =>
  z.object({
    runId: z.string().min(1),
    identifier: z.string(),
    kind: z.enum(['instance', 'cluster']),
    task: z.string(),
    step: z.enum(STEPS),
    snapshotIdentifier: z.string().optional(),
    /** A restore to a point in time (no snapshot): the time asked for, or the latest, and the window then. */
    restorePoint: z
      .object({
        time: z.string().optional(),
        latest: z.boolean().optional(),
        window: z.object({ earliest: z.string().optional(), latest: z.string().optional() }).optional(),
      })
      .optional(),
    /** clone_from: the cluster cloned into the refreshed one. */
    cloneSource: z.string().optional(),
    /** share_snapshot: the accounts, the key of the shared copy, and the snapshot shared. */
    share: z
      .object({
        accounts: z.array(z.string()),
        kmsKeyId: z.string().optional(),
        snapshot: z.string().optional(),
      })
      .optional(),
    /** restore_copy: the rehearsal's new database, whether it was kept, and how long its restore took. */
    rehearsal: z
      .object({ targetIdentifier: z.string(), keep: z.boolean(), restoreSeconds: z.number().optional() })
      .optional(),
    tempIdentifier: z.string().optional(),
    createdAt: z.string(),
    finishedAt: z.string(),
    history: z.array(historyEntrySchema),
    failure: failureSchema.optional(),
    reason: z.string().optional(),
    /** What answers under the original identifier now, in words. */
    databaseState: z.string().optional(),
    /** The database stays locked until `trapheus unlock` (a FAILED run that needs a person). */
    locked: z.boolean().optional(),
    /** How the copy took the original's place (swap or rename_first). */
    strategy: z.enum(STRATEGIES).optional(),
    /** What a person can do next (see Remedy). */
    remedy: remedySchema.optional(),
    /** The request's verification (VERIFYING): the hooks expected and each one's answer. */
    verification: z
      .object({
        hooks: z.array(z.string()),
        timeoutMinutes: z.number(),
        answers: z.record(z.string(), z.object({ ok: z.boolean(), message: z.string(), at: z.string() })),
      })
      .optional(),
    /** When nothing answered under the name: from the original's rename to the copy (or original) answering. */
    downtime: z
      .object({ from: z.string(), to: z.string().optional(), seconds: z.number().optional() })
      .optional(),
    /** The restored copy's own managed master password secret (an original with a managed password). */
    masterUserSecretArn: z.string().optional(),
    /** Only in ExportFailed / ExportCompleted: the export of the run's snapshot to S3 (the run itself is in `step`). */
    export: z
      .object({
        status: z.string(),
        taskId: z.string().optional(),
        s3Bucket: z.string().optional(),
        s3Prefix: z.string().optional(),
        failureCause: z.string().optional(),
      })
      .optional(),
  }),
);
export type RunOutcomeDetail = z.infer<typeof runOutcomeDetailSchema>;

export interface EventContract<S extends z.ZodType> {
  source: string;
  detailType: string;
  schema: S;
}

const contract = <S extends z.ZodType>(detailType: string, schema: S): EventContract<S> => ({
  source: TRAPHEUS_SOURCE,
  detailType,
  schema,
});

export const RestoreRequested = contract('RestoreRequested', restoreRequestedDetailSchema);
export const SnapshotReady = contract('SnapshotReady', runSignalDetailSchema);
export const RestoreCompleted = contract('RestoreCompleted', runSignalDetailSchema);
export const RestoreFailed = contract('RestoreFailed', runSignalDetailSchema);
export const RunStalled = contract('RunStalled', runSignalDetailSchema);
export const RunSucceeded = contract('RunSucceeded', runOutcomeDetailSchema);
export const RunFailed = contract('RunFailed', runOutcomeDetailSchema);
export const RunRolledBack = contract('RunRolledBack', runOutcomeDetailSchema);
/** The export of a run's snapshot to S3 failed (or was canceled); the run's own outcome is unaffected. */
export const ExportFailed = contract('ExportFailed', runOutcomeDetailSchema);
/** The export of a run's snapshot to S3 completed (`export.status` complete); notified like a successful run. */
export const ExportCompleted = contract('ExportCompleted', runOutcomeDetailSchema);

/**
 * Published when a run enters VERIFYING: the configured copy, not yet committed, is there to be checked (masking,
 * health). With swap it is the copy beside the original (its side name); with rename_first, the copy under the name.
 */
export const restoreVerifyingDetailSchema = z.lazy(() =>
  z.object({
    runId: z.string().min(1),
    identifier: z.string().min(1),
    kind: z.enum(['instance', 'cluster']),
    /** The copy's identifier (instance, or cluster) and its endpoint (a cluster's: the writer endpoint). */
    copyIdentifier: z.string().min(1),
    endpoint: z.object({ address: z.string(), port: z.number().int() }),
    engine: z.string(),
    snapshotIdentifier: z.string(),
    hooks: z.array(z.string()).min(1),
    /** When the run stops waiting and rolls back (ISO 8601). */
    deadline: z.string(),
  }),
);
export type RestoreVerifyingDetail = z.infer<typeof restoreVerifyingDetailSchema>;
export const RestoreVerifying = contract('RestoreVerifying', restoreVerifyingDetailSchema);

/** A hook's answer: ok (the copy may be committed) or not (the run rolls back; the message is in the alert). */
export const restoreVerifiedDetailSchema = z.lazy(() =>
  z.strictObject({
    runId: z.string({ error: 'is required' }).min(1, 'must not be empty').max(128),
    hook: hookNameSchema,
    ok: z.boolean({ error: 'must be a boolean (true or false)' }),
    message: z.string({ error: 'must be a string' }).max(1000, 'must be at most 1000 characters').default(''),
  }),
);
export type RestoreVerifiedDetail = z.infer<typeof restoreVerifiedDetailSchema>;
export const RestoreVerified = contract('RestoreVerified', restoreVerifiedDetailSchema);

/** The signal events every reconciling service may receive. */
export const SIGNAL_CONTRACTS = [SnapshotReady, RestoreCompleted, RestoreFailed, RunStalled] as const;

/**
 * Turns zod issues into one sentence naming each bad field.
 *
 * @example
 * formatIssues(result.error.issues) // 'field "task" must be one of create_snapshot, …'
 */
export const formatIssues = (issues: readonly z.core.$ZodIssue[]): string =>
  issues
    .map((issue) => {
      if (issue.code === 'unrecognized_keys') {
        const at = issue.path.length > 0 ? `${issue.path.join('.')}.` : '';
        return issue.keys
          .map(
            (k) => `field "${at}${k}" is not supported by this deployment (it would be ignored: remove it)`,
          )
          .join('; ');
      }
      const field = issue.path.length > 0 ? issue.path.join('.') : 'detail';
      return `field "${field}" ${issue.message}`;
    })
    .join('; ');

export type { DbKind };
