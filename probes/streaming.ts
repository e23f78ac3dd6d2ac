// streaming: WebSocket messages per second, latency, idle-connection memory and a fixed-bitrate stream,
// measured on the device with one load driver (ws clients inside the agent) against three servers on
// 127.0.0.1: a Node `ws` echo server, a stdlib-asyncio Python echo server and a real Django Channels
// consumer under daphne or uvicorn (InMemoryChannelLayer, and RedisChannelLayer when Redis answers).
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus as osCpus } from 'node:os';
import { delimiter, join } from 'node:path';
import { readPackageFile } from '../src/platform/package-files.js';
import type { ProbeContext, ProbeDefinition, ProbeOutput } from '../src/engine/probe.js';
import { metricIdsOf } from '../src/report/metrics.js';
import { MetricSink } from '../src/engine/sink.js';
import { PER_TIER_FIGURES, tierMetricId, type PerTierFigure } from '../src/report/metrics/streaming.js';
import type { Metrics, ProbeEnvelope } from '../src/report/types.js';
import { parseMeminfo } from './lib/parsers/meminfo.js';
import type { IdleResult, Identity, LatencyResult, SustainedResult, ThroughputResult } from './lib/streaming/driver.js';
import {
  ASGI_SERVERS, DEFAULT_DURATION_S, DEFAULT_STREAM_MBIT, STREAMING_TIERS, judgeValidity, parseProcStatCpu, phaseSchedule, planLoad,
  redisForChannels, type AsgiServer, type LoadPlan, type PhaseSchedule, type StreamingTier, type ValiditySnapshot,
} from './lib/streaming/plan.js';
import { processCpuTicks, processRss, startServer, type RunningServer, type ServerSpec } from './lib/streaming/servers.js';
import { readTemperature, readThrottled } from './cpu.js';
import { askRedis } from './lib/redis-client.js';
import { parseRedisTarget } from './lib/parsers/redis.js';
import { startWriteCounter } from './lib/block-writes.js';
import { THROTTLED_DURING_LOAD, throttledBetween } from './lib/load-conditions.js';

const PER_TIER_FIGURE_NAMES = Object.keys(PER_TIER_FIGURES) as PerTierFigure[];

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379/0';
const NODE_ECHO_SERVER = 'dist/streaming/node-echo-server.cjs';
const ASSETS = 'probes/assets/streaming';
const PROJECT_FILES = ['settings.py', 'urls.py', 'asgi.py', 'consumers.py'];
/** Python older than 3.7 has no asyncio.run / get_running_loop, which the echo server uses. */
const MIN_PYTHON: [number, number] = [3, 7];

export const STREAMING_METRIC_IDS: readonly string[] = metricIdsOf('streaming');

const SERVED_BY: Record<StreamingTier, string> = {
  node: 'node-ws', python: 'python-asyncio', channels: 'django-channels', channels_redis: 'django-channels',
};

interface Interpreter {
  path: string;
  version: string;
  modules: Record<string, string | null>;
  errors: Record<string, string>;
  redis?: { reachable: boolean; version?: string | null; error?: string };
}

