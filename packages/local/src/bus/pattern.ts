/**
 * EventBridge event-pattern matching, following the semantics documented in the EventBridge user guide
 * ("Event patterns", "Content filtering", "Comparison operators") and aws/event-ruler:
 *
 * - a pattern is a JSON object; fields are ANDed; a leaf is a non-empty array whose elements are ORed;
 * - leaf elements: exact values (string, number, boolean, null) or one operator object: `prefix`, `suffix`
 *   (both optionally `{ "equals-ignore-case": ... }`), `equals-ignore-case`, `wildcard`, `anything-but`
 *   (value, list, `{prefix}`, `{suffix}`, `{wildcard}`, `{equals-ignore-case}`), `numeric`, `exists`, `cidr`;
 * - `$or: [sub-pattern, sub-pattern, ...]` at any level (at least two sub-patterns);
 * - event arrays match when any element matches (array-consistent for objects inside arrays: all fields of a
 *   sub-pattern must come from the same element);
 * - `exists` only considers leaf values: an object or an empty array counts as "not existing".
 */

export class InvalidEventPatternError extends Error {
  constructor(message: string) {
    super(`Invalid event pattern: ${message}`);
    this.name = 'InvalidEventPatternError';
  }
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const OPERATORS = new Set([
  'prefix',
  'suffix',
  'anything-but',
  'numeric',
  'exists',
  'equals-ignore-case',
  'wildcard',
  'cidr',
]);

const NUMERIC_LIMIT = 5e9;

// ---------------------------------------------------------------------------------------------------------
// validation

/** Throws an InvalidEventPatternError describing the first problem found in `pattern`. */
export function validatePattern(pattern: unknown): void {
  const p = typeof pattern === 'string' ? parsePatternJson(pattern) : pattern;
  if (!isPlainObject(p)) throw new InvalidEventPatternError('the pattern must be a JSON object');
  validateObject(p, '');
}

function parsePatternJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InvalidEventPatternError(`not valid JSON (${(e as Error).message})`);
  }
}

function validateObject(obj: Record<string, unknown>, path: string): void {
  const keys = Object.keys(obj);
  if (keys.length === 0) throw new InvalidEventPatternError(`empty object at ${path || 'the top level'}`);
  for (const key of keys) {
    const value = obj[key];
    const here = path ? `${path}.${key}` : key;
    if (key === '$or' && isOrArray(value)) {
      for (const [i, sub] of (value as Record<string, unknown>[]).entries())
        validateObject(sub, `${here}[${i}]`);
      continue;
    }
    if (Array.isArray(value)) {
      if (value.length === 0) throw new InvalidEventPatternError(`empty array at "${here}"`);
      for (const el of value) validateLeafElement(el, here);
    } else if (isPlainObject(value)) {
      validateObject(value, here);
    } else {
      throw new InvalidEventPatternError(
        `"${here}" must be an object or an array (got ${JSON.stringify(value)})`,
      );
    }
  }
}

function isOrArray(value: unknown): boolean {
  return (
    Array.isArray(value) &&
    value.length >= 2 &&
    value.every((v) => isPlainObject(v) && !Object.keys(v).some((k) => OPERATORS.has(k)))
  );
}

function validateLeafElement(el: unknown, path: string): void {
  if (el === null || typeof el === 'string' || typeof el === 'boolean') return;
  if (typeof el === 'number') {
    if (!Number.isFinite(el)) throw new InvalidEventPatternError(`non-finite number at "${path}"`);
    return;
  }
  if (Array.isArray(el)) throw new InvalidEventPatternError(`nested arrays are not allowed at "${path}"`);
  if (!isPlainObject(el)) throw new InvalidEventPatternError(`invalid value at "${path}"`);
  const keys = Object.keys(el);
  const [op] = keys;
  if (op === undefined || keys.length !== 1) {
    throw new InvalidEventPatternError(
      `an operator object at "${path}" must have exactly one key (got ${JSON.stringify(keys)})`,
    );
  }
  const arg = el[op];
  function bad(msg: string): never {
    throw new InvalidEventPatternError(`"${op}" at "${path}": ${msg}`);
  }
  switch (op) {
    case 'prefix':
    case 'suffix':
      if (typeof arg === 'string') return;
      if (
        isPlainObject(arg) &&
        Object.keys(arg).length === 1 &&
        typeof arg['equals-ignore-case'] === 'string'
      ) {
        return;
      }
      throw new InvalidEventPatternError(
        `"${op}" at "${path}": value must be a string or { "equals-ignore-case": string }`,
      );
    case 'equals-ignore-case':
      if (typeof arg !== 'string') bad('value must be a string');
      return;
    case 'wildcard':
      if (typeof arg !== 'string') bad('value must be a string');
      validateWildcard(arg as string, path);
      return;
    case 'exists':
      if (typeof arg !== 'boolean') bad('value must be true or false');
      return;
    case 'cidr':
      if (typeof arg !== 'string' || !parseCidr(arg)) bad(`invalid CIDR block ${JSON.stringify(arg)}`);
      return;
    case 'numeric':
      compileNumeric(arg, path);
      return;
    case 'anything-but':
      validateAnythingBut(arg, path);
      return;
    default:
      bad('unknown operator');
  }
}

