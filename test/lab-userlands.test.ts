// The agent bundle in Debian's real ARM userlands (arm64, armhf) under qemu-user, inside Pi-like cgroup limits:
// the report must carry the emulated machine and the limits that were set. armel runs as an ARMv6 (arm1176).
// The userlands come from scripts/lab/build-userlands.sh: from its cache, or built here on a cold machine.

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { before, test } from 'node:test';
import { type Limits, PI_PROFILES } from '../scripts/lab/cgroup-limits.js';
import { ensureUserlands, type LabArch, runAgentInUserland, runInUserland, type Userland } from '../scripts/lab/userland.js';
import { validateReport } from '../src/report/validate.js';
import { executable, requireComponent } from './helpers/env.js';

const canBuild =
  process.getuid?.() === 0 &&
  executable('/usr/sbin/debootstrap') &&
  executable('/usr/bin/qemu-aarch64-static') &&
  executable('/usr/bin/qemu-arm-static') &&
  existsSync('/sys/fs/cgroup');
const skip = requireComponent(canBuild, 'root, debootstrap, qemu-user-static and cgroups', 'scripts/install-test-deps.sh, run as root');

const MiB = 1024 * 1024;
let userlands = new Map<LabArch, Userland>();

before(
  async () => {
    if (skip) return;
    userlands = await ensureUserlands();
  },
  { timeout: 45 * 60_000 },
);

function userland(arch: LabArch): Userland {
  const found = userlands.get(arch);
  assert.ok(found, `${arch} userland`);
  return found;
}

async function agentReport(arch: LabArch, limits: Limits, args: string[]): Promise<Record<string, unknown>> {
  const result = await runAgentInUserland(userland(arch), ['run', ...args, '--format', 'json'], { limits, timeoutMs: 180_000 });
  assert.ok([0, 1, 3].includes(result.code ?? -1), `agent in ${arch}: exit ${String(result.code)}\n${result.stderr}`);
  const report = JSON.parse(result.stdout) as Record<string, unknown>;
  const check = validateReport(report);
  assert.ok(check.ok, check.ok ? '' : check.errors.join('; '));
  return report;
}

const cases: Array<{ arch: LabArch; machine: string; bits: number; profile: keyof typeof PI_PROFILES; cpus: number }> = [
  { arch: 'arm64', machine: 'aarch64', bits: 64, profile: 'pi-zero-w', cpus: 1 },
  { arch: 'arm64', machine: 'aarch64', bits: 64, profile: 'pi-3', cpus: 2 },
  { arch: 'armhf', machine: 'armv7l', bits: 32, profile: 'pi-zero-w', cpus: 1 },
  { arch: 'armhf', machine: 'armv7l', bits: 32, profile: 'pi-3', cpus: 2 },
];

for (const c of cases) {
  test(`agent bundle on Debian's node in the ${c.arch} userland, ${c.profile} limits: ${c.machine}, limits reported`, { skip }, async () => {
    const limits = PI_PROFILES[c.profile];
    const report = await agentReport(c.arch, limits, ['--quick']);
    const metrics = report['metrics'] as Record<string, unknown>;
    assert.equal(metrics['cpu.arch'], c.machine);
    assert.equal(metrics['cpu.kernel_arch'], c.machine);
    assert.equal(metrics['cpu.userland_arch'], c.machine, "the ELF header of the userland's /bin/sh");
    assert.equal(metrics['cpu.userland_bits'], c.bits);
    assert.equal(metrics['memory.cgroup_limit_bytes'], limits.memoryBytes);
    assert.equal(metrics['memory.effective_total_bytes'], limits.memoryBytes);
    assert.ok((metrics['memory.total_bytes'] as number) > limits.memoryBytes, '/proc/meminfo shows the host; the limit is what counts');
    assert.equal(metrics['cpu.quota_cpus'], c.cpus);
    assert.equal(metrics['cpu.effective_cpus'], c.cpus);
    assert.equal(metrics['python.version'], userland(c.arch).manifest.python, "Debian's python3 inside the userland, run under emulation");
    const agent = report['agent'] as Record<string, unknown>;
    assert.match(String(agent['node']), /^v?18\./, 'Debian bookworm ships Node 18');
  });
}

test('a fractional quota and a one-CPU cpuset in the armhf userland: 0.5 CPU, 256 MiB, and the CPU benchmark runs under emulation', { skip }, async () => {
  const limits: Limits = { cpus: 0.5, cpuset: '0', memoryBytes: 256 * MiB };
  const report = await agentReport('armhf', limits, ['--only', 'cpu,memory']);
  const metrics = report['metrics'] as Record<string, unknown>;
  assert.equal(metrics['cpu.arch'], 'armv7l');
  assert.equal(metrics['cpu.quota_cpus'], 0.5);
  assert.equal(metrics['cpu.cpuset_cpus'], 1);
  assert.equal(metrics['cpu.effective_cpus'], 0.5);
  assert.equal(metrics['memory.effective_total_bytes'], 256 * MiB);
  assert.ok((metrics['cpu.single_thread_score'] as number) > 0, 'benchmark worker threads start and score under qemu-arm');
});

test('the armel userland runs as an ARMv6 (arm1176, as on a Pi Zero W) and has no node', { skip }, async () => {
  const armel = userland('armel');
  const result = await runInUserland(
    armel,
    ['/bin/sh', '-c', 'uname -m; command -v node || echo no-node; python3 -c "import platform; print(platform.machine())"'],
    { timeoutMs: 60_000 },
  );
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(result.stdout.trim().split('\n'), ['armv6l', 'no-node', 'armv6l']);
  assert.equal(armel.manifest.machine, 'armv6l');
});

test('a run leaves nothing behind: no mount in the cached userland, no cgroup, an empty /tmp', { skip }, async () => {
  const arm64 = userland('arm64');
  const name = `edgeprobe-lab-test-${process.pid}-leftovers`;
  const result = await runAgentInUserland(arm64, ['run', '--quick', '--format', 'json'], {
    limits: PI_PROFILES['pi-zero-w'],
    groupName: name,
    timeoutMs: 180_000,
  });
  assert.ok([0, 1, 3].includes(result.code ?? -1), result.stderr);
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((line) => line.includes(arm64.dir));
  assert.deepEqual(mounts, [], 'the userland mounts lived in a private namespace');
  for (const controller of ['memory', 'cpu', 'cpuset']) {
    const groups = readFileSync('/proc/self/cgroup', 'utf8');
    assert.ok(!groups.includes(name));
    assert.ok(!findDir(`/sys/fs/cgroup/${controller}`, name, 3), `cgroup ${name} removed from ${controller}`);
  }
  assert.deepEqual(readdirSync(`${arm64.dir}/tmp`), [], '/tmp of the cached userland untouched (a private tmpfs was used)');
});

function findDir(root: string, name: string, depth: number): boolean {
  if (depth < 0 || !existsSync(root)) return false;
  let entries: string[] = [];
  try {
    entries = readdirSync(root, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch {
    return false;
  }
  return entries.includes(name) || entries.some((entry) => findDir(`${root}/${entry}`, name, depth - 1));
}
