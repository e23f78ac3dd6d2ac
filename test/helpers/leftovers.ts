// What a run may leave behind, listed so that tests can compare before and after:
// processes (found by an environment marker every descendant inherits), listening ports, temp entries.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const MARKER_VARIABLE = 'EDGEPROBE_TEST_MARKER';

/** A fresh marker; pass `{ ...process.env, [MARKER_VARIABLE]: marker }` to the process under test. */
export function newMarker(): string {
  return randomUUID();
}

/** Pids of live processes whose environment carries the marker. */
export function processesWithMarker(marker: string): number[] {
  const needle = `${MARKER_VARIABLE}=${marker}`;
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, 'latin1');
      if (environ.split('\0').includes(needle)) {
        // A zombie has already exited; it holds nothing.
        const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
        if (!/\) Z /.test(stat)) pids.push(Number(entry));
      }
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

/** TCP sockets in LISTEN state (IPv4 and IPv6), with the inode that ties each to its owner. */
function listeningSockets(): Array<{ port: number; inode: string }> {
  const sockets: Array<{ port: number; inode: string }> = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[3] === '0A' && fields[1] && fields[9]) sockets.push({ port: parseInt(fields[1].split(':')[1] ?? '0', 16), inode: fields[9] });
    }
  }
  return sockets;
}

/** Local TCP ports in LISTEN state. */
export function listeningPorts(): Set<number> {
  return new Set(listeningSockets().map((s) => s.port));
}

/** Entries edgeprobe made in the temp directory (it names them all "edgeprobe-..."). */
export function edgeprobeTempEntries(): Set<string> {
  try {
    return new Set(readdirSync(tmpdir()).filter((name) => name.startsWith('edgeprobe-')));
  } catch {
    return new Set();
  }
}

export function added<T>(before: Set<T>, after: Set<T>): T[] {
  return [...after].filter((item) => !before.has(item));
}

export async function waitFor(condition: () => boolean, timeoutMs: number, intervalMs = 50): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  return condition();
}

/** Listening TCP ports held by the given processes (found through their socket inodes). */
export function listeningPortsOf(pids: number[]): number[] {
  const portByInode = new Map(listeningSockets().map((s) => [s.inode, s.port]));
  const ports: number[] = [];
  for (const pid of pids) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
        const port = inode ? portByInode.get(inode) : undefined;
        if (port !== undefined) ports.push(port);
      } catch {
        // fd closed meanwhile
      }
    }
  }
  return ports;
}

/** A process's command line (arguments joined by NUL), or "" once it is gone. */
export function cmdlineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1');
  } catch {
    return '';
  }
}

/** A run whose every process carries `mark` and whose every temp file goes to `temp`: pass `env` to it. */
export interface IsolatedRun {
  mark: string;
  temp: string;
  env: NodeJS.ProcessEnv;
}

/**
 * Runs `body` with a fresh marker and TMPDIR; afterwards kills whatever still carries the marker and removes the
 * TMPDIR, so that a failed test leaves nothing for the next one.
 */
export async function withIsolatedRun<T>(name: string, body: (run: IsolatedRun) => Promise<T>): Promise<T> {
  const mark = newMarker();
  const temp = mkdtempSync(join(tmpdir(), `edgeprobe-test-${name}-`));
  try {
    return await body({ mark, temp, env: { ...process.env, TMPDIR: temp, [MARKER_VARIABLE]: mark } });
  } finally {
    for (const pid of processesWithMarker(mark)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // ended meanwhile
      }
    }
    rmSync(temp, { recursive: true, force: true });
  }
}

/** Asserts that every process of the run ends within `waitMs` and that it left its TMPDIR empty. */
export async function assertNothingLeft(run: IsolatedRun, waitMs: number): Promise<void> {
  assert.ok(await waitFor(() => processesWithMarker(run.mark).length === 0, waitMs), `left: ${processesWithMarker(run.mark).map(cmdlineOf).join(' | ')}`);
  assert.deepEqual(readdirSync(run.temp), []);
}

/** A child kept running while the test acts on it; its stdout is collected. */
export interface Collecting {
  stdout(): string;
  exited: Promise<number | null>;
}

export function startCollecting(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Collecting {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'ignore'] });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  return { stdout: () => stdout, exited: new Promise((resolve) => child.once('close', (code) => resolve(code))) };
}
