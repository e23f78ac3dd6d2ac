// What the kernel says about a block device and, for SD and eMMC, about the card itself. Pure: each
// function takes the text of one sysfs file (or a sysfs link target) and returns what it means.
//
// Sources:
// - drivers/mmc/core/sd.c and mmc.c print the card registers: `cid`, `csd` as four 32-bit words in hex,
//   `ssr` (SD Status, SD cards only) as sixteen words in hex, most significant bit (511) first;
//   `date` as "MM/YYYY"; eMMC `life_time` as "0xAA 0xBB" and `pre_eol_info` as "0xNN".
// - SD Physical Layer Simplified Specification, "SD Status" table: SPEED_CLASS in bits 447:440,
//   UHS_SPEED_GRADE 399:396, VIDEO_SPEED_CLASS 391:384, APP_PERF_CLASS 339:336. The kernel reads the
//   neighbouring AU_SIZE at 431:428 and DISCARD_SUPPORT at 313 with the same numbering.
// - JEDEC eMMC 5.0 EXT_CSD: DEVICE_LIFE_TIME_EST_TYP_A/B 0x01..0x0A = 0-10 % .. 90-100 % of the rated
//   life used, 0x0B = exceeded; PRE_EOL_INFO 0x01 normal, 0x02 warning (80 % of reserved blocks used),
//   0x03 urgent.
// - Documentation/block/stat.rst: /sys/block/DEV/stat counts sectors of 512 bytes whatever the device's own
//   sector size; field 7 (1-based) is sectors written.

export type StorageKind = 'sd' | 'emmc' | 'usb' | 'nvme' | 'virtio' | 'sata' | 'scsi' | 'loop' | 'ram' | 'other';

