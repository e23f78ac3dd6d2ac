// The lab's bootable boards: full-system qemu-system-aarch64 virtual machines with systemd as PID 1, cgroup v2
// and four cores, built by build-boards.sh from Debian's packages. SSH is forwarded to a spare port on
// 127.0.0.1; the VM has no other network (QEMU user networking with restrict=on). Each running VM has a run
// directory holding its pid, port, console log and an ssh client configuration that reaches it by name.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { type ExecResult, execCommand } from '../../src/platform/process.js';
import { describeExit, repoRoot } from './userland.js';

export type BoardName = 'pi3-arm64' | 'pi-compat32';
export const BOARD_NAMES: readonly BoardName[] = ['pi3-arm64', 'pi-compat32'];

export interface BoardSpec {
  name: BoardName;
  /** Debian architecture of the userland; the kernel is arm64 for both. */
  arch: 'arm64' | 'armhf';
  cpus: number;
  memoryMiB: number;
  /** What a report from it says: `uname -m` (the kernel's) and the userland's bitness. */
  machine: 'aarch64';
  userlandBits: 64 | 32;
}

export const BOARDS: Record<BoardName, BoardSpec> = {
  'pi3-arm64': { name: 'pi3-arm64', arch: 'arm64', cpus: 4, memoryMiB: 1024, machine: 'aarch64', userlandBits: 64 },
  'pi-compat32': { name: 'pi-compat32', arch: 'armhf', cpus: 4, memoryMiB: 512, machine: 'aarch64', userlandBits: 32 },
};

export interface BoardManifest {
  board: BoardName;
  arch: string;
  suite: string;
  recipe: string;
  kernel: string;
  kernelPackage: string;
  node: string;
  python: string;
  django: string;
  buildSeconds: number;
  imageBytes: number;
}

export interface BoardImage {
  spec: BoardSpec;
  dir: string;
  manifest: BoardManifest;
}

/** Cold: two debootstraps with their second stage under qemu-user, in parallel, and the kernel. */
export const BOARD_BUILD_TIMEOUT_MS = 40 * 60_000;

export function isBoardName(value: string | undefined): value is BoardName {
  return value !== undefined && (BOARD_NAMES as readonly string[]).includes(value);
}

/** Builds the images not cached yet (in parallel) and returns the ones asked for. */
export async function ensureBoardImages(names: readonly BoardName[] = BOARD_NAMES, timeoutMs = BOARD_BUILD_TIMEOUT_MS): Promise<Map<BoardName, BoardImage>> {
  const result = await execCommand('bash', [join(repoRoot(), 'scripts', 'lab', 'build-boards.sh'), ...names], { timeoutMs });
  if (result.code !== 0) throw new Error(`building the lab boards failed (${describeExit(result)}):\n${result.stderr.trim()}`);
  const found = new Map<BoardName, BoardImage>();
  for (const line of result.stdout.trim().split('\n')) {
    const [name, dir] = line.split(' ');
    if (!isBoardName(name) || dir === undefined) continue;
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as BoardManifest;
    found.set(name, { spec: BOARDS[name], dir, manifest });
  }
  for (const name of names) if (!found.has(name)) throw new Error(`build-boards.sh did not report the ${name} board`);
  return found;
}

/** Where running VMs keep their state; one directory per instance name. */
export function runRoot(): string {
  return process.env['EDGEPROBE_LAB_RUN'] ?? '/run/edgeprobe-lab/boards';
}

export interface RunningBoard {
  instance: string;
  image: BoardImage;
  runDir: string;
  port: number;
  /** A second forward, to guest port 2222, where nothing listens until a test sets up an sshd there. */
  spare: { hostPort: number; guestPort: 2222 };
  pid: number;
  /** ssh -F this file, then the host alias, reaches the VM (key, known host, port). */
  sshConfig: string;
  hostAlias: string;
  /** ssh options that reach it without the config file: for `edgeprobe ssh --ssh-option`. */
  sshOptions: string[];
  /** root@127.0.0.1:PORT, the target for `edgeprobe ssh` together with sshOptions. */
  target: string;
  bootSeconds: number;
  consoleLog(): string;
  /** Runs a shell command in the VM as root. */
  ssh(command: string, options?: { timeoutMs?: number; input?: string | Buffer }): Promise<ExecResult>;
  stop(): Promise<void>;
}