interface TierResult {
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

function numberMetric(envelope: ProbeEnvelope | undefined, id: string): number | null {
  const value = envelope?.status === 'ok' ? envelope.metrics[id] : undefined;
  return typeof value === 'number' ? value : null;
}

function stringMetric(envelope: ProbeEnvelope | undefined, id: string): string | null {
  const value = envelope?.status === 'ok' ? envelope.metrics[id] : undefined;
  return typeof value === 'string' ? value : null;
}

export async function effectiveAvailable(ctx: ProbeContext): Promise<{ bytes: number | null; source: string }> {
  const memory = ctx.results.get('memory');
  const fromProbe = numberMetric(memory, 'memory.effective_available_bytes');
  // With --unit / --cgroup the figure is the named group's, but the load runs in this process's group.
  const own = memory?.details['ownGroup'] as { path?: unknown; availableBytes?: unknown } | undefined;
  if (fromProbe !== null && typeof own?.availableBytes === 'number' && own.availableBytes < fromProbe) {
    return { bytes: own.availableBytes, source: `this process's own group ${String(own.path)} (the load runs there; memory.effective_available_bytes is the named group's)` };
  }
  if (fromProbe !== null) return { bytes: fromProbe, source: 'memory.effective_available_bytes' };
  const meminfo = await ctx.readText('/proc/meminfo');
  const available = meminfo ? parseMeminfo(meminfo)['MemAvailable'] ?? null : null;
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

/** Executable files named python3 / python on PATH, in PATH order, after an explicit --python. */
async function pythonCandidates(ctx: ProbeContext): Promise<string[]> {
  const found: string[] = [];
  if (ctx.options.python) found.push(ctx.options.python);
  for (const dir of (process.env['PATH'] ?? '').split(delimiter).filter(Boolean)) {
    for (const name of ['python3', 'python']) {
      const path = join(dir, name);
      if (!found.includes(path) && (await ctx.exists(path))) found.push(path);
    }
  }
  return found;
}

async function inspectInterpreter(ctx: ProbeContext, path: string, redisUrl: string | null): Promise<Interpreter | { error: string }> {
  const args = ['-', ...(redisUrl ? ['--redis'] : [])];
  const result = await ctx.exec(path, args, {
    timeoutMs: 30_000, input: readPackageFile(`${ASSETS}/inspect_stack.py`), maxBytes: 65_536,
    env: pythonEnv(redisUrl ? { EDGEPROBE_REDIS_URL: redisUrl } : {}),
  });
  if (result.spawnError) return { error: `cannot run ${path} (${result.spawnError})` };
  if (result.timedOut) return { error: `${path} did not answer within 30 s` };
  try {
    const parsed = JSON.parse(result.stdout.trim().split('\n').pop() ?? '') as Omit<Interpreter, 'path'>;
    if (typeof parsed.version !== 'string' || typeof parsed.modules !== 'object') throw new Error('shape');
    return { ...parsed, path };
  } catch {
    const why = result.stderr.trim().split('\n').pop() ?? '';
    return { error: `${path} is not a usable Python 3 (${why || `exit code ${result.code ?? '?'}`})` };
  }
}

function versionAtLeast(version: string, minimum: [number, number]): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > minimum[0] || (major === minimum[0] && minor >= minimum[1]);
}

function hasChannelsStack(python: Interpreter): boolean {
  return Boolean(python.modules['django'] && python.modules['channels'] && asgiServersOf(python).length > 0);
}

/** ASGI servers this interpreter can run WebSockets under: uvicorn needs websockets or wsproto. */
function asgiServersOf(python: Interpreter): AsgiServer[] {
  return ASGI_SERVERS.filter((name) => {
    if (!python.modules[name]) return false;
    return name !== 'uvicorn' || Boolean(python.modules['websockets'] ?? python.modules['wsproto']);
  });
}

interface PythonChoice {
  python: Interpreter | null;
  channelsPython: Interpreter | null;
  pythonReason: string;
  channelsReason: string;
  source: string;
  inspected: Array<Interpreter | { path: string; error: string }>;
}

/**
 * The interpreter the python probe found is the one to use, with the packages it saw; without that probe
 * the agent looks for python3/python itself (after --python, along PATH) and inspects each.
 */
async function choosePython(ctx: ProbeContext, redisUrl: string | null): Promise<PythonChoice> {
  const envelope = ctx.results.get('python');
  const choice: PythonChoice = {
    python: null, channelsPython: null,
    pythonReason: 'no Python 3 interpreter found', channelsReason: 'no Python 3 interpreter found',
    source: '', inspected: [],
  };
  let candidates: string[];
  if (envelope?.status === 'ok') {
    const path = stringMetric(envelope, 'python.path');
    choice.source = 'python probe (python.path)';
    if (!path) {
      choice.pythonReason = choice.channelsReason = 'the python probe found no Python 3 interpreter';
      return choice;
    }
    candidates = [path];
  } else {
    choice.source = `searched --python and PATH (python probe ${envelope ? envelope.status : 'not available'})`;
    candidates = await pythonCandidates(ctx);
  }
  for (const path of candidates) {
    const inspected = await inspectInterpreter(ctx, path, redisUrl);
    if ('error' in inspected) {
      choice.inspected.push({ path, error: inspected.error });
      choice.pythonReason = choice.channelsReason = inspected.error;
      continue;
    }
    choice.inspected.push(inspected);
    if (!versionAtLeast(inspected.version, MIN_PYTHON)) {
      choice.pythonReason = choice.channelsReason = `Python ${inspected.version} at ${path} is older than ${MIN_PYTHON.join('.')}`;
      continue;
    }
    choice.python ??= inspected;
    if (hasChannelsStack(inspected)) {
      choice.channelsPython = inspected;
      break;
    }
  }
  if (choice.python && !choice.channelsPython) {
    const p = choice.python;
    const missing = ['django', 'channels'].filter((name) => !p.modules[name]);
    if (asgiServersOf(p).length === 0) missing.push(p.modules['uvicorn'] ? 'daphne (uvicorn has neither websockets nor wsproto)' : 'daphne or uvicorn');
    choice.channelsReason = `${missing.join(', ')} not importable by ${p.path}`;
  }
  return choice;
}

function pickAsgiServer(ctx: ProbeContext, python: Interpreter): { server: AsgiServer | null; reason: string } {
  const usable = asgiServersOf(python);
  const wanted = ctx.options.asgiServer;
  if (wanted) {
    return usable.includes(wanted)
      ? { server: wanted, reason: `--asgi-server ${wanted}` }
      : { server: null, reason: `--asgi-server ${wanted}: not usable by ${python.path}` };
  }
  const named = stringMetric(ctx.results.get('python'), 'python.asgi_server');
  const preferred = usable.find((s) => s === named);
  if (preferred) return { server: preferred, reason: 'python.asgi_server' };
  const first = usable[0];
  return first ? { server: first, reason: 'first importable of daphne, uvicorn' } : { server: null, reason: 'neither daphne nor uvicorn can serve WebSockets' };
}

function pythonEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1', ...extra };
}

