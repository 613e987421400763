/**
 * `trapheus plan` against the local stack: it makes no mutating RDS call, its predicted calls are the calls of a
 * real run that follows (instance swap, rename_first with an older snapshot to retire, a cluster), and its blockers
 * are the reasons the snapshot service rejects the same request with.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalStack, RdsCallRecord } from '@trapheus/local';
import { EXIT } from '../../packages/cli/src/exit-codes';
import { main } from '../../packages/cli/src/main';
import type { Plan } from '../../packages/cli/src/plan';
import { clientsFor, freshStack, runRestore } from './stack-helpers';

jest.setTimeout(120_000);

const READ_ONLY = /^(Describe|List)/;
/** The access key of the CLI's calls to the local stack (`localEnv`); each function has its own. */
const CLI_KEY = 'local';

/** Run ids and the names derived from them differ between the plan and the run. */
const norm = (v: string) =>
  v
    .replace(/run-[0-9a-f]{16}/g, 'run-RUN')
    .replace(/-(tr|tc)-[0-9a-f]{8}/g, '-$1-RUN')
    .replace(/-snapshot-[0-9a-f]{8}/g, '-snapshot-RUN');

/** A call as the simulator logs it: the action and its top-level scalar parameters, as strings. */
const flat = (action: string, params: Record<string, unknown>) => {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) {
    if (k === 'Version' || v === undefined || v === null || typeof v === 'object') continue;
    out[k] = norm(String(v));
  }
  return { action, params: out };
};

const mutating = (log: RdsCallRecord[]) =>
  log.filter((c) => !READ_ONLY.test(c.action) && c.status < 400).map((c) => flat(c.action, c.params));

