import { buildEngine, buildWorkerDeps, sqsWorker } from '@trapheus/shared';
import { buildRestoreSteps } from '../../steps';

const deps = buildWorkerDeps(process.env);
const engine = buildEngine(
  deps,
  buildRestoreSteps({ ...deps, verifyTimeScale: deps.config.VERIFY_TIME_SCALE }),
);

/** SnapshotReady, RDS instance events and check-backs: rename, restore, configure. */
export const main = sqsWorker(deps.logger, (signal) => engine.handle(signal));
