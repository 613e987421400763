/**
 * The services' serverless.yml files against the contracts: rule patterns and step ownership cannot drift
 * from the code, every consumer has a DLQ and partial batch responses, IAM has no wildcard actions, and the
 * generated names stay under AWS's 64-character limit.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  RestoreRequested,
  RestoreVerified,
  RestoreVerifying,
  rulePatternsFor,
  SERVICES,
  serviceFor,
} from '@trapheus/shared';
import { parse } from 'yaml';

// biome-ignore lint/suspicious/noExplicitAny: parsed YAML is walked by key paths in these tests
type Yaml = Record<string, any>;
const load = (service: string): Yaml =>
  parse(readFileSync(join(__dirname, '..', 'services', service, 'serverless.yml'), 'utf8'));
const resourcesOf = (doc: Yaml) => Object.entries(doc.resources.Resources as Record<string, Yaml>);
const rulesOf = (doc: Yaml) => resourcesOf(doc).filter(([, r]) => r.Type === 'AWS::Events::Rule');
const projectRules = (doc: Yaml) =>
  rulesOf(doc)
    .map(([, r]) => r.Properties.EventPattern)
    .filter((p) => p.source?.[0] === 'trapheus');
/** The detail-type → steps a service's project-bus rules let through (`*` = any step). */
const routed = (doc: Yaml) => {
  const out: Record<string, string[]> = {};
  for (const pattern of projectRules(doc)) {
    for (const branch of pattern.$or ?? [pattern]) {
      for (const dt of branch['detail-type']) out[dt] = branch.detail?.step ?? ['*'];
    }
  }
  return out;
};

