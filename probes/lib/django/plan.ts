// What the django probe may do on this device, and how its ladders are read: pure functions over numbers, so
// that the rules are tested without a device.
import { MODEST_CONCURRENCY } from '../../../src/report/metrics/django.js';
import type { StepResult } from './http-load.js';

const MiB = 1024 * 1024;

export const DEFAULT_DJANGO_DURATION_S = 24;
/** Used by the ladders when neither the profile nor --latency-target gives one (Nielsen's 0.1 s). */
export const DEFAULT_LATENCY_TARGET_MS = 100;
export const CONCURRENCY_LADDER = [1, 2, 4, 8, 16, 32, 64] as const;
/** A worker's memory before one has been measured: Django with gunicorn or daphne on 64-bit, rounded up. */
export const ASSUMED_WORKER_BYTES = 96 * MiB;
/** The probe's servers may take at most this share of the effective available memory. */
export const MEMORY_SHARE = 0.5;
/** Below this much available memory the ladders stop at 16 concurrent clients. */
export const LOW_MEMORY_BYTES = 512 * MiB;
/** The server runs of one probe: WSGI and ASGI, one worker and N workers each. */
export const SERVER_RUNS = 4;

export interface WorkerPlan {
  workers: number;
  maxConcurrency: number;
  /** Set when not even one worker may be started. */
  refuse: string | null;
  scaledDown: string[];
}

const mib = (bytes: number): string => `${Math.round(bytes / MiB)} MiB`;

/**
 * Workers for the multi-worker run: one per effective CPU, as many as fit in half the effective available
 * memory at `workerBytes` each (null memory: planned as a 256 MiB device, like the streaming probe).
 */
export function planWorkers(availableBytes: number | null, cpus: number, workerBytes: number, workerBytesSource: string): WorkerPlan {
  const scaledDown: string[] = [];
  const available = availableBytes ?? 256 * MiB;
  if (availableBytes === null) scaledDown.push('effective available memory unknown: planned for 256 MiB');
  const wanted = Math.max(1, Math.round(cpus));
  const usable = available * MEMORY_SHARE;
  const fit = Math.floor(usable / workerBytes);
  const plan: WorkerPlan = {
    workers: Math.min(wanted, fit),
    maxConcurrency: CONCURRENCY_LADDER[CONCURRENCY_LADDER.length - 1] ?? 64,
    refuse: null,
    scaledDown,
  };
  if (fit < 1) {
    plan.refuse = `only ${mib(available)} of memory available: one worker (${mib(workerBytes)}, ${workerBytesSource}) needs more than half of it`;
    plan.workers = 0;
    return plan;
  }
  if (fit < wanted)
    scaledDown.push(
      `${plan.workers} worker${plan.workers === 1 ? '' : 's'} instead of ${wanted}: half of ${mib(available)} holds ${fit} of ${mib(workerBytes)} (${workerBytesSource})`,
    );
  if (available < LOW_MEMORY_BYTES) {
    plan.maxConcurrency = 16;
    scaledDown.push(`at most 16 concurrent clients: ${mib(available)} available (< ${mib(LOW_MEMORY_BYTES)})`);
  }
  return plan;
}

/** Time of one ladder step: the load phases share `durationMs` over the server runs and the ladder's steps. */
export function stepDurationMs(durationMs: number): number {
  return Math.max(300, Math.round(durationMs / SERVER_RUNS / CONCURRENCY_LADDER.length));
}

/** Keep climbing? Always up to the modest load; beyond it only while p95 holds the target without errors. */
export function shouldClimb(step: StepResult, targetMs: number): boolean {
  if (step.abandoned || step.ok === 0) return false;
  if (step.concurrency < MODEST_CONCURRENCY) return true;
  return step.errors === 0 && step.p95Ms !== null && step.p95Ms <= targetMs;
}

/** The highest concurrency whose p95 stayed within the target with no failed request; null when none did. */
export function stepAtTarget(steps: readonly StepResult[], targetMs: number): StepResult | null {
  let best: StepResult | null = null;
  for (const step of steps) {
    if (step.errors > 0 || step.abandoned || step.p95Ms === null || step.p95Ms > targetMs) continue;
    if (best === null || step.concurrency > best.concurrency) best = step;
  }
  return best;
}

/** Best requests per second any error-free step reached; null when none. */
export function peakRequestsPerSecond(steps: readonly StepResult[]): number | null {
  const clean = steps.filter((s) => s.errors === 0 && !s.abandoned && s.ok > 0).map((s) => s.requestsPerSecond);
  return clean.length === 0 ? null : Math.max(...clean);
}

/** Why no step met the target, for the report. */
export function missedTargetReason(steps: readonly StepResult[], targetMs: number): string {
  const first = steps[0];
  if (!first) return 'no load step ran';
  if (first.ok === 0) return `no request succeeded (${describeErrors(first)})`;
  if (first.errors > 0) return `requests failed at ${first.concurrency} client (${describeErrors(first)})`;
  return `even one client waited longer than the ${targetMs} ms target: p95 ${first.p95Ms ?? '?'} ms`;
}

export function describeErrors(step: Pick<StepResult, 'errorKinds'>): string {
  const kinds = Object.entries(step.errorKinds).sort((a, b) => b[1] - a[1]);
  return kinds.length === 0 ? 'no errors' : kinds.map(([kind, count]) => `${count} × ${kind}`).join(', ');
}
