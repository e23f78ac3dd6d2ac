// The WebSocket side of the capacity estimate (src/judge/capacity.ts): messages per second one ASGI worker
// carries, how many run in parallel on the channel layer, the Redis ceiling, and the clients that follow.
import { formatMetric } from '../report/display.js';
import type { Metrics } from '../report/types.js';
import type { CapacityEstimate, WorkerCount } from './capacity.js';
import { multiplier, num, plural, type Working } from './capacity-working.js';
import type { CapacityParams } from './profiles.js';

/** Messages per second one ASGI worker carries, measured where the streaming probe ran. */
function messagesPerWorker(m: Metrics, params: CapacityParams, w: Working): number | null {
  const redisLayer = params.channelLayer === 'redis' ? num(m, 'streaming.channels_redis_messages_per_second') : null;
  const channels = num(m, 'streaming.channels_messages_per_second');
  const python = num(m, 'streaming.python_messages_per_second');
  if (redisLayer !== null) {
    w.add(
      'measured',
      `messages: ${formatMetric('streaming.channels_redis_messages_per_second', redisLayer)} per worker, a Django Channels consumer on the Redis channel layer (streaming.channels_redis_messages_per_second)`,
    );
    return redisLayer;
  }
  if (channels !== null) return channelsPerWorker(m, channels, params, w);
  if (python !== null) {
    w.add(
      'measured',
      `messages: the plain asyncio server echoed ${formatMetric('streaming.python_messages_per_second', python)} (streaming.python_messages_per_second)`,
    );
    w.add(
      'assumed',
      `messages: a Channels consumer carries ${Math.round(params.channelsToPythonRatio * 100)} % of that (${params.channelsToPythonRatioSource})`,
    );
    return python * params.channelsToPythonRatio;
  }
  w.add('not estimated', 'messages: not measured (no streaming figures), so no CPU bound on clients: run `edgeprobe run` without --quick on the device');
  return null;
}

/**
 * One worker with a core of its own: the Channels consumer's echoes per second of its own CPU time where measured
 * (other load on the device takes the core away, not the CPU time per message), else per second of wall time. The
 * Redis tier keeps its wall rate: its server also waits on Redis, which its CPU time does not show.
 */
function channelsPerWorker(m: Metrics, wall: number, params: CapacityParams, w: Working): number {
  const perCpu = num(m, 'streaming.channels_messages_per_cpu_second');
  const optimistic = params.channelLayer === 'redis' ? ' on the in-memory layer: the Redis tier was not measured, so this is optimistic' : '';
  if (perCpu === null) {
    w.add(
      'measured',
      `messages: ${formatMetric('streaming.channels_messages_per_second', wall)} per worker, a Django Channels consumer (streaming.channels_messages_per_second)${optimistic}`,
    );
    return wall;
  }
  // Derived, not measured: the per-CPU cost is measured, the whole core the worker gets for it is assumed.
  w.add(
    'derived',
    `messages: ${formatMetric('streaming.channels_messages_per_cpu_second', perCpu)} per second of the server's CPU time, a Django Channels consumer (streaming.channels_messages_per_cpu_second, measured; ${formatMetric('streaming.channels_messages_per_second', wall)} of wall time, streaming.channels_messages_per_second): assumes one worker with a core of its own${optimistic}`,
  );
  return perCpu;
}

/** Workers that run in parallel: with Redis, one core stays Redis's, as it was while the Redis tier was measured. */
function parallelWorkers(m: Metrics, params: CapacityParams, workers: number, w: Working): number {
  const cpus = num(m, 'cpu.effective_cpus') ?? num(m, 'cpu.cores');
  if (params.channelLayer !== 'redis' || cpus === null) return Math.min(workers, Math.max(1, Math.floor(cpus ?? 1)));
  const cores = Math.max(1, Math.floor(cpus) - 1);
  w.add(
    'derived',
    cpus >= 2
      ? `Redis: one single-threaded server for every worker, and it had a core of its own while the Redis tier was measured: the workers get ${plural(cores, 'core')} of ${cpus}`
      : 'Redis: it shares the one CPU with the workers, but had a core of its own while the Redis tier was measured: the figure is optimistic',
  );
  return Math.min(workers, cores);
}

