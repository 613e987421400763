import { renderEmail } from '../src/render-email';
import { renderSlack } from '../src/render-slack';
import { summarize } from '../src/summary';
import {
  cleanupFailedClusterOutcome,
  failedOutcome,
  rejectedOutcome,
  rolledBackOutcome,
  succeededOutcome,
  TEMP,
} from './fixtures';

const DESCRIBE = (id: string) =>
  `aws rds describe-db-instances --db-instance-identifier ${id} --query 'DBInstances[0].[DBInstanceIdentifier,DBInstanceStatus,InstanceCreateTime]' --output text`;

describe('Slack message (Block Kit)', () => {
  it('for FAILED shows the database, the failure, what answers now, the manual commands and the timeline', () => {
    const message = renderSlack(summarize(failedOutcome()));

    expect(message).toEqual({
      text: 'Trapheus: orders-db: FAILED — needs a person',
      blocks: [
        {
          type: 'header',
          text: { type: 'plain_text', text: ':red_circle: orders-db: FAILED — needs a person', emoji: true },
        },
        {
          type: 'section',
          fields: [
            { type: 'mrkdwn', text: '*Database*\n`orders-db`' },
            { type: 'mrkdwn', text: '*Kind*\ninstance' },
            { type: 'mrkdwn', text: '*Task*\ncreate_snapshot' },
            { type: 'mrkdwn', text: '*Final state*\n*FAILED*' },
            { type: 'mrkdwn', text: `*Temp database*\n\`${TEMP}\`` },
            { type: 'mrkdwn', text: '*Snapshot*\n`orders-db-snapshot`' },
          ],
        },
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text: `*Now under \`orders-db\`:* nothing answers under orders-db; ${TEMP} is available`,
          },
        },
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text:
              '*What failed*\n*Failed step:* RESTORING\n' +
              '*Error:* `InsufficientDBInstanceCapacity` at 2026-11-24T10:31:40.000Z\n' +
              '>Cannot create a db.r6g.large instance in us-east-1a &lt;now&gt;\n' +
              '*Reason:* the rollback could not finish (UnexpectedDatabase): a person must look',
          },
        },
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text:
              `*Next action*\nThe rollback did not finish: the original may still be named ${TEMP}. ` +
              'Check both names, move a restored copy aside if one holds orders-db (do not delete it before checking), then give the original its name back.\n' +
              'orders-db stays locked for Trapheus until then: release it with `npx trapheus unlock orders-db`.',
          },
        },
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text: [
              '```# what answers under orders-db',
              DESCRIBE('orders-db'),
              '',
              '# the original, renamed by this run',
              DESCRIBE(TEMP),
              '',
              '# only if orders-db is the failed restored copy: move it aside',
              'aws rds modify-db-instance --db-instance-identifier orders-db --new-db-instance-identifier orders-db-failed-copy --apply-immediately',
              '',
              '# give the original its name back',
              `aws rds modify-db-instance --db-instance-identifier ${TEMP} --new-db-instance-identifier orders-db --apply-immediately`,
              '',
              '# wait until it answers again',
              'aws rds wait db-instance-available --db-instance-identifier orders-db```',
            ].join('\n'),
          },
        },
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text: [
              '*Timeline* (total 47m 12s)',
              '• *REQUESTED* 2026-11-24T10:00:00.000Z — 2s',
              '• *SNAPSHOTTING* 2026-11-24T10:00:02.000Z — 12m 28s',
              '• *SNAPSHOT_READY* 2026-11-24T10:12:30.000Z — 1s',
              '• *RENAMING* 2026-11-24T10:12:31.000Z — 2m 30s',
              '• *RESTORING* 2026-11-24T10:15:01.000Z — 16m 39s',
              '• *ROLLING_BACK* 2026-11-24T10:31:40.000Z — 15m 32s — InsufficientDBInstanceCapacity',
              '• *FAILED* 2026-11-24T10:47:12.000Z — rollback failed: UnexpectedDatabase',
            ].join('\n'),
          },
        },
        {
          type: 'context',
          elements: [
            {
              type: 'mrkdwn',
              text: 'run `run-0f3a9c21-7d4e-4b8a-9e11-2c5b7d9a0e44` · started 2026-11-24T10:00:00.000Z · finished 2026-11-24T10:47:12.000Z',
            },
          ],
        },
      ],
    });
  });

  it('for ROLLED_BACK says the original is back and how to check it', () => {
    const { text, blocks } = renderSlack(summarize(rolledBackOutcome()));

    expect(text).toBe('Trapheus: orders-db: ROLLED_BACK — restore failed, original back under its name');
    expect(blocks[0]).toEqual({
      type: 'header',
      text: {
        type: 'plain_text',
        text: ':warning: orders-db: ROLLED_BACK — restore failed, original back under its name',
        emoji: true,
      },
    });
    expect(blocks.slice(2, 6)).toEqual([
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: '*Now under `orders-db`:* the original answers under orders-db again, unchanged',
        },
      },
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text:
            '*What failed*\n*Failed step:* RESTORING\n' +
            '*Error:* `InsufficientDBInstanceCapacity` at 2026-11-24T10:31:40.000Z\n' +
            '>Cannot create a db.r6g.large instance in us-east-1a &lt;now&gt;',
        },
      },
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: '*Next action*\nThe original answers under orders-db again, unchanged, and is not locked. Fix the cause of the failure below, then request the restore again: `npx trapheus restore orders-db --task create_snapshot` (with --stage &lt;stage&gt;).',
        },
      },
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `\`\`\`# check the original\n${DESCRIBE('orders-db')}\n\n# the run's snapshot\naws rds describe-db-snapshots --db-snapshot-identifier orders-db-snapshot\`\`\``,
        },
      },
    ]);
  });

  it('for SUCCEEDED has no failure and no commands', () => {
    const { blocks } = renderSlack(summarize(succeededOutcome()));

    expect(blocks.map((b) => b.type)).toEqual([
      'header',
      'section',
      'section',
      'section',
      'section',
      'context',
    ]);
    expect(blocks[0]).toEqual({
      type: 'header',
      text: {
        type: 'plain_text',
        text: ':white_check_mark: orders-db: SUCCEEDED — restored in place',
        emoji: true,
      },
    });
    expect(blocks[3]).toEqual({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: '*Next action*\nNothing to do: orders-db now serves the data of snapshot orders-db-snapshot; the old database was deleted.',
      },
    });
    expect(blocks[4]).toEqual({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: [
          '*Timeline* (total 30m 05s)',
          '• *REQUESTED* 2026-11-24T10:00:00.000Z — 1s',
          '• *SNAPSHOT_READY* 2026-11-24T10:00:01.000Z — 1s',
          '• *RENAMING* 2026-11-24T10:00:02.000Z — 2m 00s',
          '• *RESTORING* 2026-11-24T10:02:02.000Z — 17m 58s',
          '• *CONFIGURING* 2026-11-24T10:20:00.000Z — 5m 00s',
          '• *CLEANING_UP* 2026-11-24T10:25:00.000Z — 5m 05s',
          `• *SUCCEEDED* 2026-11-24T10:30:05.000Z — temp ${TEMP} deleted`,
        ].join('\n'),
      },
    });
  });

  it('for a cluster CLEANUP_FAILED gives the db-cluster commands to delete the kept temp', () => {
    const { blocks } = renderSlack(summarize(cleanupFailedClusterOutcome()));
    const temp = 'orders-aurora-tr-0f3a9c21';

    expect(blocks[0]).toEqual({
      type: 'header',
      text: {
        type: 'plain_text',
        text: ':red_circle: orders-aurora: CLEANUP_FAILED — restored, but the temp database was kept',
        emoji: true,
      },
    });
    expect(blocks[1]).toEqual({
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: '*Database*\n`orders-aurora`' },
        { type: 'mrkdwn', text: '*Kind*\ncluster' },
        { type: 'mrkdwn', text: '*Task*\ndb_restore' },
        { type: 'mrkdwn', text: '*Final state*\n*CLEANUP_FAILED*' },
        { type: 'mrkdwn', text: `*Temp database*\n\`${temp}\`` },
        { type: 'mrkdwn', text: '*Snapshot*\n`orders-aurora-snapshot`' },
      ],
    });
    expect(blocks[5]).toEqual({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: [
          '```# check the temp database (the old original)',
          `aws rds describe-db-clusters --db-cluster-identifier ${temp} --query 'DBClusters[0].[DBClusterIdentifier,Status,ClusterCreateTime]' --output text`,
          '',
          '# if deletion protection is on',
          `aws rds modify-db-cluster --db-cluster-identifier ${temp} --no-deletion-protection --apply-immediately`,
          '',
          "# delete the temp cluster's instances first",
          `for m in $(aws rds describe-db-clusters --db-cluster-identifier ${temp} --query 'DBClusters[0].DBClusterMembers[].DBInstanceIdentifier' --output text); do aws rds delete-db-instance --db-instance-identifier "$m" --skip-final-snapshot; done`,
          '',
          '# delete the temp database',
          `aws rds delete-db-cluster --db-cluster-identifier ${temp} --skip-final-snapshot\`\`\``,
        ].join('\n'),
      },
    });
  });

  it('for REJECTED says what to fix and escapes a hostile identifier', () => {
    const { text, blocks } = renderSlack(summarize(rejectedOutcome('<!channel> `x`')));

    expect(text).toBe('Trapheus: &lt;!channel&gt; `x`: REJECTED — request refused, nothing changed');
    expect(blocks[1]).toMatchObject({
      fields: [
        { type: 'mrkdwn', text: "*Database*\n`&lt;!channel&gt; 'x'`" },
        { type: 'mrkdwn', text: '*Kind*\ninstance' },
        { type: 'mrkdwn', text: '*Task*\ndb_restore' },
        { type: 'mrkdwn', text: '*Final state*\n*REJECTED*' },
        { type: 'mrkdwn', text: '*Temp database*\n(none: the original was not renamed)' },
        { type: 'mrkdwn', text: '*Snapshot*\n`orders-db-snapshot`' },
      ],
    });
    expect(blocks[4]).toEqual({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text:
          '*Next action*\nNothing was touched. Fix the request, then send RestoreRequested again: snapshot orders-db-snapshot does not exist: create it or use task create_snapshot\n' +
          'A request needs: an identifier naming an existing DB instance (isCluster: false); a task among create_snapshot, db_restore, create_snapshot_only, clone_from, restore_copy, share_snapshot; for db_restore an existing snapshot (or a restoreTime inside the restorable window); for clone_from a sourceIdentifier; and no other run active on the same database.',
      },
    });
    // The copied command cannot run anything else: the identifier is shell-quoted.
    expect(blocks[5]).toEqual({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `\`\`\`# does the database exist under this name?\n${DESCRIBE("'&lt;!channel&gt; `x`'")}\n\n# the run's snapshot\naws rds describe-db-snapshots --db-snapshot-identifier orders-db-snapshot\`\`\``,
      },
    });
  });
});

