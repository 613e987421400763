import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { IamCallInput } from '../iam-recorder';
import { RdsError } from './errors';
import { parseFaultSpec } from './faults';
import { authorizeRds } from './iam-resources';
import { OPERATIONS, requestIdentifiers } from './operations';
import { errorXml, parseQuery, successXml } from './protocol';
import { uuid } from './random';
import { stateView } from './state/render';
import type { SimContext } from './state/store';
import type { EventFaultSettings } from './types';

export interface ServerHandle {
  server: Server;
  port: number;
  callCounts: Map<string, number>;
}

/** One answered RDS API call, in the simulator's call log (fault hooks and invariant checks read it). */
export interface RdsCallRecord {
  /** epoch ms when the answer was computed (state already changed for an accepted call) */
  at: number;
  action: string;
  /** the SigV4 access key id: a local function's deployed name, or `local` for the CLI/tests */
  accessKeyId?: string;
  status: number;
  /** the error code of a refused call (`DBInstanceNotFound`, `Throttling`, an injected code …) */
  errorCode?: string;
  /** the request's top-level string parameters (identifiers, flags) */
  params: Record<string, string>;
}

/** Sees every answered call (after the state change), e.g. to arm a fault "after RDS did X". */
export type RdsCallObserver = (call: RdsCallRecord) => void;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function sendXml(res: ServerResponse, status: number, requestId: string, xml: string): void {
  res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId });
  res.end(xml);
}

function parseJson(body: string): unknown {
  return body.trim() === '' ? {} : JSON.parse(body);
}

/** `/_sim/…` control routes (JSON). */
function handleControl(
  ctx: SimContext,
  calls: Map<string, number>,
  method: string,
  path: string,
  body: string,
  res: ServerResponse,
) {
  const route = `${method} ${path}`;
  try {
    switch (route) {
      case 'GET /_sim/state':
        return sendJson(res, 200, stateView(ctx.store));
      case 'GET /_sim/calls':
        return sendJson(res, 200, Object.fromEntries(calls));
      case 'GET /_sim/events':
        return sendJson(res, 200, ctx.events.deliveredEvents());
      case 'GET /_sim/faults':
        return sendJson(res, 200, ctx.faults.list());
      case 'POST /_sim/faults':
        ctx.faults.add(parseFaultSpec(parseJson(body)));
        return sendJson(res, 200, { ok: true, faults: ctx.faults.list() });
      case 'POST /_sim/events':
        ctx.faults.setEvents(parseJson(body) as EventFaultSettings);
        return sendJson(res, 200, { ok: true });
      case 'POST /_sim/reset-faults':
        ctx.faults.reset();
        return sendJson(res, 200, { ok: true });
      default:
        return sendJson(res, 404, { error: `no route ${route}` });
    }
  } catch (err) {
    return sendJson(res, 400, { error: (err as Error).message });
  }
}

/** Recording hook: gets what AWS would authorize for each call, with the caller's access key id. */
export type QueryRecorder = (accessKeyId: string | undefined, calls: IamCallInput[]) => void;

/** Runs one RDS Query request; returns status and XML. */
export function handleQuery(
  ctx: SimContext,
  calls: Map<string, number>,
  body: string,
  requestId: string,
  caller?: { accessKeyId: string | undefined; record: QueryRecorder },
  observe?: { accessKeyId: string | undefined; observer: RdsCallObserver },
) {
  const params = parseQuery(body);
  const action = typeof params.Action === 'string' ? params.Action : '';
  calls.set(action || '(none)', (calls.get(action || '(none)') ?? 0) + 1);
  const out = recordedQuery(ctx, params, action, requestId, caller);
  if (observe && action) {
    const flat: Record<string, string> = {};
    for (const [k, v] of Object.entries(params)) if (typeof v === 'string' && k !== 'Action') flat[k] = v;
    try {
      observe.observer({
        at: Date.now(),
        action,
        ...(observe.accessKeyId !== undefined ? { accessKeyId: observe.accessKeyId } : {}),
        status: out.status,
        ...(out.code ? { errorCode: out.code } : {}),
        params: flat,
      });
    } catch (err) {
      console.error('[rds-simulator] call observer threw', err);
    }
  }
  return { status: out.status, xml: out.xml };
}

function recordedQuery(
  ctx: SimContext,
  params: ReturnType<typeof parseQuery>,
  action: string,
  requestId: string,
  caller?: { accessKeyId: string | undefined; record: QueryRecorder },
) {
  if (!caller || !action) return runQuery(ctx, params, action, requestId);
  let auth: ReturnType<typeof authorizeRds> | undefined;
  try {
    auth = authorizeRds(ctx, action, params);
  } catch (err) {
    console.error('[rds-simulator] IAM recording failed', err);
  }
  const out = runQuery(ctx, params, action, requestId);
  if (auth) caller.record(caller.accessKeyId, auth.finish(out.status));
  return out;
}

function runQuery(
  ctx: SimContext,
  params: ReturnType<typeof parseQuery>,
  action: string,
  requestId: string,
): { status: number; xml: string; code?: string } {
  try {
    const op = OPERATIONS[action];
    if (!op)
      throw new RdsError(
        'InvalidAction',
        `The action ${action || '(none)'} is not valid for this web service.`,
      );
    ctx.faults.checkApi(action, requestIdentifiers(params));
    const result = op(ctx, params);
    return { status: 200, xml: successXml(action, result, requestId) };
  } catch (err) {
    if (err instanceof RdsError)
      return { status: err.status, xml: errorXml(err.code, err.message, requestId), code: err.code };
    console.error('[rds-simulator] internal error', err);
    return {
      status: 500,
      xml: errorXml('InternalFailure', String((err as Error).message), requestId),
      code: 'InternalFailure',
    };
  }
}

const accessKeyIdOf = (h: string | undefined) => /Credential=([^/,\s]+)\//.exec(h ?? '')?.[1];

export function startServer(
  ctx: SimContext,
  host: string,
  port: number,
  record?: QueryRecorder,
  observer?: RdsCallObserver,
): Promise<ServerHandle> {
  const callCounts = new Map<string, number>();
  const server = createServer((req, res) => {
    readBody(req)
      .then((body) => {
        const url = new URL(req.url ?? '/', 'http://localhost');
        if (url.pathname.startsWith('/_sim/')) {
          handleControl(ctx, callCounts, req.method ?? 'GET', url.pathname, body, res);
          return;
        }
        // The Query protocol also allows parameters in the query string (GET).
        const query = url.search.length > 1 ? url.search.slice(1) : '';
        const requestId = uuid();
        const accessKeyId = accessKeyIdOf(req.headers.authorization);
        const { status, xml } = handleQuery(
          ctx,
          callCounts,
          [query, body].filter(Boolean).join('&'),
          requestId,
          record ? { accessKeyId, record } : undefined,
          observer ? { accessKeyId, observer } : undefined,
        );
        sendXml(res, status, requestId, xml);
      })
      .catch((err) => {
        res.writeHead(500);
        res.end(String(err));
      });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve({ server, port: (server.address() as AddressInfo).port, callCounts });
    });
  });
}
