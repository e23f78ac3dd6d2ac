// The capacity estimate: how many workers a device carries and what they serve, from the figures a report
// measured where it has them and from the profile's stated assumptions where it does not. Every line of its
// working says which it is: measured (a metric, named), assumed (a profile figure and its source), derived
// (arithmetic over the two) or not estimated (and why). docs/architecture.md, "The capacity model".
import { formatMetric } from '../report/display.js';
import type { Metrics } from '../report/types.js';
import type { CapacityParams } from './profiles.js';

export type CapacityBasis = 'measured' | 'assumed' | 'derived' | 'not estimated';

export interface CapacityLine {
  basis: CapacityBasis;
  text: string;
}

export interface CapacityEstimate {
  server: 'asgi' | 'wsgi';
  /** Recommended worker processes; 0 when not even one fits. Null when not estimable. */
  workers: number | null;
  workersByMemory: number | null;
  workersByCpu: number | null;
  /** ASGI on the in-memory channel layer: groups live inside one process, so one worker. */
  workersByChannelLayer: number | null;
  /** What limits the number of workers. */
  binding: 'memory' | 'cpu' | 'channel-layer' | 'unknown';
  /** How more than one worker's throughput was obtained. */
  scaling: 'measured-workers' | 'cpu-score-ratio' | 'one-worker' | 'none';
  /** HTTP requests per second the workers serve with p95 within the latency target (WSGI). */
  requestsPerSecond: number | null;
  latencyTargetMs: number;
  /** Concurrent WebSocket clients at messagesPerClientPerSecond each (ASGI only); null next to a not-viable verdict. */
  websocketClients: number | null;
  clientsByMemory: number | null;
  clientsByCpu: number | null;
  clientsBinding: 'memory' | 'cpu' | 'unknown';
  /** Only the memory bound is known (a spec sheet, a --quick run): an upper limit, not an answer. */
  clientsMemoryBoundOnly: boolean;
  messagesPerClientPerSecond: number;
  /** Memory left for workers and connections after the OS, the services and the headroom. */
  memoryBudgetBytes: number | null;
  /** Messages per second the workers together may carry at the target CPU utilisation. */
  throughputMessagesPerSecond: number | null;
  workerBytes: number;
  /** The working, line by line. */
  working: CapacityLine[];
  /** The same lines as text ("measured: ..."), for renderers that print a list. */
  assumptions: string[];
}

export interface CapacityContext {
  /** No client count is given next to a not-viable verdict. */
  notViable?: boolean;
}

