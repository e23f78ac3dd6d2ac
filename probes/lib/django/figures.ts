// From the django probe's server runs to its metrics, each null with the reason it could not be measured.
// Pure: the runs' results in, sink calls out; tested without a device.
import type { MetricSink } from '../../../src/engine/sink.js';
import { type DjangoServerKind, djangoMetricId, MODEST_CONCURRENCY, PER_KIND_FIGURES, type PerKindFigureName } from '../../../src/report/metrics/django.js';
import type { StepResult } from './http-load.js';
import { describeErrors, missedTargetReason, peakRequestsPerSecond, stepAtTarget } from './plan.js';
import type { DjangoServerName } from './server.js';
import type { ServerRunResult } from './server-run.js';

export interface KindOutcome {
  kind: DjangoServerKind;
  server: DjangoServerName | null;
  /** Why nothing was measured for this kind (no server, no Django, not enough memory ...). */
  skipped: string | null;
  one: ServerRunResult | null;
  oneError: string | null;
  many: ServerRunResult | null;
  manyError: string | null;
  /** Why there is no separate multi-worker run (one effective CPU, or memory for one worker only). */
  manySkipped: string | null;
}

const FIGURES = Object.keys(PER_KIND_FIGURES) as PerKindFigureName[];

function put(sink: MetricSink, kind: DjangoServerKind, figure: PerKindFigureName, value: number | string | null, reason: string): void {
  sink.put(djangoMetricId(kind, figure), value, reason);
}

function ladderFigures(sink: MetricSink, kind: DjangoServerKind, run: ServerRunResult, targetMs: number): void {
  const at = stepAtTarget(run.ladder, targetMs);
  const why = missedTargetReason(run.ladder, targetMs);
  put(sink, kind, 'workers_requests_per_second', at?.requestsPerSecond ?? null, why);
  put(sink, kind, 'concurrency', at?.concurrency ?? null, why);
  put(sink, kind, 'p50_ms', at?.p50Ms ?? null, why);
  put(sink, kind, 'p95_ms', at?.p95Ms ?? null, why);
  put(sink, kind, 'p99_ms', at?.p99Ms ?? null, why);
}

function modestLoad(steps: readonly StepResult[]): { value: number | null; reason: string } {
  const step = steps.find((s) => s.concurrency === MODEST_CONCURRENCY);
  if (!step) return { value: null, reason: `the ladder did not reach ${MODEST_CONCURRENCY} clients` };
  if (step.errors > 0 || step.abandoned) return { value: null, reason: `requests failed at ${MODEST_CONCURRENCY} clients (${describeErrors(step)})` };
  return { value: step.p95Ms, reason: 'no request answered' };
}

function oneWorkerFigures(sink: MetricSink, kind: DjangoServerKind, one: ServerRunResult, targetMs: number, availableBytes: number | null): void {
  const at = stepAtTarget(one.ladder, targetMs);
  put(sink, kind, 'requests_per_second', at?.requestsPerSecond ?? null, missedTargetReason(one.ladder, targetMs));
  put(sink, kind, 'cold_start_ms', one.coldStartMs, 'not measured');
  const worker = one.workerMemory[0] ?? null;
  const noSmaps = `the worker's smaps_rollup could not be read`;
  put(sink, kind, 'worker_rss_bytes', worker?.rssBytes ?? null, noSmaps);
  put(sink, kind, 'worker_pss_bytes', worker?.pssBytes ?? null, noSmaps);
  put(sink, kind, 'worker_growth_bytes', one.growth?.growthBytes ?? null, one.growth?.reason ?? 'the growth phase did not run');
  const fit = worker && availableBytes !== null && worker.pssBytes > 0 ? Math.floor(availableBytes / worker.pssBytes) : null;
  put(sink, kind, 'workers_fit', fit, worker ? 'effective available memory unknown' : noSmaps);
}

/** Records every figure of one server kind. */
export function recordKind(sink: MetricSink, outcome: KindOutcome, targetMs: number, availableBytes: number | null): void {
  const { kind, one, many } = outcome;
  if (outcome.skipped !== null || one === null) {
    const reason = outcome.skipped ?? `failed: ${outcome.oneError ?? 'unknown error'}`;
    for (const figure of FIGURES) put(sink, kind, figure, null, reason);
    if (outcome.server !== null) put(sink, kind, 'server', outcome.server, reason);
    return;
  }
  put(sink, kind, 'server', outcome.server, 'not measured');
  oneWorkerFigures(sink, kind, one, targetMs, availableBytes);
  const multi = many ?? (outcome.manySkipped !== null ? one : null);
  if (multi === null) {
    const reason = `the multi-worker run failed: ${outcome.manyError ?? 'unknown error'}`;
    for (const figure of [
      'workers',
      'workers_requests_per_second',
      'scaling_ratio',
      'concurrency',
      'p50_ms',
      'p95_ms',
      'p99_ms',
      'modest_load_p95_ms',
      'master_pss_bytes',
    ] as const)
      put(sink, kind, figure, null, reason);
  } else {
    put(sink, kind, 'workers', multi.workers, 'not measured');
    ladderFigures(sink, kind, multi, targetMs);
    const modest = modestLoad(multi.ladder);
    put(sink, kind, 'modest_load_p95_ms', modest.value, modest.reason);
    const peakOne = peakRequestsPerSecond(one.ladder);
    const peakMany = many ? peakRequestsPerSecond(many.ladder) : null;
    const ratio = peakOne !== null && peakMany !== null && peakOne > 0 ? Math.round((peakMany / peakOne) * 100) / 100 : null;
    put(sink, kind, 'scaling_ratio', ratio, outcome.manySkipped ?? 'a run had no error-free load step');
    const master = multi.masterMemory;
    put(
      sink,
      kind,
      'master_pss_bytes',
      outcome.server === 'daphne' ? null : (master?.pssBytes ?? null),
      outcome.server === 'daphne'
        ? 'daphne has no master process: N daphne processes share one socket under a process manager'
        : master === null
          ? 'one worker runs without a supervising process'
          : 'its smaps_rollup could not be read',
    );
  }
  put(sink, kind, 'errors', one.errors + (many?.errors ?? 0), 'not measured');
}
