// The bench's figures. Each is measured side by side with its reference in the same run and reported as a
// ratio against it, with the target from the project's goals and whether this run met it.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LimitGroup } from '../lab/cgroup-limits.js';
import { repoRoot } from '../lab/userland.js';
import { coefficientOfVariation, measure, median, type Sample } from './measure.js';

export interface Figure {
  id: string;
  title: string;
  value: number | null;
  unit: 'ms' | 'bytes' | 'ops/s' | 'msg/s' | 'req/s' | 'ratio';
  reference: string;
  referenceValue: number | null;
  /** value / referenceValue (or the figure's own definition, e.g. linearity). */
  ratio: number | null;
  target: string;
  /** null when there is no target or nothing was measured. */
  met: boolean | null;
  note: string;
  samples?: Record<string, number[]>;
  /** 1-minute load average when the figure's section started and ended (the machine is shared). */
  load?: { start: number; end: number };
}

export interface BenchOptions {
  runs: number;
  log: (line: string) => void;
}

export function agentBundle(): Buffer {
  return readFileSync(join(repoRoot(), 'dist', 'edgeprobe-agent.js'));
}

export const NODE = process.execPath;

/** The POSIX-sh probe, run with Debian's dash as /bin/sh. */
export function shProbePath(): string | null {
  const path = join(repoRoot(), 'dist', 'edgeprobe-probe.sh');
  return existsSync(path) ? path : null;
}

export function bundleSizeFigure(): Figure {
  const bytes = statSync(join(repoRoot(), 'dist', 'edgeprobe-agent.js')).size;
  const budget = 1024 * 1024;
  return {
    id: 'bundle_size', title: 'agent bundle size', value: bytes, unit: 'bytes',
    reference: 'budget of 1 MiB', referenceValue: budget, ratio: bytes / budget, target: '≤ 1.0×', met: bytes <= budget,
    note: 'dist/edgeprobe-agent.js, minified, dependencies and probe assets included',
  };
}

export const QUOTAS = [0.25, 0.5, 1, 2] as const;

/**
 * Where the scores come from: the agent as shipped (its five 100 ms windows), the same kernel over more
 * windows, or the streaming probe.
 */
export type ScoreSource = { kind: 'agent' } | { kind: 'kernel'; windows: number } | { kind: 'streaming'; durationS: number };

/** The streaming probe, when this tree has it. */
export function haveStreamingProbe(): boolean {
  return existsSync(join(repoRoot(), 'dist', 'probes', 'streaming.js'));
}

export const STREAMING_METRIC = 'streaming.node_messages_per_second';

/** Runs `node ...args` inside a fresh cgroup with a CPU quota and returns the sample. */
async function inQuota(quota: number, tag: string, args: readonly string[], input: Buffer | undefined): Promise<Sample> {
  const group = LimitGroup.create(`edgeprobe-bench-${process.pid}-${tag}`, { cpus: quota });
  try {
    // sh joins the group's hierarchies (the first $1 arguments are cgroup.procs files), then becomes node.
    const join = 'n=$1; shift; while [ "$n" -gt 0 ]; do echo 0 > "$1"; shift; n=$((n - 1)); done; exec "$@"';
    return await measure(`cpu benchmark at ${quota} CPU`, '/bin/sh', ['-c', join, 'sh', String(group.procsFiles.length), ...group.procsFiles, NODE, ...args], {
      timeoutMs: 120_000,
      okCodes: [0, 1, 3],
      ...(input ? { input } : {}),
    });
  } finally {
    await group.remove();
  }
}

/** One score, and the share of the time the benchmark threads waited for a CPU (null where not known). */
interface Score {
  value: number;
  waitShare: number | null;
}

interface AgentReport {
  metrics: Record<string, unknown>;
  probes: Array<{ id: string; details: { benchmark?: { cpuWaitShare?: { multi?: number | null } } } }>;
}

async function agentScore(quota: number, tag: string, bundle: Buffer): Promise<Score> {
  const sample = await inQuota(quota, tag, ['-', 'run', '--only', 'cpu', '--format', 'json'], bundle);
  const report = JSON.parse(sample.result.stdout) as AgentReport;
  const score = report.metrics['cpu.multi_thread_score'];
  const quotaSeen = report.metrics['cpu.quota_cpus'];
  if (typeof score !== 'number') throw new Error(`cpu benchmark at ${quota} CPU reported no multi-thread score`);
  if (quotaSeen !== quota) throw new Error(`the agent saw a quota of ${String(quotaSeen)} CPUs, not ${quota}`);
  return { value: score, waitShare: report.probes.find((p) => p.id === 'cpu')?.details.benchmark?.cpuWaitShare?.multi ?? null };
}