describe('e-mail rendering', () => {
  it('escapes every value in the HTML body and keeps the subject on one line', () => {
    const email = renderEmail(summarize(rejectedOutcome('<img src=x onerror="alert(1)">\nBcc: a@b.c')));

    expect(email.subject).toBe(
      '[Trapheus] <img src=x onerror="alert(1)"> Bcc: a@b.c (instance): REJECTED — request refused, nothing changed',
    );
    expect(email.html).not.toContain('<img');
    expect(email.html).toContain('<td>&lt;img src=x onerror=&quot;alert(1)&quot;&gt;\nBcc: a@b.c</td>');
    expect(email.text).toContain(
      `aws rds describe-db-instances --db-instance-identifier '<img src=x onerror="alert(1)">\nBcc: a@b.c' --query`,
    );
  });

  // Finding: the ROLLED_BACK alert named a temp database that no longer existed after the rename back.
  it('for ROLLED_BACK never names the temp database, which no longer exists', () => {
    const message = renderSlack(summarize(rolledBackOutcome()));

    expect(JSON.stringify(message)).not.toContain(TEMP);
    expect(JSON.stringify(message)).toContain('(none left: the original has its name back)');
  });

  // Finding: a failure that changed nothing told the reader to request again, while the database stayed locked.
  it('for a FAILED run that changed nothing says it is not locked and gives the command to run again', () => {
    const summary = summarize({
      ...failedOutcome(),
      tempIdentifier: undefined,
      locked: false,
      history: failedOutcome()
        .history.slice(0, 2)
        .concat([{ step: 'FAILED', at: '2026-11-24T10:05:00.000Z' }]),
    });

    expect(summary.headline).toBe('FAILED — nothing was changed');
    expect(summary.nextAction.join(' ')).toContain('is not locked');
    expect(summary.nextAction.join(' ')).toContain('`npx trapheus restore orders-db --task create_snapshot`');
    expect(summary.nextAction.join(' ')).not.toContain('unlock');
  });

  it('shows the strategy and the downtime window, when the run measured one', () => {
    const outcome = {
      ...rolledBackOutcome(),
      strategy: 'swap' as const,
      downtime: { from: '2026-11-24T10:31:00.000Z', to: '2026-11-24T10:33:05.000Z', seconds: 125 },
    };

    const email = renderEmail(summarize(outcome));
    const slack = JSON.stringify(renderSlack(summarize(outcome)));

    expect(email.text).toMatch(/Strategy: +swap/);
    expect(email.text).toMatch(/Downtime: +125s \(2026-11-24T10:31:00.000Z → 2026-11-24T10:33:05.000Z\)/);
    expect(slack).toContain('125s (swap)');
  });
});
