// `edgeprobe ssh` against a real OpenSSH server on loopback (test/helpers/ssh-hosts.ts), one host at a time:
// node mode, sh mode (no node on PATH), busybox ash with a busybox-only userland, the two agreeing on the same
// host, a node too old for the agent, --mode node where there is no node.

import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { jsonOf, runCli } from './helpers/cli.js';
import { executable, NODE18, requireComponent } from './helpers/env.js';
import { LIMIT_BYTES, loadReport, MiB, sshSkip, summaryHost, useSshHosts } from './helpers/ssh-hosts.js';

const hosts = useSshHosts('ssh-test');

test('node mode: the agent is streamed to `node -`, its report validates, shows the cgroup limits, and nothing is left on the device', {
  skip: sshSkip,
}, async () => {
  const { nodeUser, work, ssh } = hosts();
  const before = readdirSync(nodeUser.home).sort();
  const out = join(work, 'node');
  const result = await ssh(['pi-node', '--quick', '--out', out, '--format', 'json']);
  assert.equal(result.code, 0, result.stderr + result.stdout);
  const summary = jsonOf(result);
  const host = summaryHost(summary, 'pi-node');
  assert.equal(host['status'], 'ok');
  assert.equal(host['mode'], 'node');
  const report = loadReport(join(out, 'pi-node.json'));
  assert.equal(report.agent.mode, 'node');
  assert.equal(report.host.label, 'pi-node');
  assert.equal(report.metrics['memory.cgroup_limit_bytes'], LIMIT_BYTES);
  assert.equal(report.metrics['cpu.quota_cpus'], 1.5);
  assert.equal(report.metrics['cpu.effective_cpus'], 1.5);
  assert.ok(existsSync(join(out, 'summary.json')));
  assert.deepEqual(readdirSync(nodeUser.home).sort(), before, 'no file written in the home directory');
  assert.deepEqual(
    readdirSync(out).filter((f) => f.endsWith('.tmp')),
    [],
    'no temp files left by atomic writes',
  );
});

test('sh mode: a user whose PATH has no node gets the POSIX-sh probe, with python metrics and the Python streaming tier', { skip: sshSkip }, async () => {
  const { work, ssh } = hosts();
  const out = join(work, 'sh');
  const result = await ssh(['pi-sh', '--out', out, '--duration', '4']);
  assert.equal(result.code, 0, result.stderr + result.stdout);
  assert.match(result.stdout, /pi-sh\s+posix-sh/);
  const report = loadReport(join(out, 'pi-sh.json'));
  assert.equal(report.agent.mode, 'posix-sh');
  assert.equal(report.agent.node, null);
  assert.equal(report.host.label, 'pi-sh');
  assert.equal(report.metrics['memory.cgroup_limit_bytes'], LIMIT_BYTES);
  assert.equal(report.metrics['python.found'], true);
  assert.match(String(report.metrics['python.version']), /^3\.\d+\.\d+$/);
  assert.match(String(report.metrics['python.django_version']), /^\d+\.\d+/, "Debian's python3-django is seen");
  assert.equal(typeof report.metrics['streaming.python_messages_per_second'], 'number', 'the Python streaming tier ran on the device');
  assert.equal(typeof report.metrics['streaming.bytes_per_connection'], 'number');
  // Every metric is either measured or null with a reason, and every probe has an envelope.
  for (const [id, value] of Object.entries(report.metrics)) {
    if (value !== null) continue;
    const probe = report.probes.find((p) => p.id === id.split('.')[0]);
    assert.ok(probe, `envelope for ${id}`);
    const reasons = probe.details['unmeasured'] as Record<string, string> | undefined;
    assert.ok(reasons?.[id], `${id} is null with a reason`);
  }
});

