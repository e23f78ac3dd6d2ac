// An SSH "device": Debian's OpenSSH server in a network namespace of its own (a veth pair with a private /30),
// inside Pi-like cgroup limits, and, given a userland, with every session chrooted into that emulated ARM
// userland, so `node` on the device is Debian's ARM node under qemu-user.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { execCommand, makeTempDir, removeTemp, stopChild, trackChild } from '../../src/platform/process.js';
import { LimitGroup, type Limits } from './cgroup-limits.js';
import { LAB_ENTER_SCRIPT, type Userland } from './userland.js';

export interface SshDevice {
  /** The device's own address, inside its network namespace. */
  host: string;
  port: number;
  user: string;
  identityFile: string;
  knownHostsFile: string;
  /** ssh options that reach the device: identity, known hosts, no agent, batch mode. */
  sshOptions: string[];
  netns: string;
  /** The host's end of the veth pair. */
  hostInterface: string;
  limits: Limits;
  userland: Userland | null;
  /** sshd's log so far (its -e output), for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

export interface SshDeviceOptions {
  limits: Limits;
  userland?: Userland;
  /** Unique among concurrent devices; defaults to one from the pid and a counter. */
  name?: string;
}

let counter = 0;
const liveNamespaces = new Set<string>();
process.once('exit', () => {
  // A crashed run must not leave namespaces (and their veth pairs) behind.
  for (const ns of liveNamespaces) {
    try {
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore', timeout: 5_000 });
    } catch {
      // already gone
    }
  }
});

async function ip(args: string[]): Promise<void> {
  const result = await execCommand('ip', args, { timeoutMs: 10_000 });
  if (result.code !== 0) throw new Error(`ip ${args.join(' ')}: ${result.stderr.trim() || result.spawnError || `exit ${String(result.code)}`}`);
}

/** A /30 in 10.233.0.0/16 that no interface or route on this machine uses yet. */
async function freeSubnet(): Promise<{ hostAddress: string; deviceAddress: string }> {
  const routes = await execCommand('ip', ['-4', 'route', 'show', 'table', 'all'], { timeoutMs: 10_000 });
  const addresses = await execCommand('ip', ['-4', '-o', 'addr', 'show'], { timeoutMs: 10_000 });
  const inUse = `${routes.stdout}\n${addresses.stdout}`;
  for (let attempt = 0; attempt < 100; attempt++) {
    const base = `10.233.${randomInt(0, 256)}.${randomInt(0, 64) * 4}`;
    const octets = base.split('.').map(Number);
    const host = `${octets[0]}.${octets[1]}.${octets[2]}.${(octets[3] ?? 0) + 1}`;
    const device = `${octets[0]}.${octets[1]}.${octets[2]}.${(octets[3] ?? 0) + 2}`;
    if (!inUse.includes(`${base}/30`) && !inUse.includes(host) && !inUse.includes(device)) return { hostAddress: host, deviceAddress: device };
  }
  throw new Error('no free /30 in 10.233.0.0/16');
}

function waitForPort(host: string, port: number, timeoutMs: number, sshd: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      if (sshd.exitCode !== null || sshd.signalCode !== null) {
        reject(new Error('sshd exited during start-up'));
        return;
      }
      const socket = connect({ host, port });
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`sshd did not listen on ${host}:${port} within ${timeoutMs} ms`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

/** The device's host key and the lab's client key, fresh for every device. */
async function makeKeys(dir: string): Promise<void> {
  for (const [file, comment] of [
    ['host_key', 'device host key'],
    ['client_key', 'lab client'],
  ] as const) {
    const made = await execCommand('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', join(dir, file)], { timeoutMs: 20_000 });
    if (made.code !== 0) throw new Error(`ssh-keygen: ${made.stderr.trim()}`);
  }
}

/** The device's network namespace, joined to this machine by a veth pair on a free /30. */
async function createNetwork(netns: string, vethHost: string, vethDevice: string): Promise<{ hostAddress: string; deviceAddress: string }> {
  const { hostAddress, deviceAddress } = await freeSubnet();
  await ip(['netns', 'add', netns]);
  liveNamespaces.add(netns);
  await ip(['link', 'add', vethHost, 'type', 'veth', 'peer', 'name', vethDevice, 'netns', netns]);
  await ip(['addr', 'add', `${hostAddress}/30`, 'dev', vethHost]);
  await ip(['link', 'set', vethHost, 'up']);
  await ip(['-n', netns, 'addr', 'add', `${deviceAddress}/30`, 'dev', vethDevice]);
  await ip(['-n', netns, 'link', 'set', vethDevice, 'up']);
  await ip(['-n', netns, 'link', 'set', 'lo', 'up']);
  return { hostAddress, deviceAddress };
}

/**
 * Why sshd would refuse `dir` as a ChrootDirectory, or null: sshd requires every component of the path to be
 * owned by root and writable by no one else, and otherwise drops each login with only "bad ownership or modes
 * for chroot directory component" in its own log (a cache under /tmp, mode 1777, is the usual case).
 */
