import { eventBridgeEnvelopeSchema, snsSqsNotificationSchema } from '../src/envelopes';
import { snsEnvelope } from './fixtures/rds-samples';

/** The sample event of the EventBridge User Guide ("Event structure reference"). */
const ec2Event = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-12-22T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  detail: { instance_id: 'i-1234567890abcdef0', state: 'terminated' },
};

describe('eventBridgeEnvelopeSchema', () => {
  it('reads an EventBridge event, keeping its detail as it is', () => {
    // Act
    const parsed = eventBridgeEnvelopeSchema.safeParse({ ...ec2Event, 'replay-name': 'replay_archive' });

    // Assess
    expect(parsed.success).toBe(true);
    expect(parsed.data).toEqual({ ...ec2Event, 'replay-name': 'replay_archive' });
    expect(parsed.data?.detail).toBe(ec2Event.detail);
  });

  it('drops fields that are not part of the envelope', () => {
    expect(eventBridgeEnvelopeSchema.parse({ ...ec2Event, extra: 1 })).toEqual(ec2Event);
  });

  it.each([
    ['without an id', { id: undefined }],
    ['with a time that is not ISO 8601 UTC', { time: '2017-12-22 18:43:48' }],
    ['with a time with an offset', { time: '2017-12-22T18:43:48+01:00' }],
    ['with resources that are not strings', { resources: [1] }],
    ['with a replay-name that is not a string', { 'replay-name': 1 }],
  ])('rejects an event %s', (_what, change) => {
    expect(eventBridgeEnvelopeSchema.safeParse({ ...ec2Event, ...change }).success).toBe(false);
  });
});

describe('snsSqsNotificationSchema', () => {
  it('reads an SNS notification delivered to SQS', () => {
    // Prepare
    const body = { ...snsEnvelope('hello'), MessageAttributes: { A: { Type: 'String', Value: 'v' } } };

    // Act
    const parsed = snsSqsNotificationSchema.safeParse(body);

    // Assess
    expect(parsed.success).toBe(true);
    expect(parsed.data).toEqual(body);
  });

  it('takes a notification without the optional fields', () => {
    const { Subject, SignatureVersion, Signature, SigningCertURL, UnsubscribeURL, ...required } =
      snsEnvelope('hello');

    expect(snsSqsNotificationSchema.parse({ ...required, Subject: null })).toEqual({
      ...required,
      Subject: null,
    });
  });

  it.each([
    ['a subscription confirmation', { Type: 'SubscriptionConfirmation' }],
    ['a Message that is not a string', { Message: { a: 1 } }],
    ['a Timestamp that is not ISO 8601 UTC', { Timestamp: 'yesterday' }],
    ['a SigningCertURL that is not a URL', { SigningCertURL: 'not a url' }],
    ['MessageAttributes without a Value', { MessageAttributes: { A: { Type: 'String' } } }],
  ])('rejects %s', (_what, change) => {
    expect(snsSqsNotificationSchema.safeParse({ ...snsEnvelope('hello'), ...change }).success).toBe(false);
  });
});
