// Memory and CPU limits set on ancestors, memory.high, and --unit / --cgroup, on constructed device trees
// (test/fixtures/devices/constructed-*: recorded trees with made-up cgroup figures, each described in its
// CONSTRUCTED.md) and on this machine, through the real CLI.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { normaliseCgroupPath, normaliseUnitName, systemUnitCgroupPath } from '../probes/lib/cgroup-target.js';
import { cgroupMemoryHeadroom } from '../probes/lib/parsers/cgroup-memory.js';
import { execCommand } from '../src/platform/process.js';
import { validateReport } from '../src/report/validate.js';
import { CLI, type CliResult, fixtureRoot, jsonOf, REPO_ROOT, runCli, runScript } from './helpers/cli.js';
import { executable } from './helpers/env.js';

const MiB = 1024 * 1024;

interface Probed {
  metrics: Record<string, unknown>;
  details: Record<string, Record<string, unknown>>;
  options: Record<string, unknown>;
}

async function probe(args: string[]): Promise<Probed> {
  const result = await runCli(['run', '--quick', '--only', 'host,memory,cpu', '--format', 'json', ...args]);
  assert.ok([0, 1, 3].includes(result.code ?? -1), `run exits with a verdict code, got ${String(result.code)}: ${result.stderr}`);
  const report = jsonOf(result);
  const check = validateReport(report);
  assert.ok(check.ok, check.ok ? '' : check.errors.join('; '));
  const probes = report['probes'] as Array<{ id: string; details: Record<string, unknown> }>;
  return {
    metrics: report['metrics'] as Record<string, unknown>,
    details: Object.fromEntries(probes.map((p) => [p.id, p.details])),
    options: report['options'] as Record<string, unknown>,
  };
}

const tree = (name: string): string[] => ['--root', fixtureRoot(name)];

test('made-up slice figures: a session under user-1000.slice (MemoryMax=1G, 900 MiB used) has 174 MiB, not ~1 GiB (cgroup v2)', async () => {
  const { metrics, details } = await probe(tree('constructed-user-slice-limit'));
  assert.equal(metrics['memory.cgroup_path'], '/user.slice/user-1000.slice/session-5.scope');
  assert.equal(metrics['memory.cgroup_limit_bytes'], 1024 * MiB);
  assert.equal(metrics['memory.effective_total_bytes'], 1024 * MiB);
  // 1024 − (900 − 50 inactive file) at the slice; the session's own 40 MiB do not decide it.
  assert.equal(metrics['memory.effective_available_bytes'], 174 * MiB);
  assert.equal(details['memory']?.['availableBoundBy'], '/sys/fs/cgroup/user.slice/user-1000.slice');
  assert.ok((metrics['memory.effective_available_bytes'] as number) <= (metrics['memory.available_bytes'] as number));
});

test('made-up slice figures: the same parent limit under cgroup v1 (usage_in_bytes and total_inactive_file of the slice)', async () => {
  const { metrics } = await probe(tree('constructed-v1-user-slice-limit'));
  assert.equal(metrics['memory.cgroup_path'], '/user.slice/user-1000.slice/session-4.scope');
  assert.equal(metrics['memory.cgroup_limit_bytes'], 1024 * MiB);
  assert.equal(metrics['memory.effective_available_bytes'], 174 * MiB);
  assert.equal(metrics['memory.cgroup_high_bytes'], null, 'cgroup v1 has no memory.high');
});

test('made-up MemoryHigh=256M under MemoryMax=512M: memory.high is reported and is the limit judged', async () => {
  const { metrics, details } = await probe(tree('constructed-service-memory-high'));
  assert.equal(metrics['memory.cgroup_limit_bytes'], 512 * MiB);
  assert.equal(metrics['memory.cgroup_high_bytes'], 256 * MiB);
  assert.equal(metrics['memory.effective_total_bytes'], 256 * MiB);
  assert.equal(metrics['memory.effective_available_bytes'], (256 - (80 - 16)) * MiB);
  assert.equal(details['memory']?.['memoryHighSetAt'], '/sys/fs/cgroup/system.slice/edge-app.service');
});

test('made-up AllowedCPUs=0-1 on user.slice: the session inherits the cpuset it has no file for', async () => {
  const { metrics, details } = await probe(tree('constructed-user-slice-limit'));
  assert.equal(metrics['cpu.cores'], 4);
  assert.equal(metrics['cpu.cpuset_cpus'], 2);
  assert.equal(metrics['cpu.effective_cpus'], 2);
  assert.deepEqual(details['cpu']?.['cpuset'], { file: '/sys/fs/cgroup/user.slice/cpuset.cpus.effective', cpus: '0-1' });
});

