// Finding this process's own cgroup, pure: /proc/self/cgroup says which group, /proc/self/mountinfo says
// where that group's hierarchy is mounted. In a container without a cgroup namespace the mount's root is
// the container's own group (e.g. /docker/<id>), so the group path must be taken relative to that root.
import { posix } from 'node:path';

export interface CgroupMembership {
  hierarchy: string;
  /** Empty for the cgroup v2 line ("0::/path"). */
  controllers: string[];
  path: string;
}

export interface MountInfo {
  root: string;
  mountPoint: string;
  fsType: string;
  superOptions: string[];
  /** Per-mount options: rw, noatime, relatime ... */
  options: string[];
  /** "179:2": the device, as in /sys/dev/block/. */
  majorMinor: string;
  /** Mount source, e.g. /dev/mmcblk0p2, overlay, tmpfs. */
  source: string;
}

export function parseProcCgroup(text: string): CgroupMembership[] {
  const result: CgroupMembership[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const controllerField = line.slice(first + 1, second);
    result.push({
      hierarchy: line.slice(0, first),
      controllers: controllerField === '' ? [] : controllerField.split(','),
      path: line.slice(second + 1).trim() || '/',
    });
  }
  return result;
}

// mountinfo escapes space, tab, newline and backslash as octal.
function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

export function parseMountinfo(text: string): MountInfo[] {
  const mounts: MountInfo[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const separator = line.indexOf(' - ');
    if (separator < 0) continue;
    const left = line.slice(0, separator).split(' ');
    const right = line.slice(separator + 3).split(' ');
    const root = left[3];
    const mountPoint = left[4];
    const fsType = right[0];
    if (root === undefined || mountPoint === undefined || fsType === undefined) continue;
    mounts.push({
      root: unescapeMountField(root),
      mountPoint: unescapeMountField(mountPoint),
      fsType,
      superOptions: (right[2] ?? '').split(','),
      options: (left[5] ?? '').split(','),
      majorMinor: left[2] ?? '',
      source: unescapeMountField(right[1] ?? ''),
    });
  }
  return mounts;
}

export interface CgroupDir {
  version: 1 | 2;
  /** Directory of the group, as a device path (not yet under --root). */
  dir: string;
  /** The hierarchy's mount point: the highest ancestor visible to us. */
  mountPoint: string;
  /** The group's path below the mount point, "/" for the mount point itself: what the report names. */
  path: string;
}

function relativeTo(path: string, mountRoot: string): string {
  if (mountRoot === '/' || mountRoot === '') return path;
  if (path === mountRoot) return '/';
  if (path.startsWith(`${mountRoot}/`)) return path.slice(mountRoot.length);
  // With a cgroup namespace, /proc/self/cgroup is already relative to the namespace root.
  return path;
}

function join(mountPoint: string, relative: string): string {
  const joined = posix.normalize(posix.join(mountPoint, relative));
  return joined.length > 1 && joined.endsWith('/') ? joined.slice(0, -1) : joined;
}

function groupAt(version: 1 | 2, mount: MountInfo, groupPath: string): CgroupDir {
  const dir = join(mount.mountPoint, relativeTo(groupPath, mount.root));
  const below = dir === mount.mountPoint ? '/' : dir.slice(mount.mountPoint === '/' ? 0 : mount.mountPoint.length);
  return { version, dir, mountPoint: mount.mountPoint, path: below };
}

/**
 * Where the group holding `controller` lives: this process's own (from /proc/self/cgroup), or `targetPath`
 * (--unit, --cgroup: a path from the cgroup root) when given. cgroup v1 hierarchies are preferred when
 * mounted (hybrid hosts mount v2 as well, usually with no controllers); otherwise the unified v2 group.
 */
export function locateCgroup(controller: string, memberships: CgroupMembership[], mounts: MountInfo[], targetPath?: string): CgroupDir | null {
  const v1Mount = mounts.find((m) => m.fsType === 'cgroup' && m.superOptions.includes(controller));
  const v1 = memberships.find((m) => m.controllers.includes(controller));
  if (v1Mount && (targetPath !== undefined || v1)) return groupAt(1, v1Mount, targetPath ?? v1?.path ?? '/');
  const v2Mount = mounts.find((m) => m.fsType === 'cgroup2');
  const v2 = memberships.find((m) => m.hierarchy === '0' && m.controllers.length === 0);
  if (v2Mount && (targetPath !== undefined || v2)) return groupAt(2, v2Mount, targetPath ?? v2?.path ?? '/');
  return null;
}

/** The directory `groupPath` has in every mounted cgroup hierarchy (v1 and v2), for telling whether it exists. */
export function groupDirsInAllHierarchies(groupPath: string, mounts: MountInfo[]): string[] {
  return mounts.filter((m) => m.fsType === 'cgroup' || m.fsType === 'cgroup2').map((m) => groupAt(m.fsType === 'cgroup2' ? 2 : 1, m, groupPath).dir);
}

/** The group's directory and each ancestor up to the mount point, nearest first. */
export function ancestorDirs(location: CgroupDir): string[] {
  const dirs: string[] = [];
  let dir = location.dir;
  for (;;) {
    dirs.push(dir);
    if (dir === location.mountPoint || dir === '/' || !dir.startsWith(location.mountPoint)) break;
    dir = posix.dirname(dir);
  }
  return dirs;
}

// cgroup v1 reports "no limit" as a huge page-aligned number (LONG_MAX rounded down to a page).
const V1_UNLIMITED_THRESHOLD = 2 ** 60;

/** memory.max (v2) or memory.limit_in_bytes (v1) text -> bytes, or null when unlimited/unreadable. */
export function parseMemoryLimit(text: string | null): number | null {
  if (text === null) return null;
  const value = text.trim();
  if (value === '' || value === 'max') return null;
  const bytes = Number(value);
  if (!Number.isFinite(bytes) || bytes < 0 || bytes >= V1_UNLIMITED_THRESHOLD) return null;
  return bytes;
}

/** memory.stat -> key/value numbers. */
export function parseFlatKeyed(text: string): Record<string, number> {
  const result: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined && /^-?\d+$/.test(value)) result[key] = Number(value);
  }
  return result;
}

/** cpu.max (v2): "max 100000" or "50000 100000" -> CPUs, null when unlimited. */
export function parseCpuMax(text: string | null): number | null {
  if (text === null) return null;
  const [quota, period] = text.trim().split(/\s+/);
  if (!quota || quota === 'max') return null;
  const q = Number(quota);
  const p = Number(period ?? '100000');
  if (!Number.isFinite(q) || !Number.isFinite(p) || q <= 0 || p <= 0) return null;
  return q / p;
}

/** cpu.cfs_quota_us / cpu.cfs_period_us (v1) -> CPUs, null when unlimited (-1). */
export function parseCfsQuota(quotaText: string | null, periodText: string | null): number | null {
  if (quotaText === null || periodText === null) return null;
  const q = Number(quotaText.trim());
  const p = Number(periodText.trim());
  if (!Number.isFinite(q) || !Number.isFinite(p) || q <= 0 || p <= 0) return null;
  return q / p;
}

export function minOrNull(values: Array<number | null>): number | null {
  const present = values.filter((v): v is number => v !== null);
  return present.length === 0 ? null : Math.min(...present);
}
