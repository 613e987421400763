import { SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type SlackReceiver, startSlackReceiver } from '@trapheus/local';
import { ConfigError } from '@trapheus/shared';
import { mockClient } from 'aws-sdk-client-mock';
import { loadWebhookList, type Webhook } from '../src/config';
import { fanOutToWebhooks, type SlackFanoutDeps } from '../src/functions/slack-fanout/fan-out';
import { type SlackSendDeps, sendToWebhook } from '../src/functions/slack-send/send-slack';
import { renderSlack } from '../src/render-slack';
import { slackDeliveryBody } from '../src/slack-delivery';
import { summarize } from '../src/summary';
import {
  capturedLogger,
  exportOutcome,
  failedOutcome,
  memoryLedger,
  outcomeEvent,
  quietLogger,
  RUN_ID,
  sqsRecord,
  succeededOutcome,
} from './fixtures';

const DELIVERY_QUEUE = 'https://sqs.us-east-1.amazonaws.com/123456789012/trapheus-notify-slack-delivery-test';
const DELIVERY_DLQ =
  'https://sqs.us-east-1.amazonaws.com/123456789012/trapheus-notify-slack-delivery-dlq-test';
const FANOUT_DLQ = 'https://sqs.us-east-1.amazonaws.com/123456789012/trapheus-notify-slack-dlq-test';

const sqs = mockClient(SQSClient);
beforeEach(() => {
  sqs.reset();
  sqs.on(SendMessageCommand).resolves({ MessageId: 'm' });
  sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
});
afterAll(() => sqs.restore());

const sent = () => sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input);

describe('fanOutToWebhooks', () => {
  const hooks = loadWebhookList(
    '["https://hooks.slack.com/services/T000/B001/secret-one","https://hooks.slack.com/services/T000/B002/secret-two"]',
  );
  const deps = (over: Partial<SlackFanoutDeps> = {}, notifyOnSuccess = false): SlackFanoutDeps => ({
    logger: quietLogger(),
    sqs: new SQSClient({ region: 'us-east-1' }),
    loadWebhooks: async () => hooks,
    config: { notifyOnSuccess, deliveryQueueUrl: DELIVERY_QUEUE, deadLetterQueueUrl: FANOUT_DLQ },
    ...over,
  });

  it('queues one delivery per webhook, naming the webhook by id and index, never by URL', async () => {
    const outcome = failedOutcome();

    const result = await fanOutToWebhooks(sqsRecord(outcomeEvent(outcome)), deps());

    expect(result).toEqual({ result: 'queued', webhooks: 2 });
    const batches = sqs.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input);
    expect(batches).toEqual([
      {
        QueueUrl: DELIVERY_QUEUE,
        Entries: [
          {
            Id: 'webhook-0',
            MessageBody: slackDeliveryBody({
              webhookId: hooks[0]!.id,
              webhookIndex: 0,
              attempt: 1,
              detailType: 'RunFailed',
              outcome,
            }),
          },
          {
            Id: 'webhook-1',
            MessageBody: slackDeliveryBody({
              webhookId: hooks[1]!.id,
              webhookIndex: 1,
              attempt: 1,
              detailType: 'RunFailed',
              outcome,
            }),
          },
        ],
      },
    ]);
    expect(JSON.stringify(batches)).not.toContain('secret-');
  });

  it('skips RunSucceeded unless success notifications are on', async () => {
    const off = await fanOutToWebhooks(sqsRecord(outcomeEvent(succeededOutcome())), deps());
    expect(off).toEqual({ result: 'skipped' });
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(0);

    const on = await fanOutToWebhooks(sqsRecord(outcomeEvent(succeededOutcome())), deps({}, true));
    expect(on).toEqual({ result: 'queued', webhooks: 2 });
  });

  it('skips ExportCompleted unless success notifications are on; always fans out an ExportFailed', async () => {
    const off = await fanOutToWebhooks(sqsRecord(outcomeEvent(exportOutcome('complete'))), deps());
    expect(off).toEqual({ result: 'skipped' });
    expect(await fanOutToWebhooks(sqsRecord(outcomeEvent(exportOutcome('failed'))), deps())).toEqual({
      result: 'queued',
      webhooks: 2,
    });

    const on = await fanOutToWebhooks(sqsRecord(outcomeEvent(exportOutcome('complete'))), deps({}, true));
    expect(on).toEqual({ result: 'queued', webhooks: 2 });
    const bodies = sqs
      .commandCalls(SendMessageBatchCommand)
      .flatMap((c) => c.args[0].input.Entries ?? [])
      .map((e) => JSON.parse(e.MessageBody ?? '{}').trapheusSlackDelivery.detailType);
    expect(bodies).toEqual(['ExportFailed', 'ExportFailed', 'ExportCompleted', 'ExportCompleted']);
  });

  it('does nothing when no webhook is configured', async () => {
    const result = await fanOutToWebhooks(
      sqsRecord(outcomeEvent(failedOutcome())),
      deps({ loadWebhooks: async () => [] }),
    );

    expect(result).toEqual({ result: 'disabled' });
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
  });

  it('moves the outcome to its DLQ when the webhooks configuration is malformed', async () => {
    const record = sqsRecord(outcomeEvent(failedOutcome()));
    const loadWebhooks = async () => loadWebhookList('https://hooks.slack.com/services/A/B/C\nnot a url');

    const result = await fanOutToWebhooks(record, deps({ loadWebhooks }));

    expect(result).toEqual({ result: 'dead-lettered' });
    expect(sent()).toEqual([
      {
        QueueUrl: FANOUT_DLQ,
        MessageBody: record.body,
        MessageAttributes: {
          trapheusReason: {
            DataType: 'String',
            StringValue: 'Slack webhook #2 (index 1) is not a valid URL',
          },
        },
      },
    ]);
  });
});

