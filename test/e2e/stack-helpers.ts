/** Helpers for end-to-end tests on a fresh local stack (real handlers, real SDK clients over HTTP). */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { type Handler, type LocalStack, startLocalStack } from '@trapheus/local';
import { buildRunRepository, createAwsClients, type Run } from '@trapheus/shared';
import { type RestoreOptions, restore } from '../../packages/cli/src/restore';
import { targetForStack } from '../../packages/cli/src/target';
import { allGrants, evaluateCalls, formatFinding, statementFindings } from '../iam/evaluate';
import { type FunctionPolicy, functionPolicies } from '../iam/policies';

export const ROOT = join(__dirname, '..', '..');

/** Loads each Lambda handler in its own jest module registry, with the env the runner has set. */
const jestLoader = async (file: string, name: string): Promise<Handler> => {
  let handler: Handler | undefined;
  jest.isolateModules(() => {
    handler = require(file)[name];
  });
  return handler!;
};

export const freshStack = (timeScale = 600, extra: Partial<Parameters<typeof startLocalStack>[0]> = {}) =>
  startLocalStack({ rootDir: ROOT, timeScale, loadHandler: jestLoader, seed: 7, ...extra });

export const clientsFor = (stack: LocalStack) => {
  const clients = createAwsClients({ region: stack.region, env: { ...process.env, ...stack.env } });
  const runs = buildRunRepository({ dynamo: clients.dynamo, tableName: stack.runsTable });
  const rds = new RDSClient({
    region: stack.region,
    endpoint: stack.endpoints.rds,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  return { clients, runs, rds };
};

/** The request fields of the other restore sources (point in time, clone, rehearsal, sharing), passed as given. */
const SOURCE_FIELDS = [
  'restoreTime',
  'latest',
  'sourceIdentifier',
  'targetIdentifier',
  'keep',
  'shareWith',
  'kmsKeyId',
] as const satisfies readonly (keyof RestoreOptions)[];
type RestoreSourceFields = Partial<Pick<RestoreOptions, (typeof SOURCE_FIELDS)[number]>>;

/** Starts a run the way `trapheus restore --local` does; returns its exit code, run id and output. */
export const runRestore = async (
  stack: LocalStack,
  opts: {
    identifier?: string;
    task?: string;
    wait?: boolean;
    requestId?: string;
    snapshot?: string;
    cluster?: boolean;
    strategy?: 'swap' | 'rename_first';
    /** the request's `verify` (hooks checking the copy before it is committed) */
    verify?: { hooks: string[]; timeoutMinutes?: number };
    /** how long `--wait` waits for the run to finish (default 60 s) */
    waitTimeoutSeconds?: number;
  } & RestoreSourceFields = {},
) => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await restore(
    targetForStack(stack),
    {
      identifier: opts.identifier ?? 'demo-db',
      cluster: opts.cluster ?? false,
      task: opts.task ?? 'create_snapshot',
      ...(opts.snapshot ? { snapshot: opts.snapshot } : {}),
      ...(opts.requestId ? { requestId: opts.requestId } : {}),
      ...(opts.strategy ? { strategy: opts.strategy } : {}),
      ...(opts.verify ? { verify: opts.verify } : {}),
      ...Object.fromEntries(SOURCE_FIELDS.filter((k) => opts[k] !== undefined).map((k) => [k, opts[k]])),
      wait: opts.wait ?? true,
      acceptTimeoutSeconds: 20,
      waitTimeoutSeconds: opts.waitTimeoutSeconds ?? 60,
      pollMs: 50,
    },
    { out: (l) => out.push(l), err: (l) => err.push(l) },
  );
  return { code, runId: out.at(-1) ?? '', out, err };
};

export const describe1 = async (rds: RDSClient, id: string) => {
  try {
    return (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances?.[0];
  } catch (e) {
    if ((e as { name?: string }).name === 'DBInstanceNotFoundFault') return undefined;
    throw e;
  }
};

/** Standalone instances (not cluster members). */
export const instanceIds = (stack: LocalStack) =>
  stack.rds
    .snapshotState()
    .instances.filter((i) => !i.DBClusterIdentifier)
    .map((i) => String(i.DBInstanceIdentifier))
    .sort();

/** Clusters, and their members as `cluster/member`. */
export const clusterLayout = (stack: LocalStack) => {
  const state = stack.rds.snapshotState();
  return {
    clusters: state.clusters.map((c) => String(c.DBClusterIdentifier)).sort(),
    members: state.instances
      .filter((i) => i.DBClusterIdentifier)
      .map((i) => `${i.DBClusterIdentifier}/${i.DBInstanceIdentifier}`)
      .sort(),
  };
};

export const stepsOf = (run: Run | undefined) => run?.history.map((h) => h.step);

let policies: Map<string, FunctionPolicy> | undefined;
/** Where the IAM check leaves its records for the summary reporter (test/summary-reporter.js). */
export const IAM_DIR = join(ROOT, '.tmp', 'iam');

/**
 * The IAM check (test/iam): every AWS call the stack's Lambda functions made, evaluated against each
 * function's role as packaged. Throws naming function, action, resource and the missing grant on any denial.
 * Call it in afterEach, before stack.stop(); the calls and the grants they exercised go to `.tmp/iam/`.
 */
const evaluated = new WeakSet<LocalStack>();
export const assertIamClean = async (stack: LocalStack | undefined) => {
  if (!stack || evaluated.has(stack)) return;
  evaluated.add(stack);
  policies ??= functionPolicies(ROOT, { stage: stack.stage });
  const calls = stack.iamCalls();
  const { findings, exercised, checked } = await evaluateCalls(calls, policies);
  const problems = [...statementFindings(policies.values()), ...findings];
  mkdirSync(IAM_DIR, { recursive: true });
  const grants = join(IAM_DIR, 'grants.json');
  writeFileSync(grants, JSON.stringify(Object.fromEntries(allGrants(policies.values()))));
  const test = expect.getState().currentTestName ?? '';
  appendFileSync(
    join(IAM_DIR, 'calls.jsonl'),
    `${calls.map((c) => JSON.stringify({ test, ...c })).join('\n')}\n`,
  );
  appendFileSync(
    join(IAM_DIR, 'exercised.jsonl'),
    `${JSON.stringify({ test, checked, exercised: [...exercised] })}\n`,
  );
  if (problems.length) {
    throw new Error(
      `IAM check: ${problems.length} denial(s) in ${checked} distinct calls:\n${[...new Set(problems.map(formatFinding))].join('\n')}`,
    );
  }
};
