// streaming: WebSocket messages per second, latency, idle-connection memory and a fixed-bitrate stream,
// measured on the device with one load driver (ws clients inside the agent) against three servers on
// 127.0.0.1: a Node `ws` echo server, a stdlib-asyncio Python echo server and a real Django Channels
// consumer under daphne or uvicorn (InMemoryChannelLayer, and RedisChannelLayer when Redis answers).
import { cpus as osCpus } from 'node:os';
import type { ProbeContext, ProbeDefinition, ProbeOutput } from '../src/engine/probe.js';
import { MetricSink } from '../src/engine/sink.js';
import { tierMetricId } from '../src/report/metrics/streaming.js';
import { metricIdsOf } from '../src/report/metrics.js';
import type { ProbeEnvelope } from '../src/report/types.js';
import { readTemperature, readThrottled } from './cpu.js';
import { startWriteCounter } from './lib/block-writes.js';
import { THROTTLED_DURING_LOAD, throttledBetween } from './lib/load-conditions.js';
import { parseMeminfo } from './lib/parsers/meminfo.js';
import {
  DEFAULT_DURATION_S,
  DEFAULT_STREAM_MBIT,
  judgeValidity,
  parseProcStatCpu,
  phaseSchedule,
  planLoad,
  STREAMING_TIERS,
  type StreamingTier,
  type ValiditySnapshot,
} from './lib/streaming/plan.js';
import { processCpuTicks } from './lib/streaming/servers.js';
import { channelsProject, resolveTiers } from './lib/streaming/setup.js';
import { runTier, type TierResult, tierMetricIds } from './lib/streaming/tiers.js';

export const STREAMING_METRIC_IDS: readonly string[] = metricIdsOf('streaming');

function numberMetric(envelope: ProbeEnvelope | undefined, id: string): number | null {
  const value = envelope?.status === 'ok' ? envelope.metrics[id] : undefined;
  return typeof value === 'number' ? value : null;
}

export async function effectiveAvailable(ctx: ProbeContext): Promise<{ bytes: number | null; source: string }> {
  const memory = ctx.results.get('memory');
  const fromProbe = numberMetric(memory, 'memory.effective_available_bytes');
  // With --unit / --cgroup the figure is the named group's, but the load runs in this process's group.
  const own = memory?.details['ownGroup'] as { path?: unknown; availableBytes?: unknown } | undefined;
  if (fromProbe !== null && typeof own?.availableBytes === 'number' && own.availableBytes < fromProbe) {
    return {
      bytes: own.availableBytes,
      source: `this process's own group ${String(own.path)} (the load runs there; memory.effective_available_bytes is the named group's)`,
    };
  }
  if (fromProbe !== null) return { bytes: fromProbe, source: 'memory.effective_available_bytes' };
  const meminfo = await ctx.readText('/proc/meminfo');
  const available = meminfo ? (parseMeminfo(meminfo)['MemAvailable'] ?? null) : null;
  return { bytes: available, source: available === null ? 'unknown' : '/proc/meminfo MemAvailable (memory probe not run)' };
}

export async function openFileLimit(ctx: ProbeContext): Promise<number | null> {
  const limits = await ctx.readText('/proc/self/limits');
  const match = limits ? /^Max open files\s+(\S+)/m.exec(limits) : null;
  if (!match?.[1] || match[1] === 'unlimited') return null;
  const value = Number(match[1]);
  return Number.isFinite(value) ? value : null;
}

async function snapshot(ctx: ProbeContext): Promise<ValiditySnapshot> {
  const throttled = await readThrottled(ctx);
  const temperature = await readTemperature(ctx);
  const loadavg = (await ctx.readText('/proc/loadavg'))?.trim().split(/\s+/)[0];
  const cpu = parseProcStatCpu((await ctx.readText('/proc/stat')) ?? '');
  const load = loadavg === undefined ? Number.NaN : Number(loadavg);
  return {
    throttled: throttled?.value ?? null,
    temperatureCelsius: temperature?.celsius ?? null,
    loadAverage1m: Number.isFinite(load) ? load : null,
    cpuBusyTicks: cpu?.busy ?? null,
    cpuTotalTicks: cpu?.total ?? null,
    ownTicks: processCpuTicks('self', true),
    atMs: performance.now(),
  };
}

function allNull(reason: string, details: Record<string, unknown>): ProbeOutput {
  const sink = new MetricSink();
  sink.putAllNull(STREAMING_METRIC_IDS, reason);
  Object.assign(sink.details, details, { skipped: reason });
  return sink.output();
}

