import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { ConfigError, loadConfig } from '@trapheus/shared';
import { mockClient } from 'aws-sdk-client-mock';
import { emailSettings, loadWebhookList, notifyEnvSchema, parseRecipients } from '../src/config';
import { sesEndpoint } from '../src/deps';
import { buildWebhookSource } from '../src/webhooks';
import { capturedLogger, quietLogger } from './fixtures';

const SECRET = 'https://hooks.slack.com/services/T000/B000/XXXXsecretXXXX';

describe('Slack webhooks configuration', () => {
  it('accepts a JSON array or newline/comma separated https URLs, and http only on 127.0.0.1/localhost', () => {
    const fromJson = loadWebhookList(`["${SECRET}", "http://127.0.0.1:4000/services/local/oncall"]`);
    const fromLines = loadWebhookList(
      `${SECRET}\n https://chat.example.com/hooks/abc ,http://localhost:9/x\n`,
    );

    expect(fromJson.map((w) => [w.index, w.host])).toEqual([
      [0, 'hooks.slack.com'],
      [1, '127.0.0.1:4000'],
    ]);
    expect(fromJson[0]!.url).toBe(SECRET);
    expect(fromJson[0]!.id).toMatch(/^[0-9a-f]{16}$/);
    expect(fromLines.map((w) => w.host)).toEqual(['hooks.slack.com', 'chat.example.com', 'localhost:9']);
    expect(loadWebhookList('  ')).toEqual([]);
  });

  it.each([
    [`${SECRET}\nnot-a-url`, 'Slack webhook #2 (index 1) is not a valid URL'],
    [
      `["${SECRET}", "http://hooks.slack.com/services/T/B/x"]`,
      'Slack webhook #2 (index 1) must use https (plain http is only accepted for 127.0.0.1 or localhost)',
    ],
    ['ftp://hooks.slack.com/x', 'Slack webhook #1 (index 0) must be an https URL, not ftp'],
    ['https://user:pw@hooks.slack.com/x', 'Slack webhook #1 (index 0) must not contain credentials'],
    [`["${SECRET}", 42]`, 'Slack webhook #2 (index 1) is not a string'],
    [`${SECRET},${SECRET}`, 'Slack webhook #2 (index 1) repeats webhook #1 (index 0)'],
    [`["${SECRET}"`, 'Slack webhooks parameter starts with "[" but is not valid JSON'],
  ])('rejects a malformed list at load time, naming the bad entry by index: %#', (raw, message) => {
    const attempt = () => loadWebhookList(raw);

    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(message);
    try {
      attempt();
    } catch (err) {
      expect((err as Error).message).not.toContain('XXXXsecretXXXX');
    }
  });
});

describe('buildWebhookSource (SSM SecureString, cached)', () => {
  const ssm = mockClient(SSMClient);
  beforeEach(() => ssm.reset());
  afterAll(() => ssm.restore());
  const provider = () => new SSMProvider({ awsSdkV3Client: new SSMClient({ region: 'us-east-1' }) });

  it('reads the parameter with decryption once per cache period and validates it', async () => {
    ssm
      .on(GetParameterCommand)
      .resolves({ Parameter: { Name: '/trapheus/test/slack-webhooks', Value: `["${SECRET}"]` } });
    const log = capturedLogger();
    let first: unknown;
    let second: unknown;
    try {
      const load = buildWebhookSource({
        provider: provider(),
        parameterName: '/trapheus/test/slack-webhooks',
        maxAgeSeconds: 300,
        logger: log.logger,
      });
      first = await load();
      second = await load();
    } finally {
      log.restore();
    }

    expect(first).toEqual([{ index: 0, id: expect.any(String), host: 'hooks.slack.com', url: SECRET }]);
    expect(second).toBe(first);
    expect(ssm.commandCalls(GetParameterCommand).map((c) => c.args[0].input)).toEqual([
      { Name: '/trapheus/test/slack-webhooks', WithDecryption: true },
    ]);
    expect(log.text()).toContain('"webhooks":[{"index":0,"host":"hooks.slack.com"}]');
    expect(log.text()).not.toContain('XXXXsecretXXXX');
  });

  it('turns the channel off, said once, when the parameter does not exist', async () => {
    ssm.on(GetParameterCommand).rejects(new ParameterNotFound({ message: 'not found', $metadata: {} }));
    const log = capturedLogger();
    let results: unknown[];
    try {
      const load = buildWebhookSource({
        provider: provider(),
        parameterName: '/nope',
        maxAgeSeconds: 1,
        logger: log.logger,
      });
      results = [await load(), await load()];
    } finally {
      log.restore();
    }

    expect(results).toEqual([[], []]);
    expect(log.lines.filter((l) => l.includes('Slack channel disabled'))).toHaveLength(1);
  });

  it('turns the channel off without reading SSM when no parameter is named', async () => {
    const load = buildWebhookSource({
      provider: provider(),
      parameterName: '',
      maxAgeSeconds: 300,
      logger: quietLogger(),
    });

    expect(await load()).toEqual([]);
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(0);
  });

  it('rejects a malformed value naming the entry by index', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: `${SECRET}\nhttp://example.com/hook` } });
    const load = buildWebhookSource({
      provider: provider(),
      parameterName: '/p',
      maxAgeSeconds: 300,
      logger: quietLogger(),
    });

    await expect(load()).rejects.toThrow('Slack webhook #2 (index 1) must use https');
  });
});

