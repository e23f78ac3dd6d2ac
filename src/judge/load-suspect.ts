// Load figures of a run in which the board throttled or lost voltage: the runner marks the probes
// (src/engine/suspect.ts, details.loadSuspect); the judge flags each check of such a figure and notes why.
import { metricSpec } from '../report/metrics.js';
import { LOAD_SUSPECT, type Report } from '../report/types.js';

/** A load figure's suspicion: its probe's details.loadSuspect (src/engine/suspect.ts) when the catalogue marks it `load`. */
export function loadSuspectReason(report: Report, metric: string): string | null {
  if (!metricSpec(metric)?.load) return null;
  const reason = report.probes.find((p) => p.id === metric.split('.')[0])?.details[LOAD_SUSPECT];
  return typeof reason === 'string' ? reason : null;
}

/** The run's suspicion, once, for the verdict's notes. */
export function suspectNotes(report: Report): string[] {
  const reason = report.probes.map((p) => p.details[LOAD_SUSPECT]).find((r): r is string => typeof r === 'string');
  return reason ? [reason] : [];
}
