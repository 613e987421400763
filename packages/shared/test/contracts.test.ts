import {
  formatIssues,
  RestoreRequested,
  RunFailed,
  RunRolledBack,
  RunSucceeded,
  restoreRequestedDetailSchema,
  runOutcomeDetailSchema,
  SIGNAL_CONTRACTS,
  TRAPHEUS_SOURCE,
} from '../src/contracts';
import { outcomeOf, PIPELINE, SERVICES, serviceFor, stepsOwnedBy } from '../src/pipeline';
import { STEPS, TERMINAL_STEPS } from '../src/run';

/** The validation message a requester gets for a detail, or `valid`. */
const problemsOf = (detail: unknown): string => {
  const parsed = restoreRequestedDetailSchema.safeParse(detail);
  return parsed.success ? 'valid' : formatIssues(parsed.error.issues);
};

const valid = { identifier: 'orders-db', task: 'create_snapshot', isCluster: false };

describe('RestoreRequested detail', () => {
  it.each([
    { identifier: 'database-1', task: 'create_snapshot', isCluster: false },
    { identifier: 'database-1', task: 'db_restore', isCluster: false },
    { identifier: 'aurora-shop', task: 'create_snapshot_only', isCluster: true },
  ])('accepts the original Python Trapheus input %j unchanged', (detail) => {
    expect(restoreRequestedDetailSchema.parse(detail)).toEqual(detail);
  });

  it('accepts the optional snapshotIdentifier and requestId', () => {
    // Prepare
    const detail = { ...valid, snapshotIdentifier: 'orders-db-nightly', requestId: 'nightly-2026-03-01' };

    // Act
    const parsed = restoreRequestedDetailSchema.parse(detail);

    // Assess
    expect(parsed).toEqual(detail);
  });

  it('accepts a 63-character identifier', () => {
    const identifier = `a${'b'.repeat(62)}`;

    expect(restoreRequestedDetailSchema.parse({ ...valid, identifier }).identifier).toBe(identifier);
  });

  // Bug: contracts.ts rdsIdentifierSchema accepts upper-case letters and keeps them, but RDS stores instance,
  // cluster and snapshot identifiers as lower-case strings ("This parameter is stored as a lowercase string",
  // CreateDBInstance API reference). A run for `Orders-DB` then waits on `db-instance#Orders-DB` while RDS
  // events name `orders-db` (events never match), and assertDeletable compares `Orders-DB-tr-…` with the
  // `orders-db-tr-…` RDS returns, so the temp is never deletable. Fix: add `.transform((s) => s.toLowerCase())`
  // (zod 4: `.toLowerCase()`) to rdsIdentifierSchema and snapshotIdentifierSchema, after the checks.
  it('normalises a mixed-case identifier to the lower case RDS stores', () => {
    const parsed = restoreRequestedDetailSchema.parse({
      ...valid,
      identifier: 'Orders-DB',
      snapshotIdentifier: 'Orders-Snap',
    });

    expect(parsed.identifier).toBe('orders-db');
    expect(parsed.snapshotIdentifier).toBe('orders-snap');
  });

  it('refuses keys it does not know, naming each', () => {
    const parsed = restoreRequestedDetailSchema.safeParse({ ...valid, colour: 'blue', mask: {} });

    expect(parsed.success).toBe(false);
    expect(formatIssues(parsed.error!.issues)).toBe(
      'field "colour" is not supported by this deployment (it would be ignored: remove it); ' +
        'field "mask" is not supported by this deployment (it would be ignored: remove it)',
    );
  });

  it('accepts verify with hooks, the timeout defaulting to 60 minutes', () => {
    const parsed = restoreRequestedDetailSchema.parse({
      ...valid,
      verify: { hooks: ['masking', 'health_1'] },
    });

    expect(parsed.verify).toEqual({ hooks: ['masking', 'health_1'], timeoutMinutes: 60 });
  });

  it.each([
    [{ hooks: [] }, 'field "verify.hooks" must name at least one hook'],
    [{ hooks: ['a', 'a'] }, 'field "verify.hooks" must not name a hook twice'],
    [{ hooks: ['mask ing'] }, 'field "verify.hooks.0" must contain only letters, digits, - and _'],
    [{ hooks: ['a'], timeoutMinutes: 0 }, 'field "verify.timeoutMinutes" must be at least 1 (minute)'],
    [{ hooks: ['a'], timeoutMinutes: 1441 }, 'field "verify.timeoutMinutes" must be at most 1440 (24 hours)'],
    [
      { hooks: ['a'], colour: 1 },
      'field "verify.colour" is not supported by this deployment (it would be ignored: remove it)',
    ],
  ])('rejects verify %j naming the field', (verify, message) => {
    const parsed = restoreRequestedDetailSchema.safeParse({ ...valid, verify });

    expect(formatIssues(parsed.error!.issues)).toBe(message);
  });

  it('accepts restoreTime on db_restore, normalised to UTC, and latest', () => {
    expect(
      restoreRequestedDetailSchema.parse({
        ...valid,
        task: 'db_restore',
        restoreTime: '2026-12-01T03:00:00+01:00',
      }).restoreTime,
    ).toBe('2026-12-01T02:00:00Z');
    expect(
      restoreRequestedDetailSchema.parse({
        ...valid,
        task: 'db_restore',
        restoreTime: '2026-12-01T02:00:00.250Z',
      }).restoreTime,
    ).toBe('2026-12-01T02:00:00.250Z');
    expect(restoreRequestedDetailSchema.parse({ ...valid, task: 'db_restore', latest: true }).latest).toBe(
      true,
    );
  });

  it.each([
    [
      'restoreTime without a zone',
      { ...valid, task: 'db_restore', restoreTime: '2026-12-01T02:00:00' },
      'field "restoreTime" must be an ISO 8601 time with a zone, e.g. 2026-12-01T02:00:00Z',
    ],
    [
      'an impossible restoreTime',
      { ...valid, task: 'db_restore', restoreTime: '2026-13-41T02:00:00Z' },
      'field "restoreTime" must be a valid time',
    ],
    [
      'restoreTime on a snapshot task',
      { ...valid, restoreTime: '2026-12-01T02:00:00Z' },
      'field "restoreTime" applies to tasks db_restore and restore_copy (a restore to a point in time), not create_snapshot',
    ],
    [
      'restoreTime with a snapshot',
      {
        ...valid,
        task: 'db_restore',
        snapshotIdentifier: 'orders-snap',
        restoreTime: '2026-12-01T02:00:00Z',
      },
      'field "restoreTime" cannot be combined with snapshotIdentifier: restore either a snapshot or a point in time',
    ],
    [
      'restoreTime and latest',
      { ...valid, task: 'db_restore', restoreTime: '2026-12-01T02:00:00Z', latest: true },
      'field "latest" cannot be combined with restoreTime: give a time, or latest, not both',
    ],
    [
      'latest false',
      { ...valid, task: 'db_restore', latest: false },
      'field "latest" must be true (or left out)',
    ],
  ])('refuses %s, naming the field', (_name, detail, message) => {
    expect(problemsOf(detail)).toBe(message);
  });

  it('accepts clone_from with a source cluster name (lower-cased) or ARN, and verify', () => {
    const base = { identifier: 'staging', task: 'clone_from', isCluster: true };
    expect(restoreRequestedDetailSchema.parse({ ...base, sourceIdentifier: 'Prod' }).sourceIdentifier).toBe(
      'prod',
    );
    const arn = 'arn:aws:rds:us-east-1:123456789012:cluster:prod';
    expect(restoreRequestedDetailSchema.parse({ ...base, sourceIdentifier: arn }).sourceIdentifier).toBe(arn);
    expect(problemsOf({ ...base, sourceIdentifier: 'prod', verify: { hooks: ['masking'] } })).toBe('valid');
  });

  it.each([
    [
      'clone_from without a source',
      { identifier: 'staging', task: 'clone_from', isCluster: true },
      'field "sourceIdentifier" is required for clone_from: the cluster to clone',
    ],
    [
      'clone_from on an instance',
      { identifier: 'staging', task: 'clone_from', isCluster: false, sourceIdentifier: 'prod' },
      'field "isCluster" must be true for clone_from: Aurora clones clusters (copy-on-write)',
    ],
    [
      'clone_from with a snapshot',
      {
        identifier: 'staging',
        task: 'clone_from',
        isCluster: true,
        sourceIdentifier: 'prod',
        snapshotIdentifier: 's',
      },
      'field "snapshotIdentifier" does not apply to clone_from: it clones the source cluster at its latest time, no snapshot',
    ],
    [
      'a source on another task',
      { ...valid, sourceIdentifier: 'prod' },
      'field "sourceIdentifier" applies to task clone_from (a refresh from another cluster), not create_snapshot',
    ],
    [
      'a source that is no identifier',
      { identifier: 'staging', task: 'clone_from', isCluster: true, sourceIdentifier: 'prod_db' },
      'field "sourceIdentifier" must be a DB cluster identifier or its ARN (arn:aws:rds:<region>:<account>:cluster:<id>)',
    ],
  ])('refuses %s, naming the field', (_name, detail, message) => {
    expect(problemsOf(detail)).toBe(message);
  });

  it('accepts restore_copy with a target, keep, a snapshot or a point in time, and verify', () => {
    const base = {
      identifier: 'orders-db',
      task: 'restore_copy',
      isCluster: false,
      targetIdentifier: 'Orders-Rehearsal',
    };
    expect(restoreRequestedDetailSchema.parse(base).targetIdentifier).toBe('orders-rehearsal');
    expect(problemsOf({ ...base, keep: true, snapshotIdentifier: 'orders-snap' })).toBe('valid');
    expect(problemsOf({ ...base, latest: true, verify: { hooks: ['smoke'] } })).toBe('valid');
  });

  it.each([
    [
      'restore_copy without a target',
      { ...valid, task: 'restore_copy' },
      'field "targetIdentifier" is required for restore_copy: the name of the new database the rehearsal restores',
    ],
    [
      'restore_copy onto its source',
      { ...valid, task: 'restore_copy', targetIdentifier: 'orders-db' },
      'field "targetIdentifier" must differ from identifier: a rehearsal never touches its source',
    ],
    [
      'restore_copy with a strategy',
      { ...valid, task: 'restore_copy', targetIdentifier: 'r', strategy: 'rename_first' },
      'field "strategy" does not apply to restore_copy: a rehearsal restores beside its source and never swaps',
    ],
    [
      'keep on another task',
      { ...valid, keep: true },
      'field "keep" applies to task restore_copy (a rehearsal under a new name), not create_snapshot',
    ],
  ])('refuses %s, naming the field', (_name, detail, message) => {
    expect(problemsOf(detail)).toBe(message);
  });

  it('accepts the ARN of a shared snapshot on db_restore and share_snapshot with accounts and a key', () => {
    const arn = 'arn:aws:rds:us-east-1:111111111111:snapshot:prod-db-nightly';
    expect(problemsOf({ ...valid, task: 'db_restore', snapshotIdentifier: arn })).toBe('valid');
    expect(
      problemsOf({
        ...valid,
        task: 'share_snapshot',
        shareWith: ['111111111111'],
        kmsKeyId: 'arn:aws:kms:us-east-1:000000000000:key/1a2b',
      }),
    ).toBe('valid');
  });

  it.each([
    [
      'a snapshot ARN on a snapshot task',
      { ...valid, snapshotIdentifier: 'arn:aws:rds:us-east-1:111111111111:snapshot:s' },
      'field "snapshotIdentifier" is a snapshot ARN, which only db_restore and restore_copy take (create_snapshot takes a snapshot base name)',
    ],
    [
      'a cluster snapshot ARN for an instance',
      {
        ...valid,
        task: 'db_restore',
        snapshotIdentifier: 'arn:aws:rds:us-east-1:111111111111:cluster-snapshot:s',
      },
      'field "snapshotIdentifier" is the ARN of a DB cluster snapshot, and isCluster is false',
    ],
    [
      'share_snapshot without accounts',
      { ...valid, task: 'share_snapshot' },
      'field "shareWith" is required for share_snapshot: the accounts to share with',
    ],
    [
      'an account that is no account id',
      { ...valid, task: 'share_snapshot', shareWith: ['all'] },
      'field "shareWith.0" must be 12-digit AWS account ids',
    ],
    [
      '21 accounts',
      {
        ...valid,
        task: 'share_snapshot',
        shareWith: Array.from({ length: 21 }, (_, i) => String(100000000000 + i)),
      },
      'field "shareWith" must name at most 20 accounts (RDS shares a snapshot with at most 20)',
    ],
    [
      'a key on another task',
      { ...valid, kmsKeyId: 'arn:aws:kms:us-east-1:000000000000:key/1a2b' },
      'field "kmsKeyId" applies to task share_snapshot, not create_snapshot',
    ],
  ])('refuses %s, naming the field', (_name, detail, message) => {
    expect(problemsOf(detail)).toBe(message);
  });

  it('refuses verify on create_snapshot_only (no copy to check)', () => {
    const parsed = restoreRequestedDetailSchema.safeParse({
      ...valid,
      task: 'create_snapshot_only',
      verify: { hooks: ['masking'] },
    });

    expect(formatIssues(parsed.error!.issues)).toMatch(/^field "verify" applies to the restore tasks/);
  });

  it.each([
    ['missing identifier', { task: 'create_snapshot', isCluster: false }, 'field "identifier" is required'],
    [
      'empty identifier',
      { ...valid, identifier: '' },
      'field "identifier" must not be empty; field "identifier" must start with a letter and contain only letters, digits and single hyphens',
    ],
    [
      'identifier with an underscore',
      { ...valid, identifier: 'orders_db' },
      'field "identifier" must start with a letter and contain only letters, digits and single hyphens',
    ],
    [
      'identifier starting with a digit',
      { ...valid, identifier: '1orders' },
      'field "identifier" must start with a letter and contain only letters, digits and single hyphens',
    ],
    [
      'identifier with a double hyphen',
      { ...valid, identifier: 'orders--db' },
      'field "identifier" must start with a letter and contain only letters, digits and single hyphens',
    ],
    [
      'identifier with a trailing hyphen',
      { ...valid, identifier: 'orders-db-' },
      'field "identifier" must not end with a hyphen',
    ],
    [
      'identifier of 64 characters',
      { ...valid, identifier: `a${'b'.repeat(63)}` },
      'field "identifier" must be at most 63 characters',
    ],
    ['identifier that is a number', { ...valid, identifier: 42 }, 'field "identifier" must be a string'],
    [
      'unknown task',
      { ...valid, task: 'restore_everything' },
      'field "task" must be one of create_snapshot, db_restore, create_snapshot_only, clone_from, restore_copy, share_snapshot',
    ],
    ['missing task', { identifier: 'orders-db', isCluster: false }, 'field "task" is required'],
    [
      'isCluster as the string "false"',
      { ...valid, isCluster: 'false' },
      'field "isCluster" must be a boolean (true or false)',
    ],
    ['missing isCluster', { identifier: 'orders-db', task: 'db_restore' }, 'field "isCluster" is required'],
    [
      'snapshotIdentifier with a double hyphen',
      { ...valid, snapshotIdentifier: 'orders--snap' },
      'field "snapshotIdentifier" must be a snapshot name (a letter first, then letters, digits and single hyphens, at most 255, no trailing hyphen) or the ARN of a shared snapshot',
    ],
    ['empty requestId', { ...valid, requestId: '' }, 'field "requestId" must not be empty'],
  ])('rejects a %s with a message naming the field', (_what, detail, expected) => {
    expect(problemsOf(detail)).toBe(expected);
  });

  it('names every bad field at once, separated by semicolons', () => {
    expect(problemsOf({ identifier: 'orders_db', task: 'nope' })).toBe(
      [
        'field "identifier" must start with a letter and contain only letters, digits and single hyphens',
        'field "task" must be one of create_snapshot, db_restore, create_snapshot_only, clone_from, restore_copy, share_snapshot',
        'field "isCluster" is required',
      ].join('; '),
    );
  });

  it('names the detail itself when it is not an object', () => {
    expect(problemsOf('orders-db')).toMatch(/^field "detail" /);
  });
});

