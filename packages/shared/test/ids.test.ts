import { runIdFor } from '../src/ids';
import { dbKeyOf, isTerminal, tempIdentifierFor, waitKeyOf } from '../src/run';

describe('runIdFor', () => {
  it('gives the same id for the same requestId whatever the event id', () => {
    const first = runIdFor({ requestId: 'nightly-2026-03-01', eventId: 'evt-1' });
    const second = runIdFor({ requestId: 'nightly-2026-03-01', eventId: 'evt-2' });

    expect(first).toBe(second);
    expect(first).toMatch(/^run-[0-9a-f]{16}$/);
  });

  it('gives different ids for different requestIds', () => {
    expect(runIdFor({ requestId: 'nightly-2026-03-01' })).not.toBe(
      runIdFor({ requestId: 'nightly-2026-03-02' }),
    );
  });

  it('keys a request without requestId by its event id', () => {
    // Act
    const byEvent = runIdFor({ eventId: 'evt-1' });

    // Assess
    expect(runIdFor({ eventId: 'evt-1' })).toBe(byEvent);
    expect(runIdFor({ eventId: 'evt-2' })).not.toBe(byEvent);
    expect(byEvent).toMatch(/^run-[0-9a-f]{16}$/);
  });

  it('never lets a requestId collide with an event id of the same text', () => {
    expect(runIdFor({ requestId: 'abc' })).not.toBe(runIdFor({ eventId: 'abc' }));
  });

  it('uses the fallback only without an event id', () => {
    expect(runIdFor({ fallback: 'msg-1' })).toBe(runIdFor({ eventId: 'msg-1' }));
    expect(runIdFor({ eventId: 'evt-1', fallback: 'msg-1' })).toBe(runIdFor({ eventId: 'evt-1' }));
  });

  it('ignores an empty requestId', () => {
    expect(runIdFor({ requestId: '', eventId: 'evt-1' })).toBe(runIdFor({ eventId: 'evt-1' }));
  });
});

describe('tempIdentifierFor', () => {
  const rdsIdentifier = /^[A-Za-z](?:[A-Za-z0-9]|-(?!-))*$/;

  it('appends a run-specific suffix to a short identifier', () => {
    expect(tempIdentifierFor('orders-db', 'run-0123456789abcdef')).toBe('orders-db-tr-01234567');
  });

  it('stays within 63 characters for a 63-character identifier', () => {
    // Prepare
    const identifier = `a${'b'.repeat(62)}`;

    // Act
    const temp = tempIdentifierFor(identifier, 'run-0123456789abcdef');

    // Assess
    expect(temp).toHaveLength(63);
    expect(temp).toBe(`${identifier.slice(0, 51)}-tr-01234567`);
    expect(temp).toMatch(rdsIdentifier);
  });

  it('never leaves a double hyphen where the identifier is cut at a hyphen', () => {
    // Prepare: the cut at 51 characters falls right after a hyphen.
    const identifier = `${'a'.repeat(50)}-${'b'.repeat(12)}`;

    // Act
    const temp = tempIdentifierFor(identifier, 'run-0123456789abcdef');

    // Assess
    expect(temp).toBe(`${'a'.repeat(50)}-tr-01234567`);
    expect(temp.length).toBeLessThanOrEqual(63);
    expect(temp).toMatch(rdsIdentifier);
    expect(temp.endsWith('-')).toBe(false);
  });

  it('is unique per run and stable for one run', () => {
    const a = tempIdentifierFor('orders-db', 'run-aaaaaaaa11111111');
    const b = tempIdentifierFor('orders-db', 'run-bbbbbbbb11111111');

    expect(a).not.toBe(b);
    expect(tempIdentifierFor('orders-db', 'run-aaaaaaaa11111111')).toBe(a);
  });

  it('differs from the identifier itself', () => {
    expect(tempIdentifierFor('orders-db', 'run-0123456789abcdef')).not.toBe('orders-db');
  });
});

describe('run keys', () => {
  it('builds dbKey and waitKey from kind/type and identifier', () => {
    expect(dbKeyOf('instance', 'orders-db')).toBe('instance#orders-db');
    expect(dbKeyOf('cluster', 'shop')).toBe('cluster#shop');
    expect(waitKeyOf('db-snapshot', 'rds:orders-db-2026-01-01-00-00')).toBe(
      'db-snapshot#rds:orders-db-2026-01-01-00-00',
    );
  });

  it.each([
    ['SUCCEEDED', true],
    ['ROLLED_BACK', true],
    ['CLEANUP_FAILED', true],
    ['FAILED', true],
    ['REJECTED', true],
    ['ROLLING_BACK', false],
    ['CLEANING_UP', false],
    ['REQUESTED', false],
  ] as const)('isTerminal(%s) is %s', (step, terminal) => {
    expect(isTerminal(step)).toBe(terminal);
  });
});
