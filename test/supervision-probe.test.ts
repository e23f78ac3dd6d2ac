// The supervision probe against a real supervisord (Debian's supervisor package) and a host whose pid 1
// is not an init system (a fresh PID namespace, where pid 1 is edgeprobe itself).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { supervisionProbe } from '../probes/supervision.js';
import { CLI, jsonOf, REPO_ROOT, runCli } from './helpers/cli.js';
import { executable, skipWithout } from './helpers/env.js';
import { waitFor } from './helpers/leftovers.js';
import { runProbe, unmeasured } from './helpers/probe-run.js';
import { startSupervisord } from './helpers/services.js';
import { assertExitFromVerdict } from './helpers/verdict-exit.js';

const INIT_NAMES = ['systemd', 'init', 'openrc-init', 'runit', 's6-svscan', 'busybox'];

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = /^PPid:\s*(\d+)/m.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1];
      if (Number(ppid) === pid) out.push(Number(entry));
    } catch {
      // gone
    }
  }
  return out;
}

const supervisorInstalled = executable('/usr/bin/supervisord') && executable('/usr/bin/supervisorctl');

test('supervisord really running is found, answers supervisorctl, and counts as a usable supervisor', async (t) => {
  if (skipWithout(t, supervisorInstalled, 'supervisor', 'apt install supervisor')) return;
  const sv = await startSupervisord();
  try {
    const { envelope } = await runProbe(supervisionProbe, { supervisordConf: sv.config });
    assert.equal(envelope.status, 'ok', envelope.error?.message);
    assert.match(String(envelope.metrics['supervision.supervisors']), /(^|,)supervisord(,|$)/);
    const found = envelope.details['supervisord'] as { instances: Array<{ pid: number; config: string; usable: boolean; includes: string[] }> };
    const mine = found.instances.find((i) => i.config === sv.config);
    assert.ok(mine, `our supervisord is listed: ${JSON.stringify(found.instances)}`);
    assert.equal(mine.pid, sv.child.pid);
    assert.equal(mine.usable, true);
    assert.deepEqual(mine.includes, [`${sv.includeDir}/*.conf`]);
    assert.equal(envelope.metrics['supervision.restart_verified'], null);
    assert.match(unmeasured(envelope, 'supervision.restart_verified') ?? '', /opt-in test: run with --active-supervision/);
  } finally {
    await sv.stop();
  }
});

test('--active-supervision under supervisord: a killed process comes back, and no program, file or process is left', async (t) => {
  if (skipWithout(t, supervisorInstalled, 'supervisor', 'apt install supervisor')) return;
  const sv = await startSupervisord();
  try {
    const before = childrenOf(sv.child.pid as number);
    const { envelope } = await runProbe(supervisionProbe, { activeSupervision: true, supervisordConf: sv.config });
    const active = envelope.details['activeTest'] as Record<string, unknown>;
    assert.equal(envelope.metrics['supervision.restart_verified'], true, JSON.stringify(active));
    assert.equal(active['supervisor'], 'supervisord');
    assert.equal(active['config'], sv.config);
    assert.equal(typeof active['firstPid'], 'number');
    assert.equal(typeof active['secondPid'], 'number');
    assert.notEqual(active['firstPid'], active['secondPid']);
    assert.equal(active['leftBehind'], null);
    // Checked from outside the probe: nothing in the include dir, supervisord knows no extra program, no extra child.
    assert.deepEqual(readdirSync(sv.includeDir), []);
    const status = sv.ctl(['status']);
    assert.doesNotMatch(status.out, /edgeprobe/);
    assert.deepEqual(childrenOf(sv.child.pid as number), before);
    for (const pid of [active['firstPid'], active['secondPid']] as number[]) {
      assert.throws(() => process.kill(pid, 0), /ESRCH/, `process ${pid} is gone`);
    }
  } finally {
    await sv.stop();
  }
});

