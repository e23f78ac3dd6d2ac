// How the CPU benchmark turns the operations each worker finished in each window into a score.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scoreWindows } from '../probes/lib/cpu-benchmark.js';

test("the score adds up each worker's median window, so one window spoilt by other work does not move it", () => {
  // Made-up operation counts: two workers, five 100 ms windows; the third window lost most of worker 2's time.
  const reports = [{ opsPerWindow: [1000, 1020, 990, 1010, 1000] }, { opsPerWindow: [1000, 980, 200, 1000, 1010] }];
  const scored = scoreWindows(reports, 100);
  assert.deepEqual(scored.perWindow, [20000, 20000, 11900, 20100, 20100]);
  assert.equal(scored.total, 20000);
  assert.deepEqual(scored.perWorker, [10000, 10000]);
});

test('a window in which a worker finished nothing counts as nothing, and the rate is per second of window', () => {
  const scored = scoreWindows([{ opsPerWindow: [500, 0, 500] }], 50);
  assert.deepEqual(scored.perWindow, [10000, 0, 10000]);
  assert.equal(scored.total, 10000);
});

test("other work that takes turns between workers spoils the windows summed across workers, not each worker's median", () => {
  // Made-up operation counts: two workers, each losing most of two windows, never the same two.
  const reports = [{ opsPerWindow: [1000, 200, 1000, 200, 1000] }, { opsPerWindow: [200, 1000, 1000, 1000, 200] }];
  const scored = scoreWindows(reports, 100);
  assert.deepEqual(scored.perWindow, [12000, 12000, 20000, 12000, 12000]);
  assert.deepEqual(scored.perWorker, [10000, 10000]);
  assert.equal(scored.total, 20000);
});
