/** Test support for the services' unit tests (never bundled into a Lambda). */
export * from './aws-mocks';
export * from './emf';
export * from './fake-rds';
export * from './harness';
export * from './memory-runs';
