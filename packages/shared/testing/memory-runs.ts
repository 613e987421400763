/**
 * An in-memory run repository with the same contract as the DynamoDB one (conditional writes on step and
 * version, the lock, the indexes), for unit tests. The DynamoDB repository itself is tested on its exact
 * command inputs and, end to end, on dynalite.
 */
import {
  ALLOWED_TRANSITIONS,
  dbKeyOf,
  hasPendingCalls,
  holdsLockWhenDone,
  isTerminal,
  LIST_KEY,
  type LockResult,
  MAX_TRACE_SEGMENTS,
  type NewRun,
  newRun,
  type Run,
  type RunPage,
  type RunPageQuery,
  type RunPatch,
  type RunRepository,
  type RunTrace,
  StaleRunError,
  type Step,
  type TraceSegment,
  type TransitionOptions,
  traceKey,
  tracePatch,
} from '../src';

const clone = <T>(v: T): T => structuredClone(v);

export const buildMemoryRunRepository = (now: () => Date = () => new Date()) => {
  const runs = new Map<string, Run>();
  const locks = new Map<string, string>();
  /** Trace segments by their key (run-trace.ts traceKey). */
  const segments = new Map<string, TraceSegment>();

  const write = (run: Run, patch: Record<string, unknown>): Run => {
    const stored = runs.get(run.runId);
    if (!stored || stored.step !== run.step || stored.version !== run.version) {
      throw new StaleRunError(run.runId, `${run.step} v${run.version}`);
    }
    const next = { ...stored } as Record<string, unknown>;
    const trace = tracePatch(stored, patch, now().toISOString());
    const traceSeq = trace.segment ? (stored.traceSeq ?? 0) + 1 : undefined;
    if (trace.segment && traceSeq) segments.set(traceKey(run.runId, traceSeq), clone(trace.segment));
    for (const [k, v] of Object.entries({ ...patch, ...(traceSeq ? { traceSeq } : {}) })) {
      if (v === undefined) delete next[k];
      else next[k] = clone(v);
    }
    next.version = stored.version + 1;
    next.updatedAt = now().toISOString();
    runs.set(run.runId, next as unknown as Run);
    trace.commit();
    return clone(next as unknown as Run);
  };

  const repo: RunRepository = {
    async get(runId) {
      const r = runs.get(runId);
      return r ? clone(r) : undefined;
    },
    async create(input: NewRun) {
      const existing = runs.get(input.runId);
      if (existing) return { created: false, run: clone(existing) };
      const run = newRun(input, now().toISOString());
      runs.set(run.runId, clone(run));
      return { created: true, run };
    },
    async transition(run: Run, to: Step, opts: TransitionOptions = {}) {
      if (!ALLOWED_TRANSITIONS[run.step].includes(to)) {
        throw new Error(`run ${run.runId}: transition ${run.step} → ${to} is not allowed`);
      }
      const at = now().toISOString();
      const patch: Record<string, unknown> = {
        ...opts.patch,
        step: to,
        history: [...run.history, { step: to, at, ...(opts.note ? { note: opts.note } : {}) }],
        ...(opts.failure ? { failure: opts.failure } : {}),
      };
      patch.wait = undefined;
      patch.waitKey = undefined;
      if (run.wait) patch.lastCheckSeq = run.wait.checkSeq;
      return write(run, patch);
    },
    async acquireLease(runId: string, owner: string, seconds: number) {
      const stored = runs.get(runId);
      if (!stored) return undefined;
      const at = now();
      if (stored.lease && stored.lease.until >= at.toISOString() && stored.lease.owner !== owner)
        return undefined;
      const next: Run = {
        ...stored,
        lease: { owner, until: new Date(at.getTime() + seconds * 1000).toISOString() },
        version: stored.version + 1,
      };
      runs.set(runId, next);
      return clone(next);
    },
    async releaseLease(runId: string, owner: string) {
      const stored = runs.get(runId);
      if (stored?.lease?.owner === owner) {
        const { lease: _lease, ...rest } = stored;
        runs.set(runId, rest as Run);
      }
    },
    async update(run: Run, patch: RunPatch) {
      return write(run, { ...patch });
    },
    async recordVerificationAnswer(runId, hook, answer) {
      const stored = runs.get(runId);
      const v = stored?.verification;
      if (stored?.step !== 'VERIFYING' || !v?.hooks.includes(hook) || v.answers[hook]) return undefined;
      const next: Run = {
        ...stored,
        verification: { ...v, answers: { ...v.answers, [hook]: clone(answer) } },
        version: stored.version + 1,
        updatedAt: now().toISOString(),
      };
      runs.set(runId, next);
      return clone(next);
    },
    async markFinalized(run: Run) {
      return write(run, { active: undefined });
    },
    async acquireLock(run: Run): Promise<LockResult> {
      const holder = locks.get(run.dbKey);
      if (!holder || holder === run.runId) {
        locks.set(run.dbKey, run.runId);
        return { acquired: true };
      }
      const holderRun = runs.get(holder);
      if (holderRun && !isTerminal(holderRun.step)) return { acquired: false, holder };
      if (holderRun && holdsLockWhenDone(holderRun)) return { acquired: false, holder, needsPerson: true };
      locks.set(run.dbKey, run.runId);
      return { acquired: true };
    },
    async releaseLock(run: Run) {
      if (locks.get(run.dbKey) === run.runId) locks.delete(run.dbKey);
    },
    async unlock(kind, identifier) {
      const key = dbKeyOf(kind, identifier);
      const holder = locks.get(key);
      if (!holder) return { released: false, reason: `${kind} ${identifier} is not locked` };
      const holderRun = runs.get(holder);
      if (holderRun && !isTerminal(holderRun.step))
        return { released: false, holder, reason: 'still active' };
      locks.delete(key);
      return { released: true, holder };
    },
    async findByWaitKey(waitKey: string) {
      return [...runs.values()].filter((r) => r.waitKey === waitKey).map(clone);
    },
    async listByDatabase(kind, identifier) {
      return [...runs.values()].filter((r) => r.dbKey === dbKeyOf(kind, identifier)).map(clone);
    },
    async listActive() {
      return [...runs.values()].filter((r) => r.active === 'Y').map(clone);
    },
    async listAll() {
      return [...runs.values()].map(clone);
    },
    async getTrace(run: Pick<Run, 'runId' | 'traceSeq'>): Promise<RunTrace> {
      const last = run.traceSeq ?? 0;
      const first = Math.max(1, last - MAX_TRACE_SEGMENTS + 1);
      const read: TraceSegment[] = [];
      for (let seq = first; seq <= last; seq += 1) {
        const seg = segments.get(traceKey(run.runId, seq));
        if (seg) read.push(clone(seg));
      }
      return {
        waits: read.flatMap((g) => g.waits),
        calls: read.flatMap((g) => g.calls),
        truncated: first > 1,
      };
    },
    async flushTrace(run: Run) {
      if (!hasPendingCalls(run.runId)) return undefined;
      try {
        return write(run, {});
      } catch (err) {
        if (err instanceof StaleRunError) return undefined;
        throw err;
      }
    },
    /** As the DynamoDB one; the cursor is the last runId of the page. */
    async listPage(query: RunPageQuery = {}): Promise<RunPage> {
      const limit = query.limit ?? 50;
      const all = [...runs.values()]
        .filter((r) =>
          query.identifier
            ? r.dbKey === dbKeyOf(query.kind ?? 'instance', query.identifier)
            : r.listKey === LIST_KEY && (!query.kind || r.kind === query.kind),
        )
        .filter((r) => !query.step || r.step === query.step)
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.runId.localeCompare(a.runId));
      const from = query.cursor ? all.findIndex((r) => r.runId === query.cursor) + 1 : 0;
      const page = all.slice(from, from + limit);
      const last = page.at(-1);
      return { runs: page.map(clone), ...(from + limit < all.length && last ? { cursor: last.runId } : {}) };
    },
  };
  return { repo, locks, all: () => [...runs.values()].map(clone) };
};
