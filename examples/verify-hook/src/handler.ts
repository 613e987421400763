/**
 * A Trapheus verification hook: on RestoreVerifying (for this hook), runs the bundled SQL files against the
 * restored copy and answers RestoreVerified { ok } on the project bus. It answers whenever it can address the
 * answer; when it cannot (no run id, or the answer cannot be published), the run's VERIFYING step times out and
 * rolls back, which leaves the original database in place.
 */
import { isAbsolute, join } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import {
  Addressable,
  HookName,
  RestoreVerifiedDetail,
  RestoreVerifyingEvent,
  SOURCE,
  VERIFIED,
  type VerifyRequest,
} from './contract';
import { type Db, type DbTarget, engineFamily, openDb, type TlsMode, tlsOptions } from './db';
import { loadSqlFiles } from './sql-files';

export type Log = (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;

export interface Deps {
  secrets: SecretsManagerClient;
  events: EventBridgeClient;
  openDb: (target: DbTarget) => Promise<Db>;
  env: Record<string, string | undefined>;
  now: () => number;
  log: Log;
}

/** The part of the Lambda context used: the time left, to answer before Lambda stops the function. */
export interface Ctx {
  getRemainingTimeInMillis(): number;
}

/** Kept free at the end of the invocation to close the connection and publish the answer. */
const ANSWER_RESERVE_MS = 10_000;
const MAX_MESSAGE = 1_000;

/** `{ username, password }`: the shape of an RDS-managed master user secret (other keys are ignored). */
const DbSecret = z.object({
  username: z.string().min(1),
  password: z.string().min(1),
  dbname: z.string().optional(),
});

const errorText = (e: unknown): string => {
  if (!(e instanceof Error)) return String(e);
  const code = (e as Error & { code?: unknown }).code;
  return code !== undefined && code !== '' ? `${e.message} (code ${String(code)})` : e.message;
};

class Timeout extends Error {}
const within = async <T>(p: Promise<T>, ms: number, what: string): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Timeout(`${what} timed out (the run's deadline or the Lambda time limit)`)),
      Math.max(0, ms),
    );
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
};

interface Result {
  ok: boolean;
  message: string;
}

