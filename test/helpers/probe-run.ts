// Running probes the way the CLI does, for tests: real runner, real context, one probe or a few.
import type { ProbeDefinition, RunOptions } from '../../src/probe.js';
import type { ProbeEnvelope, Report } from '../../src/report.js';
import { runProbes } from '../../src/runner.js';

export async function runProbe(probe: ProbeDefinition, options: Partial<RunOptions> = {}): Promise<{ envelope: ProbeEnvelope; report: Report }> {
  const report = await runProbes([probe], { root: '/', quick: false, verbose: false, ...options });
  const envelope = report.probes.find((p) => p.id === probe.id);
  if (!envelope) throw new Error(`no envelope for ${probe.id}`);
  return { envelope, report };
}

export function unmeasured(envelope: ProbeEnvelope, id: string): string | undefined {
  const reasons = envelope.details['unmeasured'] as Record<string, string> | undefined;
  return reasons?.[id];
}