test('made-up service limits: --unit and --cgroup measure the service, not the session the probe runs in', async () => {
  const session = await probe(tree('constructed-session-and-service'));
  assert.equal(session.metrics['memory.cgroup_path'], '/user.slice/user-1000.slice/session-7.scope');
  assert.equal(session.metrics['memory.cgroup_limit_bytes'], null);
  assert.equal(session.metrics['cpu.effective_cpus'], 4);

  const unit = await probe([...tree('constructed-session-and-service'), '--unit', 'myapp.service']);
  const expected = {
    'memory.cgroup_path': '/system.slice/myapp.service',
    'cpu.cgroup_path': '/system.slice/myapp.service',
    'memory.cgroup_limit_bytes': 512 * MiB,
    'memory.cgroup_high_bytes': 384 * MiB,
    'memory.cgroup_usage_bytes': 200 * MiB,
    'memory.effective_total_bytes': 384 * MiB,
    'memory.effective_available_bytes': (384 - (200 - 20)) * MiB,
    'cpu.quota_cpus': 1.5,
    'cpu.affinity_cpus': 3,
    'cpu.effective_cpus': 1.5,
  };
  for (const [id, value] of Object.entries(expected)) assert.equal(unit.metrics[id], value, `--unit: ${id}`);
  assert.deepEqual(unit.options['measuredGroup'], {
    path: '/system.slice/myapp.service',
    source: 'unit myapp.service (where systemd puts it in the recorded tree)',
  });
  assert.equal(
    (unit.details['memory']?.['cgroup'] as Record<string, unknown> | undefined)?.['source'],
    'unit myapp.service (where systemd puts it in the recorded tree)',
  );
  assert.deepEqual(unit.details['cpu']?.['affinity'], { file: '/proc/812/status', cpus: '0-2' }, "the affinity of the service's first process");
  const ownGroup = unit.details['memory']?.['ownGroup'] as Record<string, unknown>;
  assert.equal(ownGroup['path'], '/user.slice/user-1000.slice/session-7.scope', 'the load tests run in the session: its headroom is kept beside');

  const named = await probe([...tree('constructed-session-and-service'), '--unit', 'myapp']);
  const cgroup = await probe([...tree('constructed-session-and-service'), '--cgroup', 'system.slice/myapp.service']);
  for (const id of Object.keys(expected)) {
    assert.equal(named.metrics[id], unit.metrics[id], `--unit myapp: ${id}`);
    assert.equal(cgroup.metrics[id], unit.metrics[id], `--cgroup: ${id}`);
  }
  assert.equal(cgroup.options['cgroup'], 'system.slice/myapp.service');
});

function assertUsage(result: CliResult, pattern: RegExp): void {
  assert.equal(result.code, 2, `exit 2 (usage), got ${String(result.code)}: ${result.stderr}`);
  assert.match(result.stderr, pattern);
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  assert.equal(result.stdout, '', 'no partial report');
}

test('a unit or cgroup that does not exist, or a malformed one, is a usage error (exit 2) before anything is probed', async () => {
  const root = tree('constructed-session-and-service');
  assertUsage(await runCli(['run', ...root, '--unit', 'nope.service']), /--unit nope\.service: no cgroup \/system\.slice\/nope\.service/);
  assertUsage(await runCli(['run', ...root, '--cgroup', 'system.slice/nope.service']), /--cgroup system\.slice\/nope\.service: no cgroup/);
  assertUsage(await runCli(['run', ...root, '--cgroup', '../../etc']), /no "\.\."/);
  assertUsage(await runCli(['run', ...root, '--unit', 'backup.timer']), /only a \.service, \.scope or \.slice has a cgroup/);
  assertUsage(await runCli(['run', ...root, '--unit', 'my app']), /not a systemd unit name/);
  assertUsage(await runCli(['run', ...root, '--unit', 'myapp.service', '--cgroup', 'system.slice']), /give one of them/);
  assertUsage(await runCli(['run', ...tree('beaglebone-black-kernel-3.8'), '--cgroup', 'system.slice']), /mountinfo/);
});

test("live: --cgroup names this process's own memory group and finds it; a missing one is exit 2", async (t) => {
  const own = readFileSync('/proc/self/cgroup', 'utf8')
    .split('\n')
    .map((l) => l.split(':'))
    .find((f) => f[1]?.split(',').includes('memory') || (f[0] === '0' && f[1] === ''));
  if (!own?.[2]) {
    t.skip('this machine shows no memory cgroup in /proc/self/cgroup');
    return;
  }
  const { metrics, options } = await probe(['--cgroup', own[2]]);
  assert.equal(metrics['memory.cgroup_path'], own[2] === '/' ? '/' : own[2].replace(/\/$/, ''));
  assert.equal((options['measuredGroup'] as Record<string, unknown>)['source'], '--cgroup');
  assertUsage(await runCli(['run', '--quick', '--cgroup', `/edgeprobe-no-such-group-${process.pid}`]), /no cgroup \/edgeprobe-no-such-group-/);
});

