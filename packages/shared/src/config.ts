import * as z from 'zod';
import { ConfigError } from './errors';
import { pure } from './pure';

const seconds = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** Settings every reconciling worker reads from its Lambda environment. */
export const workerConfigSchema = /* @__PURE__ */ pure(() =>
  z.object({
    AWS_REGION: z.string().min(1).default('us-east-1'),
    RUNS_TABLE: z.string().min(1),
    EVENT_BUS_NAME: z.string().min(1),
    WORK_QUEUE_URL: z.string().url(),
    /** First check-back delay; each next one is 1.5× longer, up to the maximum. */
    CHECK_BACK_BASE_SECONDS: seconds(20),
    CHECK_BACK_MAX_SECONDS: z.coerce.number().int().positive().max(900).default(900),
    /** Spacing of the looks at a wait RDS ends with no event (a rename, a modify) while it is expected to finish. */
    CHECK_BACK_DENSE_SECONDS: z.coerce.number().int().positive().max(900).default(8),
    /**
     * Check-backs per second across every run of the deploy (each is one RDS Describe call, mostly): a check-back
     * wanting a full second goes at the next one with room. 0 turns pacing off.
     */
    DESCRIBE_BUDGET_PER_SECOND: z.coerce.number().int().min(0).default(20),
    /** How long one step may wait for RDS before it fails (RDS publishes no durations). */
    STEP_DEADLINE_MINUTES: seconds(240),
    /** A check-back later than this past its time counts as lost: the next signal restarts the chain. */
    CHECK_BACK_GRACE_SECONDS: seconds(120),
    /** How long a reconciler holds a run (longer than a Lambda invocation); a crashed holder's lease lapses then. */
    RUN_LEASE_SECONDS: seconds(60),
    /**
     * Divides a request's verify timeout (minutes a person chose). 1 on AWS; the local stack sets its time scale, so a
     * 1-minute timeout passes in 0.1 s at time scale 600, like its RDS durations and SQS delays.
     */
    VERIFY_TIME_SCALE: z.coerce.number().positive().default(1),
  }),
);
export type WorkerConfig = z.infer<typeof workerConfigSchema>;

/** The snapshot service's own settings. */
export const snapshotConfigSchema = /* @__PURE__ */ pure(() =>
  z.object({
    /** How many of its own snapshots Trapheus keeps per database (the newest); older ones are retired. */
    SNAPSHOT_RETENTION: z.coerce.number().int().min(1).max(50).default(1),
    /** The export to S3 (`export: true`): bucket, the role RDS assumes to write it, and the KMS key (all deployed). */
    EXPORT_BUCKET: z.string().default(''),
    EXPORT_ROLE_ARN: z.string().default(''),
    EXPORT_KMS_KEY_ID: z.string().default(''),
    /**
     * The secrets a request's `masterPasswordSecretArn` may name: comma-separated ARNs (IAM wildcards), the same
     * deploy parameter (masterPasswordSecretArns) as the restore role's GetSecretValue grant. Empty: none.
     */
    MASTER_PASSWORD_SECRET_ARNS: z.string().default(''),
    /** How long an export may take, queue included, before it is canceled and failed (exports take hours). */
    EXPORT_DEADLINE_MINUTES: z.coerce.number().int().positive().default(1440),
  }),
);

/**
 * Reads and validates settings from an environment; a missing or bad variable is named in the error.
 *
 * @example
 * const config = loadConfig(workerConfigSchema, process.env);
 */
export const loadConfig = <S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv): z.infer<S> => {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map(
        (i) =>
          `${i.path.join('.') || '(env)'}: ${i.code === 'invalid_type' && env[String(i.path[0])] === undefined ? 'is not set' : i.message}`,
      )
      .join('; ');
    throw new ConfigError(`invalid configuration: ${problems}`);
  }
  return parsed.data;
};
