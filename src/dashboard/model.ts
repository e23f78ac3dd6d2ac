// What the dashboard derives from a report: which device it belongs to, its canonical form and digest,
// the series its charts draw, and side-by-side comparisons.
import { createHash } from 'node:crypto';
import { METRIC_CATALOGUE } from '../report/metrics.js';
import type { Metrics, MetricValue, Report } from '../report/types.js';

/** A device is named by the report's label, else its hostname. */
export function deviceName(report: Report): string {
  return report.host.label ?? report.host.hostname;
}

/** A stable, URL-safe id for a device name: a readable slug plus a hash, so that names never collide. */
export function deviceIdFor(name: string): string {
  const slug = name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  const hash = createHash('sha256').update(name, 'utf8').digest('hex').slice(0, 8);
  return `${slug || 'device'}-${hash}`;
}

/** JSON with object keys sorted, so that the same report pretty-printed or compact has one digest. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function reportDigest(report: unknown): string {
  return createHash('sha256').update(canonicalJson(report), 'utf8').digest('hex');
}

/** ISO-8601 UTC with milliseconds, so that timestamps from any agent sort as text; null if unplaceable. */
export function normaliseTime(value: string): string | null {
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) return null;
  const iso = new Date(ms).toISOString();
  return /^\d{4}-/.test(iso) ? iso : null;
}

export interface ChartSpec {
  id: string;
  title: string;
  unit: 'bytes' | 'per_second';
  series: { metric: string; label: string }[];
}

/** The device page's history charts. */
export const CHARTS: readonly ChartSpec[] = [
  {
    id: 'memory',
    title: 'Available memory',
    unit: 'bytes',
    series: [
      { metric: 'memory.effective_available_bytes', label: 'effective available' },
      { metric: 'memory.available_bytes', label: 'MemAvailable' },
    ],
  },
  {
    id: 'cpu',
    title: 'CPU score',
    unit: 'per_second',
    series: [
      { metric: 'cpu.single_thread_score', label: 'single thread' },
      { metric: 'cpu.multi_thread_score', label: 'all CPUs' },
    ],
  },
  {
    id: 'streaming',
    title: 'Streaming throughput',
    unit: 'per_second',
    series: [
      { metric: 'streaming.channels_messages_per_second', label: 'Django Channels' },
      { metric: 'streaming.python_messages_per_second', label: 'Python asyncio' },
      { metric: 'streaming.node_messages_per_second', label: 'Node' },
    ],
  },
];

export interface SeriesPoint {
  reportId: string;
  time: string;
  value: number;
}

/** Points of one metric over reports (oldest first); reports where it is null or missing are gaps. */
export function seriesOf(reports: readonly { id: string; createdAt: string; metrics: Metrics }[], metric: string): SeriesPoint[] {
  const points: SeriesPoint[] = [];
  for (const report of [...reports].sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0))) {
    const value = report.metrics[metric];
    if (typeof value === 'number' && Number.isFinite(value)) points.push({ reportId: report.id, time: report.createdAt, value });
  }
  return points;
}

const CATALOGUE_ORDER = new Map(METRIC_CATALOGUE.map((spec, i) => [spec.id, i]));

/** Metric ids in catalogue order, unknown ids after them alphabetically. */
export function orderMetricIds(ids: Iterable<string>): string[] {
  return [...new Set(ids)].sort((a, b) => {
    const ia = CATALOGUE_ORDER.get(a) ?? Number.MAX_SAFE_INTEGER;
    const ib = CATALOGUE_ORDER.get(b) ?? Number.MAX_SAFE_INTEGER;
    return ia !== ib ? ia - ib : a < b ? -1 : a > b ? 1 : 0;
  });
}

/** Do these values differ? Missing and null are treated alike ("not measured"). */
export function valuesDiffer(values: readonly (MetricValue | undefined)[]): boolean {
  const seen = new Set(values.map((v) => (v === undefined || v === null ? 'null' : JSON.stringify(v))));
  return seen.size > 1;
}
