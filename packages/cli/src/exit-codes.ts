/**
 * What `trapheus` exits with, so a script can tell outcomes apart. The run outcomes follow the run's final step;
 * the others follow sysexits.h (64 usage, 69 unavailable, 70 internal software error, 75 temporary failure).
 */
import type { Step } from '@trapheus/shared';

export const EXIT = {
  SUCCEEDED: 0,
  FAILED: 1,
  ROLLED_BACK: 2,
  REJECTED: 3,
  CLEANUP_FAILED: 4,
  USAGE: 64,
  UNAVAILABLE: 69,
  INTERNAL: 70,
  TIMEOUT: 75,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** One row per code, for `--help` and the README (generated from this list). */
export const EXIT_CODES: readonly { code: ExitCode; meaning: string }[] = [
  { code: EXIT.SUCCEEDED, meaning: 'SUCCEEDED (or the command did what was asked)' },
  {
    code: EXIT.FAILED,
    meaning:
      'FAILED: the run stopped; its reason says whether the database was changed (or: run not found, lock not released)',
  },
  { code: EXIT.ROLLED_BACK, meaning: 'ROLLED_BACK: the run failed and the original is back under its name' },
  { code: EXIT.REJECTED, meaning: 'REJECTED: the request was refused before anything was touched' },
  {
    code: EXIT.CLEANUP_FAILED,
    meaning: 'CLEANUP_FAILED: the database was restored, but a leftover could not be deleted',
  },
  { code: EXIT.USAGE, meaning: 'usage error: nothing was sent' },
  {
    code: EXIT.UNAVAILABLE,
    meaning: 'the target did not answer (no local stack, stack stopped, AWS credentials, region or stage)',
  },
  { code: EXIT.INTERNAL, meaning: 'internal error in trapheus itself (please report it)' },
  {
    code: EXIT.TIMEOUT,
    meaning: 'timed out waiting (--wait, or the request was not accepted in time): the run goes on',
  },
];

/** The exit code of a run that ended at `step`. */
export const exitCodeFor = (step: Step): ExitCode => {
  switch (step) {
    case 'SUCCEEDED':
      return EXIT.SUCCEEDED;
    case 'ROLLED_BACK':
      return EXIT.ROLLED_BACK;
    case 'REJECTED':
      return EXIT.REJECTED;
    case 'CLEANUP_FAILED':
      return EXIT.CLEANUP_FAILED;
    default:
      return EXIT.FAILED;
  }
};

/** An error with the code the CLI exits with and a message that names the cause and the fix. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const exitCodesHelp = (): string =>
  ['Exit codes:', ...EXIT_CODES.map((e) => `  ${String(e.code).padStart(2)}  ${e.meaning}`)].join('\n');

/** The README's exit-code table (between `<!-- exit-codes:start -->` and `<!-- exit-codes:end -->`). */
export const exitCodesMarkdown = (): string =>
  ['| code | meaning |', '| ---: | --- |', ...EXIT_CODES.map((e) => `| ${e.code} | ${e.meaning} |`)].join(
    '\n',
  );
