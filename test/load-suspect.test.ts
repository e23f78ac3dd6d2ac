// One throttled load makes every load figure of the run suspect: get_throttled before and after a load,
// the runner's marking, the streaming probe's own suspect flag, and the judge's word on each check.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { throttledBetween } from '../probes/lib/load-conditions.js';
import type { ProbeDefinition, ProbeOutput } from '../src/engine/probe.js';
import { runProbes } from '../src/engine/runner.js';
import { loadProfile } from '../src/judge/profiles.js';
import { judge } from '../src/judge/verdict.js';
import { METRIC_CATALOGUE, metricIdsOf } from '../src/report/metrics.js';
import { LOAD_SUSPECT, THROTTLED_DURING_LOAD } from '../src/report/types.js';
import { fixtureRoot } from './helpers/cli.js';

test('get_throttled before and after a load: now bits, new since-boot bits, under-voltage', () => {
  assert.equal(throttledBetween(0, 0), null);
  assert.equal(throttledBetween(0x50000, 0x50000), null, 'the recorded Pi 3 B: throttled and under-volted once, before the load');
  assert.equal(throttledBetween(null, 0x4), null, 'no reading before: nothing to compare');
  assert.equal(throttledBetween(0, 0x20000), 'the board throttled during the load (get_throttled 0x0 -> 0x20000)');
  assert.equal(throttledBetween(0, 0x50005), 'the board under-volted during the load (get_throttled 0x0 -> 0x50005)');
  assert.equal(throttledBetween(0x50000, 0x50008), 'the board throttled during the load (get_throttled 0x50000 -> 0x50008)', 'the soft temperature limit now');
});

/** A probe that returns what a real load probe would; the figures are made up (the test names say so). */
function fakeProbe(id: string, output: ProbeOutput, extra: Partial<ProbeDefinition> = {}): ProbeDefinition {
  return { id, title: `made-up ${id}`, metrics: metricIdsOf(id), budgetMs: () => 5_000, exclusive: true, run: async () => output, ...extra };
}

test('made-up figures: the disk test saw the board throttle, so the streaming figures and their checks are suspect too', async () => {
  const disk = fakeProbe('disk', {
    metrics: { 'disk.fsync_p99_ms': 12, 'disk.filesystem': 'ext4' },
    details: { [THROTTLED_DURING_LOAD]: 'the board throttled during the load (get_throttled 0x0 -> 0x20002)' },
  });
  const streaming = fakeProbe(
    'streaming',
    { metrics: { 'streaming.channels_messages_per_second': 9000, 'streaming.suspect': false }, details: {} },
    { suspectMetric: 'streaming.suspect' },
  );
  const host = fakeProbe('host', { metrics: {}, details: {} }, { exclusive: false });
  const report = await runProbes([host, disk, streaming], { root: fixtureRoot('pi-4b-bookworm-arm64'), quick: false, verbose: false });
  const reason = 'every figure measured under load in this run is suspect: disk: the board throttled during the load (get_throttled 0x0 -> 0x20002)';
  for (const id of ['disk', 'streaming']) assert.equal(report.probes.find((p) => p.id === id)?.details[LOAD_SUSPECT], reason, id);
  assert.equal(report.probes.find((p) => p.id === 'host')?.details[LOAD_SUSPECT], undefined, 'the host probe has no load figure');
  assert.equal(report.metrics['streaming.suspect'], true, "the streaming probe's own flag follows the run");
  const verdict = judge(report, loadProfile('django-channels'));
  const throughput = verdict.checks.find((c) => c.metric === 'streaming.channels_messages_per_second');
  assert.equal(throughput?.suspect, reason);
  assert.match(throughput?.message ?? '', /\(suspect: measured while the board throttled or was under-volted\)$/);
  const memory = verdict.checks.find((c) => c.metric === 'memory.effective_total_bytes');
  assert.equal(memory?.suspect, undefined, 'a figure not measured under load is not suspect');
  assert.ok(verdict.notes.includes(reason));
});

test('made-up figures: without a throttle nothing is marked', async () => {
  const disk = fakeProbe('disk', { metrics: { 'disk.fsync_p99_ms': 12 }, details: {} });
  const report = await runProbes([disk], { root: fixtureRoot('pi-4b-bookworm-arm64'), quick: false, verbose: false });
  assert.equal(report.probes[0]?.details[LOAD_SUSPECT], undefined);
  assert.deepEqual(judge(report, loadProfile('django-wsgi')).notes, []);
});

test('the catalogue marks measurements under load, and only those', () => {
  const load = METRIC_CATALOGUE.filter((m) => m.load).map((m) => m.id);
  for (const id of [
    'cpu.single_thread_score',
    'disk.fsync_p99_ms',
    'storage.random_write_iops',
    'streaming.channels_messages_per_second',
    'streaming.node_p99_ms',
  ])
    assert.ok(load.includes(id), id);
  for (const id of ['cpu.arch', 'memory.total_bytes', 'disk.free_bytes', 'storage.kind', 'streaming.suspect', 'cpu.temperature_celsius'])
    assert.ok(!load.includes(id), id);
});
