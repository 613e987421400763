/**
 * Export to S3 end to end on the local stack: a request with `export: true` exports the run's fresh snapshot
 * beside the run (never in its way), the outcome lands on the run and is published (a failure is notified; a
 * completion only with notifyOnSuccess, off on the local stack), RDS's five concurrent exports per account are a
 * queue, not a failure, and the watchdog revives an export whose check-back chain broke.
 */

import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DescribeExportTasksCommand, type ExportTask } from '@aws-sdk/client-rds';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { LocalStack } from '@trapheus/local';
import {
  EXPORT_SLOT_PREFIX,
  EXPORT_SLOTS,
  exportOf,
  isTerminal,
  type Run,
  type RunExport,
  runIdFor,
} from '@trapheus/shared';
import { assertIamClean, clientsFor, freshStack } from './stack-helpers';

jest.setTimeout(120_000);

const request = async (stack: LocalStack, identifier: string, requestId: string, extra = {}) => {
  const { clients } = clientsFor(stack);
  const out = await clients.eventBridge.send(
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: stack.busName,
          Source: 'trapheus',
          DetailType: 'RestoreRequested',
          Detail: JSON.stringify({
            identifier,
            task: 'create_snapshot',
            isCluster: false,
            export: true,
            requestId,
            ...extra,
          }),
        },
      ],
    }),
  );
  expect(out.FailedEntryCount ?? 0).toBe(0);
  return runIdFor({ requestId });
};

