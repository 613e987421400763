import { formatIssues, pure, type RunOutcomeDetail, runOutcomeDetailSchema } from '@trapheus/shared';
import * as z from 'zod';

/** One Slack delivery: an outcome for one webhook (named by id and index, never by URL), at an attempt. */
export const slackDeliverySchema = /* @__PURE__ */ pure(() =>
  z.object({
    trapheusSlackDelivery: z.object({
      webhookId: z.string().min(1),
      webhookIndex: z.number().int().nonnegative(),
      attempt: z.number().int().positive(),
      detailType: z.string(),
      outcome: runOutcomeDetailSchema,
    }),
  }),
);
export type SlackDelivery = z.infer<typeof slackDeliverySchema>['trapheusSlackDelivery'];

/**
 * The SQS body of a Slack delivery.
 *
 * @example
 * slackDeliveryBody({ webhookId: 'ab12…', webhookIndex: 0, attempt: 1, detailType: 'RunFailed', outcome })
 */
export const slackDeliveryBody = (delivery: SlackDelivery): string =>
  JSON.stringify({ trapheusSlackDelivery: delivery });

export const parseSlackDelivery = (
  body: string,
): { ok: true; delivery: SlackDelivery } | { ok: false; reason: string } => {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, reason: 'message body is not valid JSON' };
  }
  const parsed = slackDeliverySchema.safeParse(json);
  return parsed.success
    ? { ok: true, delivery: parsed.data.trapheusSlackDelivery }
    : { ok: false, reason: formatIssues(parsed.error.issues) };
};

export type { RunOutcomeDetail };
