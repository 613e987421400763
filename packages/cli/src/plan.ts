/**
 * `trapheus plan <identifier>`: what a restore would do (names, every mutating RDS call with its input, what is
 * kept, the blockers, an estimated duration), read from RDS and the runs table, changing nothing. Exit 0 when the
 * run would go ahead, 1 when it is blocked. The work is in plan-build.ts; this file is the command and its output.
 */
import { randomUUID } from 'node:crypto';
import {
  buildRunRepository,
  createAwsClients,
  type DbKind,
  formatIssues,
  remedyCommand,
  restoreRequestedDetailSchema,
  runIdFor,
  type Strategy,
  TASKS,
  type Task,
} from '@trapheus/shared';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { addTarget, examples } from './command-kit';
import { EXIT } from './exit-codes';
import { buildPlan, type Plan, type PlannedCall } from './plan-build';
import type { Io } from './restore';
import { resolveTarget } from './target';

export type { Plan, PlannedCall } from './plan-build';

const formatValue = (v: unknown): string => {
  if (Array.isArray(v)) {
    return `[${v
      .map((x) =>
        x && typeof x === 'object' && 'Key' in x
          ? `${(x as { Key?: string }).Key}=${(x as { Value?: string }).Value ?? ''}`
          : typeof x === 'object'
            ? JSON.stringify(x)
            : String(x),
      )
      .join(', ')}]`;
  }
  return v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v);
};

