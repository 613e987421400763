/**
 * The safety invariants every run must keep, whatever fault hit it. Each takes one run of a finished batch and
 * returns its violations as sentences (empty: the invariant held).
 */
import type { RdsCallRecord } from '@trapheus/local';
import { isTerminal } from '@trapheus/shared';
import type { BatchResult, RunRecord, Sample, SampledRun, SnapshotSample } from './harness';

export type Invariant = (r: RunRecord, b: BatchResult) => string[];

const ms = (iso: string | undefined) => (iso ? Date.parse(iso) : Number.NaN);
const at = (r: RunRecord, step: string) => ms(r.run?.history.find((h) => h.step === step)?.at);
/** When the run reached its terminal state (NaN when it did not). */
export const terminalAt = (r: RunRecord) =>
  r.run && isTerminal(r.run.step) ? ms(r.run.history.at(-1)?.at) : Number.NaN;
const fmtT = (r: RunRecord, t: number) => `t+${t - r.startedAt}ms`;
const last = (b: BatchResult) => b.samples.at(-1)!;
const isFunction = (c: RdsCallRecord) => (c.accessKeyId ?? '').startsWith('trapheus-');
const ok = (c: RdsCallRecord) => c.status >= 200 && c.status < 300;

/** Every identifier the run may touch. */
export const runNames = (r: RunRecord): string[] => [
  r.ctx.db.identifier,
  r.ctx.temp,
  ...r.ctx.db.members,
  ...r.ctx.memberTemps,
];

/** Where the original's data is in a sample: the name it is under, or undefined when it is nowhere. */
const whereIsOriginal = (r: RunRecord, s: Sample): { name: string; status: string } | undefined => {
  const names = [r.ctx.db.identifier, r.ctx.temp];
  for (const name of names) {
    const rec = r.ctx.db.kind === 'instance' ? s.instances.get(name) : s.clusters.get(name);
    if (rec && rec.rid === r.originalRid) return { name, status: rec.status };
  }
  return undefined;
};

/** 1. The original's data exists, under its own name or the temp name, until a good copy is configured. */
export const originalDataAlwaysExists: Invariant = (r, b) => {
  const configured = at(r, 'CLEANING_UP');
  const out: string[] = [];
  for (const s of b.samples) {
    if (s.at < r.startedAt) continue;
    if (!Number.isNaN(configured) && s.at >= configured) break;
    const where = whereIsOriginal(r, s);
    if (!where) {
      out.push(
        `original ${r.ctx.db.kind} ${r.ctx.db.identifier} (${r.originalRid}) gone at ${fmtT(r, s.at)}`,
      );
      break;
    }
    if (where.status === 'deleting') {
      out.push(`original ${r.originalRid} is being deleted (as ${where.name}) at ${fmtT(r, s.at)}`);
      break;
    }
  }
  return out;
};

/** A sample's snapshots by what they are of (instance: DbiResourceId; cluster: source identifier), in order. */
type SnapshotEntry = [string, SnapshotSample];
const snapshotsOf = new WeakMap<
  Sample,
  { instance: Map<string, SnapshotEntry[]>; cluster: Map<string, SnapshotEntry[]> }
>();
const indexSnapshots = (s: Sample) => {
  let index = snapshotsOf.get(s);
  if (!index) {
    const by = (entries: Iterable<SnapshotEntry>, key: (v: SnapshotSample) => string) => {
      const m = new Map<string, SnapshotEntry[]>();
      for (const e of entries) {
        const k = key(e[1]);
        const list = m.get(k);
        if (list) list.push(e);
        else m.set(k, [e]);
      }
      return m;
    };
    index = {
      instance: by(s.snapshots.entries(), (v) => v.of),
      cluster: by(s.clusterSnapshots.entries(), (v) => v.source),
    };
    snapshotsOf.set(s, index);
  }
  return index;
};

const goodSnapshots = (r: RunRecord, s: Sample) =>
  (r.ctx.db.kind === 'instance'
    ? (indexSnapshots(s).instance.get(r.originalRid) ?? [])
    : (indexSnapshots(s).cluster.get(r.ctx.db.identifier) ?? [])
  ).filter(([, v]) => v.status === 'available');

