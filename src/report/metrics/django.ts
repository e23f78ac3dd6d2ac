// django: the agent's small Django project served by a real WSGI and a real ASGI server on the device,
// driven over HTTP from inside the agent; one row per server kind and figure, generated from the lists below.
import { defineMetrics, type MetricEntry } from './define.js';

export const DJANGO_SERVER_KINDS = ['wsgi', 'asgi'] as const;
export type DjangoServerKind = (typeof DJANGO_SERVER_KINDS)[number];

/** Concurrent keep-alive clients of the "modest load" latency figure: a handful of people clicking at once. */
export const MODEST_CONCURRENCY = 4;
/** Requests of the memory-growth phase: the same on every device, so that growth figures compare. */
export const GROWTH_REQUESTS = 200;

const SERVED_BY: Record<DjangoServerKind, string> = {
  wsgi: 'WSGI server (gunicorn, sync workers)',
  asgi: 'ASGI server (uvicorn or daphne)',
};

interface PerKindFigure extends Omit<MetricEntry, 'name'> {
  judged?: boolean;
}

/** Each figure both server kinds report. */
export const PER_KIND_FIGURES = {
  server: { type: 'string', description: 'Server measured: gunicorn, uvicorn or daphne' },
  requests_per_second: {
    type: 'number',
    unit: 'per_second',
    load: true,
    description: 'Requests per second with one worker, at the highest concurrency whose p95 stays within the latency target',
  },
  workers: { type: 'number', description: 'Workers of the multi-worker run: one per effective CPU (fewer when memory is short)' },
  workers_requests_per_second: {
    type: 'number',
    unit: 'per_second',
    load: true,
    description: "Requests per second with the multi-worker run's workers, at the highest concurrency whose p95 stays within the latency target",
  },
  scaling_ratio: { type: 'number', load: true, description: 'Peak requests per second with N workers over peak with one worker (N = the workers figure)' },
  concurrency: {
    type: 'number',
    load: true,
    description: 'Highest number of concurrent keep-alive clients whose p95 stayed within the latency target, N workers',
  },
  p50_ms: { type: 'number', unit: 'ms', load: true, description: 'Request latency p50 at that concurrency, N workers' },
  p95_ms: { type: 'number', unit: 'ms', load: true, description: 'Request latency p95 at that concurrency, N workers' },
  p99_ms: { type: 'number', unit: 'ms', load: true, description: 'Request latency p99 at that concurrency, N workers' },
  modest_load_p95_ms: {
    type: 'number',
    unit: 'ms',
    judged: true,
    load: true,
    description: `Request latency p95 with ${MODEST_CONCURRENCY} concurrent clients, N workers`,
  },
  errors: { type: 'number', description: 'Failed requests (not 200, reset, timed out) over every phase of both runs' },
  worker_rss_bytes: { type: 'number', unit: 'bytes', description: 'Resident set of the one worker after warm-up (smaps_rollup)' },
  worker_pss_bytes: {
    type: 'number',
    unit: 'bytes',
    description: 'Proportional set of the one worker after warm-up (smaps_rollup): shared pages divided among their users',
  },
  master_pss_bytes: {
    type: 'number',
    unit: 'bytes',
    description: 'Proportional set of the supervising process of the multi-worker run (gunicorn arbiter, uvicorn supervisor)',
  },
  worker_growth_bytes: {
    type: 'number',
    unit: 'bytes',
    description: `Growth of the one worker's proportional set over ${GROWTH_REQUESTS} requests after warm-up: a leak shows here`,
  },
  cold_start_ms: { type: 'number', unit: 'ms', judged: true, description: 'From spawning the server (one worker) to its first 200 response' },
  workers_fit: { type: 'number', judged: true, description: 'Workers of the measured proportional set that fit in the effective available memory' },
} as const satisfies Record<string, PerKindFigure>;
export type PerKindFigureName = keyof typeof PER_KIND_FIGURES;

export function djangoMetricId(kind: DjangoServerKind, figure: PerKindFigureName): string {
  return `django.${kind}_${figure}`;
}

const perKindRows: MetricEntry[] = DJANGO_SERVER_KINDS.flatMap((kind) =>
  Object.entries(PER_KIND_FIGURES).map(([figure, row]) => {
    const entry: MetricEntry = { name: `${kind}_${figure}`, type: row.type, description: `${row.description}; ${SERVED_BY[kind]}` };
    if ('unit' in row) entry.unit = row.unit;
    if ('judged' in row) entry.judged = row.judged;
    if ('load' in row) entry.load = row.load;
    return entry;
  }),
);

export const DJANGO_METRICS = defineMetrics('django', [
  ...perKindRows,
  {
    name: 'cpython_score',
    type: 'number',
    unit: 'per_second',
    judged: true,
    load: true,
    description: 'Fixed-work pure-Python benchmark run by the interpreter being judged, operations per second (cpu.single_thread_score is the Node one)',
  },
  {
    name: 'latency_target_ms',
    type: 'number',
    unit: 'ms',
    description: "p95 latency target the concurrency ladders were held against (the profile's, or --latency-target)",
  },
]);
