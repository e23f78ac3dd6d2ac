// Running probes the way the CLI does, for tests: real runner, real context, one probe or a few.
import { readdirSync, readFileSync } from 'node:fs';
import type { ProbeDefinition, RunOptions } from '../../src/engine/probe.js';
import { runProbes } from '../../src/engine/runner.js';
import type { ProbeEnvelope, Report } from '../../src/report/types.js';

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

/** Live processes whose command line mentions `needle` (e.g. a fake program's private path). */
export function processesMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'latin1').includes(needle)) pids.push(Number(entry));
    } catch {
      // gone
    }
  }
  return pids;
}
