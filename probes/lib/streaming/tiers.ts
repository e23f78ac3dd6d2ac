// One streaming tier's measurement: start its server, run the load driver's phases against it, check that
// the server that answered is the one meant, and record the tier's figures.

import type { ProbeContext } from '../../../src/engine/probe.js';
import type { MetricSink } from '../../../src/engine/sink.js';
import { PER_TIER_FIGURES, type PerTierFigure, tierMetricId } from '../../../src/report/metrics/streaming.js';
import { parseRedisTarget } from '../parsers/redis.js';
import { askRedis } from '../redis-client.js';
import type { Identity, IdleResult, LatencyResult, SustainedResult, ThroughputResult } from './driver.js';
import type { PythonChoice } from './interpreters.js';
import type { AsgiServer, LoadPlan, PhaseSchedule, StreamingTier } from './plan.js';
import { processCpuSeconds, processCpuTicks, processRss, type RunningServer, startServer } from './servers.js';
import { serverSpec } from './setup.js';

const PER_TIER_FIGURE_NAMES = Object.keys(PER_TIER_FIGURES) as PerTierFigure[];

const SERVED_BY: Record<StreamingTier, string> = {
  node: 'node-ws',
  python: 'python-asyncio',
  channels: 'django-channels',
  channels_redis: 'django-channels',
};

export interface TierResult {
  server: { pid: number; port: number; startMs: number; rssAfterBytes: number | null; cpuSeconds: number | null; [key: string]: unknown };
  latency?: LatencyResult;
  idle?: IdleResult;
  throughputSmall?: ThroughputResult;
  throughputLarge?: ThroughputResult;
  sustained?: SustainedResult;
  identity?: Identity;
  echoesReceived: number;
  /** channels_redis tier: CPU seconds Redis used per second of the 64 B throughput phase. */
  redisCpuShare?: number;
}

/** The Redis tier: how much of its one core Redis spent carrying a phase's rate (it bounds every worker together). */
async function redisShareDuring<T>(
  redisCpuSeconds: (() => Promise<number | null>) | undefined,
  phase: () => Promise<T>,
): Promise<{ value: T; share: number | null }> {
  const before = await redisCpuSeconds?.();
  const started = performance.now();
  const value = await phase();
  const after = await redisCpuSeconds?.();
  const seconds = (performance.now() - started) / 1000;
  const share = typeof before === 'number' && typeof after === 'number' && seconds > 0 ? Math.round(((after - before) / seconds) * 1000) / 1000 : null;
  return { value, share };
}

/** What every phase of one tier needs: the load driver, the server it loads, and the plan and schedule it follows. */
interface TierPhases {
  ctx: ProbeContext;
  tier: StreamingTier;
  server: RunningServer;
  plan: LoadPlan;
  schedule: PhaseSchedule;
  driver: typeof import('./driver.js');
  connectTimeoutMs: number;
}

