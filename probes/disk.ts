// disk: free and total space on the deployment path, the filesystem and the kind of device under it,
// and a bounded write test: small writes each followed by fsync (p50/p99 latency), then a sequential
// write rate. The test file lives in a hidden temp folder on the deployment path itself (the disk being
// measured); it is removed when the test ends, when the probe is stopped, and on SIGINT/SIGTERM.
import { randomBytes } from 'node:crypto';
import * as fsPromises from 'node:fs/promises';
import { open, realpath, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ProbeContext, ProbeDefinition, ProbeOutput } from '../src/engine/probe.js';
import { MetricSink } from '../src/engine/sink.js';
import { metricIdsOf } from '../src/report/metrics.js';
import { readLink } from './lib/executables.js';
import { THROTTLED_DURING_LOAD, watchThrottling } from './lib/load-conditions.js';
import { parseMountinfo } from './lib/parsers/cgroup.js';
import { blockNamesFromSysLink, deviceKind, diskFromDevice, diskFromMajorMinor, mountFor, parseDfPosix, percentile } from './lib/parsers/disk.js';
import { whyNoWriteTest } from './lib/write-test-gate.js';

const SMALL_WRITE_BYTES = 4096;
const FSYNC_PHASE_MS = 2_000;
const FSYNC_MAX_SAMPLES = 2_000;
const FSYNC_MIN_SAMPLES = 20;
/** Even on a card that takes 100 ms per fsync, the small-write phase ends here. */
const FSYNC_HARD_LIMIT_MS = 8_000;
const SEQUENTIAL_CHUNK_BYTES = 1024 * 1024;
const SEQUENTIAL_MAX_BYTES = 64 * 1024 * 1024;
const SEQUENTIAL_PHASE_MS = 2_000;

interface Space {
  totalBytes: number;
  freeBytes: number;
  source: string;
}

