import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type CollectionTag, parse, type ScalarTag, type YAMLMap, type YAMLSeq } from 'yaml';

/**
 * Reads `serverless-compose.yml` and each service's `serverless.yml` (osls 4) and builds the local wiring:
 * event buses, rules, queues, DynamoDB tables and functions with their SQS and schedule events.
 *
 * Serverless variables supported: `${sls:stage}`, `${opt:stage}`, `${opt:region}`, `${self:<path>}`,
 * `${param:<name>}` (compose params, then `params.<stage>` / `params.default`), `${env:NAME}`,
 * `${aws:region}`, `${aws:accountId}`, fallbacks (`${a, 'literal'}`, `${a, b:c}`, `${a, ${b}}`, numbers,
 * true/false/null), nested variables (`${self:custom.${sls:stage}.x}`) and strings with several variables. In
 * compose params, `${service.OutputName}` reads the upstream service's resolved `resources.Outputs`.
 * Anything else (`ssm:`, `cf:`, `s3:`, `file(...)`, other `aws:` keys, ...) is a ServerlessConfigError naming the
 * file and the variable. Variables are resolved lazily, only in the parts the runner reads.
 *
 * CloudFormation intrinsics: Ref (resources and AWS:: pseudo parameters, AWS::NoValue), Fn::GetAtt, Fn::Sub
 * (both forms), Fn::Join, Fn::Select, Fn::Split, Fn::If, Fn::Equals, Fn::Not, Fn::And, Fn::Or, Condition;
 * long forms and short YAML tags (!Ref, !GetAtt, !Sub, ...). Resources with a false Condition are skipped.
 */

export class ServerlessConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServerlessConfigError';
  }
}

// ---------------------------------------------------------------------------------------------------------
// YAML with CloudFormation short tags

const INTRINSICS: [string, string][] = [
  ['!Ref', 'Ref'],
  ['!GetAtt', 'Fn::GetAtt'],
  ['!Sub', 'Fn::Sub'],
  ['!Join', 'Fn::Join'],
  ['!If', 'Fn::If'],
  ['!Equals', 'Fn::Equals'],
  ['!Not', 'Fn::Not'],
  ['!And', 'Fn::And'],
  ['!Or', 'Fn::Or'],
  ['!Select', 'Fn::Select'],
  ['!Split', 'Fn::Split'],
  ['!FindInMap', 'Fn::FindInMap'],
  ['!ImportValue', 'Fn::ImportValue'],
  ['!Base64', 'Fn::Base64'],
  ['!GetAZs', 'Fn::GetAZs'],
  ['!Cidr', 'Fn::Cidr'],
  ['!Condition', 'Condition'],
];

const cfnTags: (ScalarTag | CollectionTag)[] = INTRINSICS.flatMap(([tag, fn]) => {
  const scalar: ScalarTag = {
    tag,
    resolve: (value: string) => {
      if (fn === 'Fn::GetAtt') {
        const dot = value.indexOf('.');
        return { [fn]: dot < 0 ? [value] : [value.slice(0, dot), value.slice(dot + 1)] };
      }
      return { [fn]: value };
    },
  };
  const seq: CollectionTag = {
    tag,
    collection: 'seq',
    resolve: (value: YAMLMap.Parsed | YAMLSeq.Parsed) => ({ [fn]: value.toJSON() }),
  };
  const map: CollectionTag = {
    tag,
    collection: 'map',
    resolve: (value: YAMLMap.Parsed | YAMLSeq.Parsed) => ({ [fn]: value.toJSON() }),
  };
  return [scalar, seq, map];
});

