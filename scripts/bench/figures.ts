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
}

export interface BenchOptions {
  runs: number;
  log: (line: string) => void;
}

function agentBundle(): Buffer {
  return readFileSync(join(repoRoot(), 'dist', 'edgeprobe-agent.js'));
}

const NODE = process.execPath;

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

/**
 * Quick probe wall time vs Ansible fact gathering, and the agent's peak RSS vs bare node: the quick probe is
 * the agent as it is deployed (the bundle streamed to `node -` on stdin), Ansible is Debian's ansible-core
 * running its setup module against localhost with the local connection. Runs alternate so that background
 * load hits both alike; each side gets one unmeasured warm-up run (page cache, Python bytecode).
 */
export async function quickProbeFigures(options: BenchOptions): Promise<Figure[]> {
  const bundle = agentBundle();
  const env = { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_HOST_KEY_CHECKING: 'False', ANSIBLE_LOCALHOST_WARNING: 'False', ANSIBLE_INVENTORY_UNPARSED_WARNING: 'False' };
  const quick = (): Promise<Sample> => measure('quick probe', NODE, ['-', 'run', '--quick', '--format', 'json'], { timeoutMs: 60_000, input: bundle, okCodes: [0, 1, 3] });
  const ansible = (): Promise<Sample> => measure('ansible setup', 'ansible', ['localhost', '-c', 'local', '-m', 'setup'], { timeoutMs: 120_000, env, cwd: '/' });
  const bare = (): Promise<Sample> => measure('bare node', NODE, ['-e', '0'], { timeoutMs: 30_000 });
  const shPath = shProbePath();
  const sh = (): Promise<Sample> => measure('sh probe', '/bin/sh', [shPath ?? '', '--quick'], { timeoutMs: 60_000, okCodes: [0, 1, 3] });
  await quick();
  await ansible();
  await bare();
  if (shPath) await sh();
  const quickSamples: Sample[] = [];
  const ansibleSamples: Sample[] = [];
  const bareSamples: Sample[] = [];
  const shSamples: Sample[] = [];
  for (let i = 0; i < options.runs; i++) {
    options.log(`quick probe vs ansible: run ${i + 1}/${options.runs}`);
    quickSamples.push(await quick());
    ansibleSamples.push(await ansible());
    bareSamples.push(await bare());
    if (shPath) shSamples.push(await sh());
  }
  const quickWall = median(quickSamples.map((s) => s.wallMs));
  // Where the quick probe's time goes: each probe's median duration as its report gives it.
  const perProbe = new Map<string, number[]>();
  for (const sample of quickSamples) {
    const report = JSON.parse(sample.result.stdout) as { probes: Array<{ id: string; durationMs: number }> };
    for (const probe of report.probes) perProbe.set(probe.id, [...(perProbe.get(probe.id) ?? []), probe.durationMs]);
  }
  const slowest = [...perProbe].map(([id, values]) => [id, median(values)] as const).sort((a, b) => b[1] - a[1]).slice(0, 4)
    .map(([id, ms]) => `${id} ${Math.round(ms)} ms`).join(', ');
  const ansibleWall = median(ansibleSamples.map((s) => s.wallMs));
  const agentRss = median(quickSamples.map((s) => s.peakRssBytes));
  const bareRss = median(bareSamples.map((s) => s.peakRssBytes));
  const ansibleRss = median(ansibleSamples.map((s) => s.peakRssBytes));
  const figures: Figure[] = [
    {
      id: 'quick_probe_wall', title: 'quick probe wall time', value: quickWall, unit: 'ms',
      reference: '`ansible localhost -c local -m setup`', referenceValue: ansibleWall, ratio: quickWall / ansibleWall,
      target: '≤ 0.2×', met: quickWall / ansibleWall <= 0.2,
      note: `median of ${options.runs} alternating runs; slowest probes (median; all but cpu run concurrently): ${slowest}; Ansible's own peak RSS ${Math.round(ansibleRss / 1024 / 1024)} MiB`,
      samples: { quickMs: quickSamples.map((s) => round(s.wallMs)), ansibleMs: ansibleSamples.map((s) => round(s.wallMs)) },
    },
    {
      id: 'agent_peak_rss', title: 'agent peak RSS (quick probe)', value: agentRss, unit: 'bytes',
      reference: `bare \`node -e 0\` (Node ${process.versions.node})`, referenceValue: bareRss, ratio: agentRss / bareRss,
      target: '≤ 1.3×', met: agentRss / bareRss <= 1.3,
      note: `ru_maxrss via GNU time, median of ${options.runs} runs each`,
      samples: { agentBytes: quickSamples.map((s) => s.peakRssBytes), bareNodeBytes: bareSamples.map((s) => s.peakRssBytes) },
    },
  ];
  if (shPath) {
    const shWall = median(shSamples.map((s) => s.wallMs));
    const shRss = median(shSamples.map((s) => s.peakRssBytes));
    figures.push(
      {
        id: 'sh_probe_wall', title: 'sh probe wall time', value: shWall, unit: 'ms',
        reference: 'Ansible fact gathering (above)', referenceValue: ansibleWall, ratio: shWall / ansibleWall, target: '—', met: null,
        note: `\`sh dist/edgeprobe-probe.sh --quick\` (the assembled probe with its Python helpers, as \`edgeprobe ssh\` sends it) with Debian's dash; median of ${options.runs} runs alternating with the others`,
        samples: { shMs: shSamples.map((s) => round(s.wallMs)) },
      },
      {
        id: 'sh_probe_peak_rss', title: 'sh probe peak RSS', value: shRss, unit: 'bytes',
        reference: 'bare `node -e 0` (above)', referenceValue: bareRss, ratio: shRss / bareRss, target: '—', met: null,
        note: 'ru_maxrss is the largest single process among the shell and the children it waited for (python3 for the python metrics), not their sum',
        samples: { shBytes: shSamples.map((s) => s.peakRssBytes) },
      },
    );
  }
  return figures;
}

