// /proc/cpuinfo, pure. x86 repeats everything per processor; ARM adds a trailer (Hardware, Revision, Model).

import { ARM_IMPLEMENTER, ARM_PARTS } from '../../../src/facts/arm-parts.js';

export interface Cpuinfo {
  processors: Array<Record<string, string>>;
  /** Keys outside any processor block, e.g. the ARM trailer. */
  trailer: Record<string, string>;
}

export function parseCpuinfo(text: string): Cpuinfo {
  const processors: Array<Record<string, string>> = [];
  const trailer: Record<string, string> = {};
  let current: Record<string, string> | null = null;
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trimEnd();
    if (line.trim() === '') {
      current = null;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (key === 'processor') {
      current = { processor: value };
      processors.push(current);
    } else if (current) {
      current[key] = value;
    } else {
      trailer[key] = value;
    }
  }
  return { processors, trailer };
}

function firstValue(info: Cpuinfo, key: string): string | undefined {
  for (const p of info.processors) if (p[key] !== undefined) return p[key];
  return info.trailer[key];
}

// Flags the arm64 kernel prints for a 64-bit task; a 32-bit (compat) task sees the ARMv7-style list instead.
const ARM64_FEATURES = ['asimd', 'cpuid', 'aes', 'sha1', 'sha2', 'crc32', 'atomics', 'fphp', 'asimdhp'];

/**
 * `uname -m` as far as a recorded cpuinfo tells it. The file's shape depends on the bitness of the task that
 * read it, so it also tells the userland bitness on ARM.
 */
export function archFromCpuinfo(info: Cpuinfo): { arch: string | null; userlandBits: 32 | 64 | null } {
  const modelName = firstValue(info, 'model name') ?? firstValue(info, 'Processor') ?? '';
  const flags = (firstValue(info, 'flags') ?? '').split(/\s+/);
  const features = (firstValue(info, 'Features') ?? '').split(/\s+/);
  const armArch = firstValue(info, 'CPU architecture');
  if (/ARMv6/i.test(modelName)) return { arch: 'armv6l', userlandBits: 32 };
  if (/ARMv7/i.test(modelName)) return { arch: 'armv7l', userlandBits: 32 };
  if (armArch !== undefined) {
    const has64 = features.some((f) => ARM64_FEATURES.includes(f)) && !features.includes('thumb');
    if ((armArch === '8' || armArch.startsWith('AArch64')) && has64) return { arch: 'aarch64', userlandBits: 64 };
    // An ARMv8 CPU seen by a 32-bit task under a 64-bit kernel ("ARMv8 Processor ... (v8l)").
    if (armArch === '8') return { arch: 'armv8l', userlandBits: 32 };
    if (armArch === '7') return { arch: 'armv7l', userlandBits: 32 };
    if (armArch === '6' || armArch.startsWith('6')) return { arch: 'armv6l', userlandBits: 32 };
  }
  if (flags.includes('lm')) return { arch: 'x86_64', userlandBits: null };
  if (flags.includes('fpu') || /Intel|AMD/i.test(modelName)) return { arch: 'i686', userlandBits: 32 };
  return { arch: null, userlandBits: null };
}

export function cpuModelFromCpuinfo(info: Cpuinfo): string | null {
  const implementer = firstValue(info, 'CPU implementer');
  const part = firstValue(info, 'CPU part');
  if (implementer === ARM_IMPLEMENTER && part && ARM_PARTS[part.toLowerCase()]) return ARM_PARTS[part.toLowerCase()] ?? null;
  const modelName = firstValue(info, 'model name');
  if (modelName) return modelName.replace(/\s+/g, ' ');
  return part ? `ARM part ${part}` : null;
}

export function processorCount(info: Cpuinfo): number {
  return info.processors.length;
}

/** Highest "cpu MHz" seen (x86 reports the current clock per core), a fallback when cpufreq is absent. */
export function cpuinfoMhz(info: Cpuinfo): number | null {
  let best: number | null = null;
  for (const p of info.processors) {
    const mhz = Number(p['cpu MHz']);
    if (Number.isFinite(mhz) && mhz > 0 && (best === null || mhz > best)) best = mhz;
  }
  return best === null ? null : Math.round(best);
}

export function trailerValue(info: Cpuinfo, key: string): string | undefined {
  return info.trailer[key] ?? firstValue(info, key);
}

/** "0-3,5,7-8" -> 6 */
export function countCpuList(list: string): number | null {
  const trimmed = list.trim();
  if (trimmed === '') return null;
  let count = 0;
  for (const part of trimmed.split(',')) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!match || match[1] === undefined) return null;
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : Number(match[2]);
    if (to < from) return null;
    count += to - from + 1;
  }
  return count;
}
