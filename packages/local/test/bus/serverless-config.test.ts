// biome-ignore-all lint/suspicious/noTemplateCurlyInString: serverless.yml variables are written literally here
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startLocalBus } from '../../src/bus';
import {
  functionLogicalId,
  loadProject,
  parseYaml,
  ServerlessConfigError,
} from '../../src/bus/serverless-config';

const fixture = path.join(__dirname, 'fixtures', 'project');

describe('loadProject on the fixture project', () => {
  const model = loadProject(fixture, { sqsEndpoint: 'http://127.0.0.1:4567' });
  const alpha = model.services.find((s) => s.name === 'alpha')!;
  const beta = model.services.find((s) => s.name === 'beta')!;

  it('resolves compose params from the upstream outputs', () => {
    expect(alpha.outputs).toEqual({
      EventBusName: 'trapheus-fx-dev',
      EventBusArn: 'arn:aws:events:us-east-1:000000000000:event-bus/trapheus-fx-dev',
      Mode: 'local-dev',
    });
    expect(beta.params).toEqual({
      busName: 'trapheus-fx-dev',
      busArn: 'arn:aws:events:us-east-1:000000000000:event-bus/trapheus-fx-dev',
    });
    expect(beta.rules.map((r) => [r.logicalId, r.busName, r.enabled])).toEqual([
      ['WorkRule', 'trapheus-fx-dev', true],
      ['ThrowRule', 'trapheus-fx-dev', true],
      ['RdsRule', 'default', true],
      ['DisabledRule', 'trapheus-fx-dev', false],
    ]);
    expect(beta.rules[2]?.eventPattern).toEqual({
      source: ['aws.rds'],
      detail: { EventID: [{ prefix: 'RDS-EVENT-' }] },
    });
  });

  it('reads queues with redrive policies (object and Fn::Sub JSON string) and skips false conditions', () => {
    expect(alpha.queues.map((q) => q.name)).toEqual(['fx-alpha-dev-publisher', 'fx-alpha-dev-parallel']);
    const work = beta.queues.find((q) => q.logicalId === 'WorkQueue')!;
    expect(work.redrivePolicy).toEqual({
      deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:fx-beta-dev-work-dlq',
      maxReceiveCount: 2,
    });
    expect(beta.queues.find((q) => q.logicalId === 'ThrowQueue')).toMatchObject({
      visibilityTimeout: 20,
      redrivePolicy: {
        deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:fx-beta-dev-throw-dlq',
        maxReceiveCount: 2,
      },
    });
    expect(beta.queues.find((q) => q.logicalId === 'DelayedQueue')?.delaySeconds).toBe(60);
  });

  it('builds functions: handler file, memory/timeout inheritance, merged env with intrinsics, events', () => {
    const publisher = alpha.functions.find((f) => f.key === 'publisher')!;
    expect(publisher).toMatchObject({
      name: 'fx-alpha-dev-publisher',
      file: path.join(fixture, 'services/alpha/src/publisher.ts'),
      exportName: 'main',
      memorySize: 256,
      timeout: 5,
      environment: {
        SHARED_NAME: 'alpha',
        STAGE: 'dev',
        BUS_NAME: 'trapheus-fx-dev',
        OWN_QUEUE_URL: 'http://127.0.0.1:4567/000000000000/fx-alpha-dev-publisher',
        OWN_QUEUE_ARN: 'arn:aws:sqs:us-east-1:000000000000:fx-alpha-dev-publisher',
        TABLE_NAME: 'fx-alpha-dev-runs',
      },
      sqs: [
        { queueName: 'fx-alpha-dev-publisher', batchSize: 1, reportBatchItemFailures: false, enabled: true },
      ],
    });
    const checker = alpha.functions.find((f) => f.key === 'checker')!;
    expect(checker.memorySize).toBe(512);
    expect(checker.schedules).toEqual([{ expression: 'rate(5 minutes)', enabled: true, input: undefined }]);
    const worker = beta.functions.find((f) => f.key === 'worker')!;
    expect(worker).toMatchObject({ memorySize: 1024, timeout: 6 });
    expect(worker.sqs[0]).toMatchObject({
      batchSize: 10,
      maximumBatchingWindow: 1,
      reportBatchItemFailures: true,
    });
    expect(worker.environment.GREETING).toBe('hello-dev');
    expect(worker.environment.FROM_ENV).toBe('env-default');
    expect(beta.functions.find((f) => f.key === 'delayed')?.exportName).toBe('delayed');
  });

  it('passes DynamoDB table properties through', () => {
    expect(alpha.tables).toHaveLength(1);
    expect(alpha.tables[0]?.properties).toMatchObject({
      TableName: 'fx-alpha-dev-runs',
      KeySchema: [{ AttributeName: 'runId', KeyType: 'HASH' }],
    });
  });

  it('follows the stage: params.<stage>, conditions and ${env:...}', () => {
    const prod = loadProject(fixture, {
      stage: 'prod',
      region: 'eu-west-1',
      env: { FX_FROM_ENV: 'from-env' },
    });
    const a = prod.services.find((s) => s.name === 'alpha')!;
    const b = prod.services.find((s) => s.name === 'beta')!;
    expect(a.outputs.Mode).toBe('production');
    expect(a.outputs.EventBusArn).toBe('arn:aws:events:eu-west-1:000000000000:event-bus/trapheus-fx-prod');
    expect(a.queues.map((q) => q.name)).toContain('fx-prod-only');
    const worker = b.functions.find((f) => f.key === 'worker')!;
    expect(worker.environment).toMatchObject({
      GREETING: 'hello-prod',
      FROM_ENV: 'from-env',
      NESTED: 'no-stage',
      JOINED: 'a|eu-west-1|000000000000',
    });
  });
});

