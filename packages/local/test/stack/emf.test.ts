/**
 * The local stack's EMF capture (emf.ts): the lines the handlers write are summed per metric and dimensions and
 * kept out of stdout; everything else written to stdout passes through. The lines are the real ones, written by the
 * project's metrics module (Powertools).
 */
import {
  recordRdsThrottle,
  recordRunOutcome,
  recordStepDuration,
  recordWaitEnded,
  resetMetrics,
} from '@trapheus/shared';
import { emfLinesOf } from '@trapheus/shared/testing';
import { runWithEnv } from '../../src/bus/lambda';
import { captureEmf, EmfCollector, LOCAL_STACK_ID_VAR, parseEmfLine } from '../../src/emf';

/** The EMF lines the metrics module writes for what `record` recorded. */
const emfLines = (record: () => void): string[] => emfLinesOf(record, 'local');

const T = '2026-03-01T10:00:00.000Z';
const at = (s: number) => new Date(Date.parse(T) + s * 1000).toISOString();

describe('EMF capture on the local stack', () => {
  afterAll(() => resetMetrics());

  it('sums real EMF lines per metric and (first) dimension set: count, sum, max', () => {
    const lines = [
      ...emfLines(() => {
        recordRunOutcome({ runId: 'run-1', step: 'SUCCEEDED', task: 'create_snapshot', kind: 'instance' });
        recordStepDuration({ runId: 'run-1', step: 'RESTORING', seconds: 12 });
        recordWaitEnded({
          runId: 'run-1',
          step: 'RESTORING',
          endedBy: 'rds-event',
          since: T,
          endedAt: at(12),
          attempts: 1,
          signalAt: at(11),
        });
        recordRdsThrottle('DescribeDBInstances');
        recordRdsThrottle('DescribeDBInstances');
      }),
      ...emfLines(() => {
        recordStepDuration({ runId: 'run-2', step: 'RESTORING', seconds: 30 });
        recordWaitEnded({
          runId: 'run-2',
          step: 'RESTORING',
          endedBy: 'check-back',
          since: T,
          endedAt: at(30),
          attempts: 2,
          checkBackSeconds: 20,
        });
      }),
    ];
    expect(lines).toHaveLength(6);
    const collector = new EmfCollector();
    for (const line of lines) expect(collector.add(line, 'trapheus-restore-local-worker')).toBe(true);
    expect(collector.add('{"_aws": "not a directive"}')).toBe(false);

    const summary = collector.summary();
    expect(summary.lines).toBe(6);
    expect(summary.invalid).toBe(1);
    expect(summary.functions).toEqual(['trapheus-restore-local-worker']);
    const row = (metric: string, dims: Record<string, string>) =>
      summary.series.find(
        (s) =>
          s.metric === metric && JSON.stringify(s.dimensions) === JSON.stringify({ Stage: 'local', ...dims }),
      );
    expect(row('RunOutcome', { Outcome: 'SUCCEEDED', Task: 'create_snapshot', Kind: 'instance' })).toEqual({
      namespace: 'Trapheus',
      metric: 'RunOutcome',
      unit: 'Count',
      dimensions: { Stage: 'local', Outcome: 'SUCCEEDED', Task: 'create_snapshot', Kind: 'instance' },
      count: 1,
      sum: 1,
      max: 1,
    });
    expect(row('StepSeconds', { Step: 'RESTORING' })).toMatchObject({ count: 2, sum: 42, max: 30 });
    expect(row('WaitGapSeconds', { EndedBy: 'rds-event' })).toMatchObject({ count: 1, sum: 1, max: 1 });
    expect(row('WaitGapSeconds', { EndedBy: 'check-back' })).toMatchObject({ count: 1, sum: 20, max: 20 });
    expect(row('CheckBacksPerWait', { EndedBy: 'check-back' })).toMatchObject({ count: 1, sum: 2, max: 2 });
    // Two throttles in one line (an array of values): two values.
    expect(row('RdsThrottles', {})).toMatchObject({ unit: 'Count', count: 2, sum: 2, max: 1 });
    // The roll-up set [Stage, Outcome] is the same values again: not a second row.
    expect(summary.series.filter((s) => s.metric === 'RunOutcome')).toHaveLength(1);
  });

  it('parses what CloudWatch would extract, and nothing from a line that is not EMF', () => {
    expect(parseEmfLine('not json')).toBeUndefined();
    expect(parseEmfLine('{"message":"a log line"}')).toBeUndefined();
    expect(
      parseEmfLine(
        '{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[["A"],[]],"Metrics":[{"Name":"M","Unit":"Seconds"}]}]},"A":"x","M":[1.5,2]}',
      ),
    ).toEqual([{ namespace: 'N', metric: 'M', unit: 'Seconds', dimensions: { A: 'x' }, values: [1.5, 2] }]);
  });

  it('takes a stack function’s EMF lines out of stdout (and drops its late ones); other output, and other writers’ lines, pass through', () => {
    const [line] = emfLines(() => recordRdsThrottle('ModifyDBInstance'));
    const passed: string[] = [];
    const real = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
      passed.push(String(chunk));
      return true;
    });
    const collector = new EmfCollector();
    const release = captureEmf('stack-a', collector);
    const other = captureEmf('stack-c', new EmfCollector());
    try {
      const fnEnv = {
        [LOCAL_STACK_ID_VAR]: 'stack-a',
        AWS_LAMBDA_FUNCTION_NAME: 'trapheus-snapshot-local-worker',
      };
      runWithEnv(fnEnv, () => {
        process.stdout.write(`${line}\n`);
        process.stdout.write('a log line\n');
      });
      // A function of no capturing stack, and code outside any function: through.
      runWithEnv({ [LOCAL_STACK_ID_VAR]: 'stack-b' }, () => process.stdout.write(`${line}\n`));
      process.stdout.write(`${line}\n`);
      // stack-a stopped: a line its function still writes is dropped, not printed (stack-c still captures).
      release();
      runWithEnv(fnEnv, () => process.stdout.write(`${line}\n`));
    } finally {
      release();
      other();
      real.mockRestore();
    }
    expect(collector.summary()).toMatchObject({
      lines: 1,
      functions: ['trapheus-snapshot-local-worker'],
      series: [{ metric: 'RdsThrottles', count: 1 }],
    });
    expect(passed).toEqual(['a log line\n', `${line}\n`, `${line}\n`]);
  });
});
