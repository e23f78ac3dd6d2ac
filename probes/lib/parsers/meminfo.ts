// /proc/meminfo, pure. Values in the file are kB (KiB); we return bytes.

export type Meminfo = Record<string, number>;

export function parseMeminfo(text: string): Meminfo {
  const result: Meminfo = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z0-9_()]+):\s+(\d+)(?:\s+(kB))?\s*$/.exec(line.trim());
    if (!match || match[1] === undefined || match[2] === undefined) continue;
    const value = Number(match[2]);
    result[match[1]] = match[3] ? value * 1024 : value;
  }
  return result;
}

/** Sum of the per-zone "low" watermarks from /proc/zoneinfo, in pages. */
export function parseZoneinfoLowWatermarkPages(text: string): number | null {
  let total = 0;
  let found = false;
  for (const line of text.split('\n')) {
    const match = /^\s+low\s+(\d+)\s*$/.exec(line);
    if (match && match[1] !== undefined) {
      total += Number(match[1]);
      found = true;
    }
  }
  return found ? total : null;
}

/**
 * MemAvailable as the kernel computes it since 3.14 (mm/page_alloc.c si_mem_available(), introduced by
 * commit 34e431b0ae39 "/proc/meminfo: provide estimated available memory"), for kernels that lack it.
 * Without zone watermarks, the low watermark is taken as 0, which slightly overestimates.
 */
export function estimateMemAvailable(info: Meminfo, lowWatermarkBytes: number | null): number | null {
  const free = info['MemFree'];
  if (free === undefined) return null;
  const wmarkLow = lowWatermarkBytes ?? 0;
  const pagecache = (info['Active(file)'] ?? 0) + (info['Inactive(file)'] ?? 0);
  const reclaimable = info['SReclaimable'] ?? 0;
  let available = free - wmarkLow;
  available += pagecache - Math.min(pagecache / 2, wmarkLow);
  available += reclaimable - Math.min(reclaimable / 2, wmarkLow);
  return Math.max(0, Math.round(available));
}
