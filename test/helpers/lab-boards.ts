// Helpers for the lab-board suites: confining SSH logins in a systemd scope, and what a run left in the VM.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningBoard } from '../../scripts/lab/boards.js';
import { execCommand } from '../../src/platform/process.js';

/**
 * Makes the VM's sshd also listen on the board's spare guest port (2222), where every login runs inside
 * `systemd-run --scope -p PROPERTY...`: the device a process inside a scope with limits sees. Port 22 is
 * unchanged. Rewritten on each call, so the last properties given win.
 */
export async function configureScopedSshd(board: RunningBoard, properties: readonly string[]): Promise<void> {
  for (const p of properties) assert.match(p, /^[A-Za-z]+=[0-9A-Za-z%.]+$/, `scope property ${p}`);
  const scope = `/usr/bin/systemd-run --scope --quiet --collect ${properties.map((p) => `-p ${p}`).join(' ')} -- /bin/sh -c "$SSH_ORIGINAL_COMMAND"`;
  // The ports go in sshd_config.d; the Match block at the end of sshd_config itself, since a Match in an included
  // file (included at the top) would swallow the main file's global settings.
  const script = [
    `printf 'Port 22\\nPort ${board.spare.guestPort}\\n' > /etc/ssh/sshd_config.d/zz-edgeprobe-ports.conf`,
    "sed -i '/^# edgeprobe-lab scoped logins/,$d' /etc/ssh/sshd_config",
    `printf '%s\\n' '# edgeprobe-lab scoped logins' 'Match LocalPort ${board.spare.guestPort}' "  ForceCommand $(cat)" >> /etc/ssh/sshd_config`,
    'sshd -t && systemctl reload ssh.service',
  ].join('\n');
  const result = await board.ssh(script, { input: scope, timeoutMs: 60_000 });
  assert.equal(result.code, 0, `configuring the scoped sshd: ${result.stderr}`);
  // sshd restarts on the reload and refuses connections meanwhile: wait until a login on the spare port works.
  const sshOptions = board.sshOptions.filter((o) => !o.startsWith('Port=')).flatMap((o) => ['-o', o]);
  for (let i = 0; i < 60; i++) {
    const login = await execCommand(
      'ssh',
      ['-F', 'none', ...sshOptions, '-o', 'ConnectTimeout=20', '-p', String(board.spare.hostPort), 'root@127.0.0.1', 'true'],
      { timeoutMs: 60_000 },
    );
    if (login.code === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  assert.fail(`no login on the spare port ${board.spare.guestPort} after the reload`);
}

export interface VmSnapshot {
  /** "pid comm" of every user-space process outside the snapshotting session. */
  processes: Set<string>;
  tmp: Set<string>;
  units: Set<string>;
}

// Lists processes other than kernel threads (children of kthreadd, pid 2), this session's own, and the sshd
// process serving this very login (its parent: a new one on every snapshot, in a session of its own).
const SNAPSHOT = [
  'own=$(ps -o sid= -p $$ | tr -d " ")',
  'ps -e -o pid=,ppid=,sid=,comm= | awk -v own="$own" -v login="$PPID" \'$1 != 2 && $2 != 2 && $3 != own && $1 != login { print "P " $1 " " $4 }\'',
  'for d in /tmp /var/tmp /dev/shm; do ls -A "$d" | sed "s|^|T $d/|"; done',
  'systemctl list-units --all --no-legend --plain | awk \'{ print "U " $1 }\'',
].join('\n');

export async function snapshotVm(board: RunningBoard): Promise<VmSnapshot> {
  const result = await board.ssh(SNAPSHOT, { timeoutMs: 60_000 });
  assert.equal(result.code, 0, result.stderr);
  const lines = result.stdout.split('\n');
  const pick = (tag: string): Set<string> => new Set(lines.filter((l) => l.startsWith(`${tag} `)).map((l) => l.slice(2)));
  return { processes: pick('P'), tmp: pick('T'), units: pick('U') };
}

// Started on demand by systemd or the kernel and gone again on their own after an idle timeout; they are not
// the run's.
const ON_DEMAND = /^\d+ (systemd-userwor|systemd-hostnam|systemd-localed|systemd-timedat|kworker\/.*)$/;

/** Processes, temp files and units present now that were not in `before` (after giving stragglers 5 s). */
export async function leftoversSince(board: RunningBoard, before: VmSnapshot): Promise<{ processes: string[]; tmp: string[]; units: string[] }> {
  await new Promise((resolve) => setTimeout(resolve, 5_000));
  const now = await snapshotVm(board);
  const added = (a: Set<string>, b: Set<string>): string[] => [...a].filter((x) => !b.has(x)).sort();
  return {
    processes: added(now.processes, before.processes).filter((p) => !ON_DEMAND.test(p)),
    tmp: added(now.tmp, before.tmp),
    // Each SSH login is a session scope; a run's stray process would show under processes.
    units: added(now.units, before.units).filter((u) => !/^session-\d+\.scope$/.test(u)),
  };
}

/**
 * Whether the board images can be had: built for this recipe in the cache already, or buildable from a Debian
 * mirror (EDGEPROBE_LAB_MIRROR, or a URI ending in /debian in this machine's apt sources, as build-boards.sh
 * looks for it). Without either the suite skips outside CI (and fails in CI).
 */
export function boardImagesObtainable(repoRoot: string, boards: readonly string[]): boolean {
  if (process.env['EDGEPROBE_LAB_MIRROR']) return true;
  try {
    const hash = execFileSync('bash', [join(repoRoot, 'scripts', 'lab', 'build-boards.sh'), '--hash'], { encoding: 'utf8', timeout: 10_000 }).trim();
    const cache = join(process.env['EDGEPROBE_LAB_CACHE'] ?? '/var/cache/edgeprobe-lab', 'boards');
    if (boards.every((b) => existsSync(join(cache, `${b}-${hash}`, 'manifest.json')))) return true;
  } catch {
    // no bash or no script: fall through to the mirror
  }
  const files = ['/etc/apt/sources.list'];
  try {
    for (const f of readdirSync('/etc/apt/sources.list.d')) files.push(join('/etc/apt/sources.list.d', f));
  } catch {
    // no sources.list.d
  }
  return files.some((f) => {
    try {
      return /https?:\/\/\S*\/debian\/?(\s|$)/m.test(readFileSync(f, 'utf8'));
    } catch {
      return false;
    }
  });
}
