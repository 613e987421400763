import { buildEngine, buildWorkerDeps, sqsWorker } from '@trapheus/shared';
import { buildCleanupSteps } from '../../steps';

const deps = buildWorkerDeps(process.env);
const engine = buildEngine(deps, buildCleanupSteps(deps));

/** RestoreCompleted / RestoreFailed, RDS instance events and check-backs: delete the temp or roll back. */
export const main = sqsWorker(deps.logger, (signal) => engine.handle(signal));
