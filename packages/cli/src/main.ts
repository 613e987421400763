/**
 * `trapheus` command-line entry. Progress goes to stderr; what a script wants (a runId, JSON) to stdout.
 *
 * Parsing is commander's: each command declares its own arguments and options, so a stray argument or an option
 * of another command is a usage error before anything is sent, and `trapheus <command> --help` documents that
 * command. (commander over citty, cac and clipanion: CommonJS like the rest of the CLI, no dependencies, per-command
 * help with defaults and choices, conflicting options, and errors it lets us catch and map to exit codes.)
 */
import {
  buildRunRepository,
  buildRunView,
  createAwsClients,
  deliveriesTableFor,
  TASKS,
} from '@trapheus/shared';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { addTarget, examples, explain } from './command-kit';
import { EXIT, exitCodesHelp } from './exit-codes';
import { localCommand } from './local-commands';
import { registerPlan } from './plan';
import { followRun, type Io, restore } from './restore';
import { describeRun, RUNS_HEADER, runLine } from './runs-view';
import { registerSchedules } from './schedules-command';
import { readLiveLocalInfo, resolveTarget } from './target';
import { registerUi } from './ui/register';
import { registerVerify } from './verify-command';

const defaultIo: Io = {
  out: (l) => console.log(l),
  err: (l) => console.error(l),
  errStream: process.stderr,
};

const positiveSeconds = (raw: string): number => {
  const n = Number(raw);
  if (!(Number.isFinite(n) && n > 0)) throw new InvalidArgumentError('must be a positive number of seconds');
  return n;
};

const positiveNumber = (raw: string): number => {
  const n = Number(raw);
  if (!(Number.isFinite(n) && n > 0)) throw new InvalidArgumentError('must be a positive number');
  return n;
};

/** What a command gets: its parsed options, as commander gives them. */
interface Opts {
  local?: boolean;
  stage: string;
  cluster?: boolean;
  restoreTime?: string;
  latest?: boolean;
  source?: string;
  target?: string;
  keep?: boolean;
  shareWith?: string;
  kmsKeyId?: string;
  json?: boolean;
  wait?: boolean;
  timeout?: number;
  task: string;
  snapshot?: string;
  requestId?: string;
  strategy: string;
  export?: boolean;
  verify?: string;
  verifyTimeout?: number;
  masterPasswordSecretArn?: string;
  identifier?: string;
  timeScale?: number;
  rdsEndpoint?: string;
  operation?: string;
  error?: string;
  events?: string;
  throttle?: string;
  reset?: boolean;
  status?: string;
}

/** The stray-argument message, with the option the user probably meant. */
const strayMessage = (cmd: Command, stray: string): string => {
  const hint = (TASKS as readonly string[]).includes(stray)
    ? ` (did you mean --task ${stray}?)`
    : stray === 'swap' || stray === 'rename_first'
      ? ` (did you mean --strategy ${stray}?)`
      : '';
  const takes = cmd.registeredArguments.length
    ? cmd.registeredArguments.map((a) => `<${a.name()}>`).join(' ')
    : 'no arguments';
  return `error: unexpected argument '${stray}': ${commandPath(cmd)} takes ${takes}${hint}`;
};

const commandPath = (cmd: Command): string => {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
};

