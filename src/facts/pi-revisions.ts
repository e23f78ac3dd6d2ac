// Raspberry Pi revision codes: the one place this table is kept. The TypeScript decoder
// (probes/lib/parsers/pi-revision.ts) reads it, and the POSIX-sh probe gets it from its assembler.
// Source: "Raspberry Pi revision codes"
// (https://www.raspberrypi.com/documentation/computers/raspberry-pi.html#raspberry-pi-revision-codes).

export const PI_REVISION_SOURCE = 'https://www.raspberrypi.com/documentation/computers/raspberry-pi.html#raspberry-pi-revision-codes';

/** New-style codes (bit 23 set), bits 4-11: the board type, as the page names it. */
export const PI_NEW_STYLE_TYPES: ReadonlyMap<number, string> = new Map([
  [0x00, 'A'],
  [0x01, 'B'],
  [0x02, 'A+'],
  [0x03, 'B+'],
  [0x04, '2 Model B'],
  [0x05, 'Alpha'],
  [0x06, 'Compute Module 1'],
  [0x08, '3 Model B'],
  [0x09, 'Zero'],
  [0x0a, 'Compute Module 3'],
  [0x0c, 'Zero W'],
  [0x0d, '3 Model B+'],
  [0x0e, '3 Model A+'],
  [0x10, 'Compute Module 3+'],
  [0x11, '4 Model B'],
  [0x12, 'Zero 2 W'],
  [0x13, '400'],
  [0x14, 'Compute Module 4'],
  [0x15, 'Compute Module 4S'],
  [0x17, '5'],
  [0x18, 'Compute Module 5'],
  [0x19, '500'],
  [0x1a, 'Compute Module 5 Lite'],
]);

/** New-style codes, bits 20-22: the memory fitted, in MiB. */
export const PI_NEW_STYLE_MEMORY_MIB: ReadonlyMap<number, number> = new Map([
  [0, 256],
  [1, 512],
  [2, 1024],
  [3, 2048],
  [4, 4096],
  [5, 8192],
  [6, 16384],
]);

/** New-style codes, bits 16-19: who made the board. */
export const PI_MANUFACTURERS: ReadonlyMap<number, string> = new Map([
  [0, 'Sony UK'],
  [1, 'Egoman'],
  [2, 'Embest'],
  [3, 'Sony Japan'],
  [4, 'Embest'],
  [5, 'Stadium'],
]);

export interface PiOldStyleCode {
  type: string;
  mib: number;
  /** Board revision, e.g. "2.0". */
  rev: string;
}

/** Old-style codes (bit 23 clear), from the same page's table: the low 16 bits name everything. */
export const PI_OLD_STYLE_CODES: ReadonlyMap<number, PiOldStyleCode> = new Map([
  [0x0002, { type: 'B', mib: 256, rev: '1.0' }],
  [0x0003, { type: 'B', mib: 256, rev: '1.0' }],
  [0x0004, { type: 'B', mib: 256, rev: '2.0' }],
  [0x0005, { type: 'B', mib: 256, rev: '2.0' }],
  [0x0006, { type: 'B', mib: 256, rev: '2.0' }],
  [0x0007, { type: 'A', mib: 256, rev: '2.0' }],
  [0x0008, { type: 'A', mib: 256, rev: '2.0' }],
  [0x0009, { type: 'A', mib: 256, rev: '2.0' }],
  [0x000d, { type: 'B', mib: 512, rev: '2.0' }],
  [0x000e, { type: 'B', mib: 512, rev: '2.0' }],
  [0x000f, { type: 'B', mib: 512, rev: '2.0' }],
  [0x0010, { type: 'B+', mib: 512, rev: '1.2' }],
  [0x0011, { type: 'Compute Module 1', mib: 512, rev: '1.0' }],
  [0x0012, { type: 'A+', mib: 256, rev: '1.1' }],
  [0x0013, { type: 'B+', mib: 512, rev: '1.2' }],
  [0x0014, { type: 'Compute Module 1', mib: 512, rev: '1.0' }],
  [0x0015, { type: 'A+', mib: 512, rev: '1.1' }],
]);
