/** The one public entry of @trapheus/shared. */
export * from './clients';
export * from './config';
export * from './contracts';
export * from './engine';
export * from './errors';
export * from './ids';
export * from './logging';
export * from './publisher';
export * from './rds-cluster';
export * from './rds-events';
export * from './rds-instance';
export * from './run';
export * from './run-repository';
export * from './signals';
export * from './sqs-worker';
export * from './waiting';
export * from './worker-deps';
