/**
 * `runSchedules`: rate(...) schedules fire on timers divided by the time scale; a firing that finds the previous one
 * of the same schedule still running is skipped (the scale shortens the interval, not the function's run time).
 */
import path from 'node:path';
import { type InvocationRecord, type LocalBus, startLocalBus } from '../../src/bus';

const rootDir = path.join(__dirname, 'fixtures', 'project');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('scheduled functions', () => {
  let bus: LocalBus | undefined;
  afterEach(() => bus?.stop());

  it('never run twice at once, whatever the time scale makes of the rate', async () => {
    let running = 0;
    let maxRunning = 0;
    const seen: InvocationRecord[] = [];
    bus = await startLocalBus({
      rootDir,
      // rate(5 minutes) every 10 ms; the checker takes 60 ms
      timeScale: 30_000,
      runSchedules: true,
      onInvocation: (rec) => seen.push(rec),
      loadHandler: async (file) =>
        file.endsWith('checker.ts')
          ? async () => {
              running += 1;
              maxRunning = Math.max(maxRunning, running);
              await sleep(60);
              running -= 1;
            }
          : async () => undefined,
    });
    await sleep(400);
    await bus.stop();
    const fired = seen.filter((r) => r.trigger === 'schedule');
    expect(maxRunning).toBe(1);
    // Back to back: about one firing per run time (not one per 10 ms).
    expect(fired.length).toBeGreaterThanOrEqual(3);
    expect(fired.length).toBeLessThanOrEqual(8);
    expect(fired.every((r) => r.result === 'ok' && r.source === 'rate(5 minutes)')).toBe(true);
  });
});