export function parseYaml(text: string, file: string): unknown {
  try {
    return parse(text, { customTags: cfnTags, merge: true, maxAliasCount: -1 });
  } catch (e) {
    throw new ServerlessConfigError(`${file}: ${(e as Error).message}`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// model

export interface ProjectOptions {
  stage?: string;
  region?: string;
  accountId?: string;
  /** for ${env:...}; default process.env */
  env?: Record<string, string | undefined>;
  /** local SQS endpoint used for queue URLs (Ref of a queue); default http://127.0.0.1 */
  sqsEndpoint?: string;
  /** `--param name=value` for every service: wins over compose params and `params:` */
  params?: Record<string, unknown>;
}

export interface BusModel {
  name: string;
  arn: string;
  service: string;
  logicalId: string;
}

export interface RuleTargetModel {
  id: string;
  arn: string;
  /** set when the target is an SQS queue */
  queueName?: string;
  input?: string;
  inputPath?: string;
}

export interface RuleModel {
  name: string;
  arn: string;
  service: string;
  logicalId: string;
  busName: string;
  eventPattern?: Record<string, unknown>;
  scheduleExpression?: string;
  enabled: boolean;
  targets: RuleTargetModel[];
}

export interface QueueModel {
  name: string;
  service: string;
  logicalId: string;
  delaySeconds?: number;
  visibilityTimeout?: number;
  messageRetentionPeriod?: number;
  receiveMessageWaitTimeSeconds?: number;
  redrivePolicy?: { deadLetterTargetArn: string; maxReceiveCount: number };
  fifo: boolean;
}

export interface TableModel {
  tableName: string;
  service: string;
  logicalId: string;
  /** resolved CloudFormation Properties */
  properties: Record<string, unknown>;
}

export interface SqsEventModel {
  queueArn: string;
  queueName: string;
  batchSize: number;
  maximumBatchingWindow?: number;
  reportBatchItemFailures: boolean;
  enabled: boolean;
}

export interface ScheduleEventModel {
  expression: string;
  enabled: boolean;
  input?: unknown;
}

export interface FunctionModel {
  key: string;
  name: string;
  service: string;
  handler: string;
  file: string;
  exportName: string;
  memorySize: number;
  timeout: number;
  environment: Record<string, string>;
  sqs: SqsEventModel[];
  schedules: ScheduleEventModel[];
  /** `iamRoleStatements` with variables and intrinsics resolved (the function's own statements); [] if none */
  iamRoleStatements: Record<string, unknown>[];
}

export interface ServiceModel {
  /** compose key */
  name: string;
  dir: string;
  file: string;
  /** the `service:` value */
  serviceName: string;
  stage: string;
  region: string;
  stackName: string;
  params: Record<string, unknown>;
  outputs: Record<string, unknown>;
  buses: BusModel[];
  rules: RuleModel[];
  queues: QueueModel[];
  tables: TableModel[];
  functions: FunctionModel[];
}

export interface ProjectModel {
  rootDir: string;
  stage: string;
  region: string;
  accountId: string;
  /** in compose order */
  services: ServiceModel[];
}

// ---------------------------------------------------------------------------------------------------------
// Serverless variables

type Json = unknown;
const VAR_START = '${';

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Finds the end (index of the matching `}`) of a `${` starting at `start`. */
function matchBrace(s: string, start: number): number {
  let depth = 0;
  let quote: string | undefined;
  for (let i = start; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === quote) quote = undefined;
      continue;
    }
    if (c === '$' && s[i + 1] === '{') {
      depth++;
      i++;
    } else if ((c === "'" || c === '"') && depth > 0) {
      quote = c;
    } else if (c === '}') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

function splitTopLevel(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charAt(i);
    if (quote) {
      if (c === quote) quote = undefined;
      cur += c;
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    else if (c === '$' && s[i + 1] === '{') depth++;
    else if (c === '}') depth--;
    if (c === ',' && depth === 0) {
      parts.push(cur.trim());
      cur = '';
    } else {
      cur += c;
    }
  }
  parts.push(cur.trim());
  return parts;
}

/** Resolves a variable reference like `self:custom.x` (without `${}`); undefined when not found. */
type SourceResolver = (source: string, address: string, raw: string) => unknown;

class VariableResolver {
  private readonly inProgress = new Set<string>();

  constructor(
    readonly file: string,
    private readonly resolveSource: SourceResolver,
    /** compose files: `${service.Output}` (no source prefix) is a variable too */
    private readonly bareReferences = false,
  ) {}

  /**
   * Whether `${inner}` is a Serverless variable. Like the Framework, CloudFormation's own `${AWS::Region}`,
   * `${Logical.Attr}` and `${Param}` (used in Fn::Sub) are left alone.
   */
  private isVariable(inner: string): boolean {
    const head = (splitTopLevel(inner)[0] ?? '').trim();
    if (/^[a-zA-Z][\w-]*:(?!:)/.test(head)) return true;
    if (head.startsWith(VAR_START)) return true;
    return this.bareReferences && /^[\w-]+\.[\w.-]+$/.test(head);
  }

  fail(variable: string, message: string): never {
    throw new ServerlessConfigError(`${this.file}: cannot resolve variable \${${variable}}: ${message}`);
  }

  /** Deep-resolves every variable inside `value`. */
  deep(value: Json): Json {
    if (typeof value === 'string') return this.string(value);
    if (Array.isArray(value)) return value.map((v) => this.deep(v));
    if (isObject(value)) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = this.deep(v);
      return out;
    }
    return value;
  }

  /** Resolves the variables of one string. A string that is exactly one variable keeps the value's type. */
  string(s: string): Json {
    if (!s.includes(VAR_START)) return s;
    const first = s.indexOf(VAR_START);
    const end = matchBrace(s, first);
    if (end < 0) return s;
    if (first === 0 && end === s.length - 1 && this.isVariable(s.slice(2, -1)))
      return this.expression(s.slice(2, -1));
    let out = '';
    let i = 0;
    while (i < s.length) {
      const start = s.indexOf(VAR_START, i);
      if (start < 0) {
        out += s.slice(i);
        break;
      }
      const close = matchBrace(s, start);
      if (close < 0) {
        out += s.slice(i);
        break;
      }
      out += s.slice(i, start);
      const inner = s.slice(start + 2, close);
      if (!this.isVariable(inner)) {
        out += s.slice(start, close + 1);
        i = close + 1;
        continue;
      }
      const v = this.expression(inner);
      if (v !== null && typeof v === 'object') {
        this.fail(inner, 'an object cannot be inserted into a string');
      }
      out += String(v);
      i = close + 1;
    }
    return out;
  }

  /** `source:address, fallback, ...` */
  private expression(expr: string): Json {
    const [primary, ...fallbacks] = splitTopLevel(expr);
    const candidates = [primary ?? '', ...fallbacks];
    for (const [idx, cand] of candidates.entries()) {
      const v = this.term(cand, idx === 0, expr);
      if (v !== undefined) return v;
    }
    return this.fail(expr, 'the value was not found and no fallback applies');
  }

  private term(term: string, isPrimary: boolean, whole: string): Json {
    const t = term.trim();
    if (t === '') return undefined;
    if ((t.startsWith("'") && t.endsWith("'")) || (t.startsWith('"') && t.endsWith('"')))
      return t.slice(1, -1);
    if (t.startsWith(VAR_START) && matchBrace(t, 0) === t.length - 1) {
      try {
        return this.expression(t.slice(2, -1));
      } catch (e) {
        if (e instanceof ServerlessConfigError && /not found/.test(e.message)) return undefined;
        throw e;
      }
    }
    if (!isPrimary && /^-?\d+(\.\d+)?$/.test(t)) return Number(t);
    if (!isPrimary && (t === 'true' || t === 'false')) return t === 'true';
    if (!isPrimary && t === 'null') return null;
    // A reference, possibly with nested variables in its address.
    const ref = t.includes(VAR_START) ? String(this.string(t)) : t;
    const colon = ref.indexOf(':');
    if (colon < 0) {
      if (!isPrimary) return ref;
      return this.resolveSource('', ref, whole);
    }
    const source = ref.slice(0, colon);
    const address = ref.slice(colon + 1);
    const key = `${source}:${address}`;
    if (this.inProgress.has(key)) this.fail(whole, `circular reference through \${${key}}`);
    this.inProgress.add(key);
    try {
      return this.resolveSource(source, address, whole);
    } finally {
      this.inProgress.delete(key);
    }
  }
}

/** Walks a dotted path in `root`, resolving variables met on the way. */
function walk(root: unknown, address: string, vars: VariableResolver): unknown {
  let node: unknown = root;
  const segments = address === '' ? [] : address.split('.');
  for (const seg of segments) {
    if (typeof node === 'string') node = vars.string(node);
    if (Array.isArray(node) && /^\d+$/.test(seg)) node = node[Number(seg)];
    else if (isObject(node)) node = node[seg];
    else return undefined;
  }
  return node === undefined ? undefined : vars.deep(node);
}

// ---------------------------------------------------------------------------------------------------------
// CloudFormation intrinsics

interface ResourceInfo {
  logicalId: string;
  type: string;
  properties: Record<string, unknown>;
  physicalName: string;
}

const NO_VALUE = Symbol('AWS::NoValue');

class CfnEvaluator {
  readonly resources = new Map<string, ResourceInfo>();
  private readonly conditionCache = new Map<string, boolean>();

  constructor(
    private readonly file: string,
    private readonly ctx: {
      region: string;
      accountId: string;
      stackName: string;
      sqsEndpoint: string;
      conditions: Record<string, unknown>;
      /** Serverless-generated logical ids (functions) to physical names */
      extraRefs: Map<string, { ref: string; arn: string }>;
    },
  ) {}

  private fail(message: string): never {
    throw new ServerlessConfigError(`${this.file}: ${message}`);
  }

  pseudo(name: string): string | undefined {
    switch (name) {
      case 'AWS::Region':
        return this.ctx.region;
      case 'AWS::AccountId':
        return this.ctx.accountId;
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::StackName':
        return this.ctx.stackName;
      case 'AWS::StackId':
        return `arn:aws:cloudformation:${this.ctx.region}:${this.ctx.accountId}:stack/${this.ctx.stackName}/local`;
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      default:
        return undefined;
    }
  }

  ref(name: string): unknown {
    if (name === 'AWS::NoValue') return NO_VALUE;
    const p = this.pseudo(name);
    if (p !== undefined) return p;
    const extra = this.ctx.extraRefs.get(name);
    if (extra) return extra.ref;
    const r = this.resources.get(name);
    if (!r) return this.fail(`Ref to unknown resource or parameter "${name}"`);
    switch (r.type) {
      case 'AWS::SQS::Queue':
        return `${this.ctx.sqsEndpoint}/${this.ctx.accountId}/${r.physicalName}`;
      case 'AWS::SNS::Topic':
        return this.arnOf(r);
      default:
        return r.physicalName;
    }
  }

  arnOf(r: ResourceInfo): string {
    const { region, accountId } = this.ctx;
    switch (r.type) {
      case 'AWS::SQS::Queue':
        return `arn:aws:sqs:${region}:${accountId}:${r.physicalName}`;
      case 'AWS::DynamoDB::Table':
        return `arn:aws:dynamodb:${region}:${accountId}:table/${r.physicalName}`;
      case 'AWS::Events::EventBus':
        return `arn:aws:events:${region}:${accountId}:event-bus/${r.physicalName}`;
      case 'AWS::Events::Rule':
        return `arn:aws:events:${region}:${accountId}:rule/${r.physicalName}`;
      case 'AWS::SNS::Topic':
        return `arn:aws:sns:${region}:${accountId}:${r.physicalName}`;
      case 'AWS::Lambda::Function':
        return `arn:aws:lambda:${region}:${accountId}:function:${r.physicalName}`;
      case 'AWS::IAM::Role':
        return `arn:aws:iam::${accountId}:role/${r.physicalName}`;
      default:
        return `arn:aws:local:${region}:${accountId}:${r.type.split('::').slice(1).join('-').toLowerCase()}/${r.physicalName}`;
    }
  }

  getAtt(logicalId: string, attr: string): unknown {
    const extra = this.ctx.extraRefs.get(logicalId);
    if (extra && attr === 'Arn') return extra.arn;
    const r = this.resources.get(logicalId);
    if (!r) return this.fail(`Fn::GetAtt on unknown resource "${logicalId}"`);
    const { region, accountId } = this.ctx;
    switch (`${r.type}.${attr}`) {
      case 'AWS::SQS::Queue.Arn':
      case 'AWS::DynamoDB::Table.Arn':
      case 'AWS::Events::EventBus.Arn':
      case 'AWS::Events::Rule.Arn':
      case 'AWS::SNS::Topic.TopicArn':
      case 'AWS::Lambda::Function.Arn':
      case 'AWS::IAM::Role.Arn':
        return this.arnOf(r);
      case 'AWS::SQS::Queue.QueueName':
      case 'AWS::Events::EventBus.Name':
      case 'AWS::SNS::Topic.TopicName':
        return r.physicalName;
      case 'AWS::SQS::Queue.QueueUrl':
        return `${this.ctx.sqsEndpoint}/${accountId}/${r.physicalName}`;
      case 'AWS::DynamoDB::Table.StreamArn':
        return `arn:aws:dynamodb:${region}:${accountId}:table/${r.physicalName}/stream/1970-01-01T00:00:00.000`;
      default:
        return this.fail(`Fn::GetAtt ${logicalId}.${attr} is not supported for ${r.type}`);
    }
  }

  condition(name: string): boolean {
    const cached = this.conditionCache.get(name);
    if (cached !== undefined) return cached;
    if (!(name in this.ctx.conditions)) this.fail(`unknown condition "${name}"`);
    this.conditionCache.set(name, false);
    const v = this.evalCondition(this.ctx.conditions[name]);
    this.conditionCache.set(name, v);
    return v;
  }

  private evalCondition(expr: unknown): boolean {
    const v = this.eval(expr);
    if (typeof v === 'boolean') return v;
    if (v === 'true' || v === 'false') return v === 'true';
    return this.fail(`a condition must evaluate to a boolean (got ${JSON.stringify(v)})`);
  }

  /** Evaluates intrinsics everywhere in `value`. */
  eval(value: unknown): unknown {
    if (Array.isArray(value)) {
      return value.map((v) => this.eval(v)).filter((v) => v !== NO_VALUE);
    }
    if (!isObject(value)) return value;
    const keys = Object.keys(value);
    const [k] = keys;
    if (k !== undefined && keys.length === 1) {
      const arg = value[k];
      switch (k) {
        case 'Ref':
          return this.ref(String(this.eval(arg)));
        case 'Fn::GetAtt': {
          const a = this.eval(arg);
          const [id, ...rest] = Array.isArray(a) ? (a as string[]) : String(a).split('.');
          return this.getAtt(String(id), rest.join('.'));
        }
        case 'Fn::Sub':
          return this.sub(arg);
        case 'Fn::Join': {
          const [delim, list] = this.eval(arg) as [string, unknown[]];
          if (!Array.isArray(list)) this.fail('Fn::Join needs [delimiter, list]');
          return list.map(String).join(delim);
        }
        case 'Fn::Select': {
          const [index, list] = this.eval(arg) as [number | string, unknown[]];
          return list[Number(index)];
        }
        case 'Fn::Split': {
          const [delim, str] = this.eval(arg) as [string, string];
          return String(str).split(delim);
        }
        case 'Fn::If': {
          const [cond, a, b] = arg as [string, unknown, unknown];
          return this.condition(cond) ? this.eval(a) : this.eval(b);
        }
        case 'Fn::Equals': {
          const [a, b] = this.eval(arg) as [unknown, unknown];
          return JSON.stringify(a) === JSON.stringify(b);
        }
        case 'Fn::Not':
          return !this.evalCondition((arg as unknown[])[0]);
        case 'Fn::And':
          return (arg as unknown[]).every((c) => this.evalCondition(c));
        case 'Fn::Or':
          return (arg as unknown[]).some((c) => this.evalCondition(c));
        case 'Condition':
          if (typeof arg === 'string') return this.condition(arg);
          break;
        case 'Fn::ImportValue':
        case 'Fn::FindInMap':
        case 'Fn::GetAZs':
        case 'Fn::Cidr':
        case 'Fn::Base64':
          return this.fail(`${k} is not supported by the local runner`);
      }
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const e = this.eval(v);
      if (e !== NO_VALUE) out[k] = e;
    }
    return out;
  }

  private sub(arg: unknown): string {
    let template: string;
    let vars: Record<string, unknown> = {};
    if (Array.isArray(arg)) {
      template = String(arg[0]);
      vars = (this.eval(arg[1] ?? {}) as Record<string, unknown>) ?? {};
    } else {
      template = String(arg);
    }
    return template.replace(/\$\{([^}]*)\}/g, (_m, name: string) => {
      if (name.startsWith('!')) return `\${${name.slice(1)}}`;
      if (name in vars) return String(vars[name]);
      const dot = name.indexOf('.');
      if (dot > 0 && !name.startsWith('AWS::'))
        return String(this.getAtt(name.slice(0, dot), name.slice(dot + 1)));
      const v = this.ref(name);
      return String(v === NO_VALUE ? '' : v);
    });
  }
}

// ---------------------------------------------------------------------------------------------------------
// loading

interface RawService {
  name: string;
  dir: string;
  file: string;
  raw: Record<string, unknown>;
  composeParams: Record<string, unknown>;
}

const HANDLER_EXTENSIONS = ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'];

function findHandlerFile(serviceDir: string, modulePath: string): string | undefined {
  const base = path.resolve(serviceDir, modulePath);
  for (const ext of HANDLER_EXTENSIONS) if (existsSync(base + ext)) return base + ext;
  for (const ext of HANDLER_EXTENSIONS)
    if (existsSync(path.join(base, `index${ext}`))) return path.join(base, `index${ext}`);
  return undefined;
}

/** Serverless' logical id for a function key: `my-fn_x` → `MyDashfnUnderscorexLambdaFunction`. */
export function functionLogicalId(key: string): string {
  const normalized = key.replace(/-/g, 'Dash').replace(/_/g, 'Underscore');
  return `${normalized.charAt(0).toUpperCase()}${normalized.slice(1)}LambdaFunction`;
}

function num(v: unknown, what: string, file: string): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n))
    throw new ServerlessConfigError(`${file}: ${what} must be a number (got ${JSON.stringify(v)})`);
  return n;
}

