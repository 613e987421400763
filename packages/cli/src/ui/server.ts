/**
 * The server of `trapheus ui`: node:http on 127.0.0.1 only, pages rendered here (html.ts), a JSON API, and one
 * mutating action (POST /api/unlock) that needs the identifier typed back as `confirm`.
 *
 *   GET  /                        runs list (?identifier=&state=&cursor=&limit=)
 *   GET  /runs/:runId             run page
 *   GET  /fragment/runs[/:runId]  the live region of those pages (polled every 2 s)
 *   GET  /api/runs                { runs, cursor? }           (same query)
 *   GET  /api/runs/:runId         the RunView, 404 when unknown
 *   POST /api/unlock              { identifier, cluster, confirm: identifier } → { released, holder?, reason? }
 *
 * Requests whose Host is not this server's loopback address are refused (DNS rebinding), and the unlock must be
 * JSON (a cross-site form cannot send that without a CORS preflight, which this server never grants).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { STEPS, type Step } from '@trapheus/shared';
import { APP_CSS, APP_JS } from './assets/app';
import { errorPage, fragmentHash, runFragment, runPage, runsFragment, runsPage } from './html';
import type { PageQuery, UiSource } from './view-model';

export const DEFAULT_PORT = 4600;
const MAX_LIMIT = 100;
const DEFAULT_LIMIT = 25;
/** Run ids as `trapheus restore` prints them; anything else (the table's LOCK# items) is not a run. */
const RUN_ID = /^run-[A-Za-z0-9_-]{1,120}$/;

export interface ApiResponse {
  status: number;
  body: unknown;
}

export class BadRequest extends Error {}

/** The list query from URL parameters, validated (400 on a bad state, kind or limit). */
export const parseQuery = (params: URLSearchParams): PageQuery => {
  const identifier = params.get('identifier')?.trim() || undefined;
  const state = params.get('state')?.trim() || undefined;
  const kind = params.get('kind')?.trim() || undefined;
  const rawLimit = params.get('limit');
  const limit = rawLimit ? Number(rawLimit) : DEFAULT_LIMIT;
  if (state && !(STEPS as readonly string[]).includes(state)) {
    throw new BadRequest(`state must be one of ${STEPS.join(', ')}`);
  }
  if (kind && kind !== 'instance' && kind !== 'cluster')
    throw new BadRequest('kind must be instance or cluster');
  if (!(Number.isInteger(limit) && limit >= 1 && limit <= MAX_LIMIT)) {
    throw new BadRequest(`limit must be an integer from 1 to ${MAX_LIMIT}`);
  }
  const cursor = params.get('cursor') || undefined;
  return {
    limit,
    ...(identifier ? { identifier } : {}),
    ...(kind ? { kind: kind as 'instance' | 'cluster' } : {}),
    ...(state ? { step: state as Step } : {}),
    ...(cursor ? { cursor } : {}),
  };
};

/** The unlock request, refused unless `confirm` repeats the identifier. */
export const parseUnlock = (body: unknown): { identifier: string; cluster: boolean } => {
  const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  if (typeof b.identifier !== 'string' || !b.identifier.trim())
    throw new BadRequest('identifier is required');
  if (b.cluster !== undefined && typeof b.cluster !== 'boolean')
    throw new BadRequest('cluster must be true or false');
  if (b.confirm !== b.identifier) {
    throw new BadRequest(
      `not unlocked: confirm must repeat the identifier (send { "identifier": "${b.identifier}", "cluster": ${b.cluster === true}, "confirm": "${b.identifier}" })`,
    );
  }
  return { identifier: b.identifier, cluster: b.cluster === true };
};

/**
 * The JSON API, without HTTP: method, path, query and parsed body in, status and JSON body out.
 * `describeError` turns a failure of the target (credentials, network) into a sentence.
 */
export const handleApi = async (
  source: UiSource,
  method: string,
  url: URL,
  body: unknown,
  describeError: (err: unknown) => string = (err) => (err instanceof Error ? err.message : String(err)),
): Promise<ApiResponse> => {
  try {
    const path = url.pathname;
    if (path === '/api/runs') {
      if (method !== 'GET') return { status: 405, body: { error: 'use GET' } };
      return { status: 200, body: await source.listPage(parseQuery(url.searchParams)) };
    }
    const one = path.match(/^\/api\/runs\/([^/]+)$/);
    if (one) {
      if (method !== 'GET') return { status: 405, body: { error: 'use GET' } };
      const runId = decodeURIComponent(one[1] ?? '');
      const view = RUN_ID.test(runId) ? await source.view(runId) : undefined;
      return view ? { status: 200, body: view } : { status: 404, body: { error: `run ${runId} not found` } };
    }
    if (path === '/api/unlock') {
      if (method !== 'POST') return { status: 405, body: { error: 'use POST' } };
      const { identifier, cluster } = parseUnlock(body);
      const result = await source.unlock(cluster ? 'cluster' : 'instance', identifier);
      return { status: result.released ? 200 : 409, body: result };
    }
    return { status: 404, body: { error: `no API ${path}` } };
  } catch (err) {
    if (err instanceof BadRequest) return { status: 400, body: { error: err.message } };
    return { status: 502, body: { error: describeError(err) } };
  }
};

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

