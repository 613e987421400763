/**
 * bench/cold-start.ts — bundle size and cold-start init time per function (docs/design.md §7).
 *
 *   npx tsx bench/cold-start.ts [--runs 10] [--repackage 0|1] [--before <dir of trapheus-<service>.zip>]
 *
 * Uses the packages `npm run package` builds (services/<service>/.serverless/*.zip; rebuilt when missing or older
 * than the sources, or always with --repackage 1). For each function: the zip's size, the bundled handler's size,
 * and the time `require()` of the bundled handler takes in a fresh `node` process (module-scope init: the
 * bundle, the AWS SDK v3 clients it loads, config parsing), median of N processes, against the target (each
 * function's median ≤ 100 ms, each bundled handler ≤ 1.5 MiB). The processes take turns (one per function per
 * round; with --before, the old packages' functions take their turns in the same rounds), so a burst of load on
 * the machine lands on every function alike. Ends with one machine-readable line:
 *
 *   COLDSTART init_ms_max=<slowest function's median, ms> bundle_kb_max=<largest bundled handler, KiB>
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadProject } from '@trapheus/local';
import { fmt, machineLine, numberArgs, ROOT, stats, table } from './common';

const beforeAt = process.argv.indexOf('--before');
const opts = numberArgs(
  { runs: 10, repackage: 0 },
  process.argv.slice(2).filter((_a, i) => beforeAt < 0 || (i + 2 !== beforeAt && i + 2 !== beforeAt + 1)),
);
/** `--before <dir>`: also measure the zips kept there (e.g. a build with @aws-sdk/* excluded), in the same rounds, and compare. */
const beforeDir = beforeAt >= 0 ? process.argv[beforeAt + 1] : undefined;
const TMP = join(ROOT, '.tmp', 'bench');
const NODE_MODULES = join(ROOT, 'node_modules');
const DUMMY_QUEUE = 'http://127.0.0.1:1/q';
/** The targets (issue #16): each function's median init, and each bundled handler's size. */
const INIT_TARGET_MS = 100;
const BUNDLE_TARGET_KIB = 1536;
/** The SDK v3 and its own dependencies (mnemonist/obliterator: @aws-sdk/endpoint-cache, used by DynamoDB). */
const SDK_PACKAGES =
  /^(@aws-sdk\/.*|@smithy\/.*|@aws-crypto\/.*|@aws\/.*|tslib|fast-xml-parser|strnum|bowser|uuid|mnemonist|obliterator)$/;

console.log(`Trapheus cold start — bundle size and handler init time per function
  how:     the zips of \`npm run package\` (esbuild, minified, the AWS SDK v3 bundled); each zip is extracted under .tmp/bench and each bundled handler is require()d in a fresh
           \`node ${process.version}\` process, timed with process.hrtime around require() inside the child;
           ${opts.runs} processes per function (taking turns${beforeDir ? ', with the --before packages' : ''}), median (min–max). @aws-sdk/* resolves from the repo's node_modules
           (NODE_PATH), so the figure includes loading the SDK clients. Module-scope config reads the function's
           environment from its serverless.yml (stage dev) with dummy endpoints (queues ${DUMMY_QUEUE}…).
  caveats: this machine, not Lambda: Node ${process.version} here vs nodejs22.x on arm64 there, a warm page cache
           after the first process, and the SDK version in package-lock.json, not the runtime's. Lambda's INIT
           also includes starting the runtime (~100–200 ms), not counted here. Compare functions with each other.`);
console.log(`${machineLine()}\n`);

/** Newest modification time (ms) under the given files and folders. */
const newestMtime = (paths: string[]): number => {
  let newest = 0;
  const visit = (p: string) => {
    if (!existsSync(p)) return;
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const name of readdirSync(p)) if (name !== 'node_modules') visit(join(p, name));
    } else newest = Math.max(newest, st.mtimeMs);
  };
  for (const p of paths) visit(p);
  return newest;
};

const zipOf = (service: string): string | undefined => {
  const dir = join(ROOT, 'services', service, '.serverless');
  if (!existsSync(dir)) return undefined;
  const zip = readdirSync(dir).find((f) => f.endsWith('.zip'));
  return zip ? join(dir, zip) : undefined;
};

