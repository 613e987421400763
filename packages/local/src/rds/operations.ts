import type { Params } from './protocol';
import {
  describeDBInstanceAutomatedBackups,
  startDBInstanceAutomatedBackupsReplication,
  stopDBInstanceAutomatedBackupsReplication,
} from './state/backups';
import {
  createDBClusterEndpoint,
  deleteDBClusterEndpoint,
  describeDBClusterEndpoints,
  describeGlobalClusters,
  disableHttpEndpoint,
  enableHttpEndpoint,
} from './state/cluster-endpoints';
import {
  createDBClusterSnapshot,
  deleteDBClusterSnapshot,
  describeDBClusterSnapshots,
} from './state/cluster-snapshots';
import {
  createDBCluster,
  deleteDBCluster,
  describeDBClusters,
  modifyDBCluster,
  restoreDBClusterFromSnapshot,
  restoreDBClusterToPointInTime,
} from './state/clusters';
import { cancelExportTask, describeExportTasks, startExportTask } from './state/exports';
import {
  createDBInstance,
  deleteDBInstance,
  describeDBInstances,
  restoreDBInstanceFromDBSnapshot,
  restoreDBInstanceToPointInTime,
} from './state/instances';
import { modifyDBInstance } from './state/modify';
import {
  addRoleToDBCluster,
  addRoleToDBInstance,
  removeRoleFromDBCluster,
  removeRoleFromDBInstance,
} from './state/roles';
import {
  copyDBClusterSnapshot,
  copyDBSnapshot,
  describeDBClusterSnapshotAttributes,
  describeDBSnapshotAttributes,
  modifyDBClusterSnapshotAttribute,
  modifyDBSnapshotAttribute,
} from './state/sharing';
import { createDBSnapshot, deleteDBSnapshot, describeDBSnapshots } from './state/snapshots';
import type { SimContext } from './state/store';
import { addTagsToResource, listTagsForResource, removeTagsFromResource } from './state/tags';

export type Operation = (ctx: SimContext, p: Params) => Record<string, unknown> | undefined;

/** Every supported RDS Action. */
export const OPERATIONS: Record<string, Operation> = {
  CreateDBInstance: createDBInstance,
  DescribeDBInstances: describeDBInstances,
  ModifyDBInstance: modifyDBInstance,
  RestoreDBInstanceFromDBSnapshot: restoreDBInstanceFromDBSnapshot,
  RestoreDBInstanceToPointInTime: restoreDBInstanceToPointInTime,
  DeleteDBInstance: deleteDBInstance,
  CreateDBSnapshot: createDBSnapshot,
  DescribeDBSnapshots: describeDBSnapshots,
  DeleteDBSnapshot: deleteDBSnapshot,
  CopyDBSnapshot: copyDBSnapshot,
  ModifyDBSnapshotAttribute: modifyDBSnapshotAttribute,
  DescribeDBSnapshotAttributes: describeDBSnapshotAttributes,
  AddTagsToResource: addTagsToResource,
  RemoveTagsFromResource: removeTagsFromResource,
  ListTagsForResource: listTagsForResource,
  CreateDBCluster: createDBCluster,
  DescribeDBClusters: describeDBClusters,
  ModifyDBCluster: modifyDBCluster,
  RestoreDBClusterFromSnapshot: restoreDBClusterFromSnapshot,
  RestoreDBClusterToPointInTime: restoreDBClusterToPointInTime,
  DeleteDBCluster: deleteDBCluster,
  CreateDBClusterSnapshot: createDBClusterSnapshot,
  DescribeDBClusterSnapshots: describeDBClusterSnapshots,
  DeleteDBClusterSnapshot: deleteDBClusterSnapshot,
  CopyDBClusterSnapshot: copyDBClusterSnapshot,
  ModifyDBClusterSnapshotAttribute: modifyDBClusterSnapshotAttribute,
  DescribeDBClusterSnapshotAttributes: describeDBClusterSnapshotAttributes,
  AddRoleToDBInstance: addRoleToDBInstance,
  RemoveRoleFromDBInstance: removeRoleFromDBInstance,
  AddRoleToDBCluster: addRoleToDBCluster,
  RemoveRoleFromDBCluster: removeRoleFromDBCluster,
  StartDBInstanceAutomatedBackupsReplication: startDBInstanceAutomatedBackupsReplication,
  StopDBInstanceAutomatedBackupsReplication: stopDBInstanceAutomatedBackupsReplication,
  DescribeDBInstanceAutomatedBackups: describeDBInstanceAutomatedBackups,
  CreateDBClusterEndpoint: createDBClusterEndpoint,
  DescribeDBClusterEndpoints: describeDBClusterEndpoints,
  DeleteDBClusterEndpoint: deleteDBClusterEndpoint,
  EnableHttpEndpoint: enableHttpEndpoint,
  DisableHttpEndpoint: disableHttpEndpoint,
  DescribeGlobalClusters: describeGlobalClusters,
  StartExportTask: startExportTask,
  DescribeExportTasks: describeExportTasks,
  CancelExportTask: cancelExportTask,
};

const IDENTIFIER_PARAMS = [
  'DBInstanceIdentifier',
  'NewDBInstanceIdentifier',
  'DBSnapshotIdentifier',
  'FinalDBSnapshotIdentifier',
  'DBClusterIdentifier',
  'NewDBClusterIdentifier',
  'DBClusterSnapshotIdentifier',
  'SnapshotIdentifier',
  'DBClusterEndpointIdentifier',
  'SourceDBInstanceArn',
  'ResourceArn',
  'ExportTaskIdentifier',
  'SourceArn',
  // RestoreDBInstanceToPointInTime / RestoreDBClusterToPointInTime: the new database and its source.
  'TargetDBInstanceIdentifier',
  'SourceDBInstanceIdentifier',
  'SourceDBClusterIdentifier',
  // CopyDBSnapshot / CopyDBClusterSnapshot: the source (name or ARN) and the copy.
  'SourceDBSnapshotIdentifier',
  'TargetDBSnapshotIdentifier',
  'SourceDBClusterSnapshotIdentifier',
  'TargetDBClusterSnapshotIdentifier',
];

/** The request's identifiers, for matching injected faults (an ARN also matches by its last segment). */
export function requestIdentifiers(p: Params): string[] {
  const out: string[] = [];
  for (const key of [...IDENTIFIER_PARAMS, 'ResourceName']) {
    const v = p[key];
    if (typeof v !== 'string' || !v) continue;
    out.push(v, v.toLowerCase());
    if (v.startsWith('arn:')) out.push(v.slice(v.lastIndexOf(':') + 1));
  }
  return out;
}
