export type { RDSClient as RDSClientLike } from '@aws-sdk/client-rds';
export * from '../src';