function num(metrics: Metrics, id: string): number | null {
  const value = metrics[id];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function present(metrics: Metrics, id: string): boolean {
  const value = metrics[id];
  return value === true || (typeof value === 'string' && value !== '');
}

const mib = (bytes: number): string => formatMetric('memory.total_bytes', bytes);
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

class Working {
  readonly lines: CapacityLine[] = [];
  add(basis: CapacityBasis, text: string): void {
    // The HTTP and the WebSocket estimates may both explain the same scaling: say it once.
    if (!this.lines.some((line) => line.basis === basis && line.text === text)) this.lines.push({ basis, text });
  }
}

/** What is free now (or total less an idle OS), less the services still to start and a headroom. */
function memoryBudget(m: Metrics, params: CapacityParams, w: Working): { budget: number | null; total: number | null } {
  const total = num(m, 'memory.effective_total_bytes') ?? num(m, 'memory.total_bytes');
  const available = num(m, 'memory.effective_available_bytes');
  if (available === null && total === null) {
    w.add('not estimated', 'memory: no memory figure, so no memory bound');
    return { budget: null, total };
  }
  let base: number;
  if (available !== null) {
    base = available;
    w.add('measured', `memory: ${mib(available)} available (memory.effective_available_bytes)`);
  } else {
    base = (total as number) - params.osBaselineBytes;
    w.add('measured', `memory: ${mib(total as number)} in all (memory.effective_total_bytes or the spec sheet)`);
    w.add('assumed', `idle OS: ${mib(params.osBaselineBytes)} (${params.osBaselineSource})`);
  }
  for (const service of params.services) {
    // Merely installed does not count: only a running service is already outside the available memory.
    if (available !== null && service.presentWhen !== undefined && present(m, service.presentWhen)) {
      w.add('measured', `${service.name}: running (${service.presentWhen}), so already outside the available memory`);
      continue;
    }
    base -= service.bytes;
    w.add('assumed', `${service.name}: ${mib(service.bytes)} set aside${service.presentWhen !== undefined && available !== null ? ` (not running: ${service.presentWhen} is not true)` : ''} (${service.source})`);
  }
  const headroom = Math.round((total ?? available ?? 0) * params.headroomFraction);
  w.add('assumed', `headroom: ${Math.round(params.headroomFraction * 100)} % of memory (${mib(headroom)}) stays free for page cache and peaks`);
  return { budget: Math.max(0, base - headroom), total };
}

interface WorkerCount {
  workers: number | null;
  byMemory: number | null;
  byCpu: number | null;
  byLayer: number | null;
  binding: CapacityEstimate['binding'];
  workerBytes: number;
}

function workerCount(m: Metrics, params: CapacityParams, budget: number | null, w: Working): WorkerCount {
  const kind = params.server;
  const measuredWorker = num(m, `django.${kind}_worker_pss_bytes`);
  const workerBytes = measuredWorker ?? params.workerBytes;
  if (measuredWorker !== null) w.add('measured', `${kind.toUpperCase()} worker: ${mib(measuredWorker)} proportional set after warm-up (django.${kind}_worker_pss_bytes, ${String(m[`django.${kind}_server`] ?? 'server')} with the probe's project)`);
  else w.add('assumed', `${kind.toUpperCase()} worker: ${mib(params.workerBytes)} (${params.workerMemorySource})`);
  const master = num(m, `django.${kind}_master_pss_bytes`) ?? 0;
  if (master > 0) w.add('measured', `supervising process: ${mib(master)} (django.${kind}_master_pss_bytes), set aside once`);
  const clientReserve = kind === 'asgi' ? params.minClients * (num(m, 'streaming.bytes_per_connection') ?? params.connectionBytes) : 0;
  if (clientReserve > 0) w.add('assumed', `clients: memory for at least ${params.minClients} connections is set aside before counting workers (this profile's minClients)`);
  const byMemory = budget === null ? null : Math.max(0, Math.floor((budget - clientReserve - master) / workerBytes));
  const cpus = num(m, 'cpu.effective_cpus') ?? num(m, 'cpu.cores');
  const byCpu = cpus === null ? null : Math.max(1, Math.floor(cpus * params.workersPerCpu) + params.extraWorkers);
  if (cpus !== null) w.add('assumed', `workers by CPU: ${params.workersPerCpu} per CPU${params.extraWorkers ? ` + ${params.extraWorkers}` : ''} over ${plural(cpus, 'CPU')} (${params.workersSource})`);
  let byLayer: number | null = null;
  if (kind === 'asgi' && params.channelLayer === 'memory') {
    byLayer = 1;
    w.add('derived', 'channel layer: in-memory, so one worker: its groups live inside one process and do not reach across workers (N workers need channels_redis: profile django-channels-redis)');
  } else if (kind === 'asgi') {
    w.add('derived', 'channel layer: channels_redis, so N workers share their groups through Redis');
  }
  const bounds: Array<[number | null, CapacityEstimate['binding']]> = [[byMemory, 'memory'], [byCpu, 'cpu'], [byLayer, 'channel-layer']];
  let workers: number | null = null;
  let binding: CapacityEstimate['binding'] = 'unknown';
  for (const [value, name] of bounds) {
    if (value !== null && (workers === null || value < workers)) {
      workers = value;
      binding = name;
    }
  }
  return { workers, byMemory, byCpu, byLayer, binding, workerBytes };
}

/** The measured ratio of the all-CPU to the one-thread score, per CPU: 1.0 is perfect scaling. */
function cpuScalingPerCpu(m: Metrics, cpus: number): number | null {
  const single = num(m, 'cpu.single_thread_score');
  const multi = num(m, 'cpu.multi_thread_score');
  return single !== null && multi !== null && single > 0 && cpus > 0 ? multi / single / cpus : null;
}

/**
 * How much `parallel` workers carry compared with one: interpolated between the measured one-worker and
 * n-worker runs when the django probe ran them, else scaled by the measured CPU-score ratio, else one
 * worker's figure only. Never the number of cores on its own.
 */
function multiplier(m: Metrics, kind: 'wsgi' | 'asgi', parallel: number, w: Working): { factor: number; scaling: CapacityEstimate['scaling'] } {
  if (parallel <= 1) return { factor: 1, scaling: 'one-worker' };
  const n = num(m, `django.${kind}_workers`);
  const ratio = num(m, `django.${kind}_scaling_ratio`);
  if (n !== null && ratio !== null && n > 1) {
    const factor = Math.max(1, 1 + ((ratio - 1) * (parallel - 1)) / (n - 1));
    w.add('measured', `scaling: ${n} ${kind.toUpperCase()} workers served ${ratio.toFixed(2)}× one worker's peak (django.${kind}_scaling_ratio, measured side by side)`);
    if (parallel !== n) w.add('derived', `scaling: ${parallel} workers ${parallel < n ? 'interpolated' : 'extrapolated'} from the 1- and ${n}-worker runs: ${factor.toFixed(2)}×`);
    return { factor, scaling: 'measured-workers' };
  }
  const cpus = num(m, 'cpu.effective_cpus') ?? num(m, 'cpu.cores');
  const perCpu = cpus === null ? null : cpuScalingPerCpu(m, cpus);
  if (perCpu !== null) {
    const factor = Math.max(1, parallel * Math.min(1, perCpu));
    w.add('measured', `scaling: the all-CPU benchmark scored ${(perCpu * 100).toFixed(0)} % per CPU of the one-thread score (cpu.multi_thread_score / cpu.single_thread_score), no multi-worker run`);
    w.add('derived', `scaling: ${parallel} workers × ${Math.min(1, perCpu).toFixed(2)} = ${factor.toFixed(2)}× one worker`);
    return { factor, scaling: 'cpu-score-ratio' };
  }
  w.add('not estimated', `scaling: no multi-worker run and no CPU scores: one worker's figure only, not ${parallel} workers'`);
  return { factor: 1, scaling: 'one-worker' };
}

/** HTTP requests per second the workers serve with p95 within the latency target. */
function requestsAtTarget(m: Metrics, params: CapacityParams, workers: number | null, w: Working): { rps: number | null; scaling: CapacityEstimate['scaling'] } {
  const kind = params.server;
  const one = num(m, `django.${kind}_requests_per_second`);
  const n = num(m, `django.${kind}_workers`);
  const many = num(m, `django.${kind}_workers_requests_per_second`);
  const measuredTarget = num(m, 'django.latency_target_ms') ?? params.latencyTargetMs;
  if (one === null && many === null) {
    w.add('not estimated', `requests per second: not measured (the django probe ran no ${kind.toUpperCase()} server: a spec sheet, --quick, or no Django); run \`edgeprobe run\` without --quick on the device`);
    return { rps: null, scaling: 'none' };
  }
  if (measuredTarget !== params.latencyTargetMs) w.add('derived', `latency target: the ladders held p95 within ${measuredTarget} ms, this profile asks for ${params.latencyTargetMs} ms (${params.latencyTargetSource})`);
  if (workers === null || workers === 0) return { rps: workers === 0 ? 0 : null, scaling: 'none' };
  if (many !== null && n !== null && workers >= n) {
    w.add('measured', `requests: ${many} req/s from ${plural(n, 'worker')} with p95 within ${measuredTarget} ms (django.${kind}_workers_requests_per_second)`);
    if (workers > n) w.add('derived', `requests: ${workers} workers on ${plural(n, 'CPU')}: the workers beyond one per CPU wait on I/O, they add no CPU throughput`);
    return { rps: many, scaling: n > 1 ? 'measured-workers' : 'one-worker' };
  }
  if (one === null) {
    w.add('not estimated', `requests: the one-worker run met no latency target, so ${workers} workers cannot be scaled from it`);
    return { rps: null, scaling: 'none' };
  }
  w.add('measured', `requests: ${one} req/s from one worker with p95 within ${measuredTarget} ms (django.${kind}_requests_per_second)`);
  const { factor, scaling } = multiplier(m, kind, workers, w);
  const rps = Math.round(one * factor * 10) / 10;
  if (factor !== 1) w.add('derived', `requests: ${one} × ${factor.toFixed(2)} = ${rps} req/s for ${workers} workers`);
  return { rps, scaling };
}

/** Messages per second one ASGI worker carries, measured where the streaming probe ran. */
function messagesPerWorker(m: Metrics, params: CapacityParams, w: Working): number | null {
  const redisLayer = params.channelLayer === 'redis' ? num(m, 'streaming.channels_redis_messages_per_second') : null;
  const channels = num(m, 'streaming.channels_messages_per_second');
  const python = num(m, 'streaming.python_messages_per_second');
  if (redisLayer !== null) {
    w.add('measured', `messages: ${formatMetric('streaming.channels_redis_messages_per_second', redisLayer)} per worker, a Django Channels consumer on the Redis channel layer (streaming.channels_redis_messages_per_second)`);
    return redisLayer;
  }
  if (channels !== null) {
    w.add('measured', `messages: ${formatMetric('streaming.channels_messages_per_second', channels)} per worker, a Django Channels consumer (streaming.channels_messages_per_second)${params.channelLayer === 'redis' ? ' on the in-memory layer: the Redis tier was not measured, so this is optimistic' : ''}`);
    return channels;
  }
  if (python !== null) {
    w.add('measured', `messages: the plain asyncio server echoed ${formatMetric('streaming.python_messages_per_second', python)} (streaming.python_messages_per_second)`);
    w.add('assumed', `messages: a Channels consumer carries ${Math.round(params.channelsToPythonRatio * 100)} % of that (${params.channelsToPythonRatioSource})`);
    return python * params.channelsToPythonRatio;
  }
  w.add('not estimated', 'messages: not measured (no streaming figures), so no CPU bound on clients: run `edgeprobe run` without --quick on the device');
  return null;
}

/** Workers that run in parallel: with Redis, one core stays Redis's, as it was while the Redis tier was measured. */
function parallelWorkers(m: Metrics, params: CapacityParams, workers: number, w: Working): number {
  const cpus = num(m, 'cpu.effective_cpus') ?? num(m, 'cpu.cores');
  if (params.channelLayer !== 'redis' || cpus === null) return Math.min(workers, Math.max(1, Math.floor(cpus ?? 1)));
  const cores = Math.max(1, Math.floor(cpus) - 1);
  w.add('derived', cpus >= 2
    ? `Redis: one single-threaded server for every worker, and it had a core of its own while the Redis tier was measured: the workers get ${plural(cores, 'core')} of ${cpus}`
    : 'Redis: it shares the one CPU with the workers, but had a core of its own while the Redis tier was measured: the figure is optimistic');
  return Math.min(workers, cores);
}

/** Redis saturates at the rate measured over the share of a core it used for it. */
function redisCeiling(m: Metrics, params: CapacityParams, w: Working): number | null {
  if (params.channelLayer !== 'redis') return null;
  const rate = num(m, 'streaming.channels_redis_messages_per_second');
  const share = num(m, 'streaming.redis_cpu_share');
  if (rate === null || share === null || share <= 0) {
    w.add('not estimated', 'Redis ceiling: Redis\'s own CPU share was not measured (streaming.redis_cpu_share), so only the core it needs bounds the estimate');
    return null;
  }
  const ceiling = Math.round((rate / Math.min(1, share)) * params.cpuUtilisationTarget);
  w.add('measured', `Redis ceiling: Redis used ${(share * 100).toFixed(0)} % of a core to carry ${formatMetric('streaming.channels_redis_messages_per_second', rate)} (streaming.redis_cpu_share)`);
  w.add('derived', `Redis ceiling: it saturates near ${formatMetric('streaming.channels_redis_messages_per_second', Math.round(rate / Math.min(1, share)))}; at ${Math.round(params.cpuUtilisationTarget * 100)} % that bounds every worker together to ${ceiling} msg/s`);
  return ceiling;
}

function webSocketClients(m: Metrics, params: CapacityParams, count: WorkerCount, budget: number | null, estimate: CapacityEstimate, w: Working): void {
  const measuredConnection = num(m, 'streaming.bytes_per_connection');
  const connectionBytes = measuredConnection ?? params.connectionBytes;
  w.add(measuredConnection !== null ? 'measured' : 'assumed', `connection: ${formatMetric('streaming.bytes_per_connection', connectionBytes)} each (${measuredConnection !== null ? 'streaming.bytes_per_connection' : params.connectionMemorySource})`);
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
    w.add('derived', `messages: ${Math.round(perWorker)} × ${factor.toFixed(2)} (${plural(parallel, 'worker')}) at ${Math.round(params.cpuUtilisationTarget * 100)} % utilisation = ${throughput} msg/s`);
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
    else w.add('not estimated', `clients: memory alone would hold at most ${clientsByMemory}; with no throughput measured that is only an upper bound, not an answer`);
  }
}

