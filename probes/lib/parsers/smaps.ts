// Memory of one process as the kernel accounts it, from /proc/PID/smaps_rollup (Linux 4.14+) or, on older
// kernels, /proc/PID/smaps (the same fields once per mapping, summed here). Pure: text in, bytes out.

export interface ProcessMemory {
  /** Resident set: every page of the process in RAM, shared ones counted in full. */
  rssBytes: number;
  /** Proportional set: each shared page divided by the number of processes mapping it. */
  pssBytes: number;
}

/** Sums the Rss and Pss lines (kB); null when the text holds neither. */
export function parseSmaps(text: string): ProcessMemory | null {
  let rss = 0;
  let pss = 0;
  let seen = false;
  for (const match of text.matchAll(/^(Rss|Pss):\s+(\d+)\s+kB$/gm)) {
    seen = true;
    const kib = Number(match[2]);
    if (match[1] === 'Rss') rss += kib;
    else pss += kib;
  }
  return seen ? { rssBytes: rss * 1024, pssBytes: pss * 1024 } : null;
}
