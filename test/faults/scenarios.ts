/**
 * The fault scenarios as data: every step of an instance run and of a cluster run × every fault, plus the
 * faults that are not tied to one step (RDS events, global throttling, SES, Slack, names taken by bystanders).
 * Read STEPS (rows) and FAULTS (columns); `matrix()` crosses them.
 */
import { CreateDBClusterSnapshotCommand, CreateDBSnapshotCommand } from '@aws-sdk/client-rds';
import type { AfterRdsCall, AsyncFailureStatus, LocalStack, RdsCallRecord } from '@trapheus/local';
import {
  clientsFor,
  clusterDb,
  type DbSpec,
  FN,
  instanceDb,
  type RunCtx,
  type ScenarioRun,
  seedDb,
} from './harness';
import type { NotifyExpectations } from './invariants';

export interface Scenario extends ScenarioRun {
  /** scenarios of one group share a batch (a stack) only with each other: for faults that are stack-wide */
  group?: string;
  /** set on the stack before the runs start (group scenarios only) */
  beforeRuns?: (stack: LocalStack) => void;
  notify?: NotifyExpectations;
  step: string;
  fault: string;
  /** wall-clock deadline for the batch, where the fault costs wall-clock time the time scale cannot compress */
  deadlineMs?: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Rows: the RDS call of each step

interface StepDef {
  kind: 'instance' | 'cluster';
  step: string;
  /** the function that makes the call */
  fn: string;
  /** the RDS operation and the identifier a simulator fault matches on */
  op: (c: RunCtx) => { operation: string; identifier: string };
  /** async failure (the resource goes to a failed status), where the operation has one */
  async?: (c: RunCtx) => { operation: string; identifier: string; status: AsyncFailureStatus };
  /** the step's accepted call, for faults armed "after RDS did it" */
  call: (c: RunCtx) => AfterRdsCall;
  /** a fault for this step is armed only after this call (the same operation was used earlier in the run) */
  pre?: (c: RunCtx) => (call: RdsCallRecord) => boolean;
  /** set up before the run (ROLLING_BACK: the failure that starts the rollback) */
  setup?: (c: RunCtx) => void;
  /** a non-transient error code RDS gives for this call */
  code: string;
}

const eq = (a: string | undefined, b: string) => (a ?? '').toLowerCase() === b.toLowerCase();
const okCall = (c: RdsCallRecord) => c.status >= 200 && c.status < 300;

const restoreFails = (c: RunCtx, operation: string) =>
  c.stack.rds.faults.add({
    kind: 'api-error',
    operation,
    identifier: c.db.identifier,
    code: 'InsufficientDBInstanceCapacity',
    count: 0,
  });

export const STEPS: StepDef[] = [
  // --- instance ---
  {
    kind: 'instance',
    step: 'SNAPSHOTTING',
    fn: FN.snapshot,
    code: 'SnapshotQuotaExceeded',
    op: (c) => ({ operation: 'CreateDBSnapshot', identifier: c.db.identifier }),
    async: (c) => ({ operation: 'CreateDBSnapshot', identifier: c.db.identifier, status: 'failed' }),
    call: (c) => ({ action: 'CreateDBSnapshot', param: { DBInstanceIdentifier: c.db.identifier } }),
  },
  {
    kind: 'instance',
    step: 'RENAMING',
    fn: FN.restore,
    code: 'InvalidParameterCombination',
    op: (c) => ({ operation: 'ModifyDBInstance', identifier: c.temp }),
    async: (c) => ({ operation: 'ModifyDBInstance', identifier: c.temp, status: 'failed' }),
    call: (c) => ({ action: 'ModifyDBInstance', param: { NewDBInstanceIdentifier: c.temp } }),
  },
  {
    kind: 'instance',
    step: 'RESTORING',
    fn: FN.restore,
    code: 'InsufficientDBInstanceCapacity',
    op: (c) => ({ operation: 'RestoreDBInstanceFromDBSnapshot', identifier: c.db.identifier }),
    async: (c) => ({
      operation: 'RestoreDBInstanceFromDBSnapshot',
      identifier: c.db.identifier,
      status: 'incompatible-restore',
    }),
    call: (c) => ({
      action: 'RestoreDBInstanceFromDBSnapshot',
      param: { DBInstanceIdentifier: c.db.identifier },
    }),
  },
  {
    kind: 'instance',
    step: 'CONFIGURING',
    fn: FN.restore,
    code: 'InvalidParameterCombination',
    op: (c) => ({ operation: 'ModifyDBInstance', identifier: c.db.identifier }),
    async: (c) => ({
      operation: 'ModifyDBInstance',
      identifier: c.db.identifier,
      status: 'incompatible-parameters',
    }),
    call: (c) => ({ action: 'ModifyDBInstance', param: { DBInstanceIdentifier: c.db.identifier } }),
    // the rename was a ModifyDBInstance of the same identifier: arm after the restore
    pre: (c) => (call) =>
      call.action === 'RestoreDBInstanceFromDBSnapshot' &&
      okCall(call) &&
      eq(call.params.DBInstanceIdentifier, c.db.identifier),
  },
  {
    kind: 'instance',
    step: 'CLEANING_UP',
    fn: FN.cleanup,
    code: 'InvalidParameterCombination',
    op: (c) => ({ operation: 'DeleteDBInstance', identifier: c.temp }),
    async: (c) => ({ operation: 'DeleteDBInstance', identifier: c.temp, status: 'failed' }),
    call: (c) => ({ action: 'DeleteDBInstance', param: { DBInstanceIdentifier: c.temp } }),
  },
  {
    kind: 'instance',
    step: 'ROLLING_BACK',
    fn: FN.cleanup,
    code: 'InvalidParameterCombination',
    setup: (c) => restoreFails(c, 'RestoreDBInstanceFromDBSnapshot'),
    op: (c) => ({ operation: 'ModifyDBInstance', identifier: c.temp }),
    async: (c) => ({ operation: 'ModifyDBInstance', identifier: c.temp, status: 'failed' }),
    call: (c) => ({
      action: 'ModifyDBInstance',
      param: { DBInstanceIdentifier: c.temp, NewDBInstanceIdentifier: c.db.identifier },
    }),
    pre: (c) => (call) =>
      call.action === 'RestoreDBInstanceFromDBSnapshot' &&
      !okCall(call) &&
      eq(call.params.DBInstanceIdentifier, c.db.identifier),
  },
  // --- cluster ---
  {
    kind: 'cluster',
    step: 'SNAPSHOTTING',
    fn: FN.snapshot,
    code: 'SnapshotQuotaExceeded',
    op: (c) => ({ operation: 'CreateDBClusterSnapshot', identifier: c.db.identifier }),
    async: (c) => ({ operation: 'CreateDBClusterSnapshot', identifier: c.db.identifier, status: 'failed' }),
    call: (c) => ({ action: 'CreateDBClusterSnapshot', param: { DBClusterIdentifier: c.db.identifier } }),
  },
  {
    kind: 'cluster',
    step: 'RENAMING(member)',
    fn: FN.restore,
    code: 'InvalidParameterCombination',
    op: (c) => ({ operation: 'ModifyDBInstance', identifier: c.memberTemps[0]! }),
    async: (c) => ({ operation: 'ModifyDBInstance', identifier: c.memberTemps[0]!, status: 'failed' }),
    call: (c) => ({ action: 'ModifyDBInstance', param: { NewDBInstanceIdentifier: c.memberTemps[0]! } }),
  },
  {
    kind: 'cluster',
    step: 'RENAMING',
    fn: FN.restore,
    code: 'InvalidParameterCombination',
    op: (c) => ({ operation: 'ModifyDBCluster', identifier: c.temp }),
    async: (c) => ({ operation: 'ModifyDBCluster', identifier: c.temp, status: 'failed' }),
    call: (c) => ({ action: 'ModifyDBCluster', param: { NewDBClusterIdentifier: c.temp } }),
  },
  {
    kind: 'cluster',
    step: 'RESTORING',
    fn: FN.restore,
    code: 'InsufficientDBClusterCapacityFault',
    op: (c) => ({ operation: 'RestoreDBClusterFromSnapshot', identifier: c.db.identifier }),
    async: (c) => ({
      operation: 'RestoreDBClusterFromSnapshot',
      identifier: c.db.identifier,
      status: 'incompatible-restore',
    }),
    call: (c) => ({
      action: 'RestoreDBClusterFromSnapshot',
      param: { DBClusterIdentifier: c.db.identifier },
    }),
  },
  {
    kind: 'cluster',
    step: 'RESTORING(member)',
    fn: FN.restore,
    code: 'InsufficientDBInstanceCapacity',
    op: (c) => ({ operation: 'CreateDBInstance', identifier: c.db.members[0]! }),
    async: (c) => ({ operation: 'CreateDBInstance', identifier: c.db.members[0]!, status: 'failed' }),
    call: (c) => ({ action: 'CreateDBInstance', param: { DBInstanceIdentifier: c.db.members[0]! } }),
  },
  {
    kind: 'cluster',
    step: 'CONFIGURING',
    fn: FN.restore,
    code: 'InvalidParameterCombination',
    op: (c) => ({ operation: 'ModifyDBCluster', identifier: c.db.identifier }),
    async: (c) => ({ operation: 'ModifyDBCluster', identifier: c.db.identifier, status: 'failed' }),
    call: (c) => ({ action: 'ModifyDBCluster', param: { DBClusterIdentifier: c.db.identifier } }),
    pre: (c) => (call) =>
      call.action === 'RestoreDBClusterFromSnapshot' &&
      okCall(call) &&
      eq(call.params.DBClusterIdentifier, c.db.identifier),
  },
  {
    kind: 'cluster',
    step: 'CLEANING_UP',
    fn: FN.cleanup,
    code: 'InvalidParameterCombination',
    op: (c) => ({ operation: 'DeleteDBCluster', identifier: c.temp }),
    async: (c) => ({ operation: 'DeleteDBInstance', identifier: c.memberTemps[0]!, status: 'failed' }),
    call: (c) => ({ action: 'DeleteDBCluster', param: { DBClusterIdentifier: c.temp } }),
  },
  {
    kind: 'cluster',
    step: 'ROLLING_BACK',
    fn: FN.cleanup,
    code: 'InvalidParameterCombination',
    setup: (c) => restoreFails(c, 'RestoreDBClusterFromSnapshot'),
    op: (c) => ({ operation: 'ModifyDBCluster', identifier: c.temp }),
    async: (c) => ({ operation: 'ModifyDBCluster', identifier: c.temp, status: 'failed' }),
    call: (c) => ({
      action: 'ModifyDBCluster',
      param: { DBClusterIdentifier: c.temp, NewDBClusterIdentifier: c.db.identifier },
    }),
    pre: (c) => (call) =>
      call.action === 'RestoreDBClusterFromSnapshot' &&
      !okCall(call) &&
      eq(call.params.DBClusterIdentifier, c.db.identifier),
  },
];

// ---------------------------------------------------------------------------------------------------------------
// Columns: the faults

interface FaultDef {
  name: string;
  /** undefined: does not apply to this step */
  arm: (s: StepDef, c: RunCtx) => void;
  applies?: (s: StepDef) => boolean;
  /** the batch deadline this fault needs (see Scenario.deadlineMs) */
  deadlineMs?: number;
}

/** Arms `add` now, or once the step's precondition call happened. */
const when = (s: StepDef, c: RunCtx, add: () => void) => {
  s.setup?.(c);
  if (s.pre) c.afterRds(s.pre(c), add);
  else add();
};

export const FAULTS: FaultDef[] = [
  {
    name: 'rds-api-error',
    arm: (s, c) =>
      when(s, c, () => c.stack.rds.faults.add({ kind: 'api-error', ...s.op(c), code: s.code, count: 0 })),
  },
  {
    name: 'rds-async-failure',
    applies: (s) => s.async !== undefined,
    arm: (s, c) => when(s, c, () => c.stack.rds.faults.add({ kind: 'async-failure', ...s.async!(c) })),
  },
  {
    name: 'rds-throttle',
    arm: (s, c) =>
      when(s, c, () =>
        c.stack.rds.faults.add({ kind: 'api-error', ...s.op(c), code: 'Throttling', count: 3 }),
      ),
  },
  {
    name: 'crash-before-state-write',
    // A crashed invocation keeps the run's lease until it expires (wall-clock, at least 10 s on the local stack):
    // four crashes in a row cost up to 40 s before the fifth delivery may take the run.
    deadlineMs: 90_000,
    arm: (s, c) =>
      when(s, c, () =>
        c.stack.faults.dynamo({ caller: s.fn, match: c.runId, error: 'crash', count: 4, after: s.call(c) }),
      ),
  },
  {
    name: 'crash-before-check-back',
    arm: (s, c) =>
      when(s, c, () =>
        c.stack.faults.bus({ kind: 'sqs-send', caller: s.fn, match: c.runId, count: 4, after: s.call(c) }),
      ),
  },
  {
    name: 'ddb-conditional-check',
    arm: (s, c) =>
      when(s, c, () =>
        c.stack.faults.dynamo({
          caller: s.fn,
          match: c.runId,
          error: 'ConditionalCheckFailedException',
          count: 1,
          after: s.call(c),
        }),
      ),
  },
  {
    name: 'ddb-throttle',
    arm: (s, c) =>
      when(s, c, () =>
        c.stack.faults.dynamo({
          caller: s.fn,
          match: c.runId,
          error: 'ProvisionedThroughputExceededException',
          count: 5,
          after: s.call(c),
        }),
      ),
  },
  {
    name: 'put-events-partial',
    arm: (s, c) =>
      when(s, c, () =>
        c.stack.faults.bus({
          kind: 'put-events-partial',
          caller: s.fn,
          match: c.runId,
          count: 1,
          after: s.call(c),
        }),
      ),
  },
];

let dbSeq = 0;
const nextDb = (kind: 'instance' | 'cluster', members = 2): DbSpec => {
  dbSeq += 1;
  const n = String(dbSeq).padStart(3, '0');
  return kind === 'instance' ? instanceDb(`fi-${n}`) : clusterDb(`fc-${n}`, members);
};

/** STEPS × FAULTS. */
export const matrix = (): Scenario[] =>
  STEPS.flatMap((s) =>
    FAULTS.filter((f) => !f.applies || f.applies(s)).map(
      (f): Scenario => ({
        name: `${s.kind} ${s.step} × ${f.name}`,
        step: s.step,
        fault: f.name,
        db: nextDb(s.kind),
        arm: (c) => f.arm(s, c),
        ...(f.deadlineMs ? { deadlineMs: f.deadlineMs } : {}),
      }),
    ),
  );

// ---------------------------------------------------------------------------------------------------------------
// Faults not tied to one step

const waitSnapshot = async (c: RunCtx, kind: 'instance' | 'cluster', id: string) => {
  for (let i = 0; i < 200; i++) {
    const st = c.stack.rds.snapshotState();
    const list = (kind === 'instance' ? st.snapshots : st.clusterSnapshots) as Record<string, unknown>[];
    const snap = list.find((x) => (x.DBSnapshotIdentifier ?? x.DBClusterSnapshotIdentifier) === id);
    if (snap?.Status === 'available') return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`seeded snapshot ${id} never became available`);
};

/** Takes a snapshot of `source` under `name` through the API (as the test, not a function) and waits for it. */
const seedSnapshot = async (c: RunCtx, source: string, name: string) => {
  const { rds } = clientsFor(c.stack);
  if (c.db.kind === 'instance') {
    await rds.send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: source, DBSnapshotIdentifier: name }));
  } else {
    await rds.send(
      new CreateDBClusterSnapshotCommand({ DBClusterIdentifier: source, DBClusterSnapshotIdentifier: name }),
    );
  }
  await waitSnapshot(c, c.db.kind, name);
};