/** 2. Once a good snapshot of the database exists, one exists at every moment. */
export const snapshotNeverMissing: Invariant = (r, b) => {
  let seen: string | undefined;
  for (const s of b.samples) {
    const good = goodSnapshots(r, s);
    if (good.length > 0) seen ??= good[0]![0];
    else if (seen !== undefined) {
      return [
        `no available snapshot of ${r.ctx.db.identifier} at ${fmtT(r, s.at)} although ${seen} was available before`,
      ];
    }
  }
  return [];
};

const DELETES: Record<
  string,
  { param: string; type: 'instance' | 'cluster' | 'snapshot' | 'cluster-snapshot' }
> = {
  DeleteDBInstance: { param: 'DBInstanceIdentifier', type: 'instance' },
  DeleteDBCluster: { param: 'DBClusterIdentifier', type: 'cluster' },
  DeleteDBSnapshot: { param: 'DBSnapshotIdentifier', type: 'snapshot' },
  DeleteDBClusterSnapshot: { param: 'DBClusterSnapshotIdentifier', type: 'cluster-snapshot' },
};

const lastSeenBefore = (b: BatchResult, t: number, pick: (s: Sample) => unknown) => {
  let found: unknown;
  for (const s of b.samples) {
    if (s.at > t) break;
    const v = pick(s);
    if (v !== undefined) found = v;
  }
  return found;
};

/** 3. Nothing is deleted that this run did not create or rename; bystanders never. */
export const deletesOnlyOwnResources: Invariant = (r, b) => {
  const out: string[] = [];
  const { db, runId } = r.ctx;
  const by = r.ctx.bystanders;
  const bystanderNames = new Set(
    [...by.instances, ...by.clusters, ...by.snapshots, ...by.clusterSnapshots].map((n) => n.toLowerCase()),
  );
  const mine = (name: string) =>
    name === db.identifier || name.startsWith(`${db.identifier}-`) || bystanderNames.has(name);
  for (const c of b.calls) {
    const d = DELETES[c.action];
    if (!d || !isFunction(c) || !ok(c)) continue;
    const name = (c.params[d.param] ?? '').toLowerCase();
    if (!mine(name)) continue;
    if (bystanderNames.has(name)) {
      out.push(`${c.accessKeyId} deleted bystander ${d.type} ${name} at ${fmtT(r, c.at)}`);
      continue;
    }
    if (d.type === 'instance') {
      const rec = lastSeenBefore(b, c.at, (s) => s.instances.get(name)) as
        | { rid: string; restoredBy?: string; runTag?: string }
        | undefined;
      const memberIdx = r.ctx.memberTemps.indexOf(name);
      const renamedOriginal =
        (name === r.ctx.temp && rec?.rid === r.originalRid) ||
        (memberIdx >= 0 && rec?.rid === r.memberRids[db.members[memberIdx]!]);
      const ownCopy = rec?.restoredBy === runId;
      if (!renamedOriginal && !ownCopy) {
        out.push(
          `${c.accessKeyId} deleted instance ${name} (${rec ? `${rec.rid}, restored-by ${rec.restoredBy ?? '-'}` : 'never sampled'}) at ${fmtT(r, c.at)}: not this run's temp nor its copy`,
        );
      }
    } else if (d.type === 'cluster') {
      const rec = lastSeenBefore(b, c.at, (s) => s.clusters.get(name)) as
        | { rid: string; restoredBy?: string }
        | undefined;
      const renamedOriginal = name === r.ctx.temp && rec?.rid === r.originalRid;
      if (!renamedOriginal && rec?.restoredBy !== runId) {
        out.push(
          `${c.accessKeyId} deleted cluster ${name} (${rec ? rec.rid : 'never sampled'}) at ${fmtT(r, c.at)}: not this run's temp nor its copy`,
        );
      }
    } else {
      const rec = lastSeenBefore(b, c.at, (s) =>
        d.type === 'snapshot' ? s.snapshots.get(name) : s.clusterSnapshots.get(name),
      ) as { of: string; source: string } | undefined;
      const ofThisDb = d.type === 'snapshot' ? rec?.of === r.originalRid : rec?.source === db.identifier;
      if (!ofThisDb) {
        out.push(
          `${c.accessKeyId} deleted ${d.type} ${name} (of ${rec?.source ?? 'unknown'}) at ${fmtT(r, c.at)}: not a snapshot of ${db.identifier}`,
        );
      }
    }
  }
  // Bystanders must still be there at the end, unchanged.
  const end = last(b);
  const start = r.initial;
  for (const n of by.instances) {
    const was = b.samples.find((s) => s.instances.has(n))?.instances.get(n);
    const now = end.instances.get(n);
    if (!now || (was && now.rid !== was.rid)) out.push(`bystander instance ${n} is gone or replaced`);
  }
  for (const n of by.clusters) {
    const was = b.samples.find((s) => s.clusters.has(n))?.clusters.get(n);
    const now = end.clusters.get(n);
    if (!now || (was && now.rid !== was.rid)) out.push(`bystander cluster ${n} is gone or replaced`);
  }
  for (const n of by.snapshots) {
    const was = start.snapshots.get(n);
    const now = end.snapshots.get(n);
    if (!now || (was && now.of !== was.of)) out.push(`bystander snapshot ${n} is gone or replaced`);
  }
  for (const n of by.clusterSnapshots) {
    const was = start.clusterSnapshots.get(n);
    const now = end.clusterSnapshots.get(n);
    if (!now || (was && now.source !== was.source))
      out.push(`bystander cluster snapshot ${n} is gone or replaced`);
  }
  return out;
};

