/**
 * `trapheus ui`: the JSON API against a fake source (paging, filters, 404, the unlock's confirmation), the pages'
 * escaping of run values, the HTTP guards (Host, JSON-only unlock, CSP), and the command's usage and target errors.
 */

import { mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newRun, type Run, type RunPage, type RunView, type Step } from '@trapheus/shared';
import { EXIT } from '../src/exit-codes';
import { main } from '../src/main';
import { esc, runPage, runsPage } from '../src/ui/html';
import { handleApi, startUiServer, type UiServer } from '../src/ui/server';
import type { PageQuery, UiSource } from '../src/ui/view-model';

const at = (minute: number) => new Date(Date.UTC(2026, 11, 1, 6, minute)).toISOString();

const makeRun = (i: number, over: Partial<Run> = {}): Run => ({
  ...newRun(
    {
      runId: `run-${String(i).padStart(4, '0')}`,
      identifier: i % 2 ? 'orders-db' : 'demo-db',
      kind: 'instance',
      task: 'create_snapshot',
      snapshotIdentifier: `snap-${i}`,
    },
    at(i),
  ),
  step: (i % 3 ? 'SUCCEEDED' : 'ROLLED_BACK') as Step,
  history: [
    { step: 'REQUESTED', at: at(i) },
    { step: 'SNAPSHOTTING', at: at(i) },
    { step: i % 3 ? 'SUCCEEDED' : 'ROLLED_BACK', at: at(i + 1) },
  ],
  ...over,
});

const viewOf = (run: Run): RunView => ({
  run,
  steps: run.history.map((h, i) => ({
    step: h.step,
    startedAt: h.at,
    ...(run.history[i + 1] ? { endedAt: run.history[i + 1]?.at, seconds: 60 } : {}),
    ...(h.note ? { note: h.note } : {}),
  })),
  waits: [],
  calls: [],
  notifications: [],
  next: [],
});

/** A fake source: runs in memory, paged by an offset cursor, with every call recorded. */
const fakeSource = (runs: Run[]) => {
  const unlocks: [string, string][] = [];
  const queries: PageQuery[] = [];
  const source: UiSource = {
    listPage: async (q): Promise<RunPage> => {
      queries.push(q);
      const matching = runs
        .filter(
          (r) =>
            (!q.identifier || r.identifier === q.identifier) &&
            (!q.kind || r.kind === q.kind) &&
            (!q.step || r.step === q.step),
        )
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
      const from = q.cursor ? Number(q.cursor) : 0;
      const next = from + q.limit;
      return {
        runs: matching.slice(from, next),
        ...(next < matching.length ? { cursor: String(next) } : {}),
      };
    },
    view: async (runId) => {
      const run = runs.find((r) => r.runId === runId);
      return run ? viewOf(run) : undefined;
    },
    unlock: async (kind, identifier) => {
      unlocks.push([kind, identifier]);
      return { released: true, holder: 'run-0001' };
    },
  };
  return { source, unlocks, queries };
};

const api = (source: UiSource, method: string, path: string, body?: unknown) =>
  handleApi(source, method, new URL(path, 'http://127.0.0.1:4600'), body);

