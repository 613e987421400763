/**
 * The pages of `trapheus ui`, rendered on the server as strings. Every value from a run goes through `esc` (text and
 * attributes alike); the browser script only swaps in fragments rendered here, so escaping lives in one place.
 */

import { createHash } from 'node:crypto';
import { exportOf, holdsLockWhenDone, isTerminal, type Run, STEPS, type Step } from '@trapheus/shared';
import type { PageQuery, RunPage, RunView } from './view-model';

/** The fingerprint of a live region's HTML: the page polls and redraws only when it changes. */
export const fragmentHash = (html: string): string =>
  createHash('sha1').update(html).digest('hex').slice(0, 16);

/** HTML-escapes text for element content and quoted attribute values. */
export const esc = (value: unknown): string =>
  String(value ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

const secs = (s: number | undefined): string =>
  s === undefined ? '—' : s < 120 ? `${s.toFixed(1)} s` : `${(s / 60).toFixed(1)} min`;

const time = (iso: string | undefined): string =>
  iso
    ? `<time datetime="${esc(iso)}">${esc(iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC'))}</time>`
    : '—';

/** A state as text with a class for its colour (never colour alone). */
export const stateBadge = (step: Step | string): string => {
  const kind =
    step === 'SUCCEEDED'
      ? 'ok'
      : step === 'FAILED' || step === 'REJECTED'
        ? 'bad'
        : step === 'ROLLED_BACK' || step === 'CLEANUP_FAILED'
          ? 'warn'
          : 'active';
  return `<span class="state state-${kind}">${esc(step)}</span>`;
};

const runSeconds = (run: Run): number | undefined => {
  const last = run.history.at(-1);
  if (!last || !isTerminal(run.step)) return undefined;
  return Math.max(0, (Date.parse(last.at) - Date.parse(run.createdAt)) / 1000);
};

const outcome = (run: Run): string =>
  run.failure
    ? `${run.failure.code}: ${run.failure.message}`
    : (run.reason ?? (isTerminal(run.step) ? '' : 'in progress'));

const layout = (title: string, main: string): string => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<link rel="stylesheet" href="/assets/app.css">
<script src="/assets/app.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header><nav aria-label="Trapheus"><a href="/">Trapheus runs</a></nav></header>
<main id="main">
${main}
</main>
</body>
</html>
`;

const query = (q: Record<string, string | number | undefined>): string => {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') params.set(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : '';
};

/** The runs table and its pager: the live region of the runs list. */
export const runsFragment = (page: RunPage, q: PageQuery): string => {
  const rows = page.runs
    .map(
      (r) => `<tr data-run-id="${esc(r.runId)}">
<th scope="row"><a href="/runs/${esc(encodeURIComponent(r.runId))}">${esc(r.runId)}</a></th>
<td>${esc(r.identifier)}</td><td>${esc(r.task)}</td><td>${esc(r.kind)}</td><td>${stateBadge(r.step)}</td>
<td>${time(r.createdAt)}</td><td>${isTerminal(r.step) ? secs(runSeconds(r)) : 'running'}</td><td class="outcome">${esc(outcome(r))}</td>
</tr>`,
    )
    .join('\n');
  const filters = { identifier: q.identifier, kind: q.kind, state: q.step, limit: q.limit };
  const pager = [
    q.cursor ? `<a href="/${esc(query(filters))}">First page</a>` : '',
    page.cursor
      ? `<a rel="next" href="/${esc(query({ ...filters, cursor: page.cursor }))}">Next page</a>`
      : '',
  ]
    .filter(Boolean)
    .join(' ');
  return `<table class="runs">
<caption>${page.runs.length ? `${page.runs.length} run${page.runs.length === 1 ? '' : 's'}${q.cursor ? ' (a later page)' : ''}, newest first` : 'No runs match.'}</caption>
<thead><tr><th scope="col">Run</th><th scope="col">Database</th><th scope="col">Task</th><th scope="col">Kind</th><th scope="col">State</th><th scope="col">Started</th><th scope="col">Duration</th><th scope="col">Outcome</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
<nav class="pager" aria-label="Pages">${pager}</nav>`;
};

/** The runs list: filters (a plain GET form), then the table, refreshed every 2 s. */
export const runsPage = (page: RunPage, q: PageQuery, target: string): string => {
  const fragment = runsFragment(page, q);
  const kinds = [
    ['', 'any (instance with a database)'],
    ['instance', 'instance'],
    ['cluster', 'cluster'],
  ]
    .map(([v, label]) => `<option value="${v}"${v === (q.kind ?? '') ? ' selected' : ''}>${label}</option>`)
    .join('');
  const options = ['', ...STEPS]
    .map(
      (s) =>
        `<option value="${esc(s)}"${s === (q.step ?? '') ? ' selected' : ''}>${s ? esc(s) : 'any state'}</option>`,
    )
    .join('');
  return layout(
    `Trapheus runs (${target})`,
    `<h1>Runs <small>${esc(target)}</small></h1>
<form class="filters" method="get" action="/" role="search" aria-label="Filter runs">
<label for="f-identifier">Database</label>
<input id="f-identifier" name="identifier" value="${esc(q.identifier ?? '')}" autocomplete="off">
<label for="f-kind">Kind</label>
<select id="f-kind" name="kind">${kinds}</select>
<label for="f-state">State</label>
<select id="f-state" name="state">${options}</select>
<input type="hidden" name="limit" value="${esc(q.limit)}">
<button type="submit">Filter</button>
</form>
<div id="live" aria-live="polite" data-src="/fragment/runs${esc(query({ identifier: q.identifier, kind: q.kind, state: q.step, limit: q.limit, cursor: q.cursor }))}" data-poll="true" data-hash="${fragmentHash(fragment)}">
${fragment}
</div>`,
  );
};

/** The steps as a Gantt chart (inline SVG, one labelled bar per step) and as a table. */
export const gantt = (view: RunView, now = new Date().toISOString()): string => {
  // The final step of a finished run is a moment, not a span: it ends where it starts.
  const steps = view.steps.map((s) =>
    s.endedAt === undefined && isTerminal(s.step) ? { ...s, endedAt: s.startedAt, final: true } : s,
  );
  if (!steps.length) return '<p>No steps yet.</p>';
  const start = Date.parse(steps[0]?.startedAt ?? now);
  const endOf = (s: { endedAt?: string }) => Date.parse(s.endedAt ?? now);
  const end = Math.max(start + 1, ...steps.map(endOf));
  const labelW = 150;
  const chartW = 660;
  const durW = 130;
  const rowH = 26;
  const x = (t: number) => labelW + ((t - start) / (end - start)) * chartW;
  const rows = steps
    .map((s, i) => {
      const x0 = x(Date.parse(s.startedAt));
      const w = Math.max(3, x(endOf(s)) - x0);
      const y = i * rowH + 4;
      const open = s.endedAt === undefined;
      const lasted =
        'final' in s
          ? `end (total ${secs((Date.parse(s.startedAt) - start) / 1000)})`
          : s.seconds !== undefined
            ? secs(s.seconds)
            : open
              ? 'running'
              : '—';
      return `<g class="bar-row" data-step="${esc(s.step)}">
<text class="label" x="${labelW - 8}" y="${y + 14}" text-anchor="end">${esc(s.step)}</text>
<rect class="bar${open ? ' open' : ''} bar-${esc(s.step.toLowerCase())}" x="${x0.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${rowH - 8}" rx="3"><title>${esc(s.step)}: ${esc(lasted)}</title></rect>
<text class="dur" x="${labelW + chartW + 8}" y="${y + 14}">${esc(lasted)}</text>
</g>`;
    })
    .join('\n');
  const h = steps.length * rowH + 8;
  return `<figure class="gantt">
<svg role="img" aria-labelledby="gantt-title" viewBox="0 0 ${labelW + chartW + durW} ${h}" width="100%" preserveAspectRatio="xMinYMin meet">
<title id="gantt-title">Timeline of the run's ${steps.length} steps</title>
${rows}
</svg>
<figcaption>From ${time(steps[0]?.startedAt)} to ${time(steps.at(-1)?.endedAt)}</figcaption>
</figure>
<table class="steps">
<caption>Steps</caption>
<thead><tr><th scope="col">Step</th><th scope="col">Started</th><th scope="col">Ended</th><th scope="col">Duration</th><th scope="col">Note</th></tr></thead>
<tbody>
${steps.map((s) => `<tr><th scope="row">${esc(s.step)}</th><td>${time(s.startedAt)}</td><td>${time(s.endedAt)}</td><td>${secs(s.seconds)}</td><td>${esc(s.note ?? '')}</td></tr>`).join('\n')}
</tbody>
</table>`;
};

const table = (caption: string, headers: string[], rows: string[][], empty: string): string =>
  rows.length
    ? `<table><caption>${esc(caption)}</caption><thead><tr>${headers.map((h) => `<th scope="col">${esc(h)}</th>`).join('')}</tr></thead>
<tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n')}</tbody></table>`
    : `<p>${esc(empty)}</p>`;

/** Everything about one run that changes while it goes: the live region of the run page. */
export const runFragment = (view: RunView, flags: string): string => {
  const { run } = view;
  const v = run.verification;
  const e = exportOf(run);
  const summary: [string, string][] = [
    ['State', stateBadge(run.step)],
    ['Database', `${esc(run.identifier)} (${esc(run.kind)})`],
    ['Task', esc(run.task)],
    ['Strategy', esc(run.strategy ?? 'rename_first')],
    ['Snapshot', esc(run.snapshotIdentifier)],
    ['Started', time(run.createdAt)],
    ['Duration', isTerminal(run.step) ? secs(runSeconds(run)) : 'running'],
    [
      'Downtime',
      view.downtime
        ? view.downtime.to
          ? `${secs(view.downtime.seconds)} (from ${time(view.downtime.from)} to ${time(view.downtime.to)})`
          : `since ${time(view.downtime.from)}`
        : 'none recorded',
    ],
    ...(run.reason ? ([['Reason', esc(run.reason)]] as [string, string][]) : []),
  ];
  const unlock = holdsLockWhenDone(run)
    ? `<section aria-labelledby="h-unlock"><h2 id="h-unlock">Lock</h2>
<p>This run ended ${esc(run.step)} and still holds ${esc(run.kind)} ${esc(run.identifier)}: no other restore of it can start until a person releases it (the same as <code>npx trapheus unlock ${esc(run.identifier)}${run.kind === 'cluster' ? ' --cluster' : ''} ${esc(flags)}</code>).</p>
<button type="button" class="unlock" data-identifier="${esc(run.identifier)}" data-cluster="${run.kind === 'cluster'}">Unlock ${esc(run.identifier)}…</button>
<p class="unlock-result" role="status"></p></section>`
    : '';
  return `<dl class="summary">${summary.map(([k, val]) => `<dt>${esc(k)}</dt><dd>${val}</dd>`).join('')}</dl>
<section aria-labelledby="h-timeline"><h2 id="h-timeline">Timeline</h2>
${gantt(view)}
</section>
${
  view.failure
    ? `<section aria-labelledby="h-failure" class="failure"><h2 id="h-failure">Failure</h2>
<p><strong>${esc(view.failure.step)}</strong>: <code>${esc(view.failure.code)}</code> ${esc(view.failure.message)}</p>
${view.failure.advice.length ? `<h3>What to do</h3><ul>${view.failure.advice.map((a) => `<li>${esc(a)}</li>`).join('')}</ul>` : ''}
</section>`
    : ''
}
${
  !view.failure && view.next.length
    ? `<section aria-labelledby="h-next"><h2 id="h-next">What to do next</h2><ul>${view.next.map((n) => `<li>${esc(n)}</li>`).join('')}</ul></section>`
    : ''
}
<section aria-labelledby="h-waits"><h2 id="h-waits">Waits</h2>
${table(
  'What the run waited for, and which signal ended each wait',
  ['Step', 'Waited for', 'Since', 'Ended', 'Ended by', 'Signal at', 'Gap'],
  view.waits.map((w) => [
    esc(w.step),
    `${esc(w.resourceType)} ${esc(w.identifier)} to be ${esc(w.target)}`,
    time(w.since),
    w.endedAt ? time(w.endedAt) : `waiting${w.deadline ? ` (deadline ${time(w.deadline)})` : ''}`,
    esc(w.endedBy ?? '—'),
    time(w.signalAt),
    secs(w.gapSeconds),
  ]),
  'No waits recorded.',
)}
</section>
<section aria-labelledby="h-calls"><h2 id="h-calls">RDS calls</h2>
${table(
  'Calls the run made',
  ['At', 'Service', 'Action', 'Target', 'Result'],
  view.calls.map((c) => [
    time(c.at),
    esc(c.service),
    esc(c.action),
    esc(c.target ?? ''),
    c.error ? `refused: <code>${esc(c.error)}</code>` : 'accepted',
  ]),
  'No calls recorded.',
)}
</section>
<section aria-labelledby="h-notifications"><h2 id="h-notifications">Notifications</h2>
${table(
  'Alerts sent about the run',
  ['Channel', 'To', 'About', 'Status', 'At'],
  view.notifications.map((n) => [
    esc(n.channel),
    esc(n.target ?? ''),
    `${esc(n.about)}${n.step ? ` (${esc(n.step)})` : ''}`,
    esc(n.status),
    time(n.at),
  ]),
  'No notifications recorded.',
)}
</section>
${
  v
    ? `<section aria-labelledby="h-verification"><h2 id="h-verification">Verification</h2>
<p>Hooks have ${esc(v.timeoutMinutes)} min to answer.</p>
${table(
  'Hooks and their answers',
  ['Hook', 'Answer', 'Message', 'At'],
  v.hooks.map((h) => {
    const a = v.answers[h];
    return [esc(h), a ? (a.ok ? 'ok' : 'FAILED') : 'no answer', esc(a?.message ?? ''), time(a?.at)];
  }),
  'No hooks.',
)}</section>`
    : ''
}
${
  e
    ? `<section aria-labelledby="h-export"><h2 id="h-export">Export</h2>
<dl class="summary"><dt>Status</dt><dd>${esc(e.status)}${e.rdsStatus ? ` (RDS ${esc(e.rdsStatus)})` : ''}</dd>
<dt>Task</dt><dd>${esc(e.taskId)}</dd><dt>Where</dt><dd><code>s3://${esc(e.s3Bucket)}/${esc(e.s3Prefix)}/${esc(e.taskId)}/</code></dd>
${e.failureCause ? `<dt>Cause</dt><dd>${esc(e.failureCause)}</dd>` : ''}</dl></section>`
    : ''
}
${unlock}`;
};

/** The run page: the run id as heading, the live region polled every 2 s while the run is not terminal. */
export const runPage = (view: RunView, flags: string): string => {
  const fragment = runFragment(view, flags);
  return layout(
    `Run ${view.run.runId}: ${view.run.step} (${view.run.identifier})`,
    `<h1>Run <span class="run-id">${esc(view.run.runId)}</span></h1>
<div id="live" aria-live="polite" data-src="/fragment/runs/${esc(encodeURIComponent(view.run.runId))}" data-poll="${isTerminal(view.run.step) ? 'false' : 'true'}" data-hash="${fragmentHash(fragment)}">
${fragment}
</div>`,
  );
};

export const errorPage = (status: number, message: string): string =>
  layout(`Trapheus: ${status}`, `<h1>${status === 404 ? 'Not found' : 'Error'}</h1><p>${esc(message)}</p>`);
