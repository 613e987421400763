/**
 * Schedules as code: the `schedules` of `trapheus.config.yml`, validated, and what each becomes on AWS (an
 * EventBridge Scheduler schedule putting the standard `RestoreRequested` entry on the project bus) and locally.
 *
 * Expression rules, from the EventBridge Scheduler User Guide, "Schedule types on EventBridge Scheduler"
 * (https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html):
 * - `rate(value unit)`: value a positive integer, unit `minute | minutes | hour | hours | day | days`.
 * - `cron(minutes hours day-of-month month day-of-week year)`: six fields separated by white space. Values:
 *   minutes 0-59, hours 0-23, day-of-month 1-31, month 1-12 or JAN-DEC, day-of-week 1-7 or SUN-SAT (1 = Sunday),
 *   year 1970-2199. Wildcards: `, - * /` everywhere; `?` and `L` in day-of-month and day-of-week; `W` in
 *   day-of-month; `#` in day-of-week. Day-of-month and day-of-week cannot both be given: if one has a value or
 *   `*`, the other must be `?`.
 * - The time zone (`ScheduleExpressionTimezone`) is an IANA name; the expression is evaluated in it.
 *
 * Next firings are computed with croner (maintained, no dependencies, time zones, L/W/#, a year field, Quartz
 * day-of-week numbering). Its dialect is not AWS's, so `cronToCroner` adapts an AWS expression that passed the
 * checks below: a seconds field `0` is prepended (7-part mode), `a/n` becomes `a-<max>/n` (croner wants a range
 * before a step) and a lone `L` in day-of-week (AWS: the last day of the week, Saturday) becomes `7`.
 * Day-of-month and day-of-week are ANDed (croner's `domAndDow`), which with one of them `?` is AWS's meaning.
 */
import { Cron } from 'croner';
import * as z from 'zod';
import {
  formatIssues,
  RestoreRequested,
  type RestoreRequestedDetail,
  restoreRequestedDetailSchema,
} from './contracts';
import { STRATEGIES, TASKS } from './run';

export const SCHEDULES_CONFIG_FILE = 'trapheus.config.yml';

/** Scheduler replaces this in a target's Input with the time the firing was due (`2026-03-22T03:00:00Z`). */
export const SCHEDULED_TIME_ATTRIBUTE = '<aws.scheduler.scheduled-time>';

/** Logical ids in the snapshot service's template. */
export const SCHEDULER_ROLE_LOGICAL_ID = 'SchedulerRole';
export const SCHEDULE_GROUP_LOGICAL_ID = 'ScheduleGroup';
const EVENT_BUS_LOGICAL_ID = 'EventBus';

/** A config file that cannot be used: every problem, each naming its entry. */
export class SchedulesConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`${file}: ${problems.length === 1 ? problems[0] : `\n  - ${problems.join('\n  - ')}`}`);
    this.name = 'SchedulesConfigError';
  }
}

// ---------------------------------------------------------------------------------------------------------
// Expressions

export type ScheduleExpression =
  | { kind: 'rate'; value: number; unit: 'minute' | 'hour' | 'day'; ms: number }
  | { kind: 'cron'; fields: readonly string[]; croner: string };

