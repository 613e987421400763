import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { buildPublisher, type Run, type RunExport } from '@trapheus/shared';
import { buildMemoryRunRepository } from '@trapheus/shared/testing';
import { mockClient } from 'aws-sdk-client-mock';
import { isExportStalled, isStalled, sweep, sweepExports } from '../src/watchdog';

const NOW = new Date('2026-11-24T12:00:00.000Z');
const ago = (s: number) => new Date(NOW.getTime() - s * 1000).toISOString();
const later = (s: number) => new Date(NOW.getTime() + s * 1000).toISOString();

const base: Run = {
  runId: 'run-1',
  dbKey: 'instance#orders-db',
  identifier: 'orders-db',
  kind: 'instance',
  task: 'create_snapshot',
  snapshotIdentifier: 'orders-db-snapshot',
  step: 'RENAMING',
  version: 4,
  createdAt: ago(3600),
  updatedAt: ago(10),
  history: [],
  active: 'Y',
  progress: {},
};
const wait = (nextCheckAt: string, deadline = later(3600)) => ({
  resourceType: 'db-instance' as const,
  identifier: 'orders-db-tr-1',
  target: 'available',
  since: ago(60),
  deadline,
  checkSeq: 3,
  attempt: 2,
  nextCheckAt,
});

describe('watchdog', () => {
  it('leaves a run whose check-back is due soon or only slightly late', () => {
    expect(isStalled({ ...base, wait: wait(later(30)) }, NOW, 120)).toBe(false);
    expect(isStalled({ ...base, wait: wait(ago(60)) }, NOW, 120)).toBe(false);
  });

  it('flags a run whose check-back is overdue by more than the grace, or whose deadline passed', () => {
    expect(isStalled({ ...base, wait: wait(ago(121)) }, NOW, 120)).toBe(true);
    expect(isStalled({ ...base, wait: wait(later(30), ago(1)) }, NOW, 120)).toBe(true);
  });

  it('flags a run that has not changed for longer than the grace while not waiting (a lost event)', () => {
    expect(isStalled({ ...base, step: 'SNAPSHOT_READY', updatedAt: ago(121) }, NOW, 120)).toBe(true);
    expect(isStalled({ ...base, step: 'SNAPSHOT_READY', updatedAt: ago(30) }, NOW, 120)).toBe(false);
  });

  it('flags a finished run whose outcome stayed unpublished past the grace, not one finishing now', () => {
    expect(isStalled({ ...base, step: 'SUCCEEDED', updatedAt: ago(121) }, NOW, 120)).toBe(true);
    expect(isStalled({ ...base, step: 'SUCCEEDED', updatedAt: ago(1) }, NOW, 120)).toBe(false);
  });

  it('publishes RunStalled for each stalled active run, and only those', async () => {
    const eb = mockClient(EventBridgeClient);
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
    const { repo } = buildMemoryRunRepository(() => NOW);
    for (const [runId, nextCheckAt] of [
      ['run-late', ago(600)],
      ['run-fine', later(10)],
    ] as const) {
      const { run } = await repo.create({ ...base, runId, identifier: runId });
      await repo.update(run, { wait: wait(nextCheckAt) });
    }
    const publish = buildPublisher({
      eventBridge: new EventBridgeClient({ region: 'us-east-1' }),
      busName: 'trapheus-test',
    });

    const stalled = await sweep({ runs: repo, publish, now: NOW, graceSeconds: 120 });

    expect(stalled).toEqual(['run-late']);
    expect(eb.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries?.[0])).toEqual([
      {
        EventBusName: 'trapheus-test',
        Source: 'trapheus',
        DetailType: 'RunStalled',
        Detail: JSON.stringify({
          runId: 'run-late',
          identifier: 'run-late',
          kind: 'instance',
          step: 'REQUESTED',
        }),
        Resources: [],
      },
    ]);
    eb.restore();
  });
});

describe('watchdog: exports to S3', () => {
  const anExport = (over: Partial<RunExport> = {}): RunExport => ({
    status: 'running',
    v: 3,
    taskId: 'trapheus-1',
    snapshotIdentifier: 'orders-db-snapshot-1',
    s3Bucket: 'trapheus-exports',
    s3Prefix: 'instance/orders-db',
    requestedAt: ago(3600),
    startedAt: ago(3500),
    slot: 2,
    deadline: later(3600),
    checkSeq: 7,
    attempt: 6,
    nextCheckAt: later(30),
    ...over,
  });

  it('flags an open export whose check-back is overdue by more than the grace, or past its deadline', () => {
    expect(isExportStalled(anExport(), NOW, 120)).toBe(false);
    expect(isExportStalled(anExport({ nextCheckAt: ago(60) }), NOW, 120)).toBe(false);
    expect(isExportStalled(anExport({ nextCheckAt: ago(121) }), NOW, 120)).toBe(true);
    expect(isExportStalled(anExport({ status: 'queued', nextCheckAt: ago(900) }), NOW, 120)).toBe(true);
    expect(isExportStalled(anExport({ deadline: ago(1) }), NOW, 120)).toBe(true);
  });

  it('flags an ended export only while its outcome stays unpublished past the grace', () => {
    const ended = { status: 'complete' as const, nextCheckAt: ago(3000) };
    expect(isExportStalled(anExport({ ...ended, finishedAt: ago(121) }), NOW, 120)).toBe(true);
    expect(isExportStalled(anExport({ ...ended, finishedAt: ago(10) }), NOW, 120)).toBe(false);
    expect(isExportStalled(anExport({ ...ended, finishedAt: ago(900), notified: true }), NOW, 120)).toBe(
      false,
    );
  });

  it('re-sends the current check-back of a broken export chain, not of a healthy or finished export', async () => {
    // The fake store lists what the sparse index holds: open exports (a published one is no longer open, but a
    // stale index entry must not be re-signalled either).
    const open = [
      { runId: 'run-broken', export: anExport({ nextCheckAt: ago(600), checkSeq: 9 }) },
      {
        runId: 'run-queued-broken',
        export: anExport({ status: 'queued', slot: undefined, nextCheckAt: ago(300), checkSeq: 4 }),
      },
      { runId: 'run-healthy', export: anExport({ nextCheckAt: later(120) }) },
      {
        runId: 'run-finished',
        export: anExport({ status: 'complete', finishedAt: ago(600), nextCheckAt: ago(700), notified: true }),
      },
    ];
    const sent: [string, number][] = [];

    const stalled = await sweepExports({
      exports: { listOpen: async () => open },
      sendCheck: async (runId, seq) => void sent.push([runId, seq]),
      now: NOW,
      graceSeconds: 120,
    });

    expect(stalled).toEqual(['run-broken', 'run-queued-broken']);
    expect(sent).toEqual([
      ['run-broken', 9],
      ['run-queued-broken', 4],
    ]);
  });

  it('sends nothing when no export is open', async () => {
    const sendCheck = jest.fn();
    expect(
      await sweepExports({ exports: { listOpen: async () => [] }, sendCheck, now: NOW, graceSeconds: 120 }),
    ).toEqual([]);
    expect(sendCheck).not.toHaveBeenCalled();
  });
});
