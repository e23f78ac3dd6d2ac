// Child processes and temp paths, tracked so that nothing outlives a run: not on success, not on error,
// not on SIGINT/SIGTERM. Every child starts in its own process group so that grandchildren go with it.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

const liveChildren = new Set<ChildProcess>();
const tempPaths = new Set<string>();
const cleanups = new Set<() => void>();

export interface ExecOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Output beyond this many bytes per stream is dropped; the result says so. */
  maxBytes?: number;
}

export interface ExecResult {
  /** Exit code, or null when killed by a signal or never started. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  aborted: boolean;
  truncated: boolean;
  /** Set when the process could not be started at all, e.g. "ENOENT". */
  spawnError: string | null;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

/** Registers a child started elsewhere (e.g. a long-lived server) so it is killed on exit. */
export function trackChild(child: ChildProcess): void {
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
  child.once('error', () => liveChildren.delete(child));
}

/** Kills a tracked child's whole process group and waits (bounded) for it to exit. */
export async function stopChild(child: ChildProcess, graceMs = 1000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    liveChildren.delete(child);
    return;
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  killGroup(child, 'SIGTERM');
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
  await Promise.race([exited, new Promise<void>((resolve) => setTimeout(resolve, graceMs + 2000))]);
  clearTimeout(timer);
  killGroup(child, 'SIGKILL');
  liveChildren.delete(child);
}

function emptyResult(): ExecResult {
  return { code: null, signal: null, stdout: '', stderr: '', timedOut: false, aborted: false, truncated: false, spawnError: null };
}

/** Keeps the first maxBytes of a stream (marking the result truncated past that); the returned function reads them. */
function collectBounded(stream: Readable | null, maxBytes: number, result: ExecResult): () => string {
  const chunks: Buffer[] = [];
  let bytes = 0;
  stream?.on('data', (chunk: Buffer) => {
    if (bytes + chunk.length > maxBytes) result.truncated = true;
    else chunks.push(chunk);
    bytes += chunk.length;
  });
  return () => Buffer.concat(chunks).toString('utf8');
}

/**
 * Runs a program with an argument array (never a shell string), bounded in time and output.
 * Never rejects: failures to start come back as `spawnError`.
 */
export function execCommand(file: string, args: readonly string[], options: ExecOptions): Promise<ExecResult> {
  const maxBytes = options.maxBytes ?? 4 * 1024 * 1024;
  return new Promise((resolve) => {
    const result = emptyResult();
    if (options.signal?.aborted) {
      result.aborted = true;
      result.spawnError = 'aborted';
      resolve(result);
      return;
    }
    let child: ChildProcess;
    try {
      child = spawn(file, [...args], {
        cwd: options.cwd,
        env: options.env ?? process.env,
        detached: true,
        stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      });
    } catch (err) {
      result.spawnError = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      resolve(result);
      return;
    }
    trackChild(child);
    const stdoutText = collectBounded(child.stdout, maxBytes, result);
    const stderrText = collectBounded(child.stderr, maxBytes, result);
    if (options.input !== undefined && child.stdin) {
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.input);
    }
    const timer = setTimeout(() => {
      result.timedOut = true;
      killGroup(child, 'SIGKILL');
    }, options.timeoutMs);
    const onAbort = (): void => {
      result.aborted = true;
      killGroup(child, 'SIGKILL');
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    let settled = false;
    const finish = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      // The group may still hold grandchildren that ignored the leader's exit.
      killGroup(child, 'SIGKILL');
      result.stdout = stdoutText();
      result.stderr = stderrText();
      resolve(result);
    };
    child.once('error', (err: NodeJS.ErrnoException) => {
      result.spawnError = err.code ?? err.message;
      finish();
    });
    child.once('close', (code, signal) => {
      result.code = code;
      result.signal = signal;
      finish();
    });
  });
}

/**
 * Registers a synchronous undo step for something a probe changed outside its temp dirs (a transient
 * service, a config file): run by cleanupAll on SIGINT/SIGTERM/exit. Returns the function that unregisters it.
 */
export function registerCleanup(undo: () => void): () => void {
  cleanups.add(undo);
  return () => {
    cleanups.delete(undo);
  };
}

/**
 * A private temp directory that is removed by `removeTemp` or, at the latest, when the process exits.
 * `parent` places it elsewhere than the system temp dir, e.g. on the disk being measured.
 */
export function makeTempDir(prefix: string, parent: string = tmpdir()): string {
  // Hidden when placed in someone's directory; plain in the temp dir, where people look for it.
  const name = parent === tmpdir() ? `edgeprobe-${prefix}-` : `.edgeprobe-${prefix}-`;
  const dir = mkdtempSync(join(parent, name));
  tempPaths.add(dir);
  return dir;
}

export function removeTemp(path: string): void {
  try {
    rmSync(path, { recursive: true, force: true });
  } catch {
    // best effort; cleanupAll tries again at exit
    return;
  }
  tempPaths.delete(path);
}

/** Synchronous, so it can run from an 'exit' handler: kills every tracked child group and removes temp paths. */
export function cleanupAll(): void {
  for (const undo of [...cleanups]) {
    cleanups.delete(undo);
    try {
      undo();
    } catch {
      // best effort: the others still run
    }
  }
  for (const child of liveChildren) killGroup(child, 'SIGKILL');
  liveChildren.clear();
  for (const path of tempPaths) {
    try {
      rmSync(path, { recursive: true, force: true });
    } catch {
      // nothing more can be done at exit
    }
  }
  tempPaths.clear();
}
