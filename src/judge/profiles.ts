// Deployment profiles: what "viable" means for one kind of deployment (targets/profiles/*.json).
// A profile is read by name (built-in, shipped inside the agent bundle too) or by path (custom), merged
// along its `extends` chain, then validated against targets/schemas/profile.schema.json and the metric
// catalogue. Every problem is a ConfigError (exit code 2) naming the file and the key.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { ErrorObject } from 'ajv';
import { METRIC_CATALOGUE, metricSpec, type MetricSpec } from '../report/metrics.js';
import { ConfigError } from './errors.js';
import { listPackageFiles, readPackageFile } from '../platform/package-files.js';
import { PLATFORM_GATE_ID } from './platform.js';
import { datedFactFor, isFactRef, type DatedFactName } from './dated-facts.js';
import { hardware, profile, type ShippedValidator } from '../report/shipped-validators.js';

export const DEFAULT_PROFILE = 'django-channels';
export const OPERATORS = ['>=', '<=', '==', 'in', 'version>='] as const;
export type Operator = (typeof OPERATORS)[number];
export type ScalarThreshold = number | string | boolean;
export type Threshold = ScalarThreshold | ScalarThreshold[];

export interface ProfileCheck {
  id: string;
  title: string;
  metric: string;
  operator: Operator;
  /** The metric must satisfy `actual OP warn`, else the check warns. */
  warn?: Threshold;
  /** The metric must satisfy `actual OP fail`, else the check fails. */
  fail?: Threshold;
  /** Thresholds named as dated facts, resolved on the report's date (src/judge/dated-facts.ts). */
  dated?: { warn?: DatedFactName; fail?: DatedFactName };
  message: string;
  advice: string;
  sources: string[];
  /** Profile file the check (or its last override) comes from. */
  definedIn: string;
}

export interface ServiceReservation {
  name: string;
  bytes: number;
  presentWhen?: string;
  source: string;
}

export interface CapacityParams {
  server: 'asgi' | 'wsgi';
  workerBytes: number;
  workerMemorySource: string;
  osBaselineBytes: number;
  osBaselineSource: string;
  headroomFraction: number;
  workersPerCpu: number;
  extraWorkers: number;
  workersSource: string;
  services: ServiceReservation[];
  connectionBytes: number;
  connectionMemorySource: string;
  messagesPerClientPerSecond: number;
  minClients: number;
  cpuUtilisationTarget: number;
  channelsToPythonRatio: number;
  channelsToPythonRatioSource: string;
  channelLayer: 'memory' | 'redis';
  latencyTargetMs: number;
  latencyTargetSource: string;
}

export interface Profile {
  name: string;
  title: string;
  description: string;
  /** Where it was read from: "targets/profiles/NAME.json" for built-ins, an absolute path otherwise. */
  file: string;
  builtIn: boolean;
  /** Names along the extends chain, this profile first. */
  chain: string[];
  assumes: string[];
  checks: ProfileCheck[];
  capacity: CapacityParams;
}

// ---------------------------------------------------------------------------------------------------
// Sizes ("850 MiB") and versions ("3.10") used by profiles and spec sheets.

const SIZE_UNITS: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4 };

/** Bytes from a number or a string such as "850 MiB"; null when it is neither. */
export function parseSize(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : null;
  if (typeof value !== 'string') return null;
  const match = /^\s*([0-9]+(?:\.[0-9]+)?)\s*(B|KiB|MiB|GiB|TiB)\s*$/.exec(value);
  if (!match) return null;
  return Math.round(Number(match[1]) * (SIZE_UNITS[match[2] ?? 'B'] ?? 1));
}

const VERSION_RE = /^\d+(\.\d+){0,3}$/;

/** Numeric parts of a version string ("3.11.2rc1" -> [3, 11, 2]); null when it does not start with a number. */
export function versionParts(version: string): number[] | null {
  const match = /^\s*v?(\d+(?:\.\d+)*)/.exec(version);
  if (!match?.[1]) return null;
  return match[1].split('.').map(Number);
}