const sourcesOf = (service: string) => [
  join(ROOT, 'services', service, 'src'),
  join(ROOT, 'services', service, 'serverless.yml'),
  join(ROOT, 'services', service, 'package.json'),
  join(ROOT, 'packages', 'shared', 'src'),
  join(ROOT, 'packages', 'shared', 'package.json'),
];

/** `unzip -l` → entry name → uncompressed size. */
const zipEntries = (zip: string): Map<string, number> => {
  const out = new Map<string, number>();
  const text = execFileSync('unzip', ['-l', zip], { encoding: 'utf8' });
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+)\s+\S+\s+\S+\s+(\S.*)$/.exec(line);
    const [, size, name] = m ?? [];
    if (size && name && !name.endsWith('/')) out.set(name.trim(), Number(size));
  }
  return out;
};

/** Runs in the child: times require() of the handler and lists the packages loaded from outside the bundle. */
const CHILD = `
const file = process.argv[1], name = process.argv[2], root = process.argv[3];
const t0 = process.hrtime.bigint();
const mod = require(file);
const t1 = process.hrtime.bigint();
const ok = typeof (mod[name] ?? (mod.default && mod.default[name])) === 'function';
const outside = new Set();
for (const k of Object.keys(require.cache)) {
  if (k.startsWith(root)) continue;
  const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(k);
  outside.add(m ? m[1] : k);
}
process.stdout.write('\\n@@' + JSON.stringify({ ms: Number(t1 - t0) / 1e6, ok, modules: Object.keys(require.cache).length, outside: [...outside] }));
`;

interface Fn {
  service: string;
  key: string;
  handlerFile: string;
  exportName: string;
  memorySize: number;
  environment: Record<string, string>;
}

const functionsOf = (): Fn[] => {
  const model = loadProject(ROOT, {
    stage: 'dev',
    region: 'us-east-1',
    accountId: '000000000000',
    env: {},
    sqsEndpoint: 'http://127.0.0.1:1',
  });
  return model.services.flatMap((s) =>
    s.functions.map((f) => {
      const [modulePath, exportName] = [
        f.handler.slice(0, f.handler.lastIndexOf('.')),
        f.handler.slice(f.handler.lastIndexOf('.') + 1),
      ];
      return {
        service: s.name,
        key: f.key,
        handlerFile: `${modulePath}.js`,
        exportName,
        memorySize: f.memorySize,
        environment: f.environment,
      };
    }),
  );
};

const main = async () => {
  const fns = functionsOf();
  const services = [...new Set(fns.map((f) => f.service))];

  // 1. packages: reuse when every zip is newer than its sources
  const stale = services.filter((s) => {
    const zip = zipOf(s);
    return !zip || statSync(zip).mtimeMs < newestMtime(sourcesOf(s));
  });
  if (opts.repackage || stale.length > 0) {
    console.log(
      `packaging (npm run package): ${opts.repackage ? 'asked for' : `missing or stale: ${stale.join(', ')}`}`,
    );
    const t0 = Date.now();
    const res = spawnSync('npm', ['run', '--silent', 'package'], { cwd: ROOT, encoding: 'utf8' });
    for (const line of `${res.stdout}`.split('\n').filter((l) => /^[✓✗]/.test(l))) console.log(`  ${line}`);
    console.log(`  (${((Date.now() - t0) / 1000).toFixed(1)} s, exit ${res.status})`);
    if (res.status !== 0) console.log(`  packaging failed:\n${res.stderr.split('\n').slice(-15).join('\n')}`);
  } else {
    console.log('packages: reusing services/*/.serverless/*.zip (newer than their sources)');
  }

  // With --before, both sets of packages are measured in the same rounds: a fair comparison on a busy machine.
  const [after = new Map<string, Measured>(), before] = await measure(fns, services, [
    { title: 'packaged now (services/*/.serverless)', zipFor: zipOf },
    ...(beforeDir
      ? [
          {
            title: `before (${beforeDir})`,
            zipFor: (service: string) => {
              const z = join(beforeDir, `trapheus-${service}.zip`);
              return existsSync(z) ? z : undefined;
            },
          },
        ]
      : []),
  ]);
  if (before) {
    const rows = [...after].map(([id, a]) => {
      const b = before.get(id);
      return [
        id,
        b ? fmt(b.handlerKiB, 0) : '–',
        fmt(a.handlerKiB, 0),
        b ? fmt(b.initMs, 1) : '–',
        fmt(a.initMs, 1),
        b ? fmt(b.zipKiB, 0) : '–',
        fmt(a.zipKiB, 0),
      ];
    });
    console.log('\nbefore → after');
    console.log(
      table(
        ['function', 'bundle KiB before', 'after', 'init ms before', 'after', 'zip KiB before', 'after'],
        rows,
      ),
    );
  }
  console.log(summaryLine(fns, after));
};

