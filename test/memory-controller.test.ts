// The kernel's memory controller switched off, as Raspberry Pi kernels ship it: on the recorded Pi 3 tree and
// the constructed Pi 4 tree with cgroup_disable=memory, the agent and the POSIX-sh probe say that no memory
// limit can be enforced (not "unlimited"), and judge against the host's memory; trees with the controller on
// are unchanged.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { memoryControllerOff, memoryControllerOnCmdline } from '../probes/lib/parsers/memory-controller.js';
import { execCommand } from '../src/platform/process.js';
import { fixtureRoot, jsonOf, REPO_ROOT, runCli } from './helpers/cli.js';
import { executable, requireComponent } from './helpers/env.js';

const SH_PROBE = join(REPO_ROOT, 'dist', 'edgeprobe-probe.sh');
const CGROUP_IDS = ['memory.cgroup_usage_bytes', 'memory.cgroup_limit_bytes', 'memory.cgroup_high_bytes'];

interface MemoryView {
  metrics: Record<string, unknown>;
  details: Record<string, unknown>;
}

function memoryOf(stdout: string): MemoryView {
  const report = JSON.parse(stdout) as { metrics: Record<string, unknown>; probes: Array<{ id: string; details: Record<string, unknown> }> };
  const memory = report.probes.find((p) => p.id === 'memory');
  assert.ok(memory, 'a memory probe in the report');
  return { metrics: report.metrics, details: memory.details };
}

const treeText = (tree: string, path: string): string => readFileSync(join(fixtureRoot(tree), path), 'utf8');

test('on the recorded and constructed trees the evidence reads as the kernel left it', () => {
  const piOff = 'constructed-pi-4b-memory-controller-off';
  assert.equal(memoryControllerOnCmdline(treeText(piOff, 'proc/cmdline')), 'off');
  const offReason = memoryControllerOff({
    procCgroups: treeText(piOff, 'proc/cgroups'),
    cmdline: treeText(piOff, 'proc/cmdline'),
    v2RootControllers: treeText(piOff, 'sys/fs/cgroup/cgroup.controllers'),
  });
  assert.match(offReason ?? '', /cgroup_disable=memory on the kernel command line; the cgroup v2 root offers only: cpuset cpu io pids/);
  const pi3 = memoryControllerOff({
    procCgroups: null,
    cmdline: null,
    v2RootControllers: treeText('pi-3b-bullseye-armhf', 'sys/fs/cgroup/cgroup.controllers'),
  });
  assert.match(pi3 ?? '', /the cgroup v2 root offers only: cpuset cpu io pids/);
  const pi4On = memoryControllerOff({
    procCgroups: null,
    cmdline: null,
    v2RootControllers: treeText('pi-4b-bookworm-arm64', 'sys/fs/cgroup/cgroup.controllers'),
  });
  assert.equal(pi4On, null);
});

test('made-up command lines: cgroup_enable=memory after cgroup_disable=memory turns it back on; a listing that shows it working wins', () => {
  assert.equal(memoryControllerOnCmdline('console=tty1 cgroup_disable=memory root=/dev/mmcblk0p2 cgroup_enable=cpuset,memory'), 'on');
  assert.equal(memoryControllerOnCmdline('cgroup_enable=memory cgroup_disable=memory'), 'off');
  assert.equal(memoryControllerOnCmdline('cgroup_disable=cpuset quiet'), null);
  assert.equal(memoryControllerOff({ procCgroups: null, cmdline: 'cgroup_disable=memory', v2RootControllers: 'cpuset cpu io memory pids' }), null);
  assert.equal(memoryControllerOff({ procCgroups: 'memory\t0\t50\t1\n', cmdline: 'cgroup_disable=memory', v2RootControllers: null }), null);
  assert.match(memoryControllerOff({ procCgroups: 'memory\t0\t50\t0\n', cmdline: null, v2RootControllers: null }) ?? '', /\/proc\/cgroups lists it disabled/);
});

function assertControllerOff(view: MemoryView, who: string, hostAvailable: number): void {
  const reason = view.details['memoryController'];
  assert.match(String(reason), /memory controller is off/, `${who}: details.memoryController`);
  const unmeasured = view.details['unmeasured'] as Record<string, string>;
  for (const id of CGROUP_IDS) {
    assert.equal(view.metrics[id], null, `${who}: ${id}`);
    assert.equal(unmeasured[id], reason, `${who}: the reason of ${id}`);
  }
  assert.equal(view.metrics['memory.effective_available_bytes'], hostAvailable, `${who}: the host's MemAvailable decides`);
}

for (const tree of ['pi-3b-bullseye-armhf', 'constructed-pi-4b-memory-controller-off']) {
  test(`${tree}: the agent says no memory limit can be enforced, and the host's memory decides`, async () => {
    const view = memoryOf((await runCli(['run', '--quick', '--only', 'memory', '--root', fixtureRoot(tree), '--format', 'json'])).stdout);
    assertControllerOff(view, 'agent', view.metrics['memory.available_bytes'] as number);
    assert.equal(view.details['availableBoundBy'], 'MemAvailable');
  });
}

test('with the controller off, --unit still names the service group and says its MemoryMax= is not enforced', async () => {
  const root = fixtureRoot('constructed-pi-4b-memory-controller-off');
  const report = jsonOf(await runCli(['run', '--quick', '--only', 'memory', '--root', root, '--unit', 'edge-app.service', '--format', 'json']));
  const view = memoryOf(JSON.stringify(report));
  assert.equal(view.metrics['memory.cgroup_path'], '/system.slice/edge-app.service');
  assertControllerOff(view, 'agent --unit', view.metrics['memory.available_bytes'] as number);
});

test('pi-4b-bookworm-arm64, controller on: the service limit is still read (512 MiB)', async () => {
  const view = memoryOf((await runCli(['run', '--quick', '--only', 'memory', '--root', fixtureRoot('pi-4b-bookworm-arm64'), '--format', 'json'])).stdout);
  assert.equal(view.metrics['memory.cgroup_limit_bytes'], 512 * 1024 * 1024);
  assert.equal(view.details['memoryController'], undefined);
});

for (const [name, shell] of [
  ['dash', ['/usr/bin/dash']],
  ['busybox ash', ['/usr/bin/busybox', 'sh']],
] as const) {
  const skip = requireComponent(executable(shell[0]), name, 'scripts/install-test-deps.sh installs dash and busybox');
  test(`${name}: the POSIX-sh probe says the same as the agent on both trees`, { skip }, async () => {
    for (const tree of ['pi-3b-bullseye-armhf', 'constructed-pi-4b-memory-controller-off']) {
      const sh = await execCommand(shell[0], [...shell.slice(1), SH_PROBE, '--root', fixtureRoot(tree)], { timeoutMs: 60_000 });
      const shView = memoryOf(sh.stdout);
      const agentView = memoryOf((await runCli(['run', '--quick', '--only', 'memory', '--root', fixtureRoot(tree), '--format', 'json'])).stdout);
      assertControllerOff(shView, `${name} ${tree}`, agentView.metrics['memory.available_bytes'] as number);
      assert.equal(shView.details['memoryController'], agentView.details['memoryController'], `${name} ${tree}: the same words`);
      assert.equal(shView.metrics['memory.cgroup_path'], agentView.metrics['memory.cgroup_path']);
    }
  });
}
