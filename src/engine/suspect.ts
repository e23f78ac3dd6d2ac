// One throttled load makes the whole run's load figures suspect: a board that throttled or lost voltage in
// one phase was running at the edge in the others too. Load figures are the metrics the catalogue marks
// `load` (src/report/metrics/define.ts); the judge flags every check of one (src/judge/verdict.ts).
import { metricSpec } from '../report/metrics.js';
import { LOAD_SUSPECT, type ProbeEnvelope, THROTTLED_DURING_LOAD } from '../report/types.js';
import type { ProbeDefinition } from './probe.js';

/** The reason every load figure of this run is suspect, or null. */
export function suspectReason(envelopes: readonly ProbeEnvelope[]): string | null {
  const seen = envelopes.flatMap((e) => {
    const reason = e.details[THROTTLED_DURING_LOAD];
    return typeof reason === 'string' ? [`${e.id}: ${reason}`] : [];
  });
  return seen.length === 0 ? null : `every figure measured under load in this run is suspect: ${seen.join('; ')}`;
}

/** Marks the envelopes that carry load figures (details.loadSuspect, and the probe's own suspect metric). */
export function markSuspectLoads(probes: readonly ProbeDefinition[], envelopes: readonly ProbeEnvelope[]): void {
  const reason = suspectReason(envelopes);
  if (reason === null) return;
  for (const envelope of envelopes) {
    if (envelope.status !== 'ok' || !Object.keys(envelope.metrics).some((id) => metricSpec(id)?.load)) continue;
    envelope.details[LOAD_SUSPECT] = reason;
    const suspectMetric = probes.find((p) => p.id === envelope.id)?.suspectMetric;
    if (suspectMetric && suspectMetric in envelope.metrics) envelope.metrics[suspectMetric] = true;
  }
}