export const buildProgram = (io: Io, cwd: string, setCode: (code: number) => void): Command => {
  const program = new Command('trapheus')
    .description(
      'Restore an Amazon RDS DB instance or Aurora cluster from a snapshot in place, with rollback and alerts.',
    )
    .usage('<command> [options]')
    .exitOverride()
    .allowExcessArguments(true) // checked in the preAction hook, with a hint
    .showSuggestionAfterError(true)
    .configureHelp({ showGlobalOptions: false, sortSubcommands: false })
    .addHelpText(
      'after',
      `${examples(
        'npx trapheus demo',
        'npx trapheus restore orders-db --task create_snapshot --wait --stage prod',
        'npx trapheus restore demo-db --wait --local',
      )}\n\n${exitCodesHelp()}\n\nEach command has its own help: npx trapheus <command> --help`,
    )
    .hook('preAction', (_root, cmd) => {
      const stray = cmd.args[cmd.registeredArguments.length];
      if (stray !== undefined) {
        cmd.error(strayMessage(cmd, stray), { code: 'commander.excessArguments', exitCode: EXIT.USAGE });
      }
    });

  const withTarget = async (opts: Opts) => resolveTarget({ local: !!opts.local, stage: opts.stage, cwd });

  addTarget(
    program
      .command('restore')
      .description(
        'request a restore of <identifier> in place; prints the runId once the request is accepted',
      )
      .argument('<identifier>', 'the DB instance (or, with --cluster, the Aurora cluster) to restore')
      .option('--cluster', 'the identifier names an Aurora DB cluster')
      .addOption(
        new Option(
          '--task <task>',
          'create_snapshot: take a snapshot now and restore it; db_restore: restore an existing snapshot (or a point in time); create_snapshot_only: only take the snapshot; clone_from: refresh a cluster from a clone of another (--source); restore_copy: rehearse a restore under a new name (--target); share_snapshot: take a snapshot and share it (--share-with)',
        )
          .choices(TASKS)
          .default('create_snapshot'),
      )
      .option(
        '--snapshot <id>',
        'db_restore: the snapshot to restore (default: the newest Trapheus took of this database); snapshot tasks: the base name of the snapshot to take',
      )
      .addOption(
        new Option(
          '--restore-time <time>',
          'db_restore to this point in time instead of a snapshot (ISO 8601 with a zone, e.g. 2026-12-01T02:00:00Z), from the automated backups',
        ).conflicts(['snapshot', 'latest']),
      )
      .addOption(
        new Option('--latest', 'db_restore to the latest restorable time instead of a snapshot').conflicts([
          'snapshot',
        ]),
      )
      .addOption(
        new Option(
          '--source <cluster>',
          'clone_from: the Aurora cluster to clone (copy-on-write, its latest time) into <identifier>, instead of a snapshot',
        ).conflicts(['snapshot', 'restoreTime', 'latest']),
      )
      .option(
        '--target <identifier>',
        'restore_copy: the new database the rehearsal restores (the source is never touched)',
      )
      .option('--keep', 'restore_copy: leave the copy when the rehearsal is done (default: it is deleted)')
      .option(
        '--share-with <accounts>',
        'share_snapshot: comma-separated 12-digit AWS account ids to share the fresh snapshot with',
      )
      .option(
        '--kms-key-id <arn>',
        'share_snapshot: a customer managed KMS key to copy the snapshot with before sharing (needed for a database on the AWS managed key aws/rds)',
      )
      .option('--request-id <id>', 'idempotency key: the same id never starts two runs (default: a new one)')
      .addOption(
        new Option(
          '--strategy <strategy>',
          "swap: restore beside the original, then swap names; rename_first: the original tool's order",
        )
          .choices(['swap', 'rename_first'])
          .default('swap'),
      )
      .option(
        '--export',
        'also export the fresh snapshot to S3, beside the run (snapshot tasks; never delays or fails the restore)',
      )
      .option(
        '--master-password-secret-arn <arn>',
        "set the copy's master password from this Secrets Manager secret (allowed by the deploy's masterPasswordSecretArns)",
      )
      .option(
        '--verify <hooks>',
        'comma-separated hooks that must all answer ok (RestoreVerified) before the copy is committed',
      )
      .addOption(
        new Option(
          '--verify-timeout <minutes>',
          'with --verify: how long the hooks have (default 60)',
        ).argParser(positiveNumber),
      )
      .option('--wait', 'follow the run to its end; the exit code says how it ended')
      .addOption(
        new Option(
          '--timeout <seconds>',
          'with --wait: stop waiting after this long (exit 75; the run goes on)',
        ).argParser(positiveSeconds),
      ),
  )
    .addHelpText(
      'after',
      `${examples(
        'npx trapheus restore demo-db --wait --local',
        'npx trapheus restore orders-db --task db_restore --snapshot orders-db-2026-11-30 --stage prod',
        'npx trapheus restore orders-db --task db_restore --restore-time 2026-12-01T02:00:00Z --stage prod',
        'npx trapheus restore staging --cluster --task clone_from --source prod --wait --stage prod',
        'npx trapheus restore orders-db --task restore_copy --target orders-db-rehearsal --wait --stage prod',
        'npx trapheus restore orders-db --task share_snapshot --share-with 123456789012 --kms-key-id arn:aws:kms:eu-west-1:111122223333:key/1a2b --stage prod',
        'npx trapheus restore demo-cluster --cluster --wait --timeout 3600 --local',
      )}\n\n${exitCodesHelp()}`,
    )
    .action(async (identifier: string, opts: Opts) => {
      setCode(
        await restore(
          () => withTarget(opts),
          {
            identifier,
            cluster: !!opts.cluster,
            task: opts.task,
            snapshot: opts.snapshot,
            restoreTime: opts.restoreTime,
            latest: !!opts.latest,
            sourceIdentifier: opts.source,
            targetIdentifier: opts.target,
            keep: !!opts.keep,
            ...(opts.shareWith ? { shareWith: opts.shareWith.split(',').map((a) => a.trim()) } : {}),
            kmsKeyId: opts.kmsKeyId,
            requestId: opts.requestId,
            strategy: opts.strategy,
            export: !!opts.export,
            masterPasswordSecretArn: opts.masterPasswordSecretArn,
            ...(opts.verify
              ? {
                  verify: {
                    hooks: opts.verify.split(',').map((h) => h.trim()),
                    ...(opts.verifyTimeout ? { timeoutMinutes: opts.verifyTimeout } : {}),
                  },
                }
              : {}),
            wait: !!opts.wait,
            acceptTimeoutSeconds: 60,
            waitTimeoutSeconds: opts.timeout,
            pollMs: 250,
          },
          io,
        ),
      );
    });

  addTarget(
    program
      .command('status')
      .description('show one run: its steps, what it waits for, its failure and what to do next')
      .argument('<runId>', 'the run, as printed by `trapheus restore` (run-…)')
      .option(
        '--json',
        'print the run view as JSON: the stored run, steps, waits, RDS calls, notifications, failure',
      )
      .option('--wait', 'follow the run to its end; the exit code says how it ended')
      .addOption(
        new Option('--timeout <seconds>', 'with --wait: stop waiting after this long (exit 75)').argParser(
          positiveSeconds,
        ),
      ),
  )
    .addHelpText(
      'after',
      `${examples('npx trapheus status run-3f2a9c1d0b7e4a56 --local', 'npx trapheus status run-3f2a9c1d0b7e4a56 --wait --stage prod')}\n\nWithout --wait it exits 0 when the run is shown, 1 when it is not found; with --wait, as restore --wait.`,
    )
    .action(async (runId: string, opts: Opts) => {
      const t = await withTarget(opts);
      const { dynamo } = createAwsClients({ region: t.region, env: t.env });
      const runs = buildRunRepository({ dynamo, tableName: t.runsTable });
      const run = await runs.get(runId);
      if (!run) {
        io.err(`trapheus: run ${runId} not found in ${t.runsTable} (${t.flags})`);
        setCode(EXIT.FAILED);
        return;
      }
      if (opts.wait) {
        setCode(await followRun(runs, runId, { pollMs: 250, waitTimeoutSeconds: opts.timeout }, io, t.flags));
        return;
      }
      if (opts.json) {
        // The same data as the web UI's run page (packages/shared/src/run-view.ts).
        const view = await buildRunView(
          {
            runs: { get: async () => run, getTrace: runs.getTrace },
            dynamo,
            runsTable: t.runsTable,
            deliveriesTable: deliveriesTableFor(t.runsTable),
            flags: t.flags,
          },
          runId,
        );
        io.out(JSON.stringify(view, null, 2));
      } else io.out(describeRun(run, t.flags));
      setCode(EXIT.SUCCEEDED);
    });

  addTarget(
    program
      .command('runs')
      .description('list runs, newest first')
      .option('--identifier <id>', 'only the runs of this database')
      .option('--cluster', 'with --identifier: the database is an Aurora cluster')
      .option('--json', 'print the stored runs as JSON'),
  )
    .addHelpText(
      'after',
      examples('npx trapheus runs --local', 'npx trapheus runs --identifier orders-db --stage prod'),
    )
    .action(async (opts: Opts) => {
      const t = await withTarget(opts);
      const runs = buildRunRepository({
        dynamo: createAwsClients({ region: t.region, env: t.env }).dynamo,
        tableName: t.runsTable,
      });
      const list = opts.identifier
        ? await runs.listByDatabase(opts.cluster ? 'cluster' : 'instance', opts.identifier)
        : await runs.listAll();
      io.out(
        opts.json
          ? JSON.stringify(list, null, 2)
          : list.length
            ? [RUNS_HEADER, ...list.map(runLine)].join('\n')
            : 'no runs',
      );
      setCode(EXIT.SUCCEEDED);
    });

  addTarget(
    program
      .command('unlock')
      .description('release a database held by a FAILED run, once a person has dealt with it')
      .argument('<identifier>', 'the DB instance (or, with --cluster, the Aurora cluster)')
      .option('--cluster', 'the identifier names an Aurora DB cluster'),
  )
    .addHelpText(
      'after',
      examples(
        'npx trapheus unlock orders-db --stage prod',
        'npx trapheus unlock demo-cluster --cluster --local',
      ),
    )
    .action(async (identifier: string, opts: Opts) => {
      const t = await withTarget(opts);
      const runs = buildRunRepository({
        dynamo: createAwsClients({ region: t.region, env: t.env }).dynamo,
        tableName: t.runsTable,
      });
      const result = await runs.unlock(opts.cluster ? 'cluster' : 'instance', identifier);
      if (!result.released) {
        io.err(`trapheus: not unlocked: ${result.reason}`);
        setCode(EXIT.FAILED);
        return;
      }
      io.out(`${identifier} unlocked (it was held by run ${result.holder})`);
      setCode(EXIT.SUCCEEDED);
    });

  const timeScale = () =>
    new Option('--time-scale <n>', 'divide every RDS duration by n (60: a 10-minute restore takes 10 s)')
      .argParser(positiveNumber)
      .default(60);

  program
    .command('demo')
    .description('start the local stack, restore demo-db in place, check it kept its configuration, stop')
    .addOption(timeScale())
    .addHelpText('after', examples('npx trapheus demo', 'npx trapheus demo --time-scale 120'))
    .action(async (opts: Opts) => {
      setCode(await localCommand(['demo'], { 'time-scale': String(opts.timeScale) }, io, cwd));
    });

  const local = program
    .command('local')
    .description('the local stack: up, fault, outbox')
    .usage('<up|fault|outbox> [options]')
    .addHelpText('after', examples('npx trapheus local up', 'npx trapheus local outbox'));

  local
    .command('up')
    .description('run the local stack in the foreground (Ctrl-C stops it); seeds demo-db and demo-cluster')
    .addOption(timeScale())
    .addOption(
      new Option(
        '--rds-endpoint <url>',
        'use another RDS endpoint (moto, LocalStack) instead of the built-in simulator (default: AWS_ENDPOINT_URL_RDS when set); nothing is seeded there and no RDS events arrive',
      ),
    )
    .addHelpText(
      'after',
      examples(
        'npx trapheus local up',
        'npx trapheus local up --rds-endpoint http://127.0.0.1:5000   # moto_server -p 5000',
      ),
    )
    .action(async (opts: Opts) => {
      setCode(
        await localCommand(
          ['up'],
          {
            'time-scale': String(opts.timeScale),
            ...(opts.rdsEndpoint ? { 'rds-endpoint': opts.rdsEndpoint } : {}),
          },
          io,
          cwd,
        ),
      );
    });

  local
    .command('fault')
    .description('inject a fault into the running local stack (the built-in RDS simulator)')
    .option('--operation <action>', 'the RDS action to fail (e.g. RestoreDBInstanceFromDBSnapshot)')
    .option('--identifier <id>', 'with --operation: only calls on this identifier')
    .option('--error <code>', 'with --operation: the next call fails with this RDS error code')
    .option(
      '--status <status>',
      'with --operation: the operation ends in this status (failed, incompatible-restore, …)',
    )
    .option('--events <spec>', 'RDS event faults: drop=<p>,duplicate=<p>,reorder=<p>,delay=<ms>')
    .option('--throttle <p>', 'throttle this share of RDS calls (0–1)')
    .option('--reset', 'clear every fault')
    .addHelpText(
      'after',
      examples(
        'npx trapheus local fault --operation RestoreDBInstanceFromDBSnapshot --status incompatible-restore',
        'npx trapheus local fault --events drop=0.5,delay=300',
        'npx trapheus local fault --reset',
      ),
    )
    .action(async (opts: Opts) => {
      await readLiveLocalInfo(cwd);
      const values: Record<string, string | boolean | undefined> = {
        operation: opts.operation,
        identifier: opts.identifier,
        error: opts.error,
        status: opts.status,
        events: opts.events,
        throttle: opts.throttle,
        reset: opts.reset,
      };
      setCode(await localCommand(['fault'], values, io, cwd));
    });

  local
    .command('outbox')
    .description('the e-mails and Slack posts the local stack captured')
    .option('--json', 'print them as JSON')
    .addHelpText(
      'after',
      examples('npx trapheus local outbox', 'npx trapheus local outbox --json | jq .slack'),
    )
    .action(async (opts: Opts) => {
      await readLiveLocalInfo(cwd);
      setCode(await localCommand(['outbox'], { json: opts.json }, io, cwd));
    });

  registerPlan(program, io, cwd, setCode);
  registerSchedules(program, io, cwd, setCode);
  registerVerify(program, io, cwd, setCode);
  registerUi(program, io, cwd, setCode);

  // Each command's errors point at its own help.
  const configure = (cmd: Command) => {
    cmd.configureOutput({
      writeOut: (s) => io.out(s.trimEnd()),
      writeErr: (s) => io.err(s.trimEnd()),
      outputError: (s, write) => write(`${s.trimEnd()} (see \`npx ${commandPath(cmd)} --help\`)\n`),
    });
    for (const sub of cmd.commands) configure(sub);
  };
  configure(program);
  return program;
};

// Kept for modules written against main's exports.
export { addTarget, examples, explain };

/** Every command as a path (`local up`), for tests and docs. */
export const commandPaths = (program: Command): string[] =>
  program.commands.flatMap((c) =>
    c.commands.length ? c.commands.map((s) => `${c.name()} ${s.name()}`) : [c.name()],
  );

export const main = async (argv: string[], io: Io = defaultIo, cwd = process.cwd()): Promise<number> => {
  let code: number = EXIT.SUCCEEDED;
  const program = buildProgram(io, cwd, (c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.SUCCEEDED : EXIT.USAGE;
    const leaf = program.commands.find((c) => c.name() === argv[0]);
    const failure = explain(err, leaf?.opts() ?? {});
    io.err(`trapheus: ${failure.message}`);
    return failure.exitCode;
  }
};