function writeChannelsProject(dir: string): void {
  const pkg = join(dir, 'edgeprobe_echo');
  mkdirSync(pkg, { recursive: true });
  writeFileSync(join(pkg, '__init__.py'), '');
  for (const file of PROJECT_FILES) writeFileSync(join(pkg, file), readPackageFile(`${ASSETS}/channels_project/${file}`));
  writeFileSync(join(dir, 'serve.py'), readPackageFile(`${ASSETS}/channels_project/serve.py`));
}

/** How to start the server of a tier; the channels tiers share one generated project. */
export function serverSpec(
  tier: StreamingTier,
  setup: { choice: PythonChoice | null; asgi: AsgiServer | null; redisUrl: string; startTimeoutMs: number; projectDir: () => string },
): ServerSpec {
  const { choice, asgi, startTimeoutMs } = setup;
  if (tier === 'node') {
    return {
      name: 'node', file: process.execPath, args: ['-', '--edgeprobe-streaming-node', '--lifeline'],
      input: readPackageFile(NODE_ECHO_SERVER), path: '/', startTimeoutMs,
    };
  }
  if (tier === 'python') {
    if (!choice?.python) throw new Error('no Python interpreter');
    return {
      name: 'python', file: choice.python.path, args: ['-', '--edgeprobe-streaming-python', '--lifeline'],
      input: readPackageFile(`${ASSETS}/ws_echo_server.py`), env: pythonEnv(), path: '/', startTimeoutMs,
    };
  }
  if (!choice?.channelsPython || !asgi) throw new Error('no Django Channels stack');
  const layerEnv: Record<string, string> = tier === 'channels_redis'
    ? { EDGEPROBE_CHANNEL_LAYER: 'redis', EDGEPROBE_REDIS_URL: setup.redisUrl, EDGEPROBE_REDIS_PREFIX: `edgeprobe-${randomBytes(6).toString('hex')}` }
    : { EDGEPROBE_CHANNEL_LAYER: 'memory' };
  const projectDir = setup.projectDir();
  return {
    name: tier, file: choice.channelsPython.path, args: [join(projectDir, 'serve.py'), asgi, '--lifeline'],
    cwd: projectDir, env: pythonEnv(layerEnv), path: '/echo/', startTimeoutMs,
  };
}

