/**
 * Export to S3 end to end on the local stack: a request with `export: true` exports the run's fresh snapshot
 * beside the run (never in its way), the outcome lands on the run, a failure is notified, and RDS's five concurrent
 * exports per account are a queue, not a failure.
 */

import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DescribeExportTasksCommand, type ExportTask } from '@aws-sdk/client-rds';
import type { LocalStack } from '@trapheus/local';
import { exportOf, isTerminal, type Run, type RunExport, runIdFor } from '@trapheus/shared';
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

    const done = await until(stack, runId, exportEnded);
    const e = exportOf(done)!;
    expect(e).toMatchObject({ status: 'complete', snapshotIdentifier: done.snapshotIdentifier });
    expect(e.s3Bucket).toBe('trapheus-snapshot-local-ExportBucket');
    const { rds } = clientsFor(stack);
    const task = (await rds.send(new DescribeExportTasksCommand({ ExportTaskIdentifier: e.taskId })))
      .ExportTasks?.[0];
    expect(task).toMatchObject({ Status: 'COMPLETE', S3Bucket: e.s3Bucket, S3Prefix: 'instance/demo-db' });
    expect(task?.SourceArn).toMatch(new RegExp(`:snapshot:${done.snapshotIdentifier}$`));
    // The completion event (RDS-EVENT-0161) was emitted for the snapshot.
    expect(stack.rds.emittedEvents().map((ev) => ev.detail.EventID)).toContain('RDS-EVENT-0161');
    await stack.bus.whenIdle(20_000);
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
    stack = await freshStack(600);
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
