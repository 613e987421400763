/**
 * bench/fleet.ts — a fleet of concurrent restores under injected faults (docs/design.md §7).
 *
 *   npx tsx bench/fleet.ts [--instances 12] [--time-scale 120] [--timeout 150] [--seed 7]
 *
 * Seeds K copies of demo-db (fleet-01 …), starts a create_snapshot restore of each at once, with RDS events
 * dropped / duplicated / reordered (0.3 each) and 5 % of RDS calls throttled, and waits for every run to end.
 * Exits non-zero when a run is lost or an RDS action was applied twice to one database.
 */
import { DEMO_INSTANCE } from '@trapheus/local';
import { runIdFor } from '@trapheus/shared';
import {
  countBy,
  fmt,
  isDone,
  machineLine,
  numberArgs,
  runsOf,
  sleep,
  startBenchStack,
  startRun,
  table,
  WireTap,
} from './common';

const opts = numberArgs({ instances: 12, timeScale: 120, timeout: 150, seed: 7 });
const K = opts.instances;
if (!Number.isInteger(K) || K < 1 || K > 20)
  throw new Error('--instances must be 1..20 (the simulator allows 40 instances)');

const FAULTS = { drop: 0.3, duplicate: 0.3, reorder: 0.3 };
const THROTTLE = 0.05;
const ACTIONS = ['CreateDBSnapshot', 'RestoreDBInstanceFromDBSnapshot', 'DeleteDBInstance'] as const;

console.log(`Trapheus fleet — ${K} concurrent create_snapshot restores with injected faults
  how:     local stack in-process (RDS simulator and SQS delays at ${opts.timeScale}×, up to 5 concurrent invocations
           per function as the local runner allows); ${K} copies of demo-db seeded, all runs requested at once
           (distinct requestIds). RDS events: drop ${FAULTS.drop} / duplicate ${FAULTS.duplicate} / reorder ${FAULTS.reorder};
           ${THROTTLE * 100} % of RDS calls throttled (the SDK retries). Fault PRNG seed ${opts.seed}.
  counts:  "duplicated action" = CreateDBSnapshot, RestoreDBInstanceFromDBSnapshot or DeleteDBInstance ACCEPTED
           (HTTP 200) more than once for one database, read from the Lambdas' RDS requests on the wire (temp names
           map back to their database); the simulator's per-action call counts include throttled attempts.
           "lost" = not terminal ${opts.timeout} s (wall) after the start. The scheduled watchdog is not fired (its
           grace is real time), so every run here finishes on events and check-backs alone.
  caveat:  all Lambdas share this 2-core process: GB-s and wall time are inflated by contention.`);
console.log(`${machineLine()}\n`);

