import { type OutcomeSummary, restorePointText } from './summary';
import { slackCode as code, escapeSlack as e, truncate } from './text';

export type SlackText =
  | { type: 'mrkdwn'; text: string }
  | { type: 'plain_text'; text: string; emoji?: boolean };

export type SlackBlock =
  | { type: 'header'; text: { type: 'plain_text'; text: string; emoji: boolean } }
  | { type: 'section'; text: SlackText }
  | { type: 'section'; fields: SlackText[] }
  | { type: 'context'; elements: SlackText[] }
  | { type: 'divider' };

/** A Slack incoming-webhook payload: Block Kit blocks plus the fallback text notifications show. */
export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
}

const EMOJI = { success: ':white_check_mark:', warning: ':warning:', failure: ':red_circle:' } as const;

// Block Kit limits: header 150 characters, section text 3000, field 2000.
const SECTION_MAX = 3000;

const md = (text: string): SlackText => ({ type: 'mrkdwn', text });
const section = (text: string): SlackBlock => ({
  type: 'section',
  text: md(truncate(text, SECTION_MAX)),
});
const field = (label: string, value: string): SlackText => md(truncate(`*${label}*\n${value}`, 2000));

const codeBlock = (lines: string[]): string =>
  `\`\`\`${truncate(e(lines.join('\n')).replace(/```/g, "'''"), SECTION_MAX - 6)}\`\`\``;

/**
 * The Slack message (Block Kit) for a run's outcome; every value is escaped for mrkdwn.
 *
 * @example
 * renderSlack(summarize(outcome)).blocks[0] // { type: 'header', text: { type: 'plain_text', text: ':red_circle: orders-db: FAILED — needs a person', … } }
 */
export const renderSlack = (s: OutcomeSummary): SlackMessage => {
  const o = s.outcome;
  const blocks: SlackBlock[] = [
    {
      type: 'header',
      text: { type: 'plain_text', text: truncate(`${EMOJI[s.severity]} ${s.title}`, 150), emoji: true },
    },
    {
      type: 'section',
      fields: [
        field('Database', code(o.identifier)),
        field('Kind', e(o.kind)),
        field('Task', e(o.task)),
        field('Final state', `*${e(o.step)}*`),
        field('Temp database', o.tempIdentifier ? code(o.tempIdentifier) : e(s.tempDatabase)),
        o.restorePoint
          ? field('Restored to', restorePointText(o.restorePoint))
          : field('Snapshot', o.snapshotIdentifier ? code(o.snapshotIdentifier) : '(none)'),
        ...(o.downtime
          ? [
              field(
                'Downtime',
                o.downtime.to
                  ? e(`${o.downtime.seconds?.toFixed(0)}s (${o.strategy ?? 'rename_first'})`)
                  : e(`since ${o.downtime.from}`),
              ),
            ]
          : []),
      ],
    },
    section(`*Now under ${code(o.identifier)}:* ${e(s.databaseNow)}`),
  ];
  const failure: string[] = [];
  if (o.failure) {
    failure.push(
      `*Failed step:* ${e(o.failure.step)}`,
      `*Error:* ${code(o.failure.code)} at ${e(o.failure.at)}`,
      `>${e(truncate(o.failure.message, 1500)).replace(/\n/g, '\n>')}`,
    );
  }
  if (o.reason) failure.push(`*Reason:* ${e(truncate(o.reason, 1000))}`);
  if (failure.length > 0) blocks.push(section(`*What failed*\n${failure.join('\n')}`));
  if (s.verification.length > 0) {
    blocks.push(
      section(
        `*Verification* (VERIFYING)\n${s.verification.map((l) => `• ${e(truncate(l, 300))}`).join('\n')}`,
      ),
    );
  }
  blocks.push(section(`*Next action*\n${s.nextAction.map(e).join('\n')}`));
  if (s.commands.length > 0) {
    blocks.push(
      section(codeBlock(s.commands.flatMap((c, i) => [...(i > 0 ? [''] : []), `# ${c.comment}`, c.command]))),
    );
  }
  const timeline = s.timeline.map(
    (t) =>
      `• *${e(t.step)}* ${e(t.at)}${t.duration ? ` — ${e(t.duration)}` : ''}${t.note ? ` — ${e(truncate(t.note, 300))}` : ''}`,
  );
  blocks.push(section(`*Timeline* (total ${e(s.totalDuration)})\n${timeline.join('\n')}`));
  blocks.push({
    type: 'context',
    elements: [md(`run ${code(o.runId)} · started ${e(o.createdAt)} · finished ${e(o.finishedAt)}`)],
  });
  return { text: e(`Trapheus: ${s.title}`), blocks };
};