/** -1, 0 or 1; missing parts count as 0 ("3.10" == "3.10.0"). Null when either is not a version. */
export function compareVersions(a: string, b: string): number | null {
  const pa = versionParts(a);
  const pb = versionParts(b);
  if (!pa || !pb) return null;
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? 0;
    const y = pb[i] ?? 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------------
// JSON Schema validation, shared with src/judge/spec-sheets.ts.

/** The validator of a schema shipped under targets/schemas/, generated at build time (scripts/build.mjs). */
export function shippedSchemaValidator(schema: 'profile' | 'hardware'): ShippedValidator {
  return schema === 'profile' ? profile : hardware;
}

/** Turns ajv's instancePath (/checks/3/metric) into the key people read (checks[3].metric). */
export function jsonKey(instancePath: string, extra?: string): string {
  const parts = instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (extra !== undefined) parts.push(extra);
  let key = '';
  for (const part of parts) key += /^\d+$/.test(part) ? `[${part}]` : key === '' ? part : `.${part}`;
  return key === '' ? '(top level)' : key;
}

/** The first few schema problems as "key: problem" lines, most specific first. */
export function describeSchemaErrors(errors: readonly ErrorObject[]): string[] {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const error of errors) {
    // oneOf / anyOf repeat their branches' errors; the branch errors say more.
    if (error.keyword === 'oneOf' || error.keyword === 'anyOf') continue;
    let line: string;
    if (error.keyword === 'additionalProperties') {
      line = `${jsonKey(error.instancePath, String(error.params['additionalProperty']))}: unknown key`;
    } else if (error.keyword === 'required') {
      line = `${jsonKey(error.instancePath, String(error.params['missingProperty']))}: is required`;
    } else if (error.keyword === 'enum') {
      line = `${jsonKey(error.instancePath)}: must be one of ${(error.params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    } else {
      line = `${jsonKey(error.instancePath)}: ${error.message ?? error.keyword}`;
    }
    if (!seen.has(line)) {
      seen.add(line);
      lines.push(line);
    }
  }
  return lines.slice(0, 8);
}

// ---------------------------------------------------------------------------------------------------
// Reading and merging.

/** A threshold as written: a value, or `{ "fact": NAME }` for a dated fact. */
type RawThreshold = Threshold | { fact: string };

interface RawCheck {
  id: string;
  title?: string;
  metric?: string;
  operator?: string;
  warn?: RawThreshold;
  fail?: RawThreshold;
  message?: string;
  advice?: string;
  sources?: string[];
}

interface RawService { name: string; memory: number | string; presentWhen?: string; source: string }

interface RawCapacity {
  server?: 'asgi' | 'wsgi';
  workerMemory?: number | string;
  workerMemorySource?: string;
  osBaseline?: number | string;
  osBaselineSource?: string;
  headroomFraction?: number;
  workersPerCpu?: number;
  extraWorkers?: number;
  workersSource?: string;
  services?: RawService[];
  connectionMemory?: number | string;
  connectionMemorySource?: string;
  messagesPerClientPerSecond?: number;
  minClients?: number;
  cpuUtilisationTarget?: number;
  channelsToPythonRatio?: number;
  channelsToPythonRatioSource?: string;
  channelLayer?: 'memory' | 'redis';
  latencyTargetMs?: number;
  latencyTargetSource?: string;
}

interface RawProfile {
  name: string;
  title: string;
  description: string;
  extends?: string;
  assumes?: string[];
  remove?: string[];
  capacity?: RawCapacity;
  checks?: RawCheck[];
}

interface Located { raw: RawProfile; file: string; builtIn: boolean; dir: string | null }

const PROFILE_DIR = 'targets/profiles';

/** Names of the built-in profiles. */
export function listProfileNames(): string[] {
  return listPackageFiles(PROFILE_DIR).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -'.json'.length)).sort();
}

function looksLikePath(ref: string): boolean {
  return ref.includes('/') || ref.includes('\\') || ref.endsWith('.json');
}

function readProfileSource(ref: string, relativeTo: string | null): Located {
  if (!looksLikePath(ref)) {
    const names = listProfileNames();
    if (!names.includes(ref)) {
      throw new ConfigError(`unknown profile "${ref}" (built-in profiles: ${names.join(', ')}; or give a path to a .json file)`);
    }
    const file = `${PROFILE_DIR}/${ref}.json`;
    return { raw: parseProfileJson(readPackageFile(file), file), file, builtIn: true, dir: null };
  }
  const path = resolve(relativeTo ?? process.cwd(), ref);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`profile ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return { raw: parseProfileJson(text, path), file: path, builtIn: false, dir: dirname(path) };
}

function parseProfileJson(text: string, file: string): RawProfile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`profile ${file}: not valid JSON (${(err as Error).message})`);
  }
  const validate = shippedSchemaValidator('profile');
  if (!validate(value)) {
    const lines = describeSchemaErrors(validate.errors ?? []);
    throw new ConfigError(`profile ${file}: ${lines.join('; ')}`);
  }
  return value as RawProfile;
}