function validateAnythingBut(arg: unknown, path: string): void {
  function bad(msg: string): never {
    throw new InvalidEventPatternError(`"anything-but" at "${path}": ${msg}`);
  }
  if (typeof arg === 'string' || typeof arg === 'number') return;
  if (Array.isArray(arg)) {
    if (arg.length === 0) bad('the list must not be empty');
    const allStrings = arg.every((v) => typeof v === 'string');
    const allNumbers = arg.every((v) => typeof v === 'number');
    if (!allStrings && !allNumbers) bad('a list must contain only strings or only numbers');
    return;
  }
  if (isPlainObject(arg)) {
    const keys = Object.keys(arg);
    const [k] = keys;
    if (k === undefined || keys.length !== 1) bad('the object must have exactly one key');
    const v = arg[k];
    switch (k) {
      case 'prefix':
      case 'suffix':
        if (typeof v !== 'string') bad(`"${k}" must be a single string`);
        return;
      case 'equals-ignore-case':
        if (typeof v === 'string') return;
        if (Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === 'string')) return;
        throw new InvalidEventPatternError(
          `"anything-but" at "${path}": "equals-ignore-case" must be a string or a non-empty list of strings`,
        );
      case 'wildcard': {
        const list = Array.isArray(v) ? v : [v];
        if (list.length === 0 || !list.every((s) => typeof s === 'string')) {
          bad('"wildcard" must be a string or a list of strings');
        }
        for (const s of list as string[]) validateWildcard(s, path);
        return;
      }
      default:
        bad(`unsupported operator "${k}" inside anything-but`);
    }
  }
  bad('value must be a string, a number, a list, or an object');
}

function validateWildcard(w: string, path: string): void {
  let prevStar = false;
  for (let i = 0; i < w.length; i++) {
    const c = w[i];
    if (c === '\\') {
      const next = w[i + 1];
      if (next !== '*' && next !== '\\') {
        throw new InvalidEventPatternError(
          `"wildcard" at "${path}": a backslash may only escape "*" or "\\" (in ${JSON.stringify(w)})`,
        );
      }
      i++;
      prevStar = false;
    } else if (c === '*') {
      if (prevStar) {
        throw new InvalidEventPatternError(
          `"wildcard" at "${path}": consecutive wildcard characters are not allowed (in ${JSON.stringify(w)})`,
        );
      }
      prevStar = true;
    } else {
      prevStar = false;
    }
  }
}

interface NumericRange {
  lower?: { value: number; inclusive: boolean };
  upper?: { value: number; inclusive: boolean };
  equals?: number;
}

function compileNumeric(arg: unknown, path: string): NumericRange {
  function bad(msg: string): never {
    throw new InvalidEventPatternError(`"numeric" at "${path}": ${msg}`);
  }
  if (!Array.isArray(arg) || arg.length === 0 || arg.length % 2 !== 0 || arg.length > 4) {
    return bad('value must be a list of 1 or 2 (operator, number) pairs');
  }
  const range: NumericRange = {};
  for (let i = 0; i < arg.length; i += 2) {
    const op = arg[i];
    const n = arg[i + 1];
    if (typeof n !== 'number' || !Number.isFinite(n))
      return bad(`expected a number after ${JSON.stringify(op)}`);
    if (n < -NUMERIC_LIMIT || n > NUMERIC_LIMIT) return bad(`${n} is outside [-5e9, 5e9]`);
    switch (op) {
      case '=':
        if (arg.length !== 2) bad('"=" cannot be combined with another comparison');
        range.equals = n;
        break;
      case '>':
      case '>=':
        if (range.lower) bad('only one lower bound is allowed');
        range.lower = { value: n, inclusive: op === '>=' };
        break;
      case '<':
      case '<=':
        if (range.upper) bad('only one upper bound is allowed');
        range.upper = { value: n, inclusive: op === '<=' };
        break;
      default:
        return bad(`unknown comparison ${JSON.stringify(op)}`);
    }
  }
  if (range.lower && range.upper && range.lower.value >= range.upper.value) {
    bad('the lower bound must be below the upper bound');
  }
  return range;
}

// ---------------------------------------------------------------------------------------------------------
// matching

const MISSING = Symbol('missing');
type EventValue = Json | typeof MISSING;

/**
 * True when `event` matches `pattern`. Both may be given as JSON strings or parsed values.
 * The pattern is validated first (an invalid pattern throws InvalidEventPatternError).
 */
