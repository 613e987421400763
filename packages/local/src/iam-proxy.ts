/**
 * A small recording HTTP proxy in front of a local server we do not own (dynalite, aws-ses-v2-local): it
 * forwards every request unchanged and, once the answer's status is known, maps the request to the IAM calls
 * AWS would authorize (see iam-recorder.ts).
 */
import { createServer, type IncomingMessage, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { accessKeyIdOf, type IamCallInput } from './iam-recorder';

export interface ProxiedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** An answer a fault hook gives instead of forwarding the request. */
export interface InjectedAnswer {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

/** Fault hook of a recording proxy: undefined forwards the request unchanged. */
export type ProxyInterceptor = (req: ProxiedRequest & { accessKeyId?: string }) => InjectedAnswer | undefined;

export interface RecordingProxy {
  url: string;
  stop(): Promise<void>;
}

export async function startRecordingProxy(
  targetUrl: string,
  toCalls: (req: ProxiedRequest) => IamCallInput[],
  record: (accessKeyId: string | undefined, calls: IamCallInput[]) => void,
  intercept?: ProxyInterceptor,
): Promise<RecordingProxy> {
  const target = new URL(targetUrl);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const proxied: ProxiedRequest = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        body: body.toString('utf8'),
      };
      let injected: InjectedAnswer | undefined;
      try {
        const akid = accessKeyIdOf(req.headers.authorization);
        injected = intercept?.({ ...proxied, ...(akid !== undefined ? { accessKeyId: akid } : {}) });
      } catch (e) {
        console.error('[recording-proxy] fault hook threw', e);
      }
      if (injected) {
        try {
          const calls = toCalls(proxied);
          if (calls.length)
            record(
              accessKeyIdOf(req.headers.authorization),
              calls.map((c) => ({ ...c, status: injected.status })),
            );
        } catch {
          // recording must never break the call
        }
        res.writeHead(injected.status, {
          'content-type': 'application/x-amz-json-1.0',
          ...injected.headers,
          'content-length': String(Buffer.byteLength(injected.body)),
        });
        res.end(injected.body);
        return;
      }
      const upstream = request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: target.host },
        },
        (up) => {
          const status = up.statusCode ?? 500;
          try {
            const calls = toCalls({
              method: req.method ?? 'GET',
              path: req.url ?? '/',
              headers: req.headers,
              body: body.toString('utf8'),
            });
            if (calls.length)
              record(
                accessKeyIdOf(req.headers.authorization),
                calls.map((c) => ({ ...c, status })),
              );
          } catch {
            // recording must never break the call
          }
          res.writeHead(status, up.headers);
          up.pipe(res);
        },
      );
      upstream.on('error', (e) => {
        if (!res.headersSent) res.writeHead(502);
        res.end(String(e));
      });
      upstream.end(body);
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

type Json = Record<string, unknown>;
const parse = (s: string): Json => {
  try {
    return s ? (JSON.parse(s) as Json) : {};
  } catch {
    return {};
  }
};

/** DynamoDB (JSON 1.0, `X-Amz-Target: DynamoDB_20120810.<Op>`): table, or index for an index Query/Scan. */
export function dynamoIamCalls(region: string, accountId: string, req: ProxiedRequest): IamCallInput[] {
  const op = String(req.headers['x-amz-target'] ?? '').split('.')[1];
  if (!op) return [];
  const body = parse(req.body);
  const tableArn = (t: string) => `arn:aws:dynamodb:${region}:${accountId}:table/${t}`;
  const one = (action: string, table: unknown, index?: unknown): IamCallInput => ({
    action,
    resources:
      typeof index === 'string'
        ? [{ type: 'index', arn: `${tableArn(String(table))}/index/${index}` }]
        : [{ type: 'table', arn: tableArn(String(table)) }],
    context: {},
    via: 'dynamodb',
  });
  switch (op) {
    case 'BatchGetItem':
    case 'BatchWriteItem':
      return Object.keys((body.RequestItems as Json) ?? {}).map((t) => one(`dynamodb:${op}`, t));
    case 'TransactWriteItems':
    case 'TransactGetItems': {
      const items = Array.isArray(body.TransactItems) ? (body.TransactItems as Json[]) : [];
      const kinds: Record<string, string> = {
        Put: 'PutItem',
        Update: 'UpdateItem',
        Delete: 'DeleteItem',
        ConditionCheck: 'ConditionCheckItem',
        Get: 'GetItem',
      };
      return items.flatMap((it) =>
        Object.entries(it).map(([k, v]) => one(`dynamodb:${kinds[k] ?? k}`, (v as Json).TableName)),
      );
    }
    case 'ListTables':
      return [
        { action: 'dynamodb:ListTables', resources: [{ type: '*', arn: '*' }], context: {}, via: 'dynamodb' },
      ];
    default:
      return [one(`dynamodb:${op}`, body.TableName, body.IndexName)];
  }
}

const addressOf = (from: string) => (/<([^>]+)>/.exec(from)?.[1] ?? from).trim();

/** SES v2 `POST /v2/email/outbound-emails` and v1 `Action=SendEmail|SendRawEmail`: the sending identity. */
export function sesIamCalls(region: string, accountId: string, req: ProxiedRequest): IamCallInput[] {
  const identity = (from: string) => ({
    type: 'identity',
    arn: `arn:aws:ses:${region}:${accountId}:identity/${addressOf(from)}`,
  });
  if (req.method === 'POST' && req.path.startsWith('/v2/email/outbound-emails')) {
    const body = parse(req.body);
    const from = typeof body.FromEmailAddress === 'string' ? body.FromEmailAddress : '';
    const config = typeof body.ConfigurationSetName === 'string' ? body.ConfigurationSetName : undefined;
    return [
      {
        action: 'ses:SendEmail',
        resources: [
          identity(from),
          ...(config
            ? [
                {
                  type: 'configuration-set',
                  arn: `arn:aws:ses:${region}:${accountId}:configuration-set/${config}`,
                },
              ]
            : []),
        ],
        context: { 'ses:FromAddress': addressOf(from), 'ses:ApiVersion': '2' },
        via: 'ses',
      },
    ];
  }
  if (req.method === 'POST' && !req.path.startsWith('/v2/')) {
    const p = new URLSearchParams(req.body);
    const action = p.get('Action');
    if (action === 'SendEmail' || action === 'SendRawEmail') {
      const from = p.get('Source') ?? '';
      return [
        {
          action: `ses:${action}`,
          resources: [identity(from)],
          context: { 'ses:FromAddress': addressOf(from), 'ses:ApiVersion': '1' },
          via: 'ses',
        },
      ];
    }
  }
  return [];
}
