// Measuring one command: wall time around the child, peak RSS from Debian's GNU time (/usr/bin/time, which
// reports the child's wait4() ru_maxrss, i.e. the largest resident set of the process and of any waited-for
// descendant), and small statistics over repeated samples.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { execCommand, makeTempDir, removeTemp, type ExecResult } from '../../src/platform/process.js';

export const GNU_TIME = '/usr/bin/time';

export interface Sample {
  wallMs: number;
  /** ru_maxrss of the command, in bytes. */
  peakRssBytes: number;
  /** User plus system CPU time of the command and the children it waited for (GNU time's %U + %S). */
  cpuMs: number;
  result: ExecResult;
}

export interface MeasureOptions {
  timeoutMs: number;
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Exit codes that count as success (default [0]); e.g. `run --only cpu` exits 3 (incomplete report). */
  okCodes?: readonly number[];
}

export function haveGnuTime(): boolean {
  return existsSync(GNU_TIME);
}

/** Runs `file args` once under GNU time; throws when it fails, so that a broken figure is never reported. */
export async function measure(label: string, file: string, args: readonly string[], options: MeasureOptions): Promise<Sample> {
  const dir = makeTempDir('bench');
  try {
    const timeFile = join(dir, 'time');
    const started = performance.now();
    const result = await execCommand(GNU_TIME, ['-f', '%M %U %S', '-o', timeFile, '--', file, ...args], {
      timeoutMs: options.timeoutMs,
      ...(options.input !== undefined ? { input: options.input } : {}),
      ...(options.env !== undefined ? { env: options.env } : {}),
      ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    });
    const wallMs = performance.now() - started;
    if (result.code === null || !(options.okCodes ?? [0]).includes(result.code)) {
      const why = result.spawnError ?? (result.timedOut ? 'timed out' : `exit code ${String(result.code)}`);
      throw new Error(`${label}: ${why}\n${result.stderr.trim().split('\n').slice(-8).join('\n')}`);
    }
    const [kib, user, system] = (readFileSync(timeFile, 'utf8').trim().split('\n').pop() ?? '').split(' ').map(Number);
    if (kib === undefined || !Number.isFinite(kib)) throw new Error(`${label}: GNU time wrote no peak RSS`);
    return { wallMs, peakRssBytes: kib * 1024, cpuMs: ((user ?? Number.NaN) + (system ?? Number.NaN)) * 1000, result };
  } finally {
    removeTemp(dir);
  }
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

/** Coefficient of variation: sample standard deviation over the mean. */
export function coefficientOfVariation(values: readonly number[]): number {
  if (values.length < 2) return Number.NaN;
  const m = mean(values);
  const variance = values.reduce((sum, v) => sum + (v - m) ** 2, 0) / (values.length - 1);
  return Math.sqrt(variance) / m;
}
