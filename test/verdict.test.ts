// The judge's rules: a missing or null metric is unknown, never pass; how unknowns, warnings, failures and
// --allow combine; the operators; exit codes.

import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { verdictExitCode, worstExitCode } from '../src/judge/exit-codes.js';
import { loadAllProfiles, loadProfile } from '../src/judge/profiles.js';
import { loadHardware } from '../src/judge/spec-sheets.js';
import { type JudgeSubject, judge, satisfies } from '../src/judge/verdict.js';
import type { Metrics } from '../src/report/types.js';
import { REPO_ROOT } from './helpers/cli.js';
import { HEALTHY_SOFTWARE, recordedReport, withMetrics } from './helpers/reports.js';

function subject(metrics: Metrics): JudgeSubject {
  return { basis: 'report', id: 'test', label: 'test', metrics, unmeasured: () => null, incomplete: [], notes: [] };
}

test('a missing metric is unknown, never pass, for every check of every profile', () => {
  for (const profile of loadAllProfiles()) {
    const empty = judge(subject({}), profile);
    assert.equal(empty.checks.length, profile.checks.length + 1, 'every profile check and the platform gate');
    assert.equal(empty.checks[0]?.id, 'platform.linux');
    for (const check of empty.checks) {
      assert.equal(check.status, 'unknown', `${profile.name}/${check.id} with no metric`);
      assert.equal(check.unknownReason, 'not in the report');
    }
    assert.equal(empty.verdict, 'unknown', `${profile.name}: nothing measured, nothing judged`);
    // Null (could not be measured) is unknown as well, with the probe's reason.
    const nulls = Object.fromEntries([...profile.checks.map((c) => [c.metric, null]), ['host.linux', null]]);
    const judged = judge({ ...subject(nulls), unmeasured: (id) => `no ${id} here` }, profile);
    for (const check of judged.checks) {
      assert.equal(check.status, 'unknown', `${profile.name}/${check.id} with null`);
      assert.equal(check.unknownReason, `no ${check.metric} here`);
    }
  }
});

test('a recorded Pi 3 B given made-up healthy software figures (HEALTHY_SOFTWARE) passes every check of every profile', async () => {
  const pi3 = withMetrics(await recordedReport('pi-3b-bullseye-armhf'), HEALTHY_SOFTWARE);
  for (const profile of loadAllProfiles()) {
    const verdict = judge(pi3, profile);
    for (const check of verdict.checks) assert.equal(check.status, 'pass', `${profile.name}/${check.id} passes on a healthy Pi 3 B: ${check.message}`);
    assert.equal(verdict.verdict, 'viable');
  }
});

test('unknowns only matter on checks that could fail; a failure outranks them; warnings make viable-with-warnings (recorded Pi 3 B, made-up software figures)', async () => {
  const profile = loadProfile('django-channels');
  const base = withMetrics(await recordedReport('pi-3b-bullseye-armhf'), HEALTHY_SOFTWARE);
  // Warning-only check unknown (the opt-in restart test): still viable.
  const optIn = judge(withMetrics(base, { 'supervision.restart_verified': null }), profile);
  assert.equal(optIn.checks.find((c) => c.id === 'supervision.restart_verified')?.status, 'unknown');
  assert.equal(optIn.verdict, 'viable');
  // A check that could fail is unknown: the verdict is unknown.
  const noPython = judge(withMetrics(base, { 'python.version': null }), profile);
  assert.equal(noPython.verdict, 'unknown');
  assert.match(noPython.summary, /python\.version could not be judged/);
  // ... unless something failed already.
  const failed = judge(withMetrics(base, { 'python.version': null, 'python.ssl_available': false }), profile);
  assert.equal(failed.verdict, 'not-viable');
  assert.match(failed.summary, /python\.ssl failed/);
  const warned = judge(withMetrics(base, { 'cpu.undervoltage_since_boot': true }), profile);
  assert.equal(warned.verdict, 'viable-with-warnings');
  assert.equal(warned.counts.warn, 1);
});

test('--allow keeps the check and its status on record but stops it counting (recorded Pi 3 B, made-up software figures, no ssl module)', async () => {
  const profile = loadProfile('django-channels');
  const noSsl = withMetrics(await recordedReport('pi-3b-bullseye-armhf'), {
    ...HEALTHY_SOFTWARE,
    'python.ssl_available': false,
    'cpu.throttled_since_boot': true,
  });
  const strict = judge(noSsl, profile);
  assert.equal(strict.verdict, 'not-viable');
  assert.deepEqual(
    strict.checks.filter((c) => c.status === 'fail').map((c) => c.id),
    ['python.ssl'],
  );
  const allowed = judge(noSsl, profile, { allow: new Map([['python.ssl', 'no outgoing TLS; packages come from apt']]) });
  const ssl = allowed.checks.find((c) => c.id === 'python.ssl');
  assert.equal(ssl?.status, 'fail');
  assert.equal(ssl?.allowed, 'no outgoing TLS; packages come from apt');
  assert.equal(allowed.counts.allowed, 1);
  assert.equal(allowed.counts.fail, 0);
  assert.equal(allowed.verdict, 'viable-with-warnings', 'the other warning (throttled since boot) still stands');
});

