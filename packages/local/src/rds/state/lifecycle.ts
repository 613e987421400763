import type { EventSource } from '../events';
import type { AsyncFailureStatus } from '../types';
import type { InstanceRecord, SimContext } from './store';

export function instanceSource(rec: InstanceRecord): EventSource {
  return {
    sourceType: 'DB_INSTANCE',
    identifier: rec.props.DBInstanceIdentifier,
    arn: rec.props.DBInstanceArn,
  };
}

/** The documented failure event for an instance that ends an async operation in `status`. */
export function failureEventId(status: AsyncFailureStatus, creating: boolean): string {
  if (status === 'incompatible-network') return 'RDS-EVENT-0036';
  if (status === 'incompatible-parameters') return 'RDS-EVENT-0035';
  if (status === 'incompatible-restore') return 'RDS-EVENT-0278';
  return creating ? 'RDS-EVENT-0278' : 'RDS-EVENT-0031';
}

/** Ends an instance's async operation: `available` and `successEvent`, or the injected failure status. */
export function finishInstance(
  ctx: SimContext,
  rec: InstanceRecord,
  failure: AsyncFailureStatus | undefined,
  opts: { creating: boolean; successEvent?: string; successExtra?: string },
): void {
  if (failure) {
    rec.props.DBInstanceStatus = failure;
    ctx.events.emit(instanceSource(rec), failureEventId(failure, opts.creating), failure);
    return;
  }
  rec.props.DBInstanceStatus = 'available';
  if (opts.successEvent) ctx.events.emit(instanceSource(rec), opts.successEvent, opts.successExtra);
}

const LOG_TYPES: Record<string, string[]> = {
  postgres: ['postgresql', 'upgrade', 'iam-db-auth-error'],
  'aurora-postgresql': ['postgresql', 'instance', 'iam-db-auth-error'],
  mysql: ['audit', 'error', 'general', 'slowquery', 'iam-db-auth-error'],
  mariadb: ['audit', 'error', 'general', 'slowquery', 'iam-db-auth-error'],
  'aurora-mysql': ['audit', 'error', 'general', 'slowquery', 'instance', 'iam-db-auth-error'],
};

/** Log types the engine cannot export, or `[]` (unknown engines accept anything). */
export function unsupportedLogTypes(engine: string, logTypes: string[]): string[] {
  const allowed = LOG_TYPES[engine];
  return allowed ? logTypes.filter((t) => !allowed.includes(t)) : [];
}

export const IOPS_STORAGE = new Set(['io1', 'io2', 'gp3']);
export const STORAGE_TYPES = new Set(['standard', 'gp2', 'gp3', 'io1', 'io2', 'aurora', 'aurora-iopt1']);
export const MONITORING_INTERVALS = new Set([0, 1, 5, 10, 15, 30, 60]);

/** Statuses from which an instance may be deleted. */
export const DELETABLE_INSTANCE_STATUSES = new Set([
  'available',
  'failed',
  'incompatible-restore',
  'incompatible-parameters',
  'incompatible-network',
  'stopped',
  'storage-full',
]);

/** Failed statuses in which no final snapshot can be taken. */
export const NO_FINAL_SNAPSHOT_STATUSES = new Set(['failed', 'incompatible-restore', 'incompatible-network']);
