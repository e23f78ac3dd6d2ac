// The hardware spec sheets: reference boards in targets/hardware/*.json, turned into the catalogue's
// metrics so that the judge can rate a board before anyone buys it. A spec sheet states only a few
// metrics (SPEC_SHEET_METRICS); a verdict from it judges only the checks on those and says so.
import { ConfigError } from './errors.js';
import { listPackageFiles, readPackageFile } from '../platform/package-files.js';
import { describeSchemaErrors, parseSize, shippedSchemaValidator } from './profiles.js';
import type { Metrics } from '../report/types.js';
import { SPEC_SHEET_METRICS } from '../report/metrics.js';


/** A "hardware check" is one whose metric a spec sheet can state. */
export function isHardwareMetric(metric: string): boolean {
  return SPEC_SHEET_METRICS.includes(metric);
}

/**
 * Share of RAM that Linux does not show in MemTotal besides the GPU's part: kernel image, page tables
 * (struct page), firmware and reserved regions. Calibrated on recorded devices (test/fixtures/devices/):
 * Pi 3 B 1 GiB - 76 MiB gpu_mem -> 907.1 MiB MemTotal (4.0 %); Pi Zero W 512 MiB - 64 MiB -> 432.8 MiB
 * (3.0 %); BeagleBone Black 512 MiB -> 498.4 MiB (2.7 %); Pi 4 B 4 GiB - 76 MiB -> 3791 MiB (5.6 %).
 */
export const KERNEL_RESERVED_FRACTION = 0.04;

export interface HardwareEntry {
  id: string;
  name: string;
  /** Family id when this is a variant (pi-4b-2gb -> pi-4b). */
  family: string;
  released: string | null;
  soc: string;
  linux: boolean;
  ramBytes: number;
  gpuMemoryBytes: number;
  cpu: { arch: string; cores: number; model: string; maxMhz: number };
  sources: string[];
  notes: string[];
  /** Other ids of the same family (RAM variants). */
  variants: string[];
  file: string;
}

interface RawVariant { id: string; name: string; ram: number | string; released?: string; notes?: string[] }
interface RawEntry {
  id: string;
  name: string;
  released?: string;
  soc: string;
  linux: boolean;
  ram: number | string;
  gpuMemoryDefault?: number | string;
  cpu: { arch: string; cores: number; model: string; maxMhz: number };
  sources: string[];
  notes?: string[];
  defaultVariant?: string;
  variants?: RawVariant[];
}

const HARDWARE_DIR = 'targets/hardware';
let cache: { entries: HardwareEntry[]; aliases: Map<string, string> } | undefined;

function loadCatalogue(): { entries: HardwareEntry[]; aliases: Map<string, string> } {
  if (cache) return cache;
  const entries: HardwareEntry[] = [];
  const aliases = new Map<string, string>();
  const validate = shippedSchemaValidator('hardware');
  for (const name of listPackageFiles(HARDWARE_DIR).filter((f) => f.endsWith('.json'))) {
    const file = `${HARDWARE_DIR}/${name}`;
    let value: unknown;
    try {
      value = JSON.parse(readPackageFile(file));
    } catch (err) {
      throw new ConfigError(`hardware entry ${file}: not valid JSON (${(err as Error).message})`);
    }
    if (!validate(value)) throw new ConfigError(`hardware entry ${file}: ${describeSchemaErrors(validate.errors ?? []).join('; ')}`);
    const raw = value as RawEntry;
    if (`${raw.id}.json` !== name) throw new ConfigError(`hardware entry ${file}: id: "${raw.id}" must match the file name`);
    const base = {
      family: raw.id, released: raw.released ?? null, soc: raw.soc, linux: raw.linux,
      gpuMemoryBytes: parseSize(raw.gpuMemoryDefault ?? 0) ?? 0, cpu: raw.cpu, sources: raw.sources, file,
    };
    const variants = raw.variants ?? [];
    const ids = variants.map((v) => v.id);
    if (variants.length === 0) {
      entries.push({ ...base, id: raw.id, name: raw.name, ramBytes: parseSize(raw.ram) ?? 0, notes: raw.notes ?? [], variants: [] });
    } else {
      for (const variant of variants) {
        entries.push({
          ...base, id: variant.id, name: variant.name, ramBytes: parseSize(variant.ram) ?? 0,
          released: variant.released ?? base.released, notes: [...(raw.notes ?? []), ...(variant.notes ?? [])],
          variants: ids.filter((id) => id !== variant.id),
        });
      }
      const target = raw.defaultVariant ?? ids[0];
      if (target === undefined || !ids.includes(target)) throw new ConfigError(`hardware entry ${file}: defaultVariant: "${String(target)}" is not one of its variants`);
      aliases.set(raw.id, target);
    }
  }
  const seen = new Set<string>();
  for (const entry of entries) {
    if (seen.has(entry.id) || aliases.has(entry.id)) throw new ConfigError(`hardware entry ${entry.file}: id "${entry.id}" is used twice in the catalogue`);
    seen.add(entry.id);
  }
  cache = { entries, aliases };
  return cache;
}

