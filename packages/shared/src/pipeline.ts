/**
 * The pipeline table: the one place where the run's steps, the service that owns each, the hand-off event the
 * engine publishes when a run enters it from another service, the outcome a terminal step publishes, and the RDS
 * events that can end its waits meet. The engine, the test harness's routing, the README's lifecycle and the
 * wiring test of every serverless.yml (rule patterns) all derive from it.
 *
 * Adding a step: one row here, its step function in the owning service (the `fn` named below), and the rule
 * patterns the wiring test prints.
 */

import type * as z from 'zod';
import {
  type EventContract,
  RestoreCompleted,
  RestoreFailed,
  RestoreVerified,
  RunFailed,
  RunRolledBack,
  RunSucceeded,
  type runOutcomeDetailSchema,
  type runSignalDetailSchema,
  SnapshotReady,
} from './contracts';
import { STEPS, type Step } from './run';

export const SERVICES = ['snapshot', 'restore', 'cleanup'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** The RDS events Trapheus listens to, with the EventBridge detail-type each arrives under (docs/rds-facts.md § Events). */
export const RDS_EVENTS = {
  'RDS-EVENT-0003': 'RDS DB Instance Event', // deleted
  'RDS-EVENT-0004': 'RDS DB Instance Event', // shut down
  'RDS-EVENT-0005': 'RDS DB Instance Event', // created
  'RDS-EVENT-0006': 'RDS DB Instance Event', // restarted
  'RDS-EVENT-0019': 'RDS DB Instance Event', // restored from point in time
  'RDS-EVENT-0031': 'RDS DB Instance Event', // failed
  'RDS-EVENT-0035': 'RDS DB Instance Event', // invalid parameters
  'RDS-EVENT-0036': 'RDS DB Instance Event', // incompatible network
  'RDS-EVENT-0043': 'RDS DB Instance Event', // restored from snapshot (observed with SourceType DB_INSTANCE)
  'RDS-EVENT-0278': 'RDS DB Instance Event', // creation failed
  'RDS-EVENT-0353': 'RDS DB Instance Event', // insufficient limits
  'RDS-EVENT-0040': 'RDS DB Snapshot Event', // creating manual snapshot
  'RDS-EVENT-0041': 'RDS DB Snapshot Event', // manual snapshot deleted
  'RDS-EVENT-0042': 'RDS DB Snapshot Event', // manual snapshot created
  'RDS-EVENT-0197': 'RDS DB Snapshot Event', // finished copy of snapshot (same Region)
  'RDS-EVENT-0190': 'RDS DB Snapshot Event', // canceled snapshot copy request (same Region)
  'RDS-EVENT-0074': 'RDS DB Cluster Snapshot Event', // creating manual cluster snapshot
  'RDS-EVENT-0075': 'RDS DB Cluster Snapshot Event', // manual cluster snapshot created
  'RDS-EVENT-0170': 'RDS DB Cluster Event', // cluster created
  'RDS-EVENT-0171': 'RDS DB Cluster Event', // cluster deleted
  'RDS-EVENT-0172': 'RDS DB Cluster Event', // cluster renamed
  'RDS-EVENT-0354': 'RDS DB Cluster Event', // cluster creation failed
  'RDS-EVENT-0159': 'RDS DB Snapshot Event', // snapshot export task failed
  'RDS-EVENT-0160': 'RDS DB Snapshot Event', // snapshot export task canceled
  'RDS-EVENT-0161': 'RDS DB Snapshot Event', // snapshot export task completed
  'RDS-EVENT-0162': 'RDS DB Cluster Snapshot Event', // cluster snapshot export task failed
  'RDS-EVENT-0163': 'RDS DB Cluster Snapshot Event', // cluster snapshot export task canceled
  'RDS-EVENT-0164': 'RDS DB Cluster Snapshot Event', // cluster snapshot export task completed
} as const;
export type RdsEventId = keyof typeof RDS_EVENTS;

export interface StepSpec {
  /** The service whose step function handles runs in this step, and which receives RunStalled for it. */
  owner: ServiceName;
  /** The step function (instance / cluster) by name: grep leads from an event to here, and from here to the code. */
  fn: string;
  /** Published by the engine when a run enters this step from a step another service owns. */
  handoff?: EventContract<typeof runSignalDetailSchema>;
  /** Published when a run ends in this (terminal) step. */
  outcome?: EventContract<typeof runOutcomeDetailSchema>;
  /** RDS events that can end this step's waits (a signal to look; check-backs finish the wait anyway). */
  rdsEvents: readonly RdsEventId[];
  /** Answers from outside Trapheus this step waits for (on the project bus, to the owner's queue, any step). */
  answers?: readonly EventContract<z.ZodType>[];
}

const FAILURES: readonly RdsEventId[] = [
  'RDS-EVENT-0278',
  'RDS-EVENT-0031',
  'RDS-EVENT-0035',
  'RDS-EVENT-0036',
];

/** Terminal runs are finalized by whichever service moved them there; a stalled one goes to cleanup. */
const terminal = (outcome: EventContract<typeof runOutcomeDetailSchema>): StepSpec => ({
  owner: 'cleanup',
  fn: 'engine finalize (publish the outcome, release the lock)',
  outcome,
  rdsEvents: [],
});

export const PIPELINE = {
  REQUESTED: { owner: 'snapshot', fn: 'snapshot acceptRequest', rdsEvents: [] },
  SNAPSHOTTING: {
    owner: 'snapshot',
    fn: 'snapshot takeSnapshot',
    rdsEvents: [
      'RDS-EVENT-0040',
      'RDS-EVENT-0042',
      'RDS-EVENT-0041',
      'RDS-EVENT-0074',
      'RDS-EVENT-0075',
      // the copy of a shared snapshot (db_restore) or of a snapshot to share (share_snapshot)
      'RDS-EVENT-0197',
      'RDS-EVENT-0190',
    ],
  },
  SNAPSHOT_READY: {
    owner: 'restore',
    fn: 'restore captureOriginal',
    handoff: SnapshotReady,
    rdsEvents: [],
  },
  RENAMING: {
    owner: 'restore',
    fn: 'restore renameOriginal',
    rdsEvents: ['RDS-EVENT-0172', 'RDS-EVENT-0006', 'RDS-EVENT-0004'],
  },
  RESTORING: {
    owner: 'restore',
    fn: 'restore restoreSnapshot / restoreCluster',
    rdsEvents: [
      'RDS-EVENT-0043',
      'RDS-EVENT-0005',
      'RDS-EVENT-0019',
      'RDS-EVENT-0170',
      'RDS-EVENT-0353',
      'RDS-EVENT-0354',
      ...FAILURES,
    ],
  },
  CONFIGURING: {
    owner: 'restore',
    fn: 'restore configureRestored / configureCluster',
    rdsEvents: ['RDS-EVENT-0006', 'RDS-EVENT-0004'],
  },
  VERIFYING: {
    owner: 'restore',
    fn: 'restore verifyCopy / verifyCluster (publishes RestoreVerifying; answered by RestoreVerified)',
    rdsEvents: [],
    answers: [RestoreVerified],
  },
  SWAPPING: {
    owner: 'restore',
    fn: 'restore swapNames / swapCluster',
    rdsEvents: ['RDS-EVENT-0172', 'RDS-EVENT-0006', 'RDS-EVENT-0004'],
  },
  CLEANING_UP: {
    owner: 'cleanup',
    fn: 'cleanup deleteTemp',
    handoff: RestoreCompleted,
    rdsEvents: ['RDS-EVENT-0003', 'RDS-EVENT-0171'],
  },
  ROLLING_BACK: {
    owner: 'cleanup',
    fn: 'cleanup rollBack',
    handoff: RestoreFailed,
    rdsEvents: [
      'RDS-EVENT-0003',
      'RDS-EVENT-0171',
      'RDS-EVENT-0172',
      'RDS-EVENT-0043',
      'RDS-EVENT-0005',
      'RDS-EVENT-0006',
      'RDS-EVENT-0004',
      'RDS-EVENT-0354',
      ...FAILURES,
    ],
  },
  SUCCEEDED: terminal(RunSucceeded),
  ROLLED_BACK: terminal(RunRolledBack),
  CLEANUP_FAILED: terminal(RunFailed),
  FAILED: terminal(RunFailed),
  REJECTED: terminal(RunFailed),
} as const satisfies Record<Step, StepSpec>;

const spec = (step: Step): StepSpec => PIPELINE[step];

/**
 * Side tracks: work a run starts that never holds up its steps (the export of the fresh snapshot to S3). Each has
 * its owner and the RDS events that end its waits; the owner's RDS rule carries them too.
 */
export const SIDE_TRACKS = {
  export: {
    owner: 'snapshot',
    fn: 'snapshot trackExport (services/snapshot/src/export.ts)',
    // DB snapshot 0159/0160/0161 and DB cluster snapshot 0162/0163/0164: export failed / canceled / completed.
    rdsEvents: [
      'RDS-EVENT-0159',
      'RDS-EVENT-0160',
      'RDS-EVENT-0161',
      'RDS-EVENT-0162',
      'RDS-EVENT-0163',
      'RDS-EVENT-0164',
    ],
  },
} as const satisfies Record<string, { owner: ServiceName; fn: string; rdsEvents: readonly RdsEventId[] }>;

/**
 * The non-terminal steps a service owns.
 *
 * @example
 * stepsOwnedBy('restore') // ['SNAPSHOT_READY', 'RENAMING', 'RESTORING', 'CONFIGURING']
 */
export const stepsOwnedBy = (service: ServiceName): Step[] =>
  STEPS.filter((s) => spec(s).owner === service && !spec(s).outcome);

/** The hand-off a run entering `step` needs, when the step belongs to another service than `from`. */
export const handoffInto = (step: Step, from: ServiceName) =>
  spec(step).owner !== from ? spec(step).handoff : undefined;

/** The outcome contract of a terminal step. */
export const outcomeOf = (step: Step) => spec(step).outcome ?? RunFailed;

/**
 * Which service a Trapheus event on the bus goes to: a hand-off to the owner of its step, RunStalled to the owner
 * of the stalled run's step (the public RestoreRequested goes to snapshot; outcomes to notify).
 *
 * @example
 * serviceFor('RestoreFailed') // 'cleanup'
 */
export const serviceFor = (detailType: string, step?: string): ServiceName | 'notify' | undefined => {
  if (detailType === 'RestoreRequested') return 'snapshot';
  for (const s of STEPS) if (spec(s).answers?.some((a) => a.detailType === detailType)) return spec(s).owner;
  if (detailType === 'RunStalled') return step && step in PIPELINE ? spec(step as Step).owner : undefined;
  for (const s of STEPS) {
    if (spec(s).handoff?.detailType === detailType) return spec(s).owner;
    if (spec(s).outcome?.detailType === detailType) return 'notify';
  }
  return undefined;
};

/**
 * The EventBridge patterns a service's rules must have, derived from the table: its hand-offs and RunStalled for
 * its steps on the project bus, and the RDS events its steps wait for on the default bus.
 */
export const rulePatternsFor = (service: ServiceName) => {
  const steps = STEPS.filter((s) => spec(s).owner === service);
  const handoffs = [
    ...new Set(
      steps.flatMap((s) => {
        const handoff = spec(s).handoff;
        return handoff ? [handoff.detailType] : [];
      }),
    ),
  ];
  const sideTrackEvents = Object.values(SIDE_TRACKS).flatMap((t) =>
    t.owner === service ? [...t.rdsEvents] : [],
  );
  const ids = [...new Set([...steps.flatMap((s) => spec(s).rdsEvents), ...sideTrackEvents])].sort();
  const answers = [...new Set(steps.flatMap((s) => (spec(s).answers ?? []).map((a) => a.detailType)))];
  return {
    handoffs,
    /** Answers from outside (RestoreVerified): on the project bus, any step (a late one is ignored by the engine). */
    answers,
    stalledSteps: steps,
    rds: {
      source: ['aws.rds'],
      'detail-type': [...new Set(ids.map((id) => RDS_EVENTS[id]))].sort(),
      detail: { EventID: ids },
    },
  };
};

/**
 * The README's lifecycle table, from the pipeline table.
 *
 * @example
 * pipelineMarkdown() // '| step | owner | entered with | … |'
 */
export const pipelineMarkdown = (): string => {
  const rows = STEPS.map((step) => {
    const s = spec(step);
    const entry = s.handoff
      ? `\`${s.handoff.detailType}\``
      : s.outcome
        ? `publishes \`${s.outcome.detailType}\``
        : '';
    const events = s.rdsEvents.length ? s.rdsEvents.map((e) => e.replace('RDS-EVENT-', '')).join(', ') : '';
    return `| \`${step}\` | ${s.owner} | ${entry} | ${s.fn} | ${events} |`;
  });
  return [
    '| step | owner | hand-off into it / outcome | step function | RDS events (RDS-EVENT-…) that wake it |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
};