describe('serverless.yml edge cases', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'bus-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const project = (serverlessYml: string, handler = 'export const main = async () => 1;\n') => {
    writeFileSync(path.join(dir, 'serverless-compose.yml'), 'services:\n  one:\n    path: svc\n');
    mkdirSync(path.join(dir, 'svc', 'src'), { recursive: true });
    writeFileSync(path.join(dir, 'svc', 'serverless.yml'), serverlessYml);
    writeFileSync(path.join(dir, 'svc', 'src', 'h.ts'), handler);
  };

  it('names the file and the variable for an unsupported source', () => {
    project(
      [
        'service: one',
        'functions:',
        '  f:',
        '    handler: src/h.main',
        '    environment:',
        '      SECRET: ${ssm:/path/to/secret}',
      ].join('\n'),
    );
    expect(() => loadProject(dir)).toThrow(ServerlessConfigError);
    expect(() => loadProject(dir)).toThrow(
      `${path.join(dir, 'svc', 'serverless.yml')}: cannot resolve variable \${ssm:/path/to/secret}: the source "ssm" is not supported`,
    );
  });

  it('reports a missing self reference without fallback, and a missing handler file', () => {
    project('service: one\nfunctions:\n  f:\n    handler: src/h.main\n    memorySize: ${self:custom.nope}\n');
    expect(() => loadProject(dir)).toThrow(
      /cannot resolve variable \$\{self:custom.nope\}: the value was not found/,
    );
    project('service: one\nfunctions:\n  f:\n    handler: src/missing.main\n');
    expect(() => loadProject(dir)).toThrow(/handler "src\/missing.main": no file src\/missing/);
  });

  it('supports several variables in one string, numeric fallbacks and self references to objects', () => {
    project(
      [
        'service: one',
        'custom:',
        '  base: { size: 128 }',
        '  alias: ${self:custom.base}',
        'provider:',
        '  memorySize: ${self:custom.alias.size}',
        '  timeout: ${param:timeout, 9}',
        'functions:',
        '  f:',
        '    handler: src/h.main',
        '    environment:',
        '      NAME: ${self:service}:${sls:stage}:${opt:region}',
        "      SUB: !Sub 'x-${AWS::Region}-${Q.QueueName}-${!Literal}'",
        '      SUB2:',
        "        Fn::Sub: ['${A}-${B}', { A: !Ref AWS::Partition, B: !GetAtt [Q, QueueUrl] }]",
        '      SEL: !Select [1, !Split [",", "a,b,c"]]',
        'resources:',
        '  Resources:',
        '    Q:',
        '      Type: AWS::SQS::Queue',
      ].join('\n'),
    );
    const f = loadProject(dir, { sqsEndpoint: 'http://h:1' }).services[0]!.functions[0]!;
    expect(f.memorySize).toBe(128);
    expect(f.timeout).toBe(9);
    expect(f.environment).toEqual({
      NAME: 'one:dev:us-east-1',
      SUB: 'x-us-east-1-one-dev-Q-${Literal}',
      SUB2: 'aws-http://h:1/000000000000/one-dev-Q',
      SEL: 'b',
    });
  });

  it('detects circular self references', () => {
    project(
      'service: one\ncustom:\n  a: ${self:custom.b}\n  b: ${self:custom.a}\nfunctions:\n  f:\n    handler: src/h.main\n    timeout: ${self:custom.a}\n',
    );
    expect(() => loadProject(dir)).toThrow(/circular reference/);
  });

  it('reports an unknown compose output', () => {
    project('service: one\n');
    writeFileSync(
      path.join(dir, 'serverless-compose.yml'),
      'services:\n  one:\n    path: svc\n  two:\n    path: svc\n    params:\n      x: ${one.Missing}\n',
    );
    expect(() => loadProject(dir)).toThrow(/service "one" has no output "Missing"/);
  });

  it('parses short and long intrinsic forms identically', () => {
    const short = parseYaml(
      'a: !GetAtt Q.Arn\nb: !Ref X\nc: !Join [",", [!Ref A, b]]\nd: !If [C, !Sub "${X}", no]\n',
      'x',
    );
    const long = parseYaml(
      'a: { Fn::GetAtt: [Q, Arn] }\nb: { Ref: X }\nc: { Fn::Join: [",", [{ Ref: A }, b]] }\nd: { Fn::If: [C, { Fn::Sub: "${X}" }, no] }\n',
      'x',
    );
    expect(short).toEqual(long);
    expect(functionLogicalId('check-back_fn')).toBe('CheckDashbackUnderscorefnLambdaFunction');
  });
});

