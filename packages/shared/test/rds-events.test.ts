import { fromEventBridgeRdsEvent, fromSubscriptionMessage, parseRdsArn } from '../src/rds-events';
import {
  AUTOMATED_SNAPSHOT_ARN,
  automatedSnapshotCreated,
  CLUSTER_ARN,
  CLUSTER_SNAPSHOT_ARN,
  clusterCreated,
  clusterSnapshotCreated,
  eventBridgeRdsEvent,
  INSTANCE_ARN,
  instanceRestoredBare,
  instanceRestoredPrefixed,
  MANUAL_SNAPSHOT_ARN,
  manualSnapshotCreated,
  subscriptionMessage,
} from './fixtures/rds-samples';

describe('parseRdsArn', () => {
  it.each([
    ['arn:aws:rds:us-east-1:123456789012:db:orders-db', 'db-instance', 'orders-db'],
    ['arn:aws:rds:us-east-1:123456789012:snapshot:orders-db-snapshot', 'db-snapshot', 'orders-db-snapshot'],
    [
      'arn:aws:rds:us-east-1:123456789012:snapshot:rds:orders-db-2026-01-01-00-00',
      'db-snapshot',
      'rds:orders-db-2026-01-01-00-00',
    ],
    ['arn:aws:rds:eu-west-1:123456789012:cluster:shop', 'db-cluster', 'shop'],
    [
      'arn:aws:rds:eu-west-1:123456789012:cluster-snapshot:shop-snapshot',
      'db-cluster-snapshot',
      'shop-snapshot',
    ],
    ['arn:aws-cn:rds:cn-north-1:123456789012:db:orders-db', 'db-instance', 'orders-db'],
  ])('reads %s as %s %s', (arn, resourceType, identifier) => {
    expect(parseRdsArn(arn)).toEqual({ resourceType, identifier });
  });

  it.each([
    ['a parameter group', 'arn:aws:rds:us-east-1:123456789012:pg:default.postgres16'],
    ['another service', 'arn:aws:ec2:us-east-1:123456789012:db:orders-db'],
    ['a truncated ARN', 'arn:aws:rds:us-east-1:123456789012:db'],
    ['an ARN without an identifier', 'arn:aws:rds:us-east-1:123456789012:db:'],
    ['not an ARN', 'orders-db'],
  ])('returns undefined for %s', (_what, arn) => {
    expect(parseRdsArn(arn)).toBeUndefined();
  });
});

describe('fromEventBridgeRdsEvent', () => {
  it('normalises an instance event whose SourceIdentifier is rds:-prefixed (AWS samples)', () => {
    expect(fromEventBridgeRdsEvent(instanceRestoredPrefixed)).toEqual({
      resourceType: 'db-instance',
      identifier: 'orders-db',
      eventId: 'RDS-EVENT-0043',
      message: 'Restored from snapshot orders-db-snapshot',
      date: '2026-03-01T10:15:41.861Z',
      arn: INSTANCE_ARN,
    });
  });

  it('normalises an instance event whose SourceIdentifier is bare (captured events)', () => {
    expect(fromEventBridgeRdsEvent(instanceRestoredBare)).toEqual({
      resourceType: 'db-instance',
      identifier: 'orders-db',
      eventId: 'RDS-EVENT-0043',
      message: 'Restored from snapshot orders-db-snapshot',
      date: '2026-03-01T10:15:41.861Z',
      arn: INSTANCE_ARN,
    });
  });

  it('takes the ARN from resources when detail has no SourceArn', () => {
    // Prepare
    const { SourceArn: _dropped, ...detail } = instanceRestoredPrefixed.detail;
    const event = eventBridgeRdsEvent('RDS DB Instance Event', [INSTANCE_ARN], detail);

    // Act
    const signal = fromEventBridgeRdsEvent(event);

    // Assess
    expect(signal).toMatchObject({ resourceType: 'db-instance', identifier: 'orders-db', arn: INSTANCE_ARN });
  });

  it('prefers the ARN over SourceIdentifier when they disagree (the ARN is the reliable key)', () => {
    const event = eventBridgeRdsEvent('RDS DB Instance Event', [INSTANCE_ARN], {
      ...instanceRestoredBare.detail,
      SourceIdentifier: 'something-else',
    });

    expect(fromEventBridgeRdsEvent(event)).toMatchObject({ identifier: 'orders-db' });
  });

  it('falls back to SourceType and a stripped SourceIdentifier when there is no ARN at all', () => {
    // Prepare
    const event = eventBridgeRdsEvent('RDS DB Instance Event', [], {
      EventCategories: ['deletion'],
      SourceType: 'DB_INSTANCE',
      Date: '2026-03-01T11:00:00.000Z',
      Message: 'DB instance deleted',
      SourceIdentifier: 'rds:orders-db-tr-01234567',
      EventID: 'RDS-EVENT-0003',
    });

    // Act
    const signal = fromEventBridgeRdsEvent(event);

    // Assess
    expect(signal).toEqual({
      resourceType: 'db-instance',
      identifier: 'orders-db-tr-01234567',
      eventId: 'RDS-EVENT-0003',
      message: 'DB instance deleted',
      date: '2026-03-01T11:00:00.000Z',
    });
  });

  it('keeps the colon of an automated snapshot id', () => {
    expect(fromEventBridgeRdsEvent(automatedSnapshotCreated)).toEqual({
      resourceType: 'db-snapshot',
      identifier: 'rds:orders-db-2026-01-01-00-00',
      eventId: 'RDS-EVENT-0091',
      message: 'Automated snapshot created',
      date: '2026-01-01T00:02:13.882Z',
      arn: AUTOMATED_SNAPSHOT_ARN,
    });
  });

  it('normalises a manual snapshot event', () => {
    expect(fromEventBridgeRdsEvent(manualSnapshotCreated)).toMatchObject({
      resourceType: 'db-snapshot',
      identifier: 'orders-db-snapshot',
      eventId: 'RDS-EVENT-0042',
      arn: MANUAL_SNAPSHOT_ARN,
    });
  });

  it('normalises a cluster event', () => {
    expect(fromEventBridgeRdsEvent(clusterCreated)).toMatchObject({
      resourceType: 'db-cluster',
      identifier: 'shop',
      eventId: 'RDS-EVENT-0170',
      arn: CLUSTER_ARN,
    });
  });

  it('normalises a cluster snapshot event', () => {
    expect(fromEventBridgeRdsEvent(clusterSnapshotCreated)).toMatchObject({
      resourceType: 'db-cluster-snapshot',
      identifier: 'shop-snapshot',
      eventId: 'RDS-EVENT-0075',
      arn: CLUSTER_SNAPSHOT_ARN,
    });
  });

  it('reports an event without an EventID as unknown and an empty message', () => {
    const event = eventBridgeRdsEvent('RDS DB Instance Event', [INSTANCE_ARN], { SourceType: 'DB_INSTANCE' });

    expect(fromEventBridgeRdsEvent(event)).toEqual({
      resourceType: 'db-instance',
      identifier: 'orders-db',
      eventId: 'unknown',
      message: '',
      arn: INSTANCE_ARN,
    });
  });

  it.each([
    [
      'a parameter group event',
      { SourceType: 'DB_PARAMETER_GROUP', SourceIdentifier: 'default.postgres16' },
      [],
    ],
    ['an event with neither ARN nor identifier', { SourceType: 'DB_INSTANCE' }, []],
    ['an event with an identifier but no type', { SourceIdentifier: 'orders-db' }, []],
  ])('returns undefined for %s', (_what, detail, resources) => {
    expect(
      fromEventBridgeRdsEvent(eventBridgeRdsEvent('RDS DB Parameter Group Event', resources, detail)),
    ).toBe(undefined);
  });
});

