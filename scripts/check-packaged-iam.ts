/**
 * After `npm run package`: each packaged template's per-function role policy must equal the policy the IAM
 * check (test/iam/policies.ts) evaluated, so "as packaged" holds. Reads the templates package-all.mjs keeps in
 * .tmp/packaged/<service>[-subscription].json (stage dev, account 000000000000, us-east-1), resolves the
 * intrinsics in the role statements, and compares statement by statement. Exit 1 on any difference.
 *
 *   npx tsx scripts/check-packaged-iam.ts
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOCAL_AWS } from '@trapheus/local';
import { functionPolicies, normalizeStatement, type Statement } from '../test/iam/policies';

const ROOT = join(__dirname, '..');
const DIR = join(ROOT, '.tmp', 'packaged');
const { region, accountId } = LOCAL_AWS;

type Json = Record<string, unknown>;
interface Template {
  Resources: Record<string, { Type: string; Properties?: Json; Condition?: string }>;
  Conditions?: Record<string, unknown>;
}

/**
 * The intrinsics role statements use, over the packaged template. A resource without an explicit name gets the
 * name CloudFormation's pattern starts with, `<stack>-<logical id>`, as the IAM check's local model names it (the
 * random suffix CloudFormation adds is not known before deploy; both sides leave it out).
 */
function resolver(t: Template, params: Record<string, string>, stackName: string) {
  const res = t.Resources;
  const pseudo: Record<string, string> = {
    'AWS::Region': region,
    'AWS::AccountId': accountId,
    'AWS::Partition': 'aws',
    'AWS::URLSuffix': 'amazonaws.com',
  };
  const arnOf = (id: string): string => {
    const r = res[id];
    if (!r) throw new Error(`GetAtt of unknown resource ${id}`);
    const p = (r.Properties ?? {}) as Json;
    switch (r.Type) {
      case 'AWS::SQS::Queue':
        return `arn:aws:sqs:${region}:${accountId}:${p.QueueName}`;
      case 'AWS::DynamoDB::Table':
        return `arn:aws:dynamodb:${region}:${accountId}:table/${p.TableName}`;
      case 'AWS::Events::EventBus':
        return `arn:aws:events:${region}:${accountId}:event-bus/${p.Name}`;
      case 'AWS::SNS::Topic':
        return `arn:aws:sns:${region}:${accountId}:${p.TopicName}`;
      case 'AWS::IAM::Role':
        return `arn:aws:iam::${accountId}:role/${p.RoleName ?? `${stackName}-${id}`}`;
      default:
        throw new Error(`GetAtt ${id}.Arn of ${r.Type} is not supported here`);
    }
  };
  const condition = (name: string): boolean => {
    const c = t.Conditions?.[name] as Json | undefined;
    if (!c) throw new Error(`unknown condition ${name}`);
    const [a, b] = (c['Fn::Equals'] as unknown[]).map((v) => evaluate(v));
    return a === b;
  };
  const evaluate = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(evaluate).filter((x) => x !== NO_VALUE);
    if (!v || typeof v !== 'object') return v;
    const o = v as Json;
    const [k] = Object.keys(o);
    if (Object.keys(o).length === 1 && k) {
      const arg = o[k];
      if (k === 'Ref')
        return arg === 'AWS::NoValue' ? NO_VALUE : (pseudo[String(arg)] ?? params[String(arg)]);
      if (k === 'Fn::GetAtt') {
        const [id, attr] = Array.isArray(arg) ? (arg as string[]) : String(arg).split('.');
        if (attr !== 'Arn') throw new Error(`GetAtt ${id}.${attr} is not supported here`);
        return arnOf(String(id));
      }
      if (k === 'Fn::Sub')
        return String(Array.isArray(arg) ? arg[0] : arg).replace(/\$\{([^}]+)\}/g, (_m, name: string) =>
          name.includes('.') && !name.startsWith('AWS::')
            ? arnOf(name.split('.')[0] ?? name)
            : name in pseudo
              ? String(pseudo[name])
              : res[name]
                ? `${stackName}-${name}`
                : String(params[name]),
        );
      if (k === 'Fn::Join') {
        const [d, list] = arg as [string, unknown[]];
        return (evaluate(list) as unknown[]).join(d);
      }
      if (k === 'Fn::If') {
        const [c, a, b] = arg as [string, unknown, unknown];
        return evaluate(condition(c) ? a : b);
      }
      if (k === 'Fn::Split') {
        const [d, s] = arg as [string, unknown];
        return String(evaluate(s)).split(d);
      }
    }
    return Object.fromEntries(Object.entries(o).map(([kk, vv]) => [kk, evaluate(vv)]));
  };
  return evaluate;
}
const NO_VALUE = Symbol('NoValue');

const failures: string[] = [];
let compared = 0;
if (!existsSync(DIR)) {
  console.error(`✗ ${DIR} is missing: run \`npm run package\` first`);
  process.exit(1);
}
for (const file of readdirSync(DIR).filter((f) => f.endsWith('.json'))) {
  const variant = file.replace(/\.json$/, '');
  const rdsSignals = variant.endsWith('-subscription') ? 'subscription' : 'eventbridge';
  const t = JSON.parse(readFileSync(join(DIR, file), 'utf8')) as Template;
  const service = variant.replace(/-subscription$/, '');
  const evaluate = resolver(t, {}, `trapheus-${service}-dev`);
  const expected = functionPolicies(ROOT, { stage: 'dev', params: { rdsSignals } });
  for (const [, r] of Object.entries(t.Resources)) {
    if (r.Type !== 'AWS::Lambda::Function') continue;
    const p = r.Properties ?? {};
    const fnName = String(p.FunctionName);
    const roleId = ((p.Role as Json)['Fn::GetAtt'] as string[])[0] ?? '';
    const role = t.Resources[roleId];
    const doc = ((role?.Properties?.Policies as Json[] | undefined)?.[0]?.PolicyDocument ?? {}) as Json;
    const packaged = (evaluate(doc.Statement) as Json[]).map(normalizeStatement);
    const want = expected.get(fnName)?.statements;
    compared++;
    if (!want) {
      failures.push(`${variant}: ${fnName} is packaged but the IAM check has no policy for it`);
      continue;
    }
    const a = JSON.stringify(packaged);
    const b = JSON.stringify(want);
    if (a !== b) {
      const lines: string[] = [];
      const n = Math.max(packaged.length, want.length);
      for (let i = 0; i < n; i++) {
        const x = JSON.stringify(packaged[i] as Statement | undefined);
        const y = JSON.stringify(want[i]);
        if (x !== y) lines.push(`    statement ${i}:\n      packaged: ${x}\n      checked:  ${y}`);
      }
      failures.push(
        `${variant}: ${fnName} role policy differs from what the IAM check evaluated:\n${lines.join('\n')}`,
      );
    }
  }
}
if (failures.length) {
  console.error(`✗ packaged IAM ≠ checked IAM (${failures.length}):\n${failures.join('\n')}`);
  process.exit(1);
}
console.log(
  `✓ packaged role policies equal the IAM check's (${compared} functions across the packaged variants)`,
);