/** Every spec sheet, variants expanded (pi-4b-1gb, pi-4b-2gb ...). */
export function listHardware(): HardwareEntry[] {
  return [...loadCatalogue().entries];
}

/** Family ids that stand for their default variant, e.g. "pi-4b" -> "pi-4b-1gb". */
export function hardwareAliases(): ReadonlyMap<string, string> {
  return loadCatalogue().aliases;
}

export function findHardware(id: string): HardwareEntry | undefined {
  const { entries, aliases } = loadCatalogue();
  const target = aliases.get(id) ?? id;
  return entries.find((e) => e.id === target);
}

/** A spec sheet by id or family id; ConfigError (exit 2) listing the known ids otherwise. */
export function loadHardware(id: string): HardwareEntry {
  const entry = findHardware(id);
  if (!entry) {
    const known = [...listHardware().map((e) => e.id), ...hardwareAliases().keys()].sort();
    throw new ConfigError(`unknown hardware id "${id}" (known: ${known.join(', ')}; \`edgeprobe targets\` lists them)`);
  }
  return entry;
}

/** What Linux would report as MemTotal: RAM less the GPU's share and the kernel's reservations. */
export function expectedMemTotal(entry: Pick<HardwareEntry, 'linux' | 'ramBytes' | 'gpuMemoryBytes'>): number {
  if (!entry.linux) return entry.ramBytes;
  return Math.round(entry.ramBytes - entry.gpuMemoryBytes - entry.ramBytes * KERNEL_RESERVED_FRACTION);
}

/** The partial metrics map a spec sheet states (only SPEC_SHEET_METRICS). */
export function specSheetMetrics(entry: HardwareEntry): Metrics {
  const memTotal = expectedMemTotal(entry);
  return {
    'host.board': entry.name,
    'host.board_ram_bytes': entry.ramBytes,
    'host.linux': entry.linux,
    'cpu.arch': entry.cpu.arch,
    // A spec sheet's architecture is what the board's recommended OS runs: kernel and userland alike.
    'cpu.userland_arch': entry.cpu.arch,
    'cpu.cores': entry.cpu.cores,
    'cpu.effective_cpus': entry.cpu.cores,
    'cpu.model': entry.cpu.model,
    'cpu.max_mhz': entry.cpu.maxMhz,
    'memory.total_bytes': memTotal,
    'memory.effective_total_bytes': memTotal,
  };
}

/** How the memory figures of a spec sheet were derived, for the assumptions a verdict prints. */
export function specSheetMemoryNote(entry: HardwareEntry): string {
  if (!entry.linux) return `${entry.name} runs no Linux: its ${Math.round(entry.ramBytes / 1024)} KiB of on-chip SRAM is all the memory there is`;
  const mib = (b: number): string => `${Math.round(b / 1024 / 1024)} MiB`;
  return `MemTotal expected ${mib(expectedMemTotal(entry))}: ${mib(entry.ramBytes)} RAM − ${mib(entry.gpuMemoryBytes)} default GPU memory − ${KERNEL_RESERVED_FRACTION * 100} % kernel reservations (calibrated on recorded devices)`;
}
