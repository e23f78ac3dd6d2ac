// A real OpenSSH server on loopback for tests: Debian's /usr/sbin/sshd on a spare port with a generated host
// key, a generated client key, throwaway Unix users (created here, removed by stop()), an ssh_config with one
// alias per test host, and optionally a cgroup with Pi-like limits (cgroup v1) that every session inherits.
// Optionally sshd runs in a network namespace of its own (a device on its own network, reached over veth).
// Needs root. Usage:
//   const sshd = await startSshd({ cgroup: { memoryBytes: 512 * MiB, cpus: 1.5, cpuset: '0' } });
//   const user = await sshd.addUser({ label: 'pi' });            // node on PATH, key accepted
//   sshd.alias('pi', user)                                        // -> Host pi in sshd.sshConfig
//   ... ssh -F sshd.sshConfig pi true ...
//   await sshd.stop();
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sparePort } from './services.js';
import {
  type CgroupLimits,
  createNetns,
  generateKeys,
  removeCgroups,
  removeNetns,
  removeUsersAndGroup,
  run,
  type SshdKeys,
  setupCgroup,
  sshdConfigText,
} from './sshd-system.js';
import {
  type AddUserOptions,
  type AliasOptions,
  addTestUser,
  aliasEntry,
  installBusybox,
  linkPathWithout,
  type TestUser,
  type UserRealm,
} from './sshd-users.js';

export type { AddUserOptions, AliasOptions, CgroupLimits, TestUser };

export const SSHD_BINARY = '/usr/sbin/sshd';

export interface Sshd {
  /** Where sshd listens: 127.0.0.1, or its own address inside the network namespace. */
  address: string;
  /** The network namespace sshd runs in, if any. */
  netns?: string;
  port: number;
  dir: string;
  /** ssh_config with every alias added so far (ssh -F). */
  sshConfig: string;
  clientKey: string;
  clientPublicKey: string;
  knownHosts: string;
  /** A known_hosts file naming a different key for the same address: "host key mismatch". */
  wrongKnownHosts: string;
  cgroupDirs: string[];
  pid: number;
  log(): string;
  addUser(options: AddUserOptions): TestUser;
  /** Adds `Host name` to sshConfig, connecting as user. */
  alias(name: string, user: TestUser | string, options?: AliasOptions): void;
  /** A directory of symlinks to everything in /usr/bin and /usr/sbin except the named programs. */
  pathWithout(programs: readonly string[]): string;
  /** A directory holding busybox's applets only (busybox --install -s): a busybox-only userland. */
  busyboxPath(): string;
  stop(): Promise<void>;
}

export function sshdAvailable(): boolean {
  return existsSync(SSHD_BINARY) && typeof process.getuid === 'function' && process.getuid() === 0;
}

export { sparePort };

/** A TCP server that accepts connections and never says a word: an ssh server that hangs. */
export async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function waitForBanner(host: string, port: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve) => {
    const attempt = (): void => {
      const socket = createConnection({ host, port });
      let data = '';
      socket.setTimeout(1000);
      socket.on('data', (chunk) => {
        data += chunk.toString();
        if (data.startsWith('SSH-')) {
          socket.destroy();
          resolve(true);
        }
      });
      const retry = (): void => {
        socket.destroy();
        if (Date.now() > deadline) resolve(false);
        else setTimeout(attempt, 100);
      };
      socket.on('error', retry);
      socket.on('timeout', retry);
    };
    attempt();
  });
}

export interface SshdOptions {
  cgroup?: CgroupLimits;
  /**
   * Run sshd in a network namespace of its own, reached over a veth pair (a "device" on its own network
   * at 10.x.y.2, port 22), rather than on 127.0.0.1.
   */
  netns?: boolean;
}

