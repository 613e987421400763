/**
 * Where the CLI sends its calls: AWS (the default; region, credentials and endpoints from the usual AWS
 * variables) or the local stack (`--local`, endpoints from `.trapheus/local.json`, written by `local up`).
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import * as z from 'zod';
import { CliError, EXIT } from './exit-codes';

const localStackInfoSchema = z.object({
  stage: z.string().min(1),
  region: z.string().min(1),
  endpoints: z.object({
    rds: z.url(),
    bus: z.url(),
    dynamodb: z.url(),
    ses: z.url(),
    slack: z.url(),
  }),
  busName: z.string().min(1),
  runsTable: z.string().min(1),
  pid: z.number().int().positive().optional(),
  /** RDS is another endpoint (moto, LocalStack) given to `local up --rds-endpoint`, not the built-in simulator. */
  rdsExternal: z.boolean().optional(),
});

export type LocalStackInfo = z.infer<typeof localStackInfoSchema>;

export interface Target {
  local: boolean;
  region: string;
  busName: string;
  runsTable: string;
  env: NodeJS.ProcessEnv;
  /** The flags that select this target, for hints a user can copy: `--local` or `--stage dev`. */
  flags: string;
  info?: LocalStackInfo;
}

export const LOCAL_INFO_FILE = (cwd: string) => join(cwd, '.trapheus', 'local.json');

const START_HINT = 'start one with `npx trapheus local up` (run commands from the folder you started it in)';

/** Whether a process with this pid is alive (signal 0 only checks). */
export const isAlive = (pid: number | undefined): boolean => {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * The local stack's endpoints from `.trapheus/local.json`. Every way this can go wrong names the file, the cause
 * and the fix; a file left behind by a stack that is gone is removed.
 */
export const readLocalInfo = (cwd: string): LocalStackInfo => {
  const file = LOCAL_INFO_FILE(cwd);
  if (!existsSync(file)) {
    throw new CliError(`no local stack found (${file} is missing): ${START_HINT}`, EXIT.UNAVAILABLE);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new CliError(
      `${file} is not valid JSON (${(err as Error).message}): it is written by \`npx trapheus local up\`; ` +
        `delete it (rm ${file}) and start the stack again`,
      EXIT.UNAVAILABLE,
    );
  }
  const parsed = localStackInfoSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') || '(the whole file)';
    throw new CliError(
      `${file} is damaged (field ${field}: ${issue?.message}): it is written by \`npx trapheus local up\`; ` +
        `delete it (rm ${file}) and start the stack again`,
      EXIT.UNAVAILABLE,
    );
  }
  const info = parsed.data;
  if (info.pid && !isAlive(info.pid)) {
    rmSync(file, { force: true });
    throw new CliError(
      `the local stack (pid ${info.pid}) is not running any more (its ${file} was left behind and is now removed): ${START_HINT}`,
      EXIT.UNAVAILABLE,
    );
  }
  return info;
};

/** Resolves when host:port accepts a TCP connection, rejects after `timeoutMs`. */
const answers = (url: string, timeoutMs: number): Promise<boolean> =>
  new Promise((resolve) => {
    const { hostname, port, protocol } = new URL(url);
    const socket = connect({ host: hostname, port: Number(port || (protocol === 'https:' ? 443 : 80)) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });

/**
 * The local stack's info, after checking that each of its endpoints accepts connections: a stack whose process
 * lives on but stopped answering (or a pid reused by another process) is reported, not met with "fetch failed".
 */
export const readLiveLocalInfo = async (cwd: string, timeoutMs = 1500): Promise<LocalStackInfo> => {
  const info = readLocalInfo(cwd);
  const entries = Object.entries(info.endpoints);
  const results = await Promise.all(entries.map(([, url]) => answers(url, timeoutMs)));
  const dead = entries.filter((_, i) => !results[i]);
  if (dead.length) {
    const which = dead.map(([name, url]) => `${name} at ${url}`).join(', ');
    const external = info.rdsExternal && dead.some(([name]) => name === 'rds');
    throw new CliError(
      `the local stack in ${LOCAL_INFO_FILE(cwd)} is not answering (${which})` +
        (external
          ? ': the external RDS endpoint given to `local up --rds-endpoint` is down; start it again'
          : `: stop whatever is left of it${info.pid ? ` (pid ${info.pid})` : ''} and ${START_HINT}`),
      EXIT.UNAVAILABLE,
    );
  }
  return info;
};

/** Environment that points the SDK v3 clients at a local stack. */
export const localEnv = (info: LocalStackInfo): NodeJS.ProcessEnv => ({
  AWS_REGION: info.region,
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  AWS_ENDPOINT_URL_RDS: info.endpoints.rds,
  AWS_ENDPOINT_URL_DYNAMODB: info.endpoints.dynamodb,
  AWS_ENDPOINT_URL_EVENTBRIDGE: info.endpoints.bus,
  AWS_ENDPOINT_URL_SQS: info.endpoints.bus,
  AWS_ENDPOINT_URL_SSM: info.endpoints.bus,
  AWS_ENDPOINT_URL_SESV2: info.endpoints.ses,
});

/** The flags that select a target, as a user would type them. */
export const targetFlags = (opts: { local?: boolean; stage?: string }): string =>
  opts.local ? '--local' : `--stage ${opts.stage ?? 'dev'}`;

export const resolveTarget = async (opts: {
  local: boolean;
  stage?: string;
  cwd: string;
}): Promise<Target> => {
  if (opts.local) {
    const info = await readLiveLocalInfo(opts.cwd);
    return {
      local: true,
      region: info.region,
      busName: info.busName,
      runsTable: info.runsTable,
      env: { ...process.env, ...localEnv(info) },
      flags: targetFlags(opts),
      info,
    };
  }
  const stage = opts.stage ?? 'dev';
  return {
    local: false,
    region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    busName: `trapheus-${stage}`,
    runsTable: `trapheus-runs-${stage}`,
    env: process.env,
    flags: targetFlags({ stage }),
  };
};

/** The target of a local stack running in this process (the demo, tests, benchmarks). */
export const targetForStack = (stack: {
  region: string;
  busName: string;
  runsTable: string;
  env: Record<string, string>;
}): Target => ({
  local: true,
  region: stack.region,
  busName: stack.busName,
  runsTable: stack.runsTable,
  env: { ...process.env, ...stack.env },
  flags: '--local',
});
