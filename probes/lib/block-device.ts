// Which whole disk holds a path: mount table -> the mount's block device -> through device-mapper (LVM,
// LUKS) and md RAID (their `slaves`) and partitions -> the disk or disks underneath, and what the kernel
// says about each (kind, size, model, SD/eMMC card registers). Reads only /proc and /sys under the root,
// so it works the same on a recorded tree.
import { homedir } from 'node:os';
import { posix } from 'node:path';
import type { ProbeContext } from '../../src/engine/probe.js';
import { readLink } from './executables.js';
import { type MountInfo, parseMountinfo } from './parsers/cgroup.js';
import { blockNamesFromSysLink, diskFromDevice, diskFromMajorMinor, mountFor } from './parsers/disk.js';
import {
  type CardIdentity,
  cardIdentity,
  type EmmcLife,
  type PreEol,
  parseEmmcLifeTime,
  parsePreEol,
  parseSdStatus,
  type SdClasses,
  type StorageKind,
  storageKind,
} from './parsers/storage.js';

/** The deployment path the disk and storage probes measure: --path, else the home directory. */
export function deploymentPath(ctx: ProbeContext): string {
  return ctx.options.path ?? homedir();
}

const NETWORK_FS = new Set(['nfs', 'nfs4', 'cifs', 'smb3', 'smbfs', 'sshfs', 'fuse.sshfs', '9p', 'virtiofs', 'ceph', 'glusterfs']);
const RAM_FS = new Set(['tmpfs', 'ramfs']);

export interface BlockResolution {
  mount: MountInfo;
  /** The block device the filesystem is mounted from (mmcblk0p2, dm-0, md0 ...). */
  device: string;
  /** Each step from the mounted device down to the disks: "dm-0 -> sda3 -> sda". */
  chain: string[];
  /** Whole disks underneath (several for md RAID or LVM across disks). */
  disks: string[];
  /** How the mounted device was found. */
  foundBy: 'sysfs' | 'mount source' | 'major number';
}

export type Resolved = { ok: true; value: BlockResolution } | { ok: false; mount: MountInfo | null; reason: string; ramOrNetwork?: 'ram' | 'network' };

export async function readMounts(ctx: ProbeContext): Promise<MountInfo[]> {
  return parseMountinfo((await ctx.readText('/proc/self/mountinfo')) ?? (await ctx.readText('/proc/1/mountinfo')) ?? '');
}

/** The block device named by a mount: its /sys/dev/block link, else its source, else the fixed majors. */
async function mountedDevice(ctx: ProbeContext, mount: MountInfo): Promise<{ name: string; foundBy: BlockResolution['foundBy'] } | null> {
  const link = mount.majorMinor ? await readLink(ctx, `/sys/dev/block/${mount.majorMinor}`) : null;
  const fromLink = link?.split('/').filter(Boolean).pop();
  if (fromLink) return { name: fromLink, foundBy: 'sysfs' };
  if (mount.source.startsWith('/dev/mapper/')) {
    // btrfs and some dm setups give an anonymous major:minor: find the dm device by its name.
    const wanted = mount.source.slice('/dev/mapper/'.length);
    for (const entry of ((await ctx.listDir('/sys/class/block')) ?? []).filter((e) => e.startsWith('dm-'))) {
      if ((await ctx.readText(`/sys/class/block/${entry}/dm/name`))?.trim() === wanted) return { name: entry, foundBy: 'mount source' };
    }
  }
  const base = mount.source.startsWith('/dev/') ? mount.source.slice('/dev/'.length) : '';
  if (base && base !== 'root' && !base.includes('/') && (await ctx.exists(`/sys/class/block/${base}`))) return { name: base, foundBy: 'mount source' };
  const byName = diskFromDevice(mount.source);
  if (byName) return { name: byName, foundBy: 'mount source' };
  const byMajor = diskFromMajorMinor(mount.majorMinor);
  return byMajor ? { name: byMajor, foundBy: 'major number' } : null;
}

/** Walks from a block device down to its whole disks, recording each step. */
async function disksUnder(ctx: ProbeContext, name: string, chain: string[], depth = 0): Promise<string[]> {
  chain.push(name);
  if (depth > 8) return [name];
  const slaves = ((await ctx.listDir(`/sys/class/block/${name}/slaves`)) ?? []).sort();
  if (slaves.length > 0) {
    const disks: string[] = [];
    for (const slave of slaves) for (const disk of await disksUnder(ctx, slave, chain, depth + 1)) if (!disks.includes(disk)) disks.push(disk);
    return disks;
  }
  const known = await ctx.exists(`/sys/class/block/${name}`);
  if (known && !(await ctx.exists(`/sys/class/block/${name}/partition`))) return [name];
  const link = known ? await readLink(ctx, `/sys/class/block/${name}`) : null;
  const parent = (link ? blockNamesFromSysLink(link)?.disk : null) ?? diskFromDevice(`/dev/${name}`);
  if (!parent || parent === name) return [name];
  return disksUnder(ctx, parent, chain, depth + 1);
}

