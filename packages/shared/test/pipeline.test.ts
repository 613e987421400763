import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { handoffInto, PIPELINE, pipelineMarkdown, RDS_EVENTS, rulePatternsFor } from '../src/pipeline';

describe('the pipeline table', () => {
  it("is the README's lifecycle table", () => {
    const readme = readFileSync(join(__dirname, '..', '..', '..', 'README.md'), 'utf8');

    expect(readme).toContain(pipelineMarkdown());
  });

  it('hands a run over only when it enters a step another service owns', () => {
    expect(handoffInto('SNAPSHOT_READY', 'snapshot')?.detailType).toBe('SnapshotReady');
    expect(handoffInto('ROLLING_BACK', 'restore')?.detailType).toBe('RestoreFailed');
    expect(handoffInto('RENAMING', 'restore')).toBeUndefined();
    expect(handoffInto('CLEANING_UP', 'cleanup')).toBeUndefined();
  });

  it('derives each RDS rule from the events the steps wait for, under their EventBridge detail types', () => {
    expect(rulePatternsFor('snapshot').rds['detail-type']).toEqual([
      'RDS DB Cluster Snapshot Event',
      'RDS DB Snapshot Event',
    ]);
    for (const spec of Object.values(PIPELINE)) {
      for (const id of spec.rdsEvents) expect(RDS_EVENTS[id]).toMatch(/^RDS DB /);
    }
  });
});
