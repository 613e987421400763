import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { errorCode } from './errors';
import { flushMetrics } from './metrics';
import { parseSignal, type Signal } from './signals';

/**
 * The one SQS batch wrapper of the project: a record handler becomes an SQS Lambda handler with partial batch
 * responses (Powertools batch): a record whose handling throws goes back to its queue (and, after
 * maxReceiveCount, to the DLQ); the others are done. `redact` cleans secrets (webhook URLs) out of the logged
 * error; `parallel` handles the records of a batch at the same time (notify's independent deliveries). The metrics
 * the batch recorded (metrics.ts) are written as EMF lines when it ends, whatever its outcome (nothing when it
 * recorded none).
 *
 * @example
 * export const main = sqsBatchHandler(deps.logger, (record) => sendOutcomeEmail(record, deps), { parallel: true });
 */
export const sqsBatchHandler = (
  logger: Logger,
  handleRecord: (record: SQSRecord) => Promise<unknown>,
  opts: { redact?: (text: string) => string; parallel?: boolean } = {},
) => {
  const redact = opts.redact ?? ((text: string) => text);
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
  const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    try {
      return await processPartialResponse(event, recordHandler, processor, {
        context,
        throwOnFullBatchFailure: false,
        processInParallel: opts.parallel ?? false,
      });
    } finally {
      flushMetrics(logger);
    }
  };
  return middy(handler).use(injectLambdaContext(logger, { resetKeys: true }));
};

/**
 * A reconciling worker: each record becomes a `Signal`, handled one at a time (the per-run lease makes that a
 * throughput choice, not a safety one).
 *
 * @example
 * export const main = sqsWorker(logger, (signal) => engine.handle(signal));
 */
export const sqsWorker = (
  logger: Logger,
  handleSignal: (signal: Signal, record: SQSRecord) => Promise<void>,
) => sqsBatchHandler(logger, (record) => handleSignal(parseSignal(record.body), record));
