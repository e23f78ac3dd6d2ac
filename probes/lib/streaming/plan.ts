// What the streaming probe may do on this device: tiers, how much load for how long, and whether the
// result can be trusted. Pure functions over numbers, so the rules are tested without a device.

import { STREAMING_TIERS, type StreamingTier } from '../../../src/report/metrics/streaming.js';
import { describeRedisTarget, parseRedisTarget } from '../parsers/redis.js';

export { STREAMING_TIERS, type StreamingTier };

export const ASGI_SERVERS = ['daphne', 'uvicorn'] as const;
export type AsgiServer = (typeof ASGI_SERVERS)[number];

export const DEFAULT_DURATION_S = 20;
export const DEFAULT_STREAM_MBIT = 2;

const MiB = 1024 * 1024;
/** Below this much effective available memory the probe refuses to load the device at all. */
export const MEMORY_FLOOR_BYTES = 64 * MiB;
/** A Django + Channels + daphne process needs about 60-90 MiB on a 32-bit Pi; keep room for the rest. */
export const CHANNELS_MEMORY_BYTES = 192 * MiB;
/** Below this, payloads and client counts are cut down. */
export const LOW_MEMORY_BYTES = 128 * MiB;
/** Worst case seen per idle connection (daphne server side plus the agent's client). */
const CONNECTION_COST_BYTES = 160 * 1024;
const MAX_IDLE_CONNECTIONS = 256;
const MIN_IDLE_CONNECTIONS = 8;

export interface LoadPlan {
  /** Set when the probe must not run at all. */
  refuse: string | null;
  /** Set when the Django tiers must not run for lack of memory. */
  channelsRefused: string | null;
  latencyClients: number;
  throughputClients: number;
  smallPayloadBytes: number;
  largePayloadBytes: number;
  smallWindow: number;
  largeWindow: number;
  idleConnections: number;
  streamBitsPerSecond: number;
  streamFrameBytes: number;
  /** Why the load was scaled down, for the details. */
  scaledDown: string[];
}

/**
 * Sizes the load from effective available memory (null: unknown, planned as a 256 MiB device) and the
 * open-file limit (null: unknown). At most a tenth of the available memory goes to idle connections.
 */
export function planLoad(availableBytes: number | null, openFileLimit: number | null, streamMbit: number = DEFAULT_STREAM_MBIT): LoadPlan {
  const scaledDown: string[] = [];
  const available = availableBytes ?? 256 * MiB;
  if (availableBytes === null) scaledDown.push('effective available memory unknown: planned for 256 MiB');
  const mib = (bytes: number): string => `${Math.round(bytes / MiB)} MiB`;
  const plan: LoadPlan = {
    refuse: null,
    channelsRefused: null,
    latencyClients: 4,
    throughputClients: 4,
    smallPayloadBytes: 64,
    largePayloadBytes: 16 * 1024,
    smallWindow: 32,
    largeWindow: 8,
    idleConnections: MAX_IDLE_CONNECTIONS,
    streamBitsPerSecond: Math.round(streamMbit * 1_000_000),
    streamFrameBytes: 16 * 1024,
    scaledDown,
  };
  if (available < MEMORY_FLOOR_BYTES) {
    plan.refuse = `only ${mib(available)} of memory available; the streaming load test needs at least ${mib(MEMORY_FLOOR_BYTES)}`;
    return plan;
  }
  if (available < CHANNELS_MEMORY_BYTES) {
    plan.channelsRefused = `only ${mib(available)} of memory available; a Django Channels server needs at least ${mib(CHANNELS_MEMORY_BYTES)} to be measured safely`;
  }
  if (available < LOW_MEMORY_BYTES) {
    plan.throughputClients = 2;
    plan.latencyClients = 2;
    plan.largePayloadBytes = 4 * 1024;
    plan.streamFrameBytes = 4 * 1024;
    plan.largeWindow = 4;
    plan.smallWindow = 16;
    scaledDown.push(`${mib(available)} available (< ${mib(LOW_MEMORY_BYTES)}): 2 clients, 4 KiB large payloads and stream frames`);
  }
  const byMemory = Math.floor((available * 0.1) / CONNECTION_COST_BYTES);
  let connections = Math.max(MIN_IDLE_CONNECTIONS, Math.min(MAX_IDLE_CONNECTIONS, byMemory));
  if (connections < MAX_IDLE_CONNECTIONS)
    scaledDown.push(`${connections} idle connections (a tenth of ${mib(available)} at ${CONNECTION_COST_BYTES / 1024} KiB each)`);
  if (openFileLimit !== null && connections > openFileLimit - 64) {
    connections = Math.max(MIN_IDLE_CONNECTIONS, openFileLimit - 64);
    scaledDown.push(`${connections} idle connections (open-file limit ${openFileLimit})`);
  }
  plan.idleConnections = connections;
  return plan;
}

export interface PhaseSchedule {
  latencyMs: number;
  idleMs: number;
  throughputSmallMs: number;
  throughputLargeMs: number;
  sustainedMs: number;
}

/** Shares of one tier's time: the sustained stream gets the most, so that it lasts a few seconds. */
const SHARES: PhaseSchedule = { latencyMs: 0.15, idleMs: 0.15, throughputSmallMs: 0.15, throughputLargeMs: 0.15, sustainedMs: 0.4 };

