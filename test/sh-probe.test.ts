// The POSIX-sh probe as built (dist/edgeprobe-probe.sh: probes/posix-sh/parts/ with the metric ids, tables and
// Python helpers that probes/posix-sh/assemble.ts puts ahead of them) under dash and under busybox ash, on every
// recorded device tree and on this machine: its report validates against edgeprobe.report/v1, and its host,
// memory, cpu, supervision and stack metrics, and the disk's filesystem and device kind, are the Node agent's,
// figure for figure (same cgroup logic: mountinfo root, ancestors, v1, v2; the same supervisor and service rules).

import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { shProbePayload } from '../probes/posix-sh/assemble.js';
import { execCommand } from '../src/platform/process.js';
import { VERSION } from '../src/platform/version.js';
import { METRIC_CATALOGUE } from '../src/report/metrics.js';
import type { Report } from '../src/report/types.js';
import { parseReport } from '../src/report/validate.js';
import { fixtureRoot, jsonOf, REPO_ROOT, runCli } from './helpers/cli.js';
import { executable, skipWithout } from './helpers/env.js';
import { startRedis, startSupervisord } from './helpers/services.js';

const PROBE = join(REPO_ROOT, 'dist', 'edgeprobe-probe.sh');
const SHELLS: Array<[string, string[]]> = [
  ['dash', ['/usr/bin/dash']],
  ['busybox ash', ['/usr/bin/busybox', 'sh']],
];
const BOARDS = readdirSync(join(REPO_ROOT, 'test', 'fixtures', 'devices')).sort();
// Figures that move between two runs on a live system.
const MOVING = new Set([
  'memory.available_bytes',
  'memory.effective_available_bytes',
  'memory.cgroup_usage_bytes',
  'memory.swap_free_bytes',
  'cpu.load_average_1m',
  'cpu.temperature_celsius',
  // services other suites start and stop on this machine while both probes run
  'stack.redis_running',
  'stack.postgres_running',
  'stack.memcached_running',
  'stack.port_8000_free',
  'supervision.supervisors',
  'supervision.available',
]);
const COMPARED = /^(host|memory|cpu|supervision|stack)\.|^disk\.(filesystem|device_kind)$/;

async function shReport(shell: string[], args: string[], useStdin = false): Promise<Report> {
  const result = useStdin
    ? await execCommand(shell[0] ?? 'sh', [...shell.slice(1), '-s', '--', ...args], { timeoutMs: 60_000, input: shProbePayload() })
    : await execCommand(shell[0] ?? 'sh', [...shell.slice(1), PROBE, ...args], { timeoutMs: 60_000 });
  assert.equal(result.code, 0, `sh probe exit: ${result.stderr}`);
  const check = parseReport(result.stdout);
  assert.ok(check.ok, `sh probe report validates: ${check.ok ? '' : check.errors.join('; ')}\n${result.stdout.slice(0, 500)}`);
  return check.report;
}

async function agentReport(root: string): Promise<Report> {
  const result = await runCli(['run', '--quick', '--format', 'json', '--root', root, '--only', 'host,memory,cpu,supervision,stack,disk']);
  const check = parseReport(JSON.stringify(jsonOf(result)));
  assert.ok(check.ok);
  return check.report;
}

function compare(agent: Report, sh: Report, where: string, live: boolean): void {
  const ids = Object.keys(agent.metrics).filter((id) => COMPARED.test(id));
  assert.ok(ids.length >= 50, `${where}: the agent reported host, memory, cpu, supervision, stack and disk metrics`);
  for (const id of ids) {
    if (live && MOVING.has(id)) {
      assert.equal(typeof sh.metrics[id], typeof agent.metrics[id], `${where} ${id} has the agent's type`);
      continue;
    }
    if (id === 'cpu.single_thread_score' || id === 'cpu.multi_thread_score') continue;
    assert.deepEqual(sh.metrics[id], agent.metrics[id], `${where}: ${id}`);
  }
}

