import { buildRestoreInput, captureInstance } from '@trapheus/shared';

it('leaves out aws:-prefixed tags (every CloudFormation/CDK-managed instance has them), which RDS refuses at restore', () => {
  const original = captureInstance({
    DBInstanceIdentifier: 'orders-db',
    DbiResourceId: 'db-1',
    TagList: [
      { Key: 'aws:cloudformation:stack-name', Value: 'orders' },
      { Key: 'team', Value: 'orders' },
    ],
  });
  const input = buildRestoreInput(original, { snapshotIdentifier: 's', runId: 'run-1' });
  // RDS refuses tag keys prefixed with aws: / rds: → InvalidParameterValue → rollback of every such run
  expect(input.Tags?.some((t) => t.Key?.startsWith('aws:'))).toBe(false);
});