/** The Redis tier: how much of its one core Redis spent carrying a phase's rate (it bounds every worker together). */
async function redisShareDuring<T>(redisCpuSeconds: (() => Promise<number | null>) | undefined, phase: () => Promise<T>): Promise<{ value: T; share: number | null }> {
  const before = await redisCpuSeconds?.();
  const started = performance.now();
  const value = await phase();
  const after = await redisCpuSeconds?.();
  const seconds = (performance.now() - started) / 1000;
  const share = typeof before === 'number' && typeof after === 'number' && seconds > 0 ? Math.round(((after - before) / seconds) * 1000) / 1000 : null;
  return { value, share };
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
  const { identify, idlePhase, latencyPhase, sustainedPhase, throughputPhase } = await import('./lib/streaming/driver.js');
  const connectTimeoutMs = 10_000;
  const result: TierResult = {
    server: { pid: server.pid, port: server.port, startMs: server.startMs, rssAfterBytes: null, cpuSeconds: null },
    echoesReceived: 0,
  };
  const cpuBefore = processCpuTicks(server.pid);
  const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
  ctx.log(`${tier}: latency phase (${seconds(schedule.latencyMs)})`);
  result.latency = await latencyPhase(server.url, {
    clients: plan.latencyClients, payloadBytes: plan.smallPayloadBytes, durationMs: schedule.latencyMs, connectTimeoutMs,
  }, ctx.signal);
  result.echoesReceived += result.latency.echoes;
  ctx.log(`${tier}: idle connections phase (${plan.idleConnections} connections, ${seconds(schedule.idleMs)})`);
  result.idle = await idlePhase(server.url, {
    connections: plan.idleConnections, durationMs: schedule.idleMs, connectTimeoutMs, readRss: () => processRss(server.pid),
  }, ctx.signal);
  result.echoesReceived += result.idle.echoes;
  ctx.log(`${tier}: throughput phase, ${plan.smallPayloadBytes} B (${seconds(schedule.throughputSmallMs)})`);
  const small = await redisShareDuring(redisCpuSeconds, () => throughputPhase(server.url, {
    clients: plan.throughputClients, window: plan.smallWindow, payloadBytes: plan.smallPayloadBytes,
    durationMs: schedule.throughputSmallMs, connectTimeoutMs,
  }, ctx.signal));
  result.throughputSmall = small.value;
  if (small.share !== null) result.redisCpuShare = small.share;
  result.echoesReceived += result.throughputSmall.echoes;
  ctx.log(`${tier}: throughput phase, ${plan.largePayloadBytes / 1024} KiB (${seconds(schedule.throughputLargeMs)})`);
  result.throughputLarge = await throughputPhase(server.url, {
    clients: plan.throughputClients, window: plan.largeWindow, payloadBytes: plan.largePayloadBytes,
    durationMs: schedule.throughputLargeMs, connectTimeoutMs,
  }, ctx.signal);
  result.echoesReceived += result.throughputLarge.echoes;
  ctx.log(`${tier}: sustained stream phase (${(plan.streamBitsPerSecond / 1e6).toFixed(2)} Mbit/s, ${seconds(schedule.sustainedMs)})`);
  result.sustained = await sustainedPhase(server.url, {
    bitsPerSecond: plan.streamBitsPerSecond, frameBytes: plan.streamFrameBytes, durationMs: schedule.sustainedMs, connectTimeoutMs,
  }, ctx.signal);
  result.echoesReceived += result.sustained.framesEchoed;
  result.identity = await identify(server.url, connectTimeoutMs, ctx.signal);
  result.server.rssAfterBytes = processRss(server.pid);
  const cpuAfter = processCpuTicks(server.pid);
  if (cpuBefore !== null && cpuAfter !== null) result.server.cpuSeconds = (cpuAfter - cpuBefore) / 100;
  const servedBy = result.identity.served_by;
  if (servedBy !== SERVED_BY[tier]) throw new Error(`the server that answered says it is "${String(servedBy)}", not ${SERVED_BY[tier]}`);
  const echoed = result.identity.echoed;
  if (typeof echoed !== 'number' || echoed < result.echoesReceived) {
    throw new Error(`the server echoed ${String(echoed)} messages but the driver received ${result.echoesReceived}: something else answered`);
  }
  return result;
}

const NO_SAMPLE = 'the phase produced no sample';

function tierMetricIds(tier: StreamingTier): string[] {
  return PER_TIER_FIGURE_NAMES.map((name) => tierMetricId(tier, name));
}

