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
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sparePort } from './services.js';

export const SSHD_BINARY = '/usr/sbin/sshd';

export interface TestUser {
  name: string;
  home: string;
  uid: number;
  /** PATH the sessions get (from ~/.ssh/environment), or undefined for sshd's default. */
  path?: string;
}

export interface AddUserOptions {
  /** Part of the generated user name, for logs. */
  label: string;
  /** Login shell (default /bin/sh). */
  shell?: string;
  /** PATH of every session, set through ~/.ssh/environment. */
  path?: string;
  /** Whether the test client key is authorised (default true). */
  authorized?: boolean;
}

export interface CgroupLimits {
  memoryBytes?: number;
  /** CPU quota in CPUs, e.g. 1.5 -> cfs_quota_us 150000 over a 100000 period. */
  cpus?: number;
  /** cpuset.cpus, e.g. "0". */
  cpuset?: string;
}

export interface AliasOptions {
  /** Known-hosts file for this alias (default: the one holding the real host key). */
  knownHosts?: string;
  port?: number;
  hostName?: string;
}

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

function run(file: string, args: string[]): string {
  return execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
}

function setupCgroup(id: string, limits: CgroupLimits): string[] {
  const dirs: string[] = [];
  if (limits.memoryBytes !== undefined) {
    const dir = `/sys/fs/cgroup/memory/${id}`;
    mkdirSync(dir);
    dirs.push(dir);
    writeFileSync(join(dir, 'memory.limit_in_bytes'), String(limits.memoryBytes));
  }
  if (limits.cpus !== undefined) {
    const dir = `/sys/fs/cgroup/cpu/${id}`;
    mkdirSync(dir);
    dirs.push(dir);
    writeFileSync(join(dir, 'cpu.cfs_period_us'), '100000');
    writeFileSync(join(dir, 'cpu.cfs_quota_us'), String(Math.round(limits.cpus * 100000)));
  }
  if (limits.cpuset !== undefined) {
    const dir = `/sys/fs/cgroup/cpuset/${id}`;
    mkdirSync(dir);
    dirs.push(dir);
    writeFileSync(join(dir, 'cpuset.mems'), readFileSync('/sys/fs/cgroup/cpuset/cpuset.mems', 'utf8').trim() || '0');
    writeFileSync(join(dir, 'cpuset.cpus'), limits.cpuset);
  }
  return dirs;
}

