/**
 * `trapheus verify <runId> --hook <name> (--ok | --fail <reason>)`: a verification hook's answer to a run at
 * VERIFYING, sent as RestoreVerified on the project bus (what a hook Lambda would put). The run is read first, so an
 * answer the worker would ignore (unknown run, a hook it does not expect, a run no longer verifying, a hook that
 * already answered) is reported and not sent.
 */
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  buildRunRepository,
  createAwsClients,
  formatIssues,
  RestoreVerified,
  restoreVerifiedDetailSchema,
} from '@trapheus/shared';
import { type Command, Option } from 'commander';
import { addTarget, examples } from './command-kit';
import { EXIT } from './exit-codes';
import type { Io } from './restore';
import { resolveTarget } from './target';

interface VerifyOpts {
  local?: boolean;
  stage: string;
  hook: string;
  ok?: boolean;
  fail?: string;
  message?: string;
}

/**
 * Adds `trapheus verify <runId> --hook <name> (--ok [--message <text>] | --fail <reason>) [--local | --stage S]`.
 *
 * Exit codes: 0 the answer was sent; 1 the run is not found, not at VERIFYING, or the hook already answered
 * (nothing sent); 64 usage (not exactly one of --ok / --fail, a bad hook name, a hook the run does not expect);
 * 69 the target did not answer.
 */
export const registerVerify = (
  program: Command,
  io: Io,
  cwd: string,
  setCode: (code: number) => void,
): Command =>
  addTarget(
    program
      .command('verify')
      .description('answer for a verification hook: the run at VERIFYING goes on when every hook said ok')
      .argument('<runId>', 'the run, as printed by `trapheus restore` (run-…)')
      .requiredOption('--hook <name>', 'the hook answering (one of the request’s verify.hooks)')
      .addOption(new Option('--ok', 'the copy passed this hook’s checks').conflicts('fail'))
      .addOption(
        new Option('--fail <reason>', 'the copy failed this hook’s checks: the run rolls back').conflicts([
          'ok',
          'message',
        ]),
      )
      .option('--message <text>', 'with --ok: what the hook checked, for the run and the alert'),
  )
    .addHelpText(
      'after',
      `${examples(
        'npx trapheus verify run-3f2a9c1d0b7e4a56 --hook masking --ok --message "12 tables masked" --local',
        'npx trapheus verify run-3f2a9c1d0b7e4a56 --hook health --fail "orders count is 0" --stage staging',
      )}\n\nExit 0 when the answer was sent, 1 when the run is not found or not waiting for this answer (nothing sent), 64 usage error (exactly one of --ok / --fail), 69 the target did not answer.`,
    )
    .action(async (runId: string, opts: VerifyOpts) => {
      if (!opts.ok && opts.fail === undefined) {
        io.err('trapheus verify: give exactly one of --ok or --fail <reason>; nothing was sent');
        setCode(EXIT.USAGE);
        return;
      }
      const parsed = restoreVerifiedDetailSchema.safeParse({
        runId,
        hook: opts.hook,
        ok: !!opts.ok,
        message: opts.ok ? (opts.message ?? '') : opts.fail,
      });
      if (!parsed.success) {
        io.err(`trapheus verify: invalid answer, nothing was sent: ${formatIssues(parsed.error.issues)}`);
        setCode(EXIT.USAGE);
        return;
      }
      const target = await resolveTarget({ local: !!opts.local, stage: opts.stage, cwd });
      const clients = createAwsClients({ region: target.region, env: target.env });
      const run = await buildRunRepository({ dynamo: clients.dynamo, tableName: target.runsTable }).get(
        runId,
      );
      if (!run) {
        io.err(
          `trapheus verify: run ${runId} not found in ${target.runsTable} (${target.flags}); nothing was sent`,
        );
        setCode(EXIT.FAILED);
        return;
      }
      const expected = run.verification?.hooks ?? [];
      if (!expected.includes(parsed.data.hook)) {
        io.err(
          `trapheus verify: run ${runId} does not expect hook ${parsed.data.hook} (${expected.length ? `its hooks: ${expected.join(', ')}` : 'its request has no verify'}); nothing was sent`,
        );
        setCode(EXIT.USAGE);
        return;
      }
      if (run.step !== 'VERIFYING') {
        io.err(
          `trapheus verify: run ${runId} is at ${run.step}, not VERIFYING: the answer would be ignored; nothing was sent`,
        );
        setCode(EXIT.FAILED);
        return;
      }
      const earlier = run.verification?.answers[parsed.data.hook];
      if (earlier) {
        io.err(
          `trapheus verify: hook ${parsed.data.hook} already answered ${earlier.ok ? 'ok' : 'FAILED'} at ${earlier.at} (the first answer counts); nothing was sent`,
        );
        setCode(EXIT.FAILED);
        return;
      }
      const put = await clients.eventBridge.send(
        new PutEventsCommand({
          Entries: [
            {
              EventBusName: target.busName,
              Source: RestoreVerified.source,
              DetailType: RestoreVerified.detailType,
              Detail: JSON.stringify(parsed.data),
            },
          ],
        }),
      );
      if ((put.FailedEntryCount ?? 0) > 0) {
        const entry = put.Entries?.[0];
        io.err(
          `trapheus verify: PutEvents rejected the answer: ${entry?.ErrorCode} ${entry?.ErrorMessage} (${target.flags}, region ${target.region})`,
        );
        setCode(EXIT.UNAVAILABLE);
        return;
      }
      io.err(
        `answer sent to ${target.busName}: hook ${parsed.data.hook} ${parsed.data.ok ? 'ok' : `FAILED (${parsed.data.message})`}; follow the run with \`npx trapheus status ${runId} --wait ${target.flags}\``,
      );
      setCode(EXIT.SUCCEEDED);
    });
