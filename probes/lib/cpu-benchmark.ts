// A fixed-work CPU benchmark. One "operation" is one pass of a small integer kernel (PRNG, multiply, table
// walk, branch): the kind of work an interpreter loop does. Workers run whole chunks of operations through
// a few back-to-back windows; the score is operations per second, summed over workers.
//
// How the window is chosen. A CPU quota is enforced per CFS period (100 ms unless changed: the kernel's,
// Docker's and systemd's default): a capped thread runs its share at the start of each period and waits
// out the rest. A window of a whole number of periods holds exactly that share whatever its phase, while
// the former 450 ms window held 4 or 5 slices of it (a quarter CPU: ±11 %). And only operations finished
// inside the window count, divided by the window itself, so a chunk that straddles the end (and the wait
// that may come with it) cannot stretch the measurement.
//
// How many windows. Each window is scored on its own, each worker's score is the median of its windows, and
// the workers' scores add up (scoreWindows says why per worker rather than window by window): a burst of
// other work (a cron job, the shell of the person running the probe) spoils a window, not the figure. Ten
// 100 ms windows: the median tolerates four spoiled ones per worker, and it also evens out the kernel
// handing a quota out in 5 ms slices (one 100 ms window under a quarter CPU holds 25 ms of running, give or
// take a slice). Measured on a 2-CPU VM under quotas of 0.25 and 0.5 CPU (CV over 5 to
// 10 runs): five 100 ms windows 6-13 % and 4-8 %, twenty 100 ms windows 3.9-4.3 % and 2.7 %, ten of 200 ms
// 3.4 % and 4.2 %, five of 400 ms 4.0 % and 4.7 %: past about a second of windows the VM's own noise
// dominates. One second per benchmark (single- and multi-thread: two seconds of a full run, which takes
// about a minute) is where more stops paying.
import type { Worker } from 'node:worker_threads';

export const CHUNK_OPERATIONS = 20_000;
/** The kernel's default CFS period (cpu.cfs_period_us, cpu.max): a window holds whole periods. */
export const WINDOW_MS = 100;
export const WINDOWS = 10;

export interface BenchmarkPlan {
  windowMs: number;
  windows: number;
}

export const DEFAULT_PLAN: BenchmarkPlan = { windowMs: WINDOW_MS, windows: WINDOWS };

interface WorkerReport {
  /** Operations finished in each window. */
  opsPerWindow: number[];
  /** Nanoseconds the thread was runnable but not running (/proc/thread-self/schedstat), null if unreadable. */
  waitNs: number | null;
  sink: number;
}

// Runs inside each worker (as source text, so it also works from the one-file agent read on stdin).
// It must not refer to anything outside itself. Longer than 60 lines because it is one self-contained
// program: the kernel, the warm-up, the windows and the scheduler statistics.
function benchmarkWorker(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { parentPort } = require('node:worker_threads') as typeof import('node:worker_threads');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { readFileSync } = require('node:fs') as typeof import('node:fs');
  const table = new Int32Array(4096);
  for (let i = 0; i < table.length; i++) table[i] = (i * 2654435761) | 0;
  let state = 0x9e3779b9 | 0;
  const chunk = (ops: number): number => {
    let acc = 0;
    for (let i = 0; i < ops; i++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      const index = (state >>> 20) & 4095;
      const value = table[index] ?? 0;
      acc = (acc + Math.imul(value, 31)) | 0;
      if ((acc & 7) === 3) table[index] = acc;
      else acc ^= index;
    }
    return acc;
  };
  // Time this thread spent runnable but waiting for a CPU (other work, or the quota); null where the kernel
  // keeps no scheduler statistics.
  const waitedNs = (): number | null => {
    try {
      const value = Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[1]);
      return Number.isFinite(value) ? value : null;
    } catch {
      return null;
    }
  };
  type Config = { windowMs: number; windows: number; chunkOps: number; warmupMs: number };
  // One listener for both messages (the set-up, then "go"): a port with no listener may let the worker exit.
  let config: Config | null = null;
  let sink = 0;
  parentPort?.on('message', (message: Config | 'go') => {
    if (message !== 'go') {
      config = message;
      const warmEnd = performance.now() + config.warmupMs;
      while (performance.now() < warmEnd) sink ^= chunk(config.chunkOps);
      parentPort?.postMessage({ ready: true });
      return;
    }
    if (config === null) return;
    const { windowMs, windows, chunkOps } = config;
    const opsPerWindow = new Array<number>(windows).fill(0);
    const waitBefore = waitedNs();
    const start = performance.now();
    for (;;) {
      sink ^= chunk(chunkOps);
      // A chunk counts in the window it finished in; one finished after the last window does not count.
      const window = Math.floor((performance.now() - start) / windowMs);
      if (window >= windows) break;
      opsPerWindow[window] = (opsPerWindow[window] ?? 0) + chunkOps;
    }
    const waitAfter = waitedNs();
    const report: WorkerReport = { opsPerWindow, waitNs: waitBefore === null || waitAfter === null ? null : waitAfter - waitBefore, sink };
    parentPort?.postMessage(report);
  });
}