const send = (
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  extra: Record<string, string> = {},
) => {
  res.writeHead(status, { 'content-type': type, ...SECURITY_HEADERS, ...extra });
  res.end(body);
};

const readBody = (req: IncomingMessage, max = 16_384): Promise<string> =>
  new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      data += chunk;
      if (data.length > max) reject(new BadRequest('request body too large'));
    });
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });

export interface UiOptions {
  source: UiSource;
  /** What the pages say they show and the flags of the commands they suggest: `--local`, `--stage prod`. */
  flags: string;
  describeError?: (err: unknown) => string;
}

/** The request handler (pages, fragments, assets, API). */
export const uiHandler =
  (opts: UiOptions, allowedHosts: () => string[]) =>
  async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const describe = opts.describeError ?? ((e: unknown) => (e instanceof Error ? e.message : String(e)));
    try {
      if (!allowedHosts().includes(req.headers.host ?? '')) {
        send(res, 421, 'text/plain; charset=utf-8', 'this server answers on its loopback address only\n');
        return;
      }
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const method = req.method ?? 'GET';
      if (url.pathname.startsWith('/api/')) {
        let body: unknown;
        if (method === 'POST') {
          if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) {
            send(
              res,
              415,
              'application/json',
              JSON.stringify({ error: 'send JSON (content-type: application/json)' }),
            );
            return;
          }
          try {
            body = JSON.parse((await readBody(req)) || '{}');
          } catch (err) {
            const message = err instanceof BadRequest ? err.message : 'the body is not valid JSON';
            send(res, 400, 'application/json', JSON.stringify({ error: message }));
            return;
          }
        }
        const out = await handleApi(opts.source, method, url, body, describe);
        send(res, out.status, 'application/json; charset=utf-8', JSON.stringify(out.body));
        return;
      }
      if (method !== 'GET' && method !== 'HEAD') {
        send(res, 405, 'text/plain; charset=utf-8', 'pages are read-only\n', { allow: 'GET' });
        return;
      }
      const html = 'text/html; charset=utf-8';
      if (url.pathname === '/assets/app.js') return send(res, 200, 'text/javascript; charset=utf-8', APP_JS);
      if (url.pathname === '/assets/app.css') return send(res, 200, 'text/css; charset=utf-8', APP_CSS);
      if (url.pathname === '/favicon.ico') return send(res, 204, 'image/x-icon', '');
      if (url.pathname === '/' || url.pathname === '/fragment/runs') {
        let q: PageQuery;
        try {
          q = parseQuery(url.searchParams);
        } catch (err) {
          return send(res, 400, html, errorPage(400, (err as Error).message));
        }
        const page = await opts.source.listPage(q);
        if (url.pathname === '/') return send(res, 200, html, runsPage(page, q, opts.flags));
        const fragment = runsFragment(page, q);
        return send(res, 200, html, fragment, { 'x-trapheus-hash': fragmentHash(fragment) });
      }
      const runPath = url.pathname.match(/^\/(fragment\/)?runs\/([^/]+)$/);
      if (runPath) {
        const runId = decodeURIComponent(runPath[2] ?? '');
        const view = RUN_ID.test(runId) ? await opts.source.view(runId) : undefined;
        if (!view) return send(res, 404, html, errorPage(404, `run ${runId} not found (${opts.flags})`));
        if (!runPath[1]) return send(res, 200, html, runPage(view, opts.flags));
        const fragment = runFragment(view, opts.flags);
        const terminal = ['SUCCEEDED', 'ROLLED_BACK', 'CLEANUP_FAILED', 'FAILED', 'REJECTED'].includes(
          view.run.step,
        );
        return send(res, 200, html, fragment, {
          'x-trapheus-hash': fragmentHash(fragment),
          'x-trapheus-terminal': String(terminal),
        });
      }
      send(res, 404, html, errorPage(404, `nothing at ${url.pathname}`));
    } catch (err) {
      if (!res.headersSent) send(res, 502, 'text/html; charset=utf-8', errorPage(502, describe(err)));
      else res.end();
    }
  };

export interface UiServer {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1:`port` (0: a free port). Rejects with EADDRINUSE when the port is taken. */
export const startUiServer = (opts: UiOptions & { port: number }): Promise<UiServer> =>
  new Promise((resolve, reject) => {
    let port = opts.port;
    const server = createServer(uiHandler(opts, () => [`127.0.0.1:${port}`, `localhost:${port}`]));
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      port = (server.address() as AddressInfo).port;
      resolve({
        url: `http://127.0.0.1:${port}/`,
        port,
        server,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
