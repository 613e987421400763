import {
  MasterPasswordSecretError,
  masterPasswordProblem,
  parseAllowedSecretArns,
  parseSchedulesConfig,
  passwordFromSecretString,
  remedyCommand,
  remedyRequest,
  restoreRequestedDetailSchema,
  retryRemedy,
  secretArnAllowed,
  secretArnSchema,
} from '../src';

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:staging/orders-db-master-AbC123';

describe('masterPasswordSecretArn: a Secrets Manager secret ARN', () => {
  it.each([
    ARN,
    'arn:aws:secretsmanager:us-east-1:000000000000:secret:pw-a1B2c3',
    'arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:db_pw+x=y.z@w-zzzzzz',
    'arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:pw-123456',
  ])('accepts %s', (arn) => {
    expect(secretArnSchema.safeParse(arn).success).toBe(true);
  });

  it.each([
    ['a secret name', 'staging/orders-db-master'],
    [
      'a partial ARN (no six characters)',
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:staging/orders-db',
    ],
    ['five characters', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:pw-abcde'],
    ['another service', 'arn:aws:ssm:eu-west-1:123456789012:parameter/pw-abcdef'],
    ['a short account', 'arn:aws:secretsmanager:eu-west-1:1234:secret:pw-abcdef'],
    ['no Region', 'arn:aws:secretsmanager::123456789012:secret:pw-abcdef'],
    ['a space in the name', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:my pw-abcdef'],
  ])('refuses %s', (_what, arn) => {
    expect(secretArnSchema.safeParse(arn).success).toBe(false);
  });

  it('a request with a bad ARN is refused naming the field', () => {
    const r = restoreRequestedDetailSchema.safeParse({
      identifier: 'orders-db',
      task: 'db_restore',
      isCluster: false,
      masterPasswordSecretArn: 'staging/orders-db-master',
    });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['masterPasswordSecretArn']);
    expect(
      restoreRequestedDetailSchema.safeParse({
        identifier: 'orders-db',
        task: 'db_restore',
        isCluster: false,
        masterPasswordSecretArn: ARN,
      }).data?.masterPasswordSecretArn,
    ).toBe(ARN);
  });
});

describe('passwordFromSecretString', () => {
  it('takes a plain SecretString as the password itself', () => {
    expect(passwordFromSecretString('Plain-pw-123')).toBe('Plain-pw-123');
    // JSON that is not an object is still the plain password (digits, a quoted string).
    expect(passwordFromSecretString('12345678')).toBe('12345678');
  });

  it('takes the "password" key of JSON (RDS-managed and rotation-template secrets)', () => {
    expect(passwordFromSecretString('{"username":"admin","password":"Json-pw-123"}')).toBe('Json-pw-123');
    expect(
      passwordFromSecretString(
        JSON.stringify({ engine: 'postgres', host: 'h', username: 'u', password: 'Tpl-pw-123', port: 5432 }),
      ),
    ).toBe('Tpl-pw-123');
  });

  it.each([
    ['no SecretString (binary secret)', undefined],
    ['an empty string', ''],
    ['JSON without a password', '{"username":"admin"}'],
    ['a non-string password', '{"password":12345678}'],
    ['an empty password', '{"password":""}'],
    ['broken JSON', '{"password":"Broken-pw-1"'],
  ])('refuses %s, never echoing the secret', (_what, value) => {
    let error: unknown;
    try {
      passwordFromSecretString(value);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MasterPasswordSecretError);
    expect(String((error as Error).message)).not.toContain('Broken-pw-1');
    expect(String((error as Error).message)).not.toContain('admin');
  });
});

describe('masterPasswordProblem: the RDS rules for MasterUserPassword', () => {
  it('accepts a good password for every engine', () => {
    for (const engine of [
      'postgres',
      'mysql',
      'mariadb',
      'oracle-ee',
      'sqlserver-se',
      'db2-se',
      'aurora-postgresql',
    ]) {
      expect(masterPasswordProblem('Good-pw-1234', engine)).toBeUndefined();
    }
  });

  it('checks the length per engine', () => {
    expect(masterPasswordProblem('short', 'postgres')).toMatch(/5 characters; postgres needs 8 to 128/);
    expect(masterPasswordProblem('x'.repeat(42), 'mysql')).toMatch(/8 to 41/);
    expect(masterPasswordProblem('x'.repeat(42), 'aurora-mysql')).toMatch(/8 to 41/);
    expect(masterPasswordProblem('x'.repeat(31), 'oracle-se2')).toMatch(/8 to 30/);
    expect(masterPasswordProblem('x'.repeat(128), 'sqlserver-ex')).toBeUndefined();
    expect(masterPasswordProblem('x'.repeat(255), 'db2-ae')).toBeUndefined();
  });

  it('refuses "/", """ and "@" everywhere, "&" and "\'" for Oracle, non-printable characters', () => {
    expect(masterPasswordProblem('pass/word1', 'postgres')).toMatch(/"\/"/);
    expect(masterPasswordProblem('pass@word1', 'mysql')).toBeDefined();
    expect(masterPasswordProblem('pass"word1', 'mysql')).toBeDefined();
    expect(masterPasswordProblem('pass&word1', 'postgres')).toBeUndefined();
    expect(masterPasswordProblem('pass&word1', 'oracle-ee')).toMatch(/Oracle/);
    expect(masterPasswordProblem("pass'word1", 'oracle-ee')).toMatch(/Oracle/);
    expect(masterPasswordProblem('pass\nword1', 'postgres')).toMatch(/printable/);
    expect(masterPasswordProblem('passwörd1', 'postgres')).toMatch(/printable/);
  });

  it('never includes the password in the reason', () => {
    for (const [pw, engine] of [
      ['Sec/ret-pw1', 'postgres'],
      ['x', 'mysql'],
      ["Sec'ret-pw1", 'oracle-ee'],
    ] as const) {
      expect(masterPasswordProblem(pw, engine)).not.toContain(pw);
    }
  });
});

describe('the deployment allow-list (masterPasswordSecretArns)', () => {
  it('parses a comma-separated list, spaces and empties ignored', () => {
    expect(parseAllowedSecretArns('')).toEqual([]);
    expect(parseAllowedSecretArns(undefined)).toEqual([]);
    expect(parseAllowedSecretArns(` ${ARN}, ,arn:aws:secretsmanager:*:*:secret:x-?????? `)).toEqual([
      ARN,
      'arn:aws:secretsmanager:*:*:secret:x-??????',
    ]);
  });

  it('matches as IAM matches a Resource: exact, * and ?', () => {
    expect(secretArnAllowed(ARN, [])).toBe(false);
    expect(secretArnAllowed(ARN, [ARN])).toBe(true);
    expect(
      secretArnAllowed(ARN, [
        'arn:aws:secretsmanager:eu-west-1:123456789012:secret:staging/orders-db-master-??????',
      ]),
    ).toBe(true);
    expect(secretArnAllowed(ARN, ['arn:aws:secretsmanager:eu-west-1:123456789012:secret:staging/*'])).toBe(
      true,
    );
    expect(secretArnAllowed(ARN, ['arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/*'])).toBe(
      false,
    );
    // `.` and `+` are literal, not regular-expression syntax.
    expect(
      secretArnAllowed('arn:aws:secretsmanager:eu-west-1:123456789012:secret:aXb-abcdef', [
        'arn:aws:secretsmanager:eu-west-1:123456789012:secret:a.b-abcdef',
      ]),
    ).toBe(false);
  });
});

describe('a retry keeps the master password secret', () => {
  it('retryRemedy carries it, the request remedy names it, the CLI command passes it with its flag', () => {
    const remedy = retryRemedy({
      identifier: 'orders-db',
      kind: 'instance',
      task: 'create_snapshot',
      masterPasswordSecretArn: ARN,
    });
    expect(remedy.masterPasswordSecretArn).toBe(ARN);
    expect(remedyRequest(remedy)).toContain(`"masterPasswordSecretArn":"${ARN}"`);
    expect(remedyCommand(remedy, '--stage prod')).toBe(
      `npx trapheus restore orders-db --task create_snapshot --master-password-secret-arn ${ARN} --stage prod`,
    );
    expect(
      remedyCommand(retryRemedy({ identifier: 'orders-db', kind: 'instance', task: 'create_snapshot' }), ''),
    ).toBe('npx trapheus restore orders-db --task create_snapshot');
  });
});

describe('a schedule entry may name masterPasswordSecretArn', () => {
  const entry = {
    name: 'nightly-staging',
    identifier: 'staging-db',
    task: 'db_restore',
    snapshotIdentifier: 'prod-db-nightly',
    expression: 'cron(0 3 * * ? *)',
  };
  it('puts it in the detail each firing sends', () => {
    const [e] = parseSchedulesConfig({ schedules: [{ ...entry, masterPasswordSecretArn: ARN }] });
    expect(e?.detail.masterPasswordSecretArn).toBe(ARN);
  });
  it('refuses a bad ARN naming the entry and the field', () => {
    expect(() => parseSchedulesConfig({ schedules: [{ ...entry, masterPasswordSecretArn: 'pw' }] })).toThrow(
      /schedule "nightly-staging" \(entry 1\): field "masterPasswordSecretArn" must be the full ARN/,
    );
  });
});
