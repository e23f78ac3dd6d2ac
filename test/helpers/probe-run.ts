// Running probes the way the CLI does, for tests: real runner, real context, one probe or a few.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
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

/** The package root (dist/test/helpers -> ../../..). */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const CLI = `${PACKAGE_ROOT}bin/edgeprobe.js`;

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs the real CLI (bin/edgeprobe.js) with a time limit. */
export function runCli(args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, [CLI, ...args], { env: options.env ?? process.env, cwd: options.cwd ?? PACKAGE_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}
