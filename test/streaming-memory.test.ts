// Low memory, for real: the agent runs inside a cgroup v1 memory limit, its memory probe sees the limit,
// and the streaming probe scales its load down (and leaves out the Django tiers) or refuses, with reasons.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import type { Report } from '../src/report/types.js';
import { makeGroup, requireCgroupV1 } from './helpers/cgroups.js';
import { CLI, runScript } from './helpers/cli.js';
import { DEBIAN_PYTHON } from './helpers/streaming.js';
import { assertExitFromVerdict } from './helpers/verdict-exit.js';

const MiB = 1024 * 1024;
const skip = requireCgroupV1(['memory']);

async function runLimited(limitBytes: number): Promise<{ report: Report; probe: Report['probes'][number] }> {
  const name = `edgeprobe-test-${randomUUID()}`;
  const remove = makeGroup('memory', name, { 'memory.limit_in_bytes': String(limitBytes) });
  try {
    const result = await runScript(
      CLI,
      ['run', '--only', 'memory,streaming', '--streaming-tiers', 'node,python,channels', '--duration', '2', '--python', DEBIAN_PYTHON, '--format', 'json'],
      { command: '/usr/bin/cgexec', prefixArgs: ['-g', `memory:${name}`, process.execPath] },
    );
    assertExitFromVerdict(result, JSON.parse(result.stdout) as Record<string, unknown>); // run exits with its verdict's code
    const report = JSON.parse(result.stdout) as Report;
    const probe = report.probes.find((p) => p.id === 'streaming');
    assert.ok(probe);
    assert.equal(report.metrics['memory.cgroup_limit_bytes'], limitBytes, 'the run saw its limit');
    return { report, probe };
  } finally {
    remove();
  }
}

test('under a 112 MiB memory limit the load is scaled down and the Django tiers are left out, with reasons', { timeout: 60_000, skip }, async () => {
  const { report, probe } = await runLimited(112 * MiB);
  const available = report.metrics['memory.effective_available_bytes'] as number;
  assert.ok(available >= 64 * MiB && available < 112 * MiB, `effective available ${available}`);
  const plan = probe.details['plan'] as Record<string, unknown>;
  assert.equal(plan['largePayloadBytes'], 4096);
  assert.equal(plan['throughputClients'], 2);
  assert.ok((plan['idleConnections'] as number) < 256);
  assert.equal(report.metrics['streaming.idle_connections'], plan['idleConnections']);
  assert.equal(typeof report.metrics['streaming.node_messages_per_second'], 'number');
  assert.equal(typeof report.metrics['streaming.python_messages_per_second'], 'number');
  assert.equal(report.metrics['streaming.channels_messages_per_second'], null);
  const unmeasured = probe.details['unmeasured'] as Record<string, string>;
  assert.match(unmeasured['streaming.channels_p99_ms'] ?? '', /MiB of memory available; a Django Channels server needs at least 192 MiB/);
  // 4 KiB frames at 2 Mbit/s.
  const sustained = (probe.details['tiers'] as Record<string, Record<string, Record<string, unknown>>>)['node']?.['sustained'];
  assert.equal(sustained?.['frameBytes'], 4096);
});

test('under a 72 MiB memory limit the probe refuses to load the device, with the reason', { timeout: 60_000, skip }, async () => {
  const { report, probe } = await runLimited(72 * MiB);
  assert.ok((report.metrics['memory.effective_available_bytes'] as number) < 64 * MiB);
  assert.equal(probe.status, 'ok');
  assert.ok(Object.values(probe.metrics).every((v) => v === null));
  const unmeasured = probe.details['unmeasured'] as Record<string, string>;
  assert.match(unmeasured['streaming.node_messages_per_second'] ?? '', /^only \d+ MiB of memory available; the streaming load test needs at least 64 MiB$/);
  assert.equal(probe.details['tiers'] as unknown, undefined, 'no tier ran');
});