describe('trapheus plan on the local stack', () => {
  let stack: LocalStack;
  const cwd = mkdtempSync(join(tmpdir(), 'trapheus-plan-e2e-'));

  const plan = async (args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
    const before = stack.rds.callLog().length;
    const code = await main(['plan', ...args, '--local'], io, cwd);
    // The plan's own calls: a run started earlier may still be making its calls meanwhile, each with its
    // function's key (the local stack gives every function the access key of its name).
    const calls = stack.rds
      .callLog()
      .slice(before)
      .filter((c) => c.accessKeyId === CLI_KEY);
    return { code, out, err, text: out.join('\n'), calls };
  };
  const planJson = async (args: string[]) => {
    const r = await plan([...args, '--json']);
    return { ...r, plan: JSON.parse(r.text) as Plan };
  };

  /** Plans, then runs the same restore; the plan's calls must be the run's mutating calls, in order. */
  const planThenRun = async (args: string[], restore: Parameters<typeof runRestore>[1]) => {
    const p = await planJson(args);
    expect(p.code).toBe(EXIT.SUCCEEDED);
    expect(p.calls.filter((c) => !READ_ONLY.test(c.action))).toEqual([]);
    expect(p.calls.length).toBeGreaterThan(0);
    const before = stack.rds.callLog().length;
    const run = await runRestore(stack, restore);
    expect(run.code).toBe(EXIT.SUCCEEDED);
    const actual = mutating(stack.rds.callLog().slice(before));
    const predicted = p.plan.calls.map((c) => flat(c.action, c.params));
    expect(predicted).toEqual(actual);
    return p.plan;
  };

  beforeAll(async () => {
    stack = await freshStack(600, { writeInfo: true, infoDir: cwd });
  });
  afterAll(() => stack?.stop());

  it('instance, swap, create_snapshot: read-only, and its calls are the calls of the run that follows', async () => {
    const p = await planThenRun(['demo-db'], { identifier: 'demo-db' });

    expect(p.calls.map((c) => c.action)).toEqual([
      'CreateDBSnapshot',
      'RestoreDBInstanceFromDBSnapshot',
      'AddRoleToDBInstance',
      'ModifyDBInstance',
      'AddTagsToResource',
      'ModifyDBInstance',
      'ModifyDBInstance',
      'RemoveTagsFromResource',
      'ModifyDBInstance',
      'DeleteDBInstance',
    ]);
    expect(p.checks.find((c) => c.check === 'deletion protection')?.verdict).toBe('handled');
    expect(p.checks.find((c) => c.check === 'quotas')?.verdict).toBe('unknown');
  });

  it('instance, rename_first: the older snapshot it retires and the order of the original tool', async () => {
    const p = await planThenRun(['demo-db', '--strategy', 'rename_first'], {
      identifier: 'demo-db',
      strategy: 'rename_first',
    });

    expect(p.calls.map((c) => c.action).slice(0, 4)).toEqual([
      'CreateDBSnapshot',
      'DeleteDBSnapshot',
      'AddTagsToResource',
      'ModifyDBInstance',
    ]);
    // The last run was the first test's: the estimate comes from the runs table now.
    expect(p.estimate.basis).toMatch(/median of 1 SUCCEEDED run/);
  });

  it('cluster (demo-cluster, swap): members, endpoints and deletes as the run makes them', async () => {
    const p = await planThenRun(['demo-cluster', '--cluster'], { identifier: 'demo-cluster', cluster: true });

    expect(p.names.members?.map((m) => m.name)).toEqual(['demo-cluster-writer', 'demo-cluster-reader']);
    expect(p.calls.filter((c) => c.action === 'CreateDBInstance')).toHaveLength(2);
    expect(p.estimate.basis).toMatch(/assumed rates/);
  });

  it('an active run blocks (exit 1, naming the run) with the reason the service rejects a second request with', async () => {
    const first = await runRestore(stack, { identifier: 'demo-db', wait: false });
    expect(first.code).toBe(EXIT.SUCCEEDED);
    let followed: number | undefined;
    try {
      await activeRunBlocks(first.runId);
    } finally {
      // Let the first run finish before the next test plans the same database, whatever was asserted above (a
      // failure here must not hide that one).
      const { followRun } = await import('../../packages/cli/src/restore');
      followed = await followRun(
        clientsFor(stack).runs,
        first.runId,
        { pollMs: 50, waitTimeoutSeconds: 60 },
        { out: () => undefined, err: () => undefined },
        '--local',
      ).catch(() => undefined);
    }
    expect(followed).toBe(EXIT.SUCCEEDED);
  });

  const activeRunBlocks = async (firstRunId: string) => {
    const first = { runId: firstRunId };
    const p = await plan(['demo-db']);
    const second = await runRestore(stack, { identifier: 'demo-db', wait: false });

    expect(p.code).toBe(EXIT.FAILED);
    expect(p.text).toContain(
      `RunAlreadyActive: another run (${first.runId}) is active on DB instance demo-db`,
    );
    expect(p.text).toContain(`next: npx trapheus status ${first.runId} --wait --local`);
    expect(p.calls.filter((c) => !READ_ONLY.test(c.action))).toEqual([]);
    expect(second.code).toBe(EXIT.REJECTED);
    const rejected = await clientsFor(stack).runs.get(second.runId);
    expect(p.text).toContain(`RunAlreadyActive: ${rejected?.reason}`);
  };

  it.each([
    [
      'db_restore of a missing snapshot',
      ['demo-db', '--task', 'db_restore', '--snapshot', 'no-such-snapshot'],
      'DBSnapshotNotFound',
      {
        identifier: 'demo-db',
        task: 'db_restore',
        snapshot: 'no-such-snapshot',
      },
    ],
    [
      'an instance that is a cluster member',
      ['demo-cluster-writer'],
      'InstanceInCluster',
      {
        identifier: 'demo-cluster-writer',
      },
    ],
  ] as const)(
    '%s: blocked (exit 1), with the rejection reason of a real request',
    async (_name, args, code, request) => {
      const p = await planJson([...args]);
      const run = await runRestore(stack, { ...request, wait: false });
      const rejected = await clientsFor(stack).runs.get(run.runId);

      expect(p.code).toBe(EXIT.FAILED);
      expect(p.plan.wouldProceed).toBe(false);
      expect(p.plan.blockers[0]?.code).toBe(code);
      expect(p.plan.blockers[0]?.reason).toBe(rejected?.reason);
      expect(rejected?.step).toBe('REJECTED');
      expect(p.calls.filter((c) => !READ_ONLY.test(c.action))).toEqual([]);
    },
  );

  it('--json: one object with names, calls, ledger, checks, blockers and estimate', async () => {
    const { plan: p, code, err } = await planJson(['demo-db', '--task', 'db_restore']);

    expect(code).toBe(EXIT.SUCCEEDED);
    expect(err).toEqual([]);
    expect(Object.keys(p).sort()).toEqual(
      [
        'blockers',
        'calls',
        'checks',
        'estimate',
        'identifier',
        'kind',
        'ledger',
        'names',
        'strategy',
        'task',
        'wouldProceed',
      ].sort(),
    );
    expect(p.names).toMatchObject({
      temp: expect.stringMatching(/^demo-db-tr-[0-9a-f]{8}$/),
      copy: expect.stringMatching(/^demo-db-tc-[0-9a-f]{8}$/),
      snapshot: expect.stringMatching(/^demo-db-snapshot-[0-9a-f]{8}$/),
    });
    expect(p.calls[0]).toMatchObject({
      step: 'RESTORING',
      service: 'restore',
      action: 'RestoreDBInstanceFromDBSnapshot',
    });
    expect(p.ledger.kept).toContainEqual({
      field: 'AssociatedRoles',
      how: 're-created',
      detail: 'AddRoleToDBInstance',
    });
    expect(p.checks.map((c) => c.check)).toEqual(
      expect.arrayContaining(['lock', 'database', 'snapshot', 'names', 'deletion protection', 'IAM']),
    );
    expect(p.estimate.seconds).toBeGreaterThan(0);
  });
});
