// `edgeprobe ssh --cgroup` against a real OpenSSH server on loopback: the login session lives in a cgroup with
// Pi-like limits (512 MiB, 1.5 CPUs), the "service" in another (200 MiB, 0.5 CPU, made here as root, cgroup
// v1). The report must carry the service's limits and say which group it measured, from the Node agent and
// from the POSIX-sh probe alike; a group the device does not have is the host's outcome, not a report.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { makeTempDir, removeTemp } from '../src/platform/process.js';
import { parseReport } from '../src/report/validate.js';
import { makeGroup, requireCgroupV1 } from './helpers/cgroups.js';
import { jsonOf, runCli } from './helpers/cli.js';
import { requireComponent } from './helpers/env.js';
import { type Sshd, sshdAvailable, startSshd } from './helpers/sshd.js';
import { writeTestProfiles } from './helpers/test-profiles.js';

const MiB = 1024 * 1024;
const skip =
  requireComponent(sshdAvailable(), "root and Debian's openssh-server", 'scripts/install-test-deps.sh as root') || requireCgroupV1(['memory', 'cpu']);
const SERVICE = `edgeprobe-test-${process.pid}-service`;

let sshd: Sshd;
const removers: Array<() => void> = [];
const work = makeTempDir('ssh-unit-test');
const profiles = writeTestProfiles(work);

before(async () => {
  if (skip) return;
  sshd = await startSshd({ cgroup: { memoryBytes: 512 * MiB, cpus: 1.5 } });
  sshd.alias('pi-node', sshd.addUser({ label: 'node' }));
  sshd.alias('pi-sh', sshd.addUser({ label: 'sh', path: sshd.pathWithout(['node', 'nodejs']) }));
  removers.push(makeGroup('memory', SERVICE, { 'memory.limit_in_bytes': String(200 * MiB) }));
  removers.push(makeGroup('cpu', SERVICE, { 'cpu.cfs_period_us': '100000', 'cpu.cfs_quota_us': '50000' }));
});

after(async () => {
  await sshd?.stop();
  for (const remove of removers) remove();
  removeTemp(work);
});

async function ssh(args: string[]): Promise<ReturnType<typeof runCli>> {
  return runCli(['ssh', '--ssh-config', sshd.sshConfig, '--profile', profiles.lenient, '--quick', ...args], { timeoutMs: 90_000 });
}

for (const [host, mode] of [
  ['pi-node', 'node'],
  ['pi-sh', 'posix-sh'],
] as const) {
  test(`${mode}: --cgroup measures the service's group, not the login session's, and the report says which`, { skip }, async () => {
    const out = join(work, host);
    const result = await ssh([host, '--out', out, '--cgroup', `/${SERVICE}`]);
    assert.equal(result.code, 0, result.stderr + result.stdout);
    const check = parseReport(readFileSync(join(out, `${host}.json`), 'utf8'));
    assert.ok(check.ok, check.ok ? '' : check.errors.join('; '));
    const { metrics } = check.report;
    assert.equal(check.report.agent.mode, mode);
    assert.equal(metrics['memory.cgroup_path'], `/${SERVICE}`);
    assert.equal(metrics['memory.cgroup_limit_bytes'], 200 * MiB, "the service's 200 MiB, not the session's 512");
    assert.equal(metrics['memory.effective_total_bytes'], 200 * MiB);
    assert.equal(metrics['cpu.cgroup_path'], `/${SERVICE}`);
    assert.equal(metrics['cpu.quota_cpus'], 0.5);
    assert.equal(metrics['cpu.effective_cpus'], 0.5);

    const session = await ssh([host, '--out', join(work, `${host}-session`)]);
    assert.equal(session.code, 0, session.stderr + session.stdout);
    const sessionReport = JSON.parse(readFileSync(join(work, `${host}-session`, `${host}.json`), 'utf8')) as { metrics: Record<string, unknown> };
    assert.equal(sessionReport.metrics['memory.cgroup_limit_bytes'], 512 * MiB, "without --cgroup: the login session's limit");
  });

  test(`${mode}: a cgroup or unit the device does not have is the host's outcome (options refused), with the device's reason`, { skip }, async () => {
    const result = await ssh([host, '--format', 'json', '--cgroup', '/edgeprobe-no-such-group']);
    const summary = jsonOf(result);
    const entry = (summary['hosts'] as Array<Record<string, unknown>>)[0];
    assert.equal(entry?.['status'], 'failed');
    assert.equal(entry?.['failure'], 'options-refused');
    assert.match(String(entry?.['message']), /--cgroup \/edgeprobe-no-such-group: no cgroup/);
    assert.equal(result.code, 3, 'no verdict for that host: unknown');
    const unit = jsonOf(await ssh([host, '--format', 'json', '--unit', 'edgeprobe-no-such.service']));
    const unitEntry = (unit['hosts'] as Array<Record<string, unknown>>)[0];
    assert.equal(unitEntry?.['failure'], 'options-refused');
    assert.match(String(unitEntry?.['message']), /--unit edgeprobe-no-such\.service: /);
  });
}

test('ssh refuses malformed --unit and --cgroup before connecting (exit 2)', async () => {
  for (const args of [
    ['--unit', 'my app'],
    ['--cgroup', '../etc'],
    ['--unit', 'a.service', '--cgroup', 'b'],
  ]) {
    const result = await runCli(['ssh', 'nowhere.invalid', ...args]);
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.doesNotMatch(result.stderr, /\n\s+at /);
  }
});
