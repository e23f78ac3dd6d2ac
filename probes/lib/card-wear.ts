// How long the card would last under the measured load: bytes written per operation (a load probe's
// write counter), times the load's measured capacity, around the clock, against the card's endurance.
// Pure: the storage probe gathers the figures; everything here shows its working.
import { formatBytes } from '../../src/report/display.js';
import type { OperationUnit } from './block-writes.js';
import type { StorageKind } from './parsers/storage.js';

/**
 * The default endurance, in writes of the whole card, for flash media sold without a TBW rating.
 * Samsung rates its 32 GB PRO Endurance microSD card for 17,520 hours of Full HD recording at 26 Mbit/s
 * (the 256 GB card for 16 years, smaller cards in proportion), about 205 TB, and says the PRO Endurance
 * line lasts 25 times longer than its speed-focused cards: 205 TB / 25 = 8.2 TB for 32 GB, 256 card writes.
 */
export const DEFAULT_CARD_WRITES = 256;
export const DEFAULT_ENDURANCE_SOURCE =
  'Samsung PRO Endurance 32 GB: 17,520 h of Full HD recording at 26 Mbit/s (about 205 TB); Samsung says these cards last 25 times longer than its speed-focused cards, so an ordinary card takes about 205 TB / 25 = 8.2 TB per 32 GB, 256 writes of the whole card';
/** Cards whose size the kernel does not report are taken to be this big for the default. */
export const ASSUMED_CARD_BYTES = 32e9;
/** Kinds the default applies to: flash sold without an endurance rating. Others need --card-endurance-tbw. */
export const DEFAULT_APPLIES_TO: readonly StorageKind[] = ['sd', 'emmc', 'usb'];
/** Projections beyond this say only that the load adds no wear worth counting. */
export const MAX_YEARS = 100;
const HOURS_PER_YEAR = 24 * 365.25;

export interface LoadWrites {
  /** "Django HTTP load" or "streaming load". */
  name: string;
  unit: OperationUnit;
  bytesPer1000: number;
  /** The load's measured capacity in operations per second, and where it comes from. */
  ratePerSecond: number | null;
  rateSource: string;
}

export interface WearInputs {
  loads: LoadWrites[];
  kind: StorageKind | null;
  sizeBytes: number | null;
  /** --card-endurance-tbw, in terabytes (10^12 bytes). */
  enduranceTbw: number | null;
}

export interface WearProjection {
  bytesPerHour: number | null;
  enduranceBytes: number | null;
  years: number | null;
  /** Why a figure is null. */
  reason: string | null;
  assumptions: string[];
}

function endurance(inputs: WearInputs, assumptions: string[]): number | null {
  if (inputs.enduranceTbw !== null) {
    assumptions.push(`endurance: ${inputs.enduranceTbw} TB written (--card-endurance-tbw)`);
    return Math.round(inputs.enduranceTbw * 1e12);
  }
  if (inputs.kind === null || !DEFAULT_APPLIES_TO.includes(inputs.kind)) return null;
  const size = inputs.sizeBytes ?? ASSUMED_CARD_BYTES;
  const bytes = Math.round(size * DEFAULT_CARD_WRITES);
  const sized = inputs.sizeBytes === null ? 'a card of an assumed 32 GB (its size is not in sysfs)' : `this ${formatBytes(size)} card`;
  assumptions.push(
    `endurance: ${(bytes / 1e12).toFixed(1)} TB for ${sized}, ${DEFAULT_CARD_WRITES} writes of the whole card (default; ${DEFAULT_ENDURANCE_SOURCE}); give the card's own rating with --card-endurance-tbw`,
  );
  return bytes;
}

/** The projection, with every figure's origin in `assumptions`. */
export function projectCardLife(inputs: WearInputs): WearProjection {
  const assumptions: string[] = [];
  let bytesPerHour: number | null = null;
  for (const load of inputs.loads) {
    if (load.ratePerSecond === null) {
      assumptions.push(`${load.name}: ${formatBytes(load.bytesPer1000)} per 1,000 ${load.unit} measured, but no capacity to scale it by`);
      continue;
    }
    const perHour = Math.round((load.bytesPer1000 / 1000) * load.ratePerSecond * 3600);
    assumptions.push(
      `${load.name}: ${formatBytes(load.bytesPer1000)} written per 1,000 ${load.unit} (measured, disk write counter) x ${Math.round(load.ratePerSecond)} ${load.unit}/s (${load.rateSource}) = ${formatBytes(perHour)}/h`,
    );
    if (bytesPerHour === null || perHour > bytesPerHour) bytesPerHour = perHour;
  }
  const enduranceBytes = endurance(inputs, assumptions);
  if (bytesPerHour === null) {
    return {
      bytesPerHour,
      enduranceBytes,
      years: null,
      reason: inputs.loads.length === 0 ? "no load measured the disk's writes in this run" : 'no load capacity measured to scale the writes by',
      assumptions,
    };
  }
  if (enduranceBytes === null) {
    return {
      bytesPerHour,
      enduranceBytes,
      years: null,
      reason: `the disk is ${inputs.kind ?? 'of unknown kind'}, not an SD card, eMMC or USB stick: give its endurance with --card-endurance-tbw`,
      assumptions,
    };
  }
  assumptions.push('the load runs at that capacity 24 hours a day; writes by anything else on the disk during the measurement are counted with it');
  assumptions.push('small random writes wear flash faster than the sequential video an endurance rating assumes: read the projection as an upper bound');
  const years = bytesPerHour === 0 ? MAX_YEARS : Math.min(MAX_YEARS, enduranceBytes / (bytesPerHour * HOURS_PER_YEAR));
  if (years === MAX_YEARS) assumptions.push(`capped at ${MAX_YEARS} years: the load adds no wear worth counting`);
  return { bytesPerHour, enduranceBytes, years: Math.round(years * 10) / 10, reason: null, assumptions };
}

export interface AdviceFacts {
  years: number | null;
  kind: StorageKind | null;
  mountOptions: string[];
  persistentJournal: boolean;
  postgresRunning: boolean;
}

/** Below this projected life the advice is given: the profiles warn at the same line. */
export const ADVICE_BELOW_YEARS = 5;

/** What to change when the projected life is short; empty when the figures do not call for it. */
export function wearAdvice(facts: AdviceFacts): string[] {
  if (facts.years === null || facts.years >= ADVICE_BELOW_YEARS) return [];
  const advice: string[] = [];
  if (!facts.mountOptions.includes('noatime')) {
    advice.push(`mount the filesystem with noatime (now ${facts.mountOptions.find((o) => o.endsWith('atime')) ?? 'default atime'}): reads then write nothing`);
  }
  if (facts.persistentJournal)
    advice.push('keep logs in RAM: Storage=volatile in /etc/systemd/journald.conf (or log2ram), and log Django to stdout rather than to files on the card');
  if (facts.postgresRunning && (facts.kind === 'sd' || facts.kind === 'usb')) {
    advice.push(
      'PostgreSQL on the card writes each change to its WAL and, after every checkpoint, whole 8 KiB pages (full_page_writes): for a small site SQLite in WAL mode with synchronous=NORMAL writes less, or put PostgreSQL on a USB SSD',
    );
  }
  advice.push('move sessions and cache to memory (SESSION_ENGINE cache-backed, Redis or LocMemCache) so that requests do not write to the database');
  if (facts.kind === 'sd') advice.push('a card rated for endurance (or a USB SSD) lasts many times longer under small writes');
  return advice;
}
