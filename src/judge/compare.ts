// Boards side by side: reports and spec sheets judged under one profile, key metrics, every check's
// status and the capacity estimate in rows, rows whose values differ marked.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { formatCount, formatMetric } from '../report/display.js';
import type { Metrics, MetricValue, Report } from '../report/types.js';
import { parseReport } from '../report/validate.js';
import { ConfigError } from './errors.js';
import { PLATFORM_GATE_ID } from './platform.js';
import type { Profile } from './profiles.js';
import { findHardware, type HardwareEntry, hardwareAliases, listHardware, specSheetMetrics } from './spec-sheets.js';
import { type JudgeOptions, judge, type Verdict } from './verdict.js';

export interface CompareSubject {
  kind: 'report' | 'hardware';
  /** The argument as given: a file path or a hardware id. */
  ref: string;
  label: string;
  metrics: Metrics;
  report?: Report;
  hardware?: HardwareEntry;
}

export interface CompareRow {
  key: string;
  label: string;
  /** One cell per subject, for people. */
  cells: string[];
  /** The underlying values (metric values, statuses, numbers), for machines. */
  values: (MetricValue | undefined)[];
  differs: boolean;
}

export interface CompareSection {
  title: string;
  rows: CompareRow[];
}

export interface Comparison {
  schema: 'edgeprobe.comparison/v1';
  profile: { name: string; title: string };
  subjects: { ref: string; kind: CompareSubject['kind']; label: string; verdict: Verdict['verdict']; basis: Verdict['basis'] }[];
  sections: CompareSection[];
  /** Checks of the profile that no column could judge (every column a spec sheet). */
  notJudgedAnywhere: string[];
  verdicts: Verdict[];
}

/** The metrics a comparison shows, in order. */
export const KEY_METRICS: readonly string[] = [
  'host.board',
  'host.os',
  'cpu.arch',
  'cpu.userland_arch',
  'cpu.model',
  'cpu.cores',
  'cpu.effective_cpus',
  'cpu.max_mhz',
  'cpu.single_thread_score',
  'cpu.multi_thread_score',
  'memory.total_bytes',
  'memory.effective_total_bytes',
  'memory.effective_available_bytes',
  'memory.cgroup_path',
  'python.version',
  'python.max_django',
  'supervision.init',
  'stack.reverse_proxy',
  'stack.redis_version',
  'disk.free_bytes',
  'disk.fsync_p99_ms',
  'streaming.python_messages_per_second',
  'streaming.channels_messages_per_second',
  'streaming.channels_p99_ms',
  'streaming.bytes_per_connection',
  'django.cpython_score',
  'django.wsgi_requests_per_second',
  'django.wsgi_worker_pss_bytes',
  'django.wsgi_cold_start_ms',
  'django.asgi_requests_per_second',
  'django.asgi_worker_pss_bytes',
];

