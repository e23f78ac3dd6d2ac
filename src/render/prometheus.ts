// Verdicts and metrics in the Prometheus text exposition format (version 0.0.4), as edgeprobe_* gauges,
// fit for node_exporter's textfile collector (write with --output, atomically, into its directory).
// Units follow Prometheus conventions: milliseconds become seconds, MHz become hertz, names never end in the
// suffixes reserved for histograms, summaries and counters (x_count -> xs); booleans are 0/1;
// string metrics are labels of edgeprobe_info. Null metrics are left out (absent, never 0).

import type { CheckStatus, OverallVerdict, Verdict } from '../judge/verdict.js';
import { METRIC_CATALOGUE } from '../report/metrics.js';
import type { Metrics } from '../report/types.js';

export interface PrometheusItem {
  verdict: Verdict;
  /** The measured metrics (a report's), or a spec sheet's partial map. */
  metrics: Metrics;
  /** Unix time of the measurement, when there is one. */
  measuredAt?: number;
  /** A report's hostname and optional user-given label (stable, unlike its id). */
  hostname?: string;
  label?: string;
}

interface Sample {
  labels: Record<string, string>;
  value: number;
}
interface Family {
  name: string;
  help: string;
  samples: Sample[];
}

export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

/** Prometheus name and scale for a catalogue metric id, e.g. disk.fsync_p99_ms -> edgeprobe_disk_fsync_p99_seconds, /1000. */
export function prometheusName(metricId: string): { name: string; scale: number } {
  let base = metricId.replace(/[^a-zA-Z0-9_]/g, '_');
  let scale = 1;
  if (base.endsWith('_ms')) {
    base = `${base.slice(0, -3)}_seconds`;
    scale = 1 / 1000;
  } else if (base.endsWith('_mhz')) {
    base = `${base.slice(0, -4)}_hertz`;
    scale = 1_000_000;
  } else if (base.endsWith('_count')) {
    // _count is reserved for histograms and summaries: python.interpreter_count -> edgeprobe_python_interpreters.
    base = `${base.slice(0, -'_count'.length)}s`;
  } else if (/_(sum|bucket|total)$/.test(base)) {
    base = `${base}_value`;
  }
  return { name: `edgeprobe_${base}`, scale };
}

const VERDICTS: readonly OverallVerdict[] = ['viable', 'viable-with-warnings', 'not-viable', 'unknown'];
const STATUSES: readonly (CheckStatus | 'allowed')[] = ['pass', 'warn', 'fail', 'unknown', 'allowed'];

type AddSample = (name: string, help: string, labels: Record<string, string>, value: number) => void;

/** The verdict, each check's status, and the counts by status, as 0/1 state gauges and counts. */
function addVerdictSamples(add: AddSample, verdict: Verdict, judged: Record<string, string>): void {
  for (const state of VERDICTS) {
    add(
      'edgeprobe_verdict',
      'Overall verdict of the profile for this device: 1 for the current state, 0 for the others',
      { ...judged, verdict: state },
      verdict.verdict === state ? 1 : 0,
    );
  }
  for (const check of verdict.checks) {
    const current = check.allowed !== undefined ? 'allowed' : check.status;
    for (const status of STATUSES) {
      add(
        'edgeprobe_check_status',
        'Status of one check of the profile: 1 for the current status, 0 for the others',
        { ...judged, check: check.id, metric: check.metric, status },
        current === status ? 1 : 0,
      );
    }
  }
  const counts: Record<string, number> = {
    pass: verdict.counts.pass,
    warn: verdict.counts.warn,
    fail: verdict.counts.fail,
    unknown: verdict.counts.unknown,
    allowed: verdict.counts.allowed,
    not_judged: verdict.counts.notJudged,
  };
  for (const [status, count] of Object.entries(counts)) add('edgeprobe_checks', 'Number of checks of the profile in each status', { ...judged, status }, count);
  // The unknowns beside the verdict: warn-level ones could have warned, fail-level ones could have failed.
  const unknownHelp = 'Checks of the profile that could not be judged (no figure), by the worst they could have been';
  add('edgeprobe_unknown_checks', unknownHelp, { ...judged, could_be: 'warn' }, verdict.counts.unknownWarnLevel);
  add('edgeprobe_unknown_checks', unknownHelp, { ...judged, could_be: 'fail' }, verdict.counts.unknown - verdict.counts.unknownWarnLevel);
}