export const makeHandler = (deps: Deps) => {
  const { env, log } = deps;
  const hook = env.HOOK_NAME ?? '';
  const bus = env.EVENT_BUS_NAME ?? '';

  /** Relative paths are the files bundled with the function (LAMBDA_TASK_ROOT, /var/task on Lambda). */
  const fromTaskRoot = (path: string) =>
    isAbsolute(path) ? path : join(env.LAMBDA_TASK_ROOT ?? process.cwd(), path);

  const answer = async (runId: string, result: Result): Promise<RestoreVerifiedDetail> => {
    const detail = RestoreVerifiedDetail.parse({
      runId,
      hook,
      ok: result.ok,
      message: result.message.slice(0, MAX_MESSAGE),
    });
    const out = await deps.events.send(
      new PutEventsCommand({
        Entries: [
          { EventBusName: bus, Source: SOURCE, DetailType: VERIFIED, Detail: JSON.stringify(detail) },
        ],
      }),
    );
    if ((out.FailedEntryCount ?? 0) > 0) {
      const entry = out.Entries?.[0];
      throw new Error(`PutEvents refused the answer: ${entry?.ErrorCode} ${entry?.ErrorMessage}`);
    }
    log(detail.ok ? 'info' : 'warn', 'answered', { ...detail });
    return detail;
  };

  const credentials = async (): Promise<z.infer<typeof DbSecret>> => {
    const arn = env.DB_SECRET_ARN;
    if (!arn) throw new Error('DB_SECRET_ARN is not set');
    const out = await deps.secrets.send(new GetSecretValueCommand({ SecretId: arn }));
    let json: unknown;
    try {
      json = JSON.parse(out.SecretString ?? '');
    } catch {
      // JSON.parse quotes the text it failed on: never let a piece of the secret into a message.
      throw new Error(`secret ${arn} is not a JSON SecretString`);
    }
    const parsed = DbSecret.safeParse(json);
    if (!parsed.success) throw new Error(`secret ${arn} has no string username and password`);
    return parsed.data;
  };

  const verify = async (req: VerifyRequest, ctx: Ctx): Promise<Result> => {
    const family = engineFamily(req.engine);
    if (!family) {
      return {
        ok: false,
        message: `engine ${req.engine} is not supported by this hook (postgres, aurora-postgresql, mysql, mariadb, aurora-mysql)`,
      };
    }
    const sqlRoot = fromTaskRoot(env.SQL_DIR || 'sql');
    const files = loadSqlFiles(sqlRoot, family);
    if (files.length === 0)
      return { ok: false, message: `no SQL files for ${family} in ${join(sqlRoot, family)}` };

    const started = deps.now();
    const endAt = Math.min(
      req.deadline.getTime(),
      started + ctx.getRemainingTimeInMillis() - ANSWER_RESERVE_MS,
    );
    const left = () => endAt - deps.now();
    if (left() <= 0) return { ok: false, message: 'no time left before the deadline: nothing was run' };

    const mode = (env.DB_TLS ?? 'verify-full') as TlsMode;
    if (mode !== 'verify-full' && mode !== 'require-no-verify') {
      return { ok: false, message: `DB_TLS=${env.DB_TLS}: expected verify-full or require-no-verify` };
    }
    const secret = await credentials();
    const where = `${family} ${req.host}:${req.port}`;
    let opening: Promise<Db> | undefined;
    let db: Db;
    try {
      opening = deps.openDb({
        family,
        host: req.host,
        port: req.port,
        user: secret.username,
        password: secret.password,
        database: env.DB_NAME || secret.dbname,
        ssl: tlsOptions(mode, fromTaskRoot(env.DB_CA_FILE || 'certs/rds-global-bundle.pem')),
        statementTimeoutMs: left(),
        applicationName: `trapheus-verify-${hook}`,
      });
      db = await within(opening, left(), 'the connection');
    } catch (e) {
      // A connection that opens after the time is up is closed, not left behind.
      opening?.then((late) => late.close()).catch(() => undefined);
      return { ok: false, message: `connecting to ${where} (TLS ${mode}) failed: ${errorText(e)}` };
    }
    try {
      for (const file of files) {
        try {
          await within(db.run(file.text), left(), 'the file');
        } catch (e) {
          return { ok: false, message: `${file.name} failed on ${where}: ${errorText(e)}` };
        }
      }
    } finally {
      await within(db.close(), 2_000, 'closing').catch(() => undefined);
    }
    const seconds = ((deps.now() - started) / 1000).toFixed(1);
    return { ok: true, message: `ran ${files.map((f) => f.name).join(', ')} on ${where} in ${seconds} s` };
  };

  return async (event: unknown, ctx: Ctx): Promise<RestoreVerifiedDetail | undefined> => {
    // A deployment error: nothing could be answered under this name (the run times out and rolls back).
    if (!HookName.safeParse(hook).success || !bus) {
      throw new Error('HOOK_NAME (1-64 letters, digits, - or _) and EVENT_BUS_NAME must be set');
    }
    const parsed = RestoreVerifyingEvent.safeParse(event);
    if (!parsed.success) {
      const issues = parsed.error.issues
        .map((i) => `${i.path.join('.') || '(event)'}: ${i.message}`)
        .join('; ');
      const address = Addressable.safeParse(event);
      log('error', 'malformed RestoreVerifying event', { issues, runId: address.data?.detail.runId });
      // A run that asked for this hook but sent an event it cannot read fails now, naming the fields, rather
      // than waiting for its deadline. Without a readable run id there is no one to answer.
      if (!address.success || !address.data.detail.hooks.includes(hook)) return undefined;
      return answer(address.data.detail.runId, {
        ok: false,
        message: `malformed RestoreVerifying event: ${issues}`,
      });
    }
    const req = parsed.data.detail;
    if (!req.hooks.includes(hook)) {
      log('info', 'not for this hook', { runId: req.runId, hooks: req.hooks, hook });
      return undefined;
    }
    log('info', 'verifying', {
      runId: req.runId,
      identifier: req.identifier,
      copyIdentifier: req.copyIdentifier,
      host: req.host,
      engine: req.engine,
    });
    let result: Result;
    try {
      result = await verify(req, ctx);
    } catch (e) {
      result = { ok: false, message: `hook failed: ${errorText(e)}` };
    }
    // A failure to publish throws: the invocation shows as an error and the run times out (safe).
    return answer(req.runId, result);
  };
};

const jsonLog: Log = (level, msg, fields) => {
  const line = JSON.stringify({ level, msg, ...fields });
  if (level === 'info') console.log(line);
  else console.error(line);
};

export const main = makeHandler({
  secrets: new SecretsManagerClient({}),
  events: new EventBridgeClient({}),
  openDb,
  env: process.env,
  now: Date.now,
  log: jsonLog,
});