for (const [shellName, shell] of SHELLS) {
  test(`${shellName}: on every recorded device tree the sh probe's host, memory, cpu, supervision, stack and disk metrics are the agent's`, async () => {
    for (const board of BOARDS) {
      const root = fixtureRoot(board);
      const [agent, sh] = await Promise.all([agentReport(root), shReport(shell, ['--root', root])]);
      compare(agent, sh, `${shellName} ${board}`, false);
      assert.equal(sh.host.hostname, agent.host.hostname, `${board} hostname`);
      assert.equal(sh.agent.mode, 'posix-sh');
    }
  });

  test(`${shellName}: on this machine, streamed on stdin as over ssh, the report validates and agrees with the agent`, async () => {
    const [agent, sh] = await Promise.all([agentReport('/'), shReport(shell, ['run', '--format', 'json', '--label', 'here "quoted"\\', '--quick'], true)]);
    compare(agent, sh, `${shellName} live`, true);
    assert.equal(sh.agent.version, VERSION);
    assert.equal(sh.agent.node, null);
    assert.equal(sh.host.label, 'here "quoted"\\', 'labels with quotes and backslashes survive the JSON encoding');
    assert.equal(typeof sh.metrics['disk.free_bytes'], 'number');
    // The python metrics come from the agent's own inspection, ranking and Django table: the same figures.
    const python = await runCli(['run', '--quick', '--format', 'json', '--only', 'python']);
    const agentPython = jsonOf(python)['metrics'] as Record<string, unknown>;
    for (const [id, value] of Object.entries(agentPython).filter(([id]) => id.startsWith('python.')))
      assert.deepEqual(sh.metrics[id], value, `${shellName}: ${id}`);
    const disk = jsonOf(await runCli(['run', '--quick', '--format', 'json', '--only', 'disk']))['metrics'] as Record<string, unknown>;
    assert.equal(sh.metrics['disk.total_bytes'], disk['disk.total_bytes']);
    assert.equal(sh.metrics['disk.filesystem'], disk['disk.filesystem']);
    assert.ok(Math.abs((sh.metrics['disk.free_bytes'] as number) - (disk['disk.free_bytes'] as number)) < 256 * 1024 * 1024, 'free space within 256 MiB');
    // Every probe of the catalogue has an envelope; every catalogue metric is present, null only with a reason.
    const probeIds = [...new Set(METRIC_CATALOGUE.map((m) => m.id.split('.')[0]))];
    assert.deepEqual(sh.probes.map((p) => p.id).sort(), [...probeIds].sort());
    for (const spec of METRIC_CATALOGUE) {
      assert.ok(spec.id in sh.metrics, `${spec.id} is in the sh report`);
      if (sh.metrics[spec.id] !== null) continue;
      const envelope = sh.probes.find((p) => p.id === spec.id.split('.')[0]);
      const reasons = envelope?.details['unmeasured'] as Record<string, string> | undefined;
      assert.ok(reasons?.[spec.id], `${spec.id} is null with a reason`);
    }
  });
}

test('with a real supervisord and redis-server running, the sh probe finds them as the agent does: supervisord answering supervisorctl, Redis answering PING, its version', async (t) => {
  if (skipWithout(t, executable('/usr/bin/supervisord') && executable('/usr/bin/redis-server'), 'supervisor and redis-server', 'scripts/install-test-deps.sh'))
    return;
  const supervisord = await startSupervisord();
  // On a spare port: both probes find it through the ports its process listens on (this suite runs as root).
  const redis = await startRedis();
  try {
    const [agent, sh] = await Promise.all([agentReport('/'), shReport(['/usr/bin/dash'], ['--quick'])]);
    for (const report of [agent, sh]) {
      assert.match(String(report.metrics['supervision.supervisors']), /supervisord/, `${report.agent.mode}: supervisord is usable (supervisorctl answers)`);
      assert.equal(report.metrics['stack.redis_running'], true, `${report.agent.mode}: the Redis on port ${redis.port} answers`);
    }
    for (const id of [
      'supervision.supervisors',
      'supervision.available',
      'stack.redis_running',
      'stack.redis_version',
      'stack.cron_available',
      'stack.reverse_proxy',
    ]) {
      assert.deepEqual(sh.metrics[id], agent.metrics[id], id);
    }
  } finally {
    await redis.stop();
    await supervisord.stop();
  }
});