export function matchesPattern(pattern: unknown, event: unknown): boolean {
  return compilePattern(pattern)(event);
}

/** Validates `pattern` once and returns a matcher for events (objects or JSON strings). */
export function compilePattern(pattern: unknown): (event: unknown) => boolean {
  const p = typeof pattern === 'string' ? parsePatternJson(pattern) : pattern;
  validatePattern(p);
  return (event) => {
    const e = typeof event === 'string' ? (JSON.parse(event) as unknown) : event;
    return matchObject(p as Record<string, unknown>, e as EventValue);
  };
}

/** Matches an already validated pattern object against an event value (object, array, leaf or missing). */
function matchObject(pattern: Record<string, unknown>, event: EventValue): boolean {
  // An array of objects: array-consistent matching, the whole sub-pattern must match one element.
  if (Array.isArray(event)) {
    const objects = flattenArray(event).filter(isPlainObject) as Record<string, Json>[];
    // No object inside: the pattern's fields are all absent.
    if (objects.length === 0) return matchObjectFields(pattern, MISSING);
    return objects.some((el) => matchObjectFields(pattern, el));
  }
  return matchObjectFields(pattern, isPlainObject(event) ? event : MISSING);
}

function matchObjectFields(
  pattern: Record<string, unknown>,
  event: Record<string, Json> | typeof MISSING,
): boolean {
  for (const [key, sub] of Object.entries(pattern)) {
    if (key === '$or' && isOrArray(sub)) {
      const alternatives = sub as Record<string, unknown>[];
      if (!alternatives.some((alt) => matchObjectFields(alt, event))) return false;
      continue;
    }
    const value: EventValue = event === MISSING || !(key in event) ? MISSING : (event[key] as Json);
    if (Array.isArray(sub)) {
      if (!matchLeaf(sub, value)) return false;
    } else if (isPlainObject(sub)) {
      if (!matchObject(sub, value)) return false;
    } else {
      return false;
    }
  }
  return true;
}

function flattenArray(arr: Json[]): Json[] {
  const out: Json[] = [];
  for (const v of arr) {
    if (Array.isArray(v)) out.push(...flattenArray(v));
    else out.push(v);
  }
  return out;
}

/** The leaf values an event field holds: none when missing, an object, or an empty array. */
function leafValues(value: EventValue): Json[] {
  if (value === MISSING) return [];
  if (Array.isArray(value)) return flattenArray(value).filter((v) => !isPlainObject(v));
  if (isPlainObject(value)) return [];
  return [value];
}

function matchLeaf(patternValues: unknown[], value: EventValue): boolean {
  const values = leafValues(value);
  for (const p of patternValues) {
    if (isPlainObject(p) && 'exists' in p) {
      if ((p.exists === true) === values.length > 0) return true;
      continue;
    }
    if (values.some((v) => matchValue(p, v))) return true;
  }
  return false;
}

function matchValue(p: unknown, v: Json): boolean {
  if (p === null || typeof p === 'string' || typeof p === 'boolean') return v === p;
  if (typeof p === 'number') return typeof v === 'number' && numbersEqual(v, p);
  if (!isPlainObject(p)) return false;
  const [op] = Object.keys(p);
  if (op === undefined) return false;
  const arg = p[op];
  switch (op) {
    case 'prefix':
      return typeof v === 'string' && affix(v, arg, (s, a) => s.startsWith(a));
    case 'suffix':
      return typeof v === 'string' && affix(v, arg, (s, a) => s.endsWith(a));
    case 'equals-ignore-case':
      return typeof v === 'string' && foldCase(v) === foldCase(arg as string);
    case 'wildcard':
      return typeof v === 'string' && wildcardRegExp(arg as string).test(v);
    case 'numeric':
      return typeof v === 'number' && inRange(v, compileNumeric(arg, ''));
    case 'cidr':
      return typeof v === 'string' && cidrContains(arg as string, v);
    case 'anything-but':
      return !anythingButExcludes(arg, v);
    default:
      return false;
  }
}

function affix(v: string, arg: unknown, test: (s: string, a: string) => boolean): boolean {
  if (typeof arg === 'string') return test(v, arg);
  const a = isPlainObject(arg) ? arg['equals-ignore-case'] : undefined;
  if (typeof a !== 'string') return false;
  return test(foldCase(v), foldCase(a));
}

