// Probe budgets scale with the device's measured speed, bounded below by the budgets as written and above by
// a ceiling; a hanging probe is still cut off at its scaled budget, and the report says what was applied.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ALL_PROBES } from '../probes/index.js';
import { BUDGET_SCALE_CEILING, budgetScaleFor, fixedBudgetScale, measureDeviceSpeed, runBudgetScale, scaledBudgetMs } from '../src/engine/budget-scale.js';
import { effectiveBudgetMs } from '../src/engine/runner.js';
import { QUICK_NODE_FLAGS } from '../src/remote/ssh.js';
import { validateReport } from '../src/report/validate.js';
import { AGENT_BUNDLE, jsonOf, runCli, runScript } from './helpers/cli.js';
import { MARKER_VARIABLE, newMarker, processesWithMarker, waitFor } from './helpers/leftovers.js';

const reference = { loopMs: 4, spawnMs: 2 };

test('a device as fast as the reference, or faster, keeps the budgets as written (floor 1)', () => {
  assert.equal(budgetScaleFor({ loopMs: 4, spawnMs: 2 }, reference).factor, 1);
  assert.equal(budgetScaleFor({ loopMs: 1, spawnMs: 0.5 }, reference).factor, 1);
  assert.match(budgetScaleFor({ loopMs: 1, spawnMs: 0.5 }, reference).reason, /budgets unchanged/);
});

test('the slower of the two workloads sets the factor', () => {
  const cpuBound = budgetScaleFor({ loopMs: 20, spawnMs: 4 }, reference);
  assert.equal(cpuBound.factor, 5);
  assert.match(cpuBound.reason, /loop 5x, process start 2x/);
  assert.equal(budgetScaleFor({ loopMs: 8, spawnMs: 14 }, reference).factor, 7);
  assert.equal(budgetScaleFor({ loopMs: 10, spawnMs: null }, reference).factor, 2.5, 'without a process start, the loop alone');
});

test('the factor never passes the ceiling, and says so', () => {
  const scale = budgetScaleFor({ loopMs: 4000, spawnMs: 2 }, reference);
  assert.equal(scale.factor, BUDGET_SCALE_CEILING);
  assert.match(scale.reason, /capped at/);
  assert.equal(fixedBudgetScale(1000, 'test').factor, BUDGET_SCALE_CEILING);
  assert.equal(fixedBudgetScale(0.2, 'test').factor, 1);
  assert.equal(fixedBudgetScale(Number.NaN, 'test').factor, 1);
});

test('load phases the user chose (--duration) do not scale; the rest of the budget does', () => {
  assert.equal(scaledBudgetMs(5_000, 0, 3), 15_000);
  assert.equal(scaledBudgetMs(115_000, 20_000, 3), 20_000 + 95_000 * 3);
  assert.equal(scaledBudgetMs(5_000, 9_000, 3), 5_000, 'a fixed part larger than the budget is the budget');
  const streaming = ALL_PROBES.find((p) => p.id === 'streaming');
  assert.ok(streaming);
  const options = { root: '/', quick: false, verbose: false, duration: 20 };
  assert.equal(effectiveBudgetMs(streaming, options, fixedBudgetScale(4, 'test'), false), 20_000 + (115_000 - 20_000) * 4);
});

test('EDGEPROBE_BUDGET_SCALE overrides the measurement; a recorded tree is not measured', async () => {
  assert.equal((await runBudgetScale(true, { EDGEPROBE_BUDGET_SCALE: '3' })).factor, 3);
  const recorded = await runBudgetScale(false, {});
  assert.equal(recorded.factor, 1);
  assert.match(recorded.reason, /recorded tree/);
});

test('the calibration workloads give positive timings on this machine', async () => {
  const speed = await measureDeviceSpeed();
  assert.ok(speed.loopMs !== null && speed.loopMs > 0, `loop ${String(speed.loopMs)} ms`);
  assert.ok(speed.spawnMs !== null && speed.spawnMs > 0, `spawn ${String(speed.spawnMs)} ms`);
  const scale = budgetScaleFor(speed);
  assert.ok(scale.factor >= 1 && scale.factor <= BUDGET_SCALE_CEILING);
});

test('a hanging probe is still killed at its scaled budget, and the report shows the budget and the factor', async () => {
  const marker = newMarker();
  const result = await runCli(['run', '--quick', '--only', 'host', '--format', 'json'], {
    env: { ...process.env, NO_COLOR: '1', EDGEPROBE_FAULTS: 'host=hang', EDGEPROBE_BUDGET_SCALE: '1.4', [MARKER_VARIABLE]: marker },
  });
  assert.equal(result.code, 3, result.stderr);
  const report = jsonOf(result);
  assert.ok(validateReport(report).ok);
  const scale = (report['options'] as Record<string, { factor: number; reason: string }>)['budgetScale'];
  assert.equal(scale?.factor, 1.4);
  assert.match(scale?.reason ?? '', /EDGEPROBE_BUDGET_SCALE/);
  const host = (report['probes'] as Array<{ id: string; budgetMs?: number; durationMs: number; error?: { code: string; message: string } }>).find(
    (p) => p.id === 'host',
  );
  assert.equal(host?.budgetMs, 7_000, "the host probe's 5 s budget times 1.4");
  assert.equal(host?.error?.code, 'timeout');
  assert.match(host?.error?.message ?? '', /7000 ms budget/);
  assert.ok((host?.durationMs ?? 0) >= 7_000 && (host?.durationMs ?? 0) < 12_000, `cut off after ${String(host?.durationMs)} ms`);
  assert.ok(await waitFor(() => processesWithMarker(marker).length === 0, 3_000), "the hung probe's child was killed");
});

test('with V8 compilers off (a quick run over SSH) the loop is not timed, so a fast machine keeps factor 1 (made-up reference)', async () => {
  const speed = await measureDeviceSpeed(['--max-semi-space-size=1', '--no-opt', '--no-sparkplug']);
  assert.equal(speed.loopMs, null);
  assert.ok(speed.spawnMs !== null && speed.spawnMs > 0);
  const scale = budgetScaleFor({ loopMs: null, spawnMs: 2 }, reference);
  assert.equal(scale.factor, 1);
  assert.match(scale.reason, /loop not timed \(V8 compilers off\)/);
});

test('a quick agent run under the flags edgeprobe ssh uses reports the loop untimed in its budget scale', async () => {
  const result = await runScript(AGENT_BUNDLE, ['run', '--quick', '--only', 'host', '--format', 'json'], { prefixArgs: [...QUICK_NODE_FLAGS] });
  const budgetScale = (jsonOf(result)['options'] as Record<string, Record<string, unknown>>)['budgetScale'];
  assert.ok(budgetScale, 'options.budgetScale');
  assert.equal((budgetScale['measured'] as Record<string, unknown>)['loopMs'], null);
  assert.match(String(budgetScale['reason']), /loop not timed/);
});

test('an EDGEPROBE_BUDGET_SCALE that is not a number is a usage error (exit 2) with the reason, not silently measured', async () => {
  await assert.rejects(runBudgetScale(true, { EDGEPROBE_BUDGET_SCALE: 'fast' }), /EDGEPROBE_BUDGET_SCALE=fast is not a number/);
  const result = await runCli(['run', '--quick', '--only', 'host', '--format', 'json'], { env: { ...process.env, EDGEPROBE_BUDGET_SCALE: 'fast' } });
  assert.equal(result.code, 2);
  assert.match(result.stderr, /EDGEPROBE_BUDGET_SCALE=fast is not a number \(a factor from 1 to 10\)/);
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
});