describe('sendToWebhook (against a local Slack receiver)', () => {
  let slack: SlackReceiver;
  let hooks: Webhook[];
  let ledger: ReturnType<typeof memoryLedger>;
  beforeEach(async () => {
    slack = await startSlackReceiver({ port: 0 });
    hooks = loadWebhookList(
      JSON.stringify([slack.webhookUrl('platform-alerts'), slack.webhookUrl('oncall')]),
    );
    ledger = memoryLedger();
  });
  afterEach(() => slack.stop());

  const deps = (over: Partial<SlackSendDeps> = {}): SlackSendDeps => ({
    logger: quietLogger(),
    sqs: new SQSClient({ region: 'us-east-1' }),
    fetch: globalThis.fetch,
    loadWebhooks: async () => hooks,
    ledger: ledger.ledger,
    config: {
      deliveryQueueUrl: DELIVERY_QUEUE,
      deadLetterQueueUrl: DELIVERY_DLQ,
      maxAttempts: 4,
      retryBaseSeconds: 30,
      timeoutMs: 2000,
    },
    ...over,
  });
  const delivery = (webhookIndex: number, attempt = 1) =>
    slackDeliveryBody({
      webhookId: hooks[webhookIndex]!.id,
      webhookIndex,
      attempt,
      detailType: 'RunFailed',
      outcome: failedOutcome(),
    });

  it('posts the Block Kit message to the webhook and records it as sent', async () => {
    const result = await sendToWebhook(sqsRecord(delivery(1)), deps());

    expect(result).toEqual({ result: 'sent' });
    expect(slack.posts()).toEqual([
      { webhook: 'oncall', body: renderSlack(summarize(failedOutcome())), receivedAt: expect.any(String) },
    ]);
    expect([...ledger.items.keys()]).toEqual([`${RUN_ID}#FAILED#slack#${hooks[1]!.id}`]);
    expect(sent()).toEqual([]);
  });

  it('posts an ExportCompleted once per webhook, under its own key beside the run outcome and an ExportFailed', async () => {
    const body = (outcome: ReturnType<typeof exportOutcome>, detailType: string) =>
      slackDeliveryBody({ webhookId: hooks[1]!.id, webhookIndex: 1, attempt: 1, detailType, outcome });
    const results = [
      await sendToWebhook(sqsRecord(body(exportOutcome('complete'), 'ExportCompleted'), 'a'), deps()),
      await sendToWebhook(sqsRecord(body(exportOutcome('complete'), 'ExportCompleted'), 'b'), deps()),
      await sendToWebhook(sqsRecord(body(exportOutcome('failed'), 'ExportFailed'), 'c'), deps()),
      await sendToWebhook(sqsRecord(body(succeededOutcome(), 'RunSucceeded'), 'd'), deps()),
    ];

    expect(results).toEqual([
      { result: 'sent' },
      { result: 'duplicate' },
      { result: 'sent' },
      { result: 'sent' },
    ]);
    expect([...ledger.items.keys()].sort()).toEqual(
      [
        `${RUN_ID}#SUCCEEDED#export-complete#slack#${hooks[1]!.id}`,
        `${RUN_ID}#SUCCEEDED#export#slack#${hooks[1]!.id}`,
        `${RUN_ID}#SUCCEEDED#slack#${hooks[1]!.id}`,
      ].sort(),
    );
    expect(JSON.stringify(slack.posts()[0]?.body)).toContain(
      'export complete — snapshot orders-db-snapshot exported to s3://trapheus-exports/instance/orders-db/',
    );
  });

  it('posts once per webhook when the same delivery comes twice', async () => {
    const results = [
      await sendToWebhook(sqsRecord(delivery(0), 'a'), deps()),
      await sendToWebhook(sqsRecord(delivery(0), 'b'), deps()),
      await sendToWebhook(sqsRecord(delivery(1), 'c'), deps()),
    ];

    expect(results).toEqual([{ result: 'sent' }, { result: 'duplicate' }, { result: 'sent' }]);
    expect(slack.posts().map((p) => p.webhook)).toEqual(['platform-alerts', 'oncall']);
  });

  it('re-sends a 500 with a delay and attempt+1, and does not dead-letter it', async () => {
    slack.failNext(500, 1);

    const result = await sendToWebhook(sqsRecord(delivery(0, 1)), deps());

    expect(result).toEqual({ result: 'retry-scheduled', attempt: 2, delaySeconds: 30 });
    expect(sent()).toEqual([{ QueueUrl: DELIVERY_QUEUE, MessageBody: delivery(0, 2), DelaySeconds: 30 }]);
    expect(ledger.items.size).toBe(0);
  });

  it('doubles the delay on each further attempt', async () => {
    slack.failNext(503, 1);

    const result = await sendToWebhook(sqsRecord(delivery(0, 3)), deps());

    expect(result).toEqual({ result: 'retry-scheduled', attempt: 4, delaySeconds: 120 });
    expect(sent()).toEqual([{ QueueUrl: DELIVERY_QUEUE, MessageBody: delivery(0, 4), DelaySeconds: 120 }]);
  });

  it('waits as long as Retry-After says after a 429', async () => {
    const fetch429: typeof fetch = async () =>
      new Response('rate_limited', { status: 429, headers: { 'retry-after': '7' } });

    const result = await sendToWebhook(sqsRecord(delivery(0, 1)), deps({ fetch: fetch429 }));

    expect(result).toEqual({ result: 'retry-scheduled', attempt: 2, delaySeconds: 7 });
    expect(sent()).toEqual([{ QueueUrl: DELIVERY_QUEUE, MessageBody: delivery(0, 2), DelaySeconds: 7 }]);
  });

  it('sends a 400 straight to the DLQ, with no re-send', async () => {
    slack.failNext(400, 1);
    const record = sqsRecord(delivery(1, 1));

    const result = await sendToWebhook(record, deps());

    expect(result).toEqual({ result: 'dead-lettered' });
    expect(sent()).toEqual([
      {
        QueueUrl: DELIVERY_DLQ,
        MessageBody: record.body,
        MessageAttributes: {
          trapheusReason: {
            DataType: 'String',
            StringValue: `webhook index 1 (${hooks[1]!.host}): Slack answered 400 (injected_failure)`,
          },
        },
      },
    ]);
    expect(slack.attempts().map((a) => a.status)).toEqual([400]);
  });

  it('gives up to the DLQ after the last attempt', async () => {
    slack.failNext(500, 1);

    const result = await sendToWebhook(sqsRecord(delivery(0, 4)), deps());

    expect(result).toEqual({ result: 'dead-lettered' });
    expect(sent()).toHaveLength(1);
    expect(sent()[0]).toMatchObject({ QueueUrl: DELIVERY_DLQ });
    expect(sent()[0]?.MessageAttributes?.trapheusReason?.StringValue).toBe(
      `webhook index 0 (${hooks[0]!.host}): Slack answered 500 (injected_failure) after 4 attempts`,
    );
  });

  it('retries a webhook that does not answer at all (connection refused)', async () => {
    await slack.stop();

    const result = await sendToWebhook(sqsRecord(delivery(0, 1)), deps());

    expect(result).toEqual({ result: 'retry-scheduled', attempt: 2, delaySeconds: 30 });
  });

  it('delivers exactly once when Slack answers 500 twice and then 200', async () => {
    slack.failNext(500, 2);
    let body = delivery(0, 1);
    const results: unknown[] = [];

    for (let i = 0; i < 3; i++) {
      sqs.resetHistory();
      results.push(await sendToWebhook(sqsRecord(body, `m${i}`), deps()));
      const resend = sent().find((s) => s.QueueUrl === DELIVERY_QUEUE);
      if (resend) body = resend.MessageBody!;
    }

    expect(results).toEqual([
      { result: 'retry-scheduled', attempt: 2, delaySeconds: 30 },
      { result: 'retry-scheduled', attempt: 3, delaySeconds: 60 },
      { result: 'sent' },
    ]);
    expect(slack.attempts().map((a) => a.status)).toEqual([500, 500, 200]);
    expect(slack.posts()).toHaveLength(1);
  });

  it('never writes a webhook URL to the logs, only its index and host', async () => {
    const log = capturedLogger();
    try {
      slack.failNext(500, 1);
      slack.failNext(404, 1);
      await sendToWebhook(sqsRecord(delivery(0, 1)), deps({ logger: log.logger }));
      await sendToWebhook(sqsRecord(delivery(1, 1)), deps({ logger: log.logger }));
      await sendToWebhook(sqsRecord(delivery(1, 2), 'again'), deps({ logger: log.logger }));
      await fanOutToWebhooks(sqsRecord(outcomeEvent(failedOutcome())), {
        logger: log.logger,
        sqs: new SQSClient({ region: 'us-east-1' }),
        loadWebhooks: async () => hooks,
        config: { notifyOnSuccess: false, deliveryQueueUrl: DELIVERY_QUEUE, deadLetterQueueUrl: FANOUT_DLQ },
      });
    } finally {
      log.restore();
    }

    const text = log.text();
    expect(log.lines.length).toBeGreaterThanOrEqual(4);
    for (const w of hooks) {
      expect(text).not.toContain(w.url);
      expect(text).not.toContain(`/services/local/`);
    }
    const entries = log.lines.map((l) => JSON.parse(l));
    expect(entries.map((e) => [e.message, e.webhookIndex, e.webhookHost])).toEqual([
      ['Slack delivery failed; retry scheduled', 0, hooks[0]!.host],
      ['Slack refused the message; not retried: moved to the DLQ', 1, hooks[1]!.host],
      ['Slack message sent', 1, hooks[1]!.host],
      ['Slack deliveries queued', undefined, undefined],
    ]);
    expect(entries[1].reason).toBe('Slack answered 404 (injected_failure)');
    expect(entries[3].webhooks).toEqual([
      { index: 0, host: hooks[0]!.host },
      { index: 1, host: hooks[1]!.host },
    ]);
  });

  it('moves the delivery to the DLQ when its webhook is gone from the configuration', async () => {
    const record = sqsRecord(delivery(1));

    const result = await sendToWebhook(record, deps({ loadWebhooks: async () => hooks.slice(0, 1) }));

    expect(result).toEqual({ result: 'dead-lettered' });
    expect(sent()[0]?.MessageAttributes?.trapheusReason?.StringValue).toBe(
      'webhook index 1 is no longer in the configuration',
    );
    expect(slack.attempts()).toEqual([]);
  });

  it('moves the delivery to the DLQ when the configuration is malformed', async () => {
    const loadWebhooks = async () => {
      throw new ConfigError('Slack webhook #1 (index 0) must use https');
    };

    const result = await sendToWebhook(sqsRecord(delivery(0)), deps({ loadWebhooks }));

    expect(result).toEqual({ result: 'dead-lettered' });
    expect(sent()[0]?.MessageAttributes?.trapheusReason?.StringValue).toBe(
      'Slack webhook #1 (index 0) must use https',
    );
  });
});
