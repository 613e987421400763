/**
 * After `npm run package`: the packaged snapshot templates (.tmp/packaged/snapshot[-subscription].json, kept by
 * package-all.mjs) must carry exactly one AWS::Scheduler::Schedule per entry of trapheus.config.yml (or the file
 * named by TRAPHEUS_CONFIG), each equal to what packages/shared/src/schedules.ts generates (exact target Input,
 * State, time zone, flexible window OFF), and a scheduler role trusted by scheduler.amazonaws.com that may only
 * `events:PutEvents` on the project bus. Exit 1 on any difference.
 *
 *   npx tsx scripts/check-packaged-schedules.ts
 */

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import {
  RestoreRequested,
  restoreRequestedDetailSchema,
  SCHEDULE_GROUP_LOGICAL_ID,
  SCHEDULER_ROLE_LOGICAL_ID,
  schedulerResources,
} from '@trapheus/shared';
import { loadSchedulesFile, schedulesFileIn } from '@trapheus/shared/schedules-file';

const ROOT = join(__dirname, '..');
const DIR = join(ROOT, '.tmp', 'packaged');
const config = process.env.TRAPHEUS_CONFIG || schedulesFileIn(ROOT);

type Resource = { Type: string; Properties?: Record<string, unknown> };
const problems: string[] = [];
const entries = loadSchedulesFile(config);
const expected = schedulerResources(entries) as Record<string, Resource>;

for (const key of ['snapshot', 'snapshot-subscription']) {
  const file = join(DIR, `${key}.json`);
  if (!existsSync(file)) {
    problems.push(`${file} is missing: run \`npm run package\` first`);
    continue;
  }
  const resources = (JSON.parse(readFileSync(file, 'utf8')) as { Resources: Record<string, Resource> })
    .Resources;
  const fail = (m: string) => problems.push(`${key}: ${m}`);
  const schedules = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::Scheduler::Schedule');
  if (schedules.length !== entries.length) {
    fail(`${schedules.length} AWS::Scheduler::Schedule resources for ${entries.length} entries of ${config}`);
  }
  for (const [id, want] of Object.entries(expected)) {
    const got = resources[id];
    if (!got) fail(`${id} (${want.Type}) is missing`);
    else if (!isDeepStrictEqual(got, want)) {
      fail(
        `${id} differs from the generator:\n  packaged  ${JSON.stringify(got)}\n  generated ${JSON.stringify(want)}`,
      );
    }
  }
  for (const [id, r] of schedules) {
    const target = (r.Properties?.Target ?? {}) as Record<string, unknown>;
    const params = target.EventBridgeParameters as Record<string, unknown> | undefined;
    if (params?.Source !== RestoreRequested.source || params?.DetailType !== RestoreRequested.detailType) {
      fail(`${id}: the target does not put ${RestoreRequested.detailType} from ${RestoreRequested.source}`);
    }
    const detail = restoreRequestedDetailSchema.safeParse(JSON.parse(String(target.Input)));
    if (!detail.success) fail(`${id}: the target Input is not a valid RestoreRequested detail`);
  }
  if (entries.length > 0) {
    // The role: scheduler.amazonaws.com only, and one grant: events:PutEvents on the bus.
    const role = resources[SCHEDULER_ROLE_LOGICAL_ID]?.Properties ?? {};
    const trust = JSON.stringify(role.AssumeRolePolicyDocument ?? null);
    if (!trust.includes('"Service":"scheduler.amazonaws.com"') || trust.includes('lambda.amazonaws.com')) {
      fail(`${SCHEDULER_ROLE_LOGICAL_ID} is not trusted by scheduler.amazonaws.com alone`);
    }
    const statements = ((role.Policies ?? []) as { PolicyDocument: { Statement: unknown[] } }[]).flatMap(
      (p) => p.PolicyDocument.Statement,
    );
    const only = {
      Effect: 'Allow',
      Action: 'events:PutEvents',
      Resource: { 'Fn::GetAtt': ['EventBus', 'Arn'] },
    };
    if (statements.length !== 1 || !isDeepStrictEqual(statements[0], only) || role.ManagedPolicyArns) {
      fail(
        `${SCHEDULER_ROLE_LOGICAL_ID} may do more than events:PutEvents on the bus: ${JSON.stringify(statements)}`,
      );
    }
    if (resources[SCHEDULE_GROUP_LOGICAL_ID]?.Type !== 'AWS::Scheduler::ScheduleGroup') {
      fail(`${SCHEDULE_GROUP_LOGICAL_ID} is missing`);
    }
  }
  if (!problems.some((p) => p.startsWith(`${key}:`))) {
    console.log(`✓ ${key}: ${schedules.length} schedule(s) as generated from ${config}`);
  }
}
if (problems.length) {
  for (const p of problems) console.error(`✗ ${p}`);
  process.exit(1);
}
