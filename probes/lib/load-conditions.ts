// Did the board throttle or lose voltage while a load ran? Every load probe (CPU benchmark, disk and
// storage write tests, streaming, soak) reads the Raspberry Pi firmware's get_throttled bits before and after
// its load and, when they say so, records the reason under `details.throttledDuringLoad`. The runner then marks
// every load figure of the run suspect (src/engine/runner.ts, markSuspectLoads), and the judge says so on
// each check of such a figure.
import type { ProbeContext } from '../../src/engine/probe.js';
import { THROTTLED_DURING_LOAD } from '../../src/report/types.js';
import { readThrottled } from '../cpu.js';

export { THROTTLED_DURING_LOAD };

const hex = (value: number): string => `0x${value.toString(16)}`;

/**
 * Why the load's figures cannot be trusted, from get_throttled before and after it; null when nothing
 * happened (or on boards without the bits). Bits 0-3 are "now" (under-voltage, frequency capped, throttled,
 * soft temperature limit), bits 16-19 the same "since boot": a "now" bit at either end, or a "since boot"
 * bit that appeared during the load, means it happened while the load ran.
 */
export function throttledBetween(before: number | null, after: number | null): string | null {
  if (before === null || after === null) return null;
  const underVoltage = ((before | after) & 0x1) !== 0 || (after & ~before & 0x10000) !== 0;
  const now = ((before | after) & 0xf) !== 0;
  const appeared = (after & ~before & 0xf0000) !== 0;
  if (!now && !appeared) return null;
  const what = underVoltage ? 'under-volted' : 'throttled';
  return `the board ${what} during the load (get_throttled ${hex(before)} -> ${hex(after)})`;
}

export interface ThrottleWatch {
  /** Reads the bits again; the reason when the board throttled or was under-volted meanwhile. */
  finish(): Promise<string | null>;
}

/** Reads get_throttled now; `finish` reads it again after the load. */
export async function watchThrottling(ctx: ProbeContext): Promise<ThrottleWatch> {
  const before = (await readThrottled(ctx))?.value ?? null;
  return {
    async finish() {
      const after = (await readThrottled(ctx))?.value ?? null;
      return throttledBetween(before, after);
    },
  };
}
