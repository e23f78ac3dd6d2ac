// Checks a merged profile check or capacity block against the metric catalogue, the operators and the
// threshold types; every problem is a ConfigError naming the file and the key.
import { METRIC_CATALOGUE, type MetricSpec, metricSpec } from '../report/metrics.js';
import { datedFactFor, isFactRef } from './dated-facts.js';
import { ConfigError } from './errors.js';
import { PLATFORM_GATE_ID } from './platform.js';
import {
  type CapacityParams,
  type MergedCheck,
  OPERATORS,
  type Operator,
  type ProfileCheck,
  type RawCapacity,
  type ScalarThreshold,
  type ServiceReservation,
  type Threshold,
} from './profile-types.js';
import { compareVersions, parseSize, VERSION_RE } from './profile-values.js';

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

export function finishCheck(merged: MergedCheck): ProfileCheck {
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
    throw new ConfigError(
      `${at('metric')}: ${metric} is informational (a fact shown beside the verdict, not a requirement): the metric catalogue does not let profiles judge it${instead}; see docs/metrics.md`,
    );
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
  if (raw.warn === undefined && raw.fail === undefined)
    throw new ConfigError(`${at('warn')}: a check needs a warn or a fail threshold, or both (check "${raw.id}")`);
  const check: ProfileCheck = {
    id: raw.id,
    title: raw.title as string,
    metric,
    operator: op,
    message: raw.message as string,
    advice: raw.advice as string,
    sources: raw.sources as string[],
    definedIn: file,
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
    throw new ConfigError(
      `${at('warn')}: the warn threshold ${JSON.stringify(raw.warn)} is looser than the fail threshold ${JSON.stringify(raw.fail)}, so the check could fail without ever warning`,
    );
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

export function finishCapacity(raw: RawCapacity, from: Record<string, string>, file: string): CapacityParams {
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
