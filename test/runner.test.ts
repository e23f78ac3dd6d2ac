// The runner keeps its promises when probes misbehave: a complete report, errors in the right places,
// the run within its budget, and no child process left behind.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ALL_PROBES } from '../probes/index.js';
import { fixedBudgetScale } from '../src/engine/budget-scale.js';
import type { ProbeDefinition } from '../src/engine/probe.js';
import { runProbes } from '../src/engine/runner.js';
import { validateReport } from '../src/report/validate.js';
import { jsonOf, runCli } from './helpers/cli.js';
import { MARKER_VARIABLE, newMarker, processesWithMarker, waitFor } from './helpers/leftovers.js';

const quickOptions = { root: '/', quick: true, verbose: false };
// In-process runs pin the budget scale so their time bounds hold on a loaded machine; scaling has its own tests.
const pinned = { budgetScale: fixedBudgetScale(1, 'pinned by the test') };

test('a probe that throws and one that hangs: report complete, both in error, within budget, no child left', async () => {
  const marker = newMarker();
  const throwing: ProbeDefinition = {
    id: 'thrower',
    title: 'Thrower',
    metrics: ['thrower.value'],
    budgetMs: () => 2_000,
    run: () => Promise.reject(new Error('disk on fire')),
  };
  const hanging: ProbeDefinition = {
    id: 'hanger',
    title: 'Hanger',
    metrics: ['hanger.value'],
    budgetMs: () => 800,
    async run(ctx) {
      // A stuck child, as a hung `vcgencmd` or interpreter would be.
      void ctx.exec('sleep', ['600'], { timeoutMs: 600_000, env: { ...process.env, [MARKER_VARIABLE]: marker } });
      return new Promise(() => undefined);
    },
  };
  const started = performance.now();
  const report = await runProbes([...ALL_PROBES, throwing, hanging], quickOptions, pinned);
  const elapsed = performance.now() - started;

  const check = validateReport(report);
  assert.ok(check.ok, check.ok ? '' : check.errors.join('; '));
  const byId = new Map(report.probes.map((p) => [p.id, p]));
  assert.equal(byId.get('thrower')?.status, 'error');
  assert.equal(byId.get('thrower')?.error?.code, 'exception');
  assert.match(byId.get('thrower')?.error?.message ?? '', /disk on fire/);
  assert.equal(byId.get('hanger')?.status, 'error');
  assert.equal(byId.get('hanger')?.error?.code, 'timeout');
  assert.equal(report.metrics['thrower.value'], null);
  assert.equal(report.metrics['hanger.value'], null);
  for (const id of ['host', 'memory', 'cpu']) assert.equal(byId.get(id)?.status, 'ok', `${id} still ran`);
  assert.equal(typeof report.metrics['memory.total_bytes'], 'number');
  assert.ok(elapsed < 8_000, `run stayed within the budgets (took ${Math.round(elapsed)} ms)`);
  assert.ok(await waitFor(() => processesWithMarker(marker).length === 0, 3_000), 'the hung child was killed');
});

test('a probe returning garbage is an error with a reason, not a broken report', async () => {
  const garbage: ProbeDefinition = {
    id: 'garbage',
    title: 'Garbage',
    metrics: ['garbage.value'],
    budgetMs: () => 1_000,
    run: async () => ({ metrics: { 'garbage.value': { nested: true }, 'memory.total_bytes': 1 } }) as never,
  };
  const report = await runProbes([garbage], quickOptions, pinned);
  assert.ok(validateReport(report).ok);
  const envelope = report.probes[0];
  assert.equal(envelope?.status, 'error');
  assert.equal(envelope?.error?.code, 'invalid_output');
  assert.match(envelope?.error?.message ?? '', /undeclared metric "memory.total_bytes"/);
  assert.equal(report.metrics['memory.total_bytes'], undefined, "a probe cannot write another probe's metric");
});

test('--only and --skip leave the other probes out with the reason', async () => {
  const report = await runProbes(ALL_PROBES, { ...quickOptions, only: ['memory'] }, pinned);
  const cpu = report.probes.find((p) => p.id === 'cpu');
  assert.equal(cpu?.status, 'skipped');
  assert.equal(cpu?.details['skipReason'], 'not selected by --only');
  assert.equal(report.metrics['cpu.cores'], null);
  assert.equal(report.probes.find((p) => p.id === 'memory')?.status, 'ok');
});

test('the real CLI with faults injected into real probes: exit 3, complete report, nothing left running', async () => {
  const marker = newMarker();
  const result = await runCli(['run', '--quick', '--format', 'json'], {
    env: { ...process.env, NO_COLOR: '1', EDGEPROBE_FAULTS: 'memory=hang,cpu=throw', [MARKER_VARIABLE]: marker },
  });
  assert.equal(result.code, 3, 'probe errors make the run incomplete');
  const report = jsonOf(result);
  assert.ok(validateReport(report).ok);
  const probes = report['probes'] as Array<{ id: string; status: string; error?: { code: string } }>;
  assert.equal(probes.find((p) => p.id === 'memory')?.error?.code, 'timeout');
  assert.equal(probes.find((p) => p.id === 'cpu')?.error?.code, 'exception');
  assert.equal(probes.find((p) => p.id === 'host')?.status, 'ok');
  assert.deepEqual(processesWithMarker(marker), [], 'no child of the run survives it');
});

test('the global --timeout stops a run whose probes overrun, and the report says why', async () => {
  const result = await runCli(['run', '--quick', '--format', 'json', '--timeout', '1'], {
    env: { ...process.env, NO_COLOR: '1', EDGEPROBE_FAULTS: 'cpu=slow' },
  });
  assert.equal(result.code, 3);
  const report = jsonOf(result);
  const cpu = (report['probes'] as Array<{ id: string; error?: { code: string; message: string } }>).find((p) => p.id === 'cpu');
  assert.equal(cpu?.error?.code, 'aborted');
  assert.match(cpu?.error?.message ?? '', /--timeout of 1 s/);
  assert.ok(result.durationMs < 6_000, `took ${Math.round(result.durationMs)} ms`);
});
