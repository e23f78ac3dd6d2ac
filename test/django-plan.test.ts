// The django probe's rules over numbers (probes/lib/django/plan.ts), on made-up ladders and memory figures:
// how many workers memory allows, when the ladder keeps climbing, which step meets the latency target.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StepResult } from '../probes/lib/django/http-load.js';
import { missedTargetReason, peakRequestsPerSecond, planWorkers, shouldClimb, stepAtTarget } from '../probes/lib/django/plan.js';

const MiB = 1024 * 1024;

function madeUpStep(concurrency: number, requestsPerSecond: number, p95Ms: number, errors = 0): StepResult {
  return {
    concurrency,
    elapsedMs: 800,
    ok: 100,
    errors,
    errorKinds: errors > 0 ? { ECONNRESET: errors } : {},
    requestsPerSecond,
    p50Ms: p95Ms / 2,
    p95Ms,
    p99Ms: p95Ms * 1.2,
    maxMs: p95Ms * 1.5,
    workers: {},
    driverCpuMs: 10,
    abandoned: false,
  };
}

test('made-up memory figures: one worker per CPU while half the available memory holds them, fewer (and said why) when not', () => {
  assert.equal(planWorkers(2048 * MiB, 4, 96 * MiB, 'assumed').workers, 4);
  const tight = planWorkers(400 * MiB, 4, 96 * MiB, 'assumed');
  assert.equal(tight.workers, 2, 'half of 400 MiB holds two 96 MiB workers');
  assert.match(tight.scaledDown.join('; '), /2 workers instead of 4/);
  assert.equal(tight.maxConcurrency, 16, 'under 512 MiB the ladder stops at 16 clients');
  const refused = planWorkers(150 * MiB, 1, 96 * MiB, 'assumed');
  assert.equal(refused.workers, 0);
  assert.match(refused.refuse ?? '', /only 150 MiB of memory available/);
  assert.equal(planWorkers(4096 * MiB, 1.5, 96 * MiB, 'assumed').workers, 2, '1.5 effective CPUs round to two workers');
});

test('made-up ladder: always climbs to the modest load, then only while p95 holds the target without errors', () => {
  assert.equal(shouldClimb(madeUpStep(2, 50, 500), 100), true, 'below 4 clients it climbs whatever the latency');
  assert.equal(shouldClimb(madeUpStep(4, 60, 90), 100), true);
  assert.equal(shouldClimb(madeUpStep(8, 60, 150), 100), false);
  assert.equal(shouldClimb(madeUpStep(8, 60, 50, 1), 100), false, 'a failed request stops the climb');
});

test('made-up ladder: the figures come from the highest error-free concurrency within the target; peak from any error-free step', () => {
  const ladder = [madeUpStep(1, 40, 30), madeUpStep(2, 70, 45), madeUpStep(4, 80, 95), madeUpStep(8, 85, 180), madeUpStep(16, 95, 60, 3)];
  assert.equal(stepAtTarget(ladder, 100)?.concurrency, 4);
  assert.equal(stepAtTarget(ladder, 200)?.concurrency, 8, 'a looser target, a higher concurrency');
  assert.equal(peakRequestsPerSecond(ladder), 85, 'the step with errors does not count');
  assert.equal(stepAtTarget([madeUpStep(1, 10, 250)], 100), null);
  assert.match(missedTargetReason([madeUpStep(1, 10, 250)], 100), /even one client waited longer than the 100 ms target: p95 250 ms/);
});
