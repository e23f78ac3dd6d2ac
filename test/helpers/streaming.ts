// Helpers of the streaming probe's suites: Debian's Channels stack, and the CLI or agent kept running
// while a test watches its progress on stderr (to act in the middle of a phase).
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { AGENT_BUNDLE } from './cli.js';

/** Debian's interpreter, with python3-django, -channels, -daphne, -uvicorn and -channels-redis. */
export const DEBIAN_PYTHON = '/usr/bin/python3';
export const DEBIAN_HINT = 'run scripts/install-test-deps.sh';

export function channelsStackPresent(): boolean {
  return (
    existsSync(DEBIAN_PYTHON) &&
    ['channels', 'daphne', 'uvicorn', 'channels_redis', 'django'].every((name) => existsSync(`/usr/lib/python3/dist-packages/${name}`))
  );
}

export interface Running {
  child: ChildProcess;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when stderr matches; rejects if the process exits first or after timeoutMs. */
  waitForStderr(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
}

/** Starts the CLI (a script path) or, with `agentOnStdin`, the one-file agent streamed as `node - ...`. */
export function start(script: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; agentOnStdin?: boolean } = {}): Running {
  const child = spawn(process.execPath, [options.agentOnStdin ? '-' : script, ...args], {
    env: options.env ?? process.env,
    stdio: [options.agentOnStdin ? 'pipe' : 'ignore', 'ignore', 'pipe'],
  });
  if (options.agentOnStdin) child.stdin?.end(readFileSync(AGENT_BUNDLE));
  let err = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  return {
    child,
    stderr: () => err,
    exited,
    waitForStderr(pattern, timeoutMs) {
      return new Promise((resolve, reject) => {
        const cleanup = (): void => {
          clearTimeout(timer);
          child.stderr?.removeListener('data', check);
          child.removeListener('close', onClose);
        };
        const check = (): boolean => {
          const match = pattern.exec(err);
          if (match) {
            cleanup();
            resolve(match);
          }
          return match !== null;
        };
        const onClose = (): void => {
          if (check()) return;
          cleanup();
          reject(new Error(`process exited before stderr showed ${pattern}:\n${err.slice(-3000)}`));
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`stderr did not show ${pattern} within ${timeoutMs} ms:\n${err.slice(-3000)}`));
        }, timeoutMs);
        child.stderr?.on('data', check);
        child.once('close', onClose);
        check();
      });
    },
  };
}
