import { createHash } from 'node:crypto';

/**
 * A run id derived from the request: the same requestId (or, without one, the same EventBridge event id)
 * always gives the same runId, so a redelivered request can never start a second run.
 *
 * @example
 * runIdFor({ requestId: 'nightly-2026-11-24' }) // 'run-3f2a…'
 */
export const runIdFor = (key: { requestId?: string; eventId?: string; fallback?: string }): string => {
  const basis = key.requestId ? `request:${key.requestId}` : `event:${key.eventId ?? key.fallback ?? ''}`;
  return `run-${createHash('sha256').update(basis).digest('hex').slice(0, 16)}`;
};