/**
 * `COLDSTART init_ms_max=… bundle_kb_max=…` over the packaged functions (`nan` when a function could not be
 * measured: a missing figure, not a good one).
 */
const summaryLine = (fns: Fn[], measured: Map<string, Measured>): string => {
  const all = fns.map((f) => measured.get(`${f.service}/${f.key}`));
  const complete = all.every((m) => m && Number.isFinite(m.initMs));
  const initMax = Math.max(...all.map((m) => m?.initMs ?? Number.NaN));
  const kibMax = Math.max(...all.map((m) => m?.handlerKiB ?? Number.NaN));
  const num = (x: number, digits: number) => (complete && Number.isFinite(x) ? x.toFixed(digits) : 'nan');
  return `\nCOLDSTART init_ms_max=${num(initMax, 1)} bundle_kb_max=${num(kibMax, 0)}`;
};

/** A median against its target: `ok, 23.1 under` or `OVER by 4.2`. */
const versus = (value: number, target: number, digits: number): string =>
  !Number.isFinite(value)
    ? '–'
    : value <= target
      ? `ok, ${fmt(target - value, digits)} under`
      : `OVER by ${fmt(value - target, digits)}`;

interface Measured {
  zipKiB: number;
  handlerKiB: number;
  initMs: number;
}

/** One function to measure: its extracted handler, environment and sizes, and what its processes report. */
interface Job {
  fn: Fn;
  id: string;
  file: string;
  dir: string;
  env: Record<string, string>;
  zipKiB: number;
  handlerKiB: number;
  times: number[];
  processMs: number[];
  outside: string[];
  modules: number;
  failure?: string;
}

/** The environment of a function's process: its serverless.yml environment with dummy AWS settings. */
const envOf = (fn: Fn): Record<string, string> => {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    ...fn.environment,
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'dummy',
    AWS_SECRET_ACCESS_KEY: 'dummy',
    AWS_ENDPOINT_URL: 'http://127.0.0.1:1',
    AWS_LAMBDA_FUNCTION_NAME: `trapheus-${fn.service}-dev-${fn.key}`,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySize),
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    NODE_PATH: NODE_MODULES,
  };
  // The brief's minimum set, for functions whose serverless.yml leaves any of them out.
  for (const k of ['RUNS_TABLE', 'EVENT_BUS_NAME']) env[k] ??= `dummy-${k.toLowerCase()}`;
  env.WORK_QUEUE_URL ??= DUMMY_QUEUE;
  return env;
};

/** One fresh `node` process requiring the handler; records its init time or why it failed. */
const runOnce = (job: Job) => {
  const t0 = process.hrtime.bigint();
  const res = spawnSync(process.execPath, ['-e', CHILD, job.file, job.fn.exportName, job.dir], {
    cwd: job.dir,
    env: job.env,
    encoding: 'utf8',
  });
  job.processMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
  const line = res.stdout.split('\n').find((l) => l.startsWith('@@'));
  if (res.status !== 0 || !line) {
    job.failure = `exit ${res.status}: ${res.stderr.trim().split('\n').slice(-3).join(' | ')}`;
    return;
  }
  const r = JSON.parse(line.slice(2)) as { ms: number; ok: boolean; modules: number; outside: string[] };
  if (!r.ok) {
    job.failure = `${job.fn.handlerFile} does not export ${job.fn.exportName}`;
    return;
  }
  job.times.push(r.ms);
  job.outside = r.outside;
  job.modules = r.modules;
};

/** A set of packages to measure: the ones just built, or the ones of `--before`. */
interface PackageSet {
  title: string;
  zipFor: (service: string) => string | undefined;
}

