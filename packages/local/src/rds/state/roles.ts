import { RdsError } from '../errors';
import { optString, type Params, reqString } from '../protocol';
import { checkInstanceRoleFeature } from './rules';
import type { SimContext } from './store';

type Role = { RoleArn: string; FeatureName?: string; Status: string };

function checkRoleArn(arn: string) {
  if (!/^arn:aws[\w-]*:iam::\d{12}:role\/.+/.test(arn)) {
    throw new RdsError('InvalidParameterValue', `The parameter RoleArn is not a valid IAM role ARN: ${arn}`);
  }
}

/** Adds a role as PENDING; it is ACTIVE once associated (RDS API reference, DBInstanceRole/DBClusterRole Status). */
function associate(ctx: SimContext, roles: Role[], role: Role) {
  roles.push(role);
  ctx.scheduler.after(ctx.durations.associateRole, () => {
    if (role.Status === 'PENDING') role.Status = 'ACTIVE';
  });
}

export function addRoleToDBInstance(ctx: SimContext, p: Params) {
  const rec = ctx.store.instance(reqString(p, 'DBInstanceIdentifier'));
  const props = rec.props;
  const roleArn = reqString(p, 'RoleArn');
  const feature = reqString(p, 'FeatureName');
  checkRoleArn(roleArn);
  if (props.DBInstanceStatus !== 'available') {
    throw new RdsError(
      'InvalidDBInstanceState',
      `DB instance ${props.DBInstanceIdentifier} is not in available state (${props.DBInstanceStatus}).`,
    );
  }
  checkInstanceRoleFeature(props.Engine, feature);
  props.AssociatedRoles ??= [];
  const roles = props.AssociatedRoles;
  if (roles.some((r) => r.RoleArn === roleArn)) {
    throw new RdsError(
      'DBInstanceRoleAlreadyExists',
      `Role ${roleArn} is already associated with DB instance ${props.DBInstanceIdentifier}.`,
    );
  }
  if (roles.some((r) => r.FeatureName === feature)) {
    throw new RdsError(
      'DBInstanceRoleAlreadyExists',
      `Feature ${feature} already has a role associated with DB instance ${props.DBInstanceIdentifier}.`,
    );
  }
  associate(ctx, roles, { RoleArn: roleArn, FeatureName: feature, Status: 'PENDING' });
  return undefined;
}

export function removeRoleFromDBInstance(ctx: SimContext, p: Params) {
  const props = ctx.store.instance(reqString(p, 'DBInstanceIdentifier')).props;
  const roleArn = reqString(p, 'RoleArn');
  const feature = reqString(p, 'FeatureName');
  const roles = props.AssociatedRoles ?? [];
  const i = roles.findIndex((r) => r.RoleArn === roleArn && r.FeatureName === feature);
  if (i < 0) {
    throw new RdsError(
      'DBInstanceRoleNotFound',
      `Role ${roleArn} with feature ${feature} is not associated with DB instance ${props.DBInstanceIdentifier}.`,
    );
  }
  roles.splice(i, 1);
  return undefined;
}

export function addRoleToDBCluster(ctx: SimContext, p: Params) {
  const props = ctx.store.cluster(reqString(p, 'DBClusterIdentifier')).props;
  const roleArn = reqString(p, 'RoleArn');
  const feature = optString(p, 'FeatureName');
  checkRoleArn(roleArn);
  if (props.Status !== 'available') {
    throw new RdsError(
      'InvalidDBClusterStateFault',
      `DB cluster ${props.DBClusterIdentifier} is not in available state (${props.Status}).`,
    );
  }
  if (props.AssociatedRoles.some((r) => r.RoleArn === roleArn)) {
    throw new RdsError(
      'DBClusterRoleAlreadyExists',
      `Role ${roleArn} is already associated with DB cluster ${props.DBClusterIdentifier}.`,
    );
  }
  associate(ctx, props.AssociatedRoles, { RoleArn: roleArn, FeatureName: feature, Status: 'PENDING' });
  return undefined;
}

export function removeRoleFromDBCluster(ctx: SimContext, p: Params) {
  const props = ctx.store.cluster(reqString(p, 'DBClusterIdentifier')).props;
  const roleArn = reqString(p, 'RoleArn');
  const feature = optString(p, 'FeatureName');
  const i = props.AssociatedRoles.findIndex(
    (r) => r.RoleArn === roleArn && (feature === undefined || r.FeatureName === feature),
  );
  if (i < 0) {
    throw new RdsError(
      'DBClusterRoleNotFound',
      `Role ${roleArn} is not associated with DB cluster ${props.DBClusterIdentifier}.`,
    );
  }
  props.AssociatedRoles.splice(i, 1);
  return undefined;
}
