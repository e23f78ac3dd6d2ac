// The capacity estimate: how many workers a device carries and what they serve, from the figures a report
// measured where it has them and from the profile's stated assumptions where it does not. Every line of its
// working says which it is: measured (a metric, named), assumed (a profile figure and its source), derived
// (arithmetic over the two) or not estimated (and why). docs/architecture.md, "The capacity model".
import type { Metrics } from '../report/types.js';
import { webSocketClients } from './capacity-clients.js';
import { mib, multiplier, num, plural, present, Working } from './capacity-working.js';
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
    w.add(
      'assumed',
      `${service.name}: ${mib(service.bytes)} set aside${service.presentWhen !== undefined && available !== null ? ` (${m[service.presentWhen] === false ? 'not running' : 'not known to run'}: ${service.presentWhen} is ${m[service.presentWhen] === undefined || m[service.presentWhen] === null ? 'unknown' : String(m[service.presentWhen])})` : ''} (${service.source})`,
    );
  }
  const headroom = Math.round((total ?? available ?? 0) * params.headroomFraction);
  w.add('assumed', `headroom: ${Math.round(params.headroomFraction * 100)} % of memory (${mib(headroom)}) stays free for page cache and peaks`);
  return { budget: Math.max(0, base - headroom), total };
}
export interface WorkerCount {
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
  if (measuredWorker !== null)
    w.add(
      'measured',
      `${kind.toUpperCase()} worker: ${mib(measuredWorker)} proportional set after warm-up (django.${kind}_worker_pss_bytes, ${String(m[`django.${kind}_server`] ?? 'server')} with the probe's project)`,
    );
  else w.add('assumed', `${kind.toUpperCase()} worker: ${mib(params.workerBytes)} (${params.workerMemorySource})`);
  const master = num(m, `django.${kind}_master_pss_bytes`) ?? 0;
  if (master > 0) w.add('measured', `supervising process: ${mib(master)} (django.${kind}_master_pss_bytes), set aside once`);
  const clientReserve = kind === 'asgi' ? params.minClients * (num(m, 'streaming.bytes_per_connection') ?? params.connectionBytes) : 0;
  if (clientReserve > 0)
    w.add('assumed', `clients: memory for at least ${params.minClients} connections is set aside before counting workers (this profile's minClients)`);
  const byMemory = budget === null ? null : Math.max(0, Math.floor((budget - clientReserve - master) / workerBytes));
  const cpus = num(m, 'cpu.effective_cpus') ?? num(m, 'cpu.cores');
  const byCpu = cpus === null ? null : Math.max(1, Math.floor(cpus * params.workersPerCpu) + params.extraWorkers);
  if (cpus !== null)
    w.add(
      'assumed',
      `workers by CPU: ${params.workersPerCpu} per CPU${params.extraWorkers ? ` + ${params.extraWorkers}` : ''} over ${plural(cpus, 'CPU')} (${params.workersSource})`,
    );
  let byLayer: number | null = null;
  if (kind === 'asgi' && params.channelLayer === 'memory') {
    byLayer = 1;
    w.add(
      'derived',
      'channel layer: in-memory, so one worker: its groups live inside one process and do not reach across workers (N workers need channels_redis: profile django-channels-redis)',
    );
  } else if (kind === 'asgi') {
    w.add('derived', 'channel layer: channels_redis, so N workers share their groups through Redis');
  }
  const bounds: Array<[number | null, CapacityEstimate['binding']]> = [
    [byMemory, 'memory'],
    [byCpu, 'cpu'],
    [byLayer, 'channel-layer'],
  ];
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
/** HTTP requests per second the workers serve with p95 within the latency target. */
function requestsAtTarget(
  m: Metrics,
  params: CapacityParams,
  workers: number | null,
  w: Working,
): { rps: number | null; scaling: CapacityEstimate['scaling'] } {
  const kind = params.server;
  const one = num(m, `django.${kind}_requests_per_second`);
  const n = num(m, `django.${kind}_workers`);
  const many = num(m, `django.${kind}_workers_requests_per_second`);
  const measuredTarget = num(m, 'django.latency_target_ms') ?? params.latencyTargetMs;
  if (one === null && many === null) {
    w.add(
      'not estimated',
      `requests per second: not measured (the django probe ran no ${kind.toUpperCase()} server: a spec sheet, --quick, or no Django); run \`edgeprobe run\` without --quick on the device`,
    );
    return { rps: null, scaling: 'none' };
  }
  if (measuredTarget !== params.latencyTargetMs)
    w.add(
      'derived',
      `latency target: the ladders held p95 within ${measuredTarget} ms, this profile asks for ${params.latencyTargetMs} ms (${params.latencyTargetSource})`,
    );
  if (workers === null || workers === 0) return { rps: workers === 0 ? 0 : null, scaling: 'none' };
  if (many !== null && n !== null && workers >= n) {
    w.add('measured', `requests: ${many} req/s from ${plural(n, 'worker')} with p95 within ${measuredTarget} ms (django.${kind}_workers_requests_per_second)`);
    if (workers > n)
      w.add('derived', `requests: ${workers} workers on ${plural(n, 'CPU')}: the workers beyond one per CPU wait on I/O, they add no CPU throughput`);
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
/** The estimate for one profile's capacity parameters; `context.notViable` withholds any client count. */
export function estimateCapacity(subject: { metrics: Metrics }, params: CapacityParams, context: CapacityContext = {}): CapacityEstimate {
  const m = subject.metrics;
  const w = new Working();
  const { budget } = memoryBudget(m, params, w);
  const count = workerCount(m, params, budget, w);
  const estimate: CapacityEstimate = {
    server: params.server,
    workers: count.workers,
    workersByMemory: count.byMemory,
    workersByCpu: count.byCpu,
    workersByChannelLayer: count.byLayer,
    binding: count.binding,
    scaling: 'none',
    requestsPerSecond: null,
    latencyTargetMs: params.latencyTargetMs,
    websocketClients: null,
    clientsByMemory: null,
    clientsByCpu: null,
    clientsBinding: 'unknown',
    clientsMemoryBoundOnly: false,
    messagesPerClientPerSecond: params.messagesPerClientPerSecond,
    memoryBudgetBytes: budget,
    throughputMessagesPerSecond: null,
    workerBytes: count.workerBytes,
    working: w.lines,
    assumptions: [],
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
