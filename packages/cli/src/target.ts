/**
 * Where the CLI sends its calls: AWS (the default; region, credentials and endpoints from the usual AWS
 * variables) or the local stack (`--local`, endpoints from `.trapheus/local.json`, written by `local up`).
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export interface LocalStackInfo {
  stage: string;
  region: string;
  endpoints: { rds: string; bus: string; dynamodb: string; ses: string; slack: string };
  busName: string;
  runsTable: string;
  pid?: number;
}

export interface Target {
  local: boolean;
  region: string;
  busName: string;
  runsTable: string;
  env: NodeJS.ProcessEnv;
  info?: LocalStackInfo;
}

export const LOCAL_INFO_FILE = (cwd: string) => join(cwd, '.trapheus', 'local.json');

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

export const readLocalInfo = (cwd: string): LocalStackInfo => {
  const file = LOCAL_INFO_FILE(cwd);
  if (!existsSync(file)) {
    throw new Error(
      `no local stack found (${file} is missing): start one with \`npx trapheus local up\` (run commands from the repository root)`,
    );
  }
  const info = JSON.parse(readFileSync(file, 'utf8')) as LocalStackInfo;
  if (info.pid && !isAlive(info.pid)) {
    rmSync(file, { force: true });
    throw new Error(
      `the local stack (pid ${info.pid}) is not running any more: start one with \`npx trapheus local up\``,
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

export const resolveTarget = (opts: { local: boolean; stage?: string; cwd: string }): Target => {
  if (opts.local) {
    const info = readLocalInfo(opts.cwd);
    return {
      local: true,
      region: info.region,
      busName: info.busName,
      runsTable: info.runsTable,
      env: { ...process.env, ...localEnv(info) },
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
});
