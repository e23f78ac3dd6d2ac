// Helpers of the streaming probe's suites: run the real CLI or agent, a real redis-server on a spare port,
// and what is left on the machine afterwards (processes by an environment marker, listening ports, files).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const CLI = `${REPO_ROOT}dist/src/cli.js`;
export const AGENT = `${REPO_ROOT}dist/edgeprobe-agent.js`;
/** Debian's interpreter, with python3-django, -channels, -daphne, -uvicorn and -channels-redis. */
export const DEBIAN_PYTHON = '/usr/bin/python3';

/** Skips a test when a component is missing, except under CI=true where that is a failure. */
export function requireComponent(t: TestContext, present: boolean, what: string): boolean {
  if (present) return true;
  if (process.env['CI'] === 'true') throw new Error(`${what} is missing (CI must install it: scripts/install-test-deps.sh)`);
  t.skip(`${what} is missing`);
  return false;
}

export interface Running {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when stderr matches, rejects if the process exits first or after timeoutMs. */
  waitForStderr(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
}

/** Starts a program; `agentOnStdin` streams the one-file agent as `node - ...` the way devices get it. */
export function start(file: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; agentOnStdin?: boolean } = {}): Running {
  const child = spawn(file, [...args], { env: options.env ?? process.env, stdio: [options.agentOnStdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  if (options.agentOnStdin) child.stdin?.end(readFileSync(AGENT));
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => { out += chunk; });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { err += chunk; });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForStderr(pattern, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const match = pattern.exec(err);
          if (match) {
            cleanup();
            resolve(match);
            return true;
          }
          return false;
        };
        const onData = (): void => void check();
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`stderr did not show ${pattern} within ${timeoutMs} ms:\n${err.slice(-3000)}`));
        }, timeoutMs);
        const onExit = (): void => {
          if (!check()) {
            cleanup();
            reject(new Error(`process exited before stderr showed ${pattern}:\n${err.slice(-3000)}`));
          }
        };
        const cleanup = (): void => {
          clearTimeout(timer);
          child.stderr?.removeListener('data', onData);
          child.removeListener('close', onExit);
        };
        child.stderr?.on('data', onData);
        child.once('close', onExit);
        check();
      });
    },
  };
}

/** Runs a program to the end (killed after timeoutMs) and returns its exit code and output. */
export async function run(file: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; agentOnStdin?: boolean; timeoutMs?: number } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const running = start(file, args, options);
  const timer = setTimeout(() => running.child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
  const { code } = await running.exited;
  clearTimeout(timer);
  return { code, stdout: running.stdout(), stderr: running.stderr() };
}

export async function sparePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A throwaway redis-server on a spare loopback port, no persistence. */
export async function startRedis(): Promise<{ url: string; port: number; stop: () => Promise<void> }> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await sparePort();
    const redis = start('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
    const ready = await Promise.race([
      new Promise<boolean>((resolve) => {
        const check = (): void => {
          if (/Ready to accept connections/.test(redis.stdout())) resolve(true);
          else setTimeout(check, 50);
        };
        check();
      }),
      redis.exited.then(() => false),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 10_000)),
    ]);
    if (ready) {
      return {
        url: `redis://127.0.0.1:${port}/0`,
        port,
        stop: async () => {
          redis.child.kill('SIGTERM');
          await redis.exited;
        },
      };
    }
    redis.child.kill('SIGKILL');
    await redis.exited;
  }
  throw new Error('could not start redis-server on a spare port');
}

/** Pids of live processes whose environment holds NAME=VALUE. */
export function processesWithEnv(name: string, value: string): number[] {
  const wanted = `${name}=${value}`;
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0');
      if (!environ.includes(wanted)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      pids.push(Number(entry));
    } catch {
      // gone meanwhile, or a kernel thread
    }
  }
  return pids;
}

/** TCP ports in LISTEN state on this machine (IPv4 and IPv6). */
export function listeningPorts(): Set<number> {
  const ports = new Set<number>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[3] !== '0A' || !fields[1]) continue;
      const port = parseInt(fields[1].split(':').pop() ?? '', 16);
      if (Number.isFinite(port)) ports.add(port);
    }
  }
  return ports;
}

export async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return condition();
}
