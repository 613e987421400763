/**
 * The master password after a restore, end to end on the local stack (issue 14): a request naming
 * `masterPasswordSecretArn` leaves the copy with the secret's password (never the snapshot's), and the password
 * appears in no log line of any function (DEBUG), in no run field, event or message; an original with a managed
 * password gets a managed copy whose new secret ARN is on the run, in the alert and in `trapheus status`.
 */

import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DEMO_CLUSTER, DEMO_CLUSTER_MEMBERS, type EventBridgeEvent, type LocalStack } from '@trapheus/local';
import { isTerminal, type Run, runIdFor } from '@trapheus/shared';
import { describeRun } from '../../packages/cli/src/runs-view';
import { assertIamClean, clientsFor, describe1, freshStack, runRestore } from './stack-helpers';

jest.setTimeout(90_000);

const SECRET_PASSWORD = 'Staging-Secret-pw-42';
const PRODUCTION_PASSWORD = 'Production-pw-0001';
const ALLOWED = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:trapheus-test/*';

/** Every line a function (or anything else in this process) writes while the test runs. */
const captureOutput = () => {
  const lines: string[] = [];
  const restores: (() => void)[] = [];
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write.bind(stream);
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      lines.push(String(chunk));
      return (original as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write;
    restores.push(() => {
      stream.write = original;
    });
  }
  for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
    const spy = jest.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      lines.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
    });
    restores.push(() => spy.mockRestore());
  }
  return {
    lines,
    stop: () => {
      for (const r of restores) r();
    },
  };
};

/** Every event on the project bus and the default bus. */
const captureEvents = (stack: LocalStack) => {
  const events: EventBridgeEvent[] = [];
  stack.bus.subscribe(stack.busName, { source: ['trapheus'] }, (e) => events.push(e));
  stack.bus.subscribe('default', { source: ['aws.rds'] }, (e) => events.push(e));
  return events;
};

const clientConfig = (stack: LocalStack) => ({
  region: stack.region,
  endpoint: stack.endpoints.bus,
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  maxAttempts: 1,
});

const createSecret = async (stack: LocalStack, name: string, secretString: string) =>
  (
    await new SecretsManagerClient(clientConfig(stack)).send(
      new CreateSecretCommand({ Name: name, SecretString: secretString }),
    )
  ).ARN!;

const request = async (stack: LocalStack, detail: Record<string, unknown>) => {
  await new EventBridgeClient(clientConfig(stack)).send(
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: stack.busName,
          Source: 'trapheus',
          DetailType: 'RestoreRequested',
          Detail: JSON.stringify(detail),
        },
      ],
    }),
  );
  return runIdFor({ requestId: String(detail.requestId) });
};