const measure = async (
  fns: Fn[],
  services: string[],
  sets: PackageSet[],
): Promise<Map<string, Measured>[]> => {
  // 2. sizes, extraction, init times
  rmSync(TMP, { recursive: true, force: true });
  mkdirSync(TMP, { recursive: true });
  try {
    const notes: string[][] = sets.map(() => []);
    const jobs: Job[][] = sets.map(() => []);
    sets.forEach((set, i) => {
      for (const service of services) {
        const zip = set.zipFor(service);
        if (!zip) {
          notes[i]?.push(`${service}: no package (services/${service}/.serverless/*.zip missing)`);
          continue;
        }
        const zipKiB = statSync(zip).size / 1024;
        const entries = zipEntries(zip);
        const dir = join(TMP, `set-${i}`, service);
        mkdirSync(dir, { recursive: true });
        execFileSync('unzip', ['-q', '-o', zip, '-d', dir]);
        for (const fn of fns.filter((f) => f.service === service)) {
          const file = join(dir, fn.handlerFile);
          const bundled = entries.get(fn.handlerFile);
          if (bundled === undefined || !existsSync(file)) {
            notes[i]?.push(`${service}/${fn.key}: ${fn.handlerFile} not in ${relative(ROOT, zip)}`);
            continue;
          }
          jobs[i]?.push({
            fn,
            id: `${service}/${fn.key}`,
            file,
            dir,
            env: envOf(fn),
            zipKiB,
            handlerKiB: bundled / 1024,
            times: [],
            processMs: [],
            outside: [],
            modules: 0,
          });
        }
      }
    });
    // Round after round, one process per function (of every set): load on the machine that comes and goes is
    // shared out between the functions, and between the sets compared.
    for (let r = 0; r < opts.runs; r++) for (const job of jobs.flat()) if (!job.failure) runOnce(job);
    return sets.map((set, i) => report(set.title, jobs[i] ?? [], notes[i] ?? []));
  } finally {
    rmSync(TMP, { recursive: true, force: true });
  }
};

/** One set's table, its slowest and largest function against the targets, and its notes. */
const report = (title: string, jobs: Job[], notes: string[]): Map<string, Measured> => {
  const measured = new Map<string, Measured>();
  console.log(`\n${title}`);
  const rows: string[][] = [];
  for (const job of jobs) {
    if (job.failure) notes.push(`${job.id}: ${job.failure}`);
    const t = stats(job.times);
    const p = stats(job.processMs);
    measured.set(job.id, { zipKiB: job.zipKiB, handlerKiB: job.handlerKiB, initMs: t.median });
    rows.push([
      job.id,
      fmt(job.zipKiB, 0),
      fmt(job.handlerKiB, 0),
      fmt(t.median, 1),
      job.times.length ? `${fmt(t.min, 1)}–${fmt(t.max, 1)}` : '–',
      versus(t.median, INIT_TARGET_MS, 1),
      fmt(p.median, 0),
      String(job.modules),
      String(job.outside.length),
    ]);
    const notSdk = job.outside.filter((m) => !SDK_PACKAGES.test(m));
    if (notSdk.length)
      notes.push(`${job.id}: loads non-SDK packages from outside its bundle: ${notSdk.join(', ')}`);
  }
  console.log(
    table(
      [
        'function',
        'zip KiB',
        'handler KiB',
        'init ms (median)',
        'min–max',
        `vs ${INIT_TARGET_MS} ms target`,
        'process ms',
        'modules',
        'external pkgs',
      ],
      rows,
    ),
  );
  console.log(
    '(zip KiB: the service package, shared by its functions; handler KiB: the bundled handler.js uncompressed;\n' +
      ' init ms: require() of the handler in the child; process ms: spawn to exit, node start-up included;\n' +
      ' modules: entries in require.cache after init; external pkgs: packages loaded from node_modules — the SDK)',
  );
  const slowest = [...measured].sort((a, b) => b[1].initMs - a[1].initMs)[0];
  const largest = [...measured].sort((a, b) => b[1].handlerKiB - a[1].handlerKiB)[0];
  if (slowest && largest)
    console.log(
      `slowest init: ${slowest[0]} ${fmt(slowest[1].initMs, 1)} ms median (target ≤ ${INIT_TARGET_MS} ms per function: ${versus(slowest[1].initMs, INIT_TARGET_MS, 1)}); ` +
        `largest handler: ${largest[0]} ${fmt(largest[1].handlerKiB, 0)} KiB (target ≤ ${BUNDLE_TARGET_KIB} KiB: ${versus(largest[1].handlerKiB, BUNDLE_TARGET_KIB, 0)})`,
    );
  for (const n of notes) console.log(`note: ${n}`);
  if (notes.some((n) => !n.includes('non-SDK'))) process.exitCode = 1;
  return measured;
};

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
