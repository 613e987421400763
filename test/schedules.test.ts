/**
 * Schedules as code: trapheus.config.yml validation (each problem names its entry), the AWS cron/rate dialect and
 * its next firings, the resources the snapshot service's plugin adds to the template (without packaging), and
 * `trapheus schedules` without a stack.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  firedDetail,
  nextFirings,
  parseScheduleExpression,
  parseSchedulesConfig,
  restoreRequestedDetailSchema,
  type ScheduleEntry,
  SchedulesConfigError,
  schedulerResources,
} from '@trapheus/shared';
import { loadSchedulesFile } from '@trapheus/shared/schedules-file';
import { parse } from 'yaml';
import { main } from '../packages/cli/src/main';

const ROOT = join(__dirname, '..');

const good = {
  name: 'nightly-orders',
  identifier: 'orders-db',
  isCluster: false,
  task: 'db_restore',
  snapshotIdentifier: 'prod-orders-nightly',
  expression: 'cron(0 3 * * ? *)',
  timezone: 'Europe/Paris',
  enabled: true,
};

const problemsOf = (schedules: unknown[]): string[] => {
  try {
    parseSchedulesConfig({ schedules }, 'trapheus.config.yml');
  } catch (err) {
    if (err instanceof SchedulesConfigError) return [...err.problems];
    throw err;
  }
  throw new Error('expected the config to be rejected');
};

describe('trapheus.config.yml validation', () => {
  it.each([
    ['a malformed cron (five fields)', { expression: 'cron(0 3 * * ?)' }, /six fields/],
    [
      'a malformed cron (both days given)',
      { expression: 'cron(0 3 * * * *)' },
      /exactly one of day-of-month/,
    ],
    ['a malformed cron (hour 24)', { expression: 'cron(0 24 * * ? *)' }, /hours value 24 is outside 0-23/],
    ['a malformed cron (day-of-week 0)', { expression: 'cron(0 3 ? * 0 *)' }, /day-of-week value 0/],
    ['a malformed cron (year 2200)', { expression: 'cron(0 3 * * ? 2200)' }, /year value 2200/],
    ['a malformed rate (weeks)', { expression: 'rate(2 weeks)' }, /rate\(<positive integer>/],
    ['a malformed rate (zero)', { expression: 'rate(0 minutes)' }, /positive integer/],
    ['an unknown task', { task: 'restore_all' }, /field "task" is an unknown task "restore_all"/],
    [
      'a bad time zone',
      { timezone: 'Mars/Olympus_Mons' },
      /field "timezone" "Mars\/Olympus_Mons" is not an IANA/,
    ],
    ['an offset as time zone', { timezone: '+01:00' }, /is not an IANA time zone name/],
    ['a bad identifier', { identifier: '9-orders' }, /field "identifier" must start with a letter/],
    ['an unknown field', { cron: 'x' }, /field "cron" is not supported/],
    [
      'an export of a db_restore (no fresh snapshot)',
      { task: 'db_restore', export: true },
      /field "export" applies to the snapshot tasks/,
    ],
    ['a verify without hooks', { verify: { hooks: [] } }, /field "verify.hooks" must name at least one hook/],
  ])('rejects %s, naming the entry', (_what, change, message) => {
    const problems = problemsOf([{ ...good, ...change }]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^schedule "nightly-orders" \(entry 1\): /);
    expect(problems[0]).toMatch(message);
  });

  it('carries a verify into the detail each firing puts on the bus (timeout defaulted)', () => {
    const [entry] = parseSchedulesConfig({ schedules: [{ ...good, verify: { hooks: ['masking'] } }] });
    expect(entry?.detail.verify).toEqual({ hooks: ['masking'], timeoutMinutes: 60 });
  });

  it('rejects a duplicate name, naming both entries', () => {
    const problems = problemsOf([good, { ...good, identifier: 'other-db' }]);
    expect(problems).toEqual(['schedule "nightly-orders" (entry 2): the name is already used by entry 1']);
  });

  it('rejects names that would make the same CloudFormation logical id', () => {
    const problems = problemsOf([good, { ...good, name: 'nightly_orders' }]);
    expect(problems[0]).toMatch(
      /schedule "nightly_orders" \(entry 2\): .*"nightly-orders" only in punctuation/,
    );
  });

  it('reports every bad entry at once, and an entry without a name by its position', () => {
    const err = (() => {
      try {
        parseSchedulesConfig({ schedules: [{ ...good, task: 'x' }, good, { identifier: 'a' }] }, 'cfg.yml');
      } catch (e) {
        return e as SchedulesConfigError;
      }
      return undefined;
    })();
    expect(err?.problems).toHaveLength(2);
    expect(err?.message).toMatch(/^cfg\.yml: \n {2}- schedule "nightly-orders" \(entry 1\)/);
    expect(err?.problems[1]).toMatch(/^entry 3: field "name" is required; .*field "expression" is required/);
  });

  it('accepts an absent, empty or schedule-less config', () => {
    expect(parseSchedulesConfig(null)).toEqual([]);
    expect(parseSchedulesConfig({ schedules: null })).toEqual([]);
    expect(parseSchedulesConfig({ other: 1 })).toEqual([]);
    expect(loadSchedulesFile(join(tmpdir(), 'no-such-trapheus.config.yml'))).toEqual([]);
  });

  it('the repository config is valid and schedules nothing live', () => {
    const entries = loadSchedulesFile(join(ROOT, 'trapheus.config.yml'));
    expect(entries.length).toBeGreaterThanOrEqual(1);
    expect(entries.every((e) => !e.enabled)).toBe(true);
  });
});

describe('AWS cron and rate expressions', () => {
  const entry = (expression: string, timezone = 'UTC'): ScheduleEntry =>
    parseSchedulesConfig({ schedules: [{ ...good, expression, timezone }] })[0] as ScheduleEntry;
  const next = (expression: string, from: string, timezone = 'UTC', n = 3) =>
    nextFirings(entry(expression, timezone), n, new Date(from)).map((d) => d.toISOString());

  it('evaluates cron in the time zone, across daylight saving time', () => {
    // Paris moves to summer time on 2026-03-29: 03:00 local is 02:00 UTC, then 01:00 UTC.
    expect(next('cron(0 3 * * ? *)', '2026-03-27T12:00:00Z', 'Europe/Paris')).toEqual([
      '2026-03-28T02:00:00.000Z',
      '2026-03-29T01:00:00.000Z',
      '2026-03-30T01:00:00.000Z',
    ]);
  });

  it('reads the AWS dialect: 1 = Sunday, a/n increments, #, L and W', () => {
    // 2026-04-01 is a Wednesday.
    expect(next('cron(0 6 ? * 2 *)', '2026-04-01T00:00:00Z', 'UTC', 2)).toEqual([
      '2026-04-06T06:00:00.000Z', // Monday
      '2026-04-13T06:00:00.000Z',
    ]);
    expect(next('cron(5/20 1 * * ? *)', '2026-04-01T00:00:00Z')).toEqual([
      '2026-04-01T01:05:00.000Z',
      '2026-04-01T01:25:00.000Z',
      '2026-04-01T01:45:00.000Z',
    ]);
    expect(next('cron(0 2 ? * 6#3 *)', '2026-04-01T00:00:00Z', 'UTC', 1)).toEqual([
      '2026-04-17T02:00:00.000Z',
    ]);
    expect(next('cron(0 2 L * ? *)', '2026-04-01T00:00:00Z', 'UTC', 1)).toEqual(['2026-04-30T02:00:00.000Z']);
    expect(next('cron(0 2 ? * 6L *)', '2026-04-01T00:00:00Z', 'UTC', 1)).toEqual([
      '2026-04-24T02:00:00.000Z',
    ]);
    // 2026-08-01 is a Saturday: the weekday nearest the 1st is Monday the 3rd.
    expect(next('cron(0 2 1W * ? *)', '2026-07-15T00:00:00Z', 'UTC', 1)).toEqual([
      '2026-08-03T02:00:00.000Z',
    ]);
    expect(next('cron(0 2 ? * MON-FRI 2026)', '2026-12-31T03:00:00Z')).toEqual([]);
  });

  it('counts rate schedules from an anchor', () => {
    expect(parseScheduleExpression('rate(1 day)')).toMatchObject({ kind: 'rate', ms: 86_400_000 });
    const e = entry('rate(15 minutes)');
    expect(
      nextFirings(e, 2, new Date('2026-04-01T10:20:00Z'), new Date('2026-04-01T10:00:00Z')).map((d) =>
        d.toISOString(),
      ),
    ).toEqual(['2026-04-01T10:30:00.000Z', '2026-04-01T10:45:00.000Z']);
  });
});

describe('Scheduler resources', () => {
  const [entry] = parseSchedulesConfig({ schedules: [good, { ...good, name: 'off', enabled: false }] });

  it('one schedule per entry with the exact target, and a PutEvents-only role', () => {
    const input =
      '{"identifier":"orders-db","task":"db_restore","isCluster":false,"snapshotIdentifier":"prod-orders-nightly",' +
      '"requestId":"schedule:nightly-orders:<aws.scheduler.scheduled-time>","schedule":"nightly-orders"}';
    const resources = schedulerResources(
      parseSchedulesConfig({ schedules: [good, { ...good, name: 'off', enabled: false }] }),
    );
    expect(Object.keys(resources)).toEqual([
      'ScheduleGroup',
      'SchedulerRole',
      'ScheduleNightlyOrders',
      'ScheduleOff',
    ]);
    expect(resources.ScheduleNightlyOrders).toEqual({
      Type: 'AWS::Scheduler::Schedule',
      Properties: {
        Name: 'nightly-orders',
        GroupName: { Ref: 'ScheduleGroup' },
        ScheduleExpression: 'cron(0 3 * * ? *)',
        ScheduleExpressionTimezone: 'Europe/Paris',
        State: 'ENABLED',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: {
          Arn: { 'Fn::GetAtt': ['EventBus', 'Arn'] },
          RoleArn: { 'Fn::GetAtt': ['SchedulerRole', 'Arn'] },
          EventBridgeParameters: { DetailType: 'RestoreRequested', Source: 'trapheus' },
          Input: input,
        },
      },
    });
    expect((resources.ScheduleOff as { Properties: { State: string } }).Properties.State).toBe('DISABLED');
    expect(resources.ScheduleGroup).toEqual({
      Type: 'AWS::Scheduler::ScheduleGroup',
      Properties: { Name: { Ref: 'EventBus' } },
    });
    expect(resources.SchedulerRole).toMatchObject({
      Type: 'AWS::IAM::Role',
      Properties: {
        AssumeRolePolicyDocument: {
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: 'scheduler.amazonaws.com' },
              Action: 'sts:AssumeRole',
              Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
            },
          ],
        },
        Policies: [
          {
            PolicyName: 'put-restore-requested',
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [
                {
                  Effect: 'Allow',
                  Action: 'events:PutEvents',
                  Resource: { 'Fn::GetAtt': ['EventBus', 'Arn'] },
                },
              ],
            },
          },
        ],
      },
    });
    expect(schedulerResources([])).toEqual({});
  });

  it('each firing is a valid RestoreRequested carrying the schedule and a per-firing requestId', () => {
    const detail = firedDetail(entry as ScheduleEntry, new Date('2026-04-01T01:00:00.250Z'));
    expect(restoreRequestedDetailSchema.parse(detail)).toEqual({
      identifier: 'orders-db',
      task: 'db_restore',
      isCluster: false,
      snapshotIdentifier: 'prod-orders-nightly',
      requestId: 'schedule:nightly-orders:2026-04-01T01:00:00Z',
      schedule: 'nightly-orders',
    });
  });

  describe('the snapshot service plugin (what `serverless package` adds)', () => {
    const Plugin = require('../services/snapshot/serverless-schedules.js');
    const run = async (config: string) => {
      const previous = process.env.TRAPHEUS_CONFIG;
      process.env.TRAPHEUS_CONFIG = config;
      try {
        const template = {
          Resources: { EventBus: { Type: 'AWS::Events::EventBus' } } as Record<string, unknown>,
        };
        const plugin = new Plugin({ service: { provider: { compiledCloudFormationTemplate: template } } });
        await plugin.hooks['before:package:initialize']();
        await plugin.hooks['package:compileEvents']();
        return template.Resources;
      } finally {
        if (previous === undefined) delete process.env.TRAPHEUS_CONFIG;
        else process.env.TRAPHEUS_CONFIG = previous;
      }
    };

    it('is a plugin of services/snapshot/serverless.yml', () => {
      const yml = parse(readFileSync(join(ROOT, 'services', 'snapshot', 'serverless.yml'), 'utf8'), {
        customTags: [
          { tag: '!Ref', resolve: (v: string) => v },
          { tag: '!GetAtt', resolve: (v: string) => v },
          { tag: '!Sub', resolve: (v: string) => v },
        ],
      });
      expect(yml.plugins).toContain('./serverless-schedules.js');
    });

    it('adds the generated resources for the repository config', async () => {
      const resources = await run(join(ROOT, 'trapheus.config.yml'));
      const expected = schedulerResources(loadSchedulesFile(join(ROOT, 'trapheus.config.yml')));
      expect(resources).toEqual({ EventBus: { Type: 'AWS::Events::EventBus' }, ...expected });
      const schedules = Object.values(resources).filter(
        (r) => (r as { Type: string }).Type === 'AWS::Scheduler::Schedule',
      );
      expect(schedules.length).toBe(loadSchedulesFile(join(ROOT, 'trapheus.config.yml')).length);
    });

    it('fails packaging with a message naming the entry', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'trapheus-schedules-'));
      const file = join(dir, 'trapheus.config.yml');
      writeFileSync(
        file,
        'schedules:\n  - name: weekly-staging\n    identifier: staging-db\n    task: db_restore\n    expression: cron(0 3 * * MON *)\n',
      );
      await expect(run(file)).rejects.toThrow(
        /trapheus schedules: .*trapheus\.config\.yml: schedule "weekly-staging" \(entry 1\): field "expression" .*exactly one of day-of-month and day-of-week must be \?/,
      );
    });
  });
});

describe('trapheus schedules (no stack)', () => {
  const cli = async (args: string[], cwd: string) => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
    const code = await main(['schedules', ...args], io, cwd);
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  it('lists each schedule with its next three firings, and says the runs are unknown without a stack', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trapheus-schedules-'));
    writeFileSync(join(dir, 'cfg.yml'), `schedules:\n  - ${JSON.stringify(good)}\n`);
    const r = await cli(['--local', '--config', 'cfg.yml', '--json'], dir);
    expect(r.code).toBe(69);
    expect(r.err).toMatch(/the last runs are unknown: no local stack found/);
    const [view] = JSON.parse(r.out);
    expect(view).toMatchObject({
      name: 'nightly-orders',
      expression: 'cron(0 3 * * ? *)',
      timezone: 'Europe/Paris',
      enabled: true,
      identifier: 'orders-db',
      task: 'db_restore',
      nextApproximate: false,
      lastRun: null,
    });
    expect(view.next).toHaveLength(3);
    for (const n of view.next) {
      expect(n.utc).toMatch(/^\d{4}-\d\d-\d\dT0[12]:00:00Z$/);
      expect(n.zone).toMatch(/ 03:00:00 GMT\+[12]$/);
    }
  });

  it('exits 64 naming the entry when the config is invalid', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trapheus-schedules-'));
    writeFileSync(
      join(dir, 'cfg.yml'),
      `schedules:\n  - ${JSON.stringify({ ...good, timezone: 'Paris' })}\n`,
    );
    const r = await cli(['--local', '--config', 'cfg.yml'], dir);
    expect(r.code).toBe(64);
    expect(r.err).toMatch(/schedule "nightly-orders" \(entry 1\): field "timezone" "Paris"/);
  });

  it('exits 64 when --config names a missing file', async () => {
    const r = await cli(['--config', 'nope.yml'], tmpdir());
    expect(r.code).toBe(64);
    expect(r.err).toMatch(/nope\.yml does not exist/);
  });
});
