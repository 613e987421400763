import { type SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { errorCode, errorMessage, type Logger } from '@trapheus/shared';
import type { EmailSettings } from '../../config';
import { sendToDeadLetter } from '../../dead-letter';
import { DeliveryInProgressError, type DeliveryKey, type DeliveryLedger } from '../../deliveries';
import { deliveryChannel, parseOutcomeEvent, shouldNotify } from '../../outcome';
import { renderEmail } from '../../render-email';
import { summarize } from '../../summary';

export interface EmailDeps {
  logger: Logger;
  ses: SESv2Client;
  sqs: SQSClient;
  ledger: DeliveryLedger;
  config: EmailSettings & { notifyOnSuccess: boolean; deadLetterQueueUrl: string };
}

export type EmailResult = 'sent' | 'duplicate' | 'skipped' | 'disabled' | 'dead-lettered';

/** SES errors no retry can fix: the record goes straight to the DLQ. */
const PERMANENT_SES_ERRORS = new Set([
  'MessageRejected',
  'MailFromDomainNotVerifiedException',
  'AccountSuspendedException',
  'SendingPausedException',
  'BadRequestException',
  'NotFoundException',
]);

const explain = (code: string): string =>
  code === 'MessageRejected'
    ? 'SES rejected the message. In the SES sandbox both the sender and every recipient must be verified: ' +
      'verify the sender identity (NOTIFY_EMAIL_FROM) and the recipients in SES, or request production ' +
      'access to leave the sandbox. The message goes to the DLQ; redrive it once fixed.'
    : `SES refused the message (${code}); retrying cannot help. The message goes to the DLQ; redrive it once fixed.`;

/**
 * Sends the e-mail for one run outcome (an EventBridge event in an SQS record), once per run outcome.
 *
 * @example
 * await sendOutcomeEmail(record, deps) // 'sent'
 */
export const sendOutcomeEmail = async (
  record: { messageId: string; body: string },
  deps: EmailDeps,
): Promise<EmailResult> => {
  const { config, ledger } = deps;
  const parsed = parseOutcomeEvent(record.body);
  if (!parsed.ok) {
    deps.logger.error('not a run outcome: moved to the DLQ', {
      messageId: record.messageId,
      reason: parsed.reason,
    });
    await sendToDeadLetter(deps.sqs, config.deadLetterQueueUrl, record.body, parsed.reason);
    return 'dead-lettered';
  }
  const { outcome } = parsed;
  const logger = deps.logger.createChild({
    persistentKeys: { runId: outcome.runId, step: outcome.step, channel: 'email' },
  });
  if (!shouldNotify(outcome, config.notifyOnSuccess)) {
    logger.info('success notifications are off (NOTIFY_ON_SUCCESS): not sent');
    return 'skipped';
  }
  if (config.to.length === 0) return 'disabled';

  const key: DeliveryKey = {
    runId: outcome.runId,
    step: outcome.step,
    channel: deliveryChannel('email', outcome),
  };
  const claim = await ledger.claim(key);
  if (claim.kind === 'sent') {
    logger.info('e-mail already sent for this outcome: duplicate ignored', { eventId: parsed.eventId });
    return 'duplicate';
  }
  if (claim.kind === 'in-progress') throw new DeliveryInProgressError(key);

  const email = renderEmail(summarize(outcome));
  let messageId: string | undefined;
  try {
    const out = await deps.ses.send(
      new SendEmailCommand({
        FromEmailAddress: config.from,
        Destination: { ToAddresses: config.to },
        Content: {
          Simple: {
            Subject: { Data: email.subject, Charset: 'UTF-8' },
            Body: {
              Html: { Data: email.html, Charset: 'UTF-8' },
              Text: { Data: email.text, Charset: 'UTF-8' },
            },
          },
        },
      }),
    );
    messageId = out.MessageId;
  } catch (err) {
    await ledger.release(key, claim.token);
    const code = errorCode(err);
    if (!PERMANENT_SES_ERRORS.has(code)) throw err;
    logger.error(explain(code), { errorCode: code, errorMessage: errorMessage(err), from: config.from });
    await sendToDeadLetter(
      deps.sqs,
      config.deadLetterQueueUrl,
      record.body,
      `SES ${code}: ${errorMessage(err)}`,
    );
    return 'dead-lettered';
  }
  // The e-mail is out: a ledger failure now must not make the message come back and send it twice.
  try {
    await ledger.markSent(key, claim.token);
  } catch (err) {
    logger.warn('e-mail sent but not recorded; a duplicate after the claim expires could send it again', {
      error: errorMessage(err),
    });
  }
  logger.info('e-mail sent', { sesMessageId: messageId, recipients: config.to.length });
  return 'sent';
};
