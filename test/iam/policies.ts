/**
 * Each function's role policy as the packaged CloudFormation template will have it, built from the services'
 * serverless.yml files: what serverless-iam-roles-per-function writes for a function with iamRoleStatements
 * (the log statement first, then the SQS event-source statement, then the function's own statements), with
 * `${param:…}`, `${sls:stage}`, Fn::Sub, Fn::GetAtt and Ref resolved for the fixed local account and Region.
 * scripts/check-packaged-iam.ts compares this with the packaged templates.
 */
import { LOCAL_AWS, loadProject } from '@trapheus/local';

export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string[];
  Resource: string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface FunctionPolicy {
  /** deployed name */
  functionName: string;
  service: string;
  key: string;
  statements: Statement[];
}

const list = (v: unknown): string[] =>
  Array.isArray(v) ? v.map(String) : v === undefined ? [] : [String(v)];

/** Action/Resource as arrays, condition values as given: the shape both sides are compared in. */
export function normalizeStatement(s: Record<string, unknown>): Statement {
  return {
    Effect: (s.Effect as 'Allow' | 'Deny') ?? 'Allow',
    Action: list(s.Action),
    Resource: list(s.Resource),
    ...(s.Condition ? { Condition: s.Condition as Statement['Condition'] } : {}),
  };
}

export function functionPolicies(
  rootDir: string,
  opts: { stage?: string; params?: Record<string, string> } = {},
): Map<string, FunctionPolicy> {
  const { region, accountId } = LOCAL_AWS;
  const model = loadProject(rootDir, {
    stage: opts.stage ?? 'local',
    region,
    accountId,
    env: { ...process.env },
    ...(opts.params ? { params: opts.params } : {}),
  });
  const out = new Map<string, FunctionPolicy>();
  for (const s of model.services) {
    for (const f of s.functions) {
      const statements: Statement[] = [
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:CreateLogGroup', 'logs:PutLogEvents'],
          Resource: [`arn:aws:logs:${region}:${accountId}:log-group:/aws/lambda/${f.name}:*:*`],
        },
      ];
      const queues = f.sqs.map((e) => e.queueArn);
      if (queues.length) {
        statements.push({
          Effect: 'Allow',
          Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
          Resource: queues,
        });
      }
      statements.push(...f.iamRoleStatements.map(normalizeStatement));
      out.set(f.name, { functionName: f.name, service: s.name, key: f.key, statements });
    }
  }
  return out;
}
