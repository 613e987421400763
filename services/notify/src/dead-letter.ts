import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { truncate } from './text';

/**
 * Moves a message straight to its dead-letter queue, with the reason as a message attribute, for failures
 * no retry can fix (so the queue's own redrive does not replay it N times first).
 *
 * @example
 * await sendToDeadLetter(sqs, dlqUrl, record.body, 'SES MessageRejected: Email address is not verified');
 */
export const sendToDeadLetter = async (
  sqs: SQSClient,
  queueUrl: string,
  body: string,
  reason: string,
): Promise<void> => {
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: body,
      MessageAttributes: { trapheusReason: { DataType: 'String', StringValue: truncate(reason, 1000) } },
    }),
  );
};
