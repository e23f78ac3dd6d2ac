// The metric catalogue: the one list of metrics. Each probe's entries live in src/report/metrics/<probe>.ts;
// probes declare their metrics from here, the judge derives its informational and spec-sheet lists from here,
// and the POSIX-sh probe, the docs and the report schema read the same list (docs/architecture.md, "The metric catalogue"; the generated list is docs/metrics.md).
// Adding an id is fine; renaming or removing one means a new report schema version.
import { CPU_METRICS } from './metrics/cpu.js';
import type { MetricSpec } from './metrics/define.js';
import { DISK_METRICS } from './metrics/disk.js';
import { DJANGO_METRICS } from './metrics/django.js';
import { HOST_METRICS } from './metrics/host.js';
import { MEMORY_METRICS } from './metrics/memory.js';
import { PYTHON_METRICS } from './metrics/python.js';
import { SOAK_METRICS } from './metrics/soak.js';
import { STACK_METRICS } from './metrics/stack.js';
import { STORAGE_METRICS } from './metrics/storage.js';
import { STREAMING_METRICS } from './metrics/streaming.js';
import { SUPERVISION_METRICS } from './metrics/supervision.js';

export type { MetricSpec, MetricType, MetricUnit } from './metrics/define.js';

export const METRIC_CATALOGUE: readonly MetricSpec[] = [
  ...HOST_METRICS, ...CPU_METRICS, ...MEMORY_METRICS, ...PYTHON_METRICS, ...SUPERVISION_METRICS, ...STACK_METRICS,
  ...DISK_METRICS, ...STREAMING_METRICS, ...DJANGO_METRICS, ...STORAGE_METRICS, ...SOAK_METRICS,
];

const byId = new Map(METRIC_CATALOGUE.map((m) => [m.id, m]));

export function metricSpec(id: string): MetricSpec | undefined {
  return byId.get(id);
}

/** The ids a probe owns, in catalogue order: what its envelope carries, null with a reason where unmeasured. */
export function metricIdsOf(probe: string): readonly string[] {
  const ids = METRIC_CATALOGUE.filter((m) => m.probe === probe).map((m) => m.id);
  if (ids.length === 0) throw new Error(`the metric catalogue has no metrics for probe "${probe}"`);
  return ids;
}

/** Metrics no profile may judge: facts for people, not requirements. */
export const INFORMATIONAL_METRICS: readonly string[] = METRIC_CATALOGUE.filter((m) => !m.judged).map((m) => m.id);

/** The metrics a hardware spec sheet can state. A check on any other metric needs a measured report. */
export const SPEC_SHEET_METRICS: readonly string[] = METRIC_CATALOGUE.filter((m) => m.specSheet).map((m) => m.id);

/** Checks one value against the catalogue; returns a problem or null. Unknown ids are allowed (forward-compatible). */
export function metricValueProblem(id: string, value: unknown): string | null {
  const spec = byId.get(id);
  if (!spec) return null;
  if (value === null) return spec.nullable ? null : `${id} may not be null`;
  if (typeof value !== spec.type) return `${id} must be a ${spec.type}${spec.nullable ? ' or null' : ''}, got ${typeof value}`;
  if (typeof value === 'number' && !Number.isFinite(value)) return `${id} must be a finite number`;
  return null;
}
