// Raspberry Pi revision codes, as documented in "Raspberry Pi revision codes"
// (https://www.raspberrypi.com/documentation/computers/raspberry-pi.html#raspberry-pi-revision-codes).
// Used when a Pi's kernel exposes neither /proc/device-tree/model nor a cpuinfo "Model" line.

export interface PiRevision {
  model: string;
  ramBytes: number;
  revision: string;
  manufacturer: string | null;
}

const MiB = 1024 * 1024;

// New-style codes (bit 23 set): bits 4-11 are the type.
const NEW_TYPES: Record<number, string> = {
  0x00: 'A', 0x01: 'B', 0x02: 'A+', 0x03: 'B+', 0x04: '2 Model B', 0x05: 'Alpha', 0x06: 'Compute Module 1',
  0x08: '3 Model B', 0x09: 'Zero', 0x0a: 'Compute Module 3', 0x0c: 'Zero W', 0x0d: '3 Model B+', 0x0e: '3 Model A+',
  0x10: 'Compute Module 3+', 0x11: '4 Model B', 0x12: 'Zero 2 W', 0x13: '400', 0x14: 'Compute Module 4',
  0x15: 'Compute Module 4S', 0x17: '5', 0x18: 'Compute Module 5', 0x19: '500', 0x1a: 'Compute Module 5 Lite',
};

// Bits 20-22: memory size.
const NEW_MEMORY_MIB: Record<number, number> = { 0: 256, 1: 512, 2: 1024, 3: 2048, 4: 4096, 5: 8192, 6: 16384 };

const MANUFACTURERS: Record<number, string> = {
  0: 'Sony UK', 1: 'Egoman', 2: 'Embest', 3: 'Sony Japan', 4: 'Embest', 5: 'Stadium',
};

// Old-style codes, from the same page's table.
const OLD_CODES: Record<number, { type: string; mib: number; rev: string }> = {
  0x0002: { type: 'B', mib: 256, rev: '1.0' }, 0x0003: { type: 'B', mib: 256, rev: '1.0' },
  0x0004: { type: 'B', mib: 256, rev: '2.0' }, 0x0005: { type: 'B', mib: 256, rev: '2.0' },
  0x0006: { type: 'B', mib: 256, rev: '2.0' }, 0x0007: { type: 'A', mib: 256, rev: '2.0' },
  0x0008: { type: 'A', mib: 256, rev: '2.0' }, 0x0009: { type: 'A', mib: 256, rev: '2.0' },
  0x000d: { type: 'B', mib: 512, rev: '2.0' }, 0x000e: { type: 'B', mib: 512, rev: '2.0' },
  0x000f: { type: 'B', mib: 512, rev: '2.0' }, 0x0010: { type: 'B+', mib: 512, rev: '1.2' },
  0x0011: { type: 'Compute Module 1', mib: 512, rev: '1.0' }, 0x0012: { type: 'A+', mib: 256, rev: '1.1' },
  0x0013: { type: 'B+', mib: 512, rev: '1.2' }, 0x0014: { type: 'Compute Module 1', mib: 512, rev: '1.0' },
  0x0015: { type: 'A+', mib: 512, rev: '1.1' },
};

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
    const type = NEW_TYPES[(value >> 4) & 0xff];
    const mib = NEW_MEMORY_MIB[(value >> 20) & 0x7];
    if (type === undefined || mib === undefined) return null;
    const revision = `1.${value & 0xf}`;
    return {
      model: `${modelName(type)} Rev ${revision}`,
      ramBytes: mib * MiB,
      revision,
      manufacturer: MANUFACTURERS[(value >> 16) & 0xf] ?? null,
    };
  }
  const old = OLD_CODES[value & 0xffff];
  if (!old) return null;
  return { model: `${modelName(old.type)} Rev ${old.rev}`, ramBytes: old.mib * MiB, revision: old.rev, manufacturer: null };
}
