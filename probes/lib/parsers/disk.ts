// Which filesystem and block device hold a path, what kind of device it is, and latency percentiles. Pure.
import type { MountInfo } from './cgroup.js';

/** The mount holding `path` (an absolute, symlink-free path): the longest mount point that contains it; the last one mounted wins. */
export function mountFor(mounts: readonly MountInfo[], path: string): MountInfo | null {
  let best: MountInfo | null = null;
  for (const mount of mounts) {
    const mp = mount.mountPoint;
    const inside = mp === '/' || path === mp || path.startsWith(`${mp}/`);
    if (inside && (best === null || mp.length >= best.mountPoint.length)) best = mount;
  }
  return best;
}

/** From a /sys/dev/block/MAJ:MIN link ("../../devices/.../block/mmcblk0/mmcblk0p2"): the partition and its whole disk. */
export function blockNamesFromSysLink(link: string): { name: string; disk: string } | null {
  const parts = link.split('/');
  const at = parts.lastIndexOf('block');
  if (at < 0 || at + 1 >= parts.length) return null;
  const disk = parts[at + 1] ?? '';
  const name = parts[parts.length - 1] ?? disk;
  return disk ? { name, disk } : null;
}

/** "/dev/mmcblk0p2" -> mmcblk0, "/dev/nvme0n1p1" -> nvme0n1, "/dev/sda2" -> sda, "/dev/vda" -> vda. */
export function diskFromDevice(source: string): string | null {
  const name = source.split('/').pop() ?? '';
  // /dev/root is an alias the kernel gives the root device (Raspberry Pi OS): it names no disk.
  if (!source.startsWith('/dev/') || !name || name === 'root') return null;
  const withP = /^((?:mmcblk|nvme\d+n|loop|nbd)\d+)(?:p\d+)?$/.exec(name);
  if (withP?.[1]) return withP[1];
  const plain = /^((?:sd|vd|xvd|hd)[a-z]+)\d*$/.exec(name);
  if (plain?.[1]) return plain[1];
  return name;
}

/**
 * The whole disk of a block device number when sysfs cannot say (a recorded tree): the kernel's fixed
 * majors (Documentation/admin-guide/devices.txt). 179 = MMC (8 minors per card), 8 = SCSI/SATA/USB disks
 * (16 minors per disk).
 */
export function diskFromMajorMinor(majorMinor: string): string | null {
  const match = /^(\d+):(\d+)$/.exec(majorMinor);
  if (!match) return null;
  const major = Number(match[1]);
  const minor = Number(match[2]);
  if (major === 179) return `mmcblk${Math.floor(minor / 8)}`;
  if (major === 8) return `sd${String.fromCharCode(97 + Math.floor(minor / 16))}`;
  return null;
}

export type DeviceKind = 'sd' | 'emmc' | 'nvme' | 'ssd' | 'rotational' | 'usb' | 'ram' | 'network';

export interface DeviceFacts {
  fsType: string;
  disk: string | null;
  /** /sys/block/DISK/queue/rotational */
  rotational: string | null;
  /** /sys/block/mmcblkN/device/type: "SD", "MMC", "SDIO" */
  mmcType: string | null;
  /** True when the disk's sysfs path runs through a USB device. */
  onUsb: boolean;
}

const NETWORK_FS = new Set(['nfs', 'nfs4', 'cifs', 'smb3', 'smbfs', 'sshfs', 'fuse.sshfs', '9p', 'virtiofs', 'ceph', 'glusterfs']);
const RAM_FS = new Set(['tmpfs', 'ramfs']);

/** The kind of storage, or null with the reason. */
export function deviceKind(facts: DeviceFacts): { kind: DeviceKind | null; reason: string | null } {
  if (RAM_FS.has(facts.fsType)) return { kind: 'ram', reason: null };
  if (NETWORK_FS.has(facts.fsType)) return { kind: 'network', reason: null };
  const disk = facts.disk;
  if (!disk) {
    return {
      kind: null,
      reason:
        facts.fsType === 'overlay'
          ? 'overlay filesystem (a container layer): the device underneath is not visible from inside'
          : `no block device behind this ${facts.fsType} filesystem`,
    };
  }
  if (disk.startsWith('mmcblk')) return { kind: (facts.mmcType ?? '').trim().toUpperCase() === 'MMC' ? 'emmc' : 'sd', reason: null };
  if (disk.startsWith('nvme')) return { kind: 'nvme', reason: null };
  if (disk.startsWith('zram') || disk.startsWith('ram')) return { kind: 'ram', reason: null };
  const rotational = facts.rotational?.trim();
  if (rotational === '0') return { kind: 'ssd', reason: null };
  // The SCSI disk driver marks a disk non-rotating only when the device reports a medium rotation rate of 1
  // (VPD page B1); USB sticks do not, so over USB a 1 says nothing: the medium may be flash or a platter.
  if (facts.onUsb) return { kind: 'usb', reason: null };
  if (rotational === '1') return { kind: 'rotational', reason: null };
  return { kind: null, reason: `no /sys/block/${disk}/queue/rotational` };
}

/** Nearest-rank percentile (p in 0..100) of unsorted samples; null for no samples. */
export function percentile(samples: readonly number[], p: number): number | null {
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? null;
}

/** `df -Pk PATH` (POSIX output): total and available bytes. */
export function parseDfPosix(text: string): { totalBytes: number; freeBytes: number } | null {
  const line = text.trim().split('\n')[1];
  const fields = line?.trim().split(/\s+/) ?? [];
  const total = Number(fields[1]);
  const avail = Number(fields[3]);
  return Number.isFinite(total) && Number.isFinite(avail) && fields.length >= 6 ? { totalBytes: total * 1024, freeBytes: avail * 1024 } : null;
}
