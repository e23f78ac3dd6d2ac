// Starting and stopping the streaming probe's echo servers: each one a child process in its own process
// group, listening on 127.0.0.1 on a port the kernel chose, tracked so that it is killed on exit, on
// SIGINT/SIGTERM and on error. Each also holds a "lifeline" pipe (fd 3): if the agent dies in a way no
// handler sees (SIGKILL), the server reads end of file on it and exits by itself.
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { stopChild, trackChild } from '../../../src/platform/process.js';

export interface ServerSpec {
  /** Short name for messages: "node", "python", "channels" ... */
  name: string;
  file: string;
  args: readonly string[];
  /** Program text written to the child's stdin (for `node -` and `python3 -`). */
  input?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** WebSocket path on the server, e.g. "/echo/". */
  path: string;
  startTimeoutMs: number;
}

export interface RunningServer {
  name: string;
  pid: number;
  port: number;
  url: string;
  startMs: number;
  stderrTail(): string;
  stop(): Promise<void>;
}

const TAIL_BYTES = 8192;

export class ServerStartError extends Error {}

/** Spawns a server in its own process group (stdio 3 is its lifeline), tracked so that it dies with the agent. */
function spawnServer(spec: ServerSpec): ChildProcess {
  let child: ChildProcess;
  try {
    child = spawn(spec.file, [...spec.args], {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      detached: true,
      stdio: [spec.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe', 'pipe'],
    });
  } catch (err) {
    throw new ServerStartError(`${spec.name} server: cannot start ${spec.file}: ${(err as Error).message}`);
  }
  trackChild(child);
  return child;
}

/** Starts a server and waits for its "LISTENING <port>" line; kills it again if that does not come. */
export function startServer(spec: ServerSpec, signal: AbortSignal): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(new ServerStartError('aborted'));
      return;
    }
    const started = performance.now();
    let child: ChildProcess;
    try {
      child = spawnServer(spec);
    } catch (err) {
      reject(err);
      return;
    }
    let stderr = '';
    let stdout = '';
    let settled = false;
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-TAIL_BYTES);
    });
    const lifeline = child.stdio[3];
    lifeline?.on('error', () => undefined);
    if (spec.input !== undefined && child.stdin) {
      child.stdin.on('error', () => undefined);
      child.stdin.end(spec.input);
    }
    const stop = async (): Promise<void> => {
      signal.removeEventListener('abort', onAbort);
      await stopChild(child, 1500);
      lifeline?.destroy();
    };
    const fail = (message: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void stop().then(() => {
        const tail = stderr.trim().split('\n').slice(-6).join('\n');
        reject(new ServerStartError(`${spec.name} server ${message}${tail ? `: ${tail}` : ''}`));
      });
    };
    const onAbort = (): void => {
      if (!settled) fail('start aborted');
      else void stop();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => fail(`did not listen within ${Math.round(spec.startTimeoutMs / 1000)} s`), spec.startTimeoutMs);
    child.once('error', (err: NodeJS.ErrnoException) => fail(`could not start (${err.code ?? err.message})`));
    child.once('exit', (code, sig) => fail(`exited before listening (${sig ?? `code ${code ?? '?'}`})`));
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      if (settled) return;
      stdout = (stdout + chunk).slice(-TAIL_BYTES);
      const match = /^LISTENING (\d+)\s*$/m.exec(stdout);
      if (!match || match[1] === undefined || child.pid === undefined) return;
      settled = true;
      clearTimeout(timer);
      const port = Number(match[1]);
      resolve({
        name: spec.name,
        pid: child.pid,
        port,
        url: `ws://127.0.0.1:${port}${spec.path}`,
        startMs: Math.round(performance.now() - started),
        stderrTail: () => stderr,
        stop,
      });
    });
  });
}

/** Resident set size of a live process, from /proc/<pid>/status; null when unreadable. */
export function processRss(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match?.[1] === undefined ? null : Number(match[1]) * 1024;
  } catch {
    return null;
  }
}

/** CPU time (user + system) a live process has used, in clock ticks, from /proc/<pid>/stat. */
export function processCpuTicks(pid: number | 'self', includeChildren = false): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: fields start after the last ")".
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14-17 of proc(5) (utime, stime, cutime, cstime) are at 11-14 once pid and comm are cut.
    const values = fields.slice(11, includeChildren ? 15 : 13).map(Number);
    return values.every(Number.isFinite) ? values.reduce((a, b) => a + b, 0) : null;
  } catch {
    return null;
  }
}

/**
 * CPU seconds a live process has used, every thread together: the nanoseconds of /proc/<pid>/task/<tid>/schedstat
 * (a 10 ms clock tick is too coarse for a phase of a second that gets a fraction of a core), else the ticks of
 * /proc/<pid>/stat. Null when neither is readable.
 */
export function processCpuSeconds(pid: number): number | null {
  try {
    let nanoseconds = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const onCpu = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      if (!Number.isFinite(onCpu)) throw new Error('schedstat');
      nanoseconds += onCpu;
    }
    return nanoseconds / 1e9;
  } catch {
    const ticks = processCpuTicks(pid);
    return ticks === null ? null : ticks / 100;
  }
}
