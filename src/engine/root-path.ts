// Following a device path's symlinks without leaving --root. A recorded tree may hold absolute links
// (bin/sh -> /usr/bin/dash); the operating system would follow them to this machine's own files, so each
// link is read and re-anchored under the root by hand.
import { lstat, readlink } from 'node:fs/promises';
import { join, posix } from 'node:path';

// Linux gives up after 40 links (ELOOP); a tree can hold no deeper chain that makes sense.
const MAX_LINKS = 40;

function hostPath(root: string, devicePath: string): string {
  return root === '/' ? devicePath : join(root, devicePath);
}

/** The device path `devicePath` names once every link is followed under `root`; null when a part is missing or it loops. */
export async function resolveUnderRoot(root: string, devicePath: string): Promise<string | null> {
  let pending = posix.normalize(devicePath).split('/').filter(Boolean);
  let resolved = '/';
  let links = 0;
  while (pending.length > 0) {
    const [part, ...rest] = pending;
    pending = rest;
    if (part === undefined || part === '.') continue;
    if (part === '..') {
      resolved = posix.dirname(resolved);
      continue;
    }
    const candidate = posix.join(resolved, part);
    let isLink: boolean;
    try {
      isLink = (await lstat(hostPath(root, candidate))).isSymbolicLink();
    } catch {
      return null;
    }
    if (!isLink) {
      resolved = candidate;
      continue;
    }
    if (++links > MAX_LINKS) return null;
    const target = await readlink(hostPath(root, candidate));
    if (target.startsWith('/')) resolved = '/';
    pending = [...target.split('/').filter(Boolean), ...pending];
  }
  return resolved;
}
