// The django probe's HTTP load generator: closed-loop clients inside the agent, each with its own keep-alive
// connection from a node:http Agent, sending GETs to 127.0.0.1 one after another for a bounded time or a
// fixed number of requests. node:http rather than undici: it is built in, so the one-file agent stays small
// (the agent bundle aliases undici to a fetch shim, which has no connection pool to size).
import { Agent, request } from 'node:http';
import { percentile, roundTo } from '../streaming/stats.js';

export interface StepOptions {
  port: number;
  concurrency: number;
  /** The clients cycle through these paths, each starting at a different one. */
  paths: readonly string[];
  durationMs: number;
  /** Stop after this many requests in all (the growth and warm-up phases), or when the time is up. */
  maxRequests?: number;
  requestTimeoutMs: number;
  /** Called for every 200 answer (the soak counts them second by second). */
  onResponse?: () => void;
}

export interface StepResult {
  concurrency: number;
  elapsedMs: number;
  ok: number;
  errors: number;
  errorKinds: Record<string, number>;
  requestsPerSecond: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  /** Requests answered per worker pid (the X-Edgeprobe-Worker header). */
  workers: Record<string, number>;
  /** CPU time the agent itself used during the step: the driver shares the device with the server. */
  driverCpuMs: number;
  /** Ended early: the server stopped answering. */
  abandoned: boolean;
}

interface Answer {
  status: number;
  worker: string | null;
}

function getOnce(agent: Agent, port: number, path: string, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', agent, headers: { Host: '127.0.0.1', Accept: '*/*' }, timeout: timeoutMs }, (res) => {
      res.on('data', () => undefined);
      res.on('error', reject);
      res.on('end', () => {
        const worker = res.headers['x-edgeprobe-worker'];
        resolve({ status: res.statusCode ?? 0, worker: typeof worker === 'string' ? worker : null });
      });
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'timeout' })));
    req.on('error', reject);
    req.end();
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One closed-loop step at a fixed concurrency. Never rejects: failures are counted by kind. */
export async function runStep(options: StepOptions, signal: AbortSignal): Promise<StepResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency, maxFreeSockets: options.concurrency });
  const latencies: number[] = [];
  const errorKinds: Record<string, number> = {};
  const workers: Record<string, number> = {};
  let errors = 0;
  let issued = 0;
  let abandoned = false;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const end = started + options.durationMs;
  const more = (): boolean => !signal.aborted && !abandoned && performance.now() < end && (options.maxRequests === undefined || issued < options.maxRequests);
  const client = async (index: number): Promise<void> => {
    for (let turn = index; more(); turn++) {
      issued++;
      const path = options.paths[turn % options.paths.length] ?? '/';
      const t0 = performance.now();
      try {
        const answer = await getOnce(agent, options.port, path, options.requestTimeoutMs);
        if (answer.status === 200) {
          latencies.push(performance.now() - t0);
          options.onResponse?.();
          if (answer.worker) workers[answer.worker] = (workers[answer.worker] ?? 0) + 1;
          continue;
        }
        errorKinds[`HTTP ${answer.status}`] = (errorKinds[`HTTP ${answer.status}`] ?? 0) + 1;
      } catch (err) {
        const kind = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
        errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
      }
      errors++;
      // A server that is gone refuses at once: do not spin, and give up when failures dominate.
      if (errors >= 20 && errors > latencies.length) abandoned = true;
      await sleep(10);
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency }, (_, i) => client(i)));
  } finally {
    agent.destroy();
  }
  const elapsedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const p = (q: number): number | null => {
    const value = percentile(latencies, q);
    return value === null ? null : roundTo(value, 2);
  };
  return {
    concurrency: options.concurrency,
    elapsedMs: Math.round(elapsedMs),
    ok: latencies.length,
    errors,
    errorKinds,
    requestsPerSecond: elapsedMs > 0 ? roundTo((latencies.length / elapsedMs) * 1000, 1) : 0,
    p50Ms: p(50),
    p95Ms: p(95),
    p99Ms: p(99),
    maxMs:
      latencies.length > 0
        ? roundTo(
            latencies.reduce((a, b) => Math.max(a, b), 0),
            2,
          )
        : null,
    workers,
    driverCpuMs: Math.round((cpu.user + cpu.system) / 1000),
    abandoned,
  };
}