/** True when `v` is one of the values excluded by an anything-but argument. */
function anythingButExcludes(arg: unknown, v: Json): boolean {
  if (typeof arg === 'string') return v === arg;
  if (typeof arg === 'number') return typeof v === 'number' && numbersEqual(v, arg);
  if (Array.isArray(arg)) {
    return arg.some((a) => (typeof a === 'number' ? typeof v === 'number' && numbersEqual(v, a) : v === a));
  }
  const obj = arg as Record<string, unknown>;
  if (typeof v !== 'string') return false;
  if ('prefix' in obj) return v.startsWith(obj.prefix as string);
  if ('suffix' in obj) return v.endsWith(obj.suffix as string);
  if ('equals-ignore-case' in obj) {
    const list = Array.isArray(obj['equals-ignore-case'])
      ? obj['equals-ignore-case']
      : [obj['equals-ignore-case']];
    return (list as string[]).some((s) => foldCase(s) === foldCase(v));
  }
  if ('wildcard' in obj) {
    const list = Array.isArray(obj.wildcard) ? obj.wildcard : [obj.wildcard];
    return (list as string[]).some((w) => wildcardRegExp(w).test(v));
  }
  return false;
}

const foldCase = (s: string): string => s.toLowerCase();

/** EventBridge compares numbers with six digits after the decimal point. */
function numbersEqual(a: number, b: number): boolean {
  return Math.abs(a - b) < 5e-7;
}

function inRange(v: number, r: NumericRange): boolean {
  if (r.equals !== undefined) return numbersEqual(v, r.equals);
  if (r.lower) {
    const eq = numbersEqual(v, r.lower.value);
    if (r.lower.inclusive ? v < r.lower.value && !eq : v < r.lower.value || eq) return false;
  }
  if (r.upper) {
    const eq = numbersEqual(v, r.upper.value);
    if (r.upper.inclusive ? v > r.upper.value && !eq : v > r.upper.value || eq) return false;
  }
  return true;
}

const wildcardCache = new Map<string, RegExp>();

function wildcardRegExp(w: string): RegExp {
  const cached = wildcardCache.get(w);
  if (cached) return cached;
  let src = '';
  for (let i = 0; i < w.length; i++) {
    const c = w.charAt(i);
    if (c === '\\') {
      src += escapeRegExp(w[i + 1] ?? '\\');
      i++;
    } else if (c === '*') {
      src += '[\\s\\S]*';
    } else {
      src += escapeRegExp(c);
    }
  }
  const re = new RegExp(`^${src}$`);
  wildcardCache.set(w, re);
  return re;
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

// ---------------------------------------------------------------------------------------------------------
// CIDR (IPv4 and IPv6)

interface Cidr {
  bits: 32 | 128;
  network: bigint;
  prefix: number;
}

function parseIp(ip: string): { bits: 32 | 128; value: bigint } | undefined {
  const v4 = parseIPv4(ip);
  if (v4 !== undefined) return { bits: 32, value: v4 };
  const v6 = parseIPv6(ip);
  if (v6 !== undefined) return { bits: 128, value: v6 };
  return undefined;
}

function parseIPv4(ip: string): bigint | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let out = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    out = (out << 8n) | BigInt(n);
  }
  return out;
}

function parseIPv6(ip: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(ip) || !ip.includes(':')) return undefined;
  const halves = ip.split('::');
  if (halves.length > 2) return undefined;
  const toGroups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const groups: number[] = [];
    const parts = s.split(':');
    for (const [i, part] of parts.entries()) {
      if (i === parts.length - 1 && part.includes('.')) {
        const v4 = parseIPv4(part);
        if (v4 === undefined) return undefined;
        groups.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(part)) return undefined;
        groups.push(Number.parseInt(part, 16));
      }
    }
    return groups;
  };
  const [first = '', second] = halves;
  const head = toGroups(first);
  const tail = second !== undefined ? toGroups(second) : [];
  if (!head || !tail) return undefined;
  const fill = 8 - head.length - tail.length;
  if (halves.length === 2 ? fill < 1 : fill !== 0) return undefined;
  const groups = [...head, ...new Array<number>(halves.length === 2 ? fill : 0).fill(0), ...tail];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

function parseCidr(cidr: string): Cidr | undefined {
  const [ip, len, extra] = cidr.split('/');
  if (extra !== undefined || ip === undefined) return undefined;
  const addr = parseIp(ip);
  if (!addr) return undefined;
  const prefix = len === undefined ? addr.bits : Number(len);
  if (
    !Number.isInteger(prefix) ||
    prefix < 0 ||
    prefix > addr.bits ||
    (len !== undefined && !/^\d+$/.test(len))
  ) {
    return undefined;
  }
  const mask = prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << BigInt(addr.bits - prefix);
  return { bits: addr.bits, network: addr.value & mask, prefix };
}

function cidrContains(cidr: string, ip: string): boolean {
  const c = parseCidr(cidr);
  const a = parseIp(ip);
  if (!c || !a || a.bits !== c.bits) return false;
  const mask = c.prefix === 0 ? 0n : ((1n << BigInt(c.prefix)) - 1n) << BigInt(c.bits - c.prefix);
  return (a.value & mask) === c.network;
}
