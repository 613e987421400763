/** @trapheus/local: the local stack. The services' Lambda code never imports this package. */
export * from './bus';
export * from './demo-seed';
export * from './emf';
export * from './iam-recorder';
export * from './outbox';
export * from './rds';
export * from './scheduler';
export * from './stack';
export * from './stack-faults';