function putTier(sink: MetricSink, tier: StreamingTier, result: TierResult): void {
  sink.put(tierMetricId(tier, 'messages_per_second'), result.throughputSmall?.messagesPerSecond, NO_SAMPLE);
  sink.put(tierMetricId(tier, 'bytes_per_second'), result.throughputLarge?.bytesPerSecond, NO_SAMPLE);
  sink.put(tierMetricId(tier, 'p50_ms'), result.latency?.p50Ms, NO_SAMPLE);
  sink.put(tierMetricId(tier, 'p95_ms'), result.latency?.p95Ms, NO_SAMPLE);
  sink.put(tierMetricId(tier, 'p99_ms'), result.latency?.p99Ms, NO_SAMPLE);
  sink.put(tierMetricId(tier, 'bytes_per_connection'), result.idle?.bytesPerConnection, NO_SAMPLE);
  sink.put(tierMetricId(tier, 'sustained_bytes_per_second'), result.sustained?.achievedBytesPerSecond, NO_SAMPLE);
  sink.put(tierMetricId(tier, 'sustained_late_frames'), result.sustained?.lateFrames, NO_SAMPLE);
  sink.put(tierMetricId(tier, 'sustained_jitter_ms'), result.sustained?.jitterMs, NO_SAMPLE);
}

function allNull(reason: string, details: Record<string, unknown>): ProbeOutput {
  const sink = new MetricSink();
  sink.putAllNull(STREAMING_METRIC_IDS, reason);
  Object.assign(sink.details, details, { skipped: reason });
  return sink.output();
}

/** Marks tiers as not run, keeping the first reason each got. */
function leaveOut(skipped: Map<StreamingTier, string>, tiers: readonly StreamingTier[], reason: string): void {
  for (const tier of tiers) if (!skipped.has(tier)) skipped.set(tier, reason);
}

/** Which tiers can run here, with the interpreter and ASGI server they use; the others get their reason. */
export async function resolveTiers(ctx: ProbeContext, plan: LoadPlan, details: Record<string, unknown>): Promise<{
  skipped: Map<StreamingTier, string>; choice: PythonChoice | null; asgi: AsgiServer | null; redisUrl: string;
}> {
  const wanted = new Set<StreamingTier>(ctx.options.streamingTiers?.filter((t): t is StreamingTier => (STREAMING_TIERS as readonly string[]).includes(t)) ?? STREAMING_TIERS);
  const skipped = new Map<StreamingTier, string>();
  leaveOut(skipped, STREAMING_TIERS.filter((tier) => !wanted.has(tier)), 'not selected by --streaming-tiers');

  const givenRedis = ctx.options.redisUrl ?? null;
  const redis = redisForChannels(givenRedis ?? DEFAULT_REDIS_URL) ?? { url: DEFAULT_REDIS_URL, shown: DEFAULT_REDIS_URL };
  const redisUrl = redis.url;
  const needsPython = wanted.has('python') || wanted.has('channels') || wanted.has('channels_redis');
  let choice: PythonChoice | null = null;
  if (needsPython) {
    choice = await choosePython(ctx, wanted.has('channels_redis') ? redisUrl : null);
    details['python'] = {
      source: choice.source,
      interpreter: choice.python?.path ?? null,
      channelsInterpreter: choice.channelsPython?.path ?? null,
      inspected: choice.inspected.map((i) => ('error' in i ? i : { path: i.path, version: i.version, modules: i.modules })),
    };
    if (!choice.python) {
      leaveOut(skipped, ['python', 'channels', 'channels_redis'], choice.pythonReason);
    } else if (!choice.channelsPython) {
      leaveOut(skipped, ['channels', 'channels_redis'], choice.channelsReason);
    }
  }
  let asgi: AsgiServer | null = null;
  if (choice?.channelsPython && (!skipped.has('channels') || !skipped.has('channels_redis'))) {
    const picked = pickAsgiServer(ctx, choice.channelsPython);
    asgi = picked.server;
    details['asgiServer'] = { server: picked.server, why: picked.reason };
    if (!asgi) leaveOut(skipped, ['channels', 'channels_redis'], picked.reason);
  }
  if (plan.channelsRefused) leaveOut(skipped, ['channels', 'channels_redis'], plan.channelsRefused);
  if (!skipped.has('channels_redis') && choice?.channelsPython) {
    const py = choice.channelsPython;
    const answer = py.redis;
    details['redis'] = { url: redis.shown, given: givenRedis !== null, ...(answer ?? {}) };
    if (!py.modules['channels_redis']) leaveOut(skipped, ['channels_redis'], `channels_redis not importable by ${py.path}`);
    else if (!answer?.reachable) {
      leaveOut(skipped, ['channels_redis'], givenRedis
        ? `no Redis answering at ${redis.shown} (${answer?.error ?? 'not checked'})`
        : `no Redis answering at ${DEFAULT_REDIS_URL}; give one with --redis-url`);
    }
  }

  return { skipped, choice, asgi, redisUrl };
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
  async run(ctx): Promise<ProbeOutput> {
    const started = performance.now();
    const budgetMs = streamingProbe.budgetMs(ctx.options);
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
      tierDetails[tier] = await runTier(ctx, tier, { sink, results, remainingMs, tierMs: (durationS * 1000) / tiers.length, plan, schedule, choice, asgi, redisUrl, project });
    }
    sink.details['tiers'] = tierDetails;
    const echoed = [...results.values()].reduce((sum, r) => sum + r.echoesReceived, 0);
    sink.details['writeVolume'] = await writes.finish(echoed, 'messages');
    await putValidity(ctx, sink, before);
    putCrossTier(sink, results, tiers.length > 0 ? Math.round(plan.streamBitsPerSecond / 8) : null);
    return sink.output();
  },
};

