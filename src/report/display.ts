// Units a person reads. Used by every human-facing renderer.
import { metricSpec } from './metrics.js';
import type { MetricValue } from './types.js';

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toFixed(digits)} ${units[unit]}`;
}

export function formatCount(value: number): string {
  if (Math.abs(value) >= 1_000_000) return `${(value / 1_000_000).toFixed(2)} M`;
  if (Math.abs(value) >= 10_000) return `${(value / 1_000).toFixed(1)} k`;
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

/** A metric value with its unit, for people. Null is the caller's business (it needs a reason). */
export function formatMetric(id: string, value: Exclude<MetricValue, null>): string {
  if (typeof value !== 'number') return String(value);
  switch (metricSpec(id)?.unit) {
    case 'bytes': return formatBytes(value);
    case 'bytes_per_second': return `${formatBytes(value)}/s`;
    case 'bytes_per_hour': return `${formatBytes(value)}/h`;
    case 'years': return `${value < 10 ? value.toFixed(1) : Math.round(value)} years`;
    case 'mhz': return value >= 1000 ? `${(value / 1000).toFixed(2)} GHz` : `${value} MHz`;
    case 'ms': return `${value < 10 ? value.toFixed(2) : value.toFixed(1)} ms`;
    case 'seconds': return `${value.toFixed(2)} s`;
    case 'celsius': return `${value.toFixed(1)} °C`;
    case 'per_second': return `${formatCount(value)}/s`;
    case 'cpus': return `${Number.isInteger(value) ? value : value.toFixed(2)} CPU${value === 1 ? '' : 's'}`;
    case 'bits': return `${value}-bit`;
    default: return formatCount(value);
  }
}
