// streaming: WebSocket echo on loopback, one row per tier and figure, generated from the two lists below.
import { defineMetrics, type MetricEntry } from './define.js';

/** The servers the streaming probe measures, cheapest first. */
export const STREAMING_TIERS = ['node', 'python', 'channels', 'channels_redis'] as const;
export type StreamingTier = (typeof STREAMING_TIERS)[number];

const SERVED_AS: Record<StreamingTier, string> = {
  node: 'Node `ws` server',
  python: 'stdlib-asyncio Python server',
  channels: 'Django Channels consumer, InMemoryChannelLayer',
  channels_redis: 'Django Channels consumer, RedisChannelLayer',
};

/** Each figure every tier reports; `judgedFor` lists the tiers whose figure a profile may judge. */
export const PER_TIER_FIGURES = {
  messages_per_second: { type: 'number', unit: 'per_second', judgedFor: STREAMING_TIERS, description: 'Pipelined 64 B echoes per second' },
  messages_per_cpu_second: {
    type: 'number',
    unit: 'per_second',
    judgedFor: [],
    description:
      "Pipelined 64 B echoes per second of the server process's own CPU time (/proc/<pid>/task/*/schedstat, else /proc/<pid>/stat) over the same window: what the server carries with a core of its own, whatever else ran",
  },
  bytes_per_second: { type: 'number', unit: 'bytes_per_second', judgedFor: [], description: 'Pipelined 16 KiB echoes, payload bytes per second' },
  p50_ms: { type: 'number', unit: 'ms', judgedFor: [], description: 'Echo latency p50, one message in flight per client' },
  p95_ms: { type: 'number', unit: 'ms', judgedFor: [], description: 'Echo latency p95, one message in flight per client' },
  p99_ms: { type: 'number', unit: 'ms', judgedFor: STREAMING_TIERS, description: 'Echo latency p99, one message in flight per client' },
  bytes_per_connection: { type: 'number', unit: 'bytes', judgedFor: [], description: 'Server RSS growth per idle WebSocket connection' },
  sustained_bytes_per_second: {
    type: 'number',
    unit: 'bytes_per_second',
    judgedFor: [],
    description: 'Fixed-bitrate stream: payload bytes per second achieved',
  },
  sustained_late_frames: {
    type: 'number',
    judgedFor: ['channels_redis'],
    description: 'Fixed-bitrate stream: frames echoed more than one frame interval late, or lost',
  },
  sustained_jitter_ms: { type: 'number', unit: 'ms', judgedFor: ['channels_redis'], description: 'Fixed-bitrate stream: RFC 3550 interarrival jitter' },
} as const satisfies Record<string, Omit<MetricEntry, 'name' | 'judged'> & { judgedFor: readonly StreamingTier[] }>;
export type PerTierFigure = keyof typeof PER_TIER_FIGURES;

export function tierMetricId(tier: StreamingTier, figure: PerTierFigure): string {
  return `streaming.${tier}_${figure}`;
}

const tierRows: MetricEntry[] = STREAMING_TIERS.flatMap((tier) =>
  Object.entries(PER_TIER_FIGURES).map(([figure, row]) => {
    const entry: MetricEntry = {
      name: `${tier}_${figure}`,
      type: row.type,
      description: `${row.description}, ${SERVED_AS[tier]}`,
      judged: (row.judgedFor as readonly StreamingTier[]).includes(tier),
      load: true,
    };
    if ('unit' in row) entry.unit = row.unit;
    return entry;
  }),
);

export const STREAMING_METRICS = defineMetrics('streaming', [
  ...tierRows,
  {
    name: 'bytes_per_connection',
    type: 'number',
    unit: 'bytes',
    judged: true,
    load: true,
    description: "Memory cost of one idle WebSocket connection on the Python side: the channels tier's, else the python tier's",
  },
  { name: 'idle_connections', type: 'number', description: 'Idle connections opened per tier for the bytes_per_connection figures (scaled to memory)' },
  {
    name: 'sustained_target_bytes_per_second',
    type: 'number',
    unit: 'bytes_per_second',
    description: 'Payload rate the fixed-bitrate stream asked for (--stream-bitrate, default 2 Mbit/s)',
  },
  {
    name: 'redis_cpu_share',
    type: 'number',
    load: true,
    description:
      "Share of one core Redis used while the channels_redis tier ran its 64 B throughput phase (INFO cpu before and after): with the tier's rate it gives the rate at which Redis saturates",
  },
  {
    name: 'suspect',
    type: 'boolean',
    judged: true,
    description: 'The device throttled, ran hot or was busy during the streaming probe (or throttled during any load of the run): figures may be low',
  },
]);