function removeCgroups(dirs: readonly string[]): void {
  for (const dir of dirs) {
    // Move any straggler back to the root group so the directory can go.
    const root = dir.slice(0, dir.lastIndexOf('/'));
    try {
      for (const pid of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
        try {
          writeFileSync(join(root, 'cgroup.procs'), pid);
        } catch {
          // already gone
        }
      }
      rmdirSync(dir);
    } catch {
      // best effort
    }
  }
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

export async function startSshd(options: SshdOptions = {}): Promise<Sshd> {
  const id = `ep${randomBytes(3).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), `edgeprobe-sshd-${id}-`));
  chmodSync(dir, 0o755);
  const group = `${id}g`;
  run('groupadd', [group]);
  const users: TestUser[] = [];
  let cgroupDirs: string[] = [];
  let child: ChildProcess | undefined;
  let stderr = '';
  let netns: string | undefined;
  let address = '127.0.0.1';

  const cleanupSystem = (): void => {
    for (const user of users) {
      // Kill what the user still runs and wait (bounded) until it is gone, so userdel does not refuse.
      for (let attempt = 0; attempt < 50; attempt++) {
        try {
          execFileSync('pkill', ['-KILL', '-u', user.name], { stdio: 'ignore', timeout: 5000 });
        } catch {
          break; // no process left
        }
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
      }
      try {
        run('userdel', ['-f', user.name]);
      } catch {
        // already removed
      }
    }
    try {
      run('groupdel', [group]);
    } catch {
      // already removed
    }
    removeCgroups(cgroupDirs);
    if (netns) {
      try {
        run('ip', ['netns', 'del', netns]);
      } catch {
        // already gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    const hostKey = join(dir, 'ssh_host_ed25519_key');
    const otherHostKey = join(dir, 'other_host_key');
    const clientKey = join(dir, 'client_key');
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${id}-host`, '-f', hostKey]);
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${id}-other`, '-f', otherHostKey]);
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${id}-client`, '-f', clientKey]);
    const clientPublicKey = readFileSync(`${clientKey}.pub`, 'utf8').trim();
    const hostPublic = readFileSync(`${hostKey}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
    const otherPublic = readFileSync(`${otherHostKey}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');

    if (options.netns) {
      netns = `${id}ns`;
      const subnet = `10.${100 + ((randomBytes(1)[0] ?? 0) % 100)}.${randomBytes(1)[0] ?? 0}.${((randomBytes(1)[0] ?? 0) % 64) * 4}`;
      const base = subnet.split('.').map(Number);
      const hostSide = `${base[0]}.${base[1]}.${base[2]}.${(base[3] ?? 0) + 1}`;
      address = `${base[0]}.${base[1]}.${base[2]}.${(base[3] ?? 0) + 2}`;
      run('ip', ['netns', 'add', netns]);
      run('ip', ['link', 'add', `${id}h`, 'type', 'veth', 'peer', 'name', `${id}d`]);
      run('ip', ['link', 'set', `${id}d`, 'netns', netns]);
      run('ip', ['addr', 'add', `${hostSide}/30`, 'dev', `${id}h`]);
      run('ip', ['link', 'set', `${id}h`, 'up']);
      run('ip', ['netns', 'exec', netns, 'ip', 'addr', 'add', `${address}/30`, 'dev', `${id}d`]);
      run('ip', ['netns', 'exec', netns, 'ip', 'link', 'set', `${id}d`, 'up']);
      run('ip', ['netns', 'exec', netns, 'ip', 'link', 'set', 'lo', 'up']);
    }
    let port = 0;
    for (let attempt = 0; attempt < 5 && child === undefined; attempt++) {
      port = netns ? 22 : await sparePort();
      const config = join(dir, 'sshd_config');
      writeFileSync(
        config,
        [
          `Port ${port}`,
          `ListenAddress ${address}`,
          `HostKey ${hostKey}`,
          `PidFile ${join(dir, 'sshd.pid')}`,
          'AuthorizedKeysFile .ssh/authorized_keys',
          'PubkeyAuthentication yes',
          'PasswordAuthentication no',
          'KbdInteractiveAuthentication no',
          'UsePAM no',
          'StrictModes no',
          'PermitRootLogin no',
          'PermitUserEnvironment yes',
          `AllowGroups ${group}`,
          'MaxStartups 100:30:200',
          'MaxSessions 50',
          'LoginGraceTime 30',
          'PrintMotd no',
          'Subsystem sftp internal-sftp',
          'LogLevel VERBOSE',
          '',
        ].join('\n'),
      );
      // nsenter enters only the network namespace and execs sshd in place (the child's pid is sshd's);
      // `ip netns exec` would also remount /sys and hide the cgroup hierarchies from the sessions.
      const command = netns ? ['nsenter', `--net=/run/netns/${netns}`, '--', SSHD_BINARY] : [SSHD_BINARY];
      const candidate = spawn(command[0] ?? SSHD_BINARY, [...command.slice(1), '-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
      candidate.stderr?.on('data', (chunk: Buffer) => {
        if (stderr.length < 256 * 1024) stderr += chunk.toString();
      });
      const exited = new Promise<boolean>((resolve) => candidate.once('exit', () => resolve(false)));
      const ready = await Promise.race([waitForBanner(address, port, 10_000), exited]);
      if (ready) child = candidate;
      else candidate.kill('SIGKILL');
    }
    if (!child || child.pid === undefined) throw new Error(`sshd did not start:\n${stderr}`);
    const sshdPid = child.pid;
    if (options.cgroup) {
      cgroupDirs = setupCgroup(id, options.cgroup);
      for (const cg of cgroupDirs) writeFileSync(join(cg, 'cgroup.procs'), String(sshdPid));
    }

    const knownHosts = join(dir, 'known_hosts');
    const wrongKnownHosts = join(dir, 'known_hosts_wrong');
    writeFileSync(knownHosts, `${knownHostsName(address, port)} ${hostPublic}\n`);
    writeFileSync(wrongKnownHosts, `${knownHostsName(address, port)} ${otherPublic}\n`);
    const sshConfig = join(dir, 'ssh_config');
    writeFileSync(sshConfig, '');
    const aliases: string[] = [];
    let pathCounter = 0;

    const sshd: Sshd = {
      address,
      ...(netns ? { netns } : {}),
      port,
      dir,
      sshConfig,
      clientKey,
      clientPublicKey,
      knownHosts,
      wrongKnownHosts,
      cgroupDirs,
      pid: sshdPid,
      log: () => stderr,
      addUser(userOptions) {
        const name = `${id}${userOptions.label.replace(/[^a-z0-9]/g, '').slice(0, 12)}${users.length}`;
        const home = join(dir, 'home', name);
        mkdirSync(join(home, '.ssh'), { recursive: true });
        run('useradd', ['-M', '-N', '-p', '*', '-g', group, '-d', home, '-s', userOptions.shell ?? '/bin/sh', name]);
        const user: TestUser = { name, home, uid: Number(run('id', ['-u', name]).trim()) };
        users.push(user);
        if (userOptions.authorized !== false) writeFileSync(join(home, '.ssh', 'authorized_keys'), `${clientPublicKey}\n`);
        if (userOptions.path !== undefined) {
          writeFileSync(join(home, '.ssh', 'environment'), `PATH=${userOptions.path}\n`);
          user.path = userOptions.path;
        }
        for (const path of [home, join(home, '.ssh')]) chownSync(path, user.uid, Number(run('id', ['-g', name]).trim()));
        chmodSync(home, 0o755);
        return user;
      },
      alias(name, user, aliasOptions = {}) {
        const userName = typeof user === 'string' ? user : user.name;
        aliases.push(
          [
            `Host ${name}`,
            `  HostName ${aliasOptions.hostName ?? address}`,
            `  Port ${aliasOptions.port ?? port}`,
            `  User ${userName}`,
            `  IdentityFile ${clientKey}`,
            '  IdentitiesOnly yes',
            `  UserKnownHostsFile ${aliasOptions.knownHosts ?? knownHosts}`,
            '  GlobalKnownHostsFile /dev/null',
            '  StrictHostKeyChecking yes',
            '  LogLevel ERROR',
            '',
          ].join('\n'),
        );
        writeFileSync(sshConfig, aliases.join('\n'));
      },
      pathWithout(programs) {
        const bin = join(dir, `path${pathCounter++}`);
        mkdirSync(bin);
        for (const source of ['/usr/local/bin', '/usr/bin', '/usr/sbin', '/bin', '/sbin']) {
          let entries: string[] = [];
          try {
            entries = readdirSync(source);
          } catch {
            continue;
          }
          for (const entry of entries) {
            if (programs.includes(entry) || existsSync(join(bin, entry))) continue;
            try {
              symlinkSync(join(source, entry), join(bin, entry));
            } catch {
              // a name seen twice through /bin -> /usr/bin
            }
          }
        }
        chmodSync(bin, 0o755);
        return bin;
      },
      busyboxPath() {
        const bin = join(dir, `busybox${pathCounter++}`);
        mkdirSync(bin);
        run('/usr/bin/busybox', ['--install', '-s', bin]);
        chmodSync(bin, 0o755);
        return bin;
      },
      async stop() {
        if (child && child.exitCode === null && child.signalCode === null) {
          const exited = new Promise<void>((resolve) => child?.once('exit', () => resolve()));
          child.kill('SIGTERM');
          await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3000))]);
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        }
        cleanupSystem();
      },
    };
    return sshd;
  } catch (err) {
    child?.kill('SIGKILL');
    cleanupSystem();
    throw err;
  }
}
