// Sizes ("850 MiB") and versions ("3.10") used by profiles and spec sheets.

export const SIZE_UNITS: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4 };

/** Bytes from a number or a string such as "850 MiB"; null when it is neither. */
export function parseSize(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : null;
  if (typeof value !== 'string') return null;
  const match = /^\s*([0-9]+(?:\.[0-9]+)?)\s*(B|KiB|MiB|GiB|TiB)\s*$/.exec(value);
  if (!match) return null;
  return Math.round(Number(match[1]) * (SIZE_UNITS[match[2] ?? 'B'] ?? 1));
}

export const VERSION_RE = /^\d+(\.\d+){0,3}$/;

/** Numeric parts of a version string ("3.11.2rc1" -> [3, 11, 2]); null when it does not start with a number. */
export function versionParts(version: string): number[] | null {
  const match = /^\s*v?(\d+(?:\.\d+)*)/.exec(version);
  if (!match?.[1]) return null;
  return match[1].split('.').map(Number);
}

/** -1, 0 or 1; missing parts count as 0 ("3.10" == "3.10.0"). Null when either is not a version. */
export function compareVersions(a: string, b: string): number | null {
  const pa = versionParts(a);
  const pb = versionParts(b);
  if (!pa || !pb) return null;
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? 0;
    const y = pb[i] ?? 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}
