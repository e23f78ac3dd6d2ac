// The lab's emulated ARM userlands: built (or found in the cache) by build-userlands.sh, entered with chroot in
// a private mount and PID namespace, optionally inside Pi-like cgroup limits. ARM binaries run through
// qemu-user-static registered with binfmt_misc; the armel userland runs as an ARMv6 arm1176 (Pi Zero W).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ExecResult, execCommand } from '../../src/platform/process.js';
import { LimitGroup, type Limits } from './cgroup-limits.js';

export type LabArch = 'arm64' | 'armhf' | 'armel';
export const LAB_ARCHES: readonly LabArch[] = ['arm64', 'armhf', 'armel'];

/** What `uname -m` says in each userland. */
export const EXPECTED_MACHINE: Record<LabArch, string> = { arm64: 'aarch64', armhf: 'armv7l', armel: 'armv6l' };

export interface UserlandManifest {
  arch: LabArch;
  suite: string;
  recipe: string;
  machine: string;
  qemuCpu: string;
  node: string;
  python: string;
  debianNodejsCandidate: string;
  buildSeconds: number;
}

export interface Userland {
  arch: LabArch;
  dir: string;
  manifest: UserlandManifest;
}

/** The repository root, found from this file whether it runs from scripts/lab or dist/scripts/lab. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'scripts', 'lab', 'build-userlands.sh'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the repository root (scripts/lab/build-userlands.sh)');
    dir = parent;
  }
}

export const BUILD_SCRIPT = (): string => join(repoRoot(), 'scripts', 'lab', 'build-userlands.sh');

/** A cold build of all three userlands takes several minutes; a warm one is instant. */
export const COLD_BUILD_TIMEOUT_MS = 40 * 60_000;

/** Builds the userlands that are not cached yet (in parallel) and returns all of them. */
export async function ensureUserlands(arches: readonly LabArch[] = LAB_ARCHES, timeoutMs = COLD_BUILD_TIMEOUT_MS): Promise<Map<LabArch, Userland>> {
  const result = await execCommand('bash', [BUILD_SCRIPT(), ...arches], { timeoutMs });
  if (result.code !== 0) {
    throw new Error(`building the lab userlands failed (${describeExit(result)}):\n${result.stderr.trim()}`);
  }
  const found = new Map<LabArch, Userland>();
  for (const line of result.stdout.trim().split('\n')) {
    const [arch, dir] = line.split(' ');
    if (arch === undefined || dir === undefined || !(LAB_ARCHES as readonly string[]).includes(arch)) continue;
    const manifest = JSON.parse(readFileSync(join(dir, 'etc', 'edgeprobe-lab.json'), 'utf8')) as UserlandManifest;
    found.set(arch as LabArch, { arch: arch as LabArch, dir, manifest });
  }
  for (const arch of arches) if (!found.has(arch)) throw new Error(`build-userlands.sh did not report the ${arch} userland`);
  return found;
}

export function describeExit(result: ExecResult): string {
  if (result.spawnError) return `could not start: ${result.spawnError}`;
  if (result.timedOut) return 'timed out';
  return result.signal ? `killed by ${result.signal}` : `exit code ${String(result.code)}`;
}

export interface RunOptions {
  limits?: Limits;
  /** Unique name for the cgroup (defaults to one made from the pid and a counter). */
  groupName?: string;
  timeoutMs: number;
  input?: string | Buffer;
  env?: Record<string, string>;
}

export interface RunResult extends ExecResult {
  /** Highest memory charged to the limit group, when limits were given. */
  peakMemoryBytes: number | null;
}

// Shared by runs and SSH devices, started by unshare with a private mount namespace: joins the limit groups
// (the cgroup.procs files in $EDGEPROBE_LAB_PROCS), gives the userland $1 (if any) a /proc of its own, the host's
// /sys (so cgroup files are readable), /dev and a private /tmp, then either chroots into it ($2 = "chroot") or
// runs the command as it is (sshd, which chroots each session itself). The mounts disappear with the namespace:
// nothing is left in the cached directory.
export const LAB_ENTER_SCRIPT = `
set -e
old_ifs=$IFS; IFS=:
for f in $EDGEPROBE_LAB_PROCS; do echo 0 > "$f"; done
IFS=$old_ifs
unset EDGEPROBE_LAB_PROCS
root=$1; how=$2; shift 2
if [ -n "$root" ]; then
  mount -t proc proc "$root/proc"
  mount --rbind /sys "$root/sys"
  mount --bind /dev "$root/dev"
  mount -t tmpfs -o mode=1777,size=256m tmpfs "$root/tmp"
fi
if [ "$how" = chroot ]; then exec chroot "$root" "$@"; fi
exec "$@"
`;

let groupCounter = 0;

/** Runs `command` (a path inside the userland and its arguments) in the userland, inside `limits` if given. */
export async function runInUserland(userland: Userland, command: readonly string[], options: RunOptions): Promise<RunResult> {
  const group = options.limits ? LimitGroup.create(options.groupName ?? `edgeprobe-lab-${process.pid}-${++groupCounter}`, options.limits) : null;
  try {
    const env: NodeJS.ProcessEnv = {
      PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      HOME: '/root',
      LANG: 'C.UTF-8',
      EDGEPROBE_LAB_PROCS: group ? group.procsFiles.join(':') : '',
      ...(userland.arch === 'armel' ? { QEMU_CPU: 'arm1176' } : {}),
      ...options.env,
    };
    const result = await execCommand(
      'unshare',
      [
        '--mount',
        '--propagation',
        'private',
        '--pid',
        '--fork',
        '--kill-child',
        '--',
        '/bin/sh',
        '-c',
        LAB_ENTER_SCRIPT,
        'lab-enter',
        userland.dir,
        'chroot',
        ...command,
      ],
      { timeoutMs: options.timeoutMs, env, ...(options.input !== undefined ? { input: options.input } : {}) },
    );
    return { ...result, peakMemoryBytes: group ? group.peakMemoryBytes() : null };
  } finally {
    await group?.killAll();
    await group?.remove();
  }
}

/** Runs dist/edgeprobe-agent.js with Debian's node inside the userland, streamed on stdin as over SSH. */
export async function runAgentInUserland(userland: Userland, agentArgs: readonly string[], options: Omit<RunOptions, 'input'>): Promise<RunResult> {
  const bundle = readFileSync(join(repoRoot(), 'dist', 'edgeprobe-agent.js'));
  return runInUserland(userland, ['/usr/bin/node', '-', ...agentArgs], { ...options, input: bundle });
}