export function chrootRefusal(dir: string): string | null {
  for (let path = dir; ; path = dirname(path)) {
    const { uid, mode } = statSync(path);
    if (uid !== 0 || (mode & 0o022) !== 0) {
      return `sshd chroots the device's logins into ${dir} and refuses it: ${path} is ${uid !== 0 ? `owned by uid ${uid}` : `writable by others (mode ${(mode & 0o7777).toString(8)})`}; keep EDGEPROBE_LAB_CACHE where every directory is root's and writable by no one else (the default /var/cache/edgeprobe-lab is)`;
    }
    if (path === dirname(path)) return null;
  }
}

/** sshd's config, keys and known_hosts: key authentication only, root allowed, sessions chrooted into the userland. */
function writeSshdConfig(dir: string, deviceAddress: string, userland: Userland | undefined): void {
  const refusal = userland ? chrootRefusal(userland.dir) : null;
  if (refusal) throw new Error(refusal);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client_key.pub')));
  const hostPub = readFileSync(join(dir, 'host_key.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
  writeFileSync(join(dir, 'known_hosts'), `${deviceAddress} ${hostPub}\n`);
  const config = [
    'Port 22',
    `ListenAddress ${deviceAddress}`,
    `HostKey ${join(dir, 'host_key')}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'StrictModes no',
    'PrintMotd no',
    'LogLevel INFO',
    'MaxStartups 100:30:200',
    'MaxSessions 100',
    ...(userland ? [`ChrootDirectory ${userland.dir}`] : []),
    ...(userland?.arch === 'armel' ? ['SetEnv QEMU_CPU=arm1176'] : []),
  ];
  writeFileSync(join(dir, 'sshd_config'), `${config.join('\n')}\n`);
  chmodSync(join(dir, 'sshd_config'), 0o600);
  // sshd's privilege-separation directory (Debian creates it in the ssh service's start-up).
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
}

// Started under nsenter (network namespace only: `ip netns exec` would remount /sys and hide the cgroup
// hierarchies) and unshare (a private mount namespace for the userland's /proc, /sys, /dev and /tmp).
function spawnSshd(dir: string, netns: string, userland: Userland | undefined, group: LimitGroup): ChildProcess {
  return spawn(
    'nsenter',
    [
      `--net=/run/netns/${netns}`,
      '--',
      'unshare',
      '--mount',
      '--propagation',
      'private',
      '--',
      '/bin/sh',
      '-c',
      LAB_ENTER_SCRIPT,
      'lab-device',
      userland?.dir ?? '',
      'exec',
      '/usr/sbin/sshd',
      '-D',
      '-e',
      '-f',
      join(dir, 'sshd_config'),
    ],
    {
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', EDGEPROBE_LAB_PROCS: group.procsFiles.join(':') },
    },
  );
}

function deviceSshOptions(identityFile: string, knownHostsFile: string): string[] {
  return [
    '-i',
    identityFile,
    '-o',
    `UserKnownHostsFile=${knownHostsFile}`,
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    'ConnectTimeout=10',
    '-F',
    'none',
  ];
}

/** Starts the device and waits until sshd accepts connections. */
export async function startSshDevice(options: SshDeviceOptions): Promise<SshDevice> {
  const serial = ++counter;
  const name = options.name ?? `ep-${process.pid}-${serial}`;
  if (!/^[a-z0-9-]{1,24}$/.test(name)) throw new Error(`bad device name "${name}"`);
  const dir = makeTempDir(`lab-device-${name}`);
  const netns = `edgeprobe-${name}`;
  const short = `${process.pid % 100000}x${serial}`;
  const vethHost = `eph${short}`.slice(0, 15);
  const vethDevice = `epd${short}`.slice(0, 15);
  let group: LimitGroup | null = null;
  let sshd: ChildProcess | null = null;
  let logText = '';

  const stop = async (): Promise<void> => {
    if (sshd) await stopChild(sshd, 2_000);
    sshd = null;
    // Sessions start their own process groups; the device's cgroup holds them all.
    await group?.killAll();
    if (liveNamespaces.has(netns)) {
      // Deleting one end removes the pair now; the namespace itself is torn down by the kernel later.
      await execCommand('ip', ['link', 'del', vethHost], { timeoutMs: 10_000 });
      await execCommand('ip', ['netns', 'del', netns], { timeoutMs: 10_000 });
      liveNamespaces.delete(netns);
    }
    await group?.remove();
    group = null;
    removeTemp(dir);
  };

  try {
    await makeKeys(dir);
    const { deviceAddress } = await createNetwork(netns, vethHost, vethDevice);
    writeSshdConfig(dir, deviceAddress, options.userland);

    group = LimitGroup.create(`edgeprobe-lab-${name}`, options.limits);
    const child = spawnSshd(dir, netns, options.userland, group);
    sshd = child;
    trackChild(child);
    child.stderr?.on('data', (chunk: Buffer) => {
      if (logText.length < 1_000_000) logText += chunk.toString('utf8');
    });
    try {
      await waitForPort(deviceAddress, 22, 15_000, child);
    } catch (err) {
      throw new Error(`${(err as Error).message}\nsshd log:\n${logText.trim()}`);
    }
    const identityFile = join(dir, 'client_key');
    const knownHostsFile = join(dir, 'known_hosts');
    return {
      host: deviceAddress,
      port: 22,
      user: 'root',
      identityFile,
      knownHostsFile,
      sshOptions: deviceSshOptions(identityFile, knownHostsFile),
      netns,
      hostInterface: vethHost,
      limits: options.limits,
      userland: options.userland ?? null,
      log: () => logText,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
