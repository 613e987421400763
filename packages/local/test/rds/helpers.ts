import { RDSClient } from '@aws-sdk/client-rds';
import { type RdsSimulator, type RdsSimulatorOptions, startRdsSimulator } from '../../src/rds';
import type { RdsEventBridgeEvent } from '../../src/rds/types';

export interface Harness {
  sim: RdsSimulator;
  rds: RDSClient;
  events: RdsEventBridgeEvent[];
}

/** A simulator at 1000× speed (a 600 s restore takes 0.6 s) and a real SDK client pointed at it. */
export async function startHarness(opts: RdsSimulatorOptions = {}): Promise<Harness> {
  const events: RdsEventBridgeEvent[] = [];
  const sim = await startRdsSimulator({ timeScale: 1000, ...opts, onEvent: (e) => events.push(e) });
  const rds = new RDSClient({
    endpoint: sim.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  return { sim, rds, events };
}

export async function stopHarness(h: Harness | undefined): Promise<void> {
  h?.rds.destroy();
  await h?.sim.stop();
}

/** Polls `probe` until it returns a value other than `undefined`/`false` (throws after `timeoutMs`). */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`waitFor timed out${last ? `: ${String(last)}` : ''}`);
}

/** The error an SDK call fails with (name is the SDK class, Code the wire code). */
export async function errorOf(
  p: Promise<unknown>,
): Promise<{ name: string; code?: string; status?: number; message: string }> {
  try {
    await p;
  } catch (err) {
    const e = err as {
      name: string;
      Code?: string;
      message: string;
      $metadata?: { httpStatusCode?: number };
    };
    return { name: e.name, code: e.Code, status: e.$metadata?.httpStatusCode, message: e.message };
  }
  throw new Error('expected the call to fail');
}

export const eventIds = (events: RdsEventBridgeEvent[], id?: string) =>
  events.filter((e) => id === undefined || e.detail.SourceIdentifier === id).map((e) => e.detail.EventID);
