/** Escaping for the three places outcome values end up: HTML, Slack mrkdwn and a shell command line. */

const HTML_ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * Escapes a value for HTML text and attribute contexts.
 *
 * @example
 * escapeHtml('<b>"x"</b>') // '&lt;b&gt;&quot;x&quot;&lt;/b&gt;'
 */
export const escapeHtml = (value: string): string => value.replace(/[&<>"']/g, (c) => HTML_ENTITIES[c] ?? c);

/**
 * Escapes a value for Slack mrkdwn: `&`, `<` and `>` are control characters there (links, mentions).
 *
 * @example
 * escapeSlack('<!channel> & co') // '&lt;!channel&gt; &amp; co'
 */
export const escapeSlack = (value: string): string =>
  value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A value inside a Slack inline code span: escaped, with backticks replaced so the span cannot be closed. */
export const slackCode = (value: string): string => `\`${escapeSlack(value).replace(/`/g, "'")}\``;

/**
 * Quotes a value for a POSIX shell when it is not a plain word, so that a copied command cannot run
 * anything else (identifiers of rejected requests are whatever the caller sent).
 *
 * @example
 * shellQuote('orders-db') // 'orders-db'
 * shellQuote("a'; rm -rf /") // `'a'\''; rm -rf /'`
 */
export const shellQuote = (value: string): string =>
  /^[A-Za-z0-9._:/=-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;

/** Shortens a text to `max` characters, marking the cut. */
export const truncate = (value: string, max: number): string =>
  value.length <= max ? value : `${value.slice(0, Math.max(0, max - 1))}…`;

/**
 * A duration in words for people: `1h 02m 03s`, `4m 05s`, `12s`.
 *
 * @example
 * formatDuration(3_723_000) // '1h 02m 03s'
 */
export const formatDuration = (ms: number): string => {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  if (h > 0) return `${h}h ${pad(m)}m ${pad(s)}s`;
  if (m > 0) return `${m}m ${pad(s)}s`;
  return `${s}s`;
};