test('--active-supervision with a supervisord config without [include]: not tested, with the reason; the config is untouched', async (t) => {
  if (skipWithout(t, supervisorInstalled, 'supervisor', 'apt install supervisor')) return;
  const sv = await startSupervisord({ include: false });
  try {
    const config = readFileSync(sv.config, 'utf8');
    const { envelope } = await runProbe(supervisionProbe, { activeSupervision: true, supervisordConf: sv.config });
    assert.equal(envelope.metrics['supervision.restart_verified'], null);
    assert.match(
      unmeasured(envelope, 'supervision.restart_verified') ?? '',
      /has no \[include\] directory to add a program to \(edgeprobe does not edit the main config\)/,
    );
    assert.equal(readFileSync(sv.config, 'utf8'), config);
  } finally {
    await sv.stop();
  }
});

test('SIGTERM during the active test still removes the throwaway program', async (t) => {
  if (skipWithout(t, supervisorInstalled, 'supervisor', 'apt install supervisor')) return;
  const sv = await startSupervisord();
  try {
    const before = childrenOf(sv.child.pid as number);
    const child = spawn(process.execPath, [CLI, 'run', '--only', 'supervision', '--active-supervision', '--supervisord-conf', sv.config, '--format', 'json'], {
      cwd: REPO_ROOT,
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const appeared = await waitFor(() => readdirSync(sv.includeDir).length > 0, 20_000, 10);
    assert.ok(appeared, 'the test program file appeared');
    // Let supervisord start it, so there is a process to clean up too.
    await waitFor(() => /edgeprobe-restart-\w+\s+RUNNING/.test(sv.ctl(['status']).out), 5_000, 20);
    child.kill('SIGTERM');
    assert.equal(await exited, 143);
    assert.deepEqual(readdirSync(sv.includeDir), []);
    assert.doesNotMatch(sv.ctl(['status']).out, /edgeprobe/);
    assert.ok(await waitFor(() => childrenOf(sv.child.pid as number).length === before.length, 5_000), 'supervisord has no extra child');
  } finally {
    await sv.stop();
  }
});

test('a host whose pid 1 is not an init system: supervision.available is false, with the reason', async (t) => {
  // Here: a fresh PID namespace, where pid 1 is the edgeprobe process itself.
  const canUnshare = process.getuid?.() === 0 && executable('/usr/bin/unshare');
  if (skipWithout(t, canUnshare, 'root and unshare', 'util-linux, run as root')) return;
  const result = await runCli(['run', '--only', 'supervision', '--format', 'json'], {
    command: '/usr/bin/unshare',
    prefixArgs: ['--pid', '--fork', '--mount-proc', process.execPath],
  });
  assertExitFromVerdict(result, jsonOf(result)); // run exits with its verdict's code
  const report = jsonOf(result) as { metrics: Record<string, unknown>; probes: Array<{ id: string; details: Record<string, unknown> }> };
  assert.equal(report.metrics['supervision.pid1'], 'node');
  assert.equal(report.metrics['supervision.init'], 'unknown');
  assert.equal(report.metrics['supervision.available'], false);
  const details = report.probes.find((p) => p.id === 'supervision')?.details ?? {};
  assert.match(String(details['availableReason']), /pid 1 is "node" \([^)]*node[^)]*\), not an init system, so nothing starts services at boot/);

  // And the live host as it is: when its pid 1 is not an init system either, the probe says so by name.
  const pid1 = readFileSync('/proc/1/comm', 'utf8').trim();
  if (!INIT_NAMES.includes(pid1)) {
    const { envelope } = await runProbe(supervisionProbe);
    assert.equal(envelope.metrics['supervision.pid1'], pid1);
    assert.equal(envelope.metrics['supervision.available'], false);
    assert.match(String(envelope.details['availableReason']), new RegExp(`pid 1 is "${pid1}"`));
    if (existsSync('/.dockerenv')) {
      assert.equal(envelope.metrics['supervision.in_container'], true);
      assert.match(String(envelope.details['availableReason']), /inside a container: a restart policy .* is not visible from inside/);
    }
  }
});
