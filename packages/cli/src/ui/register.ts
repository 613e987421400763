/**
 * `trapheus ui [--local | --stage S] [--port N]`: a small web UI on 127.0.0.1 for the runs of a target (the list,
 * each run's timeline, waits, calls, failure and alerts), read-only but for unlocking a database behind a
 * confirmation. Prints its URL on stdout; Ctrl-C stops it.
 */
import { buildRunRepository, createAwsClients } from '@trapheus/shared';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { addTarget, examples, explain } from '../command-kit';
import { CliError, EXIT } from '../exit-codes';
import type { Io } from '../restore';
import { resolveTarget } from '../target';
import { DEFAULT_PORT, startUiServer, type UiServer } from './server';
import { sourceFor } from './view-model';

const portNumber = (raw: string): number => {
  const n = Number(raw);
  if (!(Number.isInteger(n) && n >= 0 && n <= 65535)) {
    throw new InvalidArgumentError('must be a port number (0 picks a free one)');
  }
  return n;
};

/**
 * Starts the UI against a target, after one read of its runs table (so missing credentials or a stopped stack
 * are reported now, with their exit code, not on the first page). The CLI command and the browser test use it.
 */
export const openUi = async (opts: {
  local: boolean;
  stage?: string;
  cwd: string;
  port: number;
}): Promise<UiServer & { flags: string }> => {
  const target = await resolveTarget({ local: opts.local, stage: opts.stage, cwd: opts.cwd });
  const { dynamo } = createAwsClients({ region: target.region, env: target.env });
  const runs = buildRunRepository({ dynamo, tableName: target.runsTable });
  const source = sourceFor({ runs, dynamo, runsTable: target.runsTable, flags: target.flags });
  await source.listPage({ limit: 1 });
  const describeError = (err: unknown) => explain(err, { local: opts.local, stage: opts.stage }).message;
  try {
    const server = await startUiServer({ source, flags: target.flags, describeError, port: opts.port });
    return { ...server, flags: target.flags };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new CliError(
        `port ${opts.port} on 127.0.0.1 is in use: choose another with --port, or --port 0 for a free one`,
        EXIT.UNAVAILABLE,
      );
    }
    throw err;
  }
};

/** Resolves on Ctrl-C (SIGINT) or SIGTERM. */
const untilStopped = (): Promise<string> =>
  new Promise((resolve) => {
    const stop = (signal: string) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(signal);
    };
    const onInt = () => stop('SIGINT');
    const onTerm = () => stop('SIGTERM');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
  });

/**
 * Adds `ui` to the program (main.ts: `registerUi(program, io, cwd, setCode)`).
 *
 * Exit codes: 0 stopped with Ctrl-C; 64 usage; 69 the target did not answer or the port is taken.
 */
export const registerUi = (
  program: Command,
  io: Io,
  cwd: string,
  setCode: (code: number) => void,
  stopped: () => Promise<unknown> = untilStopped,
): Command =>
  addTarget(
    program
      .command('ui')
      .description(
        'serve a web UI of the runs on 127.0.0.1 (list, timeline, waits, RDS calls, failure, alerts); Ctrl-C stops it',
      )
      .addOption(
        new Option('--port <n>', 'the port on 127.0.0.1 (0 picks a free one)')
          .argParser(portNumber)
          .default(DEFAULT_PORT),
      ),
  )
    .addHelpText(
      'after',
      `${examples('npx trapheus ui --local', 'npx trapheus ui --stage prod --port 0')}\n\nRead-only with your AWS credentials, except "Unlock" on a run that holds its database, which asks for confirmation. Exit 0 after Ctrl-C, 64 usage error, 69 the target did not answer or the port is taken.`,
    )
    .action(async (opts: { local?: boolean; stage: string; port: number }) => {
      const ui = await openUi({ local: !!opts.local, stage: opts.stage, cwd, port: opts.port });
      io.out(ui.url);
      io.err(
        `trapheus ui: runs of ${ui.flags} at ${ui.url} (only this machine can connect; Ctrl-C stops it)`,
      );
      await stopped();
      await ui.close();
      io.err('trapheus ui: stopped');
      setCode(EXIT.SUCCEEDED);
    });