async function scoreOnce(quota: number, tag: string, source: ScoreSource, bundle: Buffer): Promise<Score> {
  if (source.kind === 'agent') return agentScore(quota, tag, bundle);
  if (source.kind === 'streaming') {
    const args = ['-', 'run', '--only', 'streaming', '--duration', String(source.durationS), '--timeout', String(source.durationS * 2 + 60), '--format', 'json'];
    const sample = await inQuota(quota, tag, args, bundle);
    const report = JSON.parse(sample.result.stdout) as { metrics: Record<string, unknown> };
    const rate = report.metrics[STREAMING_METRIC];
    if (typeof rate !== 'number') throw new Error(`streaming at ${quota} CPU reported no ${STREAMING_METRIC}`);
    return { value: rate, waitShare: null };
  }
  const module = join(repoRoot(), 'dist', 'probes', 'lib', 'cpu-benchmark.js');
  const plan = JSON.stringify({ windowMs: 100, windows: source.windows });
  const code = `import(${JSON.stringify(module)}).then((m) => m.runCpuBenchmark(${Math.ceil(quota)}, ${plan})).then((r) => console.log(JSON.stringify([r.operationsPerSecond, r.cpuWaitShare])))`;
  const sample = await inQuota(quota, tag, ['-e', code], undefined);
  const [score, wait] = JSON.parse(sample.result.stdout.trim()) as [number, number | null];
  if (!(score > 0)) throw new Error(`cpu benchmark kernel at ${quota} CPU printed no score`);
  return { value: score, waitShare: wait };
}

function sourceLabel(source: ScoreSource): { label: string; idPart: string } {
  if (source.kind === 'agent') return { label: 'agent CPU score', idPart: 'cpu' };
  if (source.kind === 'kernel') return { label: `CPU kernel, ${source.windows} × 100 ms windows,`, idPart: 'cpu_kernel' };
  return { label: 'streaming (node tier) msg/s', idPart: 'streaming' };
}

function waitNote(waits: ReadonlyArray<number | null>): string {
  const known = waits.filter((w): w is number => w !== null);
  if (known.length === 0) return '';
  return `; the benchmark threads waited for a CPU ${Math.round(median(known) * 100)} % of the time (median; other work on the machine, or the quota)`;
}

/**
 * The CPU benchmark (the multi-thread score: ⌈quota⌉ threads) under cgroup CPU quotas of 0.25, 0.5, 1 and 2 CPUs
 * (CFS period 100 ms, the kernel's and Docker's default), `runs` times each, interleaved across quotas.
 * Linearity compares the score per CPU of quota with the score per CPU at a quota of 1: 1.0 is proportional.
 */
export async function cpuQuotaFigures(options: BenchOptions, source: ScoreSource): Promise<Figure[]> {
  const bundle = agentBundle();
  const { label, idPart } = sourceLabel(source);
  const unit: Figure['unit'] = source.kind === 'streaming' ? 'msg/s' : 'ops/s';
  const scores = new Map<number, Score[]>(QUOTAS.map((q) => [q, []]));
  for (let i = 0; i < options.runs; i++) {
    for (const quota of QUOTAS) {
      options.log(`${label} at ${quota} CPU: run ${i + 1}/${options.runs}`);
      scores.get(quota)?.push(await scoreOnce(quota, `${idPart}-${String(quota).replace('.', '_')}-${i}`, source, bundle));
    }
  }
  const perCpuAtOne = median((scores.get(1) ?? []).map((s) => s.value));
  const figures: Figure[] = [];
  for (const quota of QUOTAS) {
    const runs = scores.get(quota) ?? [];
    const values = runs.map((s) => s.value);
    const cv = coefficientOfVariation(values);
    const linearity = median(values) / quota / perCpuAtOne;
    figures.push({
      id: `${idPart}_score_cv_${quota}`, title: `${label} CV at ${quota} CPU`, value: median(values), unit,
      reference: `${options.runs} runs at the same quota`, referenceValue: null, ratio: cv, target: 'CV ≤ 3%', met: cv <= 0.03,
      note: `ratio column: coefficient of variation (stdev / mean); value: median score${waitNote(runs.map((s) => s.waitShare))}`,
      samples: { scores: values, ...(runs.some((s) => s.waitShare !== null) ? { waitShares: runs.map((s) => s.waitShare ?? Number.NaN) } : {}) },
    });
    if (quota !== 1) {
      figures.push({
        id: `${idPart}_quota_linearity_${quota}`, title: `${label} per CPU at ${quota} vs 1 CPU`, value: median(values) / quota, unit,
        reference: 'per CPU at a quota of 1', referenceValue: perCpuAtOne, ratio: linearity, target: '1.0× ±10%',
        met: Math.abs(linearity - 1) <= 0.1,
        note: source.kind === 'streaming'
          ? 'WebSocket echo on loopback, Node server and clients in the same quota'
          : quota > 1 ? `${Math.ceil(quota)} benchmark threads on a 2-core machine shared with other work` : '1 benchmark thread',
      });
    }
  }
  return figures;
}

/** A figure that could not be measured in this tree, with the reason: reported, never silently dropped. */
export function notMeasured(id: string, title: string, target: string, why: string): Figure {
  return { id, title, value: null, unit: 'ratio', reference: '', referenceValue: null, ratio: null, target, met: null, note: why };
}

export function round(value: number): number {
  return Math.round(value * 10) / 10;
}
