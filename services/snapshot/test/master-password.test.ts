import { createHarness, type Harness } from '@trapheus/shared/testing';
import { buildSnapshotSteps } from '../src/steps';

const SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:staging/orders-db-master-AbC123';
const request = {
  identifier: 'orders-db',
  task: 'db_restore',
  isCluster: false,
  snapshotIdentifier: 'orders-snap',
};

describe('intake of masterPasswordSecretArn', () => {
  let h: Harness;
  const start = (allowed: string[]) => {
    h = createHarness({
      snapshot: (deps) => buildSnapshotSteps({ ...deps, masterPasswordSecretArns: allowed }),
    });
    h.rds.seedSnapshot({ DBSnapshotIdentifier: 'orders-snap', DBInstanceIdentifier: 'orders-db' });
  };
  afterEach(() => h.restore());
  const onlyRun = () => {
    const runs = h.memory.all();
    expect(runs).toHaveLength(1);
    return runs[0]!;
  };

  it('accepts an allowed secret and records its ARN on the run', async () => {
    start(['arn:aws:secretsmanager:us-east-1:123456789012:secret:staging/*']);
    h.rds.seedInstance({ DBInstanceIdentifier: 'orders-db' });
    await h.request({ ...request, masterPasswordSecretArn: SECRET });
    const run = onlyRun();
    expect(run.step).toBe('SNAPSHOT_READY');
    expect(run.masterPasswordSecretArn).toBe(SECRET);
  });

  it('rejects a secret the deployment does not allow, saying how to allow it, before touching RDS', async () => {
    start([]);
    h.rds.seedInstance({ DBInstanceIdentifier: 'orders-db' });
    await h.request({ ...request, masterPasswordSecretArn: SECRET });
    const run = onlyRun();
    expect(run.step).toBe('REJECTED');
    expect(run.reason).toContain('field "masterPasswordSecretArn"');
    expect(run.reason).toContain('masterPasswordSecretArns');
    expect(h.rds.calls()).toEqual([]);
  });

  it('rejects it for an original with a managed master password (the two are exclusive)', async () => {
    start([SECRET]);
    h.rds.seedInstance({
      DBInstanceIdentifier: 'orders-db',
      MasterUserSecret: { SecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1-abcdef' },
    });
    await h.request({ ...request, masterPasswordSecretArn: SECRET });
    const run = onlyRun();
    expect(run.step).toBe('REJECTED');
    expect(run.reason).toMatch(/field "masterPasswordSecretArn" cannot be used .* managed by RDS/);
    expect(run.remedy).toMatchObject({ action: 'restore', identifier: 'orders-db' });
    expect(run.remedy).not.toHaveProperty('masterPasswordSecretArn');
    expect(h.rds.mutatingCalls()).toEqual([]);
  });

  it('rejects a malformed ARN naming the field', async () => {
    start([SECRET]);
    h.rds.seedInstance({ DBInstanceIdentifier: 'orders-db' });
    await h.request({ ...request, masterPasswordSecretArn: 'staging/orders-db-master' });
    const run = onlyRun();
    expect(run.step).toBe('REJECTED');
    expect(run.reason).toContain(
      'field "masterPasswordSecretArn" must be the full ARN of a Secrets Manager secret',
    );
  });
});
