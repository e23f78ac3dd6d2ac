import * as fsPromises from 'node:fs/promises';
import { realpath, rm } from 'node:fs/promises';
import type { ProbeContext, ProbeDefinition, ProbeOutput } from '../src/engine/probe.js';
import { MetricSink } from '../src/engine/sink.js';
import { metricIdsOf } from '../src/report/metrics.js';
import type { ProbeEnvelope } from '../src/report/types.js';
import { type DiskFacts, deploymentPath, diskFacts, readMounts, resolveBlockDevice } from './lib/block-device.js';
import { writeVolumeOf } from './lib/block-writes.js';
import { type LoadWrites, projectCardLife, wearAdvice } from './lib/card-wear.js';
import { THROTTLED_DURING_LOAD, watchThrottling } from './lib/load-conditions.js';
import type { StorageKind } from './lib/parsers/storage.js';
import { randomWriteTest } from './lib/random-write.js';
import { whyNoWriteTest } from './lib/write-test-gate.js';

const TEST_FILE_BYTES = 32 * 1024 * 1024;
const PHASE_MS = 3_000;
const HARD_LIMIT_MS = 10_000;
const MIN_SAMPLES = 20;

const IDENTITY_IDS = ['storage.kind', 'storage.disk', 'storage.root_on_same_disk', 'storage.size_bytes', 'storage.model'] as const;
const CARD_IDS = [
  'storage.card_name',
  'storage.card_manfid',
  'storage.card_oemid',
  'storage.card_date',
  'storage.card_type',
  'storage.card_cid',
  'storage.card_csd',
] as const;
const SD_CLASS_IDS = ['storage.speed_class', 'storage.uhs_speed_grade', 'storage.video_speed_class', 'storage.app_performance_class'] as const;
const EMMC_IDS = ['storage.emmc_life_used_percent', 'storage.emmc_pre_eol'] as const;
const WRITE_TEST_IDS = [
  'storage.random_write_iops',
  'storage.random_write_p99_ms',
  'storage.random_write_fsync_iops',
  'storage.random_write_fsync_p99_ms',
] as const;

/** The Django probe's load: its envelope carries `details.writeVolume` (unit "requests"), and these rates. */
export const DJANGO_LOAD = { probe: 'django' } as const;
const DJANGO_RATES = [
  ['django.wsgi_workers_requests_per_second', "the WSGI server's measured rate with one worker per CPU, at the latency target"],
  ['django.wsgi_requests_per_second', "the WSGI server's measured rate with one worker (no multi-worker run)"],
  ['django.asgi_workers_requests_per_second', "the ASGI server's measured rate with one worker per CPU (no WSGI server measured)"],
  ['django.asgi_requests_per_second', "the ASGI server's measured rate with one worker (no WSGI server measured)"],
] as const;
const STREAMING_RATES = [
  ['streaming.channels_messages_per_second', "the Channels tier's measured echo rate"],
  ['streaming.python_messages_per_second', "the Python asyncio tier's measured echo rate (Channels not measured)"],
  ['streaming.node_messages_per_second', "the Node tier's measured echo rate (no Python tier measured)"],
] as const;

function numberOf(envelope: ProbeEnvelope | undefined, id: string): number | null {
  const value = envelope?.status === 'ok' ? envelope.metrics[id] : undefined;
  return typeof value === 'number' ? value : null;
}

async function freeBytes(path: string): Promise<number | null> {
  const statfs = (fsPromises as { statfs?: (p: string) => Promise<{ bsize: number; bavail: number }> }).statfs;
  if (typeof statfs !== 'function') return null;
  try {
    const s = await statfs(path);
    return s.bavail * s.bsize;
  } catch {
    return null;
  }
}

async function devicePath(ctx: ProbeContext): Promise<string> {
  const path = deploymentPath(ctx);
  if (!ctx.live) return path;
  try {
    return await realpath(path);
  } catch {
    return path;
  }
}