describe('notify environment', () => {
  const base = {
    DELIVERIES_TABLE: 't',
    EMAIL_DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/1/a',
    SLACK_DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/1/b',
    SLACK_DELIVERY_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/1/c',
    SLACK_DELIVERY_DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/1/d',
  };

  it('defaults: success notifications off, channels off, 6 Slack attempts from 30 s, 300 s cache', () => {
    const config = loadConfig(notifyEnvSchema, base);

    expect(config).toMatchObject({
      NOTIFY_ON_SUCCESS: false,
      NOTIFY_EMAIL_TO: '',
      SLACK_WEBHOOKS_PARAMETER: '',
      SLACK_MAX_ATTEMPTS: 6,
      SLACK_RETRY_BASE_SECONDS: 30,
      SLACK_WEBHOOKS_CACHE_SECONDS: 300,
    });
    expect(loadConfig(notifyEnvSchema, { ...base, NOTIFY_ON_SUCCESS: 'true' }).NOTIFY_ON_SUCCESS).toBe(true);
    expect(() => loadConfig(notifyEnvSchema, { ...base, NOTIFY_ON_SUCCESS: 'maybe' })).toThrow(
      'NOTIFY_ON_SUCCESS: must be true or false',
    );
  });

  it('parses several recipients and requires a sender when there are recipients', () => {
    expect(parseRecipients('ops@example.com, DBA <dba@example.com>;\noncall@example.com')).toEqual([
      'ops@example.com',
      'DBA <dba@example.com>',
      'oncall@example.com',
    ]);
    expect(() => parseRecipients('ops@example.com,nobody')).toThrow(
      'NOTIFY_EMAIL_TO entry #2 (index 1) is not an e-mail address',
    );
    expect(emailSettings({ NOTIFY_EMAIL_FROM: '', NOTIFY_EMAIL_TO: '' })).toEqual({ from: '', to: [] });
    expect(() => emailSettings({ NOTIFY_EMAIL_FROM: '', NOTIFY_EMAIL_TO: 'ops@example.com' })).toThrow(
      'NOTIFY_EMAIL_FROM is not set (it is required when NOTIFY_EMAIL_TO names recipients)',
    );
  });

  it('points SES v2 at AWS_ENDPOINT_URL_SESV2, then AWS_ENDPOINT_URL_SES, then AWS_ENDPOINT_URL', () => {
    expect(sesEndpoint({ AWS_ENDPOINT_URL_SESV2: 'http://a', AWS_ENDPOINT_URL_SES: 'http://b' })).toBe(
      'http://a',
    );
    expect(sesEndpoint({ AWS_ENDPOINT_URL_SES: 'http://b', AWS_ENDPOINT_URL: 'http://c' })).toBe('http://b');
    expect(sesEndpoint({ AWS_ENDPOINT_URL: 'http://c' })).toBe('http://c');
    expect(sesEndpoint({})).toBeUndefined();
  });
});