/** The estimate for one profile's capacity parameters; `context.notViable` withholds any client count. */
export function estimateCapacity(subject: { metrics: Metrics }, params: CapacityParams, context: CapacityContext = {}): CapacityEstimate {
  const m = subject.metrics;
  const w = new Working();
  const { budget } = memoryBudget(m, params, w);
  const count = workerCount(m, params, budget, w);
  const estimate: CapacityEstimate = {
    server: params.server, workers: count.workers, workersByMemory: count.byMemory, workersByCpu: count.byCpu, workersByChannelLayer: count.byLayer,
    binding: count.binding, scaling: 'none', requestsPerSecond: null, latencyTargetMs: params.latencyTargetMs,
    websocketClients: null, clientsByMemory: null, clientsByCpu: null, clientsBinding: 'unknown', clientsMemoryBoundOnly: false,
    messagesPerClientPerSecond: params.messagesPerClientPerSecond, memoryBudgetBytes: budget, throughputMessagesPerSecond: null,
    workerBytes: count.workerBytes, working: w.lines, assumptions: [],
  };
  const requests = requestsAtTarget(m, params, count.workers, w);
  estimate.requestsPerSecond = requests.rps;
  estimate.scaling = requests.scaling;
  if (params.server === 'wsgi') w.add('derived', 'WSGI serves no WebSockets: no client estimate');
  else webSocketClients(m, params, count, budget, estimate, w);
  if (context.notViable && params.server === 'asgi') {
    estimate.websocketClients = null;
    estimate.clientsByMemory = null;
    estimate.clientsByCpu = null;
    estimate.clientsMemoryBoundOnly = false;
    estimate.clientsBinding = 'unknown';
    w.add('not estimated', 'clients: no client count next to a not-viable verdict');
  }
  estimate.assumptions = w.lines.map((line) => `${line.basis}: ${line.text}`);
  return estimate;
}