/** The whole disks behind `path` (an absolute path as the device sees it). */
export async function resolveBlockDevice(ctx: ProbeContext, path: string, mounts?: MountInfo[]): Promise<Resolved> {
  const mount = mountFor(mounts ?? (await readMounts(ctx)), path);
  if (!mount) return { ok: false, mount: null, reason: 'no mount table (/proc/self/mountinfo) under the root' };
  if (RAM_FS.has(mount.fsType)) return { ok: false, mount, reason: `${path} is on ${mount.fsType}, in RAM: no block device`, ramOrNetwork: 'ram' };
  if (NETWORK_FS.has(mount.fsType))
    return { ok: false, mount, reason: `${path} is on ${mount.fsType}, a network filesystem: the disk is on another machine`, ramOrNetwork: 'network' };
  const device = await mountedDevice(ctx, mount);
  if (!device) {
    const why =
      mount.fsType === 'overlay'
        ? 'overlay filesystem (a container layer): the device underneath is not visible from inside'
        : `no block device behind this ${mount.fsType} filesystem (${mount.source})`;
    return { ok: false, mount, reason: why };
  }
  const chain: string[] = [];
  const disks = await disksUnder(ctx, device.name, chain);
  return { ok: true, value: { mount, device: device.name, chain, disks, foundBy: device.foundBy } };
}

export interface UsbFacts {
  vendorId: string | null;
  productId: string | null;
  manufacturer: string | null;
  product: string | null;
  /** Link speed in Mbit/s as the kernel prints it: 480 is USB 2.0, 5000 and more USB 3. */
  speedMbps: number | null;
}

export interface DiskFacts {
  disk: string;
  kind: StorageKind;
  /** Where the disk sits in /sys/devices, when the tree has the link. */
  sysPath: string | null;
  sizeBytes: number | null;
  rotational: boolean | null;
  model: string | null;
  card: CardIdentity | null;
  sdClasses: SdClasses | null;
  emmcLife: EmmcLife | null;
  emmcPreEol: PreEol | null;
  usb: UsbFacts | null;
}

const text = async (ctx: ProbeContext, path: string): Promise<string | null> => (await ctx.readText(path))?.trim() || null;

/** The USB device a disk hangs off: the nearest directory above it in /sys/devices with an idVendor. */
async function usbAncestor(ctx: ProbeContext, sysPath: string): Promise<UsbFacts | null> {
  for (let dir = posix.dirname(sysPath); dir.startsWith('/sys/devices/') && dir !== '/sys/devices'; dir = posix.dirname(dir)) {
    const vendorId = await text(ctx, `${dir}/idVendor`);
    if (vendorId === null) continue;
    const speed = Number(await text(ctx, `${dir}/speed`));
    return {
      vendorId,
      productId: await text(ctx, `${dir}/idProduct`),
      manufacturer: await text(ctx, `${dir}/manufacturer`),
      product: await text(ctx, `${dir}/product`),
      speedMbps: Number.isFinite(speed) && speed > 0 ? speed : null,
    };
  }
  return null;
}

async function modelOf(ctx: ProbeContext, base: string, kind: StorageKind, usb: UsbFacts | null): Promise<string | null> {
  if (kind === 'sd' || kind === 'emmc') return text(ctx, `${base}/device/name`);
  if (kind === 'nvme') return text(ctx, `${base}/device/model`);
  // A virtio disk's device/vendor is the PCI vendor id of the virtual device, not a model.
  if (kind === 'virtio') return null;
  const scsi = [await text(ctx, `${base}/device/vendor`), await text(ctx, `${base}/device/model`)].filter((s): s is string => s !== null).join(' ');
  if (kind === 'usb' && usb && (usb.manufacturer || usb.product)) return [usb.manufacturer, usb.product].filter(Boolean).join(' ');
  return scsi || null;
}

export async function diskFacts(ctx: ProbeContext, disk: string): Promise<DiskFacts> {
  const base = `/sys/class/block/${disk}`;
  const link = await readLink(ctx, base);
  const sysPath = link ? posix.join('/sys/class/block', link) : null;
  const kind = storageKind(disk, sysPath, await text(ctx, `${base}/device/type`));
  const sectors = Number(await text(ctx, `${base}/size`));
  const rotational = await text(ctx, `${base}/queue/rotational`);
  const usb = kind === 'usb' && sysPath ? await usbAncestor(ctx, sysPath) : null;
  const facts: DiskFacts = {
    disk,
    kind,
    sysPath,
    sizeBytes: Number.isSafeInteger(sectors) && sectors > 0 ? sectors * 512 : null,
    rotational: rotational === '1' ? true : rotational === '0' ? false : null,
    model: await modelOf(ctx, base, kind, usb),
    card: null,
    sdClasses: null,
    emmcLife: null,
    emmcPreEol: null,
    usb,
  };
  if (kind === 'sd' || kind === 'emmc') {
    const files = ['name', 'manfid', 'oemid', 'date', 'type', 'cid', 'csd', 'serial'] as const;
    const read = Object.fromEntries(await Promise.all(files.map(async (f) => [f, await ctx.readText(`${base}/device/${f}`)] as const)));
    facts.card = cardIdentity(read as Record<(typeof files)[number], string | null>);
    facts.sdClasses = kind === 'sd' ? parseSdStatus(await ctx.readText(`${base}/device/ssr`)) : null;
    facts.emmcLife = kind === 'emmc' ? parseEmmcLifeTime(await ctx.readText(`${base}/device/life_time`)) : null;
    facts.emmcPreEol = kind === 'emmc' ? parsePreEol(await ctx.readText(`${base}/device/pre_eol_info`)) : null;
  }
  return facts;
}
