// A full run (not --quick) of the agent: its wall time against the time budgets of its phases, and its peak
// RSS against a bare node. The agent is started as `edgeprobe ssh` starts a full run: with V8's defaults.
import { ALL_PROBES } from '../../probes/index.js';
import type { RunOptions } from '../../src/engine/probe.js';
import { agentBundle, type BenchOptions, type Figure, NODE, round } from './figures.js';
import { measure, median, type Sample } from './measure.js';

/** A full run's defaults, as `edgeprobe run` sets them (its --timeout default is 120 s). */
const FULL_RUN: RunOptions = { root: '/', quick: false, verbose: false, timeout: 120 };

/**
 * The runner starts every probe that is not exclusive at once, then the exclusive ones (the load tests) one
 * after another: its phases are the concurrent probes (bounded by the largest of their budgets) and each
 * exclusive probe (its own budget).
 */
export function phaseBudgets(): { phases: Array<{ name: string; budgetMs: number }>; totalMs: number; sumOfProbesMs: number } {
  const concurrent = ALL_PROBES.filter((p) => !p.exclusive);
  const phases = [
    { name: `concurrent (${concurrent.map((p) => p.id).join(', ')})`, budgetMs: Math.max(...concurrent.map((p) => p.budgetMs(FULL_RUN))) },
    ...ALL_PROBES.filter((p) => p.exclusive).map((p) => ({ name: p.id, budgetMs: p.budgetMs(FULL_RUN) })),
  ];
  return {
    phases,
    totalMs: phases.reduce((sum, p) => sum + p.budgetMs, 0),
    sumOfProbesMs: ALL_PROBES.reduce((sum, p) => sum + p.budgetMs(FULL_RUN), 0),
  };
}

export async function fullRunFigures(options: BenchOptions): Promise<Figure[]> {
  const bundle = agentBundle();
  // A full run takes tens of seconds (the streaming load test alone about 20 s): at most three.
  const runs = Math.min(options.runs, 3);
  const full = (): Promise<Sample> => measure('full run', NODE, ['-', 'run', '--format', 'json'], { timeoutMs: 300_000, input: bundle, okCodes: [0, 1, 3] });
  const bare = (): Promise<Sample> => measure('bare node', NODE, ['-e', '0'], { timeoutMs: 30_000 });
  const fullSamples: Sample[] = [];
  const bareSamples: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    options.log(`full run: run ${i + 1}/${runs}`);
    fullSamples.push(await full());
    bareSamples.push(await bare());
  }
  const wall = median(fullSamples.map((s) => s.wallMs));
  const rss = median(fullSamples.map((s) => s.peakRssBytes));
  const bareRss = median(bareSamples.map((s) => s.peakRssBytes));
  const budgets = phaseBudgets();
  const durations = new Map<string, number[]>();
  for (const sample of fullSamples) {
    const report = JSON.parse(sample.result.stdout) as { probes: Array<{ id: string; durationMs: number; status: string }> };
    for (const probe of report.probes) durations.set(probe.id, [...(durations.get(probe.id) ?? []), probe.durationMs]);
  }
  const perProbe = [...durations].map(([id, values]) => `${id} ${Math.round(median(values))} ms`).join(', ');
  return [
    {
      id: 'full_run_wall',
      title: 'full run wall time',
      value: wall,
      unit: 'ms',
      reference: "sum of its phases' budgets",
      referenceValue: budgets.totalMs,
      ratio: wall / budgets.totalMs,
      target: '≤ 1.0×',
      met: wall <= budgets.totalMs,
      note:
        `\`node - run --format json\`, median of ${runs}; phases and budgets: ${budgets.phases.map((p) => `${p.name} ${p.budgetMs / 1000} s`).join(', ')} ` +
        `(every probe's budget added up: ${budgets.sumOfProbesMs / 1000} s; the run's own --timeout: ${FULL_RUN.timeout} s); probes (median): ${perProbe}; ` +
        `CPU time ${Math.round(median(fullSamples.map((s) => s.cpuMs)))} ms`,
      samples: { fullMs: fullSamples.map((s) => round(s.wallMs)), cpuMs: fullSamples.map((s) => round(s.cpuMs)) },
    },
    {
      id: 'full_run_peak_rss',
      title: 'full run peak RSS',
      value: rss,
      unit: 'bytes',
      reference: 'bare `node -e 0`',
      referenceValue: bareRss,
      ratio: rss / bareRss,
      target: '—',
      met: null,
      note: "ru_maxrss via GNU time: the largest single process among the agent and the children it waited for (the streaming probe's echo servers and Django under daphne), not their sum",
      samples: { fullBytes: fullSamples.map((s) => s.peakRssBytes), bareNodeBytes: bareSamples.map((s) => s.peakRssBytes) },
    },
  ];
}