function knownHostsName(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`;
}

interface Launched {
  child: ChildProcess;
  pid: number;
  port: number;
}

/** Starts sshd -D on a spare port (22 inside its own namespace), retrying when the port was taken meanwhile. */
async function launchSshd(realm: UserRealm, hostKey: string, address: string, netns: string | undefined, stderr: { text: string }): Promise<Launched> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = netns ? 22 : await sparePort();
    const config = join(realm.dir, 'sshd_config');
    writeFileSync(config, sshdConfigText(port, address, hostKey, realm.dir, realm.group));
    // nsenter enters only the network namespace and execs sshd in place (the child's pid is sshd's);
    // `ip netns exec` would also remount /sys and hide the cgroup hierarchies from the sessions.
    const command = netns ? ['nsenter', `--net=/run/netns/${netns}`, '--', SSHD_BINARY] : [SSHD_BINARY];
    const candidate = spawn(command[0] ?? SSHD_BINARY, [...command.slice(1), '-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    candidate.stderr?.on('data', (chunk: Buffer) => {
      if (stderr.text.length < 256 * 1024) stderr.text += chunk.toString();
    });
    const exited = new Promise<boolean>((resolve) => candidate.once('exit', () => resolve(false)));
    const ready = await Promise.race([waitForBanner(address, port, 10_000), exited]);
    if (ready && candidate.pid !== undefined) return { child: candidate, pid: candidate.pid, port };
    candidate.kill('SIGKILL');
  }
  throw new Error(`sshd did not start:\n${stderr.text}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3000))]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

interface Started {
  realm: UserRealm;
  keys: SshdKeys;
  address: string;
  netns: string | undefined;
  launched: Launched;
  cgroupDirs: string[];
  stderr: { text: string };
  stop(): Promise<void>;
}

function describeSshd(started: Started): Sshd {
  const { realm, keys, address, netns, launched } = started;
  const { dir } = realm;
  const knownHosts = join(dir, 'known_hosts');
  const wrongKnownHosts = join(dir, 'known_hosts_wrong');
  writeFileSync(knownHosts, `${knownHostsName(address, launched.port)} ${keys.hostPublic}\n`);
  writeFileSync(wrongKnownHosts, `${knownHostsName(address, launched.port)} ${keys.otherPublic}\n`);
  const sshConfig = join(dir, 'ssh_config');
  writeFileSync(sshConfig, '');
  const aliases: string[] = [];
  let pathCounter = 0;
  const defaults = { address, port: launched.port, clientKey: keys.clientKey, knownHosts };
  return {
    address,
    ...(netns ? { netns } : {}),
    port: launched.port,
    dir,
    sshConfig,
    clientKey: keys.clientKey,
    clientPublicKey: keys.clientPublicKey,
    knownHosts,
    wrongKnownHosts,
    cgroupDirs: started.cgroupDirs,
    pid: launched.pid,
    log: () => started.stderr.text,
    addUser: (userOptions) => addTestUser(realm, userOptions),
    alias(name, user, aliasOptions = {}) {
      aliases.push(aliasEntry(name, typeof user === 'string' ? user : user.name, defaults, aliasOptions));
      writeFileSync(sshConfig, aliases.join('\n'));
    },
    pathWithout: (programs) => linkPathWithout(join(dir, `path${pathCounter++}`), programs),
    busyboxPath: () => installBusybox(join(dir, `busybox${pathCounter++}`)),
    stop: () => started.stop(),
  };
}

export async function startSshd(options: SshdOptions = {}): Promise<Sshd> {
  const id = `ep${randomBytes(3).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), `edgeprobe-sshd-${id}-`));
  chmodSync(dir, 0o755);
  const group = `${id}g`;
  run('groupadd', [group]);
  const stderr = { text: '' };
  let cgroupDirs: string[] = [];
  let netns: string | undefined;
  let child: ChildProcess | undefined;
  const realm: UserRealm = { id, dir, group, clientPublicKey: '', users: [] };
  const cleanupSystem = (): void => {
    removeUsersAndGroup(
      realm.users.map((user) => user.name),
      group,
    );
    removeCgroups(cgroupDirs);
    if (netns) removeNetns(netns);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    const keys = generateKeys(dir, id);
    realm.clientPublicKey = keys.clientPublicKey;
    let address = '127.0.0.1';
    if (options.netns) ({ netns, address } = createNetns(id));
    const launched = await launchSshd(realm, keys.hostKey, address, netns, stderr);
    child = launched.child;
    if (options.cgroup) {
      cgroupDirs = setupCgroup(id, options.cgroup);
      for (const cg of cgroupDirs) writeFileSync(join(cg, 'cgroup.procs'), String(launched.pid));
    }
    const stop = async (): Promise<void> => {
      await stopChild(launched.child);
      cleanupSystem();
    };
    return describeSshd({ realm, keys, address, netns, launched, cgroupDirs, stderr, stop });
  } catch (err) {
    child?.kill('SIGKILL');
    cleanupSystem();
    throw err;
  }
}
