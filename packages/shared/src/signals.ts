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
  /**
   * "Look at run X again": sent to itself by a reconciler that found the run's lease taken, or for an RDS event
   * whose look the fleet's Describe budget put off (`event`: which one, so the wait it ends counts as ended by it).
   */
  | { kind: 'nudge'; runId: string; event?: DeferredRdsEvent }
  | { kind: 'invalid'; reason: string; eventId?: string };

const checkBackSchema = /* @__PURE__ */ pure(() =>
  z.object({
    trapheusCheckBack: z.object({ runId: z.string().min(1), seq: z.number().int().nonnegative() }),
  }),
);

/** The RDS event behind a nudge: its id, its own time, and the wait it was about (that wait's `since`). */
export interface DeferredRdsEvent {
  eventId: string;
  date?: string;
  /** The wait the event was about: only that wait, if the nudge ends it, counts as ended by the event. */
  waitSince?: string;
}

const nudgeSchema = /* @__PURE__ */ pure(() =>
  z.object({
    trapheusNudge: z.object({
      runId: z.string().min(1),
      event: z
        .object({ eventId: z.string().min(1), date: z.string().optional(), waitSince: z.string().optional() })
        .optional(),
    }),
  }),
);

/** The SQS body of a nudge; `event` when it carries an RDS event's look put off by the Describe budget. */
export const nudgeBody = (runId: string, event?: DeferredRdsEvent): string =>
  JSON.stringify({ trapheusNudge: { runId, ...(event ? { event } : {}) } });

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
  if (nudge.success) {
    const { runId, event } = nudge.data.trapheusNudge;
    return {
      kind: 'nudge',
      runId,
      ...(event
        ? {
            event: {
              eventId: event.eventId,
              ...(event.date ? { date: event.date } : {}),
              ...(event.waitSince ? { waitSince: event.waitSince } : {}),
            },
          }
        : {}),
    };
  }

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