async function space(ctx: ProbeContext, path: string): Promise<Space | { error: string }> {
  const statfs = (fsPromises as { statfs?: (p: string) => Promise<{ bsize: number; blocks: number; bavail: number }> }).statfs;
  if (typeof statfs === 'function') {
    try {
      const s = await statfs(path);
      // bavail, not bfree: what an unprivileged deployment may use (root's reserved blocks excluded).
      return { totalBytes: s.blocks * s.bsize, freeBytes: s.bavail * s.bsize, source: 'statfs' };
    } catch (err) {
      return { error: `statfs ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
    }
  }
  const df = await ctx.exec('df', ['-Pk', path], { timeoutMs: 5_000 });
  const parsed = df.code === 0 ? parseDfPosix(df.stdout) : null;
  return parsed ? { ...parsed, source: 'df -Pk' } : { error: `df -Pk ${path} failed: ${df.spawnError ?? df.stderr.trim().slice(0, 120)}` };
}

interface WriteTest {
  samplesMs: number[];
  sequentialBytes: number;
  sequentialSeconds: number;
}

async function writeTest(ctx: ProbeContext, dir: string, sequentialLimit: number): Promise<WriteTest> {
  const file = join(dir, 'write-test');
  const handle = await open(file, 'w', 0o600);
  const samplesMs: number[] = [];
  try {
    const block = randomBytes(SMALL_WRITE_BYTES);
    ctx.log(`fsync test in ${dir}`);
    const start = performance.now();
    while (!ctx.signal.aborted && samplesMs.length < FSYNC_MAX_SAMPLES) {
      const elapsed = performance.now() - start;
      if (elapsed > FSYNC_HARD_LIMIT_MS || (elapsed > FSYNC_PHASE_MS && samplesMs.length >= FSYNC_MIN_SAMPLES)) break;
      const t0 = performance.now();
      // Rewrite a 1 MiB window so the file stays small: every write dirties a block that fsync must flush.
      await handle.write(block, 0, block.length, (samplesMs.length % 256) * SMALL_WRITE_BYTES);
      await handle.sync();
      samplesMs.push(performance.now() - t0);
    }
    ctx.log(`sequential write test in ${dir}`);
    // Random data: filesystems that compress (btrfs, zfs) would flatter zeros.
    const chunk = randomBytes(SEQUENTIAL_CHUNK_BYTES);
    let written = 0;
    const s0 = performance.now();
    while (!ctx.signal.aborted && written + chunk.length <= sequentialLimit && performance.now() - s0 < SEQUENTIAL_PHASE_MS) {
      const { bytesWritten } = await handle.write(chunk, 0, chunk.length, SMALL_WRITE_BYTES * 256 + written);
      written += bytesWritten;
    }
    await handle.sync();
    return { samplesMs, sequentialBytes: written, sequentialSeconds: (performance.now() - s0) / 1000 };
  } finally {
    await handle.close().catch(() => undefined);
    await rm(file, { force: true }).catch(() => undefined);
  }
}

const round2 = (n: number): number => Math.round(n * 100) / 100;
const WRITE_TEST_IDS = ['disk.fsync_p50_ms', 'disk.fsync_p99_ms', 'disk.sequential_write_bytes_per_second'];

function recordWriteTest(result: WriteTest, sink: MetricSink): void {
  const p50 = percentile(result.samplesMs, 50);
  const p99 = percentile(result.samplesMs, 99);
  sink.put('disk.fsync_p50_ms', p50 === null ? null : round2(p50), 'no fsync completed');
  sink.put('disk.fsync_p99_ms', p99 === null ? null : round2(p99), 'no fsync completed');
  const rate = result.sequentialSeconds > 0 && result.sequentialBytes > 0 ? Math.round(result.sequentialBytes / result.sequentialSeconds) : null;
  sink.put('disk.sequential_write_bytes_per_second', rate, 'no sequential write completed');
  sink.details['writeTest'] = {
    fsyncSamples: result.samplesMs.length,
    writeBytes: SMALL_WRITE_BYTES,
    fsyncMaxMs: result.samplesMs.length > 0 ? round2(Math.max(...result.samplesMs)) : null,
    sequentialBytes: result.sequentialBytes,
    sequentialSeconds: round2(result.sequentialSeconds),
  };
  if (p99 !== null && p99 > 50)
    sink.details['fsyncWarning'] = `fsync p99 is ${round2(p99)} ms: every database commit waits this long (typical of SD cards; an SSD is far faster)`;
}

async function putSpace(ctx: ProbeContext, sink: MetricSink, path: string): Promise<void> {
  if (!ctx.live) {
    sink.putAllNull(['disk.free_bytes', 'disk.total_bytes'], 'recorded tree: free space is a live measurement');
    return;
  }
  const s = await space(ctx, path);
  if ('error' in s) {
    sink.putAllNull(['disk.free_bytes', 'disk.total_bytes'], s.error);
    return;
  }
  sink.put('disk.free_bytes', s.freeBytes, '');
  sink.put('disk.total_bytes', s.totalBytes, '');
  sink.details['spaceSource'] = s.source;
}

async function putDevice(ctx: ProbeContext, sink: MetricSink, path: string): Promise<void> {
  const mounts = parseMountinfo((await ctx.readText('/proc/self/mountinfo')) ?? (await ctx.readText('/proc/1/mountinfo')) ?? '');
  const mount = mountFor(mounts, path);
  if (!mount) {
    sink.put('disk.filesystem', null, 'no mount table (/proc/self/mountinfo) under the root');
    sink.put('disk.device_kind', null, 'no mount table under the root');
    return;
  }
  sink.put('disk.filesystem', mount.fsType, '');
  const link = mount.majorMinor ? await readLink(ctx, `/sys/dev/block/${mount.majorMinor}`) : null;
  const names = link ? blockNamesFromSysLink(link) : null;
  const disk = names?.disk ?? diskFromDevice(mount.source) ?? diskFromMajorMinor(mount.majorMinor);
  const rotational = disk ? await ctx.readText(`/sys/block/${disk}/queue/rotational`) : null;
  const mmcType = disk?.startsWith('mmcblk') ? await ctx.readText(`/sys/block/${disk}/device/type`) : null;
  const kind = deviceKind({ fsType: mount.fsType, disk, rotational, mmcType, onUsb: link?.includes('/usb') ?? false });
  sink.put('disk.device_kind', kind.kind, kind.reason ?? 'unknown device');
  sink.details['mount'] = {
    mountPoint: mount.mountPoint,
    source: mount.source,
    device: mount.majorMinor,
    disk,
    partition: names?.name ?? null,
    bus: link?.includes('/usb') ? 'usb' : link?.includes('/virtio') ? 'virtio' : null,
  };
  if (link?.includes('/virtio')) sink.details['deviceNote'] = 'a virtual disk: its rotational flag and latency are what the hypervisor presents';
}

async function putWriteTest(ctx: ProbeContext, sink: MetricSink, path: string): Promise<void> {
  const free = sink.metrics['disk.free_bytes'];
  const skip = await whyNoWriteTest(ctx, path, free);
  if (skip !== null || typeof free !== 'number') {
    sink.putAllNull(WRITE_TEST_IDS, skip ?? 'free space unknown');
    return;
  }
  let dir: string | null = null;
  try {
    dir = ctx.tempDir('disk', path);
    const sequentialLimit = Math.min(SEQUENTIAL_MAX_BYTES, Math.floor(free / 20 / SEQUENTIAL_CHUNK_BYTES) * SEQUENTIAL_CHUNK_BYTES);
    const watch = await watchThrottling(ctx);
    const result = await writeTest(ctx, dir, sequentialLimit);
    const throttled = await watch.finish();
    if (throttled) sink.details[THROTTLED_DURING_LOAD] = throttled;
    recordWriteTest(result, sink);
  } catch (err) {
    sink.putAllNull(WRITE_TEST_IDS, `write test failed: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  } finally {
    if (dir) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

export const diskProbe: ProbeDefinition = {
  id: 'disk',
  title: 'Disk',
  metrics: metricIdsOf('disk'),
  budgetMs: (options) => (options.quick ? 10_000 : 30_000),
  // The write test is load: it runs alone so it neither disturbs nor is disturbed by the other probes.
  exclusive: true,
  async run(ctx): Promise<ProbeOutput> {
    const sink = new MetricSink();
    const devicePath = ctx.options.path ?? homedir();
    let path = devicePath;
    try {
      const real = await realpath(ctx.rootPath(devicePath));
      path = ctx.live ? real : devicePath;
    } catch {
      // a recorded tree may not hold the path; the mount table still says where it would live
    }
    sink.details['path'] = path;
    await putSpace(ctx, sink, path);
    await putDevice(ctx, sink, path);
    await putWriteTest(ctx, sink, path);
    return sink.output();
  },
};