/** One call as a line: `Action Param=value …`. */
export const callLine = (c: PlannedCall): string =>
  `${c.action} ${Object.entries(c.params)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${formatValue(v)}`)
    .join(' ')}`;

const minutes = (s: number | undefined) =>
  s === undefined ? 'unknown' : s < 120 ? `${Math.round(s)} s` : `${Math.round(s / 60)} min`;

/** The plan for people (stdout). */
export const renderPlan = (plan: Plan, flags: string): string[] => {
  const label = plan.kind === 'cluster' ? 'DB cluster' : 'DB instance';
  const lines: string[] = [
    `plan: ${plan.task} of ${label} ${plan.identifier}, strategy ${plan.strategy} (${flags}); nothing was changed`,
    `verdict: ${plan.wouldProceed ? 'the run would go ahead (exit 0)' : `BLOCKED: ${plan.blockers.length} blocker(s) (exit 1)`}`,
    '',
    `names (${plan.names.note}):`,
  ];
  const n = plan.names;
  if (n.temp) lines.push(`  temp      ${n.temp}  (the original, from its rename until it is deleted)`);
  if (n.copy) lines.push(`  copy      ${n.copy}  (the restored copy, until the swap gives it the name)`);
  for (const m of n.members ?? []) {
    lines.push(`  member    ${m.name} → temp ${m.temp}${m.copy ? `, copy ${m.copy}` : ''}`);
  }
  lines.push(`  snapshot  ${n.snapshot ?? '(none)'}  (${n.snapshotNote})`);
  lines.push('', `RDS calls it would make, in order (${plan.calls.length}; Describe/List calls left out):`);
  if (!plan.calls.length) lines.push('  none: the database could not be read');
  plan.calls.forEach((c, i) => {
    lines.push(`  ${String(i + 1).padStart(2)}. ${c.step.padEnd(12)} ${c.service.padEnd(8)} ${callLine(c)}`);
    if (c.note) lines.push(`      ${''.padEnd(12)} ${''.padEnd(8)} ↳ ${c.note}`);
  });
  lines.push('', 'checks:');
  for (const c of plan.checks) lines.push(`  ${c.verdict.padEnd(11)} ${c.check}: ${c.detail}`);
  const byHow = new Map<string, string[]>();
  for (const k of plan.ledger.kept) {
    byHow.set(k.how, [
      ...(byHow.get(k.how) ?? []),
      k.how === 're-created' ? `${k.field} (${k.detail})` : k.field,
    ]);
  }
  lines.push('', 'kept (configuration ledger, the fields this database has set):');
  for (const [how, fields] of byHow) lines.push(`  ${how}: ${fields.join(', ')}`);
  lines.push('not kept:');
  if (!plan.ledger.notKept.length) lines.push('  nothing this database has set');
  for (const k of plan.ledger.notKept) lines.push(`  ${k.field}: ${k.detail}`);
  lines.push('', `estimated duration: ${minutes(plan.estimate.seconds)} (${plan.estimate.basis})`);
  if (plan.blockers.length) {
    lines.push('', 'blockers (the first is the reason the request would be rejected with):');
    for (const b of plan.blockers) {
      lines.push(`  ${b.code}: ${b.reason}`);
      if (b.remedy) lines.push(`    next: ${remedyCommand(b.remedy, flags)}`);
    }
  }
  return lines;
};

interface PlanOpts {
  local?: boolean;
  stage: string;
  cluster?: boolean;
  task: Task;
  snapshot?: string;
  strategy: Strategy;
  json?: boolean;
  snapshotRetention?: number;
}

const positiveInteger = (raw: string): number => {
  const n = Number(raw);
  if (!(Number.isInteger(n) && n > 0)) throw new InvalidArgumentError('must be a positive integer');
  return n;
};

/**
 * Adds `plan` to the program (main.ts wires it in: `registerPlan(program, io, cwd, setCode)`).
 *
 * @example
 * registerPlan(buildProgram(io, cwd, setCode), io, cwd, setCode);
 */
export const registerPlan = (
  program: Command,
  io: Io,
  cwd: string,
  setCode: (code: number) => void,
): Command => {
  const cmd = addTarget(
    program
      .command('plan')
      .description(
        'show what a restore of <identifier> would do (names, RDS calls, what is kept, blockers, duration), changing nothing',
      )
      .argument('<identifier>', 'the DB instance (or, with --cluster, the Aurora cluster) to restore')
      .option('--cluster', 'the identifier names an Aurora DB cluster')
      .addOption(
        new Option(
          '--task <task>',
          'as for restore: create_snapshot, db_restore (from a snapshot) or create_snapshot_only (the plan does not cover clone_from, restore_copy, share_snapshot or a point in time yet)',
        )
          .choices(TASKS.filter((t) => t !== 'clone_from' && t !== 'restore_copy' && t !== 'share_snapshot'))
          .default('create_snapshot'),
      )
      .option(
        '--snapshot <id>',
        'db_restore: the snapshot to restore (default: the newest Trapheus took of this database); snapshot tasks: the base name',
      )
      .addOption(
        new Option('--strategy <strategy>', 'as for restore: swap or rename_first')
          .choices(['swap', 'rename_first'])
          .default('swap'),
      )
      .addOption(
        new Option(
          '--snapshot-retention <n>',
          'the deployed snapshotRetention (which older snapshots the run would retire)',
        )
          .argParser(positiveInteger)
          .default(1),
      )
      .option('--json', 'print the plan as one JSON object'),
  )
    .addHelpText(
      'after',
      `${examples(
        'npx trapheus plan demo-db --local',
        'npx trapheus plan orders-db --task db_restore --snapshot orders-db-2026-11-30 --stage prod',
        'npx trapheus plan demo-cluster --cluster --strategy rename_first --json --local | jq .calls',
      )}\n\nReads only (Describe calls and the runs table). Exit codes: 0 the run would go ahead, 1 it is blocked (the blockers say why), 64 usage error, 69 the target did not answer.`,
    )
    .action(async (identifier: string, opts: PlanOpts) => {
      const requestId = `cli-${randomUUID()}`;
      const parsed = restoreRequestedDetailSchema.safeParse({
        identifier,
        task: opts.task,
        isCluster: !!opts.cluster,
        ...(opts.snapshot ? { snapshotIdentifier: opts.snapshot } : {}),
        requestId,
        strategy: opts.strategy,
      });
      if (!parsed.success) {
        io.err(`trapheus plan: invalid request: ${formatIssues(parsed.error.issues)}`);
        setCode(EXIT.USAGE);
        return;
      }
      const target = await resolveTarget({ local: !!opts.local, stage: opts.stage, cwd });
      const clients = createAwsClients({ region: target.region, env: target.env });
      const kind: DbKind = opts.cluster ? 'cluster' : 'instance';
      const plan = await buildPlan(
        {
          rds: clients.rds,
          runs: buildRunRepository({ dynamo: clients.dynamo, tableName: target.runsTable }),
          dynamo: clients.dynamo,
          runsTable: target.runsTable,
        },
        {
          identifier,
          kind,
          task: opts.task,
          ...(opts.snapshot ? { snapshot: opts.snapshot } : {}),
          strategy: opts.strategy,
          runId: runIdFor({ requestId }),
          ...(opts.snapshotRetention ? { snapshotRetention: opts.snapshotRetention } : {}),
        },
      );
      if (opts.json) io.out(JSON.stringify(plan, null, 2));
      else for (const line of renderPlan(plan, target.flags)) io.out(line);
      setCode(plan.wouldProceed ? EXIT.SUCCEEDED : EXIT.FAILED);
    });
  return cmd;
};