const finished = async (stack: LocalStack, runId: string): Promise<Run> => {
  const { runs } = clientsFor(stack);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const run = await runs.get(runId);
    if (run && isTerminal(run.step) && !run.active) return run;
    if (Date.now() > deadline) throw new Error(`run ${runId} did not finish: ${run?.step}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('the master password after a restore', () => {
  let stack: LocalStack | undefined;
  let output: ReturnType<typeof captureOutput> | undefined;
  const saved = {
    level: process.env.TRAPHEUS_LOG_LEVEL,
    allowed: process.env.TRAPHEUS_MASTER_PASSWORD_SECRET_ARNS,
    onSuccess: process.env.TRAPHEUS_NOTIFY_ON_SUCCESS,
  };
  beforeAll(() => {
    // Every function logs at DEBUG (the local stage's logLevel), and the deployment allows the test's secrets
    // (masterPasswordSecretArns, read by the snapshot and restore services and by the IAM check's policies).
    process.env.TRAPHEUS_LOG_LEVEL = 'DEBUG';
    process.env.TRAPHEUS_MASTER_PASSWORD_SECRET_ARNS = ALLOWED;
    // Successes are alerted too (notifyOnSuccess), so there are messages to read.
    process.env.TRAPHEUS_NOTIFY_ON_SUCCESS = 'true';
  });
  afterAll(() => {
    for (const [key, value] of [
      ['TRAPHEUS_LOG_LEVEL', saved.level],
      ['TRAPHEUS_MASTER_PASSWORD_SECRET_ARNS', saved.allowed],
      ['TRAPHEUS_NOTIFY_ON_SUCCESS', saved.onSuccess],
    ] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });
  afterEach(async () => {
    output?.stop();
    output = undefined;
    try {
      await assertIamClean(stack);
    } finally {
      await stack?.stop();
      stack = undefined;
    }
  });

  /** No log line, run field, event, Slack post or e-mail contains `secret`. */
  const assertNowhere = async (s: LocalStack, secret: string, run: Run, events: EventBridgeEvent[]) => {
    const lines = output?.lines ?? [];
    expect(lines.filter((l) => l.includes(secret))).toEqual([]);
    expect(JSON.stringify(run)).not.toContain(secret);
    expect(JSON.stringify(events)).not.toContain(secret);
    expect(JSON.stringify(s.slack.attempts())).not.toContain(secret);
    expect(JSON.stringify(await s.ses.emails())).not.toContain(secret);
  };

  it('masterPasswordSecretArn: the copy gets the secret password, which appears in no log, run, event or message', async () => {
    output = captureOutput();
    stack = await freshStack();
    const events = captureEvents(stack);
    stack.rds.seedInstance({
      DBInstanceIdentifier: 'staging-db',
      Engine: 'postgres',
      EngineVersion: '16.4',
      DBInstanceClass: 'db.t4g.medium',
      AllocatedStorage: 20,
      BackupRetentionPeriod: 1,
    });
    stack.rds.setMasterUserPassword('instance', 'staging-db', PRODUCTION_PASSWORD);
    const arn = await createSecret(
      stack,
      'trapheus-test/staging-db-master',
      JSON.stringify({ username: 'admin', password: SECRET_PASSWORD, engine: 'postgres' }),
    );

    const runId = await request(stack, {
      identifier: 'staging-db',
      task: 'create_snapshot',
      isCluster: false,
      requestId: 'master-password-1',
      masterPasswordSecretArn: arn,
    });
    const run = await finished(stack, runId);
    await stack.bus.whenIdle(20_000);

    expect(run.step).toBe('SUCCEEDED');
    expect(run.masterPasswordSecretArn).toBe(arn);
    expect(typeof run.progress.masterPasswordSetAt).toBe('string');
    // The copy answering under the name has the secret's password, not the snapshot's (production's).
    expect(stack.rds.masterUserPassword('instance', 'staging-db')).toBe(SECRET_PASSWORD);
    // RDS never returns the password: not in Describe either.
    const { rds } = clientsFor(stack);
    expect(JSON.stringify(await describe1(rds, 'staging-db'))).not.toContain(SECRET_PASSWORD);
    // The capture saw the functions' DEBUG lines, one of them naming the secret (never its value).
    expect(output.lines.length).toBeGreaterThan(20);
    expect(output.lines.some((l) => l.includes('masterPasswordFrom') && l.includes(arn))).toBe(true);
    expect(events.some((e) => e['detail-type'] === 'RunSucceeded')).toBe(true);
    expect(stack.slack.posts().length).toBeGreaterThan(0);
    await assertNowhere(stack, SECRET_PASSWORD, run, events);
    await assertNowhere(stack, PRODUCTION_PASSWORD, run, events);
    // The IAM check (afterEach) evaluates the restore worker's GetSecretValue against the packaged role.
    expect(
      stack
        .iamCalls()
        .filter((c) => c.action === 'secretsmanager:GetSecretValue')
        .map((c) => [c.caller, c.resources[0]?.arn]),
    ).toEqual([[expect.stringContaining('restore'), arn]]);
  });

  it('an Aurora cluster: the cluster gets the secret password (ModifyDBCluster), the members none of their own', async () => {
    output = captureOutput();
    stack = await freshStack();
    const events = captureEvents(stack);
    stack.rds.seedCluster({
      ...DEMO_CLUSTER,
      DBClusterIdentifier: 'pw-cluster',
      ManageMasterUserPassword: false,
      customEndpoints: [],
    });
    for (const m of DEMO_CLUSTER_MEMBERS) {
      stack.rds.seedInstance({
        ...m,
        DBInstanceIdentifier: m.DBInstanceIdentifier.replace('demo-cluster', 'pw-cluster'),
        DBClusterIdentifier: 'pw-cluster',
      });
    }
    stack.rds.setMasterUserPassword('cluster', 'pw-cluster', PRODUCTION_PASSWORD);
    const arn = await createSecret(stack, 'trapheus-test/pw-cluster-master', SECRET_PASSWORD);

    const runId = await request(stack, {
      identifier: 'pw-cluster',
      task: 'create_snapshot',
      isCluster: true,
      requestId: 'master-password-cluster',
      masterPasswordSecretArn: arn,
    });
    const run = await finished(stack, runId);
    await stack.bus.whenIdle(20_000);

    expect([run.step, run.failure?.message]).toEqual(['SUCCEEDED', undefined]);
    expect(stack.rds.masterUserPassword('cluster', 'pw-cluster')).toBe(SECRET_PASSWORD);
    expect(stack.rds.masterUserPassword('instance', 'pw-cluster-writer')).toBeUndefined();
    await assertNowhere(stack, SECRET_PASSWORD, run, events);
    await assertNowhere(stack, PRODUCTION_PASSWORD, run, events);
  });

  it('a managed-password original: the copy has a managed secret of its own, its ARN on the run, in the alert and the status', async () => {
    stack = await freshStack();
    const { rds } = clientsFor(stack);
    const before = (await describe1(rds, 'demo-db'))!;
    expect(before.MasterUserSecret?.SecretArn).toBeDefined();

    const result = await runRestore(stack);
    await stack.bus.whenIdle(20_000);

    expect(result.code).toBe(0);
    const run = (await clientsFor(stack).runs.get(result.runId))!;
    const after = (await describe1(rds, 'demo-db'))!;
    const copySecret = after.MasterUserSecret?.SecretArn;
    expect(copySecret).toBeDefined();
    expect(copySecret).not.toBe(before.MasterUserSecret?.SecretArn);
    expect(run.progress.masterUserSecretArn).toBe(copySecret);
    expect(describeRun(run, '--local')).toContain(
      `master password: in the copy's own Secrets Manager secret ${copySecret}`,
    );
    const emails = await stack.ses.emails();
    expect(emails.some((e) => (e.text ?? '').includes(copySecret!))).toBe(true);
    expect(stack.slack.posts().every((p) => JSON.stringify(p.body).includes(copySecret!))).toBe(true);
  });

  it('a request naming a secret for a managed-password original is REJECTED naming the field', async () => {
    stack = await freshStack();
    const arn = await createSecret(stack, 'trapheus-test/demo-db-master', SECRET_PASSWORD);
    const runId = await request(stack, {
      identifier: 'demo-db',
      task: 'create_snapshot',
      isCluster: false,
      requestId: 'master-password-managed',
      masterPasswordSecretArn: arn,
    });
    const run = await finished(stack, runId);
    expect(run.step).toBe('REJECTED');
    expect(run.reason).toContain('field "masterPasswordSecretArn" cannot be used');
    expect(stack.rds.callCounts().CreateDBSnapshot ?? 0).toBe(0);
    expect(stack.iamCalls().some((c) => c.action === 'secretsmanager:GetSecretValue')).toBe(false);
  });
});
