/**
 * The SQS and EventBridge mocks a unit test of the engine, the waiter or the metrics needs: every SendMessage and
 * PutEvents succeeds. Call it inside a `describe`: the mocks are reset before each test and restored after all.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';

export const mockQueueAndBus = () => {
  const sqsMock = mockClient(SQSClient);
  const ebMock = mockClient(EventBridgeClient);
  beforeEach(() => {
    sqsMock.reset();
    ebMock.reset();
    sqsMock.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
    ebMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
  });
  afterAll(() => {
    sqsMock.restore();
    ebMock.restore();
  });
  return { sqsMock, ebMock };
};