test('the sh probe runs under busybox ash with a busybox-only userland', { skip: sshSkip }, async () => {
  const { work, ssh } = hosts();
  const out = join(work, 'busybox');
  const result = await ssh(['pi-busybox', '--out', out, '--duration', '3']);
  assert.equal(result.code, 0, result.stderr + result.stdout);
  const report = loadReport(join(out, 'pi-busybox.json'));
  assert.equal(report.agent.mode, 'posix-sh');
  const host = report.probes.find((p) => p.id === 'host');
  assert.equal(host?.details['shell'], '/usr/bin/busybox', 'the probe ran in busybox');
  // No python3 on its PATH, but like the agent the sh probe also looks in /usr/bin and /usr/local/bin.
  assert.match(String(report.metrics['python.path']), /^\/usr(\/local)?\/bin\/python3/);
  assert.equal(report.metrics['memory.cgroup_limit_bytes'], LIMIT_BYTES);
  assert.equal(typeof report.metrics['disk.free_bytes'], 'number');
});

test("for the same host, the sh probe's memory, cpu and python metrics agree with the agent's", { skip: sshSkip }, async () => {
  const { work, profiles, ssh } = hosts();
  const out = join(work, 'agree');
  const result = await ssh(['pi-node', 'pi-sh', 'pi-busybox', '--quick', '--out', out]);
  assert.equal(result.code, 0, result.stderr + result.stdout);
  const agent = loadReport(join(out, 'pi-node.json'));
  // Saved reports of both kinds are judged again later, without probing, by `edgeprobe check`.
  const check = await runCli(['check', join(out, 'pi-node.json'), join(out, 'pi-sh.json'), '--profile', profiles.tight, '--format', 'json']);
  assert.equal(check.code, 1, check.stderr);
  for (const name of ['pi-sh', 'pi-busybox']) {
    const sh = loadReport(join(out, `${name}.json`));
    for (const id of Object.keys(agent.metrics).filter((m) => /^(memory|cpu)\./.test(m))) {
      const a = agent.metrics[id];
      const b = sh.metrics[id];
      if (['memory.available_bytes', 'memory.effective_available_bytes', 'memory.cgroup_usage_bytes', 'memory.swap_free_bytes'].includes(id)) {
        // Moving figures: the same order of magnitude, within 128 MiB.
        assert.equal(typeof b, 'number', `${name} ${id}`);
        assert.ok(Math.abs((a as number) - (b as number)) < 128 * MiB, `${name} ${id}: agent ${String(a)} vs sh ${String(b)}`);
      } else if (id === 'cpu.load_average_1m') {
        assert.equal(typeof b, 'number', `${name} ${id}`);
      } else if (id === 'cpu.single_thread_score' || id === 'cpu.multi_thread_score') {
        assert.equal(b, null, `${name} ${id} is not measured by the sh probe`);
      } else {
        assert.deepEqual(b, a, `${name} ${id}`);
      }
    }
  }
  // Python: the same interpreter inspected and rated the same way (its path differs: another PATH).
  const sh = loadReport(join(out, 'pi-sh.json'));
  for (const id of Object.keys(agent.metrics).filter((m) => m.startsWith('python.') && m !== 'python.path')) {
    assert.deepEqual(sh.metrics[id], agent.metrics[id], `pi-sh ${id}`);
  }
});

test('--mode node on a host without node is classified, not silently downgraded', { skip: sshSkip }, async () => {
  const { ssh } = hosts();
  const result = await ssh(['pi-sh', '--mode', 'node', '--format', 'json', '--quick']);
  assert.equal(result.code, 3);
  assert.equal(summaryHost(jsonOf(result), 'pi-sh')['failure'], 'no-node');
});

test('node 18 is used as it is; a node older than 18 gets the sh probe instead', {
  skip: sshSkip || requireComponent(executable(NODE18), 'Node 18', 'scripts/install-test-deps.sh'),
}, async () => {
  const { work, ssh } = hosts();
  const out = join(work, 'versions');
  const result = await ssh(['pi-node18', 'pi-node16', '--quick', '--out', out]);
  assert.equal(result.code, 0, result.stderr + result.stdout);
  const node18 = loadReport(join(out, 'pi-node18.json'));
  assert.equal(node18.agent.mode, 'node');
  assert.match(String(node18.agent.node), /^18\./);
  assert.equal(loadReport(join(out, 'pi-node16.json')).agent.mode, 'posix-sh');
});