/** The Channels project is written once, into one temp dir, the first time a Channels tier needs it. */
export function channelsProject(ctx: ProbeContext): () => string {
  let projectDir: string | null = null;
  return () => {
    if (projectDir === null) {
      projectDir = ctx.tempDir('streaming');
      writeChannelsProject(projectDir);
    }
    return projectDir;
  };
}

interface TierRun {
  sink: MetricSink;
  results: Map<StreamingTier, TierResult>;
  remainingMs: number;
  tierMs: number;
  plan: ReturnType<typeof planLoad>;
  schedule: ReturnType<typeof phaseSchedule>;
  choice: Parameters<typeof serverSpec>[1]['choice'];
  asgi: Parameters<typeof serverSpec>[1]['asgi'];
  redisUrl: Parameters<typeof serverSpec>[1]['redisUrl'];
  project: () => string;
}

/** Starts one tier's server, measures it and stops it; returns the tier's details. Never throws but on abort. */
async function runTier(ctx: ProbeContext, tier: StreamingTier, run: TierRun): Promise<Record<string, unknown>> {
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

/** Throttling, heat or other load during the run make every figure of it suspect. */
async function putValidity(ctx: ProbeContext, sink: MetricSink, before: Awaited<ReturnType<typeof snapshot>>): Promise<void> {
  const after = await snapshot(ctx);
  const cpus = numberMetric(ctx.results.get('cpu'), 'cpu.effective_cpus') ?? Math.max(1, osCpus().length);
  const validity = judgeValidity(before, after, cpus);
  sink.details['validity'] = {
    suspect: validity.suspect, reasons: validity.reasons, otherCpuLoad: validity.otherCpuLoad,
    before: { ...before, atMs: undefined }, after: { ...after, atMs: undefined },
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
  sink.put('streaming.bytes_per_connection', bpcSource ? sink.metrics[tierMetricId(bpcSource, 'bytes_per_connection')] : null, 'neither the channels nor the python tier was measured');
  if (bpcSource) sink.details['bytesPerConnectionFrom'] = bpcSource;
  const opened = [...results.values()].map((r) => r.idle?.opened ?? 0);
  sink.put('streaming.idle_connections', opened.length > 0 ? Math.max(...opened) : null, 'no tier was measured');
  sink.put('streaming.sustained_target_bytes_per_second', targetBytesPerSecond, 'no tier was measured');
  const redis = results.get('channels_redis');
  sink.put('streaming.redis_cpu_share', redis?.redisCpuShare, redis ? 'Redis did not answer INFO cpu' : 'the channels_redis tier was not measured');
}