const WORKER_SOURCE = `(${benchmarkWorker.toString()})()`;

export interface BenchmarkResult {
  workers: number;
  /** Operations per second of all workers together: the sum of each worker's median window. */
  operationsPerSecond: number;
  /** Each worker's median over the windows, operations per second. */
  perWorker: number[];
  /** All workers together, each window, operations per second. */
  perWindow: number[];
  windowMs: number;
  /** Share of the workers' time spent runnable but not running: other work on the machine, or the CPU quota. */
  cpuWaitShare: number | null;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/**
 * Scores what the workers reported: each worker's median window, added up. Each worker is scored on its
 * own because other work on the machine takes its CPU time from one thread at a time: with two workers, a
 * burst that hits worker 1 in window 3 and worker 2 in window 7 spoils two of the windows summed across
 * workers, but only one of each worker's. A worker's median is its rate when undisturbed, and the workers
 * run at once, so the total is their sum (one worker: its median, as before).
 */
export function scoreWindows(
  reports: ReadonlyArray<{ opsPerWindow: readonly number[] }>,
  windowMs: number,
): { total: number; perWorker: number[]; perWindow: number[] } {
  const windows = Math.max(0, ...reports.map((r) => r.opsPerWindow.length));
  const rate = (ops: number): number => (ops / windowMs) * 1000;
  const perWindow = Array.from({ length: windows }, (_, w) => rate(reports.reduce((sum, r) => sum + (r.opsPerWindow[w] ?? 0), 0)));
  const perWorker = reports.map((r) => median(r.opsPerWindow.map(rate)));
  return { total: perWorker.reduce((sum, value) => sum + value, 0), perWorker, perWindow };
}

/** Runs `workers` threads through the plan's windows, started together; terminates them on abort. */
export async function runCpuBenchmark(workers: number, plan: BenchmarkPlan = DEFAULT_PLAN, signal?: AbortSignal): Promise<BenchmarkResult> {
  // Loaded here: a run that benchmarks nothing (--quick) need not load the worker machinery.
  const { Worker } = await import('node:worker_threads');
  const threads: Worker[] = [];
  const stopAll = (): void => {
    for (const thread of threads) void thread.terminate();
  };
  signal?.addEventListener('abort', stopAll, { once: true });
  try {
    for (let i = 0; i < workers; i++) threads.push(new Worker(WORKER_SOURCE, { eval: true }));
    const failed = new Promise<never>((_resolve, reject) => {
      for (const thread of threads) {
        thread.once('error', reject);
        thread.once('exit', (code) => reject(new Error(`benchmark worker exited with code ${code}`)));
      }
      signal?.addEventListener('abort', () => reject(new Error('benchmark aborted')), { once: true });
    });
    failed.catch(() => undefined);
    const nextMessage = <T>(thread: Worker): Promise<T> => new Promise((resolve) => thread.once('message', (message: T) => resolve(message)));
    const ready = threads.map((thread) => nextMessage<unknown>(thread));
    const warmupMs = Math.min(100, (plan.windowMs * plan.windows) / 4);
    for (const thread of threads) thread.postMessage({ windowMs: plan.windowMs, windows: plan.windows, chunkOps: CHUNK_OPERATIONS, warmupMs });
    await Promise.race([Promise.all(ready), failed]);
    const done = threads.map((thread) => nextMessage<WorkerReport>(thread));
    for (const thread of threads) thread.postMessage('go');
    const reports = await Promise.race([Promise.all(done), failed]);
    const scored = scoreWindows(reports, plan.windowMs);
    const waits = reports.map((r) => r.waitNs);
    const measuredNs = workers * plan.windowMs * plan.windows * 1e6;
    return {
      workers,
      operationsPerSecond: Math.round(scored.total),
      perWorker: scored.perWorker.map(Math.round),
      perWindow: scored.perWindow.map(Math.round),
      windowMs: plan.windowMs,
      cpuWaitShare: waits.some((w) => w === null) ? null : Math.round(((waits as number[]).reduce((a, b) => a + b, 0) / measuredNs) * 1000) / 1000,
    };
  } finally {
    signal?.removeEventListener('abort', stopAll);
    for (const thread of threads) {
      thread.removeAllListeners('exit');
      thread.removeAllListeners('error');
      thread.on('error', () => undefined);
    }
    stopAll();
  }
}
