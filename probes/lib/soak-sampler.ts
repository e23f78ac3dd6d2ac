// Once a second during a soak: SoC temperature, cpu0's current clock (scaling_cur_freq), the Raspberry Pi
// get_throttled bits, and how many operations the load completed since the last sample.
import type { ProbeContext } from '../../src/engine/probe.js';
import { readTemperature, readThrottled } from '../cpu.js';
import type { SoakSample } from './parsers/soak.js';

export interface OperationCounter {
  /** Operations since the last call. */
  take(): number;
}

export interface SoakSampler {
  /** Stops sampling and returns the samples so far. */
  stop(): SoakSample[];
}

/** Counts operations for the sampler: the load calls `add` for each one. */
export function operationCounter(): OperationCounter & { add(): void } {
  let count = 0;
  return {
    add() {
      count++;
    },
    take() {
      const taken = count;
      count = 0;
      return taken;
    },
  };
}

async function clockMhz(ctx: ProbeContext): Promise<number | null> {
  const khz = Number((await ctx.readText('/sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq'))?.trim() ?? Number.NaN);
  return Number.isFinite(khz) && khz > 0 ? Math.round(khz / 1000) : null;
}

/** One reading of the board: temperature, cpu0 clock and (when `withThrottled`) get_throttled. */
export async function readBoard(ctx: ProbeContext, withThrottled: boolean): Promise<Omit<SoakSample, 't' | 'operations'>> {
  const [temperature, mhz, throttled] = await Promise.all([readTemperature(ctx), clockMhz(ctx), withThrottled ? readThrottled(ctx) : Promise.resolve(null)]);
  return { celsius: temperature?.celsius ?? null, mhz, throttled: throttled?.value ?? null };
}

/** Samples every `intervalMs` until stopped or the probe is aborted. */
export async function startSoakSampler(
  ctx: ProbeContext,
  counter: OperationCounter,
  intervalMs = 1000,
  requests: OperationCounter | null = null,
): Promise<SoakSampler> {
  const samples: SoakSample[] = [];
  // Boards without get_throttled in sysfs would otherwise start vcgencmd every second, to learn nothing.
  const throttleSource = await readThrottled(ctx);
  const t0 = performance.now();
  let last = t0;
  let busy = false;
  counter.take();
  requests?.take();
  const tick = async (): Promise<void> => {
    if (busy || ctx.signal.aborted) return;
    busy = true;
    try {
      const now = performance.now();
      const seconds = Math.max(0.001, (now - last) / 1000);
      const operations = counter.take() / seconds;
      const answered = requests ? { requests: Math.round((requests.take() / seconds) * 10) / 10 } : {};
      last = now;
      const board = await readBoard(ctx, throttleSource !== null);
      samples.push({ t: Math.round((now - t0) / 100) / 10, ...board, operations: Math.round(operations * 10) / 10, ...answered });
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), intervalMs);
  const stop = (): void => clearInterval(timer);
  ctx.signal.addEventListener('abort', stop, { once: true });
  return {
    stop() {
      stop();
      ctx.signal.removeEventListener('abort', stop);
      return samples;
    },
  };
}