function secondsText(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

async function measureTier(
  ctx: ProbeContext,
  tier: StreamingTier,
  server: RunningServer,
  plan: LoadPlan,
  schedule: PhaseSchedule,
  redisCpuSeconds?: () => Promise<number | null>,
): Promise<TierResult> {
  // The load driver brings ws, and with it http, https, tls and zlib: loaded by the runs that measure a tier.
  const driver = await import('./driver.js');
  const phases: TierPhases = { ctx, tier, server, plan, schedule, driver, connectTimeoutMs: 10_000 };
  const result: TierResult = {
    server: { pid: server.pid, port: server.port, startMs: server.startMs, rssAfterBytes: null, cpuSeconds: null },
    echoesReceived: 0,
  };
  const cpuBefore = processCpuTicks(server.pid);
  await measureLatencyAndIdle(phases, result);
  await measureThroughput(phases, result, redisCpuSeconds);
  await measureSustained(phases, result);
  result.identity = await driver.identify(server.url, phases.connectTimeoutMs, ctx.signal);
  result.server.rssAfterBytes = processRss(server.pid);
  const cpuAfter = processCpuTicks(server.pid);
  if (cpuBefore !== null && cpuAfter !== null) result.server.cpuSeconds = (cpuAfter - cpuBefore) / 100;
  checkAnsweringServer(tier, result);
  return result;
}

async function measureLatencyAndIdle(phases: TierPhases, result: TierResult): Promise<void> {
  const { ctx, tier, server, plan, schedule, connectTimeoutMs } = phases;
  ctx.log(`${tier}: latency phase (${secondsText(schedule.latencyMs)})`);
  result.latency = await phases.driver.latencyPhase(
    server.url,
    {
      clients: plan.latencyClients,
      payloadBytes: plan.smallPayloadBytes,
      durationMs: schedule.latencyMs,
      connectTimeoutMs,
    },
    ctx.signal,
  );
  result.echoesReceived += result.latency.echoes;
  ctx.log(`${tier}: idle connections phase (${plan.idleConnections} connections, ${secondsText(schedule.idleMs)})`);
  result.idle = await phases.driver.idlePhase(
    server.url,
    {
      connections: plan.idleConnections,
      durationMs: schedule.idleMs,
      connectTimeoutMs,
      readRss: () => processRss(server.pid),
    },
    ctx.signal,
  );
  result.echoesReceived += result.idle.echoes;
}

async function measureThroughput(phases: TierPhases, result: TierResult, redisCpuSeconds?: () => Promise<number | null>): Promise<void> {
  const { ctx, tier, server, plan, schedule, connectTimeoutMs } = phases;
  ctx.log(`${tier}: throughput phase, ${plan.smallPayloadBytes} B (${secondsText(schedule.throughputSmallMs)})`);
  const small = await redisShareDuring(redisCpuSeconds, () =>
    phases.driver.throughputPhase(
      server.url,
      {
        clients: plan.throughputClients,
        window: plan.smallWindow,
        payloadBytes: plan.smallPayloadBytes,
        durationMs: schedule.throughputSmallMs,
        connectTimeoutMs,
        serverCpuSeconds: () => processCpuSeconds(server.pid),
      },
      ctx.signal,
    ),
  );
  result.throughputSmall = small.value;
  if (small.share !== null) result.redisCpuShare = small.share;
  result.echoesReceived += result.throughputSmall.echoes;
  ctx.log(`${tier}: throughput phase, ${plan.largePayloadBytes / 1024} KiB (${secondsText(schedule.throughputLargeMs)})`);
  result.throughputLarge = await phases.driver.throughputPhase(
    server.url,
    {
      clients: plan.throughputClients,
      window: plan.largeWindow,
      payloadBytes: plan.largePayloadBytes,
      durationMs: schedule.throughputLargeMs,
      connectTimeoutMs,
    },
    ctx.signal,
  );
  result.echoesReceived += result.throughputLarge.echoes;
}

async function measureSustained(phases: TierPhases, result: TierResult): Promise<void> {
  const { ctx, tier, server, plan, schedule, connectTimeoutMs } = phases;
  ctx.log(`${tier}: sustained stream phase (${(plan.streamBitsPerSecond / 1e6).toFixed(2)} Mbit/s, ${secondsText(schedule.sustainedMs)})`);
  result.sustained = await phases.driver.sustainedPhase(
    server.url,
    {
      bitsPerSecond: plan.streamBitsPerSecond,
      frameBytes: plan.streamFrameBytes,
      durationMs: schedule.sustainedMs,
      connectTimeoutMs,
    },
    ctx.signal,
  );
  result.echoesReceived += result.sustained.framesEchoed;
}

/** The server that answered must be the tier's own and must have echoed every message the driver received. */
function checkAnsweringServer(tier: StreamingTier, result: TierResult): void {
  const servedBy = result.identity?.served_by;
  if (servedBy !== SERVED_BY[tier]) throw new Error(`the server that answered says it is "${String(servedBy)}", not ${SERVED_BY[tier]}`);
  const echoed = result.identity?.echoed;
  if (typeof echoed !== 'number' || echoed < result.echoesReceived) {
    throw new Error(`the server echoed ${String(echoed)} messages but the driver received ${result.echoesReceived}: something else answered`);
  }
}

const NO_SAMPLE = 'the phase produced no sample';

export function tierMetricIds(tier: StreamingTier): string[] {
  return PER_TIER_FIGURE_NAMES.map((name) => tierMetricId(tier, name));
}

function putTier(sink: MetricSink, tier: StreamingTier, result: TierResult): void {
  sink.put(tierMetricId(tier, 'messages_per_second'), result.throughputSmall?.messagesPerSecond, NO_SAMPLE);
  sink.put(
    tierMetricId(tier, 'messages_per_cpu_second'),
    result.throughputSmall?.messagesPerCpuSecond,
    result.throughputSmall ? "the server's CPU time was not readable from /proc, or the phase was too short" : NO_SAMPLE,
  );
  sink.put(tierMetricId(tier, 'bytes_per_second'), result.throughputLarge?.bytesPerSecond, NO_SAMPLE);
  sink.put(tierMetricId(tier, 'p50_ms'), result.latency?.p50Ms, NO_SAMPLE);
  sink.put(tierMetricId(tier, 'p95_ms'), result.latency?.p95Ms, NO_SAMPLE);
  sink.put(tierMetricId(tier, 'p99_ms'), result.latency?.p99Ms, NO_SAMPLE);
  sink.put(tierMetricId(tier, 'bytes_per_connection'), result.idle?.bytesPerConnection, NO_SAMPLE);
  sink.put(tierMetricId(tier, 'sustained_bytes_per_second'), result.sustained?.achievedBytesPerSecond, NO_SAMPLE);
  sink.put(tierMetricId(tier, 'sustained_late_frames'), result.sustained?.lateFrames, NO_SAMPLE);
  sink.put(tierMetricId(tier, 'sustained_jitter_ms'), result.sustained?.jitterMs, NO_SAMPLE);
}

export interface TierRun {
  sink: MetricSink;
  results: Map<StreamingTier, TierResult>;
  remainingMs: number;
  tierMs: number;
  plan: LoadPlan;
  schedule: PhaseSchedule;
  choice: PythonChoice | null;
  asgi: AsgiServer | null;
  redisUrl: string;
  project: () => string;
}

/** Starts one tier's server, measures it and stops it; returns the tier's details. Never throws but on abort. */
export async function runTier(ctx: ProbeContext, tier: StreamingTier, run: TierRun): Promise<Record<string, unknown>> {
  const { sink } = run;
  if (run.remainingMs < run.tierMs + 3_000) {
    const reason = 'out of time: the probe budget ran out before this tier';
    sink.putAllNull(tierMetricIds(tier), reason);
    return { skipped: reason };
  }
  const startTimeoutMs = Math.min(60_000, run.remainingMs - run.tierMs);
  let server: RunningServer | null = null;
  try {
    const spec = serverSpec(tier, { choice: run.choice, asgi: run.asgi, redisUrl: run.redisUrl, startTimeoutMs, projectDir: run.project });
    ctx.log(`${tier}: starting the server`);
    server = await startServer(spec, ctx.signal);
    ctx.log(`${tier}: listening on 127.0.0.1:${server.port} (pid ${server.pid})`);
    const redisTarget = tier === 'channels_redis' ? parseRedisTarget(run.redisUrl) : null;
    const redisCpu = redisTarget ? async (): Promise<number | null> => (await askRedis(redisTarget, 2_000, ctx.signal, { cpu: true })).cpuSeconds : undefined;
    const result = await measureTier(ctx, tier, server, run.plan, run.schedule, redisCpu);
    run.results.set(tier, result);
    putTier(sink, tier, result);
    return { ...result, ...(tier.startsWith('channels') ? { asgiServer: run.asgi } : {}) };
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    const message = err instanceof Error ? err.message : String(err);
    sink.putAllNull(tierMetricIds(tier), `failed: ${message}`);
    ctx.log(`${tier}: failed: ${message}`);
    return { error: message, ...(server ? { serverStderr: server.stderrTail().slice(-2000) } : {}) };
  } finally {
    await server?.stop();
  }
}