function putIdentity(sink: MetricSink, facts: DiskFacts, disks: string[], rootOnSame: boolean | null, rootReason: string): void {
  sink.put('storage.kind', facts.kind, '');
  sink.put('storage.disk', disks.join(','), '');
  sink.put('storage.root_on_same_disk', rootOnSame, rootReason);
  sink.put('storage.size_bytes', facts.sizeBytes, `no /sys/class/block/${facts.disk}/size`);
  sink.put('storage.model', facts.model, `the kernel names no model for ${facts.disk}`);
  const notCard = `${facts.disk} is ${facts.kind}, not an SD card or eMMC`;
  const card = facts.card;
  const cardFile = (file: string): string => (card ? `no /sys/class/block/${facts.disk}/device/${file}` : notCard);
  sink.put('storage.card_name', card?.name, cardFile('name'));
  sink.put('storage.card_manfid', card?.manfid, cardFile('manfid'));
  sink.put('storage.card_oemid', card?.oemid, cardFile('oemid'));
  sink.put('storage.card_date', card?.date, cardFile('date'));
  sink.put('storage.card_type', card?.type, cardFile('type'));
  sink.put('storage.card_cid', card?.cid, cardFile('cid'));
  sink.put('storage.card_csd', card?.csd, cardFile('csd'));
  const noSsr =
    facts.kind === 'sd'
      ? `no readable SD Status register (/sys/class/block/${facts.disk}/device/ssr: kernels before 4.19 do not show it)`
      : `${facts.disk} is ${facts.kind}: only SD cards declare these classes`;
  const classes = facts.sdClasses;
  sink.put('storage.speed_class', classes?.speedClass, noSsr);
  sink.put('storage.uhs_speed_grade', classes?.uhsSpeedGrade, noSsr);
  sink.put('storage.video_speed_class', classes?.videoSpeedClass, noSsr);
  sink.put('storage.app_performance_class', classes?.appPerformanceClass, noSsr);
  const notEmmc =
    facts.kind === 'emmc'
      ? `no life_time / pre_eol_info under /sys/class/block/${facts.disk}/device (eMMC before 5.0, or an older kernel)`
      : `${facts.disk} is ${facts.kind}, not eMMC`;
  sink.put('storage.emmc_life_used_percent', facts.emmcLife?.usedPercentAtMost, notEmmc);
  sink.put('storage.emmc_pre_eol', facts.emmcPreEol, notEmmc);
  sink.details['disk'] = facts;
}

/** Identity of the disk behind `path`; returns its kind and size for the wear projection. */
async function identify(ctx: ProbeContext, sink: MetricSink, path: string): Promise<{ kind: StorageKind | null; sizeBytes: number | null }> {
  const mounts = await readMounts(ctx);
  const resolved = await resolveBlockDevice(ctx, path, mounts);
  if (!resolved.ok) {
    const kind = resolved.ramOrNetwork ?? null;
    sink.putAllNull([...IDENTITY_IDS, ...CARD_IDS, ...SD_CLASS_IDS, ...EMMC_IDS], resolved.reason);
    if (kind) sink.put('storage.kind', kind, '');
    if (resolved.mount) sink.details['mount'] = { mountPoint: resolved.mount.mountPoint, source: resolved.mount.source, fsType: resolved.mount.fsType };
    return { kind: null, sizeBytes: null };
  }
  const { mount, disks, chain, device, foundBy } = resolved.value;
  sink.details['mount'] = {
    mountPoint: mount.mountPoint,
    source: mount.source,
    fsType: mount.fsType,
    options: mount.options,
    device,
    chain: chain.join(' -> '),
    foundBy,
  };
  const facts = await diskFacts(ctx, disks[0] as string);
  const root = path === '/' ? resolved : await resolveBlockDevice(ctx, '/', mounts);
  const rootOnSame = root.ok ? root.value.disks.some((d) => disks.includes(d)) : null;
  putIdentity(sink, facts, disks, rootOnSame, root.ok ? '' : `the root filesystem's disk is unknown: ${root.reason}`);
  const notes: string[] = [];
  if (foundBy !== 'sysfs') notes.push(`no /sys/dev/block/${mount.majorMinor} link: the disk was named from its ${foundBy}`);
  if (facts.kind === 'sd' && !facts.card?.type) notes.push(`no /sys/class/block/${facts.disk}/device/type: taken for an SD card (an eMMC says MMC there)`);
  if (notes.length > 0) sink.details['identityNote'] = notes.join('; ');
  return { kind: facts.kind, sizeBytes: facts.sizeBytes };
}