describe('event contracts', () => {
  it('puts every Trapheus event on the trapheus source with a past-tense detail-type', () => {
    expect(RestoreRequested).toMatchObject({ source: TRAPHEUS_SOURCE, detailType: 'RestoreRequested' });
    expect(SIGNAL_CONTRACTS.map((c) => [c.source, c.detailType])).toEqual([
      ['trapheus', 'SnapshotReady'],
      ['trapheus', 'RestoreCompleted'],
      ['trapheus', 'RestoreFailed'],
      ['trapheus', 'RunStalled'],
    ]);
  });

  it.each([
    ['SUCCEEDED', RunSucceeded],
    ['ROLLED_BACK', RunRolledBack],
    ['FAILED', RunFailed],
    ['CLEANUP_FAILED', RunFailed],
    ['REJECTED', RunFailed],
  ] as const)('publishes a run ending at %s as its outcome contract', (step, contract) => {
    expect(outcomeOf(step)).toBe(contract);
  });

  it('gives every non-terminal step exactly one owning service, and every terminal step an outcome', () => {
    const owned = SERVICES.flatMap((s) => stepsOwnedBy(s));
    const nonTerminal = STEPS.filter((s) => !TERMINAL_STEPS.includes(s));

    expect([...owned].sort()).toEqual([...nonTerminal].sort());
    expect(new Set(owned).size).toBe(owned.length);
    expect(TERMINAL_STEPS.filter((s) => !(PIPELINE[s] as { outcome?: unknown }).outcome)).toEqual([]);
  });

  it('routes each hand-off to the owner of the step it hands over, and RunStalled to the step owner', () => {
    expect(serviceFor('SnapshotReady')).toBe('restore');
    expect(serviceFor('RestoreCompleted')).toBe('cleanup');
    expect(serviceFor('RestoreFailed')).toBe('cleanup');
    expect(serviceFor('RunStalled', 'SNAPSHOTTING')).toBe('snapshot');
    expect(serviceFor('RunStalled', 'FAILED')).toBe('cleanup');
    expect(serviceFor('RunRolledBack')).toBe('notify');
    expect(serviceFor('RestoreRequested')).toBe('snapshot');
  });

  it('validates an outcome detail and refuses one without a runId', () => {
    const outcome = {
      runId: 'run-1',
      identifier: 'orders-db',
      kind: 'instance',
      task: 'db_restore',
      step: 'ROLLED_BACK',
      createdAt: '2026-03-01T10:00:00.000Z',
      finishedAt: '2026-03-01T11:00:00.000Z',
      history: [{ step: 'REQUESTED', at: '2026-03-01T10:00:00.000Z' }],
      failure: {
        step: 'RESTORING',
        code: 'incompatible-restore',
        message: 'x',
        at: '2026-03-01T10:30:00.000Z',
      },
    };

    expect(runOutcomeDetailSchema.parse(outcome)).toEqual(outcome);
    expect(runOutcomeDetailSchema.safeParse({ ...outcome, runId: undefined }).success).toBe(false);
  });
});
