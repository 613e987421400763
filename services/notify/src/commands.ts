import type { DbKind } from '@trapheus/shared';
import { shellQuote as q } from './text';

/** One manual step for a person: why, then the exact command line. */
export interface ManualCommand {
  comment: string;
  command: string;
}

/**
 * The AWS CLI lines a person needs, in the instance or the cluster flavour.
 *
 * @example
 * rdsCli('cluster').rename('orders-tr-1', 'orders')
 * // 'aws rds modify-db-cluster --db-cluster-identifier orders-tr-1 --new-db-cluster-identifier orders --apply-immediately'
 */
export const rdsCli = (kind: DbKind) => {
  const noun = kind === 'cluster' ? 'db-cluster' : 'db-instance';
  const flag = `--${noun}-identifier`;
  return {
    describe: (id: string) =>
      kind === 'cluster'
        ? `aws rds describe-db-clusters ${flag} ${q(id)} --query 'DBClusters[0].[DBClusterIdentifier,Status,ClusterCreateTime]' --output text`
        : `aws rds describe-db-instances ${flag} ${q(id)} --query 'DBInstances[0].[DBInstanceIdentifier,DBInstanceStatus,InstanceCreateTime]' --output text`,
    describeSnapshot: (snapshot: string) =>
      kind === 'cluster'
        ? `aws rds describe-db-cluster-snapshots --db-cluster-snapshot-identifier ${q(snapshot)}`
        : `aws rds describe-db-snapshots --db-snapshot-identifier ${q(snapshot)}`,
    rename: (from: string, to: string) =>
      `aws rds modify-${noun} ${flag} ${q(from)} --new-${noun}-identifier ${q(to)} --apply-immediately`,
    waitAvailable: (id: string) => `aws rds wait ${noun}-available ${flag} ${q(id)}`,
    noDeletionProtection: (id: string) =>
      `aws rds modify-${noun} ${flag} ${q(id)} --no-deletion-protection --apply-immediately`,
    deleteMembers: (id: string) =>
      `for m in $(aws rds describe-db-clusters --db-cluster-identifier ${q(id)} --query 'DBClusters[0].DBClusterMembers[].DBInstanceIdentifier' --output text); do aws rds delete-db-instance --db-instance-identifier "$m" --skip-final-snapshot; done`,
    delete: (id: string) => `aws rds delete-${noun} ${flag} ${q(id)} --skip-final-snapshot`,
  };
};

/** A name to move a failed restored copy aside under (valid RDS identifier, at most 63 characters). */
export const asideName = (identifier: string): string =>
  `${identifier.slice(0, 63 - '-failed-copy'.length).replace(/-+$/, '')}-failed-copy`;
