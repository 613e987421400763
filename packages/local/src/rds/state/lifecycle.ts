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
  if (rec.props.MasterUserSecret?.SecretStatus === 'creating')
    rec.props.MasterUserSecret.SecretStatus = 'active';
  if (opts.successEvent) ctx.events.emit(instanceSource(rec), opts.successEvent, opts.successExtra);
}

export const IOPS_STORAGE = new Set(['io1', 'io2', 'gp3']);
export const STORAGE_TYPES = new Set(['standard', 'gp2', 'gp3', 'io1', 'io2', 'aurora', 'aurora-iopt1']);

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