const activeByDb = new WeakMap<object, Map<string, SampledRun[]>>();
const activeRuns = (s: { runs: SampledRun[] }) => {
  let m = activeByDb.get(s);
  if (!m) {
    m = new Map();
    for (const x of s.runs) {
      if (x.step === 'REQUESTED' || isTerminal(x.step)) continue;
      m.set(x.dbKey, [...(m.get(x.dbKey) ?? []), x]);
    }
    activeByDb.set(s, m);
  }
  return m;
};

/** 4. One active run per database (past REQUESTED and not terminal). */
export const oneActiveRunPerDatabase: Invariant = (r, b) => {
  const dbKey = `${r.ctx.db.kind}#${r.ctx.db.identifier}`;
  for (const s of b.runSamples) {
    const active = activeRuns(s).get(dbKey) ?? [];
    if (active.length > 1) {
      return [
        `${active.length} active runs on ${dbKey} at ${fmtT(r, s.at)}: ${active.map((x) => `${x.runId} ${x.step}`).join(', ')}`,
      ];
    }
  }
  return [];
};

/** 5. A terminal state within the deadline. */
export const terminalWithinDeadline: Invariant = (r) =>
  r.timedOut || !r.run || !isTerminal(r.run.step)
    ? [
        `run ${r.ctx.runId} not terminal by the deadline: ${r.run ? `${r.run.step} (${r.run.history.map((h) => h.step).join(' → ')}) wait ${JSON.stringify(r.run.wait ?? null)}` : 'never created'}`,
      ]
    : [];

/** Which channels a scenario made fail permanently (the message belongs in the channel's DLQ then). */
export interface NotifyExpectations {
  permanent?: ('email' | 'oncall' | 'platform-alerts')[];
}
const WEBHOOKS = ['platform-alerts', 'oncall'] as const;

/** 6. One notification per channel per outcome: at most one each; exactly one when the outcome is notified. */
export const oneNotificationPerChannel =
  (exp: NotifyExpectations = {}): Invariant =>
  (r, b) => {
    const out: string[] = [];
    const step = r.run?.step;
    if (!step || !isTerminal(step)) return out;
    const notified = step !== 'SUCCEEDED';
    const emails = b.emails.filter((e) => e.subject.startsWith(`[Trapheus] ${r.ctx.db.identifier} (`));
    const permanent = new Set(exp.permanent ?? []);
    const want = (channel: string) => (notified && !permanent.has(channel as never) ? 1 : 0);
    if (emails.length > 1 || emails.length < want('email')) {
      out.push(
        `${emails.length} e-mail(s) for outcome ${step} (want ${want('email') ? 'exactly 1' : 'at most 1'})`,
      );
    }
    if (permanent.has('email') && notified && !b.dlq.email.some((m) => m.includes(r.ctx.runId))) {
      out.push('e-mail failed permanently but is not in the e-mail DLQ');
    }
    for (const w of WEBHOOKS) {
      const posts = b.slack.filter((p) => p.webhook === w && JSON.stringify(p.body).includes(r.ctx.runId));
      if (posts.length > 1 || posts.length < want(w)) {
        out.push(
          `${posts.length} Slack post(s) to ${w} for outcome ${step} (want ${want(w) ? 'exactly 1' : 'at most 1'})`,
        );
      }
    }
    return out;
  };

