// How much a load phase writes to the disk behind the deployment path: the kernel's per-disk write counter
// (/sys/block/DISK/stat, sectors written) read before and after the phase. Any load phase wraps itself:
//
//   const writes = await startWriteCounter(ctx);          // before the load
//   ... run the load ...
//   details['writeVolume'] = await writes.finish(count, 'requests');   // after it
//
// The storage probe reads `details.writeVolume` of the load probes (writeVolumeOf) to project the card's life.
// The counter covers every writer on that disk (journald, other services), not only the load: on a quiet
// device that is what a deployment would add; on a busy one the figure is high, and says so.
import type { ProbeContext } from '../../src/engine/probe.js';
import type { ProbeEnvelope } from '../../src/report/types.js';
import { deploymentPath, resolveBlockDevice } from './block-device.js';
import { bytesWrittenFromStat } from './parsers/storage.js';

export type OperationUnit = 'requests' | 'messages';

export interface WriteVolume {
  /** Whole disks counted; the figure is the most any one of them took (a RAID mirror writes each). */
  disks: string[];
  bytesWritten: number;
  seconds: number;
  /** Requests served or messages echoed during the same window. */
  operations: number;
  unit: OperationUnit;
  /** Bytes per 1,000 operations; null when no operation completed. */
  bytesPer1000: number | null;
  source: string;
}

export interface WriteCounter {
  finish(operations: number, unit: OperationUnit): Promise<WriteVolume | { unmeasured: string }>;
}

async function readWritten(ctx: ProbeContext, disks: readonly string[]): Promise<Map<string, number> | null> {
  const counts = new Map<string, number>();
  for (const disk of disks) {
    const bytes = bytesWrittenFromStat(await ctx.readText(`/sys/block/${disk}/stat`));
    if (bytes === null) return null;
    counts.set(disk, bytes);
  }
  return counts;
}

/** Reads the counters now; `finish` reads them again. Never throws: a counter it cannot read is a reason. */
export async function startWriteCounter(ctx: ProbeContext, path = deploymentPath(ctx)): Promise<WriteCounter> {
  const resolved = await resolveBlockDevice(ctx, path);
  const unmeasured = (reason: string): WriteCounter => ({ finish: async () => ({ unmeasured: reason }) });
  if (!resolved.ok) return unmeasured(resolved.reason);
  const disks = resolved.value.disks;
  const before = await readWritten(ctx, disks);
  if (!before) return unmeasured(`no readable /sys/block/${disks.join(', /sys/block/')}/stat`);
  const t0 = performance.now();
  return {
    async finish(operations, unit) {
      const after = await readWritten(ctx, disks);
      if (!after) return { unmeasured: `/sys/block/${disks.join(', ')}/stat became unreadable during the load` };
      const bytesWritten = Math.max(...disks.map((d) => (after.get(d) ?? 0) - (before.get(d) ?? 0)), 0);
      return {
        disks,
        bytesWritten,
        seconds: Math.round(performance.now() - t0) / 1000,
        operations,
        unit,
        bytesPer1000: operations > 0 ? Math.round((bytesWritten * 1000) / operations) : null,
        source: `/sys/block/${disks.join(', /sys/block/')}/stat (sectors written x 512) before and after the load`,
      };
    },
  };
}

/** The write volume a load probe recorded, if any. */
export function writeVolumeOf(envelope: ProbeEnvelope | undefined): WriteVolume | { unmeasured: string } | null {
  if (envelope?.status !== 'ok') return null;
  const value = envelope.details['writeVolume'];
  if (value === null || typeof value !== 'object') return null;
  const record = value as Record<string, unknown>;
  if (typeof record['unmeasured'] === 'string') return { unmeasured: record['unmeasured'] };
  const numbers = ['bytesWritten', 'seconds', 'operations'].every((k) => typeof record[k] === 'number');
  return numbers && Array.isArray(record['disks']) ? (value as WriteVolume) : null;
}
