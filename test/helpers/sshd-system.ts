// The system side of the test sshd (test/helpers/sshd.ts): keys, sshd_config, cgroup v1 limits, a network
// namespace reached over veth, and removing the throwaway users and group again. Needs root.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CgroupLimits {
  memoryBytes?: number;
  /** CPU quota in CPUs, e.g. 1.5 -> cfs_quota_us 150000 over a 100000 period. */
  cpus?: number;
  /** cpuset.cpus, e.g. "0". */
  cpuset?: string;
}

export function run(file: string, args: string[]): string {
  return execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
}

export function setupCgroup(id: string, limits: CgroupLimits): string[] {
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

export function removeCgroups(dirs: readonly string[]): void {
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

/** Kills what each user still runs, waits (bounded) until it is gone so userdel does not refuse, removes users and group. */
export function removeUsersAndGroup(userNames: readonly string[], group: string): void {
  for (const name of userNames) {
    for (let attempt = 0; attempt < 50; attempt++) {
      try {
        execFileSync('pkill', ['-KILL', '-u', name], { stdio: 'ignore', timeout: 5000 });
      } catch {
        break; // no process left
      }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    }
    try {
      run('userdel', ['-f', name]);
    } catch {
      // already removed
    }
  }
  try {
    run('groupdel', [group]);
  } catch {
    // already removed
  }
}

/** A network namespace `<id>ns` joined to the host by a veth pair on a random 10.x.y.z/30; sshd's side is .2. */
export function createNetns(id: string): { netns: string; address: string } {
  const netns = `${id}ns`;
  const subnet = `10.${100 + ((randomBytes(1)[0] ?? 0) % 100)}.${randomBytes(1)[0] ?? 0}.${((randomBytes(1)[0] ?? 0) % 64) * 4}`;
  const base = subnet.split('.').map(Number);
  const hostSide = `${base[0]}.${base[1]}.${base[2]}.${(base[3] ?? 0) + 1}`;
  const address = `${base[0]}.${base[1]}.${base[2]}.${(base[3] ?? 0) + 2}`;
  run('ip', ['netns', 'add', netns]);
  run('ip', ['link', 'add', `${id}h`, 'type', 'veth', 'peer', 'name', `${id}d`]);
  run('ip', ['link', 'set', `${id}d`, 'netns', netns]);
  run('ip', ['addr', 'add', `${hostSide}/30`, 'dev', `${id}h`]);
  run('ip', ['link', 'set', `${id}h`, 'up']);
  run('ip', ['netns', 'exec', netns, 'ip', 'addr', 'add', `${address}/30`, 'dev', `${id}d`]);
  run('ip', ['netns', 'exec', netns, 'ip', 'link', 'set', `${id}d`, 'up']);
  run('ip', ['netns', 'exec', netns, 'ip', 'link', 'set', 'lo', 'up']);
  return { netns, address };
}

export function removeNetns(netns: string): void {
  try {
    run('ip', ['netns', 'del', netns]);
  } catch {
    // already gone
  }
}

export interface SshdKeys {
  hostKey: string;
  clientKey: string;
  clientPublicKey: string;
  /** "type base64" of the real host key and of another one (for a host key mismatch). */
  hostPublic: string;
  otherPublic: string;
}

export function generateKeys(dir: string, id: string): SshdKeys {
  const hostKey = join(dir, 'ssh_host_ed25519_key');
  const otherHostKey = join(dir, 'other_host_key');
  const clientKey = join(dir, 'client_key');
  run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${id}-host`, '-f', hostKey]);
  run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${id}-other`, '-f', otherHostKey]);
  run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${id}-client`, '-f', clientKey]);
  const publicPart = (file: string): string => readFileSync(file, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
  return {
    hostKey,
    clientKey,
    clientPublicKey: readFileSync(`${clientKey}.pub`, 'utf8').trim(),
    hostPublic: publicPart(`${hostKey}.pub`),
    otherPublic: publicPart(`${otherHostKey}.pub`),
  };
}

export function sshdConfigText(port: number, address: string, hostKey: string, dir: string, group: string): string {
  return [
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
  ].join('\n');
}
