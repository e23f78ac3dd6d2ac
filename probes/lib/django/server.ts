// Starting and stopping one Django server of the django probe (probes/assets/django_project/serve.py): a
// child in its own process group, tracked so that it is killed on exit, on SIGINT/SIGTERM and on error, and
// holding a lifeline pipe (fd 3) so that it removes the project and kills its group if the agent dies
// unseen (SIGKILL). It says "LISTENING <port>" before it imports anything heavy and "WORKER <pid>" per
// worker, so the cold start runs from the spawn to the first 200 answered through the kernel's backlog.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { stopChild, trackChild } from '../../../src/platform/process.js';
import { type ProcessMemory, parseSmaps } from '../parsers/smaps.js';

export const DJANGO_SERVERS = ['gunicorn', 'uvicorn', 'daphne'] as const;
export type DjangoServerName = (typeof DJANGO_SERVERS)[number];

export interface DjangoServerSpec {
  server: DjangoServerName;
  workers: number;
  python: string;
  projectDir: string;
  env: NodeJS.ProcessEnv;
  startTimeoutMs: number;
  /** Told when the server listens, with its pid (the probe's progress lines, which tests watch). */
  onListening?: (port: number, pid: number) => void;
}

export interface RunningDjangoServer {
  pid: number;
  port: number;
  workerPids(): number[];
  /** Set once the server's main process has exited: "code 1" or "SIGKILL". */
  exited(): string | null;
  coldStartMs: number;
  stderrTail(): string;
  stop(): Promise<void>;
}

const TAIL_BYTES = 8192;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One GET with its own connection; resolves to the status, or null when refused, reset or timed out. */
function probeOnce(port: number, path: string, timeoutMs: number): Promise<number | null> {
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: 'GET', agent: false, headers: { Host: '127.0.0.1', Connection: 'close' }, timeout: timeoutMs },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? null));
        res.on('error', () => resolve(null));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
    req.end();
  });
}

export class DjangoServerError extends Error {}

/** The launched process and what it has said so far. */
interface Launched {
  child: ChildProcess;
  spawnedAt: number;
  port: number | null;
  workers: number[];
  exit: string | null;
  stderr: string;
  stop(): Promise<void>;
}

function launch(spec: DjangoServerSpec, signal: AbortSignal): Launched {
  const child: ChildProcess = spawn(spec.python, ['-B', 'serve.py', spec.server, String(spec.workers), '--lifeline'], {
    cwd: spec.projectDir,
    env: spec.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  });
  trackChild(child);
  const lifeline = child.stdio[3];
  lifeline?.on('error', () => undefined);
  const onAbort = (): void => void state.stop();
  const state: Launched = {
    child,
    spawnedAt: performance.now(),
    port: null,
    workers: [],
    exit: null,
    stderr: '',
    async stop() {
      signal.removeEventListener('abort', onAbort);
      await stopChild(child, 1500);
      lifeline?.destroy();
    },
  };
  signal.addEventListener('abort', onAbort, { once: true });
  let pending = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    state.stderr = (state.stderr + chunk).slice(-TAIL_BYTES);
  });
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const listening = /^LISTENING (\d+)$/.exec(line.trim());
      if (listening?.[1]) state.port = Number(listening[1]);
      const worker = /^WORKER (\d+)$/.exec(line.trim());
      if (worker?.[1]) state.workers.push(Number(worker[1]));
    }
  });
  child.once('error', (err: NodeJS.ErrnoException) => {
    state.exit = `could not start (${err.code ?? err.message})`;
  });
  child.once('exit', (code, sig) => {
    state.exit = sig ?? `code ${code ?? '?'}`;
  });
  return state;
}

/** Starts the server and waits for its first 200 and for every worker; kills it again when that does not come. */
export async function startDjangoServer(spec: DjangoServerSpec, signal: AbortSignal): Promise<RunningDjangoServer> {
  if (signal.aborted) throw new DjangoServerError('aborted');
  const state = launch(spec, signal);
  const deadline = state.spawnedAt + spec.startTimeoutMs;
  const within = `within ${Math.round(spec.startTimeoutMs / 1000)} s`;
  const fail = async (message: string): Promise<never> => {
    await state.stop();
    const tail = state.stderr.trim().split('\n').slice(-6).join('\n');
    throw new DjangoServerError(`${spec.server} (${spec.workers} worker${spec.workers === 1 ? '' : 's'}) ${message}${tail ? `: ${tail}` : ''}`);
  };
  /** Null while all is well; else why the start failed. */
  const trouble = (exitedWhen: string, lateMessage: () => string): string | null => {
    if (state.exit !== null) return `exited ${exitedWhen} (${state.exit})`;
    if (signal.aborted) return 'start aborted';
    return performance.now() >= deadline ? `${lateMessage()} ${within}` : null;
  };
  while (state.port === null) {
    const problem = trouble('before listening', () => 'did not listen');
    if (problem) return fail(problem);
    await sleep(10);
  }
  const port: number = state.port;
  if (state.child.pid !== undefined) spec.onListening?.(port, state.child.pid);
  let coldStartMs: number | null = null;
  while (coldStartMs === null) {
    const problem = trouble('before its first response', () => 'answered no request with 200');
    if (problem) return fail(problem);
    const status = await probeOnce(port, '/json/', Math.max(100, deadline - performance.now()));
    if (status === 200) coldStartMs = Math.round(performance.now() - state.spawnedAt);
    else if (status !== null) return fail(`answered its first request with HTTP ${status}`);
    else await sleep(20);
  }
  while (state.workers.length < spec.workers) {
    const problem = trouble('while its workers started', () => `started ${state.workers.length} of ${spec.workers} workers`);
    if (problem) return fail(problem);
    await sleep(20);
  }
  return {
    pid: state.child.pid ?? -1,
    port,
    workerPids: () => [...state.workers],
    exited: () => state.exit,
    coldStartMs,
    stderrTail: () => state.stderr,
    stop: () => state.stop(),
  };
}

/** RSS and PSS of a live process; null when it is gone or its smaps cannot be read. */
export async function processMemory(pid: number): Promise<ProcessMemory | null> {
  for (const file of ['smaps_rollup', 'smaps']) {
    try {
      const parsed = parseSmaps(await readFile(`/proc/${pid}/${file}`, 'utf8'));
      if (parsed) return parsed;
    } catch {
      // older kernel (no smaps_rollup) or the process is gone: try the next
    }
  }
  return null;
}
