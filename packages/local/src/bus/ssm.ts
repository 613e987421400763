/** A tiny in-memory SSM Parameter Store (String, StringList, SecureString). */

export type ParameterType = 'String' | 'StringList' | 'SecureString';

export interface StoredParameter {
  Name: string;
  Type: ParameterType;
  Value: string;
  Version: number;
  LastModifiedDate: Date;
  DataType: string;
}

export class SsmError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

/** SecureString values are "encrypted" with a recognisable marker so that WithDecryption matters. */
const encrypt = (value: string) => `kms:local:${Buffer.from(value, 'utf8').toString('base64')}`;

export class SsmLocal {
  private readonly params = new Map<string, StoredParameter>();

  constructor(private readonly opts: { region: string; accountId: string }) {}

  arn(name: string): string {
    return `arn:aws:ssm:${this.opts.region}:${this.opts.accountId}:parameter/${name.replace(/^\//, '')}`;
  }

  put(name: string, value: string, type: ParameterType = 'String', overwrite = true): number {
    if (!name) throw new SsmError('ValidationException', 'Parameter name must not be empty.');
    if (!['String', 'StringList', 'SecureString'].includes(type)) {
      throw new SsmError('UnsupportedParameterType', `Parameter type ${type} is not supported.`);
    }
    const existing = this.params.get(name);
    if (existing && !overwrite) {
      throw new SsmError(
        'ParameterAlreadyExists',
        'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.',
      );
    }
    const version = (existing?.Version ?? 0) + 1;
    this.params.set(name, {
      Name: name,
      Type: type,
      Value: value,
      Version: version,
      LastModifiedDate: new Date(),
      DataType: 'text',
    });
    return version;
  }

  /** The wire shape of a parameter. */
  view(name: string, withDecryption: boolean): Record<string, unknown> | undefined {
    const [base = '', selector] = name.split(':');
    const p = this.params.get(base);
    if (!p) return undefined;
    if (selector !== undefined && selector !== String(p.Version)) return undefined;
    const value = p.Type === 'SecureString' && !withDecryption ? encrypt(p.Value) : p.Value;
    return {
      Name: p.Name,
      Type: p.Type,
      Value: value,
      Version: p.Version,
      LastModifiedDate: p.LastModifiedDate.getTime() / 1000,
      ARN: this.arn(p.Name),
      DataType: p.DataType,
    };
  }

  get(name: string, withDecryption: boolean): Record<string, unknown> {
    const v = this.view(name, withDecryption);
    if (!v) throw new SsmError('ParameterNotFound', `Parameter ${name} not found.`);
    return v;
  }

  delete(name: string): void {
    if (!this.params.delete(name)) throw new SsmError('ParameterNotFound', `Parameter ${name} not found.`);
  }
}
