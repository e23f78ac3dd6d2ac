// `edgeprobe ssh --keep-connections SECONDS`: OpenSSH connection sharing (ControlMaster, ControlPath,
// ControlPersist), as Ansible sets it up by default. The first run to a host leaves a master connection open
// for SECONDS after its last use; runs within that time open their sessions through it and skip the key
// exchange and the login. Off by default: every kept master is an ssh process on this machine, and anyone
// who can use this user's sockets can open sessions through it without a key (see docs/remote.md).
import { chmodSync, lstatSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../platform/errors.js';

export const KEEP_CONNECTIONS_MAX_S = 3600;

/**
 * A socket's path, with its terminating NUL, must fit sockaddr_un's sun_path: 108 bytes on Linux, 104 on
 * BSD and macOS. ssh first binds "<ControlPath>.<16 random characters>" and then renames it (OpenSSH's
 * mux.c, muxserver_listen), and %C is 40 hexadecimal digits.
 */
const SOCKET_PATH_MAX = (process.platform === 'linux' ? 108 : 104) - 1;
const CONTROL_FILE = '%C';
const CONTROL_FILE_LENGTH = 40;
const TEMPORARY_SUFFIX_LENGTH = 17;

export function parseKeepConnections(value: string): number {
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > KEEP_CONNECTIONS_MAX_S)
    throw new UsageError(`--keep-connections must be a whole number of seconds from 1 to ${KEEP_CONNECTIONS_MAX_S}, got "${value}"`);
  return seconds;
}

/** The masters' folder: the login session's runtime folder where there is one (a tmpfs of this user's), else ~/.cache. */
export function controlDirectory(env: NodeJS.ProcessEnv = process.env): string {
  const runtime = env['XDG_RUNTIME_DIR'];
  if (runtime?.startsWith('/')) return join(runtime, 'edgeprobe-ssh');
  return join(env['HOME'] || homedir(), '.cache', 'edgeprobe', 'ssh');
}

/**
 * Makes the folder (mode 0700, this user's) and returns the ssh options that share connections through it.
 * A folder that another user owns, or that is not a folder, is refused rather than used.
 */
export function connectionSharingOptions(seconds: number, dir: string = controlDirectory()): string[] {
  if (dir.length + 1 + CONTROL_FILE_LENGTH + TEMPORARY_SUFFIX_LENGTH > SOCKET_PATH_MAX)
    throw new UsageError(
      `--keep-connections: the sockets' folder ${dir} is too long for a socket path (at most ${SOCKET_PATH_MAX - CONTROL_FILE_LENGTH - TEMPORARY_SUFFIX_LENGTH - 1} characters); set XDG_RUNTIME_DIR to a shorter folder`,
    );
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stats = lstatSync(dir);
    if (!stats.isDirectory()) throw new UsageError(`--keep-connections: ${dir} is not a folder`);
    const uid = process.getuid?.();
    if (uid !== undefined && stats.uid !== uid) throw new UsageError(`--keep-connections: ${dir} belongs to another user (uid ${stats.uid})`);
    // Only this user may reach the sockets: each one opens sessions on a device without a key.
    if ((stats.mode & 0o077) !== 0) chmodSync(dir, 0o700);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`--keep-connections: cannot make the sockets' folder ${dir} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return ['ControlMaster=auto', `ControlPath=${controlPathValue(dir)}`, `ControlPersist=${seconds}`];
}

/** ssh expands %-tokens in ControlPath and splits an option's value at blanks unless it is double-quoted. */
function controlPathValue(dir: string): string {
  if (dir.includes('"')) throw new UsageError(`--keep-connections: the sockets' folder ${dir} has a double quote, which ssh cannot take in ControlPath`);
  const path = `${dir.replaceAll('%', '%%')}/${CONTROL_FILE}`;
  return /\s/.test(path) ? `"${path}"` : path;
}
