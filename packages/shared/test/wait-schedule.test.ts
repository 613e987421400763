import { eventlessChangeOf, nextLookSeconds } from '../src/wait-schedule';

const timing = { baseSeconds: 20, maxSeconds: 900, denseSeconds: 8 };

/** The seconds after the wait's start at which it is looked at, for a change that ends at `doneAt`. */
const looks = (change: 'rename' | 'modify' | undefined, doneAt: number) => {
  const at: number[] = [];
  let t = 0;
  for (let attempt = 0; t < doneAt && attempt < 500; attempt++) {
    t += nextLookSeconds({
      change,
      elapsedSeconds: t,
      attempt,
      timing,
    });
    at.push(t);
  }
  return at;
};

describe('eventlessChangeOf', () => {
  const instance = (target: string) => ({ resourceType: 'db-instance', target });

  it('names the instance renames and modifies, which RDS ends with no event', () => {
    expect(eventlessChangeOf('RENAMING', instance('available'))).toBe('rename');
    expect(eventlessChangeOf('SWAPPING', instance('available'))).toBe('rename');
    expect(eventlessChangeOf('ROLLING_BACK', instance('available'))).toBe('rename');
    expect(eventlessChangeOf('CONFIGURING', instance('available'))).toBe('modify');
    expect(eventlessChangeOf('CONFIGURING', instance('configured'))).toBe('modify');
    expect(eventlessChangeOf('CONFIGURING', { resourceType: 'db-cluster', target: 'configured' })).toBe(
      'modify',
    );
    // Deletion protection lifted before a delete: a modify too, whichever step deletes
    expect(eventlessChangeOf('CLEANING_UP', instance('unprotected'))).toBe('modify');
    expect(eventlessChangeOf('ROLLING_BACK', { resourceType: 'db-cluster', target: 'unprotected' })).toBe(
      'modify',
    );
  });

  it('leaves the waits an RDS event ends to the backoff', () => {
    expect(eventlessChangeOf('RESTORING', instance('available'))).toBeUndefined();
    expect(eventlessChangeOf('CLEANING_UP', instance('deleted'))).toBeUndefined();
    expect(
      eventlessChangeOf('SWAPPING', { resourceType: 'db-cluster', target: 'available' }),
    ).toBeUndefined();
    expect(
      eventlessChangeOf('SNAPSHOTTING', { resourceType: 'db-snapshot', target: 'available' }),
    ).toBeUndefined();
  });
});

describe('nextLookSeconds', () => {
  it('backs off 1.5× for a wait an event ends', () => {
    expect(looks(undefined, 300)).toEqual([20, 50, 95, 163, 264, 416]);
  });

  it('looks at a rename at 20 s, at the window start (60 s), then every 8 s until it is done', () => {
    expect(looks('rename', 100)).toEqual([20, 60, 68, 76, 84, 92, 100]);
  });

  it('keeps the gap after an event-less change under the dense spacing inside the window', () => {
    for (const doneAt of [61, 137, 333, 599, 880]) {
      const change = doneAt > 600 ? 'modify' : 'rename';
      const seen = looks(change, doneAt).at(-1)!;
      expect(seen - doneAt).toBeGreaterThanOrEqual(0);
      expect(seen - doneAt).toBeLessThan(timing.denseSeconds);
    }
  });

  it('looks less often once a change runs past its window: a quarter of the overrun, at most 24 s', () => {
    expect(nextLookSeconds({ change: 'rename', elapsedSeconds: 600, attempt: 80, timing })).toBe(8);
    expect(nextLookSeconds({ change: 'rename', elapsedSeconds: 680, attempt: 90, timing })).toBe(20);
    expect(nextLookSeconds({ change: 'rename', elapsedSeconds: 5000, attempt: 99, timing })).toBe(24);
    expect(
      nextLookSeconds({
        change: 'rename',
        elapsedSeconds: 5000,
        attempt: 99,
        timing: { ...timing, maxSeconds: 15 },
      }),
    ).toBe(15);
  });
});
