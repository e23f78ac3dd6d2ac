// Builds the storage part (sysfs block devices, mount table) of three constructed device trees under
// test/fixtures/devices/: an SD card, an eMMC and a USB stick. No such device was at hand, so the trees are
// constructed, in the layout a Raspberry Pi's kernel shows, from documented values; each tree's CONSTRUCTED.md
// says which. The rest of each tree (cpuinfo, meminfo, cgroups ...) is copied from pi-4b-bookworm-arm64.
//   node scripts/construct-storage-fixtures.mjs
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const DEVICES = join(REPO, 'test', 'fixtures', 'devices');
const BASE = join(DEVICES, 'pi-4b-bookworm-arm64');

/** CRC7 (x^7 + x^3 + 1) over the first 15 bytes of a CID or CSD, as the SD and eMMC specs define it. */
function crc7(bytes) {
  let crc = 0;
  for (const byte of bytes) {
    for (let bit = 7; bit >= 0; bit--) {
      const top = ((crc >> 6) & 1) ^ ((byte >> bit) & 1);
      crc = (crc << 1) & 0x7f;
      if (top) crc ^= 0x09;
    }
  }
  return crc;
}

/** A 128-bit register from [value, bits] fields, most significant first, with its CRC7 in bits 7:1 and bit 0 set. */
function register128(fields) {
  let value = 0n;
  let width = 0;
  for (const [field, bits] of fields) {
    value = (value << BigInt(bits)) | BigInt(field);
    width += bits;
  }
  if (width !== 120) throw new Error(`fields cover ${width} bits, not 120`);
  const bytes = [];
  for (let i = 14; i >= 0; i--) bytes.push(Number((value >> BigInt(i * 8)) & 0xffn));
  const full = (value << 8n) | BigInt((crc7(bytes) << 1) | 1);
  return full.toString(16).padStart(32, '0');
}

/** The 512-bit SD Status register with the given bits set ([hi, lo, value]); the rest are zero. */
function sdStatus(fields) {
  let value = 0n;
  for (const [, low, field] of fields) value |= BigInt(field) << BigInt(low);
  return value.toString(16).padStart(128, '0');
}

const ascii = (text) => [...text].reduce((n, c) => (n << 8n) | BigInt(c.charCodeAt(0)), 0n);

function write(root, path, content) {
  const file = join(root, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content.endsWith('\n') || content === '' ? content : `${content}\n`);
}

/** A relative symlink inside the tree, as sysfs has them. */
function link(root, path, target) {
  const at = join(root, path);
  mkdirSync(dirname(at), { recursive: true });
  symlinkSync(relative(dirname(at), join(root, target)), at);
}

/** A whole disk and its partitions under `devicePath`, with the class, block and dev links sysfs has. */
function blockDevice(root, { devicePath, disk, major, minorBase, sectors, rotational, stat, partitions, deviceLink }) {
  const diskDir = `${devicePath}/block/${disk}`;
  write(root, `${diskDir}/size`, String(sectors));
  write(root, `${diskDir}/dev`, `${major}:${minorBase}`);
  write(root, `${diskDir}/queue/rotational`, String(rotational));
  write(root, `${diskDir}/stat`, stat);
  write(root, `${diskDir}/removable`, '0');
  if (deviceLink) link(root, `${diskDir}/device`, deviceLink);
  link(root, `sys/class/block/${disk}`, diskDir);
  link(root, `sys/block/${disk}`, diskDir);
  link(root, `sys/dev/block/${major}:${minorBase}`, diskDir);
  for (const [index, name, start, size] of partitions) {
    const partDir = `${diskDir}/${name}`;
    write(root, `${partDir}/partition`, String(index));
    write(root, `${partDir}/start`, String(start));
    write(root, `${partDir}/size`, String(size));
    write(root, `${partDir}/dev`, `${major}:${minorBase + index}`);
    link(root, `sys/class/block/${name}`, partDir);
    link(root, `sys/dev/block/${major}:${minorBase + index}`, partDir);
  }
  return diskDir;
}

function freshTree(name, hostname) {
  const root = join(DEVICES, name);
  // CONSTRUCTED.md, which says how the tree was made, is written by hand and kept.
  const notes = join(root, 'CONSTRUCTED.md');
  const kept = existsSync(notes) ? readFileSync(notes, 'utf8') : null;
  rmSync(root, { recursive: true, force: true });
  cpSync(BASE, root, { recursive: true });
  if (kept !== null) writeFileSync(notes, kept);
  write(root, 'etc/hostname', hostname);
  return root;
}