test('live: --unit without a running systemd says so and exits 2', { skip: existsSync('/run/systemd/system') ? 'systemd runs here' : false }, async () => {
  assertUsage(await runCli(['run', '--quick', '--unit', 'myapp.service']), /--unit myapp\.service: (no systemctl|systemctl show failed)/);
});

test("live: the process's CPU affinity bounds the effective CPUs (taskset -c 0)", {
  skip: executable('/usr/bin/taskset') ? false : 'no taskset (util-linux)',
}, async () => {
  const result = await runScript(CLI, ['run', '--quick', '--only', 'cpu', '--format', 'json'], {
    command: '/usr/bin/taskset',
    prefixArgs: ['-c', '0', process.execPath],
  });
  const metrics = jsonOf(result)['metrics'] as Record<string, unknown>;
  assert.equal(metrics['cpu.affinity_cpus'], 1);
  assert.equal(metrics['cpu.effective_cpus'], 1);
  // The POSIX-sh probe reads the same Cpus_allowed_list (of its own shell).
  const sh = await execCommand('/usr/bin/taskset', ['-c', '0', '/usr/bin/dash', join(REPO_ROOT, 'dist', 'edgeprobe-probe.sh'), '--quick'], {
    timeoutMs: 60_000,
  });
  const shMetrics = JSON.parse(sh.stdout).metrics as Record<string, unknown>;
  assert.equal(shMetrics['cpu.affinity_cpus'], 1);
  assert.equal(shMetrics['cpu.effective_cpus'], 1);
});

test("made-up levels: the smallest limit − working set wins; unreadable usage borrows the nearest descendant's; a hidden v1 limit counts", () => {
  const level = (dir: string, max: number | null, high: number | null, usage: number | null, inactiveFile: number | null) => ({
    dir,
    max,
    high,
    usage,
    inactiveFile,
  });
  const found = cgroupMemoryHeadroom([
    level('/g/session', null, null, 40 * MiB, 8 * MiB),
    level('/g/slice', 1024 * MiB, 900 * MiB, null, null),
    level('/g', 2048 * MiB, null, 1900 * MiB, 100 * MiB),
  ]);
  assert.equal(found.max, 1024 * MiB);
  assert.equal(found.high, 900 * MiB);
  // The slice: min(max, high) 900 − the session's 32 MiB (a lower bound); the top: 2048 − 1800 = 248.
  assert.deepEqual(
    found.levels.map((l) => [l.dir, l.headroom / MiB]),
    [
      ['/g/slice', 868],
      ['/g', 248],
    ],
  );
  assert.equal(found.headroom, 248 * MiB);
  assert.equal(found.headroomAt, '/g');
  assert.match(found.levels[0]?.note ?? '', /lower bound/);
  const hidden = cgroupMemoryHeadroom([level('/', null, null, 100 * MiB, 10 * MiB)], 256 * MiB);
  assert.equal(hidden.max, 256 * MiB);
  assert.equal(hidden.headroom, 166 * MiB);
  assert.equal(cgroupMemoryHeadroom([level('/', null, null, 5, 0)]).headroom, null, 'no limit anywhere: no headroom figure');
  assert.equal(cgroupMemoryHeadroom([level('/x', 100, null, 300, 0)]).headroom, 0, 'over the limit: 0, never negative');
});

test('unit names and cgroup paths: the forms systemd and the cgroup root use', () => {
  assert.equal(normaliseUnitName('myapp'), 'myapp.service');
  assert.equal(normaliseUnitName('user-1000.slice'), 'user-1000.slice');
  assert.equal(normaliseUnitName('getty@tty1.service'), 'getty@tty1.service');
  assert.equal(systemUnitCgroupPath('myapp.service'), '/system.slice/myapp.service');
  assert.equal(systemUnitCgroupPath('user-1000.slice'), '/user.slice/user-1000.slice');
  assert.equal(systemUnitCgroupPath('-.slice'), '/');
  assert.equal(normaliseCgroupPath('system.slice//myapp.service/'), '/system.slice/myapp.service');
  assert.equal(normaliseCgroupPath('/'), '/');
  assert.throws(() => normaliseCgroupPath('a/../../b'), /no "\.\."/);
  assert.throws(() => normaliseCgroupPath(''), /expected a path/);
});