const UNIT_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface FieldRule {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}
const FIELDS: readonly FieldRule[] = [
  { name: 'minutes', min: 0, max: 59 },
  { name: 'hours', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day-of-week', min: 1, max: 7, names: DAYS },
  { name: 'year', min: 1970, max: 2199 },
];

/** A single value of a field (number in range, or a month/day name), or an error. */
const value = (raw: string, rule: FieldRule): string | undefined => {
  if (/^\d+$/.test(raw)) {
    const n = Number(raw);
    return n >= rule.min && n <= rule.max
      ? undefined
      : `${rule.name} value ${raw} is outside ${rule.min}-${rule.max}`;
  }
  if (rule.names?.includes(raw.toUpperCase())) return undefined;
  return `${rule.name} has an invalid value "${raw}"`;
};

/** Checks one AWS cron field; returns the croner form, or throws naming the field. */
const cronField = (raw: string, rule: FieldRule): string => {
  const isDom = rule.name === 'day-of-month';
  const isDow = rule.name === 'day-of-week';
  if (raw === '?') {
    if (!isDom && !isDow)
      throw new Error(`? is only allowed in day-of-month and day-of-week (in ${rule.name})`);
    return raw;
  }
  if (isDom && /^(L|LW|\d{1,2}W)$/.test(raw)) {
    const n = raw.match(/^(\d+)W$/)?.[1];
    const err = n === undefined ? undefined : value(n, rule);
    if (err) throw new Error(err);
    return raw;
  }
  if (isDow && raw === 'L') return '7'; // AWS: the last day of the week (Saturday)
  if (isDow && /^([1-7]|[A-Za-z]{3})(L|#[1-5])$/.test(raw)) {
    const err = value(raw.replace(/(L|#[1-5])$/, ''), rule);
    if (err) throw new Error(err);
    return raw;
  }
  return raw
    .split(',')
    .map((item) => {
      const m = /^(\*|[A-Za-z0-9]+(?:-[A-Za-z0-9]+)?)(?:\/(\d+))?$/.exec(item);
      if (!m?.[1]) throw new Error(`${rule.name} has an invalid item "${item}"`);
      const [range, step] = [m[1], m[2]];
      if (step !== undefined && Number(step) < 1) throw new Error(`${rule.name} step must be at least 1`);
      if (range === '*') return item;
      const [from, to] = range.split('-') as [string, string | undefined];
      for (const v of [from, to]) {
        const err = v === undefined ? undefined : value(v, rule);
        if (err) throw new Error(err);
      }
      // AWS `5/15` = from 5, every 15; croner wants a range before a step.
      return step !== undefined && to === undefined ? `${from}-${rule.max}/${step}` : item;
    })
    .join(',');
};

/**
 * Parses a Scheduler `rate(...)` or `cron(...)` expression (AWS rules in the header of this file).
 *
 * @throws Error saying what is wrong with the expression
 * @example
 * parseScheduleExpression('cron(0 3 ? * MON-FRI *)') // { kind: 'cron', … }
 * parseScheduleExpression('rate(15 minutes)')        // { kind: 'rate', value: 15, unit: 'minute', ms: 900000 }
 */
export const parseScheduleExpression = (expression: string): ScheduleExpression => {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate?.[1] && rate[2]) {
    const n = Number(rate[1]);
    if (n < 1) throw new Error(`rate value must be a positive integer (got ${rate[1]})`);
    const unit = rate[2].replace(/s$/, '') as keyof typeof UNIT_MS;
    return { kind: 'rate', value: n, unit, ms: n * UNIT_MS[unit] };
  }
  if (expression.startsWith('rate(')) {
    throw new Error('a rate expression is rate(<positive integer> minute|minutes|hour|hours|day|days)');
  }
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (!cron || cron[1] === undefined) {
    throw new Error('must be cron(minutes hours day-of-month month day-of-week year) or rate(value unit)');
  }
  const fields = cron[1].trim().split(/\s+/);
  if (fields.length !== 6) {
    throw new Error(
      `a cron expression has six fields (minutes hours day-of-month month day-of-week year), got ${fields.length}`,
    );
  }
  const [, , dom, , dow] = fields;
  if ((dom === '?') === (dow === '?')) {
    throw new Error('exactly one of day-of-month and day-of-week must be ? (AWS does not combine them)');
  }
  const converted = fields.map((f, i) => cronField(f, FIELDS[i] as FieldRule));
  const pattern = `0 ${converted.join(' ')}`;
  try {
    cronerFor(pattern, 'UTC');
  } catch (err) {
    throw new Error(`invalid cron expression: ${(err as Error).message}`);
  }
  return { kind: 'cron', fields, croner: pattern };
};

const cronerFor = (pattern: string, timezone: string) =>
  new Cron(pattern, { mode: '7-part', alternativeWeekdays: true, domAndDow: true, timezone, paused: true });

/** Whether Intl knows this IANA time zone name (Scheduler's ScheduleExpressionTimezone); offsets are refused. */
export const isIanaTimeZone = (tz: string): boolean => {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(tz)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};

// ---------------------------------------------------------------------------------------------------------
// Entries

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

const entrySchema = z.strictObject({
  /** Scheduler schedule name (in the group `trapheus-<stage>`); recorded on the runs it starts. */
  name: z
    .string({ error: (iss) => (iss.input === undefined ? 'is required' : 'must be a string') })
    .min(1, 'must not be empty')
    .max(64, 'must be at most 64 characters')
    .regex(
      NAME_PATTERN,
      'must be letters, digits, hyphens, underscores and dots, starting with a letter or digit',
    ),
  description: z.string({ error: 'must be a string' }).max(512, 'must be at most 512 characters').optional(),
  identifier: z.string({ error: (iss) => (iss.input === undefined ? 'is required' : 'must be a string') }),
  isCluster: z.boolean({ error: 'must be a boolean (true or false)' }).default(false),
  task: z.enum(TASKS, {
    error: (iss) =>
      iss.input === undefined
        ? 'is required'
        : `is an unknown task "${String(iss.input)}": use one of ${TASKS.join(', ')}`,
  }),
  snapshotIdentifier: z.unknown().optional(),
  strategy: z.enum(STRATEGIES, { error: `must be one of ${STRATEGIES.join(', ')}` }).optional(),
  /** Also export each firing's fresh snapshot to S3 (checked against the request schema: snapshot tasks only). */
  export: z.unknown().optional(),
  /** Hooks that check each firing's copy before it is committed (checked against the request schema). */
  verify: z.unknown().optional(),
  /** The secret whose password each firing's copy gets (checked against the request schema: a secret ARN). */
  masterPasswordSecretArn: z.unknown().optional(),
  /** db_restore to the latest restorable time (checked against the request schema). */
  latest: z.unknown().optional(),
  /** clone_from: the cluster each firing clones (checked against the request schema). */
  sourceIdentifier: z.unknown().optional(),
  /** restore_copy: each firing's rehearsal database, and whether it is kept (checked against the request schema). */
  targetIdentifier: z.unknown().optional(),
  keep: z.unknown().optional(),
  /** share_snapshot: the accounts each firing's snapshot is shared with, and the key to copy it with. */
  shareWith: z.unknown().optional(),
  kmsKeyId: z.unknown().optional(),
  expression: z.string({
    error: (iss) => (iss.input === undefined ? 'is required (cron(...) or rate(...))' : 'must be a string'),
  }),
  timezone: z.string({ error: 'must be a string' }).default('UTC'),
  enabled: z.boolean({ error: 'must be a boolean (true or false)' }).default(true),
});

export interface ScheduleEntry {
  name: string;
  description?: string;
  expression: string;
  parsed: ScheduleExpression;
  timezone: string;
  enabled: boolean;
  /** The RestoreRequested detail each firing puts on the bus, with `requestId` still holding the placeholder. */
  detail: RestoreRequestedDetail & { schedule: string; requestId: string };
}

/**
 * The idempotency key of one firing: Scheduler may retry a PutEvents it thinks failed, and the same firing
 * must never start two runs.
 */
const requestIdFor = (name: string, scheduledTime: string) => `schedule:${name}:${scheduledTime}`;

const configSchema = z.looseObject({
  schedules: z.array(z.unknown(), { error: 'must be a list of schedules' }).nullish(),
});

/**
 * Validates the parsed YAML of `trapheus.config.yml` (`null` for an empty file). Every problem is reported, each
 * naming its entry: `schedule "nightly-demo" (entry 1): field "task" is an unknown task "restore": …`.
 *
 * @throws SchedulesConfigError
 */
export const parseSchedulesConfig = (raw: unknown, file = SCHEDULES_CONFIG_FILE): ScheduleEntry[] => {
  if (raw === null || raw === undefined) return [];
  const config = configSchema.safeParse(raw);
  if (!config.success) {
    throw new SchedulesConfigError(
      file,
      typeof raw !== 'object' || Array.isArray(raw)
        ? ['expected a mapping with a `schedules` list']
        : [formatIssues(config.error.issues)],
    );
  }
  const problems: string[] = [];
  const entries: ScheduleEntry[] = [];
  const seen = new Map<string, number>();
  const logicalIds = new Map<string, string>();
  for (const [i, item] of (config.data.schedules ?? []).entries()) {
    const rawName = (item as { name?: unknown } | null)?.name;
    const label =
      typeof rawName === 'string' && rawName ? `schedule "${rawName}" (entry ${i + 1})` : `entry ${i + 1}`;
    const parsed = entrySchema.safeParse(item);
    if (!parsed.success) {
      problems.push(`${label}: ${formatIssues(parsed.error.issues)}`);
      continue;
    }
    const e = parsed.data;
    const entryProblems: string[] = [];
    const first = seen.get(e.name);
    if (first !== undefined) entryProblems.push(`the name is already used by entry ${first + 1}`);
    else seen.set(e.name, i);
    const logicalId = scheduleLogicalId(e.name);
    const clash = logicalIds.get(logicalId);
    if (clash !== undefined && clash !== e.name) {
      entryProblems.push(`the name differs from "${clash}" only in punctuation (both would be ${logicalId})`);
    } else logicalIds.set(logicalId, e.name);
    let expression: ScheduleExpression | undefined;
    try {
      expression = parseScheduleExpression(e.expression);
    } catch (err) {
      entryProblems.push(`field "expression" ${JSON.stringify(e.expression)}: ${(err as Error).message}`);
    }
    if (!isIanaTimeZone(e.timezone)) {
      entryProblems.push(
        `field "timezone" "${e.timezone}" is not an IANA time zone name (e.g. UTC, Europe/Paris)`,
      );
    }
    const detail = restoreRequestedDetailSchema.safeParse({
      identifier: e.identifier,
      task: e.task,
      isCluster: e.isCluster,
      ...(e.snapshotIdentifier !== undefined ? { snapshotIdentifier: e.snapshotIdentifier } : {}),
      ...(e.strategy ? { strategy: e.strategy } : {}),
      ...(e.export !== undefined ? { export: e.export } : {}),
      ...(e.verify !== undefined ? { verify: e.verify } : {}),
      ...(e.masterPasswordSecretArn !== undefined
        ? { masterPasswordSecretArn: e.masterPasswordSecretArn }
        : {}),
      ...(e.latest !== undefined ? { latest: e.latest } : {}),
      ...(e.sourceIdentifier !== undefined ? { sourceIdentifier: e.sourceIdentifier } : {}),
      ...(e.targetIdentifier !== undefined ? { targetIdentifier: e.targetIdentifier } : {}),
      ...(e.keep !== undefined ? { keep: e.keep } : {}),
      ...(e.shareWith !== undefined ? { shareWith: e.shareWith } : {}),
      ...(e.kmsKeyId !== undefined ? { kmsKeyId: e.kmsKeyId } : {}),
      requestId: requestIdFor(e.name, SCHEDULED_TIME_ATTRIBUTE),
      schedule: e.name,
    });
    if (!detail.success) entryProblems.push(formatIssues(detail.error.issues));
    if (entryProblems.length || !expression || !detail.success) {
      problems.push(`${label}: ${entryProblems.join('; ')}`);
      continue;
    }
    entries.push({
      name: e.name,
      ...(e.description ? { description: e.description } : {}),
      expression: e.expression,
      parsed: expression,
      timezone: e.timezone,
      enabled: e.enabled,
      detail: detail.data as ScheduleEntry['detail'],
    });
  }
  if (problems.length) throw new SchedulesConfigError(file, problems);
  return entries;
};

/** The Input of the Scheduler target: the RestoreRequested detail as JSON, Scheduler's placeholder inside. */
export const scheduleInput = (entry: ScheduleEntry): string => JSON.stringify(entry.detail);

/** The detail one firing puts on the bus, as Scheduler fills it in (`scheduledTime` without milliseconds). */
export const firedDetail = (entry: ScheduleEntry, scheduledTime: Date): RestoreRequestedDetail =>
  JSON.parse(
    scheduleInput(entry)
      .split(SCHEDULED_TIME_ATTRIBUTE)
      .join(scheduledTime.toISOString().replace(/\.\d{3}Z$/, 'Z')),
  );

// ---------------------------------------------------------------------------------------------------------
// Firings

/**
 * The next `count` firings strictly after `from`. Cron: in the entry's time zone. Rate: every interval from
 * `anchor` (Scheduler counts from the schedule's creation, which the config does not know: pass the last firing
 * when known; without an anchor the interval counts from `from`).
 */
export const nextFirings = (entry: ScheduleEntry, count: number, from: Date, anchor?: Date): Date[] => {
  const p = entry.parsed;
  if (p.kind === 'cron') return cronerFor(p.croner, entry.timezone).nextRuns(count, from);
  const start = anchor && anchor.getTime() <= from.getTime() ? anchor.getTime() : from.getTime();
  const k = Math.floor((from.getTime() - start) / p.ms) + 1;
  return Array.from({ length: count }, (_, i) => new Date(start + (k + i) * p.ms));
};

// ---------------------------------------------------------------------------------------------------------
// CloudFormation

/** `nightly-demo_db.v2` → `ScheduleNightlyDemoDbV2` (CloudFormation logical ids are alphanumeric). */
export const scheduleLogicalId = (name: string): string =>
  `Schedule${name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('')}`;

/**
 * The resources the snapshot service's template gets for these entries (none without entries): one
 * AWS::Scheduler::Schedule per entry in the group `trapheus-<stage>` (named after the bus), and the role they
 * all use, trusted by scheduler.amazonaws.com (for this account only) and allowed exactly `events:PutEvents`
 * on the project bus.
 */
export const schedulerResources = (entries: readonly ScheduleEntry[]): Record<string, unknown> => {
  if (entries.length === 0) return {};
  const busArn = { 'Fn::GetAtt': [EVENT_BUS_LOGICAL_ID, 'Arn'] };
  const resources: Record<string, unknown> = {
    [SCHEDULE_GROUP_LOGICAL_ID]: {
      Type: 'AWS::Scheduler::ScheduleGroup',
      Properties: { Name: { Ref: EVENT_BUS_LOGICAL_ID } },
    },
    [SCHEDULER_ROLE_LOGICAL_ID]: {
      Type: 'AWS::IAM::Role',
      Properties: {
        Description:
          'EventBridge Scheduler: puts the RestoreRequested of trapheus.config.yml schedules on the bus',
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: 'scheduler.amazonaws.com' },
              Action: 'sts:AssumeRole',
              Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
            },
          ],
        },
        Policies: [
          {
            PolicyName: 'put-restore-requested',
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [{ Effect: 'Allow', Action: 'events:PutEvents', Resource: busArn }],
            },
          },
        ],
      },
    },
  };
  for (const entry of entries) {
    resources[scheduleLogicalId(entry.name)] = {
      Type: 'AWS::Scheduler::Schedule',
      Properties: {
        Name: entry.name,
        GroupName: { Ref: SCHEDULE_GROUP_LOGICAL_ID },
        ...(entry.description ? { Description: entry.description } : {}),
        ScheduleExpression: entry.expression,
        ScheduleExpressionTimezone: entry.timezone,
        State: entry.enabled ? 'ENABLED' : 'DISABLED',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: {
          Arn: busArn,
          RoleArn: { 'Fn::GetAtt': [SCHEDULER_ROLE_LOGICAL_ID, 'Arn'] },
          EventBridgeParameters: { DetailType: RestoreRequested.detailType, Source: RestoreRequested.source },
          Input: scheduleInput(entry),
        },
      },
    };
  }
  return resources;
};
