// Reports for dashboard tests: valid edgeprobe.report/v1 objects (checked by src/report/validate.ts in the tests
// that use them), with the metrics the dashboard charts and compares.
import { randomUUID } from 'node:crypto';
import type { Metrics, Report } from '../../src/report/types.js';

export interface ReportSpec {
  id?: string;
  hostname?: string;
  label?: string;
  createdAt?: string;
  metrics?: Metrics;
}

export const PI3_METRICS: Metrics = {
  'host.board': 'Raspberry Pi 3 Model B Rev 1.2',
  'host.os': 'Raspbian GNU/Linux 12 (bookworm)',
  'host.kernel': '6.1.21-v7+',
  'cpu.arch': 'armv7l',
  'cpu.cores': 4,
  'cpu.effective_cpus': 4,
  'cpu.single_thread_score': 41_000_000,
  'cpu.multi_thread_score': 160_000_000,
  'memory.total_bytes': 969_000_000,
  'memory.available_bytes': 610_000_000,
  'memory.effective_available_bytes': 610_000_000,
  'python.found': true,
  'python.version': '3.11.2',
  'streaming.node_messages_per_second': 9000,
  'streaming.python_messages_per_second': 4200,
  'streaming.channels_messages_per_second': null,
};

export function makeReport(spec: ReportSpec = {}): Report {
  const metrics = { ...(spec.metrics ?? PI3_METRICS) };
  const byProbe = new Map<string, Metrics>();
  for (const [id, value] of Object.entries(metrics)) {
    const probe = id.split('.')[0] ?? 'host';
    byProbe.set(probe, { ...byProbe.get(probe), [id]: value });
  }
  const unmeasured = Object.fromEntries(
    Object.entries(metrics)
      .filter(([, v]) => v === null)
      .map(([id]) => [id, 'not installed on this device']),
  );
  return {
    schema: 'edgeprobe.report/v1',
    id: spec.id ?? randomUUID(),
    createdAt: spec.createdAt ?? new Date().toISOString(),
    agent: { version: '0.1.0', node: 'v18.19.0', mode: 'node' },
    host: { hostname: spec.hostname ?? 'raspberrypi', ...(spec.label !== undefined ? { label: spec.label } : {}) },
    metrics,
    probes: [...byProbe.entries()].map(([id, m]) => ({
      id,
      status: 'ok' as const,
      durationMs: 12,
      metrics: m,
      details: Object.keys(m).some((k) => k in unmeasured)
        ? {
            unmeasured: Object.fromEntries(
              Object.keys(m)
                .filter((k) => k in unmeasured)
                .map((k) => [k, unmeasured[k]]),
            ),
          }
        : {},
    })),
    options: { quick: false, root: '/' },
  };
}

/** A report `days` days before now, with memory and CPU scaled by `factor` (to draw a changing history). */
export function historicReport(spec: ReportSpec & { daysAgo: number; factor: number }): Report {
  const base = spec.metrics ?? PI3_METRICS;
  const metrics: Metrics = { ...base };
  for (const key of [
    'memory.available_bytes',
    'memory.effective_available_bytes',
    'cpu.single_thread_score',
    'cpu.multi_thread_score',
    'streaming.python_messages_per_second',
  ]) {
    const value = base[key];
    if (typeof value === 'number') metrics[key] = Math.round(value * spec.factor);
  }
  return makeReport({ ...spec, metrics, createdAt: new Date(Date.now() - spec.daysAgo * 86_400_000).toISOString() });
}
