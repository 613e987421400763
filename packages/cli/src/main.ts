/** `trapheus` command-line entry. Progress goes to stderr; what a script wants (a runId, JSON) to stdout. */
import { parseArgs } from 'node:util';
import { buildRunRepository, createAwsClients, TASKS } from '@trapheus/shared';
import { localCommand } from './local-commands';
import { type Io, restore } from './restore';
import { describeRun, RUNS_HEADER, runLine } from './runs-view';
import { resolveTarget } from './target';

export const USAGE = `Usage:
  trapheus demo [--time-scale N]                      start the local stack, restore demo-db, check it, stop
  trapheus local up [--time-scale N]                  run the local stack in the foreground (Ctrl-C stops it)
  trapheus local fault --operation <RDS action> [--identifier <id>] --error <code>
  trapheus local fault --events drop=<p>,duplicate=<p>,reorder=<p>,delay=<ms>
  trapheus local fault --operation <RDS action> [--identifier <id>] --status failed|incompatible-restore|…
  trapheus local fault --throttle <p> | --reset
  trapheus local outbox [--json]                      captured e-mails and Slack posts
  trapheus restore <identifier> [--cluster] [--task ${TASKS.join('|')}]
                   [--snapshot <id>] [--request-id <id>] [--strategy swap|rename_first]
                   [--wait] [--timeout <s>] [--local] [--stage <stage>]
  trapheus status <runId> [--json] [--local] [--stage <stage>]
  trapheus runs [--identifier <id>] [--cluster] [--json] [--local] [--stage <stage>]
  trapheus unlock <identifier> [--cluster] [--local] [--stage <stage>]   after a FAILED run has been dealt with

Exit codes of restore --wait: 0 SUCCEEDED, 2 ROLLED_BACK, 1 FAILED / CLEANUP_FAILED / rejected.`;

const defaultIo: Io = { out: (l) => console.log(l), err: (l) => console.error(l) };

