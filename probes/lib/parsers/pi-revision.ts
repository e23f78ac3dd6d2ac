// Decodes Raspberry Pi revision codes with the table in src/facts/pi-revisions.ts.
// Used when a Pi's kernel exposes neither /proc/device-tree/model nor a cpuinfo "Model" line.

import { PI_MANUFACTURERS, PI_NEW_STYLE_MEMORY_MIB, PI_NEW_STYLE_TYPES, PI_OLD_STYLE_CODES } from '../../../src/facts/pi-revisions.js';

export interface PiRevision {
  model: string;
  ramBytes: number;
  revision: string;
  manufacturer: string | null;
}

const MiB = 1024 * 1024;

function modelName(type: string): string {
  // The firmware's own names read "Raspberry Pi 3 Model B", "Raspberry Pi Model B Plus", "Raspberry Pi Zero W".
  if (type === 'A' || type === 'B') return `Raspberry Pi Model ${type}`;
  if (type === 'A+' || type === 'B+') return `Raspberry Pi Model ${type[0]} Plus`;
  return `Raspberry Pi ${type}`;
}

export function decodePiRevision(code: string): PiRevision | null {
  const cleaned = code.trim().toLowerCase().replace(/^0x/, '');
  if (!/^[0-9a-f]{1,8}$/.test(cleaned)) return null;
  // Bit 24 marks a board whose warranty was voided by over-voltage; it does not change the model.
  const value = parseInt(cleaned, 16) & ~(1 << 24);
  if (value & (1 << 23)) {
    const type = PI_NEW_STYLE_TYPES.get((value >> 4) & 0xff);
    const mib = PI_NEW_STYLE_MEMORY_MIB.get((value >> 20) & 0x7);
    if (type === undefined || mib === undefined) return null;
    const revision = `1.${value & 0xf}`;
    return {
      model: `${modelName(type)} Rev ${revision}`,
      ramBytes: mib * MiB,
      revision,
      manufacturer: PI_MANUFACTURERS.get((value >> 16) & 0xf) ?? null,
    };
  }
  const old = PI_OLD_STYLE_CODES.get(value & 0xffff);
  if (!old) return null;
  return { model: `${modelName(old.type)} Rev ${old.rev}`, ramBytes: old.mib * MiB, revision: old.rev, manufacturer: null };
}
