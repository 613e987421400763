/**
 * `trapheus schedules`: the schedules of `trapheus.config.yml` (validated as the deploy validates them), each with
 * its next three firings and the last run it started (runs carry the schedule's name).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  buildRunRepository,
  createAwsClients,
  nextFirings,
  type Run,
  type ScheduleEntry,
  SchedulesConfigError,
} from '@trapheus/shared';
import { loadSchedulesFile, schedulesFileIn } from '@trapheus/shared/schedules-file';
import type { Command } from 'commander';
import { addTarget, examples, explain } from './command-kit';
import { EXIT } from './exit-codes';
import type { Io } from './restore';
import { resolveTarget } from './target';

/** The repository root (packages/cli/src → ../../..), where `trapheus.config.yml` lives. */
export const REPO_ROOT = resolve(__dirname, '..', '..', '..');

export interface ScheduleView {
  name: string;
  expression: string;
  timezone: string;
  enabled: boolean;
  identifier: string;
  isCluster: boolean;
  task: string;
  snapshotIdentifier?: string;
  /** The next three firings (whether or not the schedule is enabled). */
  next: { utc: string; zone: string }[];
  /** Rate schedules count from their creation on AWS, which the config does not know: counted from the last run. */
  nextApproximate: boolean;
  lastRun: Pick<Run, 'runId' | 'step' | 'createdAt'> | null;
}

/** `2026-03-28 03:00:00 GMT+1` in the schedule's time zone. */
const inZone = (d: Date, timeZone: string): string =>
  new Intl.DateTimeFormat('sv-SE', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'shortOffset',
  }).format(d);

const utc = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** What `schedules` shows for one entry, given the runs (newest first). */
export const scheduleView = (
  entry: ScheduleEntry,
  runs: readonly Run[] | undefined,
  now: Date,
): ScheduleView => {
  const last = runs?.find((r) => r.schedule === entry.name);
  const anchor = last ? new Date(last.createdAt) : undefined;
  return {
    name: entry.name,
    expression: entry.expression,
    timezone: entry.timezone,
    enabled: entry.enabled,
    identifier: entry.detail.identifier,
    isCluster: entry.detail.isCluster,
    task: entry.detail.task,
    ...(entry.detail.snapshotIdentifier ? { snapshotIdentifier: entry.detail.snapshotIdentifier } : {}),
    next: nextFirings(entry, 3, now, anchor).map((d) => ({ utc: utc(d), zone: inZone(d, entry.timezone) })),
    nextApproximate: entry.parsed.kind === 'rate',
    lastRun: last ? { runId: last.runId, step: last.step, createdAt: last.createdAt } : null,
  };
};

const describe = (v: ScheduleView, runsKnown: boolean): string =>
  [
    `${v.name}  ${v.expression}  ${v.timezone}  ${v.enabled ? 'enabled' : 'DISABLED'}`,
    `  ${v.task} of ${v.isCluster ? 'cluster' : 'instance'} ${v.identifier}${v.snapshotIdentifier ? ` (snapshot ${v.snapshotIdentifier})` : ''}`,
    `  next${v.enabled ? '' : ' (if enabled)'}${v.nextApproximate ? ' (rate: counted from the last run, or from now)' : ''}:`,
    ...(v.next.length
      ? v.next.map((n) => `    ${n.utc}  ${n.zone}`)
      : ['    none (the expression has no future firing)']),
    `  last run: ${
      v.lastRun
        ? `${v.lastRun.runId} ${v.lastRun.step} ${v.lastRun.createdAt}`
        : runsKnown
          ? 'none'
          : 'unknown'
    }`,
  ].join('\n');

/**
 * Adds `trapheus schedules [--local | --stage S] [--config <file>] [--json]` to the program.
 *
 * Exit codes: 0 listed; 64 the config file is invalid or `--config` names a missing file; 69 the runs table did
 * not answer (the schedules are still listed, with `last run: unknown`).
 */
export const registerSchedules = (
  program: Command,
  io: Io,
  cwd: string,
  setCode: (code: number) => void,
): Command =>
  addTarget(
    program
      .command('schedules')
      .description(
        'list the schedules of trapheus.config.yml: next three firings and the last run each started',
      )
      .option('--config <file>', 'the config file', schedulesFileIn(REPO_ROOT))
      .option('--json', 'print them as JSON'),
  )
    .addHelpText(
      'after',
      `${examples(
        'npx trapheus schedules --local',
        'npx trapheus schedules --stage prod --json',
        'npx trapheus schedules --config ./staging.config.yml --stage staging',
      )}\n\nExit 0 when listed, 64 when the config is invalid (each bad entry named), 69 when the runs table did not answer.`,
    )
    .action(async (opts: { local?: boolean; stage: string; config: string; json?: boolean }) => {
      const file = resolve(cwd, opts.config);
      if (!existsSync(file) && file !== schedulesFileIn(REPO_ROOT)) {
        io.err(`trapheus: ${file} does not exist`);
        setCode(EXIT.USAGE);
        return;
      }
      let entries: ScheduleEntry[];
      try {
        entries = loadSchedulesFile(file);
      } catch (err) {
        if (!(err instanceof SchedulesConfigError)) throw err;
        io.err(`trapheus: ${err.message}`);
        setCode(EXIT.USAGE);
        return;
      }
      let runs: Run[] | undefined;
      let failure: ReturnType<typeof explain> | undefined;
      if (entries.length) {
        try {
          const t = await resolveTarget({ local: !!opts.local, stage: opts.stage, cwd });
          runs = await buildRunRepository({
            dynamo: createAwsClients({ region: t.region, env: t.env }).dynamo,
            tableName: t.runsTable,
          }).listAll(Number.MAX_SAFE_INTEGER);
        } catch (err) {
          failure = explain(err, opts);
        }
      }
      const views = entries.map((e) => scheduleView(e, runs, new Date()));
      if (opts.json) io.out(JSON.stringify(views, null, 2));
      else if (!views.length) io.out(`no schedules in ${file}`);
      else io.out(views.map((v) => describe(v, !!runs)).join('\n\n'));
      if (failure) {
        io.err(`trapheus: the last runs are unknown: ${failure.message}`);
        setCode(failure.exitCode);
        return;
      }
      setCode(EXIT.SUCCEEDED);
    });
