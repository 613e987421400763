/** Error helpers. RDS wire codes differ from SDK class names (docs/rds-facts.md § Errors). */

/** The AWS error code of an SDK error (`DBInstanceNotFound`, `Throttling`, …), or `Unknown`. */
export const errorCode = (err: unknown): string => {
  if (err && typeof err === 'object') {
    const e = err as { name?: unknown; Code?: unknown; code?: unknown };
    for (const candidate of [e.Code, e.code, e.name]) {
      if (typeof candidate === 'string' && candidate.length > 0 && candidate !== 'Error') return candidate;
    }
  }
  return 'Unknown';
};

export const errorMessage = (err: unknown): string =>
  err instanceof Error ? err.message : typeof err === 'string' ? err : JSON.stringify(err);

const NOT_FOUND = new Set([
  'DBInstanceNotFound',
  'DBInstanceNotFoundFault',
  'DBSnapshotNotFound',
  'DBSnapshotNotFoundFault',
  'DBClusterNotFoundFault',
  'DBClusterSnapshotNotFoundFault',
  'DBClusterEndpointNotFoundFault',
]);

export const isNotFound = (err: unknown): boolean => NOT_FOUND.has(errorCode(err));

const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
]);

/** Errors that say "try again later", never "this run failed": they go back to the queue. */
export const isTransient = (err: unknown): boolean => {
  const code = errorCode(err);
  if (THROTTLING.has(code)) return true;
  const status = (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  if (typeof status === 'number' && status >= 500) return true;
  return ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'TimeoutError', 'RequestTimeout'].includes(
    code,
  );
};

/** RDS says the resource is busy (backing up, modifying, …): wait and try again, never a failure. */
export const isBusy = (err: unknown): boolean =>
  ['InvalidDBInstanceState', 'InvalidDBInstanceStateFault', 'InvalidDBClusterStateFault'].includes(
    errorCode(err),
  );

/**
 * Runs one mutating RDS call. Returns false, instead of throwing, when RDS answers "not now" (by default: busy),
 * so the step waits and tries again rather than failing.
 *
 * @example
 * if (!(await attempt(() => rds.send(new ModifyDBInstanceCommand(input))))) return waiter.waitFor(…);
 */
export const attempt = async (call: () => Promise<unknown>, notNow: (err: unknown) => boolean = isBusy) => {
  try {
    await call();
    return true;
  } catch (err) {
    if (notNow(err)) return false;
    throw err;
  }
};

/**
 * Runs a describe call; "not found" becomes undefined.
 *
 * @example
 * const db = await ifFound(async () => (await rds.send(new DescribeDBInstancesCommand(…))).DBInstances?.[0]);
 */
export const ifFound = async <T>(call: () => Promise<T>): Promise<T | undefined> => {
  try {
    return await call();
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
};

/** A conditional write lost: the run moved on since it was read. The caller re-reads; nothing is lost. */
export class StaleRunError extends Error {
  constructor(runId: string, expected: string) {
    super(`run ${runId} is no longer at ${expected}`);
    this.name = 'StaleRunError';
  }
}

/** A run item that does not have the run's shape (a foreign or damaged item): never handed to a step. */
export class RunCorruptError extends Error {
  constructor(runId: string, problems: string) {
    super(`run ${runId} in the runs table is not a valid run: ${problems}`);
    this.name = 'RunCorruptError';
  }
}

export class RunNotFoundError extends Error {
  constructor(runId: string) {
    super(`run ${runId} not found`);
    this.name = 'RunNotFoundError';
  }
}

/** Thrown by the deletion guard: the target is not the database this run may delete. */
export class UnsafeDeleteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsafeDeleteError';
  }
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