interface MergedCheck { raw: RawCheck; file: string; index: number }

/** Loads a profile by built-in name or by path, with its extends chain merged and everything validated. */
export function loadProfile(ref: string = DEFAULT_PROFILE): Profile {
  const chain: Located[] = [];
  let current = readProfileSource(ref, null);
  const seen = new Set<string>([current.file]);
  chain.push(current);
  while (current.raw.extends !== undefined) {
    let parent: Located;
    try {
      parent = readProfileSource(current.raw.extends, current.dir);
    } catch (err) {
      if (err instanceof ConfigError && !err.message.startsWith('profile ')) throw new ConfigError(`profile ${current.file}: extends: ${err.message}`);
      throw err;
    }
    if (seen.has(parent.file)) throw new ConfigError(`profile ${current.file}: extends: "${current.raw.extends}" leads to a cycle (${[...seen, parent.file].join(' -> ')})`);
    seen.add(parent.file);
    chain.push(parent);
    current = parent;
  }
  // Merge from the root of the chain down to the profile asked for.
  const checks = new Map<string, MergedCheck>();
  let capacity: RawCapacity = {};
  const capacityFrom: Record<string, string> = {};
  const assumes: string[] = [];
  for (const located of [...chain].reverse()) {
    const { raw, file } = located;
    for (const [i, id] of (raw.remove ?? []).entries()) {
      if (!checks.delete(id)) throw new ConfigError(`profile ${file}: remove[${i}]: no inherited check "${id}" to remove`);
    }
    const idsHere = new Set<string>();
    for (const [index, check] of (raw.checks ?? []).entries()) {
      if (idsHere.has(check.id)) throw new ConfigError(`profile ${file}: checks[${index}].id: "${check.id}" appears twice in this file`);
      idsHere.add(check.id);
      const inherited = checks.get(check.id);
      checks.set(check.id, { raw: inherited ? { ...inherited.raw, ...check } : check, file, index });
    }
    if (raw.capacity) {
      for (const key of Object.keys(raw.capacity)) capacityFrom[key] = file;
      capacity = { ...capacity, ...raw.capacity };
    }
    for (const line of raw.assumes ?? []) if (!assumes.includes(line)) assumes.push(line);
  }
  const top = chain[0] as Located;
  return {
    name: top.raw.name,
    title: top.raw.title,
    description: top.raw.description,
    file: top.file,
    builtIn: top.builtIn,
    chain: chain.map((c) => c.raw.name),
    assumes,
    checks: [...checks.values()].map(finishCheck),
    capacity: finishCapacity(capacity, capacityFrom, top.file),
  };
}

