/**
 * The master password of a restored copy (issue 14): a refresh from production must not leave production's
 * master password on the copy. An original whose password RDS manages in Secrets Manager gets a managed password
 * of its own on the copy (the ledger's MasterUserSecret row); any other original may name, in its request, a
 * Secrets Manager secret whose password the post-restore modify sets (`masterPasswordSecretArn`). The password
 * itself is read at that moment and is never written to the run, an event or a log line.
 */
import * as z from 'zod';

/**
 * A Secrets Manager secret ARN. Secrets Manager User Guide, "Secret ARN" / API Reference, "SecretId": the ARN is
 * `arn:<partition>:secretsmanager:<Region>:<AccountId>:secret:<SecretName>-<6 random characters>`; a secret name
 * has 1–512 characters among ASCII letters, digits and `/_+=.@-`. The full ARN (with its six characters) is
 * required: a partial ARN may match another secret of the same name prefix.
 */
export const SECRET_ARN_PATTERN =
  /^arn:aws(?:-[a-z]+)*:secretsmanager:[a-z]{2}(?:-[a-z]+)+-\d+:\d{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}-[A-Za-z0-9]{6}$/;

export const secretArnSchema = z.lazy(() =>
  z
    .string({ error: 'must be a string' })
    .regex(
      SECRET_ARN_PATTERN,
      'must be the full ARN of a Secrets Manager secret (arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters>)',
    ),
);

/** The error text when a SecretString holds no usable password (never the secret's content). */
export class MasterPasswordSecretError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MasterPasswordSecretError';
  }
}

/**
 * The password in a secret's SecretString. Accepted: the password itself (the whole string), or a JSON object
 * with a string `password` key, the shape of RDS-managed secrets and of the Secrets Manager rotation templates
 * (`{"username": …, "password": …, "engine": …, "host": …}`). A string starting with `{` is read as JSON; a JSON
 * object without a `password` string is refused. The error never includes the secret's content.
 *
 * @example
 * passwordFromSecretString('{"username":"admin","password":"s3cret-pw"}') // 's3cret-pw'
 * passwordFromSecretString('s3cret-pw') // 's3cret-pw'
 */
export const passwordFromSecretString = (secretString: string | undefined): string => {
  if (secretString === undefined || secretString === '') {
    throw new MasterPasswordSecretError(
      'the secret has no SecretString (a binary secret, or an empty one): store the password as text or as JSON with a "password" key',
    );
  }
  if (!secretString.trimStart().startsWith('{')) return secretString;
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString);
  } catch {
    throw new MasterPasswordSecretError(
      'the SecretString starts with "{" but is not valid JSON: store the password as text or as JSON with a "password" key',
    );
  }
  const password = (parsed as Record<string, unknown> | null)?.password;
  if (typeof password !== 'string' || password === '') {
    throw new MasterPasswordSecretError('the SecretString is JSON without a non-empty "password" string key');
  }
  return password;
};

/**
 * Why RDS would refuse `password` as the master password of `engine`, or undefined. RDS API reference,
 * ModifyDBInstance MasterUserPassword: "Can include any printable ASCII character except "/", """, or "@". For
 * RDS for Oracle, can't include the "&" (ampersand) or the "'" (single quotes) character"; lengths: Db2 8–255,
 * MariaDB 8–41, SQL Server 8–128, MySQL 8–41, Oracle 8–30, PostgreSQL 8–128. ModifyDBCluster MasterUserPassword
 * (Aurora): "Must contain from 8 to 41 characters", the same characters. The reason never includes the password.
 */
export const masterPasswordProblem = (password: string, engine: string | undefined): string | undefined => {
  const e = (engine ?? '').toLowerCase();
  const max = e.startsWith('aurora')
    ? 41
    : e.startsWith('db2')
      ? 255
      : e.startsWith('sqlserver') || e.startsWith('postgres')
        ? 128
        : e.startsWith('oracle')
          ? 30
          : 41;
  if (password.length < 8 || password.length > max) {
    return `the password in the secret has ${password.length} characters; ${engine ?? 'this engine'} needs 8 to ${max}`;
  }
  // Printable ASCII is 0x20–0x7e.
  if (/[^\x20-\x7e]/.test(password))
    return 'the password in the secret has a character that is not printable ASCII';
  if (/[/"@]/.test(password)) return 'the password in the secret contains "/", """ or "@", which RDS refuses';
  if (e.startsWith('oracle') && /[&']/.test(password)) {
    return 'the password in the secret contains "&" or "\'", which RDS for Oracle refuses';
  }
  return undefined;
};

/**
 * The secrets this deployment may read (the restore service's `masterPasswordSecretArns` parameter, as the
 * MASTER_PASSWORD_SECRET_ARNS variable): comma-separated ARNs, where `*` and `?` match as in an IAM Resource
 * element (so `…:secret:staging/orders-db-??????` allows that secret whatever its six characters).
 */
export const parseAllowedSecretArns = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** True when `arn` matches one of `allowed` the way IAM matches a Resource (`*` any run, `?` one character). */
export const secretArnAllowed = (arn: string, allowed: readonly string[]): boolean =>
  allowed.some((pattern) =>
    new RegExp(
      `^${pattern
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.')}$`,
    ).test(arn),
  );
