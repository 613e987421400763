import { EventBridgeSchema } from '@aws-lambda-powertools/parser/schemas/eventbridge';
import {
  ExportFailed,
  formatIssues,
  RunFailed,
  type RunOutcomeDetail,
  RunRolledBack,
  RunSucceeded,
  runOutcomeDetailSchema,
  TRAPHEUS_SOURCE,
} from '@trapheus/shared';

/** The outcome events notify consumes; the rule in serverless.yml lists the same detail-types. */
export const OUTCOME_CONTRACTS = [RunFailed, RunRolledBack, RunSucceeded, ExportFailed] as const;
export const OUTCOME_DETAIL_TYPES: readonly string[] = OUTCOME_CONTRACTS.map((c) => c.detailType);

export type ParsedOutcome =
  | { ok: true; eventId: string; detailType: string; outcome: RunOutcomeDetail }
  | { ok: false; reason: string };

/**
 * Reads a run outcome from an SQS body holding an EventBridge event.
 *
 * @example
 * const parsed = parseOutcomeEvent(record.body);
 * if (parsed.ok) parsed.outcome.step // 'FAILED'
 */
export const parseOutcomeEvent = (body: string): ParsedOutcome => {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, reason: 'message body is not valid JSON' };
  }
  const envelope = EventBridgeSchema.safeParse(json);
  if (!envelope.success) return { ok: false, reason: 'message is not an EventBridge event' };
  const event = envelope.data;
  if (event.source !== TRAPHEUS_SOURCE || !OUTCOME_DETAIL_TYPES.includes(event['detail-type'])) {
    return { ok: false, reason: `unexpected event ${event.source}/${event['detail-type']}` };
  }
  const detail = runOutcomeDetailSchema.safeParse(event.detail);
  if (!detail.success) return { ok: false, reason: formatIssues(detail.error.issues) };
  return { ok: true, eventId: event.id, detailType: event['detail-type'], outcome: detail.data };
};

/**
 * Successful runs are notified only when enabled; failures, rollbacks and rejections always are, and so is a
 * failed export to S3 (ExportFailed, the only detail with `export`), even of a run that SUCCEEDED.
 *
 * @example
 * shouldNotify({ step: 'SUCCEEDED' }, false) // false
 * shouldNotify({ step: 'SUCCEEDED', export: { status: 'failed' } }, false) // true
 */
export const shouldNotify = (
  outcome: Pick<RunOutcomeDetail, 'step' | 'export'>,
  notifyOnSuccess: boolean,
): boolean => outcome.export !== undefined || outcome.step !== 'SUCCEEDED' || notifyOnSuccess;

/**
 * The delivery channel of an outcome: an export failure is its own message, beside the run's own outcome.
 *
 * @example
 * deliveryChannel('email', { export: { status: 'failed' } }) // 'export#email'
 */
export const deliveryChannel = (channel: string, outcome: Pick<RunOutcomeDetail, 'export'>): string =>
  outcome.export ? `export#${channel}` : channel;