export const QUOTAS = [0.25, 0.5, 1, 2] as const;

/** Where the scores come from: the agent as shipped (450 ms window), or the same kernel over a longer window. */
export type ScoreSource = { kind: 'agent' } | { kind: 'kernel'; windowMs: number } | { kind: 'streaming'; durationS: number };

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
      timeoutMs: 120_000, okCodes: [0, 1, 3], ...(input ? { input } : {}),
    });
  } finally {
    await group.remove();
  }
}

async function scoreOnce(quota: number, tag: string, source: ScoreSource, bundle: Buffer): Promise<number> {
  if (source.kind === 'agent') {
    const sample = await inQuota(quota, tag, ['-', 'run', '--only', 'cpu', '--format', 'json'], bundle);
    const report = JSON.parse(sample.result.stdout) as { metrics: Record<string, unknown> };
    const score = report.metrics['cpu.multi_thread_score'];
    const quotaSeen = report.metrics['cpu.quota_cpus'];
    if (typeof score !== 'number') throw new Error(`cpu benchmark at ${quota} CPU reported no multi-thread score`);
    if (quotaSeen !== quota) throw new Error(`the agent saw a quota of ${String(quotaSeen)} CPUs, not ${quota}`);
    return score;
  }
  if (source.kind === 'streaming') {
    const args = ['-', 'run', '--only', 'streaming', '--duration', String(source.durationS), '--timeout', String(source.durationS * 2 + 60), '--format', 'json'];
    const sample = await inQuota(quota, tag, args, bundle);
    const report = JSON.parse(sample.result.stdout) as { metrics: Record<string, unknown> };
    const rate = report.metrics[STREAMING_METRIC];
    if (typeof rate !== 'number') throw new Error(`streaming at ${quota} CPU reported no ${STREAMING_METRIC}`);
    return rate;
  }
  const module = join(repoRoot(), 'dist', 'probes', 'lib', 'cpu-benchmark.js');
  const code = `import(${JSON.stringify(module)}).then((m) => m.runCpuBenchmark(${Math.ceil(quota)}, ${source.windowMs})).then((r) => console.log(r.operationsPerSecond))`;
  const sample = await inQuota(quota, tag, ['-e', code], undefined);
  const score = Number(sample.result.stdout.trim());
  if (!(score > 0)) throw new Error(`cpu benchmark kernel at ${quota} CPU printed no score`);
  return score;
}

/**
 * The CPU benchmark (the multi-thread score: ⌈quota⌉ threads) under cgroup CPU quotas of 0.25, 0.5, 1 and 2 CPUs
 * (CFS period 100 ms, the kernel's and Docker's default), `runs` times each, interleaved across quotas.
 * Linearity compares the score per CPU of quota with the score per CPU at a quota of 1: 1.0 is proportional.
 */
export async function cpuQuotaFigures(options: BenchOptions, source: ScoreSource): Promise<Figure[]> {
  const bundle = agentBundle();
  const label = source.kind === 'agent' ? 'agent CPU score' : source.kind === 'kernel' ? `CPU kernel, ${source.windowMs / 1000} s window,` : 'streaming (node tier) msg/s';
  const idPart = source.kind === 'agent' ? 'cpu' : source.kind === 'kernel' ? 'cpu_kernel' : 'streaming';
  const unit: Figure['unit'] = source.kind === 'streaming' ? 'msg/s' : 'ops/s';
  const scores = new Map<number, number[]>(QUOTAS.map((q) => [q, []]));
  for (let i = 0; i < options.runs; i++) {
    for (const quota of QUOTAS) {
      options.log(`${label} at ${quota} CPU: run ${i + 1}/${options.runs}`);
      scores.get(quota)?.push(await scoreOnce(quota, `${idPart}-${String(quota).replace('.', '_')}-${i}`, source, bundle));
    }
  }
  const perCpuAtOne = median(scores.get(1) ?? []);
  const figures: Figure[] = [];
  for (const quota of QUOTAS) {
    const values = scores.get(quota) ?? [];
    const cv = coefficientOfVariation(values);
    const linearity = median(values) / quota / perCpuAtOne;
    figures.push({
      id: `${idPart}_score_cv_${quota}`, title: `${label} CV at ${quota} CPU`, value: median(values), unit,
      reference: `${options.runs} runs at the same quota`, referenceValue: null, ratio: cv, target: 'CV ≤ 3%', met: cv <= 0.03,
      note: 'ratio column: coefficient of variation (stdev / mean); value: median score', samples: { scores: values },
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

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
