#!/usr/bin/env node
// Offline check of the sample hook (no AWS account): type-check, `serverless package` with sample params, the
// packaged template's wiring and IAM, the zip's content, and cfn-lint where it is installed (errors fail).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';

const here = join(dirname(new URL(import.meta.url).pathname), '..');
// A copy of this folder has its own node_modules; in the Trapheus repo the tools are in the root one.
const tool = (name) =>
  [here, join(here, '..', '..')]
    .map((dir) => join(dir, 'node_modules', '.bin', name))
    .find((p) => existsSync(p)) ?? name;
const secretArn = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:x-abcdef';
const tmp = join(here, '.tmp');
mkdirSync(tmp, { recursive: true });
const env = { ...process.env, TMPDIR: tmp, SLS_TELEMETRY_DISABLED: '1' };
const problems = [];
const run = (cmd, args) => {
  const out = spawnSync(cmd, args, { cwd: here, env, encoding: 'utf8' });
  if (out.status !== 0) {
    console.error(`✗ ${[cmd, ...args].join(' ')}\n${out.stdout}\n${out.stderr}`);
    process.exit(1);
  }
  return out.stdout;
};

run(tool('tsc'), ['-p', 'tsconfig.json', '--noEmit']);
run(tool('serverless'), [
  'package',
  '--stage=dev',
  '--region=us-east-1',
  '--param=eventBusName=trapheus-dev',
  '--param=subnetIds=subnet-0123456789abcdef0,subnet-0fedcba9876543210',
  '--param=securityGroupIds=sg-0123456789abcdef0',
  `--param=dbSecretArn=${secretArn}`,
]);
rmSync(tmp, { recursive: true, force: true });

const dir = join(here, '.serverless');
const templateFile = join(dir, 'cloudformation-template-update-stack.json');
const { Resources: r } = JSON.parse(readFileSync(templateFile, 'utf8'));
const expect = (ok, what) => ok || problems.push(what);

const rule = r.VerifyingRule?.Properties;
expect(rule?.EventBusName === 'trapheus-dev', 'the rule is on the project bus');
expect(
  JSON.stringify(rule?.EventPattern) ===
    JSON.stringify({
      source: ['trapheus'],
      'detail-type': ['RestoreVerifying'],
      detail: { hooks: ['masking'] },
    }),
  'the rule matches RestoreVerifying for the masking hook only',
);
const fn = r.VerifyLambdaFunction?.Properties;
expect(fn?.Runtime === 'nodejs22.x' && fn?.Architectures?.[0] === 'arm64', 'nodejs22.x on arm64');
expect(
  JSON.stringify(fn?.VpcConfig) ===
    JSON.stringify({
      SecurityGroupIds: { 'Fn::Split': [',', 'sg-0123456789abcdef0'] },
      SubnetIds: { 'Fn::Split': [',', 'subnet-0123456789abcdef0,subnet-0fedcba9876543210'] },
    }),
  'the function runs in the given subnets and security groups',
);
const statements = r.IamRoleLambdaExecution.Properties.Policies.flatMap((p) => p.PolicyDocument.Statement);
const grant = (action) => statements.filter((s) => [s.Action].flat().includes(action));
const put = grant('events:PutEvents');
expect(
  put.length === 1 &&
    JSON.stringify(put[0].Resource) ===
      JSON.stringify([
        {
          // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub, not a template
          'Fn::Sub': 'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/trapheus-dev',
        },
      ]) &&
    put[0].Condition?.StringEquals?.['events:detail-type'] === 'RestoreVerified',
  'events:PutEvents on the bus only, RestoreVerified only',
);
const get = grant('secretsmanager:GetSecretValue');
expect(
  get.length === 1 && JSON.stringify([get[0].Resource].flat()) === JSON.stringify([secretArn]),
  'secretsmanager:GetSecretValue on dbSecretArn only',
);
expect(
  !statements.some((s) => [s.Action].flat().some((a) => a.endsWith('*'))),
  'no wildcard action in the role',
);

// The zip's file names, from its central directory (no unzip needed).
const zip = readFileSync(join(dir, 'trapheus-verify-hook.zip'));
const names = [];
for (let i = zip.length - 46; i >= 0; i--) {
  if (zip.readUInt32LE(i) !== 0x02014b50) continue;
  names.push(zip.toString('utf8', i + 46, i + 46 + zip.readUInt16LE(i + 28)));
}
for (const f of [
  'src/handler.js',
  'sql/postgres/01-mask.sql',
  'sql/postgres/02-smoke.sql',
  'sql/mysql/01-mask.sql',
]) {
  expect(names.includes(f), `the zip holds ${f}`);
}
const hasCa = names.includes('certs/rds-global-bundle.pem');

let lint = 'cfn-lint not installed: skipped';
if (spawnSync('cfn-lint', ['--version']).status === 0) {
  const res = spawnSync('cfn-lint', [templateFile], { encoding: 'utf8' });
  const errors = (res.stdout.match(/^E\d{4}/gm) ?? []).length;
  const warnings = (res.stdout.match(/^W\d{4}/gm) ?? []).length;
  lint = `cfn-lint: ${errors} errors, ${warnings} warnings`;
  if (errors > 0 || (res.status ?? 0) & 2) problems.push(`cfn-lint errors:\n${res.stdout}`);
}

if (problems.length > 0) {
  console.error(`✗ examples/verify-hook:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
const size = (zip.length / 1024).toFixed(0);
console.log(
  `✓ examples/verify-hook: trapheus-verify-hook.zip ${size} KiB, ${names.length} files` +
    `${hasCa ? '' : ' (no certs/rds-global-bundle.pem yet: download it before deploying)'} (${lint})`,
);
