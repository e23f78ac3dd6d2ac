// The POSIX-sh probe on the ARMv6 armel userland (which has no node), and `edgeprobe ssh` against the lab's
// namespaced SSH devices: the reports carry the emulated machine and the device's cgroup limits.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { PI_PROFILES } from '../scripts/lab/cgroup-limits.js';
import { type SshDevice, startSshDevice } from '../scripts/lab/ssh-device.js';
import { ensureUserlands, type LabArch, runInUserland, type Userland } from '../scripts/lab/userland.js';
import { makeTempDir, removeTemp } from '../src/platform/process.js';
import type { Report } from '../src/report/types.js';
import { parseReport } from '../src/report/validate.js';
import { REPO_ROOT, runCli } from './helpers/cli.js';
import { executable, requireComponent } from './helpers/env.js';

const ready =
  process.getuid?.() === 0 &&
  executable('/usr/sbin/sshd') &&
  executable('/usr/sbin/debootstrap') &&
  executable('/usr/bin/qemu-arm-static') &&
  executable('/usr/bin/qemu-aarch64-static') &&
  executable('/usr/bin/nsenter');
// The assembled probe (npm run build): the sh script with the Python helpers it carries.
const SH_PROBE = join(REPO_ROOT, 'dist', 'edgeprobe-probe.sh');
const skip = requireComponent(ready, 'root, OpenSSH, debootstrap, qemu-user-static and util-linux nsenter', 'scripts/install-test-deps.sh, run as root');

const MiB = 1024 * 1024;
let userlands = new Map<LabArch, Userland>();
const devices: SshDevice[] = [];
const work = makeTempDir('lab-remote-test');

before(
  async () => {
    if (skip) return;
    userlands = await ensureUserlands();
  },
  { timeout: 45 * 60_000 },
);

after(async () => {
  for (const device of devices) await device.stop();
  removeTemp(work);
});

function userland(arch: LabArch): Userland {
  const found = userlands.get(arch);
  assert.ok(found, `${arch} userland`);
  return found;
}

function parsed(text: string, where: string): Report {
  const check = parseReport(text);
  assert.ok(check.ok, `${where}: report validates: ${check.ok ? '' : check.errors.join('; ')}\n${text.slice(0, 400)}`);
  return check.report;
}

for (const [shell, argv] of [
  ['dash', ['/bin/sh']],
  ['busybox ash', ['/bin/busybox', 'ash']],
] as const) {
  test(`the sh probe under ${shell} in the armel userland (ARMv6, no node) reports armv6l and the Pi Zero W limits`, { skip }, async () => {
    const result = await runInUserland(userland('armel'), [...argv, '-s', '--', '--quick'], {
      limits: PI_PROFILES['pi-zero-w'],
      input: readFileSync(SH_PROBE),
      timeoutMs: 180_000,
    });
    assert.equal(result.code, 0, result.stderr);
    const report = parsed(result.stdout, `sh probe (${shell})`);
    assert.equal(report.agent.mode, 'posix-sh');
    assert.equal(report.agent.node, null);
    assert.equal(report.metrics['cpu.arch'], 'armv6l');
    assert.equal(report.metrics['cpu.kernel_arch'], 'armv6l');
    // Read from /bin/sh itself: /proc/<shell pid>/exe would name the (x86-64) qemu interpreter under qemu-user.
    assert.equal(report.metrics['cpu.userland_arch'], 'armv6l', 'armel dash on an ARMv6 CPU');
    assert.equal(report.metrics['cpu.userland_bits'], 32);
    assert.equal(report.metrics['memory.cgroup_limit_bytes'], 512 * MiB);
    assert.equal(report.metrics['memory.effective_total_bytes'], 512 * MiB);
    assert.equal(report.metrics['cpu.quota_cpus'], 1);
    assert.equal(report.metrics['cpu.effective_cpus'], 1);
    assert.equal(report.metrics['python.found'], true, "Debian's python3 in the userland");
  });
}

async function edgeprobeSsh(device: SshDevice, name: string, extra: string[]): Promise<{ report: Report; summary: Record<string, unknown> }> {
  const out = join(work, name);
  const result = await runCli(
    [
      'ssh',
      `${device.user}@${device.host}`,
      '--quick',
      '--format',
      'json',
      '--out',
      out,
      '--ssh-option',
      `IdentityFile=${device.identityFile}`,
      '--ssh-option',
      `UserKnownHostsFile=${device.knownHostsFile}`,
      '--ssh-option',
      'StrictHostKeyChecking=yes',
      '--ssh-option',
      'IdentitiesOnly=yes',
      ...extra,
    ],
    { timeoutMs: 300_000 },
  );
  assert.ok(result.code === 0 || result.code === 1 || result.code === 3, `edgeprobe ssh: exit ${String(result.code)}\n${result.stderr}\n${device.log()}`);
  const summary = JSON.parse(result.stdout) as Record<string, unknown>;
  const hosts = summary['hosts'] as Array<Record<string, unknown>>;
  assert.equal(hosts.length, 1);
  assert.equal(hosts[0]?.['status'], 'ok', `${JSON.stringify(hosts[0])}\n${device.log()}`);
  const file = hosts[0]?.['reportFile'];
  assert.equal(typeof file, 'string');
  return { report: parsed(readFileSync(String(file), 'utf8'), name), summary: hosts[0] ?? {} };
}

test('edgeprobe ssh against the arm64 device (its own network namespace, Pi 3 limits) returns aarch64 and the limits', { skip }, async () => {
  const device = await startSshDevice({ limits: PI_PROFILES['pi-3'], userland: userland('arm64') });
  devices.push(device);
  const { report, summary } = await edgeprobeSsh(device, 'arm64', []);
  assert.equal(summary['mode'], 'node');
  assert.equal(report.agent.mode, 'node');
  assert.match(String(report.agent.node), /^v?18\./, "Debian's node 18 on the device");
  assert.equal(report.metrics['cpu.arch'], 'aarch64');
  assert.equal(report.metrics['memory.effective_total_bytes'], PI_PROFILES['pi-3'].memoryBytes);
  assert.equal(report.metrics['cpu.effective_cpus'], 2);
});

test('edgeprobe ssh against the armel device (no node, Pi Zero W limits) falls back to the sh probe: armv6l and the limits', { skip }, async () => {
  const device = await startSshDevice({ limits: PI_PROFILES['pi-zero-w'], userland: userland('armel') });
  devices.push(device);
  const { report, summary } = await edgeprobeSsh(device, 'armel', []);
  assert.equal(summary['mode'], 'posix-sh');
  assert.equal(report.agent.mode, 'posix-sh');
  assert.equal(report.metrics['cpu.arch'], 'armv6l');
  assert.equal(report.metrics['memory.effective_total_bytes'], 512 * MiB);
  assert.equal(report.metrics['cpu.effective_cpus'], 1);
});
