// The client side of the test sshd (test/helpers/sshd.ts): throwaway Unix users with the test key, ssh_config
// aliases, and PATH directories that leave programs out or hold only busybox.
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './sshd-system.js';

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

export interface AliasOptions {
  /** Known-hosts file for this alias (default: the one holding the real host key). */
  knownHosts?: string;
  port?: number;
  hostName?: string;
}

/** What the users of one test sshd share: the name prefix, the directory their homes go under, the group sshd allows. */
export interface UserRealm {
  id: string;
  dir: string;
  group: string;
  clientPublicKey: string;
  /** Every user created so far (removed when sshd stops). */
  users: TestUser[];
}

export function addTestUser(realm: UserRealm, options: AddUserOptions): TestUser {
  const name = `${realm.id}${options.label.replace(/[^a-z0-9]/g, '').slice(0, 12)}${realm.users.length}`;
  const home = join(realm.dir, 'home', name);
  mkdirSync(join(home, '.ssh'), { recursive: true });
  run('useradd', ['-M', '-N', '-p', '*', '-g', realm.group, '-d', home, '-s', options.shell ?? '/bin/sh', name]);
  const user: TestUser = { name, home, uid: Number(run('id', ['-u', name]).trim()) };
  realm.users.push(user);
  if (options.authorized !== false) writeFileSync(join(home, '.ssh', 'authorized_keys'), `${realm.clientPublicKey}\n`);
  if (options.path !== undefined) {
    writeFileSync(join(home, '.ssh', 'environment'), `PATH=${options.path}\n`);
    user.path = options.path;
  }
  for (const path of [home, join(home, '.ssh')]) chownSync(path, user.uid, Number(run('id', ['-g', name]).trim()));
  chmodSync(home, 0o755);
  return user;
}

/** Where an alias connects by default: the test sshd, with the test key, checking the real host key. */
export interface AliasDefaults {
  address: string;
  port: number;
  clientKey: string;
  knownHosts: string;
}

export function aliasEntry(name: string, userName: string, defaults: AliasDefaults, options: AliasOptions): string {
  return [
    `Host ${name}`,
    `  HostName ${options.hostName ?? defaults.address}`,
    `  Port ${options.port ?? defaults.port}`,
    `  User ${userName}`,
    `  IdentityFile ${defaults.clientKey}`,
    '  IdentitiesOnly yes',
    `  UserKnownHostsFile ${options.knownHosts ?? defaults.knownHosts}`,
    '  GlobalKnownHostsFile /dev/null',
    '  StrictHostKeyChecking yes',
    '  LogLevel ERROR',
    '',
  ].join('\n');
}

/** Fills the new directory bin with symlinks to everything in the system's bin directories except programs. */
export function linkPathWithout(bin: string, programs: readonly string[]): string {
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
}

export function installBusybox(bin: string): string {
  mkdirSync(bin);
  run('/usr/bin/busybox', ['--install', '-s', bin]);
  chmodSync(bin, 0o755);
  return bin;
}
