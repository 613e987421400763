import type { SlackMessage } from './render-slack';
import { truncate } from './text';

export type SlackPostResult =
  | { kind: 'delivered'; status: number }
  /** 429, 5xx, a timeout or a network error: worth another try later. */
  | { kind: 'retry'; status?: number; retryAfterSeconds?: number; reason: string }
  /** Any other answer (4xx: bad payload, revoked or unknown hook, archived channel): never retried. */
  | { kind: 'permanent'; status: number; reason: string };

/** `Retry-After` in seconds, from either form (delta-seconds or an HTTP date). */
export const parseRetryAfter = (value: string | null, now: Date = new Date()): number | undefined => {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now.getTime()) / 1000));
};

const bodyOf = async (res: Response): Promise<string> => {
  try {
    return truncate((await res.text()).trim(), 200);
  } catch {
    return '';
  }
};

/**
 * Posts a message to one Slack incoming webhook and classifies the answer. Error reasons never contain the
 * URL (it is a secret).
 *
 * @example
 * const result = await postToSlack(fetch, webhook.url, renderSlack(summary));
 * if (result.kind === 'retry') … // schedule another attempt
 */
export const postToSlack = async (
  fetchFn: typeof fetch,
  url: string,
  message: SlackMessage,
  timeoutMs = 8000,
): Promise<SlackPostResult> => {
  let res: Response;
  try {
    res = await fetchFn(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify(message),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const e = err as { name?: string; cause?: { code?: string } };
    const what = e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (e.cause?.code ?? e.name);
    return { kind: 'retry', reason: `network error: ${what ?? 'unknown'}` };
  }
  const body = await bodyOf(res);
  if (res.status >= 200 && res.status < 300) return { kind: 'delivered', status: res.status };
  const reason = `Slack answered ${res.status}${body ? ` (${body})` : ''}`;
  if (res.status === 429) {
    const retryAfterSeconds = parseRetryAfter(res.headers.get('retry-after'));
    return {
      kind: 'retry',
      status: 429,
      reason,
      ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
    };
  }
  if (res.status >= 500) return { kind: 'retry', status: res.status, reason };
  return { kind: 'permanent', status: res.status, reason };
};

/**
 * The delay before the next attempt: Retry-After when Slack gave one, else `base × 2^(attempt-1)`; always
 * within SQS's 1–900 seconds.
 *
 * @example
 * retryDelaySeconds({ attempt: 3, baseSeconds: 30 }) // 120
 */
export const retryDelaySeconds = ({
  attempt,
  baseSeconds,
  retryAfterSeconds,
}: {
  attempt: number;
  baseSeconds: number;
  retryAfterSeconds?: number;
}): number => {
  const raw = retryAfterSeconds ?? baseSeconds * 2 ** Math.max(0, attempt - 1);
  return Math.min(900, Math.max(1, Math.ceil(raw)));
};
