import { randomUUID } from 'node:crypto';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { errorCode, type Step } from '@trapheus/shared';

/** One message on one channel for one run outcome: `email`, or `slack#<webhook id>`. */
export interface DeliveryKey {
  runId: string;
  step: Step;
  channel: string;
}

export type ClaimResult =
  | { kind: 'claimed'; token: string }
  /** Already delivered: a duplicate event or a redelivered message. */
  | { kind: 'sent'; sentAt?: string }
  /** Another invocation is sending it right now. */
  | { kind: 'in-progress' };

/**
 * The notify-owned record of what was delivered. `claim` before sending (so two concurrent duplicates do not
 * both send), `markSent` after a successful send, `release` after a failed one (so the retry can claim).
 */
export interface DeliveryLedger {
  claim(key: DeliveryKey, extra?: Record<string, string | number>): Promise<ClaimResult>;
  markSent(key: DeliveryKey, token: string): Promise<boolean>;
  release(key: DeliveryKey, token: string): Promise<void>;
}

export const deliveryPk = (key: DeliveryKey): string => `${key.runId}#${key.step}#${key.channel}`;

const isConditionFailure = (err: unknown) => errorCode(err) === 'ConditionalCheckFailedException';

/**
 * A DynamoDB-backed ledger using only conditional PutItem/UpdateItem/DeleteItem (dynalite has no
 * transactions). A claim older than `claimSeconds` belongs to a sender that died and may be taken over.
 * `expiresAt` is a TTL attribute (epoch seconds); nothing relies on TTL having run.
 *
 * @example
 * const ledger = buildDeliveryLedger({ dynamo, tableName: 'trapheus-notify-deliveries-dev' });
 * const claim = await ledger.claim({ runId, step: 'FAILED', channel: 'email' });
 */
export const buildDeliveryLedger = ({
  dynamo,
  tableName,
  now = () => new Date(),
  newToken = randomUUID,
  claimSeconds = 120,
  retentionDays = 30,
}: {
  dynamo: DynamoDBDocumentClient;
  tableName: string;
  now?: () => Date;
  newToken?: () => string;
  claimSeconds?: number;
  retentionDays?: number;
}): DeliveryLedger => ({
  async claim(key, extra = {}) {
    const at = now();
    const token = newToken();
    try {
      await dynamo.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            ...extra,
            pk: deliveryPk(key),
            runId: key.runId,
            step: key.step,
            channel: key.channel,
            status: 'sending',
            token,
            claimedAt: at.toISOString(),
            claimExpiresAt: at.getTime() + claimSeconds * 1000,
            expiresAt: Math.floor(at.getTime() / 1000) + retentionDays * 86_400,
          },
          ConditionExpression: 'attribute_not_exists(pk) OR (#status = :sending AND claimExpiresAt < :now)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':sending': 'sending', ':now': at.getTime() },
        }),
      );
      return { kind: 'claimed', token };
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
    const existing = await dynamo.send(
      new GetCommand({ TableName: tableName, Key: { pk: deliveryPk(key) }, ConsistentRead: true }),
    );
    if (existing.Item?.status === 'sent') {
      return { kind: 'sent', ...(existing.Item.sentAt ? { sentAt: String(existing.Item.sentAt) } : {}) };
    }
    return { kind: 'in-progress' };
  },

  async markSent(key, token) {
    try {
      await dynamo.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { pk: deliveryPk(key) },
          UpdateExpression: 'SET #status = :sent, sentAt = :at REMOVE claimExpiresAt',
          ConditionExpression: '#token = :token',
          ExpressionAttributeNames: { '#status': 'status', '#token': 'token' },
          ExpressionAttributeValues: { ':sent': 'sent', ':at': now().toISOString(), ':token': token },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  },

  async release(key, token) {
    try {
      await dynamo.send(
        new DeleteCommand({
          TableName: tableName,
          Key: { pk: deliveryPk(key) },
          ConditionExpression: '#token = :token AND #status = :sending',
          ExpressionAttributeNames: { '#status': 'status', '#token': 'token' },
          ExpressionAttributeValues: { ':token': token, ':sending': 'sending' },
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
  },
});

/** Thrown when a duplicate arrives while the first copy is being sent: it goes back to its queue. */
export class DeliveryInProgressError extends Error {
  constructor(key: DeliveryKey) {
    super(`${key.channel} message for ${key.runId} (${key.step}) is being sent by another invocation`);
    this.name = 'DeliveryInProgressError';
  }
}