const main = async () => {
  const stack = await startBenchStack({ timeScale: opts.timeScale, seedDemo: false, seed: opts.seed });
  const tap = WireTap.forStack(stack);
  try {
    const ids = Array.from({ length: K }, (_v, i) => `fleet-${String(i + 1).padStart(2, '0')}`);
    for (const id of ids) stack.rds.seedInstance({ ...DEMO_INSTANCE, DBInstanceIdentifier: id });
    stack.rds.faults.setEvents(FAULTS);
    stack.rds.faults.add({ kind: 'throttle', probability: THROTTLE });
    const runs = runsOf(stack);

    const started = Date.now();
    const stamp = started.toString(36);
    const requests = ids.map((id) => ({ id, requestId: `bench-fleet-${id}-${stamp}` }));
    const startErrors: string[] = [];
    await Promise.all(
      requests.map((r) =>
        startRun(stack, { identifier: r.id, requestId: r.requestId }).catch((err: Error) => {
          startErrors.push(`${r.id}: ${err.message}`);
        }),
      ),
    );
    const acceptedS = (Date.now() - started) / 1000;
    const runIds = requests.map((r) => runIdFor({ requestId: r.requestId }));

    const deadline = started + opts.timeout * 1000;
    let final = await Promise.all(runIds.map((id) => runs.get(id)));
    while (Date.now() < deadline && !final.every(isDone)) {
      await sleep(250);
      final = await Promise.all(runIds.map((id) => runs.get(id)));
    }
    const wallS = (Date.now() - started) / 1000;
    const drained = await stack.bus
      .whenIdle(20_000)
      .then(() => true)
      .catch(() => false);

    // Outcomes
    const byStep = countBy(final, (r) => (isDone(r) ? r.step : 'LOST'));
    const lost = byStep.LOST ?? 0;

    // Duplicated actions, from the RDS requests the Lambdas made
    const dbOf = (id: string) => id.replace(/-tr-[0-9a-z]{1,8}$/, '');
    const rdsCalls = tap.calls.filter((c) => c.service === 'rds' && c.fn !== undefined);
    const accepted = new Map<string, number>();
    const attempts = countBy(rdsCalls, (c) =>
      (ACTIONS as readonly string[]).includes(c.action) ? c.action : undefined,
    );
    for (const c of rdsCalls) {
      if (!(ACTIONS as readonly string[]).includes(c.action) || c.status !== 200) continue;
      const key = `${c.action} ${dbOf(c.params?.get('DBInstanceIdentifier') ?? '?')}`;
      accepted.set(key, (accepted.get(key) ?? 0) + 1);
    }
    const duplicates = [...accepted].filter(([, n]) => n > 1);
    // Each SUCCEEDED run must show each action accepted once for its database, or the wire tap missed calls.
    const missing = final
      .flatMap((r) => (r?.step === 'SUCCEEDED' ? [r.identifier] : []))
      .flatMap((id) => ACTIONS.filter((a) => !accepted.has(`${a} ${id}`)).map((a) => `${a} ${id}`));
    const throttled = rdsCalls.filter((c) => c.status === 400).length;
    const callCounts = stack.rds.callCounts();

    // Leftovers and DLQs
    const state = stack.rds.snapshotState();
    const leftoverTemps = state.instances
      .map((i) => String(i.DBInstanceIdentifier))
      .filter((id) => /-tr-/.test(id));
    const dlqs = stack.bus.queues().filter((q) => (q.dlqMessages ?? 0) > 0);
    const dlqTotal = dlqs.reduce((s, q) => s + (q.dlqMessages ?? 0), 0);
    const inv = stack.bus.invocations();
    const gb = inv.reduce((s, x) => s + x.gbSeconds, 0);
    const events = {
      emitted: stack.rds.emittedEvents().length,
      delivered: stack.rds.deliveredEvents().length,
    };

    const rows: string[][] = [
      ['runs requested', String(K)],
      ['runs SUCCEEDED', String(byStep.SUCCEEDED ?? 0)],
      ['runs ROLLED_BACK', String(byStep.ROLLED_BACK ?? 0)],
      [
        'runs FAILED / CLEANUP_FAILED / REJECTED',
        `${byStep.FAILED ?? 0} / ${byStep.CLEANUP_FAILED ?? 0} / ${byStep.REJECTED ?? 0}`,
      ],
      ['runs lost (not terminal at the timeout)', String(lost)],
      ['duplicated actions (accepted twice, one db)', String(duplicates.length)],
      ['  succeeded runs missing an accepted action (tap check)', String(missing.length)],
      ...ACTIONS.map((a) => [
        `  ${a}: accepted / attempts / callCounts`,
        `${[...accepted].filter(([k]) => k.startsWith(`${a} `)).reduce((s, [, n]) => s + n, 0)} / ${attempts[a] ?? 0} / ${callCounts[a] ?? 0}`,
      ]),
      [
        'RDS calls total (throttled or refused: HTTP 400)',
        `${Object.values(callCounts).reduce((s, n) => s + n, 0)} (${throttled})`,
      ],
      ['RDS events emitted / delivered after faults', `${events.emitted} / ${events.delivered}`],
      ['temp instances left', String(leftoverTemps.length)],
      [
        'DLQ messages',
        `${dlqTotal}${dlqs.length ? ` (${dlqs.map((q) => `${q.dlq}: ${q.dlqMessages}`).join(', ')})` : ''}`,
      ],
      ['Lambda invocations', String(inv.length)],
      [
        '  of which errors / partial batch failures',
        `${inv.filter((x) => x.result === 'error').length} / ${inv.filter((x) => x.result === 'partial').length}`,
      ],
      ['Lambda GB-s total (local timing)', fmt(gb, 2)],
      ['  per run', fmt(gb / K, 3)],
      ['all requests accepted after (wall s)', fmt(acceptedS, 1)],
      ['wall time to the last terminal run (s)', fmt(wallS, 1)],
      ['  = simulated s', fmt(wallS * opts.timeScale, 0)],
      ['bus drained afterwards', drained ? 'yes' : 'no (timeout)'],
    ];
    console.log(table(['fleet', 'value'], rows));
    const notDone = final.map((r, i) => ({ r, id: ids[i] })).filter((x) => !isDone(x.r));
    for (const x of notDone) console.log(`lost: ${x.id} at ${x.r?.step ?? 'no run record'}`);
    for (const [key, n] of duplicates) console.log(`duplicated: ${key} accepted ${n}×`);
    for (const e of startErrors) console.log(`start error: ${e}`);
    for (const r of final) {
      if (r && isDone(r) && r.step !== 'SUCCEEDED') {
        console.log(
          `${r.identifier}: ${r.step}${r.failure ? ` — ${r.failure.step} ${r.failure.code}: ${r.failure.message}` : ''}`,
        );
      }
    }
    for (const m of missing)
      console.log(`not seen on the wire: ${m} (the duplicate count may be incomplete)`);
    if (lost > 0 || duplicates.length > 0 || missing.length > 0) {
      console.log('FAIL: a run was lost, an action was duplicated, or the wire tap missed an action');
      process.exitCode = 1;
    }
  } finally {
    tap.stop();
    await stack.stop();
  }
};

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
