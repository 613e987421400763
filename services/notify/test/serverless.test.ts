// biome-ignore-all lint/suspicious/noTemplateCurlyInString: CloudFormation and Serverless variables, not templates
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { OUTCOME_DETAIL_TYPES } from '../src/outcome';

// biome-ignore lint/suspicious/noExplicitAny: a parsed YAML document
type Yaml = Record<string, any>;
const text = readFileSync(join(__dirname, '..', 'serverless.yml'), 'utf8');
const doc = parse(text) as Yaml;
const resources = doc.resources.Resources as Record<string, Yaml>;

describe('notify serverless.yml', () => {
  it('routes the outcome contracts from the project bus to an e-mail queue and a Slack queue', () => {
    const rule = resources.RunOutcomesRule!.Properties;

    expect(rule.EventBusName).toBe('${param:eventBusName}');
    expect(rule.EventPattern).toEqual({ source: ['trapheus'], 'detail-type': [...OUTCOME_DETAIL_TYPES] });
    expect(rule.Targets.map((t: Yaml) => t.Arn['Fn::GetAtt'][0])).toEqual(['EmailQueue', 'SlackQueue']);
  });

  it('gives every consumer its own queue with a DLQ, partial batch responses and a long enough visibility timeout', () => {
    const queues = Object.values(doc.functions as Record<string, Yaml>).map((fn) => {
      const sqs = fn.events[0].sqs;
      expect(sqs.functionResponseType).toBe('ReportBatchItemFailures');
      const queue = resources[sqs.arn['Fn::GetAtt'][0]]!.Properties;
      expect(queue.RedrivePolicy.maxReceiveCount).toBeGreaterThan(1);
      expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(6 * (fn.timeout ?? doc.provider.timeout));
      return [sqs.arn['Fn::GetAtt'][0], queue.RedrivePolicy.deadLetterTargetArn['Fn::GetAtt'][0]];
    });

    expect(queues).toEqual([
      ['EmailQueue', 'EmailDeadLetterQueue'],
      ['SlackQueue', 'SlackDeadLetterQueue'],
      ['SlackDeliveryQueue', 'SlackDeliveryDeadLetterQueue'],
    ]);
  });

  it('grants named actions only, SES on identities, SSM on the one parameter and KMS through SSM only', () => {
    const statements = Object.values(doc.functions as Record<string, Yaml>).flatMap(
      (fn) => fn.iamRoleStatements,
    );
    for (const s of statements) for (const action of [s.Action].flat()) expect(action).not.toMatch(/\*/);
    const byAction = (a: string) => statements.filter((s) => [s.Action].flat().includes(a));

    expect(byAction('ses:SendEmail').map((s) => s.Resource)).toEqual([
      [{ 'Fn::Sub': 'arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/*' }],
    ]);
    for (const s of byAction('ssm:GetParameter')) {
      expect(s.Resource).toEqual([
        {
          'Fn::Sub':
            'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${param:slackWebhooksParameter}',
        },
      ]);
    }
    for (const s of byAction('kms:Decrypt')) {
      expect(s.Condition).toEqual({
        StringEquals: { 'kms:ViaService': { 'Fn::Sub': 'ssm.${AWS::Region}.amazonaws.com' } },
      });
    }
    expect(doc.provider.environment).not.toHaveProperty('SLACK_WEBHOOKS');
  });

  it('keeps function and role names within 64 characters for a 10-character stage', () => {
    for (const fn of Object.keys(doc.functions)) {
      expect(`${doc.service}-production-${fn}`.length).toBeLessThanOrEqual(64);
      expect(`${doc.service}-production-${fn}-ap-southeast-2-lambdaRole`.length).toBeLessThanOrEqual(64);
    }
  });

  it('uses only the variable sources the local runner understands', () => {
    const sources = [...text.matchAll(/\$\{([a-z]+):/g)].map((m) => m[1]);

    expect(new Set(sources)).toEqual(new Set(['param', 'sls', 'opt', 'env']));
    expect(doc.params.default).toMatchObject({
      notifyOnSuccess: 'false',
      emailFrom: '',
      emailTo: '',
      slackWebhooksParameter: '/trapheus/${sls:stage}/slack-webhooks',
    });
  });
});