const bystanderDb = (c: RunCtx): DbSpec =>
  c.db.kind === 'instance'
    ? instanceDb(`${c.db.identifier}-other`)
    : clusterDb(`${c.db.identifier}-other`, 1);

const both = (f: (kind: 'instance' | 'cluster') => Scenario | Scenario[]): Scenario[] =>
  (['instance', 'cluster'] as const).flatMap((k) => f(k));

export const extras = (): Scenario[] => [
  // Baselines: no fault (instances, clusters of 1–3 members, create_snapshot_only).
  { name: 'instance baseline', step: '-', fault: 'none', db: nextDb('instance') },
  ...[1, 2, 3].map((m) => ({
    name: `cluster(${m} members) baseline`,
    step: '-',
    fault: 'none',
    db: nextDb('cluster', m),
  })),
  {
    name: 'instance create_snapshot_only',
    step: '-',
    fault: 'none',
    db: nextDb('instance'),
    task: 'create_snapshot_only',
  },
  // RDS events: dropped, duplicated, reordered, delayed (stack-wide settings: one group each).
  ...(
    [
      ['events-dropped', { drop: 1 }],
      ['events-duplicated', { duplicate: 1 }],
      ['events-reordered', { reorder: 0.7 }],
      ['events-delayed', { delayMs: 1500 }],
      ['events-mixed', { drop: 0.3, duplicate: 0.3, reorder: 0.3, delayMs: 400 }],
    ] as const
  ).flatMap(([fault, settings]) =>
    both((k) => ({
      name: `${k} all steps × ${fault}`,
      step: 'all',
      fault,
      db: nextDb(k),
      group: fault,
      beforeRuns: (stack) => stack.rds.faults.setEvents(settings),
    })),
  ),
  // Throttling of every RDS call (stack-wide, 20 %).
  ...both((k) => ({
    name: `${k} all steps × rds-throttle-20%`,
    step: 'all',
    fault: 'rds-throttle-20%',
    db: nextDb(k),
    group: 'throttle-all',
    // The SDK's retry back-off (and SQS redelivery after a call that ran out of attempts) is wall-clock time:
    // the time scale does not shorten it. A cluster run makes a few hundred RDS calls, a fifth of them throttled.
    deadlineMs: 120_000,
    beforeRuns: (stack) => stack.rds.faults.add({ kind: 'throttle', probability: 0.2 }),
  })),
  // SES and Slack failures on a notified outcome (the restore fails: ROLLED_BACK).
  ...both((k) => [
    {
      name: `${k} notify × ses-500-twice`,
      step: 'notify',
      fault: 'ses-500-twice',
      db: nextDb(k),
      arm: (c: RunCtx) => {
        restoreFails(
          c,
          k === 'instance' ? 'RestoreDBInstanceFromDBSnapshot' : 'RestoreDBClusterFromSnapshot',
        );
        c.stack.faults.ses({ error: '500', match: c.db.identifier, count: 2 });
      },
    },
    {
      name: `${k} notify × ses-message-rejected`,
      step: 'notify',
      fault: 'ses-message-rejected',
      db: nextDb(k),
      notify: { permanent: ['email'] },
      arm: (c: RunCtx) => {
        restoreFails(
          c,
          k === 'instance' ? 'RestoreDBInstanceFromDBSnapshot' : 'RestoreDBClusterFromSnapshot',
        );
        c.stack.faults.ses({ error: 'MessageRejected', match: c.db.identifier, count: 0 });
      },
    },
  ]),
  ...(
    [
      ['slack-500-twice', 500, 2],
      ['slack-429', 429, 1],
    ] as const
  ).map(([fault, status, count]) => ({
    name: `instance notify × ${fault}`,
    step: 'notify',
    fault,
    db: nextDb('instance'),
    group: fault,
    arm: (c: RunCtx) => {
      restoreFails(c, 'RestoreDBInstanceFromDBSnapshot');
      c.stack.slack.failNext(status, count, 'oncall');
    },
  })),
  // Names taken by bystanders.
  ...both((k) => ({
    name: `${k} RENAMING × temp-name-taken`,
    step: 'RENAMING',
    fault: 'temp-name-taken',
    db: nextDb(k),
    arm: (c: RunCtx) => {
      const other: DbSpec =
        k === 'instance'
          ? instanceDb(c.temp)
          : { identifier: c.temp, kind: 'cluster', members: [`${c.temp}-m`] };
      seedDb(c.stack, other);
      if (k === 'instance') c.bystanders.instances.push(c.temp);
      else c.bystanders.clusters.push(c.temp);
    },
  })),
  {
    name: 'cluster RENAMING(member) × temp-name-taken',
    step: 'RENAMING(member)',
    fault: 'temp-name-taken',
    db: nextDb('cluster'),
    arm: (c: RunCtx) => {
      seedDb(c.stack, instanceDb(c.memberTemps[1]!));
      c.bystanders.instances.push(c.memberTemps[1]!);
    },
  },
  ...both((k) => ({
    name: `${k} SNAPSHOTTING × snapshot-name-taken-by-another-database`,
    step: 'SNAPSHOTTING',
    fault: 'snapshot-name-taken',
    db: nextDb(k),
    arm: async (c: RunCtx) => {
      const other = bystanderDb(c);
      seedDb(c.stack, other);
      (k === 'instance' ? c.bystanders.instances : c.bystanders.clusters).push(other.identifier);
      for (const name of [c.snapshotName, c.runUniqueSnapshotName]) {
        await seedSnapshot(c, other.identifier, name);
        (k === 'instance' ? c.bystanders.snapshots : c.bystanders.clusterSnapshots).push(name);
      }
    },
  })),
  ...both((k) => ({
    name: `${k} SNAPSHOTTING × earlier-snapshot-of-same-database`,
    step: 'SNAPSHOTTING',
    fault: 'earlier-snapshot',
    db: nextDb(k),
    arm: (c: RunCtx) => seedSnapshot(c, c.db.identifier, c.snapshotName),
  })),
];

export const allScenarios = (): Scenario[] => {
  dbSeq = 0;
  return [...matrix(), ...extras()];
};