/** Each argument is a report file or a hardware id; anything else is a ConfigError (exit 2). */
export function resolveSubject(ref: string): CompareSubject {
  if (existsSync(ref) && statSync(ref).isFile()) {
    let text: string;
    try {
      text = readFileSync(ref, 'utf8');
    } catch (err) {
      throw new ConfigError(`${ref}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    const parsed = parseReport(text);
    if (!parsed.ok) throw new ConfigError(`${ref}: not a valid edgeprobe report: ${parsed.errors.slice(0, 5).join('; ')}`);
    const report = parsed.report;
    const label = report.host.label ?? report.host.hostname;
    return { kind: 'report', ref, label, metrics: report.metrics, report };
  }
  const entry = findHardware(ref);
  if (entry) return { kind: 'hardware', ref, label: entry.name, metrics: specSheetMetrics(entry), hardware: entry };
  const ids = [...listHardware().map((e) => e.id), ...hardwareAliases().keys()].sort();
  throw new ConfigError(`${ref}: neither a report file nor a hardware id (hardware ids: ${ids.join(', ')})`);
}

function cellOf(metric: string, value: MetricValue | undefined): string {
  if (value === undefined) return '–';
  if (value === null) return 'unknown';
  return formatMetric(metric, value);
}

function row(key: string, label: string, cells: string[], values: (MetricValue | undefined)[]): CompareRow {
  return { key, label, cells, values, differs: new Set(cells).size > 1 };
}

function verdictRows(verdicts: readonly Verdict[]): CompareRow[] {
  return [
    row(
      'verdict',
      'verdict',
      verdicts.map((v) => v.headline),
      verdicts.map((v) => v.verdict),
    ),
    row(
      'counts',
      'pass / warn / fail / unknown',
      verdicts.map((v) => `${v.counts.pass} / ${v.counts.warn} / ${v.counts.fail} / ${v.counts.unknown}`),
      verdicts.map(() => undefined),
    ),
  ];
}

function keyMetricRows(subjects: readonly CompareSubject[]): CompareRow[] {
  return KEY_METRICS.filter((id) => subjects.some((s) => s.metrics[id] !== undefined)).map((id) =>
    row(
      id,
      id,
      subjects.map((s) => cellOf(id, s.metrics[id])),
      subjects.map((s) => s.metrics[id]),
    ),
  );
}

/** One row per check; a check a column could not judge reads "not judged" there. */
function checkRows(checkIds: readonly string[], verdicts: readonly Verdict[]): CompareRow[] {
  return checkIds.map((id) => {
    const results = verdicts.map((v) => v.checks.find((c) => c.id === id));
    const cells = results.map((r) => {
      if (!r) return 'not judged';
      const status = r.allowed !== undefined ? `allowed (${r.status})` : r.status;
      return r.status === 'unknown' || r.actual === null ? status : `${status}: ${cellOf(r.metric, r.actual)}`;
    });
    return row(
      `check.${id}`,
      id,
      cells,
      results.map((r) => r?.status),
    );
  });
}

function capacityRows(verdicts: readonly Verdict[], profile: Profile): CompareRow[] {
  const count = (n: number | null): string => (n === null ? 'unknown' : formatCount(n));
  return [
    row(
      'capacity.workers',
      `${profile.capacity.server.toUpperCase()} workers`,
      verdicts.map((v) => count(v.capacity.workers)),
      verdicts.map((v) => v.capacity.workers),
    ),
    row(
      'capacity.binding',
      'workers bound by',
      verdicts.map((v) => v.capacity.binding),
      verdicts.map((v) => v.capacity.binding),
    ),
    row(
      'capacity.requests_per_second',
      `HTTP req/s, p95 within ${profile.capacity.latencyTargetMs} ms`,
      verdicts.map((v) => count(v.capacity.requestsPerSecond)),
      verdicts.map((v) => v.capacity.requestsPerSecond),
    ),
    row(
      'capacity.websocket_clients',
      `WebSocket clients at ${profile.capacity.messagesPerClientPerSecond} msg/s`,
      verdicts.map((v) => (v.capacity.server === 'wsgi' ? 'n/a (WSGI)' : count(v.capacity.websocketClients))),
      verdicts.map((v) => v.capacity.websocketClients),
    ),
    row(
      'capacity.clients_binding',
      'clients bound by',
      verdicts.map((v) => v.capacity.clientsBinding),
      verdicts.map((v) => v.capacity.clientsBinding),
    ),
    row(
      'capacity.memory_budget',
      'memory for workers + connections',
      verdicts.map((v) => (v.capacity.memoryBudgetBytes === null ? 'unknown' : formatMetric('memory.total_bytes', v.capacity.memoryBudgetBytes))),
      verdicts.map((v) => v.capacity.memoryBudgetBytes),
    ),
  ];
}

export function compareSubjects(subjects: readonly CompareSubject[], profile: Profile, options: JudgeOptions = {}): Comparison {
  const verdicts = subjects.map((s) => judge(s.report ?? (s.hardware as HardwareEntry), profile, options));
  // Checks no column could judge (all spec sheets) are left out of the table and listed in `notJudgedAnywhere`.
  const checkIds = [PLATFORM_GATE_ID, ...profile.checks.map((c) => c.id)];
  const judgedSomewhere = checkIds.filter((id) => verdicts.some((v) => v.checks.some((c) => c.id === id)));
  const notJudgedAnywhere = checkIds.filter((id) => !judgedSomewhere.includes(id));
  const sections: CompareSection[] = [
    { title: 'Verdict', rows: verdictRows(verdicts) },
    { title: 'Key metrics', rows: keyMetricRows(subjects) },
    { title: 'Checks', rows: checkRows(judgedSomewhere, verdicts) },
    { title: 'Capacity', rows: capacityRows(verdicts, profile) },
  ];
  return {
    schema: 'edgeprobe.comparison/v1',
    profile: { name: profile.name, title: profile.title },
    subjects: subjects.map((s, i) => ({
      ref: s.ref,
      kind: s.kind,
      label: s.label,
      verdict: (verdicts[i] as Verdict).verdict,
      basis: (verdicts[i] as Verdict).basis,
    })),
    sections,
    notJudgedAnywhere,
    verdicts,
  };
}