describe('trapheus ui: the JSON API', () => {
  const runs = Array.from({ length: 1000 }, (_, i) => makeRun(i + 1));

  it('pages through 1,000 runs with the cursor, newest first, each run once', async () => {
    const { source } = fakeSource(runs);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await api(source, 'GET', `/api/runs?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      const page = res.body as RunPage;
      seen.push(...page.runs.map((r) => r.runId));
      cursor = page.cursor;
      pages += 1;
    } while (cursor);

    expect(pages).toBe(10);
    expect(new Set(seen).size).toBe(1000);
    expect(seen[0]).toBe('run-1000');
  });

  it('passes the database, kind and state filters to the source, and refuses bad ones (400)', async () => {
    const { source, queries } = fakeSource(runs);
    const res = await api(
      source,
      'GET',
      '/api/runs?identifier=demo-db&state=ROLLED_BACK&kind=instance&limit=5',
    );

    expect(queries.at(-1)).toEqual({
      identifier: 'demo-db',
      kind: 'instance',
      step: 'ROLLED_BACK',
      limit: 5,
    });
    const page = res.body as RunPage;
    expect(page.runs).toHaveLength(5);
    expect(page.runs.every((r) => r.identifier === 'demo-db' && r.step === 'ROLLED_BACK')).toBe(true);

    expect((await api(source, 'GET', '/api/runs?state=DONE')).status).toBe(400);
    expect((await api(source, 'GET', '/api/runs?limit=0')).status).toBe(400);
    expect((await api(source, 'GET', '/api/runs?limit=101')).status).toBe(400);
    expect((await api(source, 'GET', '/api/runs?kind=table')).status).toBe(400);
  });

  it('answers a run with its view, and 404 for an unknown run or a lock item', async () => {
    const { source } = fakeSource(runs);
    const ok = await api(source, 'GET', '/api/runs/run-0007');
    expect(ok.status).toBe(200);
    expect((ok.body as RunView).run.runId).toBe('run-0007');

    expect((await api(source, 'GET', '/api/runs/run-9999')).status).toBe(404);
    expect((await api(source, 'GET', '/api/runs/LOCK%23instance%23demo-db')).status).toBe(404);
    expect((await api(source, 'POST', '/api/runs/run-0007')).status).toBe(405);
  });

  it('refuses the unlock without the identifier repeated as confirm, and sends nothing', async () => {
    const { source, unlocks } = fakeSource(runs);

    const missing = await api(source, 'POST', '/api/unlock', { identifier: 'orders-db', cluster: false });
    const wrong = await api(source, 'POST', '/api/unlock', { identifier: 'orders-db', confirm: 'demo-db' });
    const empty = await api(source, 'POST', '/api/unlock', {});
    const get = await api(source, 'GET', '/api/unlock');

    expect([missing.status, wrong.status, empty.status, get.status]).toEqual([400, 400, 400, 405]);
    expect((missing.body as { error: string }).error).toContain('confirm must repeat the identifier');
    expect(unlocks).toEqual([]);

    const done = await api(source, 'POST', '/api/unlock', {
      identifier: 'demo-cluster',
      cluster: true,
      confirm: 'demo-cluster',
    });
    expect(done).toEqual({ status: 200, body: { released: true, holder: 'run-0001' } });
    expect(unlocks).toEqual([['cluster', 'demo-cluster']]);
  });

  it('reports a failing target as 502 with the explanation', async () => {
    const { source } = fakeSource(runs);
    source.listPage = async () => {
      throw new Error('Could not load credentials');
    };
    const res = await handleApi(
      source,
      'GET',
      new URL('http://x/api/runs'),
      undefined,
      () => 'no credentials',
    );
    expect(res).toEqual({ status: 502, body: { error: 'no credentials' } });
  });
});

describe('trapheus ui: pages escape every value from the run', () => {
  const evil = '<script>alert("x")</script>';
  const run = makeRun(3, {
    identifier: `db"><img src=x onerror=alert(1)>`,
    reason: evil,
    failure: { step: 'RESTORING', code: '<b>Code</b>', message: evil, at: at(4) },
    history: [
      { step: 'REQUESTED', at: at(3), note: evil },
      { step: 'ROLLED_BACK', at: at(4) },
    ],
  });
  const view: RunView = {
    ...viewOf(run),
    failure: { step: 'RESTORING', code: '<b>Code</b>', message: evil, advice: [evil] },
    calls: [{ at: at(3), service: 'rds', action: evil, target: evil }],
    notifications: [{ channel: 'slack', target: evil, status: 'sent', at: at(4), about: 'run' }],
    waits: [
      { step: 'RESTORING', resourceType: 'db-instance', identifier: evil, target: 'available', since: at(3) },
    ],
    next: [evil],
  };

  it('the run page and the runs list contain no markup from the run', () => {
    const pages = [runPage(view, '--local'), runsPage({ runs: [run] }, { limit: 25 }, '--local')];
    for (const html of pages) {
      expect(html).not.toContain('<script>alert');
      expect(html).not.toContain('<img src=x');
      expect(html).not.toContain('<b>Code</b>');
      expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    }
    expect(esc(`<a href='x'>&`)).toBe('&lt;a href=&#39;x&#39;&gt;&amp;');
  });

  it('states are text, the chart has one labelled bar per step, and the page has a title and headings', () => {
    const html = runPage(viewOf(makeRun(1)), '--local');
    expect(html).toMatch(/<title>Run run-0001: SUCCEEDED/);
    expect(html).toContain('<h1>Run <span class="run-id">run-0001</span></h1>');
    expect(html).toContain('<span class="state state-ok">SUCCEEDED</span>');
    expect(html.match(/<rect class="bar/g)).toHaveLength(3);
    expect(html).toContain('<title>SUCCEEDED: end (total 60.0 s)</title>');
    expect(html).not.toContain('running');
    expect(html).toContain('aria-live="polite"');
    expect(html).toContain('data-poll="false"');
  });
});

describe('trapheus ui: the HTTP server', () => {
  let ui: UiServer;
  const { source, unlocks } = fakeSource([makeRun(1), makeRun(2)]);
  beforeAll(async () => {
    ui = await startUiServer({ source, flags: '--local', port: 0 });
  });
  afterAll(() => ui.close());

  const raw = (
    path: string,
    init: { method?: string; headers?: Record<string, string>; body?: string } = {},
  ) =>
    new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: ui.port, path, method: init.method ?? 'GET', headers: init.headers },
        (res) => {
          let body = '';
          res.on('data', (c) => {
            body += c;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        },
      );
      req.on('error', reject);
      req.end(init.body);
    });

  it('listens on 127.0.0.1 and serves the pages with a strict Content Security Policy', async () => {
    expect(ui.url).toBe(`http://127.0.0.1:${ui.port}/`);
    const list = await raw('/');
    expect(list.status).toBe(200);
    expect(list.headers['content-security-policy']).toContain("script-src 'self'");
    expect(list.body).toContain('href="/runs/run-0001"');
    expect((await raw('/runs/run-0404')).status).toBe(404);
    expect((await raw('/fragment/runs/run-0001')).headers['x-trapheus-terminal']).toBe('true');
  });

  it('refuses another Host (DNS rebinding) and an unlock that is not JSON', async () => {
    expect((await raw('/api/runs', { headers: { host: 'evil.example:4600' } })).status).toBe(421);
    const form = await raw('/api/unlock', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ identifier: 'demo-db', confirm: 'demo-db' }),
    });
    expect(form.status).toBe(415);
    const unconfirmed = await raw('/api/unlock', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ identifier: 'demo-db' }),
    });
    expect(unconfirmed.status).toBe(400);
    expect((await raw('/runs/run-0001', { method: 'POST' })).status).toBe(405);
    expect(unlocks).toEqual([]);
  });
});

describe('trapheus ui: the command', () => {
  const cli = async (argv: string[]) => {
    const err: string[] = [];
    const code = await main(
      argv,
      { out: () => undefined, err: (l) => err.push(l) },
      mkdtempSync(join(tmpdir(), 'trapheus-ui-')),
    );
    return { code, text: err.join('\n') };
  };

  it('refuses a bad port (64) and a missing local stack (69)', async () => {
    expect((await cli(['ui', '--port', 'x', '--local'])).code).toBe(EXIT.USAGE);
    expect((await cli(['ui', '--port', '70000'])).code).toBe(EXIT.USAGE);
    expect((await cli(['ui', '--local', '--stage', 'prod'])).code).toBe(EXIT.USAGE);
    const none = await cli(['ui', '--local', '--port', '0']);
    expect(none.code).toBe(EXIT.UNAVAILABLE);
    expect(none.text).toContain('no local stack found');
  });
});
