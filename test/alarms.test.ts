// biome-ignore-all lint/suspicious/noTemplateCurlyInString: serverless.yml and CloudFormation variables, written literally
/**
 * The alarms and the dashboard the deploy ships (README, "Metrics and alarms"), read from the services'
 * serverless.yml files: every dead-letter queue has its alarm, every alarm notifies the alarmTopicArn parameter's
 * topic (and nothing without one), and each alarm on the project's own metrics watches a metric and a dimension set
 * the code really writes (checked against the EMF lines the metrics module produces).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  METRIC,
  METRICS_NAMESPACE,
  recordDeadlineExceeded,
  recordRunOutcome,
  recordWatchdogSweep,
} from '@trapheus/shared';
import { emfLinesOf } from '@trapheus/shared/testing';
import { parse } from 'yaml';

// biome-ignore lint/suspicious/noExplicitAny: parsed YAML is walked by key paths in these tests
type Yaml = Record<string, any>;
const SERVICES = ['snapshot', 'restore', 'cleanup', 'notify'] as const;
const load = (service: string): Yaml =>
  parse(readFileSync(join(__dirname, '..', 'services', service, 'serverless.yml'), 'utf8'));
const resources = (doc: Yaml) => doc.resources.Resources as Record<string, Yaml>;
const ofType = (doc: Yaml, type: string) => Object.entries(resources(doc)).filter(([, r]) => r.Type === type);
const STAGE = '${sls:stage}';

/** The queues a RedrivePolicy names as its dead-letter queue. */
const deadLetterQueues = (doc: Yaml) =>
  ofType(doc, 'AWS::SQS::Queue')
    .map(([, q]) => q.Properties.RedrivePolicy?.deadLetterTargetArn?.['Fn::GetAtt']?.[0])
    .filter((id): id is string => typeof id === 'string');

/** The EMF lines the metrics module writes for what `record` recorded, parsed. */
const emf = (record: () => void): Yaml[] => emfLinesOf(record, STAGE).map((l) => JSON.parse(l));

