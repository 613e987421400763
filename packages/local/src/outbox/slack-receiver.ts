import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One accepted webhook POST. */
export interface SlackPost {
  /** The webhook's name: the last path segment of its URL (see `webhookUrl`). */
  webhook: string;
  body: unknown;
  receivedAt: string;
}

/** Every POST, including the ones answered with an injected failure. */
export interface SlackAttempt extends SlackPost {
  status: number;
}

export interface SlackFailure {
  status: number;
  count: number;
  /** Only for this webhook name; any webhook when absent. */
  webhook?: string;
  /** Only for POSTs whose raw body contains this text (a run id, a database name); any POST when absent. */
  match?: string;
  /** `Retry-After` seconds sent with a 429 (default 1). */
  retryAfterSeconds?: number;
}

export interface SlackReceiverOptions {
  /** 0 (default): any free port on 127.0.0.1. */
  port?: number;
  /** Failures answered first, in order, e.g. `[{ status: 500, count: 2 }]`. */
  failures?: SlackFailure[];
}

export interface SlackReceiver {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** The URL of a named webhook, e.g. `http://127.0.0.1:<port>/services/local/oncall`. */
  webhookUrl(name: string): string;
  /** The POSTs answered 200, oldest first. */
  posts(): SlackPost[];
  /** Every POST with the status it was answered with. */
  attempts(): SlackAttempt[];
  /** Answers the next `count` POSTs (of `webhook`, or any; whose body contains `match`, or any) with `status`. */
  failNext(status: number, count: number, webhook?: string, match?: string): void;
  clear(): void;
  stop(): Promise<void>;
}

const PREFIX = '/services/local/';

const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

const reply = (res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  res.end(text);
};

/**
 * A local stand-in for Slack incoming webhooks on 127.0.0.1: captures the JSON POSTs and answers `ok` like
 * Slack, or an injected status (e.g. 500 twice, then 200). `GET /posts` lists the accepted posts as JSON, for
 * other processes (`trapheus local outbox`).
 *
 * @example
 * const slack = await startSlackReceiver({ failures: [{ status: 500, count: 2 }] });
 * await fetch(slack.webhookUrl('oncall'), { method: 'POST', body: JSON.stringify({ text: 'hi' }) });
 * slack.posts(); // [] — the first POST got a 500
 * await slack.stop();
 */
export const startSlackReceiver = async (opts: SlackReceiverOptions = {}): Promise<SlackReceiver> => {
  const failures: SlackFailure[] = (opts.failures ?? []).map((f) => ({ ...f }));
  const attempts: SlackAttempt[] = [];

  const takeFailure = (webhook: string, raw: string): SlackFailure | undefined => {
    const f = failures.find(
      (x) =>
        x.count > 0 &&
        (x.webhook === undefined || x.webhook === webhook) &&
        (x.match === undefined || raw.includes(x.match)),
    );
    if (!f) return undefined;
    f.count -= 1;
    if (f.count === 0) failures.splice(failures.indexOf(f), 1);
    return f;
  };

  const server = createServer(async (req, res) => {
    try {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      if (req.method === 'GET' && path === '/posts') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(attempts.filter((a) => a.status === 200)));
        return;
      }
      if (!path.startsWith(PREFIX) || path.length === PREFIX.length) return reply(res, 404, 'no_service');
      if (req.method !== 'POST') return reply(res, 405, 'invalid_method');
      const webhook = decodeURIComponent(path.slice(PREFIX.length));
      const raw = await readBody(req);
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
      }
      const receivedAt = new Date().toISOString();
      const failure = takeFailure(webhook, raw);
      if (failure) {
        attempts.push({ webhook, body, receivedAt, status: failure.status });
        const headers: Record<string, string> =
          failure.status === 429 ? { 'retry-after': String(failure.retryAfterSeconds ?? 1) } : {};
        return reply(
          res,
          failure.status,
          failure.status === 429 ? 'rate_limited' : 'injected_failure',
          headers,
        );
      }
      const ok = typeof body === 'object' && body !== null;
      if (!ok) {
        attempts.push({ webhook, body, receivedAt, status: 400 });
        return reply(res, 400, 'invalid_payload');
      }
      const b = body as { text?: unknown; blocks?: unknown };
      if (typeof b.text !== 'string' && !Array.isArray(b.blocks)) {
        attempts.push({ webhook, body, receivedAt, status: 400 });
        return reply(res, 400, 'no_text');
      }
      attempts.push({ webhook, body, receivedAt, status: 200 });
      reply(res, 200, 'ok');
    } catch {
      reply(res, 500, 'receiver_error');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  let stopped = false;

  return {
    url,
    webhookUrl: (name) => `${url}${PREFIX}${encodeURIComponent(name)}`,
    posts: () =>
      attempts
        .filter((a) => a.status === 200)
        .map(({ webhook, body, receivedAt }) => ({ webhook, body, receivedAt })),
    attempts: () => attempts.map((a) => ({ ...a })),
    failNext: (status, count, webhook, match) => {
      failures.push({
        status,
        count,
        ...(webhook !== undefined ? { webhook } : {}),
        ...(match !== undefined ? { match } : {}),
      });
    },
    clear: () => {
      attempts.length = 0;
      failures.length = 0;
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
};
