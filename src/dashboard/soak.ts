// The soak's second-by-second series as the dashboard draws it: read from the soak probe's details in a
// report (an upload, so every point is checked), with the throttled stretches marked.
import type { Report } from '../report/types.js';

export interface SoakPoint {
  /** Seconds since the load started. */
  t: number;
  celsius: number | null;
  mhz: number | null;
  /** Messages per second (the Channels load). */
  rate: number | null;
  /** Django HTTP requests per second, when the soak ran them. */
  requests: number | null;
  /** A get_throttled bit was set: now, or newly since boot. */
  throttled: boolean;
}

/** More than the probe ever keeps (600): a report that claims more is cut, not drawn slowly. */
const MAX_POINTS = 2000;

const finite = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);

/** The soak series of a report, oldest first; null when the report holds none. */
export function soakSeries(report: Pick<Report, 'probes'>): SoakPoint[] | null {
  const series = report.probes.find((p) => p.id === 'soak' && p.status === 'ok')?.details['series'];
  if (!Array.isArray(series)) return null;
  const points: SoakPoint[] = [];
  let firstBits: number | null = null;
  for (const item of series.slice(0, MAX_POINTS)) {
    if (item === null || typeof item !== 'object') continue;
    const record = item as Record<string, unknown>;
    const t = finite(record['t']);
    if (t === null || t < 0) continue;
    const bits = finite(record['throttled']);
    if (bits !== null) firstBits ??= bits;
    const throttled = bits !== null && ((bits & 0xf) !== 0 || (bits & ~(firstBits ?? 0) & 0xf0000) !== 0);
    points.push({
      t,
      celsius: finite(record['celsius']),
      mhz: finite(record['mhz']),
      rate: finite(record['operations']),
      requests: finite(record['requests']),
      throttled,
    });
  }
  points.sort((a, b) => a.t - b.t);
  return points.length >= 2 ? points : null;
}

/** Stretches [from, to] in seconds during which the board was throttled. */
export function throttledSpans(points: readonly SoakPoint[]): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  let start: number | null = null;
  let previous = 0;
  for (const point of points) {
    if (point.throttled && start === null) start = previous;
    if (!point.throttled && start !== null) {
      spans.push([start, previous]);
      start = null;
    }
    previous = point.t;
  }
  if (start !== null) spans.push([start, previous]);
  return spans;
}