/** What the capacity estimate found, each figure only when it is known. */
function addCapacitySamples(add: AddSample, cap: Verdict['capacity'], judged: Record<string, string>): void {
  if (cap.workers !== null)
    add('edgeprobe_capacity_workers', 'Recommended number of ASGI or WSGI worker processes', { ...judged, server: cap.server }, cap.workers);
  if (cap.websocketClients !== null) {
    add(
      'edgeprobe_capacity_websocket_clients',
      "Estimated concurrent WebSocket clients at the profile's message rate per client",
      { ...judged, messages_per_client_per_second: String(cap.messagesPerClientPerSecond) },
      cap.websocketClients,
    );
  }
  if (cap.requestsPerSecond !== null) {
    add(
      'edgeprobe_capacity_requests_per_second',
      'Estimated HTTP requests per second the workers serve with p95 within the latency target',
      { ...judged, latency_target_ms: String(cap.latencyTargetMs) },
      cap.requestsPerSecond,
    );
  }
  if (cap.memoryBudgetBytes !== null)
    add('edgeprobe_capacity_memory_budget_bytes', 'Memory left for workers and connections after the OS, services and headroom', judged, cap.memoryBudgetBytes);
  for (const binding of ['memory', 'cpu', 'channel-layer', 'unknown'] as const) {
    add(
      'edgeprobe_capacity_binding',
      'What limits the number of workers: 1 for the binding constraint',
      { ...judged, constraint: binding },
      cap.binding === binding ? 1 : 0,
    );
  }
}

function addMetricSamples(add: AddSample, metrics: Metrics, host: Record<string, string>): void {
  // The measured (or stated) metrics themselves, once per subject.
  const info: Record<string, string> = { ...host };
  for (const spec of METRIC_CATALOGUE) {
    const value = metrics[spec.id];
    if (value === undefined || value === null) continue;
    // Strings, and counts in bits (promtool wants bytes for those), are labels of edgeprobe_info.
    if (typeof value === 'string' || spec.unit === 'bits') {
      info[spec.id.replace(/[^a-zA-Z0-9_]/g, '_')] = String(value);
      continue;
    }
    const { name, scale } = prometheusName(spec.id);
    add(
      name,
      `${spec.description}${scale !== 1 ? ` (converted to ${name.endsWith('_seconds') ? 'seconds' : 'hertz'})` : ''}; edgeprobe metric ${spec.id}`,
      host,
      typeof value === 'boolean' ? (value ? 1 : 0) : value * scale,
    );
  }
  add('edgeprobe_info', 'Text facts about the device (board, OS, kernel, architecture, Python ...) as labels; always 1', info, 1);
}

function renderFamilies(families: Iterable<Family>): string {
  // One family per name, samples deduplicated (the same subject judged under several profiles shares its metrics).
  const lines: string[] = [];
  for (const family of families) {
    lines.push(`# HELP ${family.name} ${family.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
    lines.push(`# TYPE ${family.name} gauge`);
    const seen = new Set<string>();
    for (const sample of family.samples) {
      const labels = Object.entries(sample.labels)
        .map(([k, v]) => `${k}="${escapeLabelValue(v)}"`)
        .join(',');
      if (seen.has(labels)) continue;
      seen.add(labels);
      lines.push(`${family.name}{${labels}} ${formatValue(sample.value)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

export function renderPrometheus(items: readonly PrometheusItem[]): string {
  const families = new Map<string, Family>();
  const add: AddSample = (name, help, labels, value) => {
    let family = families.get(name);
    if (!family) {
      family = { name, help, samples: [] };
      families.set(name, family);
    }
    family.samples.push({ labels, value });
  };
  for (const { verdict, metrics, measuredAt, hostname, label } of items) {
    // Stable labels only (a report id changes every run): the hostname (and label), or a spec sheet's hardware id.
    const host: Record<string, string> = { host: hostname ?? verdict.subject.id, basis: verdict.basis };
    if (label !== undefined) host['label'] = label;
    const judged = { ...host, profile: verdict.profile.name };
    addVerdictSamples(add, verdict, judged);
    addCapacitySamples(add, verdict.capacity, judged);
    addMetricSamples(add, metrics, host);
    if (measuredAt !== undefined) add('edgeprobe_report_timestamp_seconds', 'When the report was measured, as a Unix time', host, measuredAt);
  }
  return renderFamilies(families.values());
}
