// The lab's SSH "device": OpenSSH in its own network namespace and address, inside Pi-like cgroup limits, its
// sessions chrooted into an emulated ARM userland. Reports gathered over SSH must carry the device's machine
// and limits, not this host's; stopping the device removes its namespace, veth pair and cgroups.

import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { PI_PROFILES } from '../scripts/lab/cgroup-limits.js';
import { chrootRefusal, type SshDevice, startSshDevice } from '../scripts/lab/ssh-device.js';
import { ensureUserlands, type LabArch, repoRoot, type Userland } from '../scripts/lab/userland.js';
import { execCommand, makeTempDir, removeTemp } from '../src/platform/process.js';
import { validateReport } from '../src/report/validate.js';
import { executable, requireComponent } from './helpers/env.js';

const ready =
  process.getuid?.() === 0 &&
  executable('/usr/sbin/sshd') &&
  executable('/usr/bin/ssh') &&
  executable('/usr/sbin/debootstrap') &&
  executable('/usr/bin/qemu-aarch64-static') &&
  executable('/usr/bin/nsenter') &&
  executable('/usr/sbin/ip');
const skip = requireComponent(
  ready,
  'root, OpenSSH, iproute2, util-linux nsenter, debootstrap and qemu-user-static',
  'scripts/install-test-deps.sh, run as root',
);

let userlands = new Map<LabArch, Userland>();
const devices: SshDevice[] = [];

before(
  async () => {
    if (skip) return;
    userlands = await ensureUserlands();
  },
  { timeout: 45 * 60_000 },
);

after(async () => {
  for (const device of devices) await device.stop();
});

async function device(arch: LabArch, profile: keyof typeof PI_PROFILES): Promise<SshDevice> {
  const userland = userlands.get(arch);
  assert.ok(userland);
  const started = await startSshDevice({ limits: PI_PROFILES[profile], userland });
  devices.push(started);
  return started;
}

test('the agent streamed over ssh to the arm64 device reports aarch64 and the Pi Zero W limits', { skip }, async () => {
  const zero = await device('arm64', 'pi-zero-w');
  assert.match(zero.host, /^10\.233\.\d+\.\d+$/);
  const result = await execCommand('ssh', [...zero.sshOptions, `${zero.user}@${zero.host}`, 'node', '-', 'run', '--quick', '--format', 'json'], {
    timeoutMs: 120_000,
    input: readFileSync(`${repoRoot()}/dist/edgeprobe-agent.js`),
  });
  assert.ok([0, 1, 3].includes(result.code ?? -1), `ssh: exit ${String(result.code)}\n${result.stderr}\n${zero.log()}`);
  const report = JSON.parse(result.stdout) as Record<string, unknown>;
  const check = validateReport(report);
  assert.ok(check.ok, check.ok ? '' : check.errors.join('; '));
  const metrics = report['metrics'] as Record<string, unknown>;
  assert.equal(metrics['cpu.arch'], 'aarch64');
  assert.equal(metrics['memory.effective_total_bytes'], PI_PROFILES['pi-zero-w'].memoryBytes);
  assert.equal(metrics['cpu.effective_cpus'], 1);
});

test('the device has its own address: unreachable once stopped, and nothing of it is left', { skip }, async () => {
  const pi3 = await device('armhf', 'pi-3');
  const uname = await execCommand(
    'ssh',
    [...pi3.sshOptions, `${pi3.user}@${pi3.host}`, 'uname -m; cat /proc/self/cgroup | grep memory; ip -o -4 addr show 2>/dev/null | wc -l'],
    { timeoutMs: 60_000 },
  );
  assert.equal(uname.code, 0, uname.stderr);
  assert.equal(uname.stdout.split('\n')[0], 'armv7l');
  assert.match(uname.stdout, /memory:.*edgeprobe-lab-/, 'the session runs inside the device cgroup');
  const ownRoutes = await execCommand('ip', ['-4', 'route', 'get', pi3.host], { timeoutMs: 10_000 });
  assert.ok(ownRoutes.stdout.includes(`dev ${pi3.hostInterface}`), 'reached through the device veth, not loopback');
  await pi3.stop();
  devices.splice(devices.indexOf(pi3), 1);
  assert.ok(!existsSync(`/run/netns/${pi3.netns}`), 'network namespace removed');
  const links = await execCommand('ip', ['-o', 'link'], { timeoutMs: 10_000 });
  assert.ok(!links.stdout.includes(`${pi3.hostInterface}@`), 'veth pair removed');
  const again = await execCommand('ssh', ['-o', 'ConnectTimeout=2', ...pi3.sshOptions, `${pi3.user}@${pi3.host}`, 'true'], { timeoutMs: 20_000 });
  assert.notEqual(again.code, 0, 'the address is gone with the namespace');
});

test('a userland under a directory others may write to is refused before sshd starts, with the reason (sshd would drop every login)', () => {
  const dir = makeTempDir('chroot-check');
  try {
    const userland = join(dir, 'arm64');
    mkdirSync(userland);
    chmodSync(dir, 0o777);
    assert.match(chrootRefusal(userland) ?? '', new RegExp(`${dir} is writable by others \\(mode 777\\).*EDGEPROBE_LAB_CACHE`));
    assert.equal(chrootRefusal('/usr/bin'), null);
  } finally {
    removeTemp(dir);
  }
});