/**
 * The functions' calls of a batch by time, and where each name appears in them (a parameter's value, lowercase, or
 * the last part of an ARN): a run looks up its own names instead of reading every call after its end.
 */
interface CallIndex {
  calls: RdsCallRecord[];
  byName: Map<string, number[]>;
}
const callIndexOf = new WeakMap<BatchResult, CallIndex>();
const callIndex = (b: BatchResult): CallIndex => {
  let index = callIndexOf.get(b);
  if (!index) {
    const calls = b.calls.filter(isFunction).sort((x, y) => x.at - y.at);
    const byName = new Map<string, number[]>();
    const add = (name: string, i: number) => {
      const list = byName.get(name);
      if (!list) byName.set(name, [i]);
      else if (list.at(-1) !== i) list.push(i);
    };
    calls.forEach((c, i) => {
      for (const v of Object.values(c.params)) {
        const lower = v.toLowerCase();
        add(lower, i);
        add(lower.slice(lower.lastIndexOf(':') + 1), i);
      }
    });
    index = { calls, byName };
    callIndexOf.set(b, index);
  }
  return index;
};

/** 7. No RDS call by a function on the run's database (or its temp names) after the terminal state. */
export const noRdsCallAfterTerminal: Invariant = (r, b) => {
  const end = terminalAt(r);
  if (Number.isNaN(end)) return [];
  const { calls, byName } = callIndex(b);
  // The first call after the end (binary search); then the later calls naming the run's names, in order.
  let lo = 0;
  let hi = calls.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (calls[mid]!.at > end) hi = mid;
    else lo = mid + 1;
  }
  const hits = new Set<number>();
  for (const name of new Set(runNames(r))) for (const i of byName.get(name) ?? []) if (i >= lo) hits.add(i);
  const late = [...hits].sort((x, y) => x - y).map((i) => calls[i]!);
  return late.length
    ? [
        `${late.length} RDS call(s) after ${r.run?.step}: ${late
          .slice(0, 3)
          .map(
            (c) =>
              `${c.accessKeyId} ${c.action}(${c.params.DBInstanceIdentifier ?? c.params.DBClusterIdentifier ?? c.params.ResourceName ?? ''}) +${c.at - end}ms`,
          )
          .join(', ')}`,
      ]
    : [];
};

