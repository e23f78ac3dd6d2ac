// What every supervision backend shares: the supervisor record, the active-test result, and the waits.
import type { ProbeContext } from '../../src/engine/probe.js';
import type { ProcessInfo } from '../lib/executables.js';
import type { InitKind } from '../lib/parsers/supervision.js';

export const CMD_TIMEOUT_MS = 8_000;
/** How long a killed process may take to come back before the test says it did not. */
export const RESTART_WAIT_MS = 15_000;

export interface Supervisor {
  name: string;
  /** Can restart a crashed process now. */
  usable: boolean;
  /** Will itself be running after a reboot. */
  startsAtBoot: boolean | null;
  evidence: string[];
}

/** What a backend looks at: pid 1's kind and the process table, read once for all of them. */
export interface SupervisionScene {
  ctx: ProbeContext;
  init: { kind: InitKind; name: string; exe: string | null; argv: string[] };
  processes: ProcessInfo[];
}

export interface ActiveResult {
  verified: boolean | null;
  reason: string | null;
  details: Record<string, unknown>;
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(ctx: ProbeContext, timeoutMs: number, poll: () => Promise<T | null>): Promise<T | null> {
  const until = performance.now() + timeoutMs;
  while (performance.now() < until && !ctx.signal.aborted) {
    const value = await poll();
    if (value !== null) return value;
    await sleep(200);
  }
  return null;
}
