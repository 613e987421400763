/**
 * Records the AWS calls each Lambda function makes on the local stack, for the IAM check (test/iam).
 *
 * Identity: every local function signs with its own access key id, its deployed name (accessKeyIdFor), so each
 * local server can tell the calling function from the SigV4 `Authorization` header. Calls signed with any
 * other key (the CLI, tests, the runner itself) are not function calls and are not recorded. What each server
 * records is the authorization request AWS would evaluate: the IAM action, every resource ARN the Service
 * Authorization Reference lists for it that the call involves (with its SAR resource type) and the request
 * context (aws:ResourceTag/…, aws:RequestTag/…, aws:TagKeys, kms:ViaService, …).
 */

/** The fixed account and Region of the local stack (and of the IAM check's resolved policies). */
export const LOCAL_AWS = { accountId: '000000000000', region: 'us-east-1', partition: 'aws' } as const;

export interface IamResource {
  /** SAR resource type name (`db`, `cluster-snapshot`, `queue`, `table`, …); `*` for actions without one */
  type: string;
  arn: string;
  /** context that belongs to this resource only (its aws:ResourceTag/… keys) */
  context?: Record<string, string | string[]>;
}

export interface IamCall {
  /** deployed function name (= its access key id) */
  caller: string;
  /** `rds:RestoreDBInstanceFromDBSnapshot` */
  action: string;
  resources: IamResource[];
  context: Record<string, string | string[]>;
  /** where it was seen: `rds`, `bus`, `dynamodb`, `ses`, `esm` (the Lambda event-source mapping), `implied` */
  via: string;
  /** why a call nobody sent is recorded (e.g. kms:Decrypt behind an SSM SecureString read) */
  note?: string;
  /** the local server's answer: an HTTP status, or 200 for calls made by the runner */
  status: number;
  at: number;
}

/** SigV4 credential scopes allow letters, digits, `-`, `_`, `.`: a deployed function name fits as is. */
export function accessKeyIdFor(functionName: string): string {
  return functionName.replace(/[^A-Za-z0-9._-]/g, '_');
}

/** `AWS4-HMAC-SHA256 Credential=<AKID>/<date>/<region>/<service>/aws4_request, …` → AKID. */
export function accessKeyIdOf(authorization: string | string[] | undefined): string | undefined {
  const h = Array.isArray(authorization) ? authorization[0] : authorization;
  const m = /Credential=([^/,\s]+)\//.exec(h ?? '');
  return m?.[1];
}

export type IamCallInput = Omit<IamCall, 'caller' | 'at' | 'status'> & { status?: number };

export class IamRecorder {
  private readonly list: IamCall[] = [];
  private readonly callers = new Map<string, string>();

  /** Registers a function: calls signed with its access key id are recorded as its calls. */
  addFunction(functionName: string): void {
    this.callers.set(accessKeyIdFor(functionName), functionName);
  }

  /** The function behind an access key id, or undefined for a key that is not a function's. */
  callerOf(accessKeyId: string | undefined): string | undefined {
    return accessKeyId === undefined ? undefined : this.callers.get(accessKeyId);
  }

  /** Records calls signed by `accessKeyId` (ignored unless it is a function's). */
  recordSigned(accessKeyId: string | undefined, calls: IamCallInput[]): void {
    const caller = this.callerOf(accessKeyId);
    if (caller) this.recordFor(caller, calls);
  }

  /** Records calls made on behalf of a function (event-source mapping, implied KMS use). */
  recordFor(caller: string, calls: IamCallInput[]): void {
    const at = Date.now();
    for (const c of calls) this.list.push({ ...c, status: c.status ?? 200, caller, at });
  }

  calls(): IamCall[] {
    return [...this.list];
  }

  clear(): void {
    this.list.length = 0;
  }
}

/** Tag context of an existing resource: `aws:ResourceTag/<key>` per tag. */
export function resourceTagContext(
  tags: { Key: string; Value: string }[] | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags ?? []) out[`aws:ResourceTag/${t.Key}`] = t.Value;
  return out;
}

/** Tag context of a request carrying tags: `aws:RequestTag/<key>` per tag and `aws:TagKeys`. */
export function requestTagContext(
  tags: { Key: string; Value: string }[] | undefined,
): Record<string, string | string[]> {
  if (!tags || tags.length === 0) return {};
  const out: Record<string, string | string[]> = { 'aws:TagKeys': tags.map((t) => t.Key) };
  for (const t of tags) out[`aws:RequestTag/${t.Key}`] = t.Value;
  return out;
}
