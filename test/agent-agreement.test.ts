// One host, two probes: `edgeprobe ssh` against a real OpenSSH server on loopback whose sessions live in a
// cgroup with Pi-like limits (512 MiB, 1.5 CPUs), once as a user with node (the Node agent) and once as a user
// without it (the POSIX-sh probe). The probe that measures less must not give the rosier answer: both reports
// get the same verdict and headline under every profile, the same status on every supervision and stack check,
// and capacity figures within 25 % of each other. A Redis or PostgreSQL started by a test running beside this one
// may be seen by one probe and not the other, so those figures are compared by type only.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, type TestContext, test } from 'node:test';
import { loadAllProfiles } from '../src/judge/profiles.js';
import { judge, type Verdict } from '../src/judge/verdict.js';
import { makeTempDir, removeTemp } from '../src/platform/process.js';
import type { Report } from '../src/report/types.js';
import { parseReport } from '../src/report/validate.js';
import { jsonOf, runCli } from './helpers/cli.js';
import { requireComponent } from './helpers/env.js';
import { type Sshd, sshdAvailable, startSshd } from './helpers/sshd.js';

const MiB = 1024 * 1024;
// Services other suites on this machine start and stop while the two probes run one after the other.
const MOVING = new Set(['stack.redis_running', 'stack.postgres_running', 'stack.memcached_running', 'stack.port_8000_free', 'supervision.supervisors']);
const skip = requireComponent(sshdAvailable(), "root and Debian's openssh-server", 'scripts/install-test-deps.sh as root');

let sshd: Sshd;
const work = makeTempDir('agent-agreement');

before(async () => {
  if (skip) return;
  sshd = await startSshd({ cgroup: { memoryBytes: 512 * MiB, cpus: 1.5, cpuset: '0-1' } });
  sshd.alias('pi-node', sshd.addUser({ label: 'node' }));
  sshd.alias('pi-sh', sshd.addUser({ label: 'sh', path: sshd.pathWithout(['node', 'nodejs']) }));
});

after(async () => {
  await sshd?.stop();
  removeTemp(work);
});

function reportOf(summary: Record<string, unknown>, name: string): Report {
  const host = (summary['hosts'] as Array<Record<string, unknown>>).find((h) => h['name'] === name);
  assert.ok(host, `${name} is in the summary`);
  assert.equal(host['status'], 'ok', JSON.stringify(host));
  const check = parseReport(readFileSync(String(host['reportFile']), 'utf8'));
  assert.ok(check.ok, check.ok ? '' : check.errors.join('; '));
  return check.report;
}

/** a and b within 25 % of the larger; both null when either is. */
function near(a: number | null, b: number | null, what: string): void {
  assert.equal(a === null, b === null, `${what}: measured by both or by neither (node ${a}, sh ${b})`);
  if (a === null || b === null) return;
  const larger = Math.max(Math.abs(a), Math.abs(b));
  assert.ok(larger === 0 || Math.abs(a - b) / larger <= 0.25, `${what}: node ${a} and sh ${b} differ by more than 25 %`);
}

function sameJudgement(node: Verdict, sh: Verdict): void {
  const where = node.profile.name;
  assert.equal(sh.verdict, node.verdict, `${where}: node says "${node.summary}", sh says "${sh.summary}"`);
  const unknown = (v: Verdict): string =>
    v.checks
      .filter((c) => c.status === 'unknown')
      .map((c) => `${c.id} (${c.unknownReason ?? ''})`)
      .join('; ');
  assert.equal(sh.headline, node.headline, `${where}: the same checks are unknown: node ${unknown(node)}; sh ${unknown(sh)}`);
  for (const check of node.checks.filter((c) => /^(supervision|stack)\./.test(c.metric) && !MOVING.has(c.metric))) {
    const other = sh.checks.find((c) => c.id === check.id);
    assert.equal(other?.status, check.status, `${where}/${check.id}: node "${check.message}", sh "${other?.message}"`);
  }
  const a = node.capacity;
  const b = sh.capacity;
  near(a.workers, b.workers, `${where} workers`);
  near(a.memoryBudgetBytes, b.memoryBudgetBytes, `${where} memory budget`);
  near(a.websocketClients, b.websocketClients, `${where} WebSocket clients`);
  near(a.throughputMessagesPerSecond, b.throughputMessagesPerSecond, `${where} throughput`);
}

