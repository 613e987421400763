import { runsOf, startBenchStack, startRun, WireTap, waitForRun } from './common';

const main = async () => {
  const stack = await startBenchStack({ timeScale: 600 });
  const tap = WireTap.forStack(stack);
  try {
    const runs = runsOf(stack);
    for (let i = 0; i < 10; i++) {
      await stack.bus.whenIdle(30_000);
      const t0 = tap.calls.length;
      const id = await startRun(stack, { identifier: 'demo-db', requestId: `probe-${i}-${Date.now()}` });
      const run = await waitForRun(runs, id, 60_000);
      await stack.bus.whenIdle(30_000);
      const snaps = tap.calls
        .slice(t0)
        .filter((c) => c.service === 'rds' && (c.status !== 200 || c.action === 'CreateDBSnapshot'));
      console.log(i, run?.step, snaps.map((c) => `${c.action}:${c.status}@${c.fn}`).join(' '));
    }
  } finally {
    tap.stop();
    await stack.stop();
  }
};
main();
