import { type SlackReceiver, startSlackReceiver } from '../../src/outbox';

const post = (url: string, body: unknown) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('startSlackReceiver', () => {
  let slack: SlackReceiver;
  afterEach(async () => {
    await slack?.stop();
  });

  it('captures a webhook POST and answers ok, like Slack', async () => {
    slack = await startSlackReceiver({ port: 0 });

    const res = await post(slack.webhookUrl('oncall'), { text: 'hello', blocks: [] });

    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ok');
    expect(slack.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(slack.webhookUrl('oncall')).toBe(`${slack.url}/services/local/oncall`);
    expect(slack.posts()).toEqual([
      { webhook: 'oncall', body: { text: 'hello', blocks: [] }, receivedAt: expect.any(String) },
    ]);
  });

  it('answers the injected failures first, then ok', async () => {
    slack = await startSlackReceiver({ failures: [{ status: 500, count: 2 }] });

    const statuses: number[] = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await post(slack.webhookUrl('a'), { text: `try ${i}` })).status);

    expect(statuses).toEqual([500, 500, 200]);
    expect(slack.posts().map((p) => p.body)).toEqual([{ text: 'try 2' }]);
    expect(slack.attempts().map((a) => a.status)).toEqual([500, 500, 200]);
  });

  it('failNext limits a failure to one webhook and sends Retry-After with a 429', async () => {
    slack = await startSlackReceiver({});
    slack.failNext(429, 1, 'dead');

    const other = await post(slack.webhookUrl('alive'), { text: 'x' });
    const limited = await post(slack.webhookUrl('dead'), { text: 'y' });
    const after = await post(slack.webhookUrl('dead'), { text: 'z' });

    expect([other.status, limited.status, after.status]).toEqual([200, 429, 200]);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(slack.posts().map((p) => p.webhook)).toEqual(['alive', 'dead']);
  });

  it('failNext with a match fails only the POSTs whose body contains it', async () => {
    slack = await startSlackReceiver({});
    slack.failNext(500, 1, undefined, 'orders-db');

    const other = await post(slack.webhookUrl('a'), { text: 'billing-db FAILED' });
    const hit = await post(slack.webhookUrl('a'), { text: 'orders-db FAILED' });
    const again = await post(slack.webhookUrl('a'), { text: 'orders-db FAILED' });

    expect([other.status, hit.status, again.status]).toEqual([200, 500, 200]);
  });

  it('refuses what Slack refuses: no text, not JSON, unknown path', async () => {
    slack = await startSlackReceiver({});

    const noText = await post(slack.webhookUrl('a'), { foo: 1 });
    const notJson = await post(slack.webhookUrl('a'), 'not json');
    const unknown = await post(`${slack.url}/nowhere`, { text: 'x' });

    expect([noText.status, await noText.text()]).toEqual([400, 'no_text']);
    expect([notJson.status, await notJson.text()]).toEqual([400, 'invalid_payload']);
    expect([unknown.status, await unknown.text()]).toEqual([404, 'no_service']);
    expect(slack.posts()).toEqual([]);
  });

  it('lists accepted posts over HTTP for other processes', async () => {
    slack = await startSlackReceiver({});
    await post(slack.webhookUrl('oncall'), { text: 'hi' });

    const listed = await (await fetch(`${slack.url}/posts`)).json();

    expect(listed).toEqual([
      { webhook: 'oncall', body: { text: 'hi' }, receivedAt: expect.any(String), status: 200 },
    ]);
  });
});