test('warn-level checks that are unknown are counted and shown beside the verdict: "viable, 6 checks unknown" (recorded Pi 3 B, made-up software figures, supervision and stack not measured)', async () => {
  const profile = loadProfile('django-channels');
  const base = withMetrics(await recordedReport('pi-3b-bullseye-armhf'), HEALTHY_SOFTWARE);
  const full = judge(base, profile);
  assert.equal(full.headline, 'viable');
  assert.equal(full.counts.unknownWarnLevel, 0);
  // What a probe that cannot see supervision or the stack would report: null with a reason.
  const blind: Record<string, null> = {};
  for (const id of Object.keys(HEALTHY_SOFTWARE).filter((m) => m.startsWith('supervision.') || m.startsWith('stack.'))) blind[id] = null;
  const less = judge(withMetrics(base, blind), profile);
  const unknown = less.checks.filter((c) => c.status === 'unknown').map((c) => c.id);
  assert.deepEqual(unknown, [
    'supervision.available',
    'supervision.restart_verified',
    'supervision.systemd_state',
    'stack.reverse_proxy',
    'stack.reverse_proxy_running',
    'stack.cron',
  ]);
  assert.ok(
    less.checks.filter((c) => c.status === 'unknown').every((c) => !c.canFail),
    'all warn-level',
  );
  assert.equal(less.verdict, 'viable', 'warn-level unknowns alone do not make the verdict unknown');
  assert.equal(less.counts.unknownWarnLevel, 6);
  assert.equal(less.headline, 'viable, 6 checks unknown', 'but the verdict says it measured less');
  assert.match(less.summary, /6 warning-only checks unknown, any of which might have warned/);
  // With a warning as well, and with a check that could fail unknown.
  const warned = judge(withMetrics(base, { ...blind, 'cpu.throttled_since_boot': true }), profile);
  assert.equal(warned.headline, 'viable-with-warnings, 6 checks unknown');
  const noPython = judge(withMetrics(base, { ...blind, 'python.version': null }), profile);
  assert.equal(noPython.headline, 'unknown, 7 checks unknown (1 could fail)');
  // An allowed check no longer counts, unknown or not.
  const allowed = judge(withMetrics(base, blind), profile, { allow: new Map([['stack.cron', 'systemd timers instead']]) });
  assert.equal(allowed.headline, 'viable, 5 checks unknown');
});

test('the recorded Pi 3 B trees on their own figures, nothing made up: every hardware check passes, the recorded under-voltage warns, what a tree cannot hold (Python, programs, a live disk, load tests) leaves the verdict unknown; capacity: one worker on the in-memory channel layer, else bound by 4 CPUs', async () => {
  const trees = readdirSync(join(REPO_ROOT, 'test', 'fixtures', 'devices')).filter((t) => t.startsWith('pi-3b'));
  assert.ok(trees.length >= 1, 'a recorded Pi 3 B tree');
  for (const tree of trees) {
    const report = await recordedReport(tree);
    assert.match(String(report.metrics['host.board']), /^Raspberry Pi 3 Model B/, tree);
    for (const profile of loadAllProfiles()) {
      const verdict = judge(report, profile);
      const where = `${tree} under ${profile.name}`;
      for (const check of verdict.checks.filter((c) => c.hardware)) assert.equal(check.status, 'pass', `${where}: ${check.message}`);
      // The board was under-voltage and throttled at some point since boot, and the tree recorded it.
      assert.equal(verdict.checks.find((c) => c.id === 'cpu.undervoltage')?.status, 'warn', where);
      assert.equal(verdict.verdict, 'unknown', `${where}: ${verdict.summary}`);
      const couldFail = verdict.checks.filter((c) => c.status === 'unknown' && c.canFail).map((c) => c.metric);
      // Only what a recorded tree cannot hold: interpreters to run, programs to ask, a live disk, a load test.
      assert.ok(couldFail.length > 0 && couldFail.every((m) => /^(python|stack|disk|storage|streaming|django)\./.test(m)), `${where}: ${couldFail.join(', ')}`);
      assert.match(verdict.headline, /^unknown, \d+ checks unknown \(\d+ could fail\)$/);
      if (profile.capacity.server === 'asgi' && profile.capacity.channelLayer === 'memory') {
        assert.equal(verdict.capacity.binding, 'channel-layer', `${where}: the in-memory layer's groups stay inside one process`);
        assert.equal(verdict.capacity.workers, 1, where);
      } else {
        assert.equal(verdict.capacity.binding, 'cpu', `${where}: four Cortex-A53 cores bind the workers before 907 MiB does`);
      }
      assert.ok((verdict.capacity.workersByMemory ?? 0) > 1, `${where}: memory alone would allow more than one worker`);
    }
  }
});