describe('DynamoDB tables and the default (require-based) loader', () => {
  it('creates the tables in dynalite (TTL ignored) when dynamodbEndpoint is set', async () => {
    // biome-ignore lint/suspicious/noExplicitAny: dynalite ships no types
    const dynalite = require('dynalite') as (opts: Record<string, unknown>) => any;
    const server: Server = dynalite({ createTableMs: 5 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const bus = await startLocalBus({ rootDir: fixture, dynamodbEndpoint: endpoint, services: ['alpha'] });
    const ddb = new DynamoDBClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });
    try {
      const d = await ddb.send(new DescribeTableCommand({ TableName: 'fx-alpha-dev-runs' }));
      expect(d.Table?.TableStatus).toBe('ACTIVE');
      expect(d.Table?.GlobalSecondaryIndexes?.map((g) => g.IndexName)).toEqual(['byIdentifier']);
      // only alpha runs: its queues exist, beta's do not
      expect(bus.queues().map((q) => q.name)).toEqual(['fx-alpha-dev-publisher', 'fx-alpha-dev-parallel']);
    } finally {
      ddb.destroy();
      await bus.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('isolates env and module instances with the default loader in a plain Node process (tsx)', async () => {
    const script = path.join(__dirname, 'fixtures', 'default-loader.ts');
    const tsx = path.join(__dirname, '..', '..', '..', '..', 'node_modules', '.bin', 'tsx');
    const out = await new Promise<string>((resolve, reject) => {
      execFile(tsx, [script], { timeout: 20_000 }, (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
      );
    });
    const result = JSON.parse(out.trim().split('\n').pop()!);
    expect(result.publisher).toEqual({ sharedAtLoad: 'alpha', sharedNow: 'alpha' });
    expect(result.worker).toEqual({ sharedAtLoad: 'beta', sharedNow: 'beta', greeting: 'hello-dev' });
    expect(result.hostSharedName).toBe('host-value');
    // the host's copy of log.ts plus a fresh one for each of the two functions; the host's cache entry is back
    expect(result.logInstances).toBe(3);
    expect(result.hostCacheKept).toBe(true);
  });
});