async function randomWrites(ctx: ProbeContext, sink: MetricSink, path: string): Promise<void> {
  const free = ctx.live ? await freeBytes(path) : null;
  const skip = await whyNoWriteTest(ctx, path, free);
  if (skip) {
    sink.putAllNull(WRITE_TEST_IDS, skip);
    return;
  }
  let dir: string | null = null;
  try {
    dir = ctx.tempDir('storage', path);
    const fileBytes = Math.min(TEST_FILE_BYTES, Math.floor((free ?? 0) / 20 / 4096) * 4096);
    const watch = await watchThrottling(ctx);
    const result = await randomWriteTest({
      dir,
      fileBytes,
      phaseMs: PHASE_MS,
      hardLimitMs: HARD_LIMIT_MS,
      minSamples: MIN_SAMPLES,
      signal: ctx.signal,
      log: (m) => ctx.log(m),
    });
    const throttled = await watch.finish();
    if (throttled) sink.details[THROTTLED_DURING_LOAD] = throttled;
    const none = 'no write completed';
    sink.put('storage.random_write_iops', result.buffered.writes > 0 ? result.buffered.iops : null, none);
    sink.put('storage.random_write_p99_ms', result.buffered.p99Ms, none);
    sink.put('storage.random_write_fsync_iops', result.fsync.writes > 0 ? result.fsync.iops : null, none);
    sink.put('storage.random_write_fsync_p99_ms', result.fsync.p99Ms, none);
    sink.details['randomWrite'] = result;
    const p99 = result.fsync.p99Ms;
    if (p99 !== null && p99 > 1000)
      sink.details['writeLatencyWarning'] =
        `a 4 KiB write + fsync takes ${Math.round(p99)} ms at the 99th percentile: balena's diagnostics treat more than 1 s per write as a failing disk`;
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    sink.putAllNull(WRITE_TEST_IDS, `write test failed: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  } finally {
    if (dir) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** The loads whose writes this run measured: the Django probe's requests and the streaming probe's messages. */
function measuredLoads(ctx: ProbeContext, sink: MetricSink): LoadWrites[] {
  const loads: LoadWrites[] = [];
  const django = ctx.results.get(DJANGO_LOAD.probe);
  const djangoWrites = writeVolumeOf(django);
  if (djangoWrites && !('unmeasured' in djangoWrites) && djangoWrites.bytesPer1000 !== null) {
    sink.put('storage.bytes_written_per_1000_requests', djangoWrites.bytesPer1000, '');
    const rate = DJANGO_RATES.map(([id, source]) => ({ value: numberOf(django, id), source: `${id}: ${source}` })).find((r) => r.value !== null);
    loads.push({
      name: 'Django HTTP load',
      unit: 'requests',
      bytesPer1000: djangoWrites.bytesPer1000,
      ratePerSecond: rate?.value ?? null,
      rateSource: rate?.source ?? 'none',
    });
  } else {
    sink.put(
      'storage.bytes_written_per_1000_requests',
      null,
      djangoWrites && 'unmeasured' in djangoWrites
        ? djangoWrites.unmeasured
        : django
          ? `the ${DJANGO_LOAD.probe} probe recorded no write volume (${django.status})`
          : 'no Django HTTP load in this run',
    );
  }
  const streaming = ctx.results.get('streaming');
  const streamingWrites = writeVolumeOf(streaming);
  if (streamingWrites && !('unmeasured' in streamingWrites) && streamingWrites.bytesPer1000 !== null) {
    sink.put('storage.bytes_written_per_1000_messages', streamingWrites.bytesPer1000, '');
    const rate = STREAMING_RATES.map(([id, source]) => ({ value: numberOf(streaming, id), source: `${id}: ${source}` })).find((r) => r.value !== null);
    loads.push({
      name: 'streaming load',
      unit: 'messages',
      bytesPer1000: streamingWrites.bytesPer1000,
      ratePerSecond: rate?.value ?? null,
      rateSource: rate?.source ?? 'none',
    });
  } else {
    sink.put(
      'storage.bytes_written_per_1000_messages',
      null,
      streamingWrites && 'unmeasured' in streamingWrites
        ? streamingWrites.unmeasured
        : streaming
          ? `the streaming probe recorded no write volume (${streaming.details['skipped'] ?? streaming.status})`
          : 'the streaming probe did not run',
    );
  }
  return loads;
}

async function projectWear(ctx: ProbeContext, sink: MetricSink, kind: StorageKind | null, sizeBytes: number | null): Promise<void> {
  const loads = measuredLoads(ctx, sink);
  const projection = projectCardLife({ loads, kind, sizeBytes, enduranceTbw: ctx.options.cardEnduranceTbw ?? null });
  const reason = projection.reason ?? '';
  sink.put('storage.bytes_written_per_hour', projection.bytesPerHour, reason);
  sink.put(
    'storage.card_endurance_bytes',
    projection.enduranceBytes,
    `the disk is ${kind ?? 'of unknown kind'}: no default endurance; give it with --card-endurance-tbw`,
  );
  sink.put('storage.card_life_years', projection.years, reason);
  sink.details['wearAssumptions'] = projection.assumptions;
  if (projection.years !== null) sink.details['cardLifeEstimated'] = `card life ${projection.years} years: ${projection.assumptions.join('; ')}`;
  const mount = (await readMounts(ctx)).find((m) => m.mountPoint === (sink.details['mount'] as { mountPoint?: string } | undefined)?.mountPoint);
  const advice = wearAdvice({
    years: projection.years,
    kind,
    mountOptions: mount?.options ?? [],
    persistentJournal: await ctx.exists('/var/log/journal'),
    postgresRunning: ctx.results.get('stack')?.metrics['stack.postgres_running'] === true,
  });
  if (advice.length > 0) sink.details['wearAdviceNote'] = `to make the card last longer: ${advice.join('; ')}`;
}

export const storageProbe: ProbeDefinition = {
  id: 'storage',
  title: 'Storage',
  metrics: metricIdsOf('storage'),
  budgetMs: (options) => (options.quick ? 10_000 : 45_000),
  // The random-write test is load: it runs alone, after the load probes whose write counters it reads.
  exclusive: true,
  after: ['stack', 'streaming', DJANGO_LOAD.probe],
  async run(ctx): Promise<ProbeOutput> {
    const sink = new MetricSink();
    const path = await devicePath(ctx);
    sink.details['path'] = path;
    const { kind, sizeBytes } = await identify(ctx, sink, path);
    await randomWrites(ctx, sink, path);
    await projectWear(ctx, sink, kind, sizeBytes);
    return sink.output();
  },
};