describe('alarms and dashboard', () => {
  it('every dead-letter queue of every service has an alarm on any visible message', () => {
    let dlqs = 0;
    for (const service of SERVICES) {
      const doc = load(service);
      const alarms = ofType(doc, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
      // Every queue named like a DLQ is one a RedrivePolicy points at (the list below misses none).
      const named = ofType(doc, 'AWS::SQS::Queue')
        .filter(([, q]) => /-dlq-/.test(q.Properties.QueueName))
        .map(([id]) => id);
      expect({ service, dlqs: deadLetterQueues(doc).sort() }).toEqual({ service, dlqs: named.sort() });
      for (const dlq of deadLetterQueues(doc)) {
        dlqs += 1;
        const watching = alarms.filter(
          (a) =>
            a.Namespace === 'AWS/SQS' &&
            a.Dimensions?.some(
              (d: Yaml) =>
                d.Name === 'QueueName' && d.Value?.['Fn::GetAtt']?.join('.') === `${dlq}.QueueName`,
            ),
        );
        expect({ service, dlq, alarms: watching.length }).toEqual({ service, dlq, alarms: 1 });
        expect(watching[0]).toMatchObject({
          MetricName: 'ApproximateNumberOfMessagesVisible',
          Statistic: 'Maximum',
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
          TreatMissingData: 'notBreaching',
        });
        expect(watching[0].Dimensions).toHaveLength(1);
      }
    }
    // snapshot, restore and cleanup: one each; notify: e-mail, Slack fan-out and Slack delivery.
    expect(dlqs).toBe(6);
  });

  it('every alarm notifies the alarmTopicArn parameter’s topic, and has no action when it is empty', () => {
    for (const service of SERVICES) {
      const doc = load(service);
      // The deploy parameter (empty by default) is the CloudFormation parameter's default.
      expect(doc.params.default.alarmTopicArn).toBe("${env:TRAPHEUS_ALARM_TOPIC_ARN, ''}");
      expect(doc.resources.Parameters.AlarmTopicArn).toMatchObject({
        Type: 'String',
        Default: '${param:alarmTopicArn}',
      });
      const pattern = new RegExp(doc.resources.Parameters.AlarmTopicArn.AllowedPattern);
      expect(pattern.test('')).toBe(true);
      expect(pattern.test('arn:aws:sns:eu-west-1:123456789012:trapheus-alarms')).toBe(true);
      expect(pattern.test('trapheus-alarms')).toBe(false);
      expect(doc.resources.Conditions.HasAlarmTopic).toEqual({
        'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'AlarmTopicArn' }, ''] }],
      });
      const alarms = ofType(doc, 'AWS::CloudWatch::Alarm');
      expect(alarms.length).toBeGreaterThan(0);
      for (const [id, alarm] of alarms) {
        expect({ service, id, actions: alarm.Properties.AlarmActions }).toEqual({
          service,
          id,
          actions: { 'Fn::If': ['HasAlarmTopic', [{ Ref: 'AlarmTopicArn' }], { Ref: 'AWS::NoValue' }] },
        });
        expect(alarm.Properties.AlarmName).toMatch(/^trapheus-\$\{sls:stage\}-[a-z-]+$/);
      }
    }
  });

  it('each alarm on the project’s metrics watches a metric and dimension set the code writes, with its values', () => {
    const snapshot = load('snapshot');
    const alarms = Object.fromEntries(
      ofType(snapshot, 'AWS::CloudWatch::Alarm')
        .filter(([, a]) => a.Properties.Namespace === METRICS_NAMESPACE)
        .map(([id, a]) => [id, a.Properties]),
    );
    const written: Record<string, Yaml[]> = {
      RunFailedAlarm: emf(() =>
        recordRunOutcome({ runId: 'r', step: 'FAILED', task: 'create_snapshot', kind: 'instance' }),
      ),
      RunCleanupFailedAlarm: emf(() =>
        recordRunOutcome({ runId: 'r', step: 'CLEANUP_FAILED', task: 'db_restore', kind: 'cluster' }),
      ),
      StepDeadlineExceededAlarm: emf(() => recordDeadlineExceeded({ runId: 'r', step: 'RESTORING' })),
      StalledRunsAlarm: emf(() => recordWatchdogSweep({ stalledRuns: 1, stalledExports: 0 })),
    };
    expect(Object.keys(alarms).sort()).toEqual(Object.keys(written).sort());
    expect(alarms.RunFailedAlarm.MetricName).toBe(METRIC.runOutcome);
    expect(alarms.RunCleanupFailedAlarm.MetricName).toBe(METRIC.runOutcome);
    expect(alarms.StepDeadlineExceededAlarm.MetricName).toBe(METRIC.stepDeadlineExceeded);
    expect(alarms.StalledRunsAlarm.MetricName).toBe(METRIC.stalledRunsFound);
    for (const [id, alarm] of Object.entries(alarms)) {
      const [line] = written[id]!;
      const directive = line!._aws.CloudWatchMetrics[0];
      expect(directive.Namespace).toBe(alarm.Namespace);
      expect(directive.Metrics.map((m: Yaml) => m.Name)).toContain(alarm.MetricName);
      // The alarm's dimensions are exactly one of the line's dimension sets, with the line's values: an alarm watches
      // one time series, the one CloudWatch extracts for that set.
      const names = alarm.Dimensions.map((d: Yaml) => d.Name).sort();
      expect(directive.Dimensions.map((set: string[]) => [...set].sort())).toContainEqual(names);
      for (const d of alarm.Dimensions)
        expect({ id, [d.Name]: line![d.Name] }).toEqual({ id, [d.Name]: d.Value });
      expect(alarm).toMatchObject({
        Statistic: 'Sum',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
      });
    }
  });

  it('the deploy has one dashboard (the snapshot service’s): every metric, every DLQ, every alarm', () => {
    const dashboards = SERVICES.flatMap((s) => ofType(load(s), 'AWS::CloudWatch::Dashboard').map(() => s));
    expect(dashboards).toEqual(['snapshot']);
    const [[, dashboard]] = ofType(load('snapshot'), 'AWS::CloudWatch::Dashboard') as [[string, Yaml]];
    const body = JSON.parse(dashboard.Properties.DashboardBody['Fn::Sub']);
    const text = JSON.stringify(body);
    for (const name of Object.values(METRIC))
      expect({ name, shown: text.includes(name) }).toEqual({ name, shown: true });
    const widgets = body.widgets as Yaml[];
    const dlqWidget = widgets.find((w) => w.properties.title === 'Messages in the dead-letter queues')!;
    const shownQueues = dlqWidget.properties.metrics.map((m: unknown[]) => m[3]).sort();
    const alarmNames: string[] = [];
    const queueNames: string[] = [];
    for (const service of SERVICES) {
      const doc = load(service);
      for (const dlq of deadLetterQueues(doc)) queueNames.push(resources(doc)[dlq]!.Properties.QueueName);
      for (const [, a] of ofType(doc, 'AWS::CloudWatch::Alarm')) alarmNames.push(a.Properties.AlarmName);
    }
    expect(shownQueues).toEqual(queueNames.sort());
    const alarmWidget = widgets.find((w) => w.type === 'alarm')!;
    expect(alarmWidget.properties.alarms.map((arn: string) => arn.split(':alarm:')[1]).sort()).toEqual(
      alarmNames.sort(),
    );
    // Custom metrics of this stage only.
    for (const w of widgets.filter((x) => x.type === 'metric')) {
      for (const m of w.properties.metrics) {
        const expr = m[0]?.expression as string | undefined;
        if (expr) expect(expr).toContain(`Stage=\\"${STAGE}\\"`.replace(/\\/g, ''));
        else if (m[0] === METRICS_NAMESPACE) expect(m.slice(2, 4)).toEqual(['Stage', STAGE]);
      }
    }
  });

  it('every function writes its metrics in namespace Trapheus, with its stage', () => {
    for (const service of SERVICES) {
      expect(load(service).provider.environment).toMatchObject({
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        TRAPHEUS_STAGE: STAGE,
      });
    }
  });
});
