// One server run of the django probe: start (timing the cold start), warm up, read each worker's memory,
// climb the concurrency ladder until p95 leaves the latency target, and (one-worker runs) watch memory over a
// fixed number of requests. Every phase is bounded by the run's deadline; the server is always stopped.
import { readFile } from 'node:fs/promises';
import { GROWTH_REQUESTS } from '../../../src/report/metrics/django.js';
import type { ProcessMemory } from '../parsers/smaps.js';
import { runStep, type StepResult } from './http-load.js';
import { CONCURRENCY_LADDER, shouldClimb } from './plan.js';
import { type DjangoServerName, processMemory, type RunningDjangoServer, startDjangoServer } from './server.js';

export const PATHS = ['/page/', '/orm/', '/json/'] as const;
const REQUEST_TIMEOUT_MS = 10_000;
/** The growth phase may take this long when the run's time allows, whatever the step length. */
const GROWTH_MAX_MS = 15_000;

export interface ServerRunSetup {
  server: DjangoServerName;
  workers: number;
  python: string;
  projectDir: string;
  env: NodeJS.ProcessEnv;
  targetMs: number;
  stepMs: number;
  maxConcurrency: number;
  /** performance.now() by which the run must be over, server stopped. */
  deadline: number;
  /** One-worker runs also measure memory growth over GROWTH_REQUESTS requests. */
  growth: boolean;
  log(message: string): void;
}

export interface MemoryReading extends ProcessMemory {
  pid: number;
}

export interface GrowthResult {
  requests: number;
  errors: number;
  before: MemoryReading | null;
  after: MemoryReading | null;
  /** Null with `reason` when the phase did not complete its requests. */
  growthBytes: number | null;
  reason?: string;
}

export interface ServerRunResult {
  server: DjangoServerName;
  workers: number;
  pid: number;
  port: number;
  coldStartMs: number;
  workerMemory: MemoryReading[];
  /** The supervising process, when it is not itself the worker. */
  masterMemory: MemoryReading | null;
  warmup: StepResult;
  ladder: StepResult[];
  /** Why the ladder stopped climbing. */
  ladderEnd: string;
  growth: GrowthResult | null;
  /** Distinct worker pids that answered during the ladder. */
  workersAnswering: number;
  errors: number;
}

export class ServerCrashed extends Error {}

async function alive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return !/^\S+ \(.*\) Z /s.test(stat);
  } catch {
    return false;
  }
}

async function memoryOf(pid: number): Promise<MemoryReading | null> {
  const memory = await processMemory(pid);
  return memory ? { pid, ...memory } : null;
}

/** Throws when the server or one of its workers has died: a crash is an error, never a low figure. */
async function checkAlive(server: RunningDjangoServer, name: string, phase: string): Promise<void> {
  const exit = server.exited();
  if (exit !== null) throw new ServerCrashed(`${name} exited during the ${phase} (${exit})`);
  for (const pid of server.workerPids()) {
    if (!(await alive(pid))) throw new ServerCrashed(`${name} worker ${pid} died during the ${phase}`);
  }
}

async function climb(setup: ServerRunSetup, server: RunningDjangoServer, signal: AbortSignal): Promise<{ ladder: StepResult[]; end: string }> {
  const ladder: StepResult[] = [];
  for (const concurrency of CONCURRENCY_LADDER.filter((c) => c <= setup.maxConcurrency)) {
    if (performance.now() + setup.stepMs > setup.deadline) return { ladder, end: `out of time before ${concurrency} clients` };
    const step = await runStep({ port: server.port, concurrency, paths: PATHS, durationMs: setup.stepMs, requestTimeoutMs: REQUEST_TIMEOUT_MS }, signal);
    ladder.push(step);
    setup.log(`${setup.server} ×${setup.workers}: ${concurrency} clients: ${step.requestsPerSecond} req/s, p95 ${step.p95Ms ?? '-'} ms, ${step.errors} errors`);
    await checkAlive(server, setup.server, `load step at ${concurrency} clients`);
    if (!shouldClimb(step, setup.targetMs)) return { ladder, end: `stopped after ${concurrency} clients: p95 ${step.p95Ms ?? '-'} ms, ${step.errors} errors` };
  }
  return { ladder, end: `reached the top of the ladder (${setup.maxConcurrency} clients)` };
}