/** The kind of whole disk, from its name, its /sys/class/block link target and, for MMC, device/type. */
export function storageKind(disk: string, linkTarget: string | null, mmcType: string | null): StorageKind {
  const link = linkTarget ?? '';
  if (disk.startsWith('mmcblk') || link.includes('/mmc_host/')) {
    const type = (mmcType ?? '').trim().toUpperCase();
    if (type === 'MMC') return 'emmc';
    return 'sd';
  }
  if (disk.startsWith('nvme') || link.includes('/nvme/')) return 'nvme';
  if (disk.startsWith('loop')) return 'loop';
  if (/^(zram|ram)\d/.test(disk)) return 'ram';
  // USB comes before virtio and ATA: a USB-SATA bridge shows both /usbN/ and a SCSI host.
  if (/\/usb\d+\//.test(link)) return 'usb';
  if (link.includes('/virtio')) return 'virtio';
  if (/\/ata\d+\//.test(link)) return 'sata';
  if (/\/host\d+\/target/.test(link)) return 'scsi';
  if (/^vd[a-z]+$/.test(disk)) return 'virtio';
  return 'other';
}

export interface CardIdentity {
  name: string | null;
  manfid: string | null;
  oemid: string | null;
  /** "2023-05" from the kernel's "05/2023". */
  date: string | null;
  /** "SD" or "MMC" (SDIO cards carry no storage). */
  type: string | null;
  cid: string | null;
  csd: string | null;
  serial: string | null;
}

const trimmed = (text: string | null): string | null => {
  const value = text?.trim();
  return value ? value : null;
};

/** "05/2023" -> "2023-05"; null when the text is not a month and a year. */
export function parseCardDate(text: string | null): string | null {
  const match = /^(\d{1,2})\/(\d{4})$/.exec(text?.trim() ?? '');
  if (!match?.[1] || !match[2]) return null;
  const month = Number(match[1]);
  return month >= 1 && month <= 12 ? `${match[2]}-${String(month).padStart(2, '0')}` : null;
}

/** A register the kernel prints as hex words: lower case, exactly `hexDigits` long, else null. */
export function parseRegister(text: string | null, hexDigits: number): string | null {
  const value = text?.trim().toLowerCase() ?? '';
  return new RegExp(`^[0-9a-f]{${hexDigits}}$`).test(value) ? value : null;
}

export function cardIdentity(files: Record<'name' | 'manfid' | 'oemid' | 'date' | 'type' | 'cid' | 'csd' | 'serial', string | null>): CardIdentity {
  return {
    name: trimmed(files.name),
    manfid: trimmed(files.manfid),
    oemid: trimmed(files.oemid),
    date: parseCardDate(files.date),
    type: trimmed(files.type),
    cid: parseRegister(files.cid, 32),
    csd: parseRegister(files.csd, 32),
    serial: trimmed(files.serial),
  };
}

/** Bits hi..lo (inclusive, hi >= lo) of a register printed most significant bit first. */
export function registerBits(hex: string, totalBits: number, hi: number, lo: number): number {
  if (hex.length * 4 !== totalBits) throw new Error(`register of ${hex.length * 4} bits, expected ${totalBits}`);
  const mask = (1n << BigInt(hi - lo + 1)) - 1n;
  return Number((BigInt(`0x${hex}`) >> BigInt(lo)) & mask);
}

export interface SdClasses {
  /** SD speed class 0, 2, 4, 6 or 10 (MB/s of sequential writing the card promises). */
  speedClass: number | null;
  /** UHS speed grade: 0, 1 (U1: 10 MB/s) or 3 (U3: 30 MB/s). */
  uhsSpeedGrade: number;
  /** Video speed class: 0, 6, 10, 30, 60 or 90 (V6 .. V90). */
  videoSpeedClass: number;
  /** Application performance class: 0 none, 1 A1, 2 A2. */
  appPerformanceClass: number;
  discardSupport: boolean;
}

const SPEED_CLASS: Record<number, number> = { 0: 0, 1: 2, 2: 4, 3: 6, 4: 10 };

/** The classes an SD card declares in its SD Status register (`ssr`, 512 bits as 128 hex digits). */
export function parseSdStatus(text: string | null): SdClasses | null {
  const hex = parseRegister(text, 128);
  if (!hex) return null;
  const bits = (hi: number, lo: number): number => registerBits(hex, 512, hi, lo);
  return {
    speedClass: SPEED_CLASS[bits(447, 440)] ?? null,
    uhsSpeedGrade: bits(399, 396),
    videoSpeedClass: bits(391, 384),
    appPerformanceClass: bits(339, 336),
    discardSupport: bits(313, 313) === 1,
  };
}

export interface EmmcLife {
  /** Upper bound of the used share of the rated life, the worse of the two estimates (type A: SLC area, type B: MLC area). */
  usedPercentAtMost: number;
  typA: number;
  typB: number;
}

/** eMMC `life_time` ("0x01 0x02"): null when neither estimate is given (0x00 = not defined). */
export function parseEmmcLifeTime(text: string | null): EmmcLife | null {
  const match = /^0x([0-9a-f]{1,2})\s+0x([0-9a-f]{1,2})$/i.exec(text?.trim() ?? '');
  if (!match?.[1] || !match[2]) return null;
  const typA = parseInt(match[1], 16);
  const typB = parseInt(match[2], 16);
  const worst = Math.max(typA, typB);
  if (worst === 0 || worst > 0x0b) return null;
  return { usedPercentAtMost: Math.min(worst, 0x0b) * 10, typA, typB };
}

export type PreEol = 'normal' | 'warning' | 'urgent';

/** eMMC `pre_eol_info`: how much of the reserved (spare) blocks are used up. */
export function parsePreEol(text: string | null): PreEol | null {
  const match = /^(?:0x)?([0-9a-f]{1,2})$/i.exec(text?.trim() ?? '');
  if (!match?.[1]) return null;
  const names: Record<number, PreEol> = { 1: 'normal', 2: 'warning', 3: 'urgent' };
  return names[parseInt(match[1], 16)] ?? null;
}

/** Bytes written since boot from /sys/block/DEV/stat (sectors written, field 7, times 512). */
export function bytesWrittenFromStat(text: string | null): number | null {
  const fields = text?.trim().split(/\s+/) ?? [];
  if (fields.length < 7) return null;
  const sectors = Number(fields[6]);
  return Number.isSafeInteger(sectors) && sectors >= 0 ? sectors * 512 : null;
}
