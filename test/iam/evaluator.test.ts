/** The IAM check's evaluator on its own: calls that must be denied are, and the repo's grants pass. */
import type { IamCall } from '@trapheus/local';
import { evaluateCalls, type Finding, sarAction, statementFindings } from './evaluate';
import { type FunctionPolicy, functionPolicies, type Statement } from './policies';

const A = 'arn:aws:rds:us-east-1:000000000000';
const FN = 'trapheus-test-fn';
const policy = (...statements: Statement[]): Map<string, FunctionPolicy> =>
  new Map([[FN, { functionName: FN, service: 'test', key: 'fn', statements }]]);
const allow = (Action: string[], Resource: string[], Condition?: Statement['Condition']): Statement => ({
  Effect: 'Allow',
  Action,
  Resource,
  ...(Condition ? { Condition } : {}),
});
const call = (
  action: string,
  resources: [string, string, Record<string, string>?][],
  context = {},
): IamCall => ({
  caller: FN,
  action,
  resources: resources.map(([type, arn, ctx]) => ({ type, arn, ...(ctx ? { context: ctx } : {}) })),
  context,
  via: 'rds',
  status: 200,
  at: 0,
});
const findings = async (p: Map<string, FunctionPolicy>, ...calls: IamCall[]): Promise<Finding[]> =>
  (await evaluateCalls(calls, p)).findings;

const clusterRestore = call('rds:RestoreDBClusterFromSnapshot', [
  ['cluster', `${A}:cluster:shop`],
  ['cluster-snapshot', `${A}:cluster-snapshot:shop-snapshot`],
  ['cluster-pg', `${A}:cluster-pg:default.aurora-postgresql16`],
  ['og', `${A}:og:default:aurora-postgresql-16`],
  ['subgrp', `${A}:subgrp:default`],
]);

describe('IAM evaluator', () => {
  it('denies RestoreDBClusterFromSnapshot when og is not granted, naming the missing grant', async () => {
    const p = policy(
      allow(
        ['rds:RestoreDBClusterFromSnapshot'],
        [`${A}:cluster:*`, `${A}:cluster-snapshot:*`, `${A}:cluster-pg:*`, `${A}:subgrp:*`],
      ),
    );
    const out = await findings(p, clusterRestore);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({
      function: FN,
      action: 'rds:RestoreDBClusterFromSnapshot',
      resource: `${A}:og:default:aurora-postgresql-16`,
    });
    expect(out[0]!.missingGrant).toContain(`rds:RestoreDBClusterFromSnapshot on ${A}:og:`);
    p.get(FN)!.statements[0]!.Resource.push(`${A}:og:*`);
    expect(await findings(p, clusterRestore)).toEqual([]);
  });

  it('denies a call whose recorded resources miss a type the SAR requires', async () => {
    const p = policy(allow(['rds:DeleteDBCluster'], [`${A}:cluster:*`, `${A}:cluster-snapshot:*`]));
    const out = await findings(p, call('rds:DeleteDBCluster', [['cluster', `${A}:cluster:shop-tr-1`]]));
    expect(out.map((f) => f.reason)).toEqual([
      'the SAR requires resource type cluster-snapshot and the recorded call has none',
    ]);
  });

  it('denies DeleteDBCluster without a cluster-snapshot grant', async () => {
    const p = policy(allow(['rds:DeleteDBCluster'], [`${A}:cluster:*`]));
    const out = await findings(
      p,
      call('rds:DeleteDBCluster', [
        ['cluster', `${A}:cluster:shop-tr-1`],
        ['cluster-snapshot', `${A}:cluster-snapshot:shop-tr-1-final`],
      ]),
    );
    expect(out.map((f) => f.resource)).toEqual([`${A}:cluster-snapshot:shop-tr-1-final`]);
  });

  it('evaluates tag conditions against each resource’s own tags', async () => {
    const p = policy(
      allow(['rds:DeleteDBInstance'], [`${A}:db:*-tr-*`], {
        StringLike: { 'aws:ResourceTag/trapheus:run-id': 'run-*' },
      }),
    );
    const tagged = call('rds:DeleteDBInstance', [
      ['db', `${A}:db:shop-tr-1`, { 'aws:ResourceTag/trapheus:run-id': 'run-1' }],
    ]);
    const untagged = call('rds:DeleteDBInstance', [['db', `${A}:db:shop-tr-1`]]);
    const original = call('rds:DeleteDBInstance', [
      ['db', `${A}:db:shop`, { 'aws:ResourceTag/trapheus:run-id': 'run-1' }],
    ]);
    expect(await findings(p, tagged)).toEqual([]);
    expect((await findings(p, untagged)).map((f) => f.resource)).toEqual([`${A}:db:shop-tr-1`]);
    expect((await findings(p, original)).map((f) => f.resource)).toEqual([`${A}:db:shop`]);
  });

  it('reports a condition key the action does not support (the statement would never match)', () => {
    const out = statementFindings(
      policy(
        allow(['rds:DescribeDBInstances'], [`${A}:db:*`], { StringEquals: { 'aws:RequestTag/env': 'dev' } }),
        allow(['kms:Decrypt'], ['arn:aws:kms:us-east-1:000000000000:key/*'], {
          StringEquals: { 'kms:ViaService': 'ssm.us-east-1.amazonaws.com' },
        }),
      ).values(),
    );
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ action: 'rds:DescribeDBInstances' });
    expect(out[0]!.reason).toContain('aws:RequestTag/env');
  });

  it('denies a missing dependent action the SAR lists', async () => {
    // iam-data ships no dependentActions today: inject one the way the SAR writes it.
    const real = sarAction('rds:CreateDBInstance')!;
    const sar = (a: string) =>
      a === 'rds:CreateDBInstance' ? { ...real, dependentActions: ['iam:PassRole'] } : sarAction(a);
    const p = policy(allow(['rds:CreateDBInstance'], [`${A}:db:*`]));
    const create = call('rds:CreateDBInstance', [['db', `${A}:db:shop-1`]]);
    const out = (await evaluateCalls([create], p, { sar })).findings;
    expect(out.map((f) => f.missingGrant)).toEqual([
      'iam:PassRole (SAR dependent action of rds:CreateDBInstance)',
    ]);
    p.get(FN)!.statements.push(allow(['iam:PassRole'], ['arn:aws:iam::000000000000:role/*']));
    expect((await evaluateCalls([create], p, { sar })).findings).toEqual([]);
  });

  it('needs a key policy for KMS and honours kms:ViaService', async () => {
    const key = 'arn:aws:kms:us-east-1:000000000000:key/k1';
    const p = policy(
      allow(['kms:Decrypt'], ['arn:aws:kms:us-east-1:000000000000:key/*'], {
        StringEquals: { 'kms:ViaService': 'ssm.us-east-1.amazonaws.com' },
      }),
    );
    expect(
      await findings(
        p,
        call('kms:Decrypt', [['key', key]], { 'kms:ViaService': 'ssm.us-east-1.amazonaws.com' }),
      ),
    ).toEqual([]);
    expect(await findings(p, call('kms:Decrypt', [['key', key]]))).toHaveLength(1);
  });

  it('the services’ own statements use only condition keys their actions support', () => {
    expect(statementFindings(functionPolicies(`${__dirname}/../..`).values())).toEqual([]);
  });
});
