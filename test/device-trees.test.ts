// Recorded device trees probed exactly like live ones (--root), through the real runner.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ALL_PROBES } from '../probes/index.js';
import { runProbes } from '../src/engine/runner.js';
import type { Metrics, Report } from '../src/report/types.js';
import { unmeasuredReason } from '../src/report/types.js';
import { validateReport } from '../src/report/validate.js';
import { fixtureRoot, jsonOf, runCli } from './helpers/cli.js';
import { assertExitFromVerdict } from './helpers/verdict-exit.js';

const MiB = 1024 * 1024;

async function probeTree(board: string): Promise<Report> {
  const report = await runProbes(
    ALL_PROBES.filter((p) => ['host', 'memory', 'cpu'].includes(p.id)),
    { root: fixtureRoot(board), quick: false, verbose: false },
  );
  const check = validateReport(report);
  assert.ok(check.ok, `report of ${board} is schema-valid: ${check.ok ? '' : check.errors.join('; ')}`);
  for (const probe of report.probes) assert.equal(probe.status, 'ok', `${board}: probe ${probe.id} ok (${probe.error?.message ?? ''})`);
  return report;
}

function expectMetrics(metrics: Metrics, expected: Metrics): void {
  for (const [id, value] of Object.entries(expected)) assert.deepEqual(metrics[id], value, id);
}

test('Raspberry Pi 3 B, 32-bit userland: board, arch, ~907 MiB, throttling since boot, cgroup v2 without memory controller', async () => {
  const report = await probeTree('pi-3b-bullseye-armhf');
  expectMetrics(report.metrics, {
    'host.board': 'Raspberry Pi 3 Model B Rev 1.2',
    'host.board_ram_bytes': 1024 * MiB,
    'host.os': 'Raspbian GNU/Linux 11 (bullseye)',
    'host.kernel': '6.1.21-v7+',
    'host.in_container': false,
    'cpu.arch': 'armv7l',
    'cpu.userland_bits': 32,
    'cpu.cores': 4,
    'cpu.effective_cpus': 4,
    'cpu.quota_cpus': null,
    'cpu.model': 'Cortex-A53',
    'cpu.max_mhz': 1200,
    'cpu.governor': 'ondemand',
    'cpu.throttled_now': false,
    'cpu.throttled_since_boot': true,
    'cpu.undervoltage_since_boot': true,
    'cpu.temperature_celsius': 51.5,
    'memory.total_bytes': 928884 * 1024,
    'memory.available_bytes': 731204 * 1024,
    'memory.swap_total_bytes': 102396 * 1024,
    'memory.zram_total_bytes': 0,
    'memory.cgroup_limit_bytes': null,
    'memory.effective_total_bytes': 928884 * 1024,
  });
  const memTotalMiB = (report.metrics['memory.total_bytes'] as number) / MiB;
  assert.ok(memTotalMiB > 900 && memTotalMiB < 910, 'a Pi 3 B shows about 907 MiB: the GPU keeps the rest');
  assert.equal(report.host.hostname, 'raspberrypi');
  assert.equal(report.metrics['cpu.single_thread_score'], null);
  assert.match(unmeasuredReason(report, 'cpu.single_thread_score') ?? '', /live system/);
});

test('Raspberry Pi 4 B, 64-bit userland: aarch64, systemd unit limits (MemoryMax, CPUQuota) under cgroup v2, zram', async () => {
  const report = await probeTree('pi-4b-bookworm-arm64');
  expectMetrics(report.metrics, {
    'host.board': 'Raspberry Pi 4 Model B Rev 1.4',
    'host.board_ram_bytes': 4096 * MiB,
    'cpu.arch': 'aarch64',
    'cpu.userland_bits': 64,
    'cpu.model': 'Cortex-A72',
    'cpu.max_mhz': 1800,
    'cpu.cores': 4,
    'cpu.quota_cpus': 2,
    'cpu.effective_cpus': 2,
    'cpu.throttled_now': false,
    'cpu.throttled_since_boot': false,
    'memory.cgroup_limit_bytes': 512 * MiB,
    'memory.cgroup_usage_bytes': 80 * MiB,
    'memory.effective_total_bytes': 512 * MiB,
    // limit - (usage - inactive file) = 512 - (80 - 16) MiB
    'memory.effective_available_bytes': 448 * MiB,
    'memory.zram_total_bytes': 1048572 * 1024,
  });
});

test("a board whose meminfo has no MemAvailable gets the kernel's estimate, and says so", async () => {
  const report = await probeTree('beaglebone-black-kernel-3.8');
  expectMetrics(report.metrics, { 'host.board': 'TI AM335x BeagleBone Black', 'cpu.arch': 'armv7l', 'cpu.model': 'Cortex-A8', 'cpu.cores': 1 });
  // si_mem_available(): free - low + (file - min(file/2, low)) + (sreclaimable - min(sreclaimable/2, low)), low = 885 pages.
  const lowKb = 885 * 4;
  const expectedKb = 301220 - lowKb + (68588 + 76144 - lowKb) + (9452 - lowKb);
  assert.equal(report.metrics['memory.available_bytes'], expectedKb * 1024);
  const memory = report.probes.find((p) => p.id === 'memory');
  assert.match(String(memory?.details['memAvailableEstimated']), /no MemAvailable/);
  assert.equal(report.metrics['memory.cgroup_limit_bytes'], null, 'no cgroups mounted on that kernel');
  assert.match(unmeasuredReason(report, 'memory.cgroup_limit_bytes') ?? '', /no memory cgroup/);
});

