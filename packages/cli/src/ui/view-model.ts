/**
 * What `trapheus ui` reads: pages of runs (`listPage` of the run repository) and one run's view (`buildRunView`),
 * from the runs table of the chosen target, and the one thing it may change (a database's lock, after a person
 * confirmed). Read-only otherwise.
 */
import {
  buildRunView,
  type DbKind,
  deliveriesTableFor,
  type RunPage,
  type RunPageQuery,
  type RunRepository,
  type RunView,
  type RunViewDeps,
} from '@trapheus/shared';

export type { RunPage, RunView } from '@trapheus/shared';

/** A list query as the UI sends it: always with a limit. */
export type PageQuery = RunPageQuery & { limit: number };

/** Everything the UI server needs; tests give it a fake. */
export interface UiSource {
  listPage(q: PageQuery): Promise<RunPage>;
  view(runId: string): Promise<RunView | undefined>;
  unlock(kind: DbKind, identifier: string): Promise<{ released: boolean; holder?: string; reason?: string }>;
}

/** The UI's source over a target's runs table (and notify's deliveries table beside it). */
export const sourceFor = (deps: {
  runs: RunRepository;
  dynamo: RunViewDeps['dynamo'];
  runsTable: string;
  flags: string;
}): UiSource => {
  const deliveriesTable = deliveriesTableFor(deps.runsTable);
  return {
    listPage: (q) => deps.runs.listPage(q),
    view: (runId) =>
      buildRunView(
        {
          runs: deps.runs,
          dynamo: deps.dynamo,
          runsTable: deps.runsTable,
          flags: deps.flags,
          ...(deliveriesTable ? { deliveriesTable } : {}),
        },
        runId,
      ),
    unlock: (kind, identifier) => deps.runs.unlock(kind, identifier),
  };
};
