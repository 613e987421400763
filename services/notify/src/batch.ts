import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { errorCode, type Logger } from '@trapheus/shared';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

/**
 * Wraps a record handler as an SQS Lambda handler with partial batch responses: a record whose handling
 * throws goes back to its queue (and after maxReceiveCount to the DLQ); the others are done.
 *
 * @example
 * export const main = sqsBatchHandler(deps.logger, (record) => sendOutcomeEmail(record, deps));
 */
export const sqsBatchHandler = (
  logger: Logger,
  handleRecord: (record: SQSRecord) => Promise<unknown>,
  redact: (text: string) => string = (text) => text,
) => {
  const processor = new BatchProcessor(EventType.SQS);
  const recordHandler = async (record: SQSRecord) => {
    try {
      await handleRecord(record);
    } catch (err) {
      logger.warn('record will be retried', {
        messageId: record.messageId,
        receiveCount: record.attributes.ApproximateReceiveCount,
        error: { name: errorCode(err), message: redact(err instanceof Error ? err.message : String(err)) },
      });
      throw err;
    }
  };
  const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
    processPartialResponse(event, recordHandler, processor, { context, throwOnFullBatchFailure: false });
  return middy(handler).use(injectLambdaContext(logger, { resetKeys: true }));
};
