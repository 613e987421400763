import type { Run } from '@trapheus/shared';
import { createHarness, type Harness } from '@trapheus/shared/testing';
import { buildRestoreSteps } from '../src/steps';

const SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:staging/orders-db-master-AbC123';
const PASSWORD = 'Staging-pw-9x!';
const SEED = {
  DBInstanceIdentifier: 'orders-db',
  Engine: 'postgres',
  BackupRetentionPeriod: 1,
  DBParameterGroups: [{ DBParameterGroupName: 'orders-pg16' }],
  OptionGroupMemberships: [{ OptionGroupName: 'orders-og' }],
};

describe('restore: the master password from masterPasswordSecretArn', () => {
  let h: Harness;
  let reads: string[];
  let secretString: string | undefined;

  const readyRun = async (extra: Partial<Run> = {}) => {
    const { run } = await h.runs.create({
      runId: 'run-0123456789abcdef',
      identifier: 'orders-db',
      kind: 'instance',
      task: 'db_restore',
      snapshotIdentifier: 'orders-db-snapshot',
      strategy: 'rename_first',
      masterPasswordSecretArn: SECRET,
      ...extra,
    });
    return h.runs.transition(run, 'SNAPSHOT_READY');
  };
  const signal = (r: Run) =>
    h.eventBody('SnapshotReady', {
      runId: r.runId,
      identifier: r.identifier,
      kind: 'instance',
      step: r.step,
    });

  beforeEach(() => {
    reads = [];
    secretString = JSON.stringify({ username: 'admin', password: PASSWORD });
    h = createHarness({
      restore: (deps) =>
        buildRestoreSteps({
          ...deps,
          readSecret: async (arn) => {
            reads.push(arn);
            return secretString;
          },
        }),
    });
    h.rds.seedInstance(SEED);
    h.rds.seedSnapshot({ DBSnapshotIdentifier: 'orders-db-snapshot', DBInstanceIdentifier: 'orders-db' });
  });
  afterEach(() => h.restore());

  it('sets the password with the post-restore modify, once, and keeps only the ARN on the run', async () => {
    const run = await readyRun();
    await h.deliver('restore', signal(run));
    await h.drain();

    const r = (await h.runs.get(run.runId))!;
    expect([r.step, r.failure?.message]).toEqual(['CLEANING_UP', undefined]);
    const withPassword = h.rds
      .calls('ModifyDBInstance')
      .map((c) => c.input)
      .filter((i) => 'MasterUserPassword' in i);
    expect(withPassword).toEqual([
      { DBInstanceIdentifier: 'orders-db', ApplyImmediately: true, MasterUserPassword: PASSWORD },
    ]);
    expect(reads).toEqual([SECRET]);
    expect(r.masterPasswordSecretArn).toBe(SECRET);
    expect(typeof r.progress.masterPasswordSetAt).toBe('string');
    expect(JSON.stringify(r)).not.toContain(PASSWORD);
    expect(JSON.stringify(h.published)).not.toContain(PASSWORD);
  });

  it('a secret RDS would refuse fails the step (rollback) naming the secret, not the password', async () => {
    secretString = 'pass/word-1';
    const run = await readyRun();
    await h.deliver('restore', signal(run));
    await h.drain();

    const r = (await h.runs.get(run.runId))!;
    expect(r.failure?.code).toBe('InvalidMasterPasswordSecret');
    expect(r.failure?.message).toContain(SECRET);
    expect(JSON.stringify(r)).not.toContain('pass/word-1');
    expect(h.rds.calls('ModifyDBInstance').some((c) => 'MasterUserPassword' in c.input)).toBe(false);
  });

  it('an unreadable secret fails the step with the Secrets Manager error code', async () => {
    h.restore();
    h = createHarness({
      restore: (deps) =>
        buildRestoreSteps({
          ...deps,
          readSecret: async () => {
            throw Object.assign(new Error('no access'), { name: 'AccessDeniedException' });
          },
        }),
    });
    h.rds.seedInstance(SEED);
    h.rds.seedSnapshot({ DBSnapshotIdentifier: 'orders-db-snapshot', DBInstanceIdentifier: 'orders-db' });
    const run = await readyRun();
    await h.deliver('restore', signal(run));
    await h.drain();
    const r = (await h.runs.get(run.runId))!;
    expect(r.failure).toMatchObject({ code: 'MasterPasswordSecretUnreadable' });
    expect(r.failure?.message).toMatch(/AccessDeniedException/);
  });

  it('no secret named: no read, no password', async () => {
    const run = await readyRun({ masterPasswordSecretArn: undefined });
    await h.deliver('restore', signal(run));
    await h.drain();
    expect(reads).toEqual([]);
    expect(h.rds.calls('ModifyDBInstance').some((c) => 'MasterUserPassword' in c.input)).toBe(false);
  });
});