function closestMetric(id: string): string | null {
  let best: string | null = null;
  let bestScore = Infinity;
  for (const spec of METRIC_CATALOGUE) {
    const score = editDistance(id, spec.id);
    if (score < bestScore) {
      bestScore = score;
      best = spec.id;
    }
  }
  return best !== null && bestScore <= Math.max(3, Math.floor(id.length / 4)) ? best : null;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const saved = row[j] ?? 0;
      row[j] = Math.min((row[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = saved;
    }
  }
  return row[b.length] ?? 0;
}

function finishCheck(merged: MergedCheck): ProfileCheck {
  const { raw, file, index } = merged;
  const at = (key: string): string => `profile ${file}: checks[${index}].${key}`;
  for (const key of ['title', 'metric', 'operator', 'message', 'advice', 'sources'] as const) {
    if (raw[key] === undefined) throw new ConfigError(`${at(key)}: is required (check "${raw.id}")`);
  }
  if (raw.id === PLATFORM_GATE_ID) throw new ConfigError(`${at('id')}: "${PLATFORM_GATE_ID}" is the judge's own platform gate, not a profile check`);
  const metric = raw.metric as string;
  const spec = metricSpec(metric);
  if (!spec) {
    const near = closestMetric(metric);
    throw new ConfigError(`${at('metric')}: unknown metric "${metric}"${near ? ` (did you mean "${near}"?)` : ''}; see docs/metrics.md`);
  }
  if (!spec.judged) {
    const instead = metric === 'cpu.arch' ? '; the architecture software is installed for is cpu.userland_arch' : '';
    throw new ConfigError(`${at('metric')}: ${metric} is informational (a fact shown beside the verdict, not a requirement): the metric catalogue does not let profiles judge it${instead}; see docs/metrics.md`);
  }
  const operator = raw.operator as string;
  if (!(OPERATORS as readonly string[]).includes(operator)) {
    throw new ConfigError(`${at('operator')}: unknown operator "${operator}" (one of ${OPERATORS.join(', ')})`);
  }
  const op = operator as Operator;
  if ((op === '>=' || op === '<=') && spec.type !== 'number') {
    throw new ConfigError(`${at('operator')}: "${op}" needs a number metric, and ${metric} is a ${spec.type}`);
  }
  if (op === 'version>=' && spec.type !== 'string') {
    throw new ConfigError(`${at('operator')}: "version>=" needs a string metric holding a version, and ${metric} is a ${spec.type}`);
  }
  if (raw.warn === undefined && raw.fail === undefined) throw new ConfigError(`${at('warn')}: a check needs a warn or a fail threshold, or both (check "${raw.id}")`);
  const check: ProfileCheck = {
    id: raw.id, title: raw.title as string, metric, operator: op,
    message: raw.message as string, advice: raw.advice as string, sources: raw.sources as string[], definedIn: file,
  };
  for (const level of ['warn', 'fail'] as const) {
    const value = raw[level];
    if (value === undefined) continue;
    if (isFactRef(value)) {
      check.dated = { ...check.dated, [level]: datedFactFor(value.fact, op, at(level)) };
    } else {
      check[level] = thresholdFor(value, op, spec, at(level));
    }
  }
  if (check.warn !== undefined && check.fail !== undefined && looserThan(check.warn, check.fail, op)) {
    throw new ConfigError(`${at('warn')}: the warn threshold ${JSON.stringify(raw.warn)} is looser than the fail threshold ${JSON.stringify(raw.fail)}, so the check could fail without ever warning`);
  }
  return check;
}

function thresholdFor(value: Threshold, op: Operator, spec: MetricSpec, where: string): Threshold {
  const scalar = (item: ScalarThreshold, key: string): ScalarThreshold => {
    if (op === 'version>=') {
      if (typeof item !== 'string' || !VERSION_RE.test(item)) throw new ConfigError(`${key}: must be a version such as "3.10", got ${JSON.stringify(item)}`);
      return item;
    }
    if (spec.type === 'number' && spec.unit === 'bytes' && typeof item === 'string') {
      const bytes = parseSize(item);
      if (bytes === null) throw new ConfigError(`${key}: "${item}" is not a size (use a number of bytes or e.g. "850 MiB")`);
      return bytes;
    }
    if (typeof item !== spec.type) throw new ConfigError(`${key}: must be a ${spec.type} like ${spec.id}, got ${typeof item} ${JSON.stringify(item)}`);
    return item;
  };
  if (op === 'in') {
    if (!Array.isArray(value) || value.length === 0) throw new ConfigError(`${where}: "in" needs a non-empty list of allowed values`);
    return value.map((item, i) => scalar(item, `${where}[${i}]`));
  }
  if (Array.isArray(value)) throw new ConfigError(`${where}: a list is only allowed with the "in" operator`);
  return scalar(value, where);
}

/** True when `warn` lets through a value that `fail` rejects. */
function looserThan(warn: Threshold, fail: Threshold, op: Operator): boolean {
  if (op === '>=') return (warn as number) < (fail as number);
  if (op === '<=') return (warn as number) > (fail as number);
  if (op === 'version>=') return (compareVersions(warn as string, fail as string) ?? 0) < 0;
  if (op === 'in') return (warn as ScalarThreshold[]).some((w) => !(fail as ScalarThreshold[]).includes(w));
  return false;
}

function finishCapacity(raw: RawCapacity, from: Record<string, string>, file: string): CapacityParams {
  const need = <K extends keyof RawCapacity>(key: K): NonNullable<RawCapacity[K]> => {
    const value = raw[key];
    if (value === undefined) throw new ConfigError(`profile ${file}: capacity.${key}: is required (in this profile or one it extends)`);
    return value as NonNullable<RawCapacity[K]>;
  };
  const size = (key: 'workerMemory' | 'osBaseline' | 'connectionMemory'): number => {
    const bytes = parseSize(need(key));
    if (bytes === null) throw new ConfigError(`profile ${from[key] ?? file}: capacity.${key}: not a size`);
    return bytes;
  };
  return {
    server: need('server'),
    workerBytes: size('workerMemory'),
    workerMemorySource: need('workerMemorySource'),
    osBaselineBytes: size('osBaseline'),
    osBaselineSource: need('osBaselineSource'),
    headroomFraction: need('headroomFraction'),
    workersPerCpu: need('workersPerCpu'),
    extraWorkers: raw.extraWorkers ?? 0,
    workersSource: need('workersSource'),
    services: (raw.services ?? []).map((s, i) => {
      const bytes = parseSize(s.memory);
      if (bytes === null) throw new ConfigError(`profile ${from['services'] ?? file}: capacity.services[${i}].memory: not a size`);
      if (s.presentWhen !== undefined && !metricSpec(s.presentWhen)) {
        throw new ConfigError(`profile ${from['services'] ?? file}: capacity.services[${i}].presentWhen: unknown metric "${s.presentWhen}"`);
      }
      const service: ServiceReservation = { name: s.name, bytes, source: s.source };
      if (s.presentWhen !== undefined) service.presentWhen = s.presentWhen;
      return service;
    }),
    connectionBytes: size('connectionMemory'),
    connectionMemorySource: need('connectionMemorySource'),
    messagesPerClientPerSecond: need('messagesPerClientPerSecond'),
    minClients: raw.minClients ?? 0,
    cpuUtilisationTarget: need('cpuUtilisationTarget'),
    channelsToPythonRatio: need('channelsToPythonRatio'),
    channelsToPythonRatioSource: need('channelsToPythonRatioSource'),
    channelLayer: raw.channelLayer ?? 'memory',
    latencyTargetMs: need('latencyTargetMs'),
    latencyTargetSource: need('latencyTargetSource'),
  };
}

/** Every built-in profile, loaded and validated. */
export function loadAllProfiles(): Profile[] {
  return listProfileNames().map((name) => loadProfile(name));
}

/** Parses repeated --allow CHECK=reason options against a profile's checks. */
export function parseAllowances(values: readonly string[] | undefined, profile: Profile): Map<string, string> {
  const allow = new Map<string, string>();
  for (const value of values ?? []) {
    const eq = value.indexOf('=');
    const id = eq < 0 ? value.trim() : value.slice(0, eq).trim();
    const reason = eq < 0 ? '' : value.slice(eq + 1).trim();
    if (id === '' || id === '*' || id.includes('*')) throw new ConfigError(`--allow ${value}: name one check; there is no blanket override`);
    if (reason === '') throw new ConfigError(`--allow ${value}: a reason is required, e.g. --allow ${id}="tested with our own load profile"`);
    if (id === PLATFORM_GATE_ID) {
      throw new ConfigError(`--allow ${value}: ${PLATFORM_GATE_ID} cannot be allowed: without Linux no CPython, and so no Django, runs on the device`);
    }
    if (!profile.checks.some((c) => c.id === id)) {
      throw new ConfigError(`--allow ${value}: profile ${profile.name} has no check "${id}" (checks: ${profile.checks.map((c) => c.id).join(', ')})`);
    }
    allow.set(id, reason);
  }
  return allow;
}
