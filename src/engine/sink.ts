// Where a probe puts its figures: one call per metric, with the reason that stands in the report when the
// value is null ("could not be measured", never 0). The runner checks types against the catalogue.

import type { Metrics, MetricValue } from '../report/types.js';
import type { ProbeOutput } from './probe.js';

export class MetricSink {
  readonly metrics: Metrics = {};
  readonly unmeasured: Record<string, string> = {};
  readonly details: Record<string, unknown> = {};

  /** Records a value; `undefined` counts as null. A later put of the same id replaces the earlier one. */
  put(id: string, value: MetricValue | undefined, reasonWhenNull: string): void {
    const recorded = value ?? null;
    this.metrics[id] = recorded;
    if (recorded === null) this.unmeasured[id] = reasonWhenNull;
    else delete this.unmeasured[id];
  }

  /** Records every id as null for the same reason (a phase that could not run). */
  putAllNull(ids: readonly string[], reason: string): void {
    for (const id of ids) this.put(id, null, reason);
  }

  has(id: string): boolean {
    return id in this.metrics;
  }

  output(): ProbeOutput {
    return { metrics: this.metrics, details: this.details, unmeasured: this.unmeasured };
  }
}
