#!/usr/bin/env node
// Packages every service offline (no AWS account) with the same params compose would pass, then lints the
// generated CloudFormation with cfn-lint when it is installed (errors fail; warnings are printed).
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const stage = process.env.STAGE ?? 'dev';
const region = 'us-east-1';
const account = '000000000000';
const upstream = {
  eventBusName: `trapheus-${stage}`,
  eventBusArn: `arn:aws:events:${region}:${account}:event-bus/trapheus-${stage}`,
  runsTableName: `trapheus-runs-${stage}`,
  runsTableArn: `arn:aws:dynamodb:${region}:${account}:table/trapheus-runs-${stage}`,
};
const params = {
  snapshot: {},
  restore: upstream,
  cleanup: upstream,
  notify: { eventBusName: upstream.eventBusName, eventBusArn: upstream.eventBusArn },
};
// The RDS event-subscription mode (rdsSignals=subscription) builds other resources: package and lint it too.
const variants = [
  ...Object.entries(params).map(([service, p]) => ({ service, p, label: service, key: service })),
  ...['snapshot', 'restore', 'cleanup'].map((service) => ({
    service,
    p: { ...params[service], rdsSignals: 'subscription' },
    label: `${service} (rdsSignals=subscription)`,
    key: `${service}-subscription`,
  })),
];

// serverless-esbuild leaves temp folders behind: keep them inside the project, and remove them after.
const tmp = join(root, '.tmp', 'package');
mkdirSync(tmp, { recursive: true });
const env = {
  ...process.env,
  TMPDIR: tmp,
  SLS_TELEMETRY_DISABLED: '1',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};
const serverless = join(root, 'node_modules', '.bin', 'serverless');
const hasCfnLint = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' }).status === 0;
let failed = false;

// Each variant's template is kept for scripts/check-packaged-iam.ts (the IAM check's policies as packaged).
const packaged = join(root, '.tmp', 'packaged');
rmSync(packaged, { recursive: true, force: true });
mkdirSync(packaged, { recursive: true });

for (const { service, p, label, key } of variants) {
  const cwd = join(root, 'services', service);
  const args = [
    'package',
    '--stage',
    stage,
    '--region',
    region,
    ...Object.entries(p).map(([k, v]) => `--param=${k}=${v}`),
  ];
  const out = spawnSync(serverless, args, { cwd, env, encoding: 'utf8' });
  if (out.status !== 0) {
    failed = true;
    console.error(`✗ ${label}: serverless package failed\n${out.stdout}\n${out.stderr}`);
    continue;
  }
  const dir = join(cwd, '.serverless');
  copyFileSync(join(dir, 'cloudformation-template-update-stack.json'), join(packaged, `${key}.json`));
  const zips = readdirSync(dir).filter((f) => f.endsWith('.zip'));
  const sizes = zips.map((z) => `${z} ${(statSync(join(dir, z)).size / 1024).toFixed(0)} KiB`).join(', ');
  let lint = 'cfn-lint not installed: skipped';
  if (hasCfnLint) {
    const res = spawnSync('cfn-lint', [join(dir, 'cloudformation-template-update-stack.json')], {
      encoding: 'utf8',
    });
    const errors = (res.stdout.match(/^E\d{4}/gm) ?? []).length;
    const warnings = (res.stdout.match(/^W\d{4}/gm) ?? []).length;
    lint = `cfn-lint: ${errors} errors, ${warnings} warnings`;
    if (errors > 0 || (res.status ?? 0) & 2) {
      failed = true;
      console.error(res.stdout);
    }
  }
  console.log(`✓ ${label}: ${sizes} (${lint})`);
}
rmSync(tmp, { recursive: true, force: true });
process.exit(failed ? 1 : 0);