/** Polls until `done(run)`; `seen` gets every export status observed on the way. */
const until = async (
  stack: LocalStack,
  runId: string,
  done: (run: Run, e: RunExport | undefined) => boolean,
  seen?: Set<string>,
  timeoutMs = 60_000,
): Promise<Run> => {
  const { runs } = clientsFor(stack);
  const end = Date.now() + timeoutMs;
  for (;;) {
    const run = await runs.get(runId);
    const e = run && exportOf(run);
    if (e) seen?.add(e.status);
    if (run && done(run, e)) return run;
    if (Date.now() > end) throw new Error(`timed out: ${JSON.stringify({ step: run?.step, export: e })}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

const exportEnded = (_run: Run, e: RunExport | undefined) =>
  !!e && (e.status === 'complete' || e.status === 'failed' || e.status === 'canceled');

/** Ended and its outcome published (ExportCompleted / ExportFailed): the export is closed. */
const exportClosed = (run: Run, e: RunExport | undefined) => exportEnded(run, e) && e?.notified === true;

/** The holders of the five export slots (items `EXPORTSLOT#0..4` of the runs table). */
const slotHolders = async (stack: LocalStack): Promise<string[]> => {
  const { clients } = clientsFor(stack);
  const holders: string[] = [];
  for (let slot = 0; slot < EXPORT_SLOTS; slot++) {
    const out = await clients.dynamo.send(
      new GetCommand({
        TableName: stack.runsTable,
        Key: { runId: `${EXPORT_SLOT_PREFIX}${slot}` },
        ConsistentRead: true,
      }),
    );
    if (typeof out.Item?.holder === 'string') holders.push(out.Item.holder);
  }
  return holders;
};

const rawRun = async (stack: LocalStack, runId: string) =>
  (
    await clientsFor(stack).clients.dynamo.send(
      new GetCommand({ TableName: stack.runsTable, Key: { runId }, ConsistentRead: true }),
    )
  ).Item;

describe('export to S3 on the local stack', () => {
  let stack: LocalStack;
  afterEach(async () => {
    try {
      await assertIamClean(stack);
    } finally {
      await stack?.stop();
    }
  });

  it('exports the fresh snapshot beside the run: the run SUCCEEDS first, the export then COMPLETES', async () => {
    stack = await freshStack(600);
    const runId = await request(stack, 'demo-db', 'export-ok');

    const succeeded = await until(stack, runId, (run) => isTerminal(run.step));
    expect(succeeded.step).toBe('SUCCEEDED');
    // The run did not wait for the export (an hour of simulated time).
    expect(['pending', 'queued', 'running']).toContain(exportOf(succeeded)?.status);

    const done = await until(stack, runId, exportClosed);
    const e = exportOf(done)!;
    expect(e).toMatchObject({ status: 'complete', snapshotIdentifier: done.snapshotIdentifier });
    // ExportCompleted was published (`notified`), and the run left the index of open exports.
    expect(e.notified).toBe(true);
    expect(await rawRun(stack, runId)).not.toHaveProperty('exportOpen');
    expect(await slotHolders(stack)).toEqual([]);
    expect(e.s3Bucket).toBe('trapheus-snapshot-local-ExportBucket');
    const { rds } = clientsFor(stack);
    const task = (await rds.send(new DescribeExportTasksCommand({ ExportTaskIdentifier: e.taskId })))
      .ExportTasks?.[0];
    expect(task).toMatchObject({ Status: 'COMPLETE', S3Bucket: e.s3Bucket, S3Prefix: 'instance/demo-db' });
    expect(task?.SourceArn).toMatch(new RegExp(`:snapshot:${done.snapshotIdentifier}$`));
    // The completion event (RDS-EVENT-0161) was emitted for the snapshot.
    expect(stack.rds.emittedEvents().map((ev) => ev.detail.EventID)).toContain('RDS-EVENT-0161');
    await stack.bus.whenIdle(20_000);
    // RunSucceeded and ExportCompleted both reached notify, which sends neither: notifyOnSuccess is off on the
    // local stack (and cannot be set per stack; services/notify/test covers the message it sends when on).
    const toNotify = new Set(
      stack.bus
        .deliveries()
        .filter((d) => d.queueName === 'trapheus-notify-email-local')
        .map((d) => d.eventId),
    );
    expect(toNotify.size).toBeGreaterThanOrEqual(2);
    expect(await stack.ses.emails()).toHaveLength(0);
    expect(stack.slack.posts()).toHaveLength(0);
  });

  it('an export whose check-back chain broke is revived by the watchdog: it COMPLETES and frees its slot', async () => {
    stack = await freshStack(600);
    const runId = await request(stack, 'demo-db', 'export-watchdog');
    const succeeded = await until(stack, runId, (run) => isTerminal(run.step));
    expect(succeeded.step).toBe('SUCCEEDED');
    await until(stack, runId, (_run, e) => e?.status === 'running');

    // Break the chain: every read of this run by the snapshot worker crashes, so the export's live check-back and
    // RDS's completion event are received ten times each and end in the DLQ (as after a poison batch).
    stack.faults.dynamo({
      operation: 'GetItem',
      caller: 'trapheus-snapshot-local-worker',
      match: runId,
      error: 'crash',
      count: 0,
    });
    const ended = Date.now() + 60_000;
    while (!stack.rds.emittedEvents().some((ev) => ev.detail.EventID === 'RDS-EVENT-0161')) {
      if (Date.now() > ended) throw new Error('the export task never completed in the simulator');
      await new Promise((r) => setTimeout(r, 50));
    }
    await stack.bus.whenIdle(60_000);
    const dead = stack.bus.dlqMessages('trapheus-snapshot-local').map((m) => m.body);
    expect(dead.some((b) => b.includes('trapheusExportCheck'))).toBe(true);
    const { runs } = clientsFor(stack);
    const broken = exportOf((await runs.get(runId))!)!;
    expect(broken.status).toBe('running');
    expect(await slotHolders(stack)).toEqual([runId]);
    expect(await rawRun(stack, runId)).toMatchObject({ exportOpen: 'Y' });
    stack.faults.reset();

    // Nothing else will look at it. The watchdog leaves it while its check-back is not overdue…
    await stack.bus.runSchedule('watchdog');
    await stack.bus.whenIdle(20_000);
    expect(exportOf((await runs.get(runId))!)).toMatchObject({ status: 'running', v: broken.v });

    // …and re-sends it once it is, past the grace (the stack's clock runs in real time for the watchdog: move the
    // check-back's time back instead of waiting for it).
    await clientsFor(stack).clients.dynamo.send(
      new UpdateCommand({
        TableName: stack.runsTable,
        Key: { runId },
        UpdateExpression: 'SET #export.#next = :past',
        ConditionExpression: '#export.#v = :v',
        ExpressionAttributeNames: { '#export': 'export', '#next': 'nextCheckAt', '#v': 'v' },
        ExpressionAttributeValues: {
          ':past': new Date(Date.now() - 3_600_000).toISOString(),
          ':v': broken.v,
        },
      }),
    );
    const sweep = await stack.bus.runSchedule('watchdog');
    expect(sweep.result).toBe('ok');

    const done = await until(stack, runId, exportClosed);
    expect(exportOf(done)).toMatchObject({ status: 'complete', rdsStatus: 'COMPLETE', notified: true });
    expect(await slotHolders(stack)).toEqual([]);
    expect(await rawRun(stack, runId)).not.toHaveProperty('exportOpen');
    await stack.bus.whenIdle(20_000);
    // A completed export is not notified with notifyOnSuccess off (the local stack's setting).
    expect(await stack.ses.emails()).toHaveLength(0);
  });

  it('a failed export never fails the run, and is notified by e-mail and on Slack', async () => {
    stack = await freshStack(600);
    stack.rds.faults.add({ kind: 'async-failure', operation: 'StartExportTask', status: 'failed' });
    const runId = await request(stack, 'demo-db', 'export-fails');

    const done = await until(stack, runId, (run, e) => isTerminal(run.step) && exportEnded(run, e));
    expect(done.step).toBe('SUCCEEDED');
    expect(exportOf(done)).toMatchObject({ status: 'failed', rdsStatus: 'FAILED' });
    expect(stack.rds.emittedEvents().map((ev) => ev.detail.EventID)).toContain('RDS-EVENT-0159');
    await stack.bus.whenIdle(20_000);

    const emails = await stack.ses.emails();
    expect(emails).toHaveLength(1);
    expect(emails[0]?.subject).toContain('EXPORT FAILED');
    expect(emails[0]?.text).toContain(exportOf(done)?.taskId);
    const posts = stack.slack.posts();
    expect(posts.map((p) => p.webhook).sort()).toEqual(['oncall', 'platform-alerts']);
    for (const post of posts) expect(JSON.stringify(post.body)).toContain('EXPORT FAILED');
  });

  it('six exports at once: five run, the sixth waits in the queue, all six COMPLETE', async () => {
    // Exports of two simulated hours (12 s here): longer than the spread of the six snapshots finishing on a loaded
    // machine, so the six overlap and one must queue.
    stack = await freshStack(600, { rdsDurations: { exportSnapshot: 7200 } });
    const ids = ['exp-a', 'exp-b', 'exp-c', 'exp-d', 'exp-e', 'exp-f'];
    for (const id of ids) {
      stack.rds.seedInstance({
        DBInstanceIdentifier: id,
        Engine: 'postgres',
        DBInstanceClass: 'db.t4g.micro',
      });
    }
    const runIds = await Promise.all(ids.map((id) => request(stack, id, `six-${id}`)));
    const seen = new Set<string>();
    const done = await Promise.all(runIds.map((runId) => until(stack, runId, exportEnded, seen, 90_000)));

    expect(done.map((r) => r.step)).toEqual(ids.map(() => 'SUCCEEDED'));
    expect(done.map((r) => exportOf(r)?.status)).toEqual(ids.map(() => 'complete'));
    expect(seen).toContain('queued');
    // RDS never saw more than five at once, and never refused one.
    const { rds } = clientsFor(stack);
    const tasks: ExportTask[] = (await rds.send(new DescribeExportTasksCommand({}))).ExportTasks ?? [];
    expect(tasks).toHaveLength(6);
    const maxConcurrent = Math.max(
      ...tasks.map(
        (t) =>
          tasks.filter(
            (o) =>
              o.TaskStartTime! <= t.TaskStartTime! && (o.TaskEndTime ?? new Date(8e15)) > t.TaskStartTime!,
          ).length,
      ),
    );
    expect(maxConcurrent).toBeLessThanOrEqual(5);
    expect(stack.rds.callLog().filter((c) => c.action === 'StartExportTask' && c.status >= 300)).toEqual([]);
  });
});
