// 4 KiB random writes in a bounded file on the deployment path, twice:
// - "fsync": fsync after every write, as a database commit does (SQLite's journal, PostgreSQL's WAL).
//   IOPS = writes / time; latency = write + fsync.
// - "buffered": no fsync per write, one at the end, as logs and `synchronous=OFF` databases write.
//   IOPS = writes / (time of the writes + the final fsync), so the figure is what the device absorbed,
//   not what the page cache took; latency = the write() call, which stalls when the kernel throttles
//   dirty pages.
// The file is filled with random data first and each phase writes every block at most once, in random
// order: rewriting the same block would let the page cache merge writes, and writing into a sparse file
// would let the filesystem lay blocks out sequentially, and either would flatter the device.
import { randomBytes } from 'node:crypto';
import { type FileHandle, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { percentile } from './parsers/disk.js';

export const BLOCK_BYTES = 4096;
const FILL_CHUNK_BYTES = 1024 * 1024;

export interface RandomWriteOptions {
  dir: string;
  fileBytes: number;
  /** Each phase stops after this long (once it has minSamples), or when every block was written once. */
  phaseMs: number;
  /** Even on a device that takes 500 ms per fsync, a phase ends here. */
  hardLimitMs: number;
  minSamples: number;
  signal: AbortSignal;
  log(message: string): void;
}

export interface RandomWritePhase {
  writes: number;
  seconds: number;
  iops: number;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  /** Buffered phase: the fsync that pushed the writes to the device. */
  finalSyncMs?: number;
}

export interface RandomWriteResult {
  fileBytes: number;
  blockBytes: number;
  fsync: RandomWritePhase;
  buffered: RandomWritePhase;
}

/** Block indexes 0..count-1 in random order (Fisher-Yates). */
export function shuffledBlocks(count: number, random: () => number = Math.random): number[] {
  const order = Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const swap = order[i] as number;
    order[i] = order[j] as number;
    order[j] = swap;
  }
  return order;
}

const round2 = (n: number): number => Math.round(n * 100) / 100;

function summarise(samplesMs: number[], seconds: number): RandomWritePhase {
  const p50 = percentile(samplesMs, 50);
  const p99 = percentile(samplesMs, 99);
  return {
    writes: samplesMs.length,
    seconds: round2(seconds),
    iops: seconds > 0 ? Math.round(samplesMs.length / seconds) : 0,
    p50Ms: p50 === null ? null : round2(p50),
    p99Ms: p99 === null ? null : round2(p99),
    maxMs: samplesMs.length > 0 ? round2(Math.max(...samplesMs)) : null,
  };
}

async function fill(handle: FileHandle, bytes: number, signal: AbortSignal): Promise<void> {
  // Random data: filesystems that compress (btrfs, zfs) would flatter zeros.
  const chunk = randomBytes(FILL_CHUNK_BYTES);
  for (let offset = 0; offset < bytes && !signal.aborted; offset += chunk.length) {
    await handle.write(chunk, 0, Math.min(chunk.length, bytes - offset), offset);
  }
  await handle.sync();
}

async function phase(handle: FileHandle, options: RandomWriteOptions, syncEach: boolean): Promise<RandomWritePhase> {
  const blocks = Math.floor(options.fileBytes / BLOCK_BYTES);
  const order = shuffledBlocks(blocks);
  // 256 different blocks of data, so that a deduplicating controller cannot skip the writes.
  const pool = randomBytes(256 * BLOCK_BYTES);
  const samplesMs: number[] = [];
  const start = performance.now();
  for (const block of order) {
    const elapsed = performance.now() - start;
    if (options.signal.aborted || elapsed > options.hardLimitMs || (elapsed > options.phaseMs && samplesMs.length >= options.minSamples)) break;
    const slot = (samplesMs.length % 256) * BLOCK_BYTES;
    const t0 = performance.now();
    await handle.write(pool, slot, BLOCK_BYTES, block * BLOCK_BYTES);
    if (syncEach) await handle.sync();
    samplesMs.push(performance.now() - t0);
  }
  if (syncEach) return summarise(samplesMs, (performance.now() - start) / 1000);
  const s0 = performance.now();
  await handle.sync();
  const finalSyncMs = performance.now() - s0;
  return { ...summarise(samplesMs, (performance.now() - start) / 1000), finalSyncMs: round2(finalSyncMs) };
}

/** Runs both phases in `dir` (which the caller removes); the test file is removed here whatever happens. */
export async function randomWriteTest(options: RandomWriteOptions): Promise<RandomWriteResult> {
  const file = join(options.dir, 'random-write-test');
  const handle = await open(file, 'w+', 0o600);
  try {
    options.log(`random-write test: filling a ${Math.round(options.fileBytes / 1048576)} MiB file in ${options.dir}`);
    await fill(handle, options.fileBytes, options.signal);
    options.log('random-write test: 4 KiB writes, fsync after each');
    const fsync = await phase(handle, options, true);
    options.log('random-write test: 4 KiB writes, one fsync at the end');
    const buffered = await phase(handle, options, false);
    return { fileBytes: options.fileBytes, blockBytes: BLOCK_BYTES, fsync, buffered };
  } finally {
    await handle.close().catch(() => undefined);
    await rm(file, { force: true }).catch(() => undefined);
  }
}
