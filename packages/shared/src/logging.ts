import { Logger } from '@aws-lambda-powertools/logger';

/**
 * A Powertools JSON logger for a service. Per-run loggers are children with `runId` as a persistent key,
 * so every line about a run carries its id, even when records of one batch interleave.
 *
 * @example
 * const logger = createLogger('trapheus-restore');
 * logger.createChild({ persistentKeys: { runId } }).info('renaming');
 */
export const createLogger = (serviceName: string): Logger => new Logger({ serviceName });

export type { Logger };
