/**
 * The two AWS envelopes an SQS body can hold: an EventBridge event, and an SNS notification (SNS → SQS without raw
 * message delivery). Local schemas, validating what Powertools parser's `EventBridgeSchema` and
 * `SnsSqsNotificationSchema` validated (same fields, same checks): those import zod as `{ z }`, which keeps all of
 * zod (every locale) in each bundle; `import * as z` lets esbuild drop what is never used.
 */
import * as z from 'zod';
import { pure } from './pure';

/**
 * An EventBridge event. Fields: Amazon EventBridge User Guide, "Event structure reference"
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-events-structure.html); `replay-name` is set on
 * events replayed from an archive.
 */
export const eventBridgeEnvelopeSchema = z.object({
  version: z.string(),
  id: z.string(),
  'detail-type': z.string(),
  source: z.string(),
  account: z.string(),
  time: z.iso.datetime(),
  region: z.string(),
  resources: z.array(z.string()),
  detail: z.unknown(),
  'replay-name': z.string().optional(),
});
export type EventBridgeEnvelope = z.infer<typeof eventBridgeEnvelopeSchema>;

/**
 * An SNS notification as SNS delivers it to an SQS queue (the body is the notification's JSON). Fields: Amazon SNS
 * Developer Guide, "HTTP/HTTPS notification JSON format"
 * (https://docs.aws.amazon.com/sns/latest/dg/http-notification-json.html), plus `MessageAttributes`.
 */
export const snsSqsNotificationSchema = /* @__PURE__ */ pure(() =>
  z.object({
    Type: z.literal('Notification'),
    MessageId: z.string(),
    TopicArn: z.string(),
    Subject: z.string().nullish(),
    Message: z.string(),
    Timestamp: z.iso.datetime(),
    SignatureVersion: z.string().optional(),
    Signature: z.string().optional(),
    SigningCertURL: z.url().optional(),
    UnsubscribeURL: z.string().optional(),
    MessageAttributes: z.record(z.string(), z.object({ Type: z.string(), Value: z.string() })).optional(),
  }),
);
export type SnsSqsNotification = z.infer<typeof snsSqsNotificationSchema>;