/** A port on 127.0.0.1 that nothing listens on right now (QEMU binds it next; a lost race fails the boot). */
function sparePort(): Promise<number> {
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

/** KVM only helps when this machine is itself arm64; elsewhere TCG emulates the Cortex-A53. */
function accelerator(): string[] {
  if (process.arch === 'arm64' && existsSync('/dev/kvm')) return ['-accel', 'kvm', '-cpu', 'host'];
  return ['-accel', 'tcg,thread=multi', '-cpu', 'cortex-a53'];
}

export function qemuArgs(image: BoardImage, runDir: string, port: number, sparePortOnHost: number): string[] {
  const { spec } = image;
  return [
    '-M',
    'virt,gic-version=3',
    ...accelerator(),
    '-smp',
    String(spec.cpus),
    '-m',
    String(spec.memoryMiB),
    '-nodefaults',
    '-no-user-config',
    '-display',
    'none',
    '-monitor',
    'none',
    '-no-reboot',
    '-serial',
    `file:${join(runDir, 'console.log')}`,
    '-kernel',
    join(image.dir, 'vmlinuz'),
    '-initrd',
    join(image.dir, 'initrd.img'),
    // panic=1 with -no-reboot: a boot that cannot go on ends QEMU instead of hanging until the timeout.
    '-append',
    'console=ttyAMA0 root=/dev/vda rw panic=1 systemd.show_status=false',
    // snapshot=on: writes go to a throwaway overlay in TMPDIR (the run directory); the cached image never changes.
    '-drive',
    `if=none,id=root,file=${join(image.dir, 'rootfs.img')},format=raw,snapshot=on`,
    '-device',
    'virtio-blk-pci,drive=root',
    // restrict=on: the guest reaches nothing; only the forwarded ports on 127.0.0.1 come in.
    '-netdev',
    `user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:${port}-:22,hostfwd=tcp:127.0.0.1:${sparePortOnHost}-:2222`,
    // romfile= : no PXE option ROM (the kernel is given directly; ipxe-qemu need not be installed).
    '-device',
    'virtio-net-pci,netdev=net0,romfile=',
    '-device',
    'virtio-rng-pci',
    '-pidfile',
    join(runDir, 'qemu.pid'),
  ];
}

// VMs this process started and still owns: killed when it exits, however it exits.
const owned = new Map<string, ChildProcess>();
process.once('exit', () => {
  for (const child of owned.values()) {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

function sshOptionsFor(image: BoardImage, port: number): string[] {
  return [
    `Port=${port}`,
    `IdentityFile=${join(image.dir, 'lab_key')}`,
    `UserKnownHostsFile=${join(image.dir, 'known_hosts')}`,
    `HostKeyAlias=edgeprobe-lab-${image.spec.name}`,
    'StrictHostKeyChecking=yes',
    'IdentitiesOnly=yes',
    'BatchMode=yes',
  ];
}

export interface BootOptions {
  /** Run directory name; defaults to the board's name (one VM per name at a time). */
  instance?: string;
  /** Keep the VM running after this process exits (`npm run lab -- boot`); the caller stops it otherwise. */
  detach?: boolean;
  timeoutMs?: number;
}

/** An empty run directory for the instance, refused while a VM of that name runs. */
function freshRunDir(instance: string): string {
  if (!/^[a-z0-9][a-z0-9-]{0,40}$/.test(instance)) throw new Error(`bad instance name "${instance}"`);
  const runDir = join(runRoot(), instance);
  if (existsSync(join(runDir, 'qemu.pid')) && runningPid(runDir) !== null) {
    throw new Error(`${instance} is already running (npm run lab -- stop ${instance})`);
  }
  rmSync(runDir, { recursive: true, force: true });
  mkdirSync(runDir, { recursive: true, mode: 0o700 });
  return runDir;
}

/** What `npm run lab` and ssh -F need to find the VM again; returns the ssh_config's path. */
function writeRunFiles(runDir: string, image: BoardImage, port: number, hostAlias: string, sshOptions: readonly string[]): string {
  const sshConfig = join(runDir, 'ssh_config');
  writeFileSync(sshConfig, [`Host ${hostAlias}`, '  HostName 127.0.0.1', '  User root', ...sshOptions.map((o) => `  ${o.replace('=', ' ')}`), ''].join('\n'));
  writeFileSync(join(runDir, 'port'), `${port}\n`);
  writeFileSync(join(runDir, 'image'), `${image.dir}\n`);
  return sshConfig;
}

/** Boots the image and waits until SSH answers and systemd has finished starting up. */
export async function bootBoard(image: BoardImage, options: BootOptions = {}): Promise<RunningBoard> {
  const instance = options.instance ?? image.spec.name;
  const runDir = freshRunDir(instance);
  const port = await sparePort();
  let sparePortOnHost = await sparePort();
  while (sparePortOnHost === port) sparePortOnHost = await sparePort();
  const spare = { hostPort: sparePortOnHost, guestPort: 2222 as const };
  const started = Date.now();
  const child = spawn('qemu-system-aarch64', qemuArgs(image, runDir, port, spare.hostPort), {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', TMPDIR: runDir },
  });
  owned.set(instance, child);
  let qemuErr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (qemuErr.length < 64_000) qemuErr += chunk.toString('utf8');
  });
  const spawnFailure = new Promise<string>((resolve) => {
    child.once('error', (err) => resolve(`qemu-system-aarch64 could not start: ${err.message} (scripts/install-test-deps.sh installs qemu-system-arm)`));
    child.once('exit', (code, signal) => resolve(`qemu-system-aarch64 exited (${signal ?? `code ${String(code)}`}) during boot`));
  });
  const hostAlias = `edgeprobe-lab-${instance}`;
  const sshOptions = sshOptionsFor(image, port);
  const sshConfig = writeRunFiles(runDir, image, port, hostAlias, sshOptions);
  const consoleLog = (): string => {
    try {
      return readFileSync(join(runDir, 'console.log'), 'utf8');
    } catch {
      return '';
    }
  };
  const ssh = (command: string, opts: { timeoutMs?: number; input?: string | Buffer } = {}): Promise<ExecResult> =>
    execCommand('ssh', ['-F', 'none', ...sshOptions.flatMap((o) => ['-o', o]), '-o', 'ConnectTimeout=20', 'root@127.0.0.1', command], {
      timeoutMs: opts.timeoutMs ?? 120_000,
      ...(opts.input !== undefined ? { input: opts.input } : {}),
    });
  const stop = async (): Promise<void> => {
    await stopVm(runDir, child);
    owned.delete(instance);
  };
  try {
    const deadline = started + (options.timeoutMs ?? 15 * 60_000);
    const ready = waitUntilUp(ssh, deadline);
    const outcome = await Promise.race([ready, spawnFailure]);
    if (outcome !== 'up') throw new Error(`${outcome}\n${qemuErr.trim()}\nconsole (last lines):\n${consoleLog().split('\n').slice(-30).join('\n')}`);
  } catch (err) {
    await stop();
    throw err;
  }
  if (options.detach) {
    owned.delete(instance);
    child.stderr?.destroy();
    child.unref();
  }
  return {
    instance,
    image,
    runDir,
    port,
    spare,
    pid: child.pid ?? -1,
    sshConfig,
    hostAlias,
    sshOptions,
    target: `root@127.0.0.1:${port}`,
    bootSeconds: Math.round((Date.now() - started) / 1000),
    consoleLog,
    ssh,
    stop,
  };
}

/** Polls until sshd answers, then lets systemd finish starting up (is-system-running --wait). */
async function waitUntilUp(ssh: RunningBoard['ssh'], deadline: number): Promise<'up' | string> {
  let last = '';
  while (Date.now() < deadline) {
    const probe = await ssh('systemctl is-system-running --wait || true', { timeoutMs: Math.max(5_000, Math.min(600_000, deadline - Date.now())) });
    if (probe.code === 0 && /^(running|degraded)\s*$/m.test(probe.stdout)) return 'up';
    last = `${describeExit(probe)}: ${(probe.stdout + probe.stderr).trim().slice(-300)}`;
    await new Promise((resolve) => setTimeout(resolve, 3_000));
  }
  return `the VM did not answer over SSH with systemd up before the deadline (last: ${last})`;
}

/** The VM's pid from its run directory, if that process is still a QEMU of this run directory. */
export function runningPid(runDir: string): number | null {
  let pid: number;
  try {
    pid = Number(readFileSync(join(runDir, 'qemu.pid'), 'utf8').trim());
  } catch {
    return null;
  }
  if (!Number.isInteger(pid) || pid <= 1) return null;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('qemu-system-aarch64') && cmdline.includes(runDir) ? pid : null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops the VM (SIGTERM, then SIGKILL after 5 s) and removes its run directory with the overlay. */
export async function stopVm(runDir: string, child?: ChildProcess): Promise<boolean> {
  const pid = child?.pid ?? runningPid(runDir);
  let stopped = false;
  if (pid !== null && pid !== undefined && alive(pid)) {
    process.kill(pid, 'SIGTERM');
    for (let waited = 0; waited < 5_000 && alive(pid); waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
    if (alive(pid)) process.kill(pid, 'SIGKILL');
    for (let waited = 0; waited < 5_000 && alive(pid); waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
    stopped = true;
  }
  rmSync(runDir, { recursive: true, force: true });
  return stopped;
}

/** `npm run lab -- stop NAME`. */
export async function stopInstance(instance: string): Promise<boolean> {
  if (!/^[a-z0-9][a-z0-9-]{0,40}$/.test(instance)) throw new Error(`bad instance name "${instance}"`);
  return stopVm(join(runRoot(), instance));
}
