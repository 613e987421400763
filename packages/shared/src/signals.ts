/**
 * Every SQS message a worker receives becomes one `Signal`: a Trapheus event, an RDS event (from EventBridge
 * or an SNS subscription), or one of the worker's own check-backs.
 */
import * as z from 'zod';
import {
  formatIssues,
  RestoreRequested,
  RestoreVerified,
  type RestoreVerifiedDetail,
  type RunSignalDetail,
  runSignalDetailSchema,
  TRAPHEUS_SOURCE,
} from './contracts';
import { eventBridgeEnvelopeSchema, snsSqsNotificationSchema } from './envelopes';
import { pure } from './pure';
import { fromEventBridgeRdsEvent, fromSubscriptionMessage, type RdsSignal } from './rds-events';

export {
  type EventBridgeEnvelope,
  eventBridgeEnvelopeSchema,
  type SnsSqsNotification,
  snsSqsNotificationSchema,
} from './envelopes';

export type Signal =
  | { kind: 'request'; eventId: string; detail: unknown }
  | { kind: 'run'; detailType: string; detail: RunSignalDetail }
  /** A verification hook's answer (RestoreVerified), validated. */
  | { kind: 'verified'; eventId: string; detail: RestoreVerifiedDetail }
  | { kind: 'rds'; rds: RdsSignal }
  | { kind: 'check-back'; runId: string; seq: number }
  /** "Look at run X again": sent to itself by a reconciler that found the run's lease taken. */
  | { kind: 'nudge'; runId: string }
  | { kind: 'invalid'; reason: string; eventId?: string };

const checkBackSchema = /* @__PURE__ */ pure(() =>
  z.object({
    trapheusCheckBack: z.object({ runId: z.string().min(1), seq: z.number().int().nonnegative() }),
  }),
);

const nudgeSchema = /* @__PURE__ */ pure(() =>
  z.object({ trapheusNudge: z.object({ runId: z.string().min(1) }) }),
);

/** The SQS body of a nudge. */
export const nudgeBody = (runId: string): string => JSON.stringify({ trapheusNudge: { runId } });

/** The SQS body of a check-back. */
export const checkBackBody = (runId: string, seq: number): string =>
  JSON.stringify({ trapheusCheckBack: { runId, seq } });

const safeJson = (text: string): { ok: true; value: unknown } | { ok: false } => {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
};

/**
 * Classifies an SQS message body.
 *
 * @example
 * parseSignal(record.body) // { kind: 'rds', rds: { resourceType: 'db-instance', identifier: 'orders-db', … } }
 */
export const parseSignal = (body: string): Signal => {
  const json = safeJson(body);
  if (!json.ok) return { kind: 'invalid', reason: 'message body is not valid JSON' };

  const checkBack = checkBackSchema.safeParse(json.value);
  if (checkBack.success) return { kind: 'check-back', ...checkBack.data.trapheusCheckBack };
  const nudge = nudgeSchema.safeParse(json.value);
  if (nudge.success) return { kind: 'nudge', runId: nudge.data.trapheusNudge.runId };

  const sns = snsSqsNotificationSchema.safeParse(json.value);
  if (sns.success) {
    const message = safeJson(sns.data.Message);
    const rds =
      message.ok && message.value && typeof message.value === 'object'
        ? fromSubscriptionMessage(message.value as Record<string, unknown>)
        : undefined;
    return rds ? { kind: 'rds', rds } : { kind: 'invalid', reason: 'SNS message is not an RDS event' };
  }
  if (json.value && typeof json.value === 'object' && 'Event ID' in json.value) {
    // An RDS subscription delivered with SNS raw message delivery.
    const rds = fromSubscriptionMessage(json.value as Record<string, unknown>);
    if (rds) return { kind: 'rds', rds };
  }

  const envelope = eventBridgeEnvelopeSchema.safeParse(json.value);
  if (!envelope.success) return { kind: 'invalid', reason: 'message is not an EventBridge event' };
  const event = envelope.data;

  if (event.source === 'aws.rds') {
    const rds = fromEventBridgeRdsEvent(event);
    return rds ? { kind: 'rds', rds } : { kind: 'invalid', reason: 'RDS event without a resource' };
  }
  if (event.source !== TRAPHEUS_SOURCE) {
    return { kind: 'invalid', reason: `unexpected source ${event.source}`, eventId: event.id };
  }
  if (event['detail-type'] === RestoreRequested.detailType) {
    return { kind: 'request', eventId: event.id, detail: event.detail };
  }
  if (event['detail-type'] === RestoreVerified.detailType) {
    const answer = RestoreVerified.schema.safeParse(event.detail);
    return answer.success
      ? { kind: 'verified', eventId: event.id, detail: answer.data }
      : {
          kind: 'invalid',
          reason: `invalid RestoreVerified: ${formatIssues(answer.error.issues)}`,
          eventId: event.id,
        };
  }
  const detail = runSignalDetailSchema.safeParse(event.detail);
  if (!detail.success) {
    return { kind: 'invalid', reason: formatIssues(detail.error.issues), eventId: event.id };
  }
  return { kind: 'run', detailType: event['detail-type'], detail: detail.data };
};
