import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { type SesLocal, startSesLocal } from '../../src/outbox';

describe('startSesLocal', () => {
  let ses: SesLocal | undefined;
  afterEach(async () => {
    await ses?.stop();
    ses = undefined;
  });

  it('captures an e-mail a real SESv2Client sends to it', async () => {
    ses = await startSesLocal({ port: 0 });
    const client = new SESv2Client({
      region: 'us-east-1',
      endpoint: ses.url,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });

    const out = await client.send(
      new SendEmailCommand({
        FromEmailAddress: 'trapheus@example.com',
        Destination: { ToAddresses: ['ops@example.com', 'dba@example.com'] },
        Content: {
          Simple: {
            Subject: { Data: '[Trapheus] orders-db: FAILED' },
            Body: { Html: { Data: '<p>RESTORING failed</p>' }, Text: { Data: 'RESTORING failed' } },
          },
        },
      }),
    );
    client.destroy();

    expect(ses.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const emails = await ses.emails();
    expect(emails).toEqual([
      {
        messageId: out.MessageId,
        from: 'trapheus@example.com',
        to: ['ops@example.com', 'dba@example.com'],
        cc: [],
        bcc: [],
        replyTo: [],
        subject: '[Trapheus] orders-db: FAILED',
        html: '<p>RESTORING failed</p>',
        text: 'RESTORING failed',
        at: expect.any(Number),
      },
    ]);
  });

  it('starts with an empty store, clears on demand and refuses a second instance in one process', async () => {
    ses = await startSesLocal({});
    const client = new SESv2Client({
      region: 'us-east-1',
      endpoint: ses.url,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    expect(await ses.emails()).toEqual([]);
    await client.send(
      new SendEmailCommand({
        FromEmailAddress: 'a@example.com',
        Destination: { ToAddresses: ['b@example.com'] },
        Content: { Simple: { Subject: { Data: 's' }, Body: { Text: { Data: 't' } } } },
      }),
    );
    client.destroy();
    expect((await ses.emails()).map((e) => e.subject)).toEqual(['s']);

    await ses.clear();

    expect(await ses.emails()).toEqual([]);
    await expect(startSesLocal({})).rejects.toThrow(/already running in this process/);
  });
});