/** SD CID, [value, bits] from bit 127 down: SanDisk (SD manufacturer id 0x03, OEM id "SD"), "SC32G" (a 32 GB Ultra), 05/2021. */
const SD_CID = [
  [0x03, 8],
  [0x5344, 16],
  [ascii('SC32G'), 40],
  [0x80, 8],
  [0x1a2b3c4d, 32],
  [0, 4],
  [(21 << 4) | 5, 12],
];
/** SD CSD version 2.0 (SDHC/SDXC): C_SIZE 60872 = (31,914,983,424 bytes / 512 KiB) - 1. */
const SD_CSD = [
  [1, 2],
  [0, 6],
  [0x0e, 8],
  [0x00, 8],
  [0x5a, 8],
  [0x5b5, 12],
  [9, 4],
  [0, 4],
  [0, 6],
  [60872, 22],
  [0, 1],
  [1, 1],
  [0x7f, 7],
  [0, 7],
  [0, 1],
  [0, 2],
  [2, 3],
  [9, 4],
  [0, 1],
  [0, 5],
  [0, 1],
  [0, 1],
  [0, 1],
  [0, 1],
  [0, 2],
  [0, 2],
];
/** SD Status [hi, lo, value]: 4-bit bus, class 10, AU 4 MiB, U1, V10, A1. */
const SD_STATUS = [
  [511, 510, 2],
  [447, 440, 4],
  [431, 428, 9],
  [423, 408, 0x0800],
  [407, 402, 0x28],
  [401, 400, 2],
  [399, 396, 1],
  [395, 392, 9],
  [391, 384, 10],
  [339, 336, 1],
];
/** eMMC CID: Samsung (JEDEC id 0x15), BGA (CBX 01), "BJTD4R" (a 32 GB eMMC 5.1), 08/2021 (MDT year 8 = 2013 + 8). */
const EMMC_CID = [
  [0x15, 8],
  [0x0100, 16],
  [ascii('BJTD4R'), 48],
  [0x00, 8],
  [0x5e7f31a0, 32],
  [(8 << 4) | 8, 8],
];
/** eMMC CSD structure 3 (version in EXT_CSD), SPEC_VERS 4, C_SIZE 0xfff: devices over 2 GB give their size in EXT_CSD. */
const EMMC_CSD = [
  [3, 2],
  [4, 4],
  [0, 2],
  [0x27, 8],
  [0x01, 8],
  [0x32, 8],
  [0x8f5, 12],
  [9, 4],
  [0, 4],
  [0, 2],
  [0xfff, 12],
  [7, 3],
  [7, 3],
  [7, 3],
  [7, 3],
  [7, 3],
  [0x1f, 5],
  [0x1f, 5],
  [0, 5],
  [0, 1],
  [0, 2],
  [2, 3],
  [9, 4],
  [0, 1],
  [0, 4],
  [0, 1],
  [0, 1],
  [0, 1],
  [0, 1],
  [0, 1],
  [0, 2],
  [0, 2],
];
/** The mounts every tree has besides its disks. */
const SYSTEM_MOUNTS = [
  '26 23 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:6 - sysfs sysfs rw',
  '27 23 0:22 / /proc rw,relatime shared:11 - proc proc rw',
  '30 26 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot',
];
const BOOT_OPTIONS = 'rw,fmask=0022,dmask=0022,codepage=437,iocharset=ascii,shortname=mixed,errors=remount-ro';

function mountinfo(root, rootLine, others) {
  write(root, 'proc/self/mountinfo', [rootLine, ...SYSTEM_MOUNTS, ...others].join('\n'));
}

const STAT_IDLE = '   41236     9817  3384914    22170    96745   118201  6145064   497102        0   140512   519273';

/** An MMC card (SD or eMMC) at `card` holding the boot and root partitions, as Raspberry Pi OS lays them out. */
function mmcRootDisk(root, card, files, { sectors, rootSectors }) {
  for (const [file, value] of Object.entries(files)) write(root, `${card}/${file}`, value);
  blockDevice(root, {
    devicePath: card,
    disk: 'mmcblk0',
    major: 179,
    minorBase: 0,
    sectors,
    rotational: 0,
    stat: STAT_IDLE,
    partitions: [
      [1, 'mmcblk0p1', 8192, 1048576],
      [2, 'mmcblk0p2', 1056768, rootSectors],
    ],
    deviceLink: card,
  });
  mountinfo(root, '23 1 179:2 / / rw,noatime shared:1 - ext4 /dev/mmcblk0p2 rw', [
    `36 23 179:1 / /boot/firmware rw,relatime shared:15 - vfat /dev/mmcblk0p1 ${BOOT_OPTIONS}`,
  ]);
}

function sdCardTree() {
  const root = freshTree('constructed-pi-4b-sd-card', 'pi4-sd');
  const card = 'sys/devices/platform/emmc2bus/fe340000.mmc/mmc_host/mmc0/mmc0:aaaa';
  const files = {
    name: 'SC32G',
    manfid: '0x000003',
    oemid: '0x5344',
    date: '05/2021',
    type: 'SD',
    cid: register128(SD_CID),
    csd: register128(SD_CSD),
    ssr: sdStatus(SD_STATUS),
    scr: '0235848700000000',
    serial: '0x1a2b3c4d',
    hwrev: '0x8',
    fwrev: '0x0',
    erase_size: '512',
    preferred_erase_size: '4194304',
  };
  mmcRootDisk(root, card, files, { sectors: 62333952, rootSectors: 61277184 });
}

