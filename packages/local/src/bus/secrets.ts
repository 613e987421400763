/**
 * A tiny in-memory AWS Secrets Manager (no maintained npm package runs one in-process; moto needs Python), for
 * the master password of a restored copy (`masterPasswordSecretArn`). It follows the Secrets Manager API
 * Reference for the operations it answers (JSON 1.1, X-Amz-Target `secretsmanager.<Operation>`):
 * - CreateSecret: request Name, SecretString, KmsKeyId, Description; response ARN, Name, VersionId. A name in use:
 *   ResourceExistsException.
 * - PutSecretValue: request SecretId (name or ARN), SecretString; response ARN, Name, VersionId, VersionStages
 *   (the new version becomes AWSCURRENT, the old one AWSPREVIOUS).
 * - GetSecretValue: request SecretId (name or ARN), VersionId, VersionStage (default AWSCURRENT); response ARN,
 *   Name, VersionId, SecretString, VersionStages, CreatedDate. Unknown secret or version:
 *   ResourceNotFoundException ("Secrets Manager can't find the specified secret.").
 * Binary secrets, rotation, replication, resource policies and tags are not modelled.
 */
import { randomBytes, randomUUID } from 'node:crypto';

export class SecretsError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

interface SecretVersion {
  versionId: string;
  value: string;
  created: Date;
  stages: string[];
}

interface StoredSecret {
  arn: string;
  name: string;
  kmsKeyId?: string;
  versions: SecretVersion[];
}

const SUFFIX_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
/** Secrets Manager appends a hyphen and six random characters to the name in the ARN. */
const randomSuffix = () => [...randomBytes(6)].map((b) => SUFFIX_CHARS[b % SUFFIX_CHARS.length]).join('');

const notFound = () =>
  new SecretsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");

export class SecretsManagerLocal {
  private readonly secrets = new Map<string, StoredSecret>();

  constructor(private readonly opts: { region: string; accountId: string }) {}

  /** The secret a SecretId names: its name, its full ARN, or its ARN without the six characters. */
  find(secretId: string): StoredSecret | undefined {
    for (const s of this.secrets.values()) {
      if (s.name === secretId || s.arn === secretId || s.arn.slice(0, -7) === secretId) return s;
    }
    return undefined;
  }

  create(name: string, value: string, kmsKeyId?: string): { ARN: string; Name: string; VersionId: string } {
    if (!name) throw new SecretsError('InvalidParameterException', 'Name must not be empty.');
    if (this.find(name)) {
      throw new SecretsError(
        'ResourceExistsException',
        `The operation failed because the secret ${name} already exists.`,
      );
    }
    const arn = `arn:aws:secretsmanager:${this.opts.region}:${this.opts.accountId}:secret:${name}-${randomSuffix()}`;
    const version = { versionId: randomUUID(), value, created: new Date(), stages: ['AWSCURRENT'] };
    this.secrets.set(arn, { arn, name, ...(kmsKeyId ? { kmsKeyId } : {}), versions: [version] });
    return { ARN: arn, Name: name, VersionId: version.versionId };
  }

  put(
    secretId: string,
    value: string,
  ): { ARN: string; Name: string; VersionId: string; VersionStages: string[] } {
    const s = this.find(secretId);
    if (!s) throw notFound();
    for (const v of s.versions) {
      v.stages = v.stages.filter((st) => st !== 'AWSPREVIOUS');
      if (v.stages.includes('AWSCURRENT'))
        v.stages = [...v.stages.filter((st) => st !== 'AWSCURRENT'), 'AWSPREVIOUS'];
    }
    const version = { versionId: randomUUID(), value, created: new Date(), stages: ['AWSCURRENT'] };
    s.versions.push(version);
    return { ARN: s.arn, Name: s.name, VersionId: version.versionId, VersionStages: version.stages };
  }

  get(secretId: string, versionId?: string, versionStage?: string): Record<string, unknown> {
    const s = this.find(secretId);
    if (!s) throw notFound();
    const v = versionId
      ? s.versions.find((x) => x.versionId === versionId)
      : s.versions.find((x) => x.stages.includes(versionStage ?? 'AWSCURRENT'));
    if (!v) throw notFound();
    return {
      ARN: s.arn,
      Name: s.name,
      VersionId: v.versionId,
      SecretString: v.value,
      VersionStages: v.stages,
      CreatedDate: v.created.getTime() / 1000,
    };
  }

  /** The KMS key a secret is encrypted with (undefined: the AWS-managed `aws/secretsmanager` key). */
  kmsKeyOf(secretId: string): string | undefined {
    return this.find(secretId)?.kmsKeyId;
  }
}
