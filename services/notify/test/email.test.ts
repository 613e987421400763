import { SESv2Client, SESv2ServiceException, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { type EmailDeps, sendOutcomeEmail } from '../src/functions/email/send-email';
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
  TEMP,
} from './fixtures';

const DLQ = 'https://sqs.us-east-1.amazonaws.com/123456789012/trapheus-notify-email-dlq-test';

const sesError = (name: string, message: string) =>
  new SESv2ServiceException({ name, message, $fault: 'client', $metadata: { httpStatusCode: 400 } });

describe('sendOutcomeEmail', () => {
  const ses = mockClient(SESv2Client);
  const sqs = mockClient(SQSClient);
  let ledger: ReturnType<typeof memoryLedger>;

  const deps = (over: Partial<EmailDeps['config']> = {}, logger = quietLogger()): EmailDeps => ({
    logger,
    ses: new SESv2Client({ region: 'us-east-1' }),
    sqs: new SQSClient({ region: 'us-east-1' }),
    ledger: ledger.ledger,
    config: {
      from: 'Trapheus <trapheus@example.com>',
      to: ['ops@example.com', 'dba@example.com'],
      notifyOnSuccess: false,
      deadLetterQueueUrl: DLQ,
      ...over,
    },
  });

  beforeEach(() => {
    ses.reset();
    sqs.reset();
    ledger = memoryLedger();
    ses.on(SendEmailCommand).resolves({ MessageId: 'ses-1' });
    sqs.on(SendMessageCommand).resolves({ MessageId: 'sqs-1' });
  });
  afterAll(() => {
    ses.restore();
    sqs.restore();
  });

  it('sends one HTML + text e-mail naming the database, outcome, failed step, error code, temp and commands', async () => {
    const result = await sendOutcomeEmail(sqsRecord(outcomeEvent(failedOutcome())), deps());

    expect(result).toBe('sent');
    const calls = ses.commandCalls(SendEmailCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]!.args[0].input;
    expect(input.FromEmailAddress).toBe('Trapheus <trapheus@example.com>');
    expect(input.Destination).toEqual({ ToAddresses: ['ops@example.com', 'dba@example.com'] });
    const simple = input.Content?.Simple;
    expect(simple?.Subject).toEqual({
      Data: '[Trapheus] orders-db (instance): FAILED — needs a person',
      Charset: 'UTF-8',
    });
    expect(simple?.Body?.Html?.Charset).toBe('UTF-8');
    expect(simple?.Body?.Text?.Charset).toBe('UTF-8');
    const html = simple?.Body?.Html?.Data ?? '';
    const text = simple?.Body?.Text?.Data ?? '';
    for (const body of [html, text]) {
      expect(body).toContain('RESTORING');
      expect(body).toContain('InsufficientDBInstanceCapacity');
      expect(body).toContain(TEMP);
      expect(body).toContain(
        `aws rds modify-db-instance --db-instance-identifier ${TEMP} --new-db-instance-identifier orders-db --apply-immediately`,
      );
      expect(body).toContain('aws rds wait db-instance-available --db-instance-identifier orders-db');
    }
    expect(html).toContain(
      '<th align="left" valign="top" style="padding-right:16px">Failed step</th><td>RESTORING</td>',
    );
    expect(html).toContain('<td>Cannot create a db.r6g.large instance in us-east-1a &lt;now&gt;</td>');
    expect(text).toBe(
      [
        'orders-db: FAILED — needs a person',
        '',
        'Database:            orders-db',
        'Kind:                instance',
        'Task:                create_snapshot',
        'Final state:         FAILED',
        `Now under orders-db: nothing answers under orders-db; ${TEMP} is available`,
        `Temp database:       ${TEMP}`,
        'Snapshot:            orders-db-snapshot',
        `Run:                 ${RUN_ID}`,
        'Started:             2026-11-24T10:00:00.000Z',
        'Finished:            2026-11-24T10:47:12.000Z (took 47m 12s)',
        '',
        'WHAT FAILED',
        'Failed step:   RESTORING',
        'Error code:    InsufficientDBInstanceCapacity',
        'Error message: Cannot create a db.r6g.large instance in us-east-1a <now>',
        'Failed at:     2026-11-24T10:31:40.000Z',
        'Reason:        the rollback could not finish (UnexpectedDatabase): a person must look',
        '',
        'NEXT ACTION',
        `The rollback did not finish: the original may still be named ${TEMP}. Check both names, move a restored copy aside if one holds orders-db (do not delete it before checking), then give the original its name back.`,
        'orders-db stays locked for Trapheus until then: release it with `npx trapheus unlock orders-db`.',
        '',
        '  # what answers under orders-db',
        "  aws rds describe-db-instances --db-instance-identifier orders-db --query 'DBInstances[0].[DBInstanceIdentifier,DBInstanceStatus,InstanceCreateTime]' --output text",
        '',
        '  # the original, renamed by this run',
        `  aws rds describe-db-instances --db-instance-identifier ${TEMP} --query 'DBInstances[0].[DBInstanceIdentifier,DBInstanceStatus,InstanceCreateTime]' --output text`,
        '',
        '  # only if orders-db is the failed restored copy: move it aside',
        '  aws rds modify-db-instance --db-instance-identifier orders-db --new-db-instance-identifier orders-db-failed-copy --apply-immediately',
        '',
        '  # give the original its name back',
        `  aws rds modify-db-instance --db-instance-identifier ${TEMP} --new-db-instance-identifier orders-db --apply-immediately`,
        '',
        '  # wait until it answers again',
        '  aws rds wait db-instance-available --db-instance-identifier orders-db',
        '',
        'TIMELINE',
        '  REQUESTED      2026-11-24T10:00:00.000Z  2s',
        '  SNAPSHOTTING   2026-11-24T10:00:02.000Z  12m 28s',
        '  SNAPSHOT_READY 2026-11-24T10:12:30.000Z  1s',
        '  RENAMING       2026-11-24T10:12:31.000Z  2m 30s',
        '  RESTORING      2026-11-24T10:15:01.000Z  16m 39s',
        '  ROLLING_BACK   2026-11-24T10:31:40.000Z  15m 32s    InsufficientDBInstanceCapacity',
        '  FAILED         2026-11-24T10:47:12.000Z  —          rollback failed: UnexpectedDatabase',
        '',
        '-- Sent by Trapheus notify.',
        '',
      ].join('\n'),
    );
    expect([...ledger.items.entries()]).toEqual([
      [`${RUN_ID}#FAILED#email`, { status: 'sent', token: 'token-1' }],
    ]);
  });

  it('sends once when the same outcome arrives twice (duplicate event)', async () => {
    const first = await sendOutcomeEmail(sqsRecord(outcomeEvent(failedOutcome(), 'evt-1'), 'm1'), deps());
    const second = await sendOutcomeEmail(sqsRecord(outcomeEvent(failedOutcome(), 'evt-2'), 'm2'), deps());

    expect([first, second]).toEqual(['sent', 'duplicate']);
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(1);
  });

  it('moves a MessageRejected (unverified sender in the sandbox) to the DLQ with an explanation, no retry', async () => {
    ses
      .on(SendEmailCommand)
      .rejects(sesError('MessageRejected', 'Email address is not verified: trapheus@example.com'));
    const log = capturedLogger();
    const record = sqsRecord(outcomeEvent(failedOutcome()));

    let result: string;
    try {
      result = await sendOutcomeEmail(record, deps({}, log.logger));
    } finally {
      log.restore();
    }

    expect(result).toBe('dead-lettered');
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(1);
    expect(sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input)).toEqual([
      {
        QueueUrl: DLQ,
        MessageBody: record.body,
        MessageAttributes: {
          trapheusReason: {
            DataType: 'String',
            StringValue: 'SES MessageRejected: Email address is not verified: trapheus@example.com',
          },
        },
      },
    ]);
    const line = JSON.parse(log.lines.find((l) => l.includes('MessageRejected')) ?? '{}');
    expect(line).toMatchObject({ level: 'ERROR', runId: RUN_ID, errorCode: 'MessageRejected' });
    expect(line.message).toContain('verify the sender identity (NOTIFY_EMAIL_FROM)');
    expect(line.message).toContain('leave the sandbox');
    // The claim is released, so a redrive after fixing the identity sends the e-mail.
    expect(ledger.items.size).toBe(0);
  });

  it('throws a throttling error so SQS retries the record, and releases the claim', async () => {
    ses.on(SendEmailCommand).rejects(
      new SESv2ServiceException({
        name: 'TooManyRequestsException',
        message: 'Too many requests',
        $fault: 'client',
        $metadata: { httpStatusCode: 429 },
      }),
    );

    await expect(sendOutcomeEmail(sqsRecord(outcomeEvent(failedOutcome())), deps())).rejects.toThrow(
      'Too many requests',
    );
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
    expect(ledger.items.size).toBe(0);
  });

  it('skips RunSucceeded unless success notifications are on', async () => {
    const off = await sendOutcomeEmail(sqsRecord(outcomeEvent(succeededOutcome())), deps());
    expect(off).toBe('skipped');
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(0);

    const on = await sendOutcomeEmail(
      sqsRecord(outcomeEvent(succeededOutcome())),
      deps({ notifyOnSuccess: true }),
    );
    expect(on).toBe('sent');
    expect(ses.commandCalls(SendEmailCommand)[0]?.args[0].input.Content?.Simple?.Subject?.Data).toBe(
      '[Trapheus] orders-db (instance): SUCCEEDED — restored in place',
    );
  });

  it('skips ExportCompleted unless success notifications are on, like RunSucceeded', async () => {
    const off = await sendOutcomeEmail(sqsRecord(outcomeEvent(exportOutcome('complete'))), deps());
    expect(off).toBe('skipped');
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(0);
    expect(ledger.items.size).toBe(0);

    const on = await sendOutcomeEmail(
      sqsRecord(outcomeEvent(exportOutcome('complete'))),
      deps({ notifyOnSuccess: true }),
    );
    expect(on).toBe('sent');
    const input = ses.commandCalls(SendEmailCommand)[0]?.args[0].input;
    expect(input?.Content?.Simple?.Subject?.Data).toBe(
      '[Trapheus] orders-db (instance): export complete — snapshot orders-db-snapshot exported to s3://trapheus-exports/instance/orders-db/trapheus-0f3a9c21-7d4e-4b8a-9e11-2c5b7d9a0e44/',
    );
    expect(input?.Content?.Simple?.Body?.Text?.Data).toContain(
      'aws s3 ls s3://trapheus-exports/instance/orders-db/trapheus-0f3a9c21-7d4e-4b8a-9e11-2c5b7d9a0e44/',
    );
  });

  it('de-duplicates ExportCompleted under its own key: never against the run outcome or an ExportFailed', async () => {
    const on = deps({ notifyOnSuccess: true });
    const results = [
      await sendOutcomeEmail(sqsRecord(outcomeEvent(succeededOutcome(), 'evt-run')), on),
      await sendOutcomeEmail(sqsRecord(outcomeEvent(exportOutcome('failed'), 'evt-failed')), on),
      await sendOutcomeEmail(sqsRecord(outcomeEvent(exportOutcome('complete'), 'evt-done')), on),
      await sendOutcomeEmail(sqsRecord(outcomeEvent(exportOutcome('complete'), 'evt-again')), on),
    ];

    expect(results).toEqual(['sent', 'sent', 'sent', 'duplicate']);
    expect([...ledger.items.keys()].sort()).toEqual([
      `${RUN_ID}#SUCCEEDED#email`,
      `${RUN_ID}#SUCCEEDED#export#email`,
      `${RUN_ID}#SUCCEEDED#export-complete#email`,
    ]);
  });

  it('does nothing when no recipient is configured (channel disabled)', async () => {
    const result = await sendOutcomeEmail(sqsRecord(outcomeEvent(failedOutcome())), deps({ to: [] }));

    expect(result).toBe('disabled');
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(0);
    expect(ledger.items.size).toBe(0);
  });

  it('moves a message that is not a run outcome straight to the DLQ', async () => {
    const result = await sendOutcomeEmail(sqsRecord('{"not":"an event"}'), deps());

    expect(result).toBe('dead-lettered');
    expect(sqs.commandCalls(SendMessageCommand)[0]?.args[0].input).toEqual({
      QueueUrl: DLQ,
      MessageBody: '{"not":"an event"}',
      MessageAttributes: {
        trapheusReason: { DataType: 'String', StringValue: 'message is not an EventBridge event' },
      },
    });
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(0);
  });
});
