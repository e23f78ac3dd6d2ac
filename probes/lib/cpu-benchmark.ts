// A fixed-work CPU benchmark. One "operation" is one pass of a small integer kernel (PRNG, multiply, table
// walk, branch): the kind of work an interpreter loop does. Workers run whole chunks of operations until
// the window closes; the score is operations per second, summed over workers.
import { Worker } from 'node:worker_threads';

export const CHUNK_OPERATIONS = 20_000;

// Runs inside each worker (as source text, so it also works from the one-file agent read on stdin).
// It must not refer to anything outside itself.
function benchmarkWorker(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { parentPort } = require('node:worker_threads') as typeof import('node:worker_threads');
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
  // One listener for both messages (the set-up, then "go"): a port with no listener may let the worker exit.
  let config: { windowMs: number; chunkOps: number; warmupMs: number } | null = null;
  let sink = 0;
  parentPort?.on('message', (message: { windowMs: number; chunkOps: number; warmupMs: number } | 'go') => {
    if (message !== 'go') {
      config = message;
      const warmEnd = performance.now() + config.warmupMs;
      while (performance.now() < warmEnd) sink ^= chunk(config.chunkOps);
      parentPort?.postMessage({ ready: true });
      return;
    }
    if (config === null) return;
    const start = performance.now();
    const end = start + config.windowMs;
    let ops = 0;
    do {
      sink ^= chunk(config.chunkOps);
      ops += config.chunkOps;
    } while (performance.now() < end);
    parentPort?.postMessage({ ops, elapsedMs: performance.now() - start, sink });
  });
}

const WORKER_SOURCE = `(${benchmarkWorker.toString()})()`;

export interface BenchmarkResult {
  workers: number;
  operationsPerSecond: number;
  perWorker: number[];
}

/** Runs `workers` threads for `windowMs` each, started together; terminates them on abort. */
export async function runCpuBenchmark(workers: number, windowMs: number, signal?: AbortSignal): Promise<BenchmarkResult> {
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
    const nextMessage = (thread: Worker): Promise<Record<string, number>> =>
      new Promise((resolve) => thread.once('message', (message: Record<string, number>) => resolve(message)));
    const ready = threads.map(nextMessage);
    for (const thread of threads) thread.postMessage({ windowMs, chunkOps: CHUNK_OPERATIONS, warmupMs: Math.min(100, windowMs / 4) });
    await Promise.race([Promise.all(ready), failed]);
    const done = threads.map(nextMessage);
    for (const thread of threads) thread.postMessage('go');
    const results = await Promise.race([Promise.all(done), failed]);
    const perWorker = results.map((r) => ((r['ops'] ?? 0) / (r['elapsedMs'] ?? 1)) * 1000);
    return { workers, operationsPerSecond: Math.round(perWorker.reduce((a, b) => a + b, 0)), perWorker: perWorker.map(Math.round) };
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
