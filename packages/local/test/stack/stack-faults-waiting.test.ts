/**
 * stack.faults waiting for an RDS call ("after RDS did X"): each answered call looks only at the faults waiting for
 * its action, and arms every one whose status, caller and parameters match.
 */
import type { RdsCallRecord } from '../../src/rds';
import { StackFaults } from '../../src/stack-faults';

const call = (
  action: string,
  status: number,
  params: Record<string, string>,
  caller?: string,
): RdsCallRecord => ({
  at: Date.now(),
  action,
  status,
  params,
  ...(caller ? { accessKeyId: caller } : {}),
});

describe('faults armed by an RDS call', () => {
  it('arm on their own action, status, caller and parameters; others keep waiting', () => {
    const faults = new StackFaults((akid) => akid);
    const crash = faults.dynamo({
      error: 'crash',
      after: { action: 'ModifyDBInstance', param: { NewDBInstanceIdentifier: 'db-TR-1' } },
    });
    const ses = faults.ses({ error: '500', after: { action: 'ModifyDBInstance', caller: 'fn-cleanup' } });
    const bus = faults.bus({ kind: 'sqs-send', after: { action: 'DeleteDBInstance', anyStatus: true } });
    const now = faults.dynamo({ error: 'ConditionalCheckFailedException' });
    const armed = () =>
      Object.fromEntries(faults.pending().map((p) => [p.id, p.armed])) as Record<number, boolean>;
    expect(armed()).toEqual({ [crash]: false, [ses]: false, [bus]: false, [now]: true });

    faults.observeRds(call('ModifyDBInstance', 400, { NewDBInstanceIdentifier: 'db-tr-1' }, 'fn-cleanup'));
    faults.observeRds(call('ModifyDBInstance', 200, { NewDBInstanceIdentifier: 'db-tr-2' }));
    faults.observeRds(call('CreateDBSnapshot', 200, { NewDBInstanceIdentifier: 'db-tr-1' }, 'fn-cleanup'));
    expect(armed()).toEqual({ [crash]: false, [ses]: false, [bus]: false, [now]: true });

    // Parameters compare case-insensitively; the SES fault wants another caller.
    faults.observeRds(call('ModifyDBInstance', 200, { NewDBInstanceIdentifier: 'db-tr-1' }, 'fn-restore'));
    expect(armed()).toEqual({ [crash]: true, [ses]: false, [bus]: false, [now]: true });
    faults.observeRds(call('ModifyDBInstance', 200, {}, 'fn-cleanup'));
    expect(armed()).toEqual({ [crash]: true, [ses]: true, [bus]: false, [now]: true });
    // anyStatus: a refused call arms it too.
    faults.observeRds(call('DeleteDBInstance', 400, {}));
    expect(armed()).toEqual({ [crash]: true, [ses]: true, [bus]: true, [now]: true });

    // A fault added later waits for the next matching call, not an earlier one.
    const later = faults.bus({ kind: 'put-events-partial', after: { action: 'ModifyDBInstance' } });
    expect(armed()[later]).toBe(false);
    faults.observeRds(call('ModifyDBInstance', 200, {}));
    expect(armed()[later]).toBe(true);

    // reset() forgets the waiting ones too.
    const waiting = faults.ses({ error: '500', after: { action: 'CreateDBSnapshot' } });
    faults.reset();
    faults.observeRds(call('CreateDBSnapshot', 200, {}));
    expect(faults.pending().map((p) => p.id)).not.toContain(waiting);
    expect(faults.pending()).toEqual([]);
  });
});
