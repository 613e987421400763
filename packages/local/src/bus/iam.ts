/**
 * What AWS authorizes for the calls the local bus answers (EventBridge, SQS, SSM), for the IAM check: the IAM
 * action and the resource ARNs (event bus, queue, parameter), plus the KMS decrypt SSM does with the caller's
 * permissions for a SecureString read.
 */
import type { IamCallInput } from '../iam-recorder';
import type { EventBridgeLocal } from './eventbridge';
import type { SecretsManagerLocal } from './secrets';
import type { SqsBroker } from './sqs';
import type { SsmLocal } from './ssm';

type Body = Record<string, unknown>;

export interface IamDeps {
  sqs: SqsBroker;
  events: EventBridgeLocal;
  ssm: SsmLocal;
  secrets: SecretsManagerLocal;
  region: string;
  accountId: string;
}

/** SQS operation → IAM action (batch operations are authorized as their single form). */
const SQS_ACTIONS: Record<string, string> = {
  SendMessage: 'sqs:SendMessage',
  SendMessageBatch: 'sqs:SendMessage',
  ReceiveMessage: 'sqs:ReceiveMessage',
  DeleteMessage: 'sqs:DeleteMessage',
  DeleteMessageBatch: 'sqs:DeleteMessage',
  ChangeMessageVisibility: 'sqs:ChangeMessageVisibility',
  ChangeMessageVisibilityBatch: 'sqs:ChangeMessageVisibility',
  GetQueueUrl: 'sqs:GetQueueUrl',
  GetQueueAttributes: 'sqs:GetQueueAttributes',
  PurgeQueue: 'sqs:PurgeQueue',
  CreateQueue: 'sqs:CreateQueue',
  ListQueues: 'sqs:ListQueues',
};

/** AWS-managed `aws/ssm` key stand-in (a fixed key id in the local account). */
export const SSM_MANAGED_KEY_ID = '00000000-0000-4000-8000-0000000a55e1';

export function queueArn(deps: IamDeps, urlOrName: unknown): string {
  const s = typeof urlOrName === 'string' ? urlOrName : '';
  try {
    return deps.sqs.resolve(s).arn;
  } catch {
    const name = s.split('/').pop() ?? s;
    return `arn:aws:sqs:${deps.region}:${deps.accountId}:${name}`;
  }
}

export function busIamCalls(deps: IamDeps, prefix: string, op: string, body: Body): IamCallInput[] {
  if (prefix === 'AmazonSQS') {
    const action = SQS_ACTIONS[op] ?? `sqs:${op}`;
    if (op === 'ListQueues')
      return [{ action, resources: [{ type: '*', arn: '*' }], context: {}, via: 'bus' }];
    const arn = queueArn(deps, body.QueueUrl ?? body.QueueName);
    return [{ action, resources: [{ type: 'queue', arn }], context: {}, via: 'bus' }];
  }
  if (prefix === 'AWSEvents') {
    if (op === 'PutEvents') {
      const entries = Array.isArray(body.Entries) ? (body.Entries as Body[]) : [];
      const buses = new Set(
        entries.map((e) => (typeof e.EventBusName === 'string' ? e.EventBusName : 'default')),
      );
      return [...buses].map((b) => ({
        action: 'events:PutEvents',
        resources: [
          {
            type: 'event-bus',
            arn: b.startsWith('arn:') ? b : `arn:aws:events:${deps.region}:${deps.accountId}:event-bus/${b}`,
          },
        ],
        context: {},
        via: 'bus',
      }));
    }
    return [{ action: `events:${op}`, resources: [{ type: '*', arn: '*' }], context: {}, via: 'bus' }];
  }
  if (prefix === 'AmazonSSM') {
    const names =
      op === 'GetParameters'
        ? (Array.isArray(body.Names) ? body.Names : []).filter((n): n is string => typeof n === 'string')
        : [typeof body.Name === 'string' ? body.Name : ''];
    const out: IamCallInput[] = [];
    for (const n of names) {
      const base = n.split(':')[0] ?? n;
      out.push({
        action: `ssm:${op}`,
        resources: [{ type: 'parameter', arn: deps.ssm.arn(base) }],
        context: {},
        via: 'bus',
      });
      if (op.startsWith('GetParameter') && body.WithDecryption === true) {
        if (deps.ssm.view(base, false)?.Type === 'SecureString') {
          out.push({
            action: 'kms:Decrypt',
            resources: [
              { type: 'key', arn: `arn:aws:kms:${deps.region}:${deps.accountId}:key/${SSM_MANAGED_KEY_ID}` },
            ],
            context: {
              'kms:ViaService': `ssm.${deps.region}.amazonaws.com`,
              'kms:CallerAccount': deps.accountId,
              'kms:EncryptionContext:PARAMETER_ARN': deps.ssm.arn(base),
            },
            via: 'implied',
            note: 'SSM decrypts a SecureString with the KMS key on behalf of the caller',
          });
        }
      }
    }
    return out;
  }
  if (prefix === 'secretsmanager') {
    // SAR: every Secrets Manager action here requires the Secret resource type (the secret's full ARN).
    const id = typeof (body.SecretId ?? body.Name) === 'string' ? String(body.SecretId ?? body.Name) : '';
    const secret = deps.secrets.find(id);
    const arn =
      secret?.arn ??
      (id.startsWith('arn:') ? id : `arn:aws:secretsmanager:${deps.region}:${deps.accountId}:secret:${id}`);
    const out: IamCallInput[] = [
      { action: `secretsmanager:${op}`, resources: [{ type: 'Secret', arn }], context: {}, via: 'bus' },
    ];
    // A secret under a customer managed key: Secrets Manager decrypts it with the caller's permissions
    // (Secrets Manager User Guide, "Secret encryption and decryption": kms:Decrypt, kms:ViaService).
    const key = secret?.kmsKeyId;
    if (op === 'GetSecretValue' && key) {
      out.push({
        action: 'kms:Decrypt',
        resources: [
          {
            type: 'key',
            arn: key.startsWith('arn:') ? key : `arn:aws:kms:${deps.region}:${deps.accountId}:key/${key}`,
          },
        ],
        context: {
          'kms:ViaService': `secretsmanager.${deps.region}.amazonaws.com`,
          'kms:CallerAccount': deps.accountId,
          'kms:EncryptionContext:SecretARN': arn,
        },
        via: 'implied',
        note: 'Secrets Manager decrypts the secret with its customer managed KMS key on behalf of the caller',
      });
    }
    return out;
  }
  return [];
}
