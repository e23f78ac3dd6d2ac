// The edgeprobe.report/v1 contract: what the agent writes and everything else reads.
// The JSON Schema twin of these types is src/report/report.v1.schema.json; src/report/validate.ts checks both agree at runtime.

export const REPORT_SCHEMA = 'edgeprobe.report/v1';

export type MetricValue = number | string | boolean | null;
export type Metrics = Record<string, MetricValue>;

export type ProbeStatus = 'ok' | 'error' | 'skipped';

export interface ProbeError {
  code: string;
  message: string;
}

/**
 * One probe's result. `details.unmeasured` maps a metric id to the reason it is null;
 * `details.skipReason` says why a skipped probe did not run.
 */
export interface ProbeEnvelope {
  id: string;
  status: ProbeStatus;
  durationMs: number;
  /** The time budget the probe ran under (scaled to the device's speed; see options.budgetScale). */
  budgetMs?: number;
  metrics: Metrics;
  details: Record<string, unknown>;
  error?: ProbeError;
}

export type AgentMode = 'node' | 'posix-sh';

export interface ReportAgent {
  version: string;
  node: string | null;
  mode: AgentMode;
}

export interface ReportHost {
  hostname: string;
  /** Optional user-given name, e.g. the inventory name of an SSH target. */
  label?: string;
}

export interface Report {
  schema: typeof REPORT_SCHEMA;
  id: string;
  createdAt: string;
  agent: ReportAgent;
  host: ReportHost;
  metrics: Metrics;
  probes: ProbeEnvelope[];
  options: Record<string, unknown>;
}

/**
 * The details key under which a load probe records why its load ran on a throttled or under-volted board
 * (probes/lib/load-conditions.ts). Any such reason makes every load figure of the run suspect.
 */
export const THROTTLED_DURING_LOAD = 'throttledDuringLoad';
/** The details key the runner sets on every probe with load figures when the run is suspect (src/engine/suspect.ts). */
export const LOAD_SUSPECT = 'loadSuspect';

/** Why a metric is null, looked up across all probes of a report. */
export function unmeasuredReason(report: Pick<Report, 'probes'>, metricId: string): string | null {
  const probeId = metricId.split('.')[0];
  for (const probe of report.probes) {
    const reasons = probe.details['unmeasured'];
    if (reasons && typeof reasons === 'object' && metricId in reasons) {
      const reason = (reasons as Record<string, unknown>)[metricId];
      if (typeof reason === 'string') return reason;
    }
  }
  const owner = report.probes.find((p) => p.id === probeId);
  if (!owner) return `probe "${probeId}" did not run`;
  if (owner.status === 'error') return `probe "${probeId}" failed: ${owner.error?.message ?? 'unknown error'}`;
  if (owner.status === 'skipped') {
    const why = owner.details['skipReason'];
    return `probe "${probeId}" skipped${typeof why === 'string' ? `: ${why}` : ''}`;
  }
  return null;
}