test('the sh probe rejects unknown options and a --root that is not a device tree, with exit 2', async () => {
  const bad = await execCommand('/usr/bin/dash', [PROBE, '--frobnicate'], { timeoutMs: 10_000 });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown option --frobnicate/);
  const notTree = await execCommand('/usr/bin/dash', [PROBE, '--root', '/nonexistent-tree'], { timeoutMs: 10_000 });
  assert.equal(notTree.code, 2);
  assert.match(notTree.stderr, /does not look like a device tree/);
});

test('metric ids and probes the sh probe does not know (added to the catalogue later) are reported null with the reason', async () => {
  const prefix = "EDGEPROBE_PROBES='host later'\nEDGEPROBE_METRICS_host='host.board host.added_later'\nEDGEPROBE_METRICS_later='later.a later.b'\n";
  const result = await execCommand('/usr/bin/busybox', ['sh', '-s', '--', '--quick'], {
    timeoutMs: 60_000,
    input: prefix + shProbePayload().replace(/^EDGEPROBE_(PROBES|METRICS_\w+)=.*\n/gm, ''),
  });
  const check = parseReport(result.stdout);
  assert.ok(check.ok, check.ok ? '' : check.errors.join('; '));
  const report = check.report;
  assert.equal(report.metrics['host.added_later'], null);
  const hostProbe = report.probes.find((p) => p.id === 'host');
  assert.ok(hostProbe, 'the report carries the host probe');
  assert.match(String((hostProbe.details['unmeasured'] as Record<string, string>)['host.added_later']), /POSIX-sh probe/);
  const later = report.probes.find((p) => p.id === 'later');
  assert.equal(later?.status, 'skipped');
  assert.deepEqual(later?.metrics, { 'later.a': null, 'later.b': null });
});

test('the python streaming tier: the stdlib echo server driven by asyncio clients where python3 exists (channels: test/sh-streaming.test.ts); --quick skips it', async () => {
  const sh = await shReport(['/usr/bin/dash'], ['--duration', '4'], true);
  const streaming = sh.probes.find((p) => p.id === 'streaming');
  assert.equal(streaming?.status, 'ok');
  for (const id of [
    'streaming.python_messages_per_second',
    'streaming.python_bytes_per_second',
    'streaming.python_p50_ms',
    'streaming.python_p99_ms',
    'streaming.python_bytes_per_connection',
    'streaming.bytes_per_connection',
    'streaming.idle_connections',
  ]) {
    assert.equal(typeof sh.metrics[id], 'number', `${id}: ${JSON.stringify(streaming?.details)}`);
    assert.ok((sh.metrics[id] as number) > 0, id);
  }
  assert.ok((sh.metrics['streaming.python_p50_ms'] as number) <= (sh.metrics['streaming.python_p99_ms'] as number));
  const reasons = streaming?.details['unmeasured'] as Record<string, string>;
  assert.match(reasons['streaming.node_messages_per_second'] ?? '', /Node agent/);
  assert.match(reasons['streaming.channels_redis_messages_per_second'] ?? '', /Node agent/);
  // A --timeout shorter than the phases would need shortens them instead of losing the figures (12 s: the python
  // inspection, supervision and stack probes run first and take several seconds on a loaded machine).
  const fitted = await shReport(['/usr/bin/dash'], ['--timeout', '12', '--duration', '120'], true);
  const fittedStreaming = fitted.probes.find((p) => p.id === 'streaming');
  assert.match(String(fittedStreaming?.details['durationNote']), /shortened to fit --timeout/);
  assert.equal(typeof fitted.metrics['streaming.python_messages_per_second'], 'number');
  const quick = await shReport(['/usr/bin/dash'], ['--quick'], true);
  const quickStreaming = quick.probes.find((p) => p.id === 'streaming');
  assert.ok(quickStreaming, 'the quick report carries the streaming probe');
  assert.match(String((quickStreaming.details['unmeasured'] as Record<string, string>)['streaming.python_p99_ms']), /--quick/);
});
