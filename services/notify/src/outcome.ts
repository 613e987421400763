import {
  ExportCompleted,
  ExportFailed,
  eventBridgeEnvelopeSchema,
  formatIssues,
  RunFailed,
  type RunOutcomeDetail,
  RunRolledBack,
  RunSucceeded,
  runOutcomeDetailSchema,
  TRAPHEUS_SOURCE,
} from '@trapheus/shared';

/** The outcome events notify consumes; the rule in serverless.yml lists the same detail-types. */
export const OUTCOME_CONTRACTS = [
  RunFailed,
  RunRolledBack,
  RunSucceeded,
  ExportFailed,
  ExportCompleted,
] as const;
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
  const envelope = eventBridgeEnvelopeSchema.safeParse(json);
  if (!envelope.success) return { ok: false, reason: 'message is not an EventBridge event' };
  const event = envelope.data;
  if (event.source !== TRAPHEUS_SOURCE || !OUTCOME_DETAIL_TYPES.includes(event['detail-type'])) {
    return { ok: false, reason: `unexpected event ${event.source}/${event['detail-type']}` };
  }
  const detail = runOutcomeDetailSchema.safeParse(event.detail);
  if (!detail.success) return { ok: false, reason: formatIssues(detail.error.issues) };
  return { ok: true, eventId: event.id, detailType: event['detail-type'], outcome: detail.data };
};

/** An ExportCompleted detail (the only details with `export` are ExportCompleted and ExportFailed). */
export const isExportCompleted = (outcome: Pick<RunOutcomeDetail, 'export'>): boolean =>
  outcome.export?.status === 'complete';

/**
 * Successes are notified only when enabled (NOTIFY_ON_SUCCESS): a successful run (RunSucceeded) and a completed
 * export to S3 (ExportCompleted). Failures, rollbacks and rejections always are, and so is a failed export
 * (ExportFailed), even of a run that SUCCEEDED.
 *
 * @example
 * shouldNotify({ step: 'SUCCEEDED' }, false) // false
 * shouldNotify({ step: 'SUCCEEDED', export: { status: 'failed' } }, false) // true
 * shouldNotify({ step: 'SUCCEEDED', export: { status: 'complete' } }, false) // false
 */
export const shouldNotify = (
  outcome: Pick<RunOutcomeDetail, 'step' | 'export'>,
  notifyOnSuccess: boolean,
): boolean => {
  if (outcome.export !== undefined) return !isExportCompleted(outcome) || notifyOnSuccess;
  return outcome.step !== 'SUCCEEDED' || notifyOnSuccess;
};

/**
 * The delivery channel of an outcome: an export's outcome is its own message, beside the run's own outcome, and a
 * completed export has its own key beside a failed one (one run, three messages at most, none de-duplicated
 * against another).
 *
 * @example
 * deliveryChannel('email', { export: { status: 'failed' } }) // 'export#email'
 * deliveryChannel('email', { export: { status: 'complete' } }) // 'export-complete#email'
 */
export const deliveryChannel = (channel: string, outcome: Pick<RunOutcomeDetail, 'export'>): string => {
  if (!outcome.export) return channel;
  return isExportCompleted(outcome) ? `export-complete#${channel}` : `export#${channel}`;
};