describe('serverless.yml wiring', () => {
  // The expected patterns come from the pipeline table (packages/shared/src/pipeline.ts): a rule, the table and a
  // contract cannot disagree. A failure prints what the rule must say.
  it.each(SERVICES)(
    '%s: the project-bus rule takes its hand-offs and RunStalled for exactly its steps',
    (service) => {
      const expected = rulePatternsFor(service);
      const got = routed(load(service));

      expect({ service, stalled: [...(got.RunStalled ?? [])].sort() }).toEqual({
        service,
        stalled: [...expected.stalledSteps].sort(),
      });
      const chain = Object.keys(got).filter((dt) => dt !== 'RunStalled' && dt !== 'RestoreRequested');
      // Hand-offs, and answers from outside a step waits for (RestoreVerified), each for any step.
      expect({ service, handoffs: chain.sort() }).toEqual({
        service,
        handoffs: [...expected.handoffs, ...expected.answers].sort(),
      });
      for (const dt of [...expected.handoffs, ...expected.answers]) expect(got[dt]).toEqual(['*']);
    },
  );

  it('hook answers (RestoreVerified) go to the restore service, which owns VERIFYING', () => {
    expect(routed(load('restore')).RestoreVerified).toEqual(['*']);
    expect(serviceFor(RestoreVerified.detailType)).toBe('restore');
    expect(serviceFor(RestoreVerifying.detailType)).toBeUndefined();
  });

  it('the public RestoreRequested goes to the snapshot service (the one intake)', () => {
    expect(routed(load('snapshot')).RestoreRequested).toEqual(['*']);
    expect(serviceFor(RestoreRequested.detailType)).toBe('snapshot');
  });

  it.each(SERVICES)(
    '%s: the RDS rule on the default bus is exactly the events its steps wait for',
    (service) => {
      const rules = rulesOf(load(service))
        .map(([, r]) => r.Properties)
        .filter((p) => p.EventPattern.source?.[0] === 'aws.rds');
      expect(rules).toHaveLength(1);
      const rule = rules[0]!;
      const expected = rulePatternsFor(service).rds;

      expect(rule.EventBusName).toBe('default');
      expect({
        service,
        'detail-type': [...rule.EventPattern['detail-type']].sort(),
        EventID: [...rule.EventPattern.detail.EventID].sort(),
      }).toEqual({ service, 'detail-type': expected['detail-type'], EventID: expected.detail.EventID });
    },
  );

  it('every SQS consumer reports batch item failures and its queue has a DLQ', () => {
    for (const service of SERVICES) {
      const doc = load(service);
      const resources = doc.resources.Resources as Record<string, Yaml>;
      for (const fn of Object.values(doc.functions as Record<string, Yaml>)) {
        for (const event of fn.events ?? []) {
          if (!event.sqs) continue;
          expect(event.sqs.functionResponseType).toBe('ReportBatchItemFailures');
          const queue = resources[event.sqs.arn['Fn::GetAtt'][0]];
          expect(queue?.Properties.RedrivePolicy.maxReceiveCount).toBeGreaterThan(1);
          // Lambda's guidance: visibility timeout at least 6× the function timeout.
          expect(queue?.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(
            6 * (fn.timeout ?? doc.provider.timeout),
          );
        }
      }
    }
  });

  it('IAM statements name their actions (no wildcard action) and DeleteDBInstance needs a run tag', () => {
    for (const service of SERVICES) {
      const statements = Object.values(load(service).functions as Record<string, Yaml>).flatMap(
        (fn) => fn.iamRoleStatements ?? [],
      );
      for (const s of statements) {
        for (const action of [s.Action].flat()) expect(action).not.toMatch(/\*/);
        // A statement naming only cluster-snapshot ARNs (DeleteDBCluster's second resource) deletes nothing.
        const onDatabases = [s.Resource]
          .flat()
          .some((r: Yaml) => /:(db|cluster):/.test(String(r['Fn::Sub'] ?? r)));
        if (
          onDatabases &&
          [s.Action].flat().some((a) => a === 'rds:DeleteDBInstance' || a === 'rds:DeleteDBCluster')
        ) {
          const tag = Object.keys(s.Condition.StringLike)[0];
          expect(tag).toMatch(/^aws:ResourceTag\/trapheus:(run-id|restored-by)$/);
          // The original carries the run tag while it is renamed: it may only be deleted under a temp name.
          if (tag === 'aws:ResourceTag/trapheus:run-id') {
            for (const r of [s.Resource].flat()) expect(r['Fn::Sub']).toMatch(/:(db|cluster):\*-tr-\*$/);
          }
        }
      }
    }
  });

  it('cluster creation failures (RDS-EVENT-0354) reach restore and cleanup', () => {
    for (const service of ['restore', 'cleanup']) {
      const rule = load(service).resources.Resources.RdsEventsRule;
      expect(rule.Properties.EventPattern.detail.EventID).toContain('RDS-EVENT-0354');
    }
  });

  it('each queue accepts EventBridge messages only from the rules that target it (aws:SourceArn)', () => {
    for (const service of [...SERVICES, 'notify']) {
      const resources = load(service).resources.Resources as Record<string, Yaml>;
      for (const [, policy] of Object.entries(resources).filter(
        ([, r]) => r.Type === 'AWS::SQS::QueuePolicy',
      )) {
        const stmt = policy.Properties.PolicyDocument.Statement.find(
          (st: Yaml) => st.Principal?.Service === 'events.amazonaws.com',
        );
        const arns = [stmt.Condition.ArnEquals['aws:SourceArn']].flat();
        const named = arns.map((a: Yaml) => (a['Fn::If'] ? a['Fn::If'][1] : a)['Fn::GetAtt'][0]).sort();
        const queues = [policy.Properties.Queues].flat().map((q: Yaml) => q.Ref);
        const targeting = rulesOf(load(service))
          .filter(([, r]) => r.Properties.Targets.some((t: Yaml) => queues.includes(t.Arn['Fn::GetAtt'][0])))
          .map(([id]) => id)
          .sort();
        expect({ service, named }).toEqual({ service, named: targeting });
        for (const a of arns.filter((x: Yaml) => x['Fn::If'])) {
          const rule = a['Fn::If'][1]['Fn::GetAtt'][0];
          expect(a['Fn::If'][0]).toBe(resources[rule]!.Condition);
        }
      }
    }
  });

  it('RDS event subscriptions name one source type each', () => {
    const expected: Record<string, string[]> = {
      snapshot: ['db-cluster-snapshot', 'db-snapshot'],
      restore: ['db-cluster', 'db-instance'],
      cleanup: ['db-cluster', 'db-instance'],
    };
    for (const service of SERVICES) {
      const subs = resourcesOf(load(service)).filter(([, r]) => r.Type === 'AWS::RDS::EventSubscription');
      for (const [, r] of subs) {
        expect(r.Condition).toBe('UseSubscription');
        expect(r.Properties.EventCategories.length).toBeGreaterThan(0);
      }
      expect(subs.map(([, r]) => r.Properties.SourceType).sort()).toEqual(expected[service]);
    }
  });

  it('the runs table survives `serverless remove`', () => {
    const table = load('snapshot').resources.Resources.RunsTable;
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.UpdateReplacePolicy).toBe('Retain');
    expect(table.Properties.DeletionProtectionEnabled).toBe(true);
  });

  it('the AWS SDK is bundled (no @aws-sdk exclude)', () => {
    for (const service of [...SERVICES, 'notify']) {
      expect(JSON.stringify(load(service).custom.esbuild.exclude ?? [])).not.toContain('@aws-sdk');
    }
  });

  it("every package takes the shared esbuild plugins (credentials from Lambda's environment)", () => {
    for (const service of [...SERVICES, 'notify']) {
      const plugins = load(service).custom.esbuild.plugins;
      expect(resolve(__dirname, '..', 'services', service, plugins)).toBe(
        join(__dirname, '..', 'packages', 'shared', 'esbuild-plugins.cjs'),
      );
    }
  });

  it('function and per-function role names stay within 64 characters for a 10-character stage', () => {
    const stage = 'production';
    const region = 'ap-southeast-2';
    for (const service of SERVICES) {
      const doc = load(service);
      for (const fn of Object.keys(doc.functions)) {
        expect(`${doc.service}-${stage}-${fn}`.length).toBeLessThanOrEqual(64);
        // serverless-iam-roles-per-function: <service>-<stage>-<fn>-<region>-lambdaRole, truncated by the
        // plugin only above 64, which would make names collide: keep them short enough not to need it.
        expect(`${doc.service}-${stage}-${fn}-${region}-lambdaRole`.length).toBeLessThanOrEqual(64);
      }
    }
  });
});
