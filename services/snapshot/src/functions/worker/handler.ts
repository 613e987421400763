import { buildEngine, buildWorkerDeps, loadConfig, snapshotConfigSchema, sqsWorker } from '@trapheus/shared';
import { buildSnapshotSteps } from '../../steps';

const deps = buildWorkerDeps(process.env);
const { SNAPSHOT_RETENTION } = loadConfig(snapshotConfigSchema, process.env);
const engine = buildEngine(deps, buildSnapshotSteps({ ...deps, snapshotRetention: SNAPSHOT_RETENTION }));

/** Intake of RestoreRequested, snapshot steps, RDS snapshot events and check-backs. */
export const main = sqsWorker(deps.logger, (signal) => engine.handle(signal));
