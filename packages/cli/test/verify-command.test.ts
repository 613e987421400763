/** `trapheus verify`: usage errors before anything is sent (64), and a missing target (69). */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { explain } from '../src/command-kit';
import { EXIT } from '../src/exit-codes';
import { registerVerify } from '../src/verify-command';

const run = async (argv: string[]) => {
  const err: string[] = [];
  const io = { out: () => undefined, err: (l: string) => err.push(l) };
  let code: number = EXIT.SUCCEEDED;
  const program = new Command('trapheus').exitOverride();
  registerVerify(program, io, mkdtempSync(join(tmpdir(), 'trapheus-verify-')), (c) => {
    code = c;
  })
    .exitOverride()
    .configureOutput({ writeErr: (s) => err.push(s.trimEnd()), writeOut: () => undefined });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return { code: EXIT.USAGE as number, text: err.join('\n') };
    const failure = explain(e, { local: true });
    return { code: failure.exitCode as number, text: `${err.join('\n')}\n${failure.message}` };
  }
  return { code, text: err.join('\n') };
};

describe('trapheus verify', () => {
  it('needs exactly one of --ok and --fail (exit 64, nothing sent)', async () => {
    const neither = await run(['verify', 'run-1', '--hook', 'masking', '--local']);
    expect(neither.code).toBe(EXIT.USAGE);
    expect(neither.text).toContain('give exactly one of --ok or --fail');

    const both = await run(['verify', 'run-1', '--hook', 'masking', '--ok', '--fail', 'x', '--local']);
    expect(both.code).toBe(EXIT.USAGE);
  });

  it('refuses a hook name the contract does not allow (exit 64)', async () => {
    const bad = await run(['verify', 'run-1', '--hook', 'mask ing', '--ok', '--local']);
    expect(bad.code).toBe(EXIT.USAGE);
    expect(bad.text).toContain('field "hook" must contain only letters, digits, - and _');
  });

  it('says how to start the local stack when there is none (exit 69)', async () => {
    const none = await run(['verify', 'run-1', '--hook', 'masking', '--ok', '--local']);
    expect(none.code).toBe(EXIT.UNAVAILABLE);
    expect(none.text).toContain('no local stack found');
  });
});