const OPTIONS = {
  cluster: { type: 'boolean', default: false },
  task: { type: 'string', default: 'create_snapshot' },
  snapshot: { type: 'string' },
  'request-id': { type: 'string' },
  strategy: { type: 'string' },
  wait: { type: 'boolean', default: false },
  timeout: { type: 'string' },
  local: { type: 'boolean', default: false },
  stage: { type: 'string' },
  json: { type: 'boolean', default: false },
  identifier: { type: 'string' },
  'time-scale': { type: 'string' },
  operation: { type: 'string' },
  error: { type: 'string' },
  events: { type: 'string' },
  throttle: { type: 'string' },
  reset: { type: 'boolean', default: false },
  status: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

type OptionName = keyof typeof OPTIONS;
const TARGET: OptionName[] = ['local', 'stage'];

/**
 * What each command takes. Anything else is a usage error before anything is sent: a stray `db_restore` after the
 * identifier must not run the default task (which replaces the very snapshot the user meant to restore from).
 */
const ACCEPTS: Record<string, { positionals: string[]; options: OptionName[] }> = {
  restore: {
    positionals: ['<identifier>'],
    options: ['cluster', 'task', 'snapshot', 'request-id', 'strategy', 'wait', 'timeout', ...TARGET],
  },
  status: { positionals: ['<runId>'], options: ['json', ...TARGET] },
  runs: { positionals: [], options: ['identifier', 'cluster', 'json', ...TARGET] },
  unlock: { positionals: ['<identifier>'], options: ['cluster', ...TARGET] },
  demo: { positionals: [], options: ['time-scale'] },
  'local up': { positionals: [], options: ['time-scale'] },
  'local fault': {
    positionals: [],
    options: ['operation', 'identifier', 'error', 'events', 'throttle', 'reset', 'status'],
  },
  'local outbox': { positionals: [], options: ['json'] },
};

/** A usage error naming the stray argument or option, or undefined when the command takes all it was given. */
export const strayArgument = (
  command: string,
  positionals: string[],
  given: string[],
): string | undefined => {
  const sub = command === 'local' ? `local ${positionals[0] ?? ''}` : command;
  const accepts = ACCEPTS[sub];
  if (!accepts) return undefined; // unknown command or subcommand: reported where it is dispatched
  const own = command === 'local' ? positionals.slice(1) : positionals;
  const stray = own[accepts.positionals.length];
  if (stray !== undefined) {
    const hint = (TASKS as readonly string[]).includes(stray)
      ? `; did you mean --task ${stray}?`
      : stray === 'swap' || stray === 'rename_first'
        ? `; did you mean --strategy ${stray}?`
        : '';
    const takes = accepts.positionals.length ? accepts.positionals.join(' ') : 'no arguments';
    return `trapheus ${sub}: unexpected argument "${stray}" (it takes ${takes}${hint})`;
  }
  const foreign = given.find((name) => name !== 'help' && !accepts.options.includes(name as OptionName));
  if (foreign !== undefined) {
    const list = accepts.options.map((o) => `--${o}`).join(', ') || 'none';
    return `trapheus ${sub}: --${foreign} does not apply here (options: ${list})`;
  }
  return undefined;
};

/** Turns what the AWS SDK says when nothing is reachable into a sentence with the fix. */
const explain = (err: unknown, local: boolean): string => {
  const message = err instanceof Error ? err.message : String(err);
  if (/Could not load credentials|Region is missing/.test(message)) {
    return `${message} (for the local stack add --local; for AWS set AWS_PROFILE or credentials, and AWS_REGION)`;
  }
  if (local && /ECONNREFUSED|fetch failed/.test(message)) {
    return `the local stack is not answering (${message}): is \`npx trapheus local up\` still running?`;
  }
  return message;
};

export const main = async (argv: string[], io: Io = defaultIo, cwd = process.cwd()): Promise<number> => {
  const [first, ...others] = argv;
  const helpFirst = first === '--help' || first === '-h';
  const command = helpFirst ? 'help' : first;
  const rest = helpFirst ? [] : others;
  let parsed: ReturnType<
    typeof parseArgs<{ args: string[]; allowPositionals: true; tokens: true; options: typeof OPTIONS }>
  >;
  try {
    parsed = parseArgs({ args: rest, allowPositionals: true, tokens: true, options: OPTIONS });
  } catch (err) {
    const text = String((err as { message?: unknown })?.message ?? err);
    const message =
      /(Unknown option '[^']*'|Option '[^']*' argument missing)/.exec(text)?.[0] ?? text.split('. ')[0];
    io.err(`trapheus: ${message} (see \`npx trapheus --help\`)`);
    return 1;
  }
  const { values, positionals } = parsed;
  if (!command || values.help || command === 'help') {
    io.out(USAGE);
    return command ? 0 : 1;
  }
  const given = parsed.tokens.flatMap((t) => (t.kind === 'option' ? [t.name] : []));
  const stray = strayArgument(command, positionals, given);
  if (stray) {
    io.err(`${stray} (see \`npx trapheus --help\`)`);
    return 1;
  }
  try {
    return await run(command, values, positionals, io, cwd);
  } catch (err) {
    io.err(`trapheus: ${explain(err, values.local)}`);
    return 1;
  }
};

type Values = ReturnType<
  typeof parseArgs<{ args: string[]; allowPositionals: true; options: typeof OPTIONS }>
>['values'];

const run = async (
  command: string,
  values: Values,
  positionals: string[],
  io: Io,
  cwd: string,
): Promise<number> => {
  const target = () => resolveTarget({ local: values.local, stage: values.stage, cwd });

  switch (command) {
    case 'restore': {
      const identifier = positionals[0];
      if (!identifier) {
        io.err('trapheus restore: missing <identifier>');
        return 1;
      }
      const timeout = values.timeout === undefined ? undefined : Number(values.timeout);
      if (timeout !== undefined && !(Number.isFinite(timeout) && timeout > 0)) {
        io.err('trapheus restore: --timeout must be a positive number of seconds');
        return 1;
      }
      return restore(
        target(),
        {
          identifier,
          cluster: values.cluster,
          task: values.task,
          snapshot: values.snapshot,
          requestId: values['request-id'],
          ...(values.strategy ? { strategy: values.strategy } : {}),
          wait: values.wait,
          acceptTimeoutSeconds: 60,
          waitTimeoutSeconds: timeout,
          pollMs: 250,
        },
        io,
      );
    }
    case 'unlock': {
      const identifier = positionals[0];
      if (!identifier) {
        io.err('trapheus unlock: missing <identifier>');
        return 1;
      }
      const t = target();
      const clients = createAwsClients({ region: t.region, env: t.env });
      const runs = buildRunRepository({ dynamo: clients.dynamo, tableName: t.runsTable });
      const result = await runs.unlock(values.cluster ? 'cluster' : 'instance', identifier);
      if (!result.released) {
        io.err(`trapheus: not unlocked: ${result.reason}`);
        return 1;
      }
      io.out(`${identifier} unlocked (it was held by run ${result.holder})`);
      return 0;
    }
    case 'status':
    case 'runs': {
      const t = target();
      const clients = createAwsClients({ region: t.region, env: t.env });
      const runs = buildRunRepository({ dynamo: clients.dynamo, tableName: t.runsTable });
      if (command === 'status') {
        const runId = positionals[0];
        if (!runId) {
          io.err('trapheus status: missing <runId>');
          return 1;
        }
        const run = await runs.get(runId);
        if (!run) {
          io.err(`trapheus: run ${runId} not found in ${t.runsTable}`);
          return 1;
        }
        io.out(values.json ? JSON.stringify(run, null, 2) : describeRun(run));
        return 0;
      }
      const list = values.identifier
        ? await runs.listByDatabase(values.cluster ? 'cluster' : 'instance', values.identifier)
        : await runs.listAll();
      io.out(
        values.json
          ? JSON.stringify(list, null, 2)
          : list.length
            ? [RUNS_HEADER, ...list.map(runLine)].join('\n')
            : 'no runs',
      );
      return 0;
    }
    case 'local':
    case 'demo': {
      return localCommand(command === 'demo' ? ['demo', ...positionals] : positionals, values, io, cwd);
    }
    default:
      io.err(`trapheus: unknown command ${command}\n${USAGE}`);
      return 1;
  }
};
