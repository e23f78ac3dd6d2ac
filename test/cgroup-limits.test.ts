// The real agent inside real cgroup v1 limits, set here as root: the report must carry the limits, not the host.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateReport } from '../src/report/validate.js';
import { makeGroup, requireCgroupV1 } from './helpers/cgroups.js';
import { AGENT_BUNDLE, jsonOf, runScript } from './helpers/cli.js';
import { assertExitFromVerdict } from './helpers/verdict-exit.js';

const skip = requireCgroupV1(['memory', 'cpu', 'cpuset']);

const MiB = 1024 * 1024;

async function agentIn(groups: string, args: string[]): Promise<Record<string, unknown>> {
  const result = await runScript(AGENT_BUNDLE, args, { command: '/usr/bin/cgexec', prefixArgs: ['-g', groups, process.execPath], timeoutMs: 90_000 });
  const report = jsonOf(result);
  assertExitFromVerdict(result, report);
  const check = validateReport(report);
  assert.ok(check.ok, check.ok ? '' : check.errors.join('; '));
  return report['metrics'] as Record<string, unknown>;
}

test('memory limit and fractional CPU quota are what the agent reports', { skip }, async () => {
  const name = `edgeprobe-test-${process.pid}-quota`;
  const removers = [
    makeGroup('memory', name, { 'memory.limit_in_bytes': String(300 * MiB) }),
    makeGroup('cpu', name, { 'cpu.cfs_period_us': '100000', 'cpu.cfs_quota_us': '150000' }),
  ];
  try {
    const metrics = await agentIn(`memory,cpu:${name}`, ['run', '--format', 'json', '--skip', 'streaming,disk,django']);
    assert.equal(metrics['memory.cgroup_limit_bytes'], 300 * MiB);
    assert.equal(metrics['memory.effective_total_bytes'], 300 * MiB);
    assert.ok((metrics['memory.effective_available_bytes'] as number) < 300 * MiB);
    assert.ok((metrics['memory.total_bytes'] as number) > 300 * MiB, '/proc/meminfo still shows the host');
    assert.equal(metrics['cpu.quota_cpus'], 1.5);
    assert.equal(metrics['cpu.effective_cpus'], 1.5);
    assert.ok((metrics['cpu.multi_thread_score'] as number) > 0, 'the benchmark ran on ⌈1.5⌉ threads inside the quota');
  } finally {
    for (const remove of removers) remove();
  }
});

test('a cpuset of one CPU makes one effective CPU, whatever the host has', { skip }, async () => {
  const name = `edgeprobe-test-${process.pid}-cpuset`;
  const remove = makeGroup('cpuset', name, { 'cpuset.cpus': '0', 'cpuset.mems': '0' });
  try {
    const metrics = await agentIn(`cpuset:${name}`, ['run', '--quick', '--format', 'json']);
    assert.equal(metrics['cpu.cpuset_cpus'], 1);
    assert.equal(metrics['cpu.effective_cpus'], 1);
    assert.ok((metrics['cpu.cores'] as number) >= 1);
  } finally {
    remove();
  }
});
