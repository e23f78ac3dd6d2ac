// Shared pieces of the capacity estimate (src/judge/capacity.ts): the working, line by line, figures read from
// a report, and how the throughput of several workers is had from what was measured.
import { formatMetric } from '../report/display.js';
import type { Metrics } from '../report/types.js';
import type { CapacityBasis, CapacityEstimate, CapacityLine } from './capacity.js';

export function num(metrics: Metrics, id: string): number | null {
  const value = metrics[id];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

export function present(metrics: Metrics, id: string): boolean {
  const value = metrics[id];
  return value === true || (typeof value === 'string' && value !== '');
}

export const mib = (bytes: number): string => formatMetric('memory.total_bytes', bytes);
export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

export class Working {
  readonly lines: CapacityLine[] = [];
  add(basis: CapacityBasis, text: string): void {
    // The HTTP and the WebSocket estimates may both explain the same scaling: say it once.
    if (!this.lines.some((line) => line.basis === basis && line.text === text)) this.lines.push({ basis, text });
  }
}

/** The measured ratio of the all-CPU to the one-thread score, per CPU: 1.0 is perfect scaling. */
function cpuScalingPerCpu(m: Metrics, cpus: number): number | null {
  const single = num(m, 'cpu.single_thread_score');
  const multi = num(m, 'cpu.multi_thread_score');
  return single !== null && multi !== null && single > 0 && cpus > 0 ? multi / single / cpus : null;
}

/**
 * How much `parallel` workers carry compared with one: interpolated between the measured one-worker and
 * n-worker runs when the django probe ran them, else scaled by the measured CPU-score ratio, else one
 * worker's figure only. Never the number of cores on its own.
 */
export function multiplier(m: Metrics, kind: 'wsgi' | 'asgi', parallel: number, w: Working): { factor: number; scaling: CapacityEstimate['scaling'] } {
  if (parallel <= 1) return { factor: 1, scaling: 'one-worker' };
  const n = num(m, `django.${kind}_workers`);
  const ratio = num(m, `django.${kind}_scaling_ratio`);
  if (n !== null && ratio !== null && n > 1) {
    const factor = Math.max(1, 1 + ((ratio - 1) * (parallel - 1)) / (n - 1));
    w.add(
      'measured',
      `scaling: ${n} ${kind.toUpperCase()} workers served ${ratio.toFixed(2)}× one worker's peak (django.${kind}_scaling_ratio, measured side by side)`,
    );
    if (parallel !== n)
      w.add(
        'derived',
        `scaling: ${parallel} workers ${parallel < n ? 'interpolated' : 'extrapolated'} from the 1- and ${n}-worker runs: ${factor.toFixed(2)}×`,
      );
    return { factor, scaling: 'measured-workers' };
  }
  const cpus = num(m, 'cpu.effective_cpus') ?? num(m, 'cpu.cores');
  const perCpu = cpus === null ? null : cpuScalingPerCpu(m, cpus);
  if (perCpu !== null) {
    const factor = Math.max(1, parallel * Math.min(1, perCpu));
    w.add(
      'measured',
      `scaling: the all-CPU benchmark scored ${(perCpu * 100).toFixed(0)} % per CPU of the one-thread score (cpu.multi_thread_score / cpu.single_thread_score), no multi-worker run`,
    );
    w.add('derived', `scaling: ${parallel} workers × ${Math.min(1, perCpu).toFixed(2)} = ${factor.toFixed(2)}× one worker`);
    return { factor, scaling: 'cpu-score-ratio' };
  }
  w.add('not estimated', `scaling: no multi-worker run and no CPU scores: one worker's figure only, not ${parallel} workers'`);
  return { factor: 1, scaling: 'one-worker' };
}
