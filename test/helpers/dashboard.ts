// The real `edgeprobe serve` as a child process, for end-to-end tests.
import { type ChildProcess, spawn } from 'node:child_process';
import { trackChild } from '../../src/platform/process.js';
import { CLI, REPO_ROOT, runCli } from './cli.js';
import { stopProcess } from './services.js';

export interface ServeProcess {
  url: string;
  child: ChildProcess;
  stderr(): string;
  stop(): Promise<void>;
}

/** Starts `edgeprobe serve --db DB --port PORT ...args` and waits for its "listening on URL" line. */
export async function startServe(db: string, port: number, args: readonly string[] = []): Promise<ServeProcess> {
  const child = spawn(process.execPath, [CLI, 'serve', '--db', db, '--port', String(port), '--host', '127.0.0.1', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  trackChild(child);
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start in 30 s; stderr:\n${stderr}`)), 30_000);
    child.stdout?.on('data', (c: Buffer) => {
      stdout += c.toString();
      const match = /listening on (https?:\/\/\S+)/.exec(stdout);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${String(code)}; stderr:\n${stderr}`));
    });
  });
  return { url, child, stderr: () => stderr, stop: () => stopProcess(child, 5000) };
}

/**
 * A token's id and secret (`ep_<id>_<secret>`). The secret is base64url, so it may hold `_` or start with
 * `-`: splitting on `_` would give a fragment of it, and a grep pattern must be passed with -e.
 */
export function tokenParts(token: string): { id: string; secret: string } {
  const parts = /^ep_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/.exec(token);
  if (!parts) throw new Error(`not a token: ${token}`);
  return { id: parts[1] ?? '', secret: parts[2] ?? '' };
}

/** `edgeprobe serve token create --db DB --scope SCOPES`: returns the token printed on stdout. */
export async function createTokenCli(db: string, scopes: string): Promise<string> {
  const result = await runCli(['serve', 'token', 'create', '--db', db, '--scope', scopes, '--name', `test ${scopes}`]);
  if (result.code !== 0) throw new Error(`token create failed (${String(result.code)}): ${result.stderr}`);
  const token = result.stdout.trim();
  tokenParts(token);
  return token;
}