test('operators: >=, <=, ==, in and version>= (numeric, not string, comparison)', () => {
  assert.equal(satisfies(907, '>=', 850), true);
  assert.equal(satisfies(849, '>=', 850), false);
  assert.equal(satisfies(12, '<=', 50), true);
  assert.equal(satisfies(true, '==', false), false);
  assert.equal(satisfies('armv7l', 'in', ['armv7l', 'aarch64']), true);
  assert.equal(satisfies('armv6l', 'in', ['armv7l', 'aarch64']), false);
  assert.equal(satisfies('3.9.2', 'version>=', '3.10'), false, '3.9 is older than 3.10');
  assert.equal(satisfies('3.10.0', 'version>=', '3.10'), true);
  assert.equal(satisfies('3.12.1rc1', 'version>=', '3.10'), true);
  assert.equal(satisfies('unknown', 'version>=', '3.10'), null, 'not a version: cannot compare');
  assert.equal(satisfies('907', '>=', 850), null, 'wrong type: cannot compare');
  const wrongType = judge(subject({ 'memory.effective_total_bytes': 'lots' }), loadProfile('django-wsgi'));
  assert.equal(wrongType.checks.find((c) => c.id === 'memory.total')?.status, 'unknown');
});

test('exit codes: 0 viable (warnings too unless --strict), 1 not viable, 3 unknown or incomplete; the worst of several wins', () => {
  assert.equal(verdictExitCode({ verdict: 'viable', incomplete: [] }), 0);
  assert.equal(verdictExitCode({ verdict: 'viable-with-warnings', incomplete: [] }), 0);
  assert.equal(verdictExitCode({ verdict: 'viable-with-warnings', incomplete: [] }, true), 1);
  assert.equal(verdictExitCode({ verdict: 'not-viable', incomplete: ['probe "cpu" failed'] }), 1);
  assert.equal(verdictExitCode({ verdict: 'unknown', incomplete: [] }), 3);
  assert.equal(verdictExitCode({ verdict: 'viable', incomplete: ['probe "disk" failed: timeout'] }), 3);
  assert.equal(worstExitCode([0, 3, 0]), 3);
  assert.equal(worstExitCode([3, 1, 0]), 1);
  assert.equal(worstExitCode([]), 0);
});

test('capacity with made-up Pi 3 B software figures: workers bound by CPU on the Redis layer, by memory on a 512 MB board, with the working printed', async () => {
  const profile = loadProfile('django-channels-redis');
  const pi3 = judge(withMetrics(await recordedReport('pi-3b-bullseye-armhf'), HEALTHY_SOFTWARE), profile);
  assert.equal(pi3.capacity.workers, 4);
  assert.equal(pi3.capacity.binding, 'cpu');
  assert.ok((pi3.capacity.workersByMemory ?? 0) > 4);
  // 600 msg/s per worker on Redis; three workers in parallel (Redis keeps the fourth core); the 4-worker run scaled
  // 3.0x, so three workers 1 + 2 x 2/3 = 2.33x; at 70 % utilisation.
  assert.equal(pi3.capacity.clientsByCpu, Math.round(600 * (1 + (2 * 2) / 3) * 0.7));
  assert.equal(pi3.capacity.websocketClients, Math.min(pi3.capacity.clientsByCpu ?? 0, pi3.capacity.clientsByMemory ?? 0));
  assert.ok(pi3.capacity.assumptions.some((a) => /Django Channels consumer on the Redis channel layer/.test(a)));
  assert.ok(pi3.capacity.assumptions.some((a) => /^measured: connection: 48\.0 KiB each/.test(a)));
  const zero2 = judge(loadHardware('pi-zero-2w'), profile);
  assert.equal(zero2.capacity.binding, 'memory');
  assert.ok((zero2.capacity.workersByMemory ?? 0) < 4);
  assert.ok(
    zero2.capacity.assumptions.some((a) => /^assumed: idle OS/.test(a)),
    'a spec sheet has no available memory: total less the OS',
  );
  const wsgi = judge(loadHardware('pi-3b'), loadProfile('django-wsgi'));
  assert.equal(wsgi.capacity.workers, 9, 'gunicorn (2 x 4 cores) + 1');
  assert.equal(wsgi.capacity.websocketClients, null);
});
