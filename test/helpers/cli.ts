// Running the real edgeprobe CLI and agent bundle from tests.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tests run compiled from dist/test/helpers). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const CLI = join(REPO_ROOT, 'bin', 'edgeprobe.js');
export const AGENT_BUNDLE = join(REPO_ROOT, 'dist', 'edgeprobe-agent.js');

export function fixtureRoot(board: string): string {
  return join(REPO_ROOT, 'test', 'fixtures', 'devices', board);
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
  input?: string;
  /** Program to run instead of this Node (e.g. another Node binary, or a wrapper such as cgexec). */
  command?: string;
  prefixArgs?: string[];
}

/** Runs `node <script> <args>` (or a given command) to completion and collects its output. */
export function runScript(script: string, args: readonly string[], options: SpawnOptions = {}): Promise<CliResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(options.command ?? process.execPath, [...(options.prefixArgs ?? []), script, ...args], {
      cwd: options.cwd ?? REPO_ROOT,
      env: options.env ?? { ...process.env, NO_COLOR: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdin.end(options.input ?? '');
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, durationMs: performance.now() - started });
    });
  });
}

export function runCli(args: readonly string[], options: SpawnOptions = {}): Promise<CliResult> {
  return runScript(CLI, args, options);
}

/** Parses a JSON report printed on stdout, failing with the output shown when it is not JSON. */
export function jsonOf(result: CliResult): Record<string, unknown> {
  try {
    return JSON.parse(result.stdout) as Record<string, unknown>;
  } catch {
    throw new Error(`stdout is not JSON (exit ${String(result.code)}):\n${result.stdout.slice(0, 2000)}\nstderr:\n${result.stderr.slice(0, 2000)}`);
  }
}