test('the Node agent and the POSIX-sh probe on one host (real sshd, Pi-like cgroup) agree on every verdict; capacity within 25 %', {
  skip,
  timeout: 300_000,
}, async () => {
  const out = join(work, 'reports');
  // One host after the other, so neither measures while the other loads the CPUs.
  const result = await runCli(['ssh', '--ssh-config', sshd.sshConfig, 'pi-node', 'pi-sh', '--quick', '--concurrency', '1', '--out', out, '--format', 'json'], {
    timeoutMs: 240_000,
  });
  assert.ok([0, 1, 3].includes(result.code ?? -1), result.stderr + result.stdout);
  const summary = jsonOf(result);
  const node = reportOf(summary, 'pi-node');
  const sh = reportOf(summary, 'pi-sh');
  assert.equal(node.agent.mode, 'node');
  assert.equal(sh.agent.mode, 'posix-sh');
  // The sh probe measures supervision and the stack itself now, with shell tools.
  for (const id of Object.keys(node.metrics).filter((m) => /^(supervision|stack)\./.test(m))) {
    if (MOVING.has(id)) continue;
    assert.deepEqual(sh.metrics[id], node.metrics[id], `${id} (node and sh probed one after the other)`);
  }
  assert.equal(typeof sh.metrics['supervision.available'], 'boolean', 'the sh probe measures supervision');
  assert.equal(typeof sh.metrics['stack.cron_available'], 'boolean', 'the sh probe measures the stack');
  assert.equal(sh.metrics['memory.effective_total_bytes'], 512 * MiB, 'the sessions run inside the cgroup');
  for (const profile of loadAllProfiles()) sameJudgement(judge(node, profile), judge(sh, profile));
});

/** Checks only the Node agent can judge: the node tier (a Node server) and Redis figures the sh probe leaves to it. */
const NODE_ONLY = /^streaming\.(node_|channels_redis_|redis_cpu_share)/;

function fullModeJudgement(t: TestContext, node: Verdict, sh: Verdict): void {
  const where = node.profile.name;
  const a = node.capacity;
  const b = sh.capacity;
  t.diagnostic(
    `${where}: node ${node.verdict}, ${a.websocketClients} clients, ${a.throughputMessagesPerSecond} msg/s; sh ${sh.verdict}, ${b.websocketClients} clients, ${b.throughputMessagesPerSecond} msg/s`,
  );
  assert.equal(sh.verdict, node.verdict, `${where}: node says "${node.summary}", sh says "${sh.summary}"`);
  const unknownIn = (v: Verdict): string[] => v.checks.filter((c) => c.status === 'unknown' && !NODE_ONLY.test(c.metric)).map((c) => c.id);
  assert.deepEqual(unknownIn(sh), unknownIn(node), `${where}: the same checks are unknown, but for the Node-only tiers`);
  for (const check of node.checks.filter((c) => /^(streaming|django)\./.test(c.metric) && !NODE_ONLY.test(c.metric))) {
    const other = sh.checks.find((c) => c.id === check.id);
    assert.equal(other?.status, check.status, `${where}/${check.id}: node "${check.message}", sh "${other?.message}"`);
  }
  near(a.workers, b.workers, `${where} workers`);
  near(a.memoryBudgetBytes, b.memoryBudgetBytes, `${where} memory budget`);
  near(a.websocketClients, b.websocketClients, `${where} WebSocket clients`);
  near(a.clientsByMemory, b.clientsByMemory, `${where} WebSocket clients by memory`);
  near(a.throughputMessagesPerSecond, b.throughputMessagesPerSecond, `${where} throughput`);
}

test('with the streaming tiers and the django probe measured (full mode), the Node agent and the POSIX-sh probe agree on every verdict; capacity within 25 %', {
  skip,
  timeout: 600_000,
}, async (t) => {
  const out = join(work, 'streaming');
  const result = await runCli(
    ['ssh', '--ssh-config', sshd.sshConfig, 'pi-node', 'pi-sh', '--duration', '8', '--concurrency', '1', '--out', out, '--format', 'json'],
    { timeoutMs: 540_000 },
  );
  assert.ok([0, 1, 3].includes(result.code ?? -1), result.stderr + result.stdout);
  const summary = jsonOf(result);
  const node = reportOf(summary, 'pi-node');
  const sh = reportOf(summary, 'pi-sh');
  for (const report of [node, sh]) {
    const where = report.agent.mode;
    const streaming = report.probes.find((p) => p.id === 'streaming');
    const why = JSON.stringify(streaming?.details['unmeasured'] ?? streaming?.error ?? null).slice(0, 600);
    assert.equal(typeof report.metrics['streaming.channels_messages_per_second'], 'number', `${where} measured a Channels consumer: ${why}`);
    assert.equal(typeof report.metrics['streaming.python_messages_per_second'], 'number', `${where} measured the asyncio server`);
  }
  for (const profile of loadAllProfiles()) fullModeJudgement(t, judge(node, profile), judge(sh, profile));
});
