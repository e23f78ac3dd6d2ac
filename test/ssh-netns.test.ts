// A "device" of its own: sshd in a network namespace reached over a veth pair (10.x.y.2, port 22), inside a
// cgroup with the limits of a Raspberry Pi Zero 2 W (512 MiB, one CPU by cpuset and quota). Both agents
// must see those limits, not this machine's, and agree with each other.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { makeTempDir, removeTemp } from '../src/platform/process.js';
import type { Report } from '../src/report/types.js';
import { parseReport } from '../src/report/validate.js';
import { runCli } from './helpers/cli.js';
import { executable, requireComponent } from './helpers/env.js';
import { type Sshd, sshdAvailable, startSshd } from './helpers/sshd.js';
import { writeTestProfiles } from './helpers/test-profiles.js';

const MiB = 1024 * 1024;
const skip = requireComponent(
  sshdAvailable() && executable('/usr/sbin/ip') && executable('/usr/bin/nsenter'),
  'root, openssh-server, iproute2 and util-linux nsenter',
  'scripts/install-test-deps.sh as root',
);
const work = makeTempDir('ssh-netns-test');
let sshd: Sshd;

before(async () => {
  if (skip) return;
  sshd = await startSshd({ netns: true, cgroup: { memoryBytes: 512 * MiB, cpus: 1, cpuset: '0' } });
  sshd.alias('zero2w', sshd.addUser({ label: 'node' }));
  sshd.alias('zero2w-sh', sshd.addUser({ label: 'sh', path: sshd.pathWithout(['node', 'nodejs']) }));
});

after(async () => {
  await sshd?.stop();
  removeTemp(work);
});

function load(file: string): Report {
  const check = parseReport(readFileSync(file, 'utf8'));
  assert.ok(check.ok, check.ok ? '' : check.errors.join('; '));
  return check.report;
}

test('a device in its own network namespace and Pi Zero 2 W-like cgroup: both agents see its limits and agree', { skip }, async () => {
  assert.notEqual(sshd.address, '127.0.0.1');
  assert.equal(sshd.port, 22);
  const out = join(work, 'out');
  const result = await runCli(
    ['ssh', '--ssh-config', sshd.sshConfig, 'zero2w', 'zero2w-sh', '--quick', '--out', out, '--profile', writeTestProfiles(work).lenient],
    { timeoutMs: 90_000 },
  );
  assert.equal(result.code, 0, result.stderr + result.stdout);
  const agent = load(join(out, 'zero2w.json'));
  const sh = load(join(out, 'zero2w-sh.json'));
  assert.equal(agent.agent.mode, 'node');
  assert.equal(sh.agent.mode, 'posix-sh');
  for (const report of [agent, sh]) {
    assert.equal(report.metrics['memory.cgroup_limit_bytes'], 512 * MiB);
    assert.equal(report.metrics['memory.effective_total_bytes'], 512 * MiB);
    assert.equal(report.metrics['cpu.cpuset_cpus'], 1);
    assert.equal(report.metrics['cpu.quota_cpus'], 1);
    assert.equal(report.metrics['cpu.effective_cpus'], 1);
  }
  for (const id of [
    'cpu.arch',
    'cpu.userland_bits',
    'cpu.cores',
    'cpu.model',
    'cpu.max_mhz',
    'memory.total_bytes',
    'memory.swap_total_bytes',
    'host.os',
    'host.kernel',
  ]) {
    assert.deepEqual(sh.metrics[id], agent.metrics[id], id);
  }
  assert.match(result.stdout, /zero2w\s+node\s+.*512 MiB\s+1\s/);
});
