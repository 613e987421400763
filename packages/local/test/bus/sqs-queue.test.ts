/**
 * The in-memory queue's counts (kept with every state change: the bus asks for them on every change while a caller
 * waits for it to go idle) and receives (the visible set is walked in place, not copied per receive).
 */
import { type Message, type Queue, SqsBroker } from '../../src/bus/sqs';

let broker: SqsBroker;
let dlq: Queue;
let q: Queue;
beforeEach(() => {
  broker = new SqsBroker({ region: 'us-east-1', accountId: '000000000000', timeScale: 1000 });
  dlq = broker.createQueue({ name: 'work-dlq' });
  q = broker.createQueue({
    name: 'work',
    visibilityTimeout: 30,
    redrivePolicy: { deadLetterTargetArn: broker.arnFor('work-dlq'), maxReceiveCount: 2 },
  });
});
afterEach(() => broker.stop());

/** The counts from the messages themselves. */
const counted = (queue: Queue) => {
  const all = queue.snapshot();
  return {
    visible: all.filter((m) => m.state === 'visible').length,
    inFlight: all.filter((m) => m.state === 'inflight').length,
    delayed: all.filter((m) => m.state === 'delayed').length,
  };
};
const consistent = () => {
  expect(q.stats()).toEqual(counted(q));
  expect(dlq.stats()).toEqual(counted(dlq));
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('queue counts', () => {
  it('follow sends, delays, receives, deletes, visibility changes, expiry, the DLQ and purge', async () => {
    for (let i = 0; i < 5; i++) q.send(`now-${i}`);
    q.send('later', { delaySeconds: 20 }); // 20 ms at 1000×
    consistent();
    expect(q.stats()).toEqual({ visible: 5, inFlight: 0, delayed: 1 });

    const got = q.receive(3);
    expect(got.map((m) => m.body)).toEqual(['now-0', 'now-1', 'now-2']);
    consistent();
    expect(q.stats()).toEqual({ visible: 2, inFlight: 3, delayed: 1 });

    q.delete(got[0]!.receiptHandle!);
    q.delete(got[0]!.receiptHandle!); // stale: ignored
    q.changeVisibility(got[1]!.receiptHandle!, 0);
    consistent();
    expect(q.stats()).toEqual({ visible: 3, inFlight: 1, delayed: 1 });

    await sleep(60); // the delayed message and the last in-flight one (30 ms) become visible
    consistent();
    expect(q.stats()).toEqual({ visible: 5, inFlight: 0, delayed: 0 });

    // Received twice (maxReceiveCount) without a delete: the next receive moves a message to the DLQ instead.
    const bodies = (ms: Message[]) => ms.map((m) => m.body).sort();
    const again = (ms: Message[]) => {
      for (const m of ms) q.changeVisibility(m.receiptHandle!, 0);
      consistent();
    };
    const first = q.receive(10);
    expect(bodies(first)).toEqual(['later', 'now-1', 'now-2', 'now-3', 'now-4']);
    again(first);
    const second = q.receive(10); // now-1 and now-2 were received twice already
    expect(bodies(second)).toEqual(['later', 'now-3', 'now-4']);
    expect(bodies(dlq.snapshot())).toEqual(['now-1', 'now-2']);
    again(second);
    expect(q.receive(10)).toEqual([]);
    expect(bodies(dlq.snapshot())).toEqual(['later', 'now-1', 'now-2', 'now-3', 'now-4']);
    consistent();
    expect(q.stats()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    expect(dlq.stats()).toEqual({ visible: 5, inFlight: 0, delayed: 0 });

    dlq.receive(2);
    dlq.send('delayed', { delaySeconds: 900 });
    consistent();
    dlq.purge();
    consistent();
    expect(dlq.stats()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('a message held by an event-source mapping stays in flight until released', () => {
    q.send('a');
    const [m] = q.receive(1, 0, true);
    consistent();
    expect(q.stats().inFlight).toBe(1);
    q.release(m!.receiptHandle!);
    consistent();
    expect(q.stats()).toEqual({ visible: 0, inFlight: 1, delayed: 0 });
  });
});

describe('receipt handles (SQS API reference, DeleteMessage: the handle of the most recent receive deletes)', () => {
  it("the last receive's handle still deletes its message once the visibility timeout has passed", async () => {
    q.send('slow consumer');
    const [m] = q.receive(1); // 30 ms at 1000×
    await sleep(60);
    expect(q.stats()).toEqual({ visible: 1, inFlight: 0, delayed: 0 });
    q.delete(m!.receiptHandle!);
    consistent();
    expect(q.snapshot()).toEqual([]);
  });

  it("an older receive's handle deletes nothing once the message was received again", async () => {
    q.send('received twice');
    const [first] = q.receive(1);
    await sleep(60);
    const [second] = q.receive(1);
    expect(second!.messageId).toBe(first!.messageId);
    q.delete(first!.receiptHandle!);
    expect(q.snapshot().map((m) => m.body)).toEqual(['received twice']);
    expect(() => q.changeVisibility(first!.receiptHandle!, 10)).toThrow(/not in flight/);
    q.delete(second!.receiptHandle!);
    consistent();
    expect(q.snapshot()).toEqual([]);
  });

  it('the last handle no longer changes the visibility once the message is visible again (not in flight)', async () => {
    q.send('m');
    const [m] = q.receive(1);
    await sleep(60);
    expect(() => q.changeVisibility(m!.receiptHandle!, 10)).toThrow(/not in flight/);
    consistent();
  });

  it('a handle deletes nothing once its message moved to the DLQ, nor after a purge', async () => {
    q.send('poison');
    q.receive(1);
    await sleep(60);
    const [last] = q.receive(1); // received maxReceiveCount (2) times
    await sleep(60);
    expect(q.receive(1)).toEqual([]); // the next receive moves it to the DLQ
    q.delete(last!.receiptHandle!);
    dlq.delete(last!.receiptHandle!);
    expect(dlq.snapshot().map((m) => m.body)).toEqual(['poison']);

    q.send('purged');
    const [p] = q.receive(1);
    q.purge();
    q.send('after');
    q.delete(p!.receiptHandle!);
    expect(q.snapshot().map((m) => m.body)).toEqual(['after']);
    consistent();
  });
});

describe('receive', () => {
  it('takes the oldest visible messages up to max, each once, however many wait', () => {
    for (let i = 0; i < 1000; i++) q.send(String(i));
    const seen: string[] = [];
    for (let batch = q.receive(10); batch.length > 0; batch = q.receive(10)) {
      expect(batch.length).toBeLessThanOrEqual(10);
      seen.push(...batch.map((m) => m.body));
    }
    expect(seen).toEqual(Array.from({ length: 1000 }, (_v, i) => String(i)));
    consistent();
  });
});
