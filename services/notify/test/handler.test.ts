import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { failedOutcome, outcomeEvent, sqsRecord } from './fixtures';

const env = {
  NOTIFY_EMAIL_FROM: 'trapheus@example.com',
  NOTIFY_EMAIL_TO: 'ops@example.com,dba@example.com',
  SLACK_WEBHOOKS_PARAMETER: '/trapheus/test/slack-webhooks',
  DELIVERIES_TABLE: 'trapheus-notify-deliveries-test',
  EMAIL_DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/email-dlq',
  SLACK_DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/slack-dlq',
  SLACK_DELIVERY_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/slack-delivery',
  SLACK_DELIVERY_DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/slack-delivery-dlq',
};
const context = { functionName: 'notify', awsRequestId: 'req-1' } as unknown as Context;
type Main = (event: SQSEvent, context: Context) => Promise<unknown>;

describe('notify handlers (env read at module load, SQS partial batch responses)', () => {
  const ses = mockClient(SESv2Client);
  const sqs = mockClient(SQSClient);
  const ssm = mockClient(SSMClient);
  const dynamo = mockClient(DynamoDBDocumentClient);
  beforeAll(() => Object.assign(process.env, env));
  afterAll(() => {
    for (const m of [ses, sqs, ssm, dynamo]) m.restore();
    for (const k of Object.keys(env)) delete process.env[k];
  });

  it('email: sends to every recipient and reports only the failed record', async () => {
    dynamo.on(PutCommand).resolves({});
    dynamo.on(UpdateCommand).resolves({});
    ses.on(SendEmailCommand).resolvesOnce({ MessageId: 'ok' }).rejects(new Error('socket hang up'));
    const { main } = (await import('../src/functions/email/handler')) as { main: Main };
    const second = { ...failedOutcome(), runId: 'run-2' };

    const response = await main(
      {
        Records: [sqsRecord(outcomeEvent(failedOutcome()), 'm1'), sqsRecord(outcomeEvent(second), 'm2')],
      } as SQSEvent,
      context,
    );

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm2' }] });
    expect(ses.commandCalls(SendEmailCommand)[0]?.args[0].input.Destination).toEqual({
      ToAddresses: ['ops@example.com', 'dba@example.com'],
    });
  });

  it('slackFanout: reads the webhooks from SSM with decryption and queues one delivery per webhook', async () => {
    ssm.on(GetParameterCommand).resolves({
      Parameter: {
        Value: 'https://hooks.slack.com/services/A/B/one\nhttps://hooks.slack.com/services/A/B/two',
      },
    });
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    const { main } = (await import('../src/functions/slack-fanout/handler')) as { main: Main };

    const response = await main(
      { Records: [sqsRecord(outcomeEvent(failedOutcome()), 'm1')] } as SQSEvent,
      context,
    );

    expect(response).toEqual({ batchItemFailures: [] });
    expect(ssm.commandCalls(GetParameterCommand)[0]?.args[0].input).toEqual({
      Name: '/trapheus/test/slack-webhooks',
      WithDecryption: true,
    });
    const batch = sqs.commandCalls(SendMessageBatchCommand)[0]?.args[0].input;
    expect(batch?.QueueUrl).toBe(env.SLACK_DELIVERY_QUEUE_URL);
    expect(batch?.Entries?.map((e) => e.Id)).toEqual(['webhook-0', 'webhook-1']);
  });
});