/** Redis saturates at the rate measured over the share of a core it used for it. */
function redisCeiling(m: Metrics, params: CapacityParams, w: Working): number | null {
  if (params.channelLayer !== 'redis') return null;
  const rate = num(m, 'streaming.channels_redis_messages_per_second');
  const share = num(m, 'streaming.redis_cpu_share');
  if (rate === null || share === null || share <= 0) {
    w.add('not estimated', "Redis ceiling: Redis's own CPU share was not measured (streaming.redis_cpu_share), so only the core it needs bounds the estimate");
    return null;
  }
  const ceiling = Math.round((rate / Math.min(1, share)) * params.cpuUtilisationTarget);
  w.add(
    'measured',
    `Redis ceiling: Redis used ${(share * 100).toFixed(0)} % of a core to carry ${formatMetric('streaming.channels_redis_messages_per_second', rate)} (streaming.redis_cpu_share)`,
  );
  w.add(
    'derived',
    `Redis ceiling: it saturates near ${formatMetric('streaming.channels_redis_messages_per_second', Math.round(rate / Math.min(1, share)))}; at ${Math.round(params.cpuUtilisationTarget * 100)} % that bounds every worker together to ${ceiling} msg/s`,
  );
  return ceiling;
}

export function webSocketClients(m: Metrics, params: CapacityParams, count: WorkerCount, budget: number | null, estimate: CapacityEstimate, w: Working): void {
  const measuredConnection = num(m, 'streaming.bytes_per_connection');
  const connectionBytes = measuredConnection ?? params.connectionBytes;
  w.add(
    measuredConnection !== null ? 'measured' : 'assumed',
    `connection: ${formatMetric('streaming.bytes_per_connection', connectionBytes)} each (${measuredConnection !== null ? 'streaming.bytes_per_connection' : params.connectionMemorySource})`,
  );
  const workers = count.workers;
  const master = num(m, 'django.asgi_master_pss_bytes') ?? 0;
  if (budget !== null && workers !== null) {
    estimate.clientsByMemory = workers === 0 ? 0 : Math.max(0, Math.floor((budget - master - workers * count.workerBytes) / connectionBytes));
  }
  const perWorker = messagesPerWorker(m, params, w);
  if (perWorker !== null && workers !== null && workers > 0) {
    const parallel = parallelWorkers(m, params, workers, w);
    const { factor, scaling } = multiplier(m, 'asgi', parallel, w);
    estimate.scaling = scaling;
    let throughput = Math.round(perWorker * factor * params.cpuUtilisationTarget);
    w.add(
      'derived',
      `messages: ${Math.round(perWorker)} × ${factor.toFixed(2)} (${plural(parallel, 'worker')}) at ${Math.round(params.cpuUtilisationTarget * 100)} % utilisation = ${throughput} msg/s`,
    );
    const ceiling = redisCeiling(m, params, w);
    if (ceiling !== null && ceiling < throughput) {
      throughput = ceiling;
      w.add('derived', `messages: bounded by Redis to ${throughput} msg/s`);
    }
    estimate.throughputMessagesPerSecond = throughput;
    estimate.clientsByCpu = Math.floor(throughput / params.messagesPerClientPerSecond);
  }
  const { clientsByMemory, clientsByCpu } = estimate;
  if (clientsByMemory !== null && clientsByCpu !== null) {
    estimate.websocketClients = Math.min(clientsByMemory, clientsByCpu);
    estimate.clientsBinding = clientsByMemory < clientsByCpu ? 'memory' : 'cpu';
  } else if (clientsByMemory !== null) {
    estimate.clientsMemoryBoundOnly = workers !== 0;
    if (workers === 0) estimate.websocketClients = 0;
    else
      w.add(
        'not estimated',
        `clients: memory alone would hold at most ${clientsByMemory}; with no throughput measured that is only an upper bound, not an answer`,
      );
  }
}