async function growthPhase(setup: ServerRunSetup, server: RunningDjangoServer, signal: AbortSignal): Promise<GrowthResult> {
  const pid = server.workerPids()[0] ?? server.pid;
  const before = await memoryOf(pid);
  // A fixed number of requests: a slow board needs its time for them, up to what is left of this run.
  const durationMs = Math.max(0, Math.min(setup.deadline - performance.now() - 500, Math.max(setup.stepMs * 8, GROWTH_MAX_MS)));
  const step = await runStep(
    { port: server.port, concurrency: 1, paths: PATHS, durationMs, maxRequests: GROWTH_REQUESTS, requestTimeoutMs: REQUEST_TIMEOUT_MS },
    signal,
  );
  await checkAlive(server, setup.server, 'memory-growth phase');
  const after = await memoryOf(pid);
  const result: GrowthResult = { requests: step.ok, errors: step.errors, before, after, growthBytes: null };
  if (step.ok < GROWTH_REQUESTS) result.reason = `only ${step.ok} of ${GROWTH_REQUESTS} requests answered in the ${Math.round(durationMs)} ms allowed`;
  else if (!before || !after) result.reason = `the worker's smaps could not be read (pid ${pid})`;
  else result.growthBytes = after.pssBytes - before.pssBytes;
  return result;
}

/** Runs one server configuration; throws ServerCrashed or DjangoServerError, always stopping the server. */
export async function runServer(setup: ServerRunSetup, signal: AbortSignal): Promise<ServerRunResult> {
  const startTimeoutMs = Math.max(1_000, Math.min(60_000, setup.deadline - performance.now() - setup.stepMs * 2));
  setup.log(`${setup.server} ×${setup.workers}: starting`);
  const server = await startDjangoServer(
    {
      server: setup.server,
      workers: setup.workers,
      python: setup.python,
      projectDir: setup.projectDir,
      env: setup.env,
      startTimeoutMs,
      onListening: (port, pid) => setup.log(`${setup.server} ×${setup.workers}: listening on 127.0.0.1:${port} (pid ${pid})`),
    },
    signal,
  );
  try {
    setup.log(`${setup.server} ×${setup.workers}: first 200 after ${server.coldStartMs} ms; warming up`);
    const warmup = await runStep(
      {
        port: server.port,
        concurrency: 2 * setup.workers,
        paths: PATHS,
        durationMs: setup.stepMs * 2,
        maxRequests: 60 * setup.workers,
        requestTimeoutMs: REQUEST_TIMEOUT_MS,
      },
      signal,
    );
    await checkAlive(server, setup.server, 'warm-up');
    const workerPids = server.workerPids();
    const workerMemory = (await Promise.all(workerPids.map(memoryOf))).filter((m): m is MemoryReading => m !== null);
    const masterMemory = workerPids.includes(server.pid) ? null : await memoryOf(server.pid);
    const { ladder, end } = await climb(setup, server, signal);
    const growth = setup.growth ? await growthPhase(setup, server, signal) : null;
    const answering = new Set(ladder.flatMap((step) => Object.keys(step.workers)));
    const errors = [warmup, ...ladder].reduce((sum, step) => sum + step.errors, 0) + (growth?.errors ?? 0);
    return {
      server: setup.server,
      workers: setup.workers,
      pid: server.pid,
      port: server.port,
      coldStartMs: server.coldStartMs,
      workerMemory,
      masterMemory,
      warmup,
      ladder,
      ladderEnd: end,
      growth,
      workersAnswering: answering.size,
      errors,
    };
  } finally {
    await server.stop();
  }
}
