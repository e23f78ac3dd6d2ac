// Figures the reliability suite reports. Each suite appends its counts; scripts/run-tests.mjs adds them up,
// prints the summary and fails the run where a figure that must be zero is not.
import { appendFileSync } from 'node:fs';

export interface ReliabilityFigures {
  trials?: number;
  faultsInjected?: number;
  bodiesSent?: number;
  fiveHundreds?: number;
  reportsLost?: number;
  leftovers?: number;
}

export function recordFigures(suite: string, figures: ReliabilityFigures): void {
  const file = process.env['EDGEPROBE_RELIABILITY_FIGURES'];
  if (!file) return;
  appendFileSync(file, `${JSON.stringify({ suite, ...figures })}\n`);
}