test('a Raspberry Pi without a model file or Model line is named from its revision code', async () => {
  const report = await probeTree('pi-zero-w-revision-only');
  expectMetrics(report.metrics, {
    'host.board': 'Raspberry Pi Zero W Rev 1.1',
    'host.board_ram_bytes': 512 * MiB,
    'cpu.arch': 'armv6l',
    'cpu.userland_bits': 32,
    'cpu.model': 'ARM1176JZF-S',
    'cpu.cores': 1,
  });
  const host = report.probes.find((p) => p.id === 'host');
  assert.match(String(host?.details['boardSource']), /revision code 9000c1/);
});

test('an x86 VM: DMI product, x86_64 from the lm flag, no throttling or cpufreq on a non-Pi', async () => {
  const report = await probeTree('x86-kvm-vm');
  expectMetrics(report.metrics, {
    'host.board': 'QEMU Standard PC (Q35 + ICH9, 2009)',
    'cpu.arch': 'x86_64',
    'cpu.cores': 2,
    'cpu.effective_cpus': 2,
    'cpu.max_mhz': 2295,
    'cpu.throttled_now': null,
    'memory.cgroup_limit_bytes': null,
  });
  assert.match(unmeasuredReason(report, 'cpu.throttled_now') ?? '', /not a Raspberry Pi/);
});

test("cgroup v1 container whose mount root is the container's own group: limits read from the mount point", async () => {
  const report = await probeTree('cgroup-v1-docker-limited');
  expectMetrics(report.metrics, {
    'host.in_container': true,
    'cpu.cores': 8,
    'cpu.cpuset_cpus': 4,
    'cpu.quota_cpus': 1.5,
    'cpu.effective_cpus': 1.5,
    'memory.total_bytes': 16393876 * 1024,
    'memory.cgroup_limit_bytes': 256 * MiB,
    'memory.effective_total_bytes': 256 * MiB,
    // 256 MiB - (100 MiB usage - 30 MiB inactive file)
    'memory.effective_available_bytes': (256 - 70) * MiB,
  });
});

test('cgroup v1 host without limits: the huge "unlimited" value is not a limit', async () => {
  const report = await probeTree('cgroup-v1-unlimited');
  expectMetrics(report.metrics, {
    'memory.cgroup_limit_bytes': null,
    'memory.effective_total_bytes': 8152044 * 1024,
    'memory.effective_available_bytes': 6012332 * 1024,
    'cpu.quota_cpus': null,
    'cpu.effective_cpus': 4,
  });
  assert.equal(unmeasuredReason(report, 'memory.cgroup_limit_bytes'), 'unlimited');
});

test('cgroup v2 container with a cgroup namespace: memory.max, cpu.max and cpuset', async () => {
  const report = await probeTree('cgroup-v2-docker-limited');
  expectMetrics(report.metrics, {
    'memory.cgroup_limit_bytes': 512 * MiB,
    'memory.effective_total_bytes': 512 * MiB,
    'memory.effective_available_bytes': 512 * MiB - (150 - 30) * MiB,
    'cpu.cpuset_cpus': 2,
    'cpu.quota_cpus': 0.5,
    'cpu.effective_cpus': 0.5,
  });
});

test('cgroup v2 session with "max" everywhere: no limit, host figures stand', async () => {
  const report = await probeTree('cgroup-v2-unlimited');
  expectMetrics(report.metrics, {
    'memory.cgroup_limit_bytes': null,
    'memory.cgroup_usage_bytes': 700 * MiB,
    'memory.effective_total_bytes': 8152044 * 1024,
    'cpu.quota_cpus': null,
    'cpu.effective_cpus': 4,
  });
});

test('the CLI probes a recorded tree like a live one and says which facts needed the live system', async () => {
  const result = await runCli(['run', '--root', fixtureRoot('pi-3b-bullseye-armhf'), '--only', 'host,memory,cpu', '--format', 'json']);
  const report = jsonOf(result);
  assertExitFromVerdict(result, report);
  assert.ok(validateReport(report).ok);
  assert.equal((report['metrics'] as Metrics)['host.board'], 'Raspberry Pi 3 Model B Rev 1.2');
  assert.equal(result.stderr, '', 'stderr stays quiet when it is not a terminal');
  const text = await runCli(['run', '--root', fixtureRoot('pi-3b-bullseye-armhf'), '--only', 'host,memory,cpu']);
  assert.match(text.stdout, /memory\.total_bytes\s+907 MiB/);
  assert.match(text.stdout, /cpu\.max_mhz\s+1\.20 GHz/);
  assert.match(text.stdout, /cpu\.single_thread_score\s+unknown \(needs the live system/);
});
