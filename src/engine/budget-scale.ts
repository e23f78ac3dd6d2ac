// Probe budgets that follow the device's speed. Each probe's budget was set for a fast machine; on a slow
// board (a Pi Zero W, or a board emulated by TCG) the same work takes many times longer, and a fixed budget
// turns a slow device into a report of errors. Before the probes start, the runner times two cheap, fixed
// workloads (a pure JavaScript loop and the start of a trivial process), compares them with the same
// workloads on the reference machine, and multiplies every budget by the slowdown, bounded: never below
// today's budgets (factor 1) and never above BUDGET_SCALE_CEILING, so a hanging probe is still cut off.
import { UsageError } from '../platform/errors.js';
import { execCommand } from '../platform/process.js';

/** No budget is ever stretched more than this: a hang is still cut off within a bounded time. */
export const BUDGET_SCALE_CEILING = 10;

/**
 * The calibration workloads on the reference machine: the fastest of repeated runs on one core of the x86-64
 * server (AMD EPYC, node 20) the budgets were set on. A device as fast or faster keeps factor 1.
 */
export const REFERENCE_SPEED: DeviceSpeed = { loopMs: 3.3, spawnMs: 1.9 };

/**
 * The workloads' timings on this device. loopMs is null where V8's compilers are off (a quick run over SSH:
 * the loop would time V8's interpreter, 20 times slower than the reference's compiled loop on the same
 * machine, not the device); spawnMs is null where no /bin/sh could be started.
 */
export interface DeviceSpeed {
  loopMs: number | null;
  spawnMs: number | null;
}

export interface BudgetScale {
  /** Every probe budget (less its fixed load phases) is multiplied by this. */
  factor: number;
  /** Why: measured, overridden, or not applied. */
  reason: string;
  measured?: DeviceSpeed;
  reference?: DeviceSpeed;
  floor: 1;
  ceiling: number;
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

/** The factor for a device whose calibration took `measured`; pure. */
export function budgetScaleFor(measured: DeviceSpeed, reference: DeviceSpeed = REFERENCE_SPEED, ceiling = BUDGET_SCALE_CEILING): BudgetScale {
  const loopRatio = measured.loopMs === null || reference.loopMs === null ? null : measured.loopMs / reference.loopMs;
  const spawnRatio = measured.spawnMs === null || reference.spawnMs === null ? null : measured.spawnMs / reference.spawnMs;
  // Probes both compute and start programs (python, systemctl, servers): the slower of the two sets the pace.
  const slowdown = Math.max(loopRatio ?? 0, spawnRatio ?? 0);
  const factor = Number.isFinite(slowdown) ? round2(Math.min(ceiling, Math.max(1, slowdown))) : 1;
  const parts = [
    loopRatio === null ? 'loop not timed (V8 compilers off)' : `loop ${round2(loopRatio)}x`,
    ...(spawnRatio === null ? [] : [`process start ${round2(spawnRatio)}x`]),
  ];
  const ratios = `${parts.join(', ')} the reference`;
  const bound = slowdown >= ceiling ? ` (capped at ${ceiling})` : slowdown <= 1 ? ' (as fast as the reference or faster: budgets unchanged)' : '';
  return { factor, reason: `measured: ${ratios}${bound}`, measured, reference, floor: 1, ceiling };
}

/** A fixed factor (EDGEPROBE_BUDGET_SCALE, or 1 where nothing is measured), bounded the same way; pure. */
export function fixedBudgetScale(factor: number, reason: string, ceiling = BUDGET_SCALE_CEILING): BudgetScale {
  const bounded = Number.isFinite(factor) ? round2(Math.min(ceiling, Math.max(1, factor))) : 1;
  return { factor: bounded, reason, floor: 1, ceiling };
}

/**
 * The budget a probe runs under: the part that scales (setup, imports, process starts) times the factor, plus
 * the fixed part (load phases whose length the user chose with --duration) unchanged; pure.
 */
export function scaledBudgetMs(baseMs: number, fixedMs: number, factor: number): number {
  const fixed = Math.min(Math.max(0, fixedMs), baseMs);
  return Math.round(fixed + (baseMs - fixed) * factor);
}

/** A loop the JIT compiles to plain integer arithmetic: the device's CPU speed, with no I/O and no allocation. */
function timedLoop(): number {
  const started = performance.now();
  let x = 0x2545f491;
  for (let i = 0; i < 2_000_000; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
  }
  const elapsed = performance.now() - started;
  // Kept alive so the loop cannot be optimised away.
  if (x === 0.5) throw new Error('unreachable');
  return elapsed;
}

async function timedSpawn(): Promise<number | null> {
  const started = performance.now();
  const result = await execCommand('/bin/sh', ['-c', ':'], { timeoutMs: 10_000 });
  return result.code === 0 ? performance.now() - started : null;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** V8 flags under which the loop would run interpreted (QUICK_NODE_FLAGS in src/remote/ssh.ts, or --jitless). */
const COMPILERS_OFF = ['--no-opt', '--jitless'];

/** Times the workloads: one warm-up, then the median of three (a few ms here, about a second under TCG). */
export async function measureDeviceSpeed(execArgv: readonly string[] = process.execArgv): Promise<DeviceSpeed> {
  let loopMs: number | null = null;
  if (!execArgv.some((flag) => COMPILERS_OFF.includes(flag))) {
    timedLoop();
    loopMs = round2(median([timedLoop(), timedLoop(), timedLoop()]));
  }
  await timedSpawn();
  const spawns: number[] = [];
  for (let i = 0; i < 3; i++) {
    const ms = await timedSpawn();
    if (ms === null) break;
    spawns.push(ms);
  }
  return { loopMs, spawnMs: spawns.length === 3 ? round2(median(spawns)) : null };
}

/**
 * The scale of this run: EDGEPROBE_BUDGET_SCALE if set (tests, or an operator who knows the device), factor 1
 * for a recorded tree (nothing runs on the device it came from), else measured here.
 */
export async function runBudgetScale(live: boolean, env: NodeJS.ProcessEnv = process.env): Promise<BudgetScale> {
  const override = env['EDGEPROBE_BUDGET_SCALE'];
  if (override !== undefined && override !== '') {
    const value = Number(override);
    if (!Number.isFinite(value)) throw new UsageError(`EDGEPROBE_BUDGET_SCALE=${override} is not a number (a factor from 1 to ${BUDGET_SCALE_CEILING})`);
    return fixedBudgetScale(value, `set by EDGEPROBE_BUDGET_SCALE=${override}`);
  }
  if (!live) return fixedBudgetScale(1, 'not measured: --root reads a recorded tree, so budgets are unchanged');
  return budgetScaleFor(await measureDeviceSpeed());
}