export const streamingProbe: ProbeDefinition = {
  id: 'streaming',
  title: 'WebSocket streaming',
  metrics: metricIdsOf('streaming'),
  exclusive: true,
  suspectMetric: 'streaming.suspect',
  after: ['memory', 'cpu', 'python'],
  // The phases take --duration together; each server start (Django imports on a slow board) gets more.
  budgetMs: (options) => Math.round((options.duration ?? DEFAULT_DURATION_S) * 1250) + 90_000,
  fixedBudgetMs: (options) => (options.duration ?? DEFAULT_DURATION_S) * 1000,
  async run(ctx): Promise<ProbeOutput> {
    const started = performance.now();
    const budgetMs = ctx.budgetMs;
    const durationS = ctx.options.duration ?? DEFAULT_DURATION_S;
    const details: Record<string, unknown> = { durationSeconds: durationS };
    if (!ctx.live) return allNull('needs the live system (--root points at a recorded tree)', details);
    if (ctx.options.quick) return allNull('skipped by --quick', details);
    if (process.platform !== 'linux') return allNull('the streaming probe measures server memory through /proc and runs on Linux only', details);

    const memory = await effectiveAvailable(ctx);
    const plan = planLoad(memory.bytes, await openFileLimit(ctx), ctx.options.streamBitrate ?? DEFAULT_STREAM_MBIT);
    details['memory'] = { effectiveAvailableBytes: memory.bytes, source: memory.source };
    details['plan'] = plan;
    if (plan.refuse) return allNull(plan.refuse, details);

    const sink = new MetricSink();
    Object.assign(sink.details, details);
    const { skipped, choice, asgi, redisUrl } = await resolveTiers(ctx, plan, sink.details);
    const tiers = STREAMING_TIERS.filter((t) => !skipped.has(t));
    const schedule = phaseSchedule(durationS * 1000, tiers.length);
    sink.details['schedule'] = schedule;
    const before = await snapshot(ctx);
    // The disk's write counter around the whole load: the storage probe projects the card's life from it.
    const writes = await startWriteCounter(ctx);
    const project = channelsProject(ctx);
    const results = new Map<StreamingTier, TierResult>();
    const tierDetails: Record<string, unknown> = {};
    for (const tier of STREAMING_TIERS) {
      const why = skipped.get(tier);
      if (why) {
        sink.putAllNull(tierMetricIds(tier), why);
        tierDetails[tier] = { skipped: why };
        continue;
      }
      const remainingMs = budgetMs - (performance.now() - started) - 5_000;
      tierDetails[tier] = await runTier(ctx, tier, {
        sink,
        results,
        remainingMs,
        tierMs: (durationS * 1000) / tiers.length,
        plan,
        schedule,
        choice,
        asgi,
        redisUrl,
        project,
      });
    }
    sink.details['tiers'] = tierDetails;
    const echoed = [...results.values()].reduce((sum, r) => sum + r.echoesReceived, 0);
    sink.details['writeVolume'] = await writes.finish(echoed, 'messages');
    await putValidity(ctx, sink, before);
    putCrossTier(sink, results, tiers.length > 0 ? Math.round(plan.streamBitsPerSecond / 8) : null);
    return sink.output();
  },
};

/** Throttling, heat or other load during the run make every figure of it suspect. */
async function putValidity(ctx: ProbeContext, sink: MetricSink, before: Awaited<ReturnType<typeof snapshot>>): Promise<void> {
  const after = await snapshot(ctx);
  const cpus = numberMetric(ctx.results.get('cpu'), 'cpu.effective_cpus') ?? Math.max(1, osCpus().length);
  const validity = judgeValidity(before, after, cpus);
  sink.details['validity'] = {
    suspect: validity.suspect,
    reasons: validity.reasons,
    otherCpuLoad: validity.otherCpuLoad,
    before: { ...before, atMs: undefined },
    after: { ...after, atMs: undefined },
  };
  sink.details['suspect'] = validity.suspect;
  if (validity.suspect) sink.details['resultSuspect'] = `results are suspect: ${validity.reasons.join('; ')}`;
  sink.put('streaming.suspect', validity.suspect, 'no validity snapshot');
  const throttled = throttledBetween(before.throttled, after.throttled);
  if (throttled) sink.details[THROTTLED_DURING_LOAD] = throttled;
}

function putCrossTier(sink: MetricSink, results: ReadonlyMap<StreamingTier, TierResult>, targetBytesPerSecond: number | null): void {
  // The Python-side cost of an idle connection: the Channels server's when measured, else the bare asyncio one.
  const bpcSource = (['channels', 'python'] as const).find((t) => typeof sink.metrics[tierMetricId(t, 'bytes_per_connection')] === 'number');
  sink.put(
    'streaming.bytes_per_connection',
    bpcSource ? sink.metrics[tierMetricId(bpcSource, 'bytes_per_connection')] : null,
    'neither the channels nor the python tier was measured',
  );
  if (bpcSource) sink.details['bytesPerConnectionFrom'] = bpcSource;
  const opened = [...results.values()].map((r) => r.idle?.opened ?? 0);
  sink.put('streaming.idle_connections', opened.length > 0 ? Math.max(...opened) : null, 'no tier was measured');
  sink.put('streaming.sustained_target_bytes_per_second', targetBytesPerSecond, 'no tier was measured');
  const redis = results.get('channels_redis');
  sink.put('streaming.redis_cpu_share', redis?.redisCpuShare, redis ? 'Redis did not answer INFO cpu' : 'the channels_redis tier was not measured');
}