/** 8. The run's final state and reason match what RDS holds. */
export const finalStateMatchesRds: Invariant = (r, b) => {
  const run = r.run;
  if (!run || !isTerminal(run.step)) return [];
  const s = last(b);
  const { db, runId, temp, memberTemps } = r.ctx;
  const out: string[] = [];
  const get = (name: string) => (db.kind === 'instance' ? s.instances.get(name) : s.clusters.get(name));
  const main = get(db.identifier);
  const tempRec = get(temp);
  const reason = `${run.reason ?? ''} ${run.failure?.code ?? ''} ${run.failure?.message ?? ''}`;
  const leftovers = () => {
    // Only the original (renamed by this run) counts: a bystander that held the temp name is not the run's.
    const left: string[] = [];
    if (tempRec && tempRec.rid === r.originalRid) left.push(`temp ${temp} (${tempRec.status})`);
    const originalMembers = new Set(Object.values(r.memberRids));
    for (const mt of memberTemps) {
      const rec = s.instances.get(mt);
      if (rec && originalMembers.has(rec.rid)) left.push(`temp member ${mt}`);
    }
    return left;
  };
  const copies = () => [
    ...[...s.instances.entries()].filter(([, v]) => v.restoredBy === runId).map(([k]) => `instance ${k}`),
    ...[...s.clusters.entries()].filter(([, v]) => v.restoredBy === runId).map(([k]) => `cluster ${k}`),
  ];
  switch (run.step) {
    case 'SUCCEEDED': {
      if (run.task === 'create_snapshot_only') break;
      if (!main || main.rid === r.originalRid || main.status !== 'available') {
        out.push(
          `SUCCEEDED but ${db.identifier} is ${main ? `${main.rid}/${main.status} (original ${r.originalRid})` : 'missing'}`,
        );
      }
      for (const m of db.members) {
        const rec = s.instances.get(m);
        if (rec?.status !== 'available' || rec.cluster !== db.identifier) {
          out.push(`SUCCEEDED but member ${m} is ${rec ? `${rec.status} in ${rec.cluster}` : 'missing'}`);
        }
      }
      const left = leftovers();
      if (left.length) out.push(`SUCCEEDED but left ${left.join(', ')}`);
      break;
    }
    case 'ROLLED_BACK': {
      if (!main || main.rid !== r.originalRid || main.status !== 'available') {
        out.push(
          `ROLLED_BACK but ${db.identifier} is ${main ? `${main.rid}/${main.status} (original ${r.originalRid})` : 'missing'}`,
        );
      }
      for (const m of db.members) {
        const rec = s.instances.get(m);
        if (!rec || rec.rid !== r.memberRids[m] || rec.status !== 'available') {
          out.push(`ROLLED_BACK but member ${m} is ${rec ? `${rec.rid}/${rec.status}` : 'missing'}`);
        }
      }
      const left = [...leftovers(), ...copies()];
      if (left.length) out.push(`ROLLED_BACK but left ${left.join(', ')}`);
      break;
    }
    case 'REJECTED': {
      if (!main || main.rid !== r.originalRid) out.push(`REJECTED but ${db.identifier} changed`);
      const left = [...leftovers(), ...copies()];
      if (left.length) out.push(`REJECTED but left ${left.join(', ')}`);
      const changes = b.calls.filter(
        (c) =>
          isFunction(c) &&
          ok(c) &&
          !/^(Describe|List)/.test(c.action) &&
          Object.values(c.params).some((v) => runNames(r).includes(v.toLowerCase())),
      );
      if (changes.length)
        out.push(`REJECTED but RDS was changed: ${changes.map((c) => c.action).join(', ')}`);
      break;
    }
    case 'FAILED': {
      const where = whereIsOriginal(r, s);
      if (!where)
        out.push(`FAILED and the original ${r.originalRid} is nowhere (not ${db.identifier}, not ${temp})`);
      else if (where.name !== db.identifier && !reason.includes(where.name)) {
        out.push(
          `FAILED with the original under ${where.name}, but the reason does not say so: ${reason.trim()}`,
        );
      }
      if (!reason.trim()) out.push('FAILED without a reason');
      break;
    }
    case 'CLEANUP_FAILED': {
      if (!main || main.rid === r.originalRid || main.status !== 'available') {
        out.push(`CLEANUP_FAILED but no good copy under ${db.identifier}`);
      }
      if (tempRec && !reason.includes(temp)) {
        out.push(`CLEANUP_FAILED leaves ${temp}, but the reason does not name it: ${reason.trim()}`);
      }
      break;
    }
    default:
      break;
  }
  return out;
};

export const invariantsFor = (notify: NotifyExpectations = {}): [string, Invariant][] => [
  ['original-data-exists', originalDataAlwaysExists],
  ['snapshot-never-missing', snapshotNeverMissing],
  ['deletes-only-own', deletesOnlyOwnResources],
  ['one-active-run', oneActiveRunPerDatabase],
  ['terminal-by-deadline', terminalWithinDeadline],
  ['one-notification-per-channel', oneNotificationPerChannel(notify)],
  ['no-rds-call-after-terminal', noRdsCallAfterTerminal],
  ['final-state-matches-rds', finalStateMatchesRds],
];

export interface Violation {
  invariant: string;
  message: string;
}

export const checkRun = (r: RunRecord, b: BatchResult, notify?: NotifyExpectations): Violation[] =>
  invariantsFor(notify).flatMap(([invariant, fn]) => fn(r, b).map((message) => ({ invariant, message })));