/** Splits the phases' total time evenly over the tiers, then over the phases of each tier. */
export function phaseSchedule(totalMs: number, tiers: number): PhaseSchedule {
  const perTier = totalMs / Math.max(1, tiers);
  return {
    latencyMs: Math.round(perTier * SHARES.latencyMs),
    idleMs: Math.round(perTier * SHARES.idleMs),
    throughputSmallMs: Math.round(perTier * SHARES.throughputSmallMs),
    throughputLargeMs: Math.round(perTier * SHARES.throughputLargeMs),
    sustainedMs: Math.round(perTier * SHARES.sustainedMs),
  };
}

export interface ValiditySnapshot {
  /** Raspberry Pi get_throttled value; null on other boards. */
  throttled: number | null;
  temperatureCelsius: number | null;
  loadAverage1m: number | null;
  /** /proc/stat: jiffies spent busy and in total, over all CPUs. */
  cpuBusyTicks: number | null;
  cpuTotalTicks: number | null;
  /** CPU ticks of the agent and its reaped children (the servers). */
  ownTicks: number | null;
  atMs: number;
}

export interface Validity {
  suspect: boolean;
  reasons: string[];
  /** CPUs' worth of work other processes did while the probe ran. */
  otherCpuLoad: number | null;
}

/** Temperatures at which boards throttle or are about to: the Raspberry Pi soft limit starts at 80 °C. */
export const HOT_CELSIUS = 80;

/**
 * Judges whether the measurements can be trusted: the board throttled (any get_throttled bit set now, or a
 * "since boot" bit that appeared during the run), ran hot, was already loaded, or other processes used the
 * CPU while the probe ran.
 */
export function judgeValidity(before: ValiditySnapshot, after: ValiditySnapshot, cpus: number): Validity {
  const reasons: string[] = [];
  if (before.throttled !== null && after.throttled !== null) {
    if ((after.throttled & 0xf) !== 0 || (before.throttled & 0xf) !== 0)
      reasons.push(
        `the board was throttled or under-volted during the run (get_throttled 0x${before.throttled.toString(16)} -> 0x${after.throttled.toString(16)})`,
      );
    else if ((after.throttled & ~before.throttled & 0xf0000) !== 0)
      reasons.push(`the board throttled during the run (get_throttled 0x${before.throttled.toString(16)} -> 0x${after.throttled.toString(16)})`);
  }
  const hottest = Math.max(before.temperatureCelsius ?? -Infinity, after.temperatureCelsius ?? -Infinity);
  if (hottest >= HOT_CELSIUS) reasons.push(`the CPU reached ${hottest.toFixed(1)} °C (throttling starts around ${HOT_CELSIUS} °C)`);
  if (before.loadAverage1m !== null && before.loadAverage1m > Math.max(1, cpus * 0.75)) {
    reasons.push(`the device was busy before the run (load average ${before.loadAverage1m.toFixed(2)} on ${cpus} CPU${cpus === 1 ? '' : 's'})`);
  }
  let otherCpuLoad: number | null = null;
  const elapsedS = (after.atMs - before.atMs) / 1000;
  if (
    before.cpuBusyTicks !== null &&
    after.cpuBusyTicks !== null &&
    before.cpuTotalTicks !== null &&
    after.cpuTotalTicks !== null &&
    before.ownTicks !== null &&
    after.ownTicks !== null &&
    elapsedS > 0
  ) {
    const totalTicks = after.cpuTotalTicks - before.cpuTotalTicks;
    const busyTicks = after.cpuBusyTicks - before.cpuBusyTicks;
    const ownTicks = after.ownTicks - before.ownTicks;
    const hostCpus = totalTicks > 0 ? totalTicks / (elapsedS * 100) : cpus;
    // /proc/stat counts USER_HZ (100 per second per CPU on Linux).
    otherCpuLoad = Math.max(0, (busyTicks - ownTicks) / (elapsedS * 100));
    otherCpuLoad = Math.round(otherCpuLoad * 100) / 100;
    if (otherCpuLoad > Math.max(0.25, 0.2 * Math.min(cpus, hostCpus))) {
      reasons.push(`other processes used ${otherCpuLoad.toFixed(2)} CPUs while the probe ran`);
    }
  }
  return { suspect: reasons.length > 0, reasons, otherCpuLoad };
}

/** Parses the first line of /proc/stat into busy and total jiffies (iowait counts as idle). */
export function parseProcStatCpu(text: string): { busy: number; total: number } | null {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return null;
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  if (values.length < 4 || !values.every(Number.isFinite)) return null;
  // user nice system idle iowait irq softirq steal guest guest_nice; guest time is already in user.
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = values;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

/**
 * The Redis of --redis-url (as probes/lib/parsers/redis.ts accepts it: redis://... or a unix socket path) as
 * channels_redis wants it, a URL redis-py understands, and as reports may show it, without its password.
 */
export function redisForChannels(text: string): { url: string; shown: string } | null {
  const target = parseRedisTarget(text);
  if (!target) return null;
  const shown = describeRedisTarget(target);
  if (target.kind === 'tcp') return { url: text.trim(), shown };
  const query = new URLSearchParams();
  if (target.username) query.set('username', target.username);
  if (target.password) query.set('password', target.password);
  const suffix = query.toString() ? `?${query.toString()}` : '';
  return { url: `unix://${target.path}${suffix}`, shown };
}
