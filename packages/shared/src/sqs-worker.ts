import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { parseSignal, type Signal } from './signals';

/**
 * Wraps a signal handler as an SQS Lambda handler with partial batch responses: a record whose handling
 * throws goes back to its queue (and, after maxReceiveCount, to the DLQ); the others are done.
 *
 * @example
 * export const main = sqsWorker(logger, (signal) => engine.handle(signal));
 */
export const sqsWorker = (
  logger: Logger,
  handleSignal: (signal: Signal, record: SQSRecord) => Promise<void>,
) => {
  const processor = new BatchProcessor(EventType.SQS);
  const recordHandler = async (record: SQSRecord) => {
    try {
      await handleSignal(parseSignal(record.body), record);
    } catch (err) {
      logger.warn('record will be retried', {
        messageId: record.messageId,
        receiveCount: record.attributes.ApproximateReceiveCount,
        error: err instanceof Error ? { name: err.name, message: err.message } : String(err),
      });
      throw err;
    }
  };
  const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
    processPartialResponse(event, recordHandler, processor, {
      context,
      throwOnFullBatchFailure: false,
      // One record at a time: two signals about the same run must not reconcile it concurrently.
      processInParallel: false,
    });
  return middy(handler).use(injectLambdaContext(logger, { resetKeys: true }));
};