function emmcTree() {
  const root = freshTree('constructed-cm4-emmc', 'cm4-emmc');
  write(root, 'proc/device-tree/model', 'Raspberry Pi Compute Module 4 Rev 1.0\0');
  const cpuinfo = (text) =>
    text.replace(/Revision\t: c03114/, 'Revision\t: c03140').replace(/Model\t\t: .*/, 'Model\t\t: Raspberry Pi Compute Module 4 Rev 1.0');
  write(root, 'proc/cpuinfo', cpuinfo(readText(join(BASE, 'proc/cpuinfo'))));
  const card = 'sys/devices/platform/emmc2bus/fe340000.mmc/mmc_host/mmc0/mmc0:0001';
  const files = {
    name: 'BJTD4R',
    manfid: '0x000015',
    oemid: '0x0100',
    date: '08/2021',
    type: 'MMC',
    cid: register128(EMMC_CID),
    csd: register128(EMMC_CSD),
    serial: '0x5e7f31a0',
    prv: '0x0',
    rev: '0x8',
    life_time: '0x01 0x02',
    pre_eol_info: '0x01',
    erase_size: '524288',
    preferred_erase_size: '4194304',
    enhanced_area_offset: '18446744073709551594',
    enhanced_area_size: '4294967274',
  };
  mmcRootDisk(root, card, files, { sectors: 61071360, rootSectors: 60014592 });
}

function usbStickTree() {
  const root = freshTree('constructed-pi-4b-usb-stick', 'pi4-usb');
  const usb = 'sys/devices/platform/scb/fd500000.pcie/pci0000:00/0000:00:00.0/0000:01:00.0/usb2/2-2';
  // SanDisk's USB vendor id is 0781; 5583 is the Ultra Fit. 5000 Mbit/s: a USB 3 link.
  const usbFiles = {
    idVendor: '0781',
    idProduct: '5583',
    manufacturer: 'SanDisk',
    product: 'Ultra Fit',
    speed: '5000',
    serial: '4C530001230512108294',
    version: ' 3.20',
  };
  for (const [file, value] of Object.entries(usbFiles)) write(root, `${usb}/${file}`, value);
  const scsi = `${usb}/2-2:1.0/host0/target0:0:0/0:0:0:0`;
  for (const [file, value] of Object.entries({ vendor: 'SanDisk ', model: 'Ultra Fit       ', rev: '1.00', type: '0' })) write(root, `${scsi}/${file}`, value);
  // USB sticks report themselves rotational: the kernel assumes so for SCSI disks that do not say otherwise.
  const diskDir = blockDevice(root, {
    devicePath: scsi,
    disk: 'sda',
    major: 8,
    minorBase: 0,
    sectors: 60063744,
    rotational: 1,
    stat: STAT_IDLE,
    partitions: [
      [1, 'sda1', 8192, 1048576],
      [2, 'sda2', 1056768, 16777216],
      [3, 'sda3', 17833984, 42229760],
    ],
    deviceLink: scsi,
  });
  // /var/lib/app is a LUKS volume (device-mapper dm-0) on the stick's third partition.
  const dm = 'sys/devices/virtual/block/dm-0';
  write(root, `${dm}/dm/name`, 'appdata');
  write(root, `${dm}/dm/uuid`, 'CRYPT-LUKS2-6a1f0c2e9d4b4f7a8e3c5b2d1a0f9e8d-appdata');
  write(root, `${dm}/size`, '42196992');
  write(root, `${dm}/dev`, '254:0');
  write(root, `${dm}/queue/rotational`, '1');
  write(root, `${dm}/stat`, '     912        0    48210      301     2210        0    91234     4012        0     3102     4313');
  link(root, `${dm}/slaves/sda3`, `${diskDir}/sda3`);
  link(root, `${diskDir}/sda3/holders/dm-0`, dm);
  link(root, 'sys/class/block/dm-0', dm);
  link(root, 'sys/block/dm-0', dm);
  link(root, 'sys/dev/block/254:0', dm);
  mountinfo(root, '23 1 8:2 / / rw,noatime shared:1 - ext4 /dev/sda2 rw', [
    `36 23 8:1 / /boot/firmware rw,relatime shared:15 - vfat /dev/sda1 ${BOOT_OPTIONS}`,
    '41 23 254:0 / /var/lib/app rw,relatime shared:21 - ext4 /dev/mapper/appdata rw',
  ]);
}

function readText(path) {
  return readFileSync(path, 'utf8');
}

sdCardTree();
emmcTree();
usbStickTree();
