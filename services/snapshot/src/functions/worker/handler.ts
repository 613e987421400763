import { buildEngine, buildWorkerDeps, sqsWorker } from '@trapheus/shared';
import { buildSnapshotSteps } from '../../steps';

const deps = buildWorkerDeps(process.env);
const engine = buildEngine(deps, buildSnapshotSteps(deps));

/** Intake of RestoreRequested, snapshot steps, RDS snapshot events and check-backs. */
export const main = sqsWorker(deps.logger, (signal) => engine.handle(signal));