describe('fromSubscriptionMessage', () => {
  it('normalises an RDS event subscription message, reading the event id from its URL', () => {
    expect(fromSubscriptionMessage(subscriptionMessage())).toEqual({
      resourceType: 'db-instance',
      identifier: 'orders-db',
      eventId: 'RDS-EVENT-0043',
      message: 'Restored from snapshot orders-db-snapshot',
      date: '2026-03-01 10:15:41.861',
      arn: INSTANCE_ARN,
    });
  });

  it('uses Event Source and Source ID when the message has no Source ARN (older messages)', () => {
    // Prepare
    const { 'Source ARN': _dropped, ...message } = subscriptionMessage({
      'Event Source': 'db-cluster',
      'Source ID': 'shop',
      'Event ID':
        'http://docs.amazonwebservices.com/AmazonRDS/latest/AuroraUserGuide/USER_Events.html#RDS-EVENT-0170',
      'Event Message': 'DB cluster created',
    });

    // Act
    const signal = fromSubscriptionMessage(message);

    // Assess
    expect(signal).toEqual({
      resourceType: 'db-cluster',
      identifier: 'shop',
      eventId: 'RDS-EVENT-0170',
      message: 'DB cluster created',
      date: '2026-03-01 10:15:41.861',
    });
  });

  it('keeps the colon of an automated snapshot id given by its ARN', () => {
    const message = subscriptionMessage({
      'Event Source': 'db-snapshot',
      'Source ID': 'rds:orders-db-2026-01-01-00-00',
      'Source ARN': AUTOMATED_SNAPSHOT_ARN,
      'Event ID':
        'http://docs.amazonwebservices.com/AmazonRDS/latest/UserGuide/USER_Events.html#RDS-EVENT-0091',
    });

    expect(fromSubscriptionMessage(message)).toMatchObject({
      resourceType: 'db-snapshot',
      identifier: 'rds:orders-db-2026-01-01-00-00',
      eventId: 'RDS-EVENT-0091',
    });
  });

  it('normalises a cluster snapshot subscription message', () => {
    const message = subscriptionMessage({
      'Event Source': 'db-cluster-snapshot',
      'Source ID': 'shop-snapshot',
      'Source ARN': CLUSTER_SNAPSHOT_ARN,
      'Event ID':
        'http://docs.amazonwebservices.com/AmazonRDS/latest/AuroraUserGuide/USER_Events.html#RDS-EVENT-0075',
    });

    expect(fromSubscriptionMessage(message)).toMatchObject({
      resourceType: 'db-cluster-snapshot',
      identifier: 'shop-snapshot',
      eventId: 'RDS-EVENT-0075',
    });
  });

  it.each([
    ['the subscription confirmation text', { Message: 'This is a message to notify that RDS will attempt…' }],
    ['a parameter group event', { 'Event Source': 'db-parameter-group', 'Source ID': 'default.postgres16' }],
    ['an empty object', {}],
  ])('returns undefined for %s', (_what, message) => {
    expect(fromSubscriptionMessage(message)).toBeUndefined();
  });
});