function readYamlFile(file: string): Record<string, unknown> {
  if (!existsSync(file)) throw new ServerlessConfigError(`${file} does not exist`);
  const doc = parseYaml(readFileSync(file, 'utf8'), file);
  if (!isObject(doc)) throw new ServerlessConfigError(`${file}: expected a YAML mapping at the top level`);
  return doc;
}

export function loadProject(rootDir: string, options: ProjectOptions = {}): ProjectModel {
  const stage = options.stage ?? 'dev';
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '000000000000';
  const env = options.env ?? process.env;
  const sqsEndpoint = options.sqsEndpoint ?? 'http://127.0.0.1';

  const composeFile = path.join(rootDir, 'serverless-compose.yml');
  const compose = readYamlFile(composeFile);
  const composeServices = compose.services;
  if (!isObject(composeServices))
    throw new ServerlessConfigError(`${composeFile}: "services" must be a mapping`);

  const commonSource =
    (file: string) =>
    (source: string, address: string, raw: string): unknown => {
      switch (source) {
        case 'sls':
          if (address === 'stage') return stage;
          if (address === 'instanceId') return 'local';
          break;
        case 'opt':
          if (address === 'stage') return stage;
          if (address === 'region') return region;
          return undefined;
        case 'env':
          return env[address];
        case 'aws':
          if (address === 'region') return region;
          if (address === 'accountId') return accountId;
          break;
      }
      throw new ServerlessConfigError(
        `${file}: cannot resolve variable \${${raw}}: the source "${source || address}" is not supported by the local runner`,
      );
    };

  const raws = new Map<string, RawService>();
  for (const [name, def] of Object.entries(composeServices)) {
    if (!isObject(def) || typeof def.path !== 'string') {
      throw new ServerlessConfigError(`${composeFile}: services.${name}.path is required`);
    }
    const dir = path.resolve(rootDir, def.path);
    const file = path.join(dir, 'serverless.yml');
    raws.set(name, {
      name,
      dir,
      file,
      raw: readYamlFile(file),
      composeParams: isObject(def.params) ? def.params : {},
    });
  }

  const built = new Map<string, ServiceModel>();
  const building = new Set<string>();

  const build = (name: string): ServiceModel => {
    const done = built.get(name);
    if (done) return done;
    const rs = raws.get(name);
    if (!rs) throw new ServerlessConfigError(`${composeFile}: unknown service "${name}"`);
    if (building.has(name))
      throw new ServerlessConfigError(`${composeFile}: circular dependency through "${name}"`);
    building.add(name);
    try {
      const model = buildService(rs);
      built.set(name, model);
      return model;
    } finally {
      building.delete(name);
    }
  };

  const composeVars = new VariableResolver(
    composeFile,
    (source, address, raw) => {
      if (source === '') {
        const dot = address.indexOf('.');
        if (dot < 0) return commonSource(composeFile)(source, address, raw);
        const upstream = address.slice(0, dot);
        const output = address.slice(dot + 1);
        if (!raws.has(upstream)) {
          throw new ServerlessConfigError(
            `${composeFile}: \${${raw}} refers to unknown service "${upstream}"`,
          );
        }
        const outputs = build(upstream).outputs;
        if (!(output in outputs)) {
          throw new ServerlessConfigError(
            `${composeFile}: \${${raw}}: service "${upstream}" has no output "${output}" (outputs: ${Object.keys(outputs).join(', ') || 'none'})`,
          );
        }
        return outputs[output];
      }
      return commonSource(composeFile)(source, address, raw);
    },
    true,
  );

  const buildService = (rs: RawService): ServiceModel => {
    const { raw, file, dir } = rs;
    const paramCache = new Map<string, unknown>();
    const vars: VariableResolver = new VariableResolver(file, (source, address, whole) => {
      switch (source) {
        case 'self':
          return walk(raw, address, vars);
        case 'param': {
          if (paramCache.has(address)) return paramCache.get(address);
          let v: unknown;
          if (options.params && address in options.params) v = options.params[address];
          else if (address in rs.composeParams) v = composeVars.deep(rs.composeParams[address]);
          else {
            const params = isObject(raw.params) ? raw.params : {};
            const byStage = isObject(params[stage]) ? (params[stage] as Record<string, unknown>) : {};
            const byDefault = isObject(params.default) ? (params.default as Record<string, unknown>) : {};
            if (address in byStage) v = vars.deep(byStage[address]);
            else if (address in byDefault) v = vars.deep(byDefault[address]);
          }
          paramCache.set(address, v);
          return v;
        }
        default:
          return commonSource(file)(source, address, whole);
      }
    });

    const get = (address: string): unknown => walk(raw, address, vars);
    const serviceName = String(get('service') ?? rs.name);
    const provider = isObject(raw.provider) ? raw.provider : {};
    const stackName = `${serviceName}-${stage}`;
    // `resources` may be a mapping or a list of mappings (merged); resolved lazily, piece by piece.
    const resourceParts = (() => {
      let r: unknown = raw.resources;
      if (typeof r === 'string') r = vars.string(r);
      return (Array.isArray(r) ? r : [r]).map((part) =>
        typeof part === 'string' ? vars.string(part) : part,
      );
    })().filter(isObject);
    const section = (name: string): Record<string, unknown> => {
      const out: Record<string, unknown> = {};
      for (const part of resourceParts) {
        let v = part[name];
        if (typeof v === 'string') v = vars.string(v);
        if (isObject(v)) Object.assign(out, v);
      }
      return out;
    };
    const rawResources = section('Resources');
    const conditions = vars.deep(section('Conditions')) as Record<string, unknown>;

    // Functions first (their logical ids can be referenced by resources).
    const rawFunctions = isObject(raw.functions) ? raw.functions : {};
    const extraRefs = new Map<string, { ref: string; arn: string }>();
    const functionNames = new Map<string, string>();
    for (const key of Object.keys(rawFunctions)) {
      const explicit = get(`functions.${key}.name`);
      const fnName = typeof explicit === 'string' ? explicit : `${serviceName}-${stage}-${key}`;
      functionNames.set(key, fnName);
      extraRefs.set(functionLogicalId(key), {
        ref: fnName,
        arn: `arn:aws:lambda:${region}:${accountId}:function:${fnName}`,
      });
    }

    const cfn = new CfnEvaluator(file, { region, accountId, stackName, sqsEndpoint, conditions, extraRefs });

    // Register resources with their physical names (Properties stay raw until needed).
    const physicalNameProp: Record<string, string> = {
      'AWS::SQS::Queue': 'QueueName',
      'AWS::DynamoDB::Table': 'TableName',
      'AWS::Events::EventBus': 'Name',
      'AWS::Events::Rule': 'Name',
      'AWS::SNS::Topic': 'TopicName',
      'AWS::Lambda::Function': 'FunctionName',
      'AWS::IAM::Role': 'RoleName',
    };
    const active: ResourceInfo[] = [];
    for (const [logicalId, def] of Object.entries(rawResources)) {
      if (!isObject(def)) continue;
      const type = vars.deep(def.Type);
      if (typeof type !== 'string') continue;
      const properties = isObject(def.Properties) ? def.Properties : {};
      const prop = physicalNameProp[type];
      let physicalName = `${stackName}-${logicalId}`;
      if (prop && properties[prop] !== undefined) {
        const v = cfn.eval(vars.deep(properties[prop]));
        if (typeof v === 'string') physicalName = v;
      }
      if (type === 'AWS::SQS::Queue' && properties.FifoQueue && !physicalName.endsWith('.fifo'))
        physicalName += '.fifo';
      const info: ResourceInfo = { logicalId, type, properties, physicalName };
      cfn.resources.set(logicalId, info);
      active.push(info);
    }
    // Skip resources whose Condition is false (after all are registered, since conditions may use Refs).
    const enabledResources = active.filter((r) => {
      const cond = (rawResources[r.logicalId] as Record<string, unknown>).Condition;
      if (cond === undefined) return true;
      return cfn.condition(String(vars.deep(cond)));
    });
    for (const r of active) if (!enabledResources.includes(r)) cfn.resources.delete(r.logicalId);

    const props = (r: ResourceInfo): Record<string, unknown> =>
      (cfn.eval(vars.deep(r.properties)) as Record<string, unknown>) ?? {};

    const buses: BusModel[] = [];
    const queues: QueueModel[] = [];
    const tables: TableModel[] = [];
    const rules: RuleModel[] = [];
    for (const r of enabledResources) {
      switch (r.type) {
        case 'AWS::Events::EventBus':
          buses.push({ name: r.physicalName, arn: cfn.arnOf(r), service: rs.name, logicalId: r.logicalId });
          break;
        case 'AWS::SQS::Queue': {
          const p = props(r);
          let redrive = p.RedrivePolicy;
          if (typeof redrive === 'string') redrive = JSON.parse(redrive);
          const q: QueueModel = {
            name: r.physicalName,
            service: rs.name,
            logicalId: r.logicalId,
            delaySeconds: num(p.DelaySeconds, `${r.logicalId}.DelaySeconds`, file),
            visibilityTimeout: num(p.VisibilityTimeout, `${r.logicalId}.VisibilityTimeout`, file),
            messageRetentionPeriod: num(
              p.MessageRetentionPeriod,
              `${r.logicalId}.MessageRetentionPeriod`,
              file,
            ),
            receiveMessageWaitTimeSeconds: num(
              p.ReceiveMessageWaitTimeSeconds,
              `${r.logicalId}.ReceiveMessageWaitTimeSeconds`,
              file,
            ),
            fifo: Boolean(p.FifoQueue),
          };
          if (isObject(redrive)) {
            q.redrivePolicy = {
              deadLetterTargetArn: String(redrive.deadLetterTargetArn),
              maxReceiveCount:
                num(redrive.maxReceiveCount, `${r.logicalId}.RedrivePolicy.maxReceiveCount`, file) ?? 10,
            };
          }
          queues.push(q);
          break;
        }
        case 'AWS::DynamoDB::Table':
          tables.push({
            tableName: r.physicalName,
            service: rs.name,
            logicalId: r.logicalId,
            properties: props(r),
          });
          break;
        case 'AWS::Events::Rule': {
          const p = props(r);
          let pattern = p.EventPattern;
          if (typeof pattern === 'string') pattern = JSON.parse(pattern);
          const busRef = p.EventBusName === undefined ? 'default' : String(p.EventBusName);
          const busName = busRef.startsWith('arn:')
            ? busRef.slice(busRef.indexOf('event-bus/') + 'event-bus/'.length)
            : busRef;
          const targets = (Array.isArray(p.Targets) ? p.Targets : []).map((t: unknown): RuleTargetModel => {
            const tt = (isObject(t) ? t : {}) as Record<string, unknown>;
            const arn = String(tt.Arn ?? '');
            const target: RuleTargetModel = { id: String(tt.Id ?? ''), arn };
            if (arn.startsWith('arn:aws:sqs:')) target.queueName = arn.split(':').pop();
            if (typeof tt.Input === 'string') target.input = tt.Input;
            if (typeof tt.InputPath === 'string') target.inputPath = tt.InputPath;
            return target;
          });
          rules.push({
            name: r.physicalName,
            arn: `arn:aws:events:${region}:${accountId}:rule/${busName === 'default' ? '' : `${busName}/`}${r.physicalName}`,
            service: rs.name,
            logicalId: r.logicalId,
            busName,
            eventPattern: isObject(pattern) ? pattern : undefined,
            scheduleExpression: typeof p.ScheduleExpression === 'string' ? p.ScheduleExpression : undefined,
            enabled: (p.State ?? 'ENABLED') === 'ENABLED',
            targets,
          });
          break;
        }
      }
    }

    // Functions.
    const providerGet = (k: string) => (k in provider ? get(`provider.${k}`) : undefined);
    const providerEnv = providerGet('environment');
    const providerMemory = num(providerGet('memorySize'), 'provider.memorySize', file) ?? 1024;
    const providerTimeout = num(providerGet('timeout'), 'provider.timeout', file) ?? 6;
    const functions: FunctionModel[] = [];
    for (const [key, name] of functionNames) {
      const fnRaw = rawFunctions[key];
      if (!isObject(fnRaw)) continue;
      const fget = (k: string) => (k in fnRaw ? get(`functions.${key}.${k}`) : undefined);
      const handler = fget('handler');
      if (typeof handler !== 'string' || !handler.includes('.')) {
        throw new ServerlessConfigError(
          `${file}: functions.${key}.handler must look like "path/to/file.export"`,
        );
      }
      const dot = handler.lastIndexOf('.');
      const modulePath = handler.slice(0, dot);
      const exportName = handler.slice(dot + 1);
      const handlerFile = findHandlerFile(dir, modulePath);
      if (!handlerFile) {
        throw new ServerlessConfigError(
          `${file}: functions.${key}.handler "${handler}": no file ${modulePath}{${HANDLER_EXTENSIONS.join(',')}} in ${dir}`,
        );
      }
      const envMerged = {
        ...(isObject(providerEnv) ? providerEnv : {}),
        ...((isObject(fget('environment')) ? fget('environment') : {}) as Record<string, unknown>),
      };
      const envResolved = cfn.eval(envMerged) as Record<string, unknown>;
      const environment: Record<string, string> = {};
      for (const [k, v] of Object.entries(envResolved)) {
        if (v === undefined || v === null) continue;
        environment[k] = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
      }
      const sqs: SqsEventModel[] = [];
      const schedules: ScheduleEventModel[] = [];
      const events = fget('events');
      for (const [i, ev] of (Array.isArray(events) ? events : []).entries()) {
        if (!isObject(ev)) continue;
        if ('sqs' in ev) {
          const s = cfn.eval(ev.sqs);
          const spec = (isObject(s) ? s : { arn: s }) as Record<string, unknown>;
          const arn = String(spec.arn ?? '');
          if (!arn.startsWith('arn:aws:sqs:')) {
            throw new ServerlessConfigError(
              `${file}: functions.${key}.events[${i}].sqs.arn must be an SQS queue ARN (got ${arn})`,
            );
          }
          sqs.push({
            queueArn: arn,
            queueName: arn.slice(arn.lastIndexOf(':') + 1),
            batchSize: num(spec.batchSize, `functions.${key}.events[${i}].sqs.batchSize`, file) ?? 10,
            maximumBatchingWindow: num(
              spec.maximumBatchingWindow,
              `functions.${key}.events[${i}].sqs.maximumBatchingWindow`,
              file,
            ),
            reportBatchItemFailures: spec.functionResponseType === 'ReportBatchItemFailures',
            enabled: spec.enabled !== false,
          });
        } else if ('schedule' in ev) {
          const s = cfn.eval(ev.schedule);
          const spec = (isObject(s) ? s : { rate: s }) as Record<string, unknown>;
          const rates = Array.isArray(spec.rate) ? spec.rate : [spec.rate];
          for (const rate of rates) {
            schedules.push({ expression: String(rate), enabled: spec.enabled !== false, input: spec.input });
          }
        }
      }
      functions.push({
        key,
        name,
        service: rs.name,
        handler,
        file: handlerFile,
        exportName,
        memorySize: num(fget('memorySize'), `functions.${key}.memorySize`, file) ?? providerMemory,
        timeout: num(fget('timeout'), `functions.${key}.timeout`, file) ?? providerTimeout,
        environment,
        sqs,
        schedules,
        iamRoleStatements: (() => {
          const st = fget('iamRoleStatements');
          return Array.isArray(st) ? (cfn.eval(st) as Record<string, unknown>[]) : [];
        })(),
      });
    }

    // Outputs.
    const outputs: Record<string, unknown> = {};
    const rawOutputs = section('Outputs');
    for (const [k, def] of Object.entries(rawOutputs)) {
      if (!isObject(def)) continue;
      if (def.Condition !== undefined && !cfn.condition(String(def.Condition))) continue;
      outputs[k] = cfn.eval(vars.deep(def.Value));
    }

    const params: Record<string, unknown> = {};
    for (const k of Object.keys(rs.composeParams)) params[k] = vars.deep(`\${param:${k}}`);

    return {
      name: rs.name,
      dir,
      file,
      serviceName,
      stage,
      region,
      stackName,
      params,
      outputs,
      buses,
      rules,
      queues,
      tables,
      functions,
    };
  };

  return {
    rootDir,
    stage,
    region,
    accountId,
    services: [...raws.keys()].map(build),
  };
}
