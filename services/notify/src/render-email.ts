import { type OutcomeSummary, restorePointText } from './summary';
import { escapeHtml as h } from './text';

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

/** Control characters (a newline in a rejected request's identifier) must not reach a mail header. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
const oneLine = (value: string): string => value.replace(/[\u0000-\u001f\u007f]+/g, ' ');

const facts = (s: OutcomeSummary): [string, string][] => {
  const o = s.outcome;
  return [
    ['Database', o.identifier],
    ['Kind', o.kind],
    ['Task', o.task],
    ['Final state', o.step],
    [`Now under ${o.identifier}`, s.databaseNow],
    ['Temp database', s.tempDatabase],
    ...(o.strategy ? ([['Strategy', o.strategy]] as [string, string][]) : []),
    ...(o.downtime
      ? ([
          [
            'Downtime',
            o.downtime.to
              ? `${o.downtime.seconds?.toFixed(0)}s (${o.downtime.from} → ${o.downtime.to})`
              : `since ${o.downtime.from}`,
          ],
        ] as [string, string][])
      : []),
    ...(o.snapshotIdentifier ? ([['Snapshot', o.snapshotIdentifier]] as [string, string][]) : []),
    ...(o.restorePoint ? ([['Restored to', restorePointText(o.restorePoint)]] as [string, string][]) : []),
    ['Run', o.runId],
    ['Started', o.createdAt],
    ['Finished', `${o.finishedAt} (took ${s.totalDuration})`],
  ];
};

const failureFacts = (s: OutcomeSummary): [string, string][] => {
  const f = s.outcome.failure;
  return [
    ...(f
      ? ([
          ['Failed step', f.step],
          ['Error code', f.code],
          ['Error message', f.message],
          ['Failed at', f.at],
        ] as [string, string][])
      : []),
    ...(s.outcome.reason ? ([['Reason', s.outcome.reason]] as [string, string][]) : []),
  ];
};

const COLORS = { success: '#1a7f37', warning: '#9a6700', failure: '#cf222e' } as const;

const htmlTable = (rows: [string, string][]): string =>
  `<table cellpadding="4" cellspacing="0" style="border-collapse:collapse">${rows
    .map(
      ([k, v]) =>
        `<tr><th align="left" valign="top" style="padding-right:16px">${h(k)}</th><td>${h(v)}</td></tr>`,
    )
    .join('')}</table>`;

const renderHtml = (s: OutcomeSummary): string => {
  const failure = failureFacts(s);
  const commands = s.commands
    .map((c) => `<span style="color:#6e7781"># ${h(c.comment)}</span>\n${h(c.command)}`)
    .join('\n\n');
  const timeline = s.timeline
    .map(
      (t) =>
        `<tr><td>${h(t.step)}</td><td>${h(t.at)}</td><td>${h(t.duration ?? '—')}</td><td>${h(t.note ?? '')}</td></tr>`,
    )
    .join('');
  return [
    '<!DOCTYPE html><html><body style="font-family:Arial,Helvetica,sans-serif;font-size:14px">',
    `<h2 style="color:${COLORS[s.severity]}">${h(s.title)}</h2>`,
    htmlTable(facts(s)),
    failure.length > 0 ? `<h3>What failed</h3>${htmlTable(failure)}` : '',
    s.verification.length > 0
      ? `<h3>Verification (VERIFYING)</h3><ul>${s.verification.map((l) => `<li>${h(l)}</li>`).join('')}</ul>`
      : '',
    '<h3>Next action</h3>',
    s.nextAction.map((p) => `<p>${h(p)}</p>`).join(''),
    commands ? `<pre style="background:#f6f8fa;padding:8px;white-space:pre-wrap">${commands}</pre>` : '',
    '<h3>Timeline</h3>',
    '<table cellpadding="4" cellspacing="0" style="border-collapse:collapse">',
    '<tr><th align="left">Step</th><th align="left">Entered at</th><th align="left">Duration</th><th align="left">Note</th></tr>',
    timeline,
    '</table>',
    '<p style="color:#6e7781">Sent by Trapheus notify.</p>',
    '</body></html>',
  ].join('\n');
};

const textRows = (rows: [string, string][]): string => {
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  return rows.map(([k, v]) => `${`${k}:`.padEnd(width)}${v}`).join('\n');
};

const renderText = (s: OutcomeSummary): string => {
  const failure = failureFacts(s);
  const parts = [s.title, '', textRows(facts(s))];
  if (failure.length > 0) parts.push('', 'WHAT FAILED', textRows(failure));
  if (s.verification.length > 0)
    parts.push('', 'VERIFICATION (VERIFYING)', ...s.verification.map((l) => `  ${l}`));
  parts.push('', 'NEXT ACTION', ...s.nextAction);
  for (const c of s.commands) parts.push('', `  # ${c.comment}`, `  ${c.command}`);
  parts.push('', 'TIMELINE');
  for (const t of s.timeline) {
    parts.push(`  ${t.step.padEnd(15)}${t.at}  ${(t.duration ?? '—').padEnd(11)}${t.note ?? ''}`.trimEnd());
  }
  parts.push('', '-- Sent by Trapheus notify.');
  return `${parts.join('\n')}\n`;
};

/**
 * The e-mail for a run's outcome: a subject naming the database and the outcome, an HTML body (every value
 * escaped) and the same content as plain text.
 *
 * @example
 * renderEmail(summarize(outcome)).subject // '[Trapheus] orders-db (instance): FAILED — needs a person'
 */
export const renderEmail = (s: OutcomeSummary): RenderedEmail => ({
  subject: oneLine(`[Trapheus] ${s.outcome.identifier} (${s.outcome.kind}): ${s.headline}`).slice(0, 250),
  html: renderHtml(s),
  text: renderText(s),
});
