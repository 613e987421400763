import { checkBackBody, nudgeBody, parseSignal } from '../src/signals';
import {
  AUTOMATED_SNAPSHOT_ARN,
  automatedSnapshotCreated,
  INSTANCE_ARN,
  instanceRestoredPrefixed,
  snsEnvelope,
  subscriptionMessage,
} from './fixtures/rds-samples';

const trapheusEvent = (detailType: string, detail: unknown, id = 'b1a2c3d4-0000-4000-8000-000000000001') =>
  JSON.stringify({
    version: '0',
    id,
    'detail-type': detailType,
    source: 'trapheus',
    account: '123456789012',
    time: '2026-03-01T10:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail,
  });

describe('parseSignal', () => {
  it('classifies a RestoreRequested as a request, keeping the raw detail for validation downstream', () => {
    // Prepare
    const detail = { identifier: 'database-1', task: 'create_snapshot', isCluster: false };

    // Act
    const signal = parseSignal(trapheusEvent('RestoreRequested', detail, 'evt-123'));

    // Assess
    expect(signal).toEqual({ kind: 'request', eventId: 'evt-123', detail });
  });

  it('passes an invalid RestoreRequested detail through as a request (it becomes a rejected run)', () => {
    const detail = { identifier: 'orders_db', task: 'nope' };

    expect(parseSignal(trapheusEvent('RestoreRequested', detail, 'evt-9'))).toEqual({
      kind: 'request',
      eventId: 'evt-9',
      detail,
    });
  });

  it.each(['SnapshotReady', 'RestoreCompleted', 'RestoreFailed', 'RunStalled'])(
    'classifies a %s as a run signal with its typed detail',
    (detailType) => {
      const detail = { runId: 'run-0123', identifier: 'orders-db', kind: 'instance', step: 'SNAPSHOT_READY' };

      expect(parseSignal(trapheusEvent(detailType, detail))).toEqual({ kind: 'run', detailType, detail });
    },
  );

  it('reports a run signal with an invalid detail naming the field', () => {
    // Prepare
    const body = trapheusEvent(
      'SnapshotReady',
      { identifier: 'orders-db', kind: 'instance', step: 'LOST' },
      'e-7',
    );

    // Act
    const signal = parseSignal(body);

    // Assess
    expect(signal.kind).toBe('invalid');
    if (signal.kind !== 'invalid') throw new Error('unreachable');
    expect(signal.eventId).toBe('e-7');
    expect(signal.reason).toContain('field "runId"');
    expect(signal.reason).toContain('field "step"');
    expect(signal.reason).not.toContain('field "identifier"');
  });

  it('classifies an EventBridge aws.rds event as an rds signal', () => {
    expect(parseSignal(JSON.stringify(instanceRestoredPrefixed))).toEqual({
      kind: 'rds',
      rds: {
        resourceType: 'db-instance',
        identifier: 'orders-db',
        eventId: 'RDS-EVENT-0043',
        message: 'Restored from snapshot orders-db-snapshot',
        date: '2026-03-01T10:15:41.861Z',
        arn: INSTANCE_ARN,
      },
    });
  });

  it('classifies an automated snapshot event keeping its full id', () => {
    expect(parseSignal(JSON.stringify(automatedSnapshotCreated))).toMatchObject({
      kind: 'rds',
      rds: {
        resourceType: 'db-snapshot',
        identifier: 'rds:orders-db-2026-01-01-00-00',
        arn: AUTOMATED_SNAPSHOT_ARN,
      },
    });
  });

  it('reports an aws.rds event about something that is not a database or snapshot as invalid', () => {
    const body = JSON.stringify({
      ...instanceRestoredPrefixed,
      'detail-type': 'RDS DB Parameter Group Event',
      resources: ['arn:aws:rds:us-east-1:123456789012:pg:default.postgres16'],
      detail: {
        SourceType: 'DB_PARAMETER_GROUP',
        SourceIdentifier: 'default.postgres16',
        EventID: 'RDS-EVENT-0037',
      },
    });

    expect(parseSignal(body)).toEqual({ kind: 'invalid', reason: 'RDS event without a resource' });
  });

  it('classifies an RDS event subscription message delivered through SNS → SQS', () => {
    expect(parseSignal(JSON.stringify(snsEnvelope(subscriptionMessage())))).toEqual({
      kind: 'rds',
      rds: {
        resourceType: 'db-instance',
        identifier: 'orders-db',
        eventId: 'RDS-EVENT-0043',
        message: 'Restored from snapshot orders-db-snapshot',
        date: '2026-03-01 10:15:41.861',
        arn: INSTANCE_ARN,
      },
    });
  });

  it('classifies an RDS event subscription message delivered with SNS raw message delivery', () => {
    expect(parseSignal(JSON.stringify(subscriptionMessage()))).toMatchObject({
      kind: 'rds',
      rds: { resourceType: 'db-instance', identifier: 'orders-db', eventId: 'RDS-EVENT-0043' },
    });
  });

  it('reports the SNS subscription confirmation text as invalid', () => {
    const body = JSON.stringify(
      snsEnvelope(
        'This is a message to notify that RDS will attempt to send you event notifications of type db-instance to the topic arn:aws:sns:us-east-1:123456789012:trapheus-rds-events',
      ),
    );

    expect(parseSignal(body)).toEqual({ kind: 'invalid', reason: 'SNS message is not an RDS event' });
  });

  it('reports an SNS message about something else as invalid', () => {
    const body = JSON.stringify(snsEnvelope({ message: 'hello world', username: 'lessa' }));

    expect(parseSignal(body)).toEqual({ kind: 'invalid', reason: 'SNS message is not an RDS event' });
  });

  it('classifies a check-back body', () => {
    expect(parseSignal(checkBackBody('run-0123', 4))).toEqual({
      kind: 'check-back',
      runId: 'run-0123',
      seq: 4,
    });
    expect(checkBackBody('run-0123', 4)).toBe('{"trapheusCheckBack":{"runId":"run-0123","seq":4}}');
  });

  it('classifies a nudge body, with the RDS event whose look was put off when it carries one', () => {
    expect(nudgeBody('run-0123')).toBe('{"trapheusNudge":{"runId":"run-0123"}}');
    expect(parseSignal(nudgeBody('run-0123'))).toEqual({ kind: 'nudge', runId: 'run-0123' });
    const event = { eventId: 'RDS-EVENT-0043', date: '2026-11-24T10:00:00.000Z' };
    expect(nudgeBody('run-0123', event)).toBe(
      '{"trapheusNudge":{"runId":"run-0123","event":{"eventId":"RDS-EVENT-0043","date":"2026-11-24T10:00:00.000Z"}}}',
    );
    expect(parseSignal(nudgeBody('run-0123', event))).toEqual({ kind: 'nudge', runId: 'run-0123', event });
    const about = { ...event, waitSince: '2026-11-24T09:58:00.000Z' };
    expect(parseSignal(nudgeBody('run-0123', about))).toEqual({
      kind: 'nudge',
      runId: 'run-0123',
      event: about,
    });
    expect(parseSignal(nudgeBody('run-0123', { eventId: 'RDS-EVENT-0043' }))).toEqual({
      kind: 'nudge',
      runId: 'run-0123',
      event: { eventId: 'RDS-EVENT-0043' },
    });
    expect(parseSignal('{"trapheusNudge":{"runId":"run-0123","event":{"eventId":""}}}').kind).toBe('invalid');
  });

  it('reports a body that is not JSON as invalid', () => {
    expect(parseSignal('{"identifier": ')).toEqual({
      kind: 'invalid',
      reason: 'message body is not valid JSON',
    });
  });

  it.each([
    ['an object', '{"identifier":"orders-db","task":"create_snapshot","isCluster":false}'],
    ['an array', '[1,2,3]'],
    ['a number', '42'],
    ['null', 'null'],
    ['a check-back with a negative seq', '{"trapheusCheckBack":{"runId":"run-1","seq":-1}}'],
  ])('reports JSON that is not an EventBridge event (%s) as invalid', (_what, body) => {
    expect(parseSignal(body)).toEqual({ kind: 'invalid', reason: 'message is not an EventBridge event' });
  });

  it('reports an event from an unexpected source as invalid, keeping its id', () => {
    const body = JSON.stringify({
      ...JSON.parse(trapheusEvent('RestoreRequested', {}, 'e-42')),
      source: 'aws.ec2',
    });

    expect(parseSignal(body)).toEqual({
      kind: 'invalid',
      reason: 'unexpected source aws.ec2',
      eventId: 'e-42',
    });
  });
});
