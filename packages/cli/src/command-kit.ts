/** Pieces every command shares: the target options, examples in help, and errors mapped to exit codes. */
import { type Command, Option } from 'commander';
import { CliError, EXIT } from './exit-codes';

/** `--local` or `--stage`: where the command's calls go. */
export const addTarget = (cmd: Command): Command =>
  cmd
    .addOption(
      new Option('--local', 'use the local stack started by `trapheus local up` in this folder').conflicts(
        'stage',
      ),
    )
    .addOption(
      new Option(
        '--stage <stage>',
        'the deployed stage: bus trapheus-<stage>, table trapheus-runs-<stage>',
      ).default('dev'),
    );

export const examples = (...lines: string[]) => `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}`;

/** Turns what the AWS SDK or the network says into a sentence with the fix, and an exit code. */
export const explain = (err: unknown, opts: { local?: boolean; stage?: string }): CliError => {
  if (err instanceof CliError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const name = err instanceof Error ? err.name : '';
  const where = opts.local ? 'the local stack' : `stage ${opts.stage ?? 'dev'}`;
  if (/Could not load credentials|Region is missing|credential/i.test(message)) {
    return new CliError(
      `${message} (for the local stack add --local; for AWS set AWS_PROFILE or credentials, and AWS_REGION)`,
      EXIT.UNAVAILABLE,
    );
  }
  if (name === 'ResourceNotFoundException') {
    return new CliError(
      `${message} (is Trapheus deployed to ${where} in region ${process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1'}? choose it with --stage and AWS_REGION, or use --local)`,
      EXIT.UNAVAILABLE,
    );
  }
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|fetch failed|socket hang up/.test(message)) {
    return new CliError(
      opts.local
        ? `the local stack is not answering (${message}): is \`npx trapheus local up\` still running?`
        : `AWS did not answer (${message}): check the network and AWS_REGION`,
      EXIT.UNAVAILABLE,
    );
  }
  if (err && typeof err === 'object' && '$metadata' in err) {
    return new CliError(`${name}: ${message} (from ${where})`, EXIT.UNAVAILABLE);
  }
  return new CliError(
    `internal error: ${message} (please report it with the command you ran)`,
    EXIT.INTERNAL,
  );
};
