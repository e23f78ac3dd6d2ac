// The hardware spec sheets and spec-sheet verdicts: every entry under every profile, the memory model
// against recorded devices, and a recorded Pi 3 B agreeing with its spec sheet on every hardware check.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadAllProfiles, loadProfile, parseAllowances } from '../src/judge/profiles.js';
import { expectedMemTotal, findHardware, hardwareAliases, isHardwareMetric, listHardware, loadHardware } from '../src/judge/spec-sheets.js';
import { judge, type OverallVerdict, type Verdict } from '../src/judge/verdict.js';
import { SPEC_SHEET_METRICS } from '../src/report/metrics.js';
import type { Report } from '../src/report/types.js';
import { validateReport } from '../src/report/validate.js';
import { fixtureRoot, jsonOf, runCli } from './helpers/cli.js';
import { HEALTHY_SOFTWARE, recordedReport, tempDir, withMetrics } from './helpers/reports.js';

const MiB = 1024 * 1024;
type Row = Record<'django-wsgi' | 'django-channels' | 'django-channels-redis' | 'live-stream', OverallVerdict>;
const row = (wsgi: OverallVerdict, channels: OverallVerdict, redis: OverallVerdict, live: OverallVerdict): Row => ({
  'django-wsgi': wsgi,
  'django-channels': channels,
  'django-channels-redis': redis,
  'live-stream': live,
});
const V = 'viable';
const W = 'viable-with-warnings';
const N = 'not-viable';

// What each spec sheet must come out as. Microcontrollers are never viable (no Linux); ARMv6 boards are judged
// on cores, clock and memory like any other 512 MB board, with a warning for the architecture; 1 GB boards and
// up pass; 512 MB boards are the grey zone.
const EXPECTED: Record<string, Row> = {
  pico: row(N, N, N, N),
  'pico-2': row(N, N, N, N),
  'pi-1b-plus': row(W, W, N, N),
  'pi-zero-w': row(W, W, N, N),
  'pi-zero-2w': row(V, W, N, N),
  'pi-2b': row(V, W, W, W),
  'pi-3b': row(V, V, V, V),
  'pi-3b-plus': row(V, V, V, V),
  'pi-4b-1gb': row(V, V, V, V),
  'pi-4b-2gb': row(V, V, V, V),
  'pi-4b-4gb': row(V, V, V, V),
  'pi-4b-8gb': row(V, V, V, V),
  'pi-5-2gb': row(V, V, V, V),
  'pi-5-4gb': row(V, V, V, V),
  'pi-5-8gb': row(V, V, V, V),
  'pi-5-16gb': row(V, V, V, V),
  'beaglebone-black': row(V, W, W, N),
  'orange-pi-zero-256mb': row(W, N, N, N),
  'orange-pi-zero-512mb': row(V, W, W, W),
};

/**
 * Two subjects of one class: a check may differ only where the metric it judges differs, and when the verdicts
 * differ, the worse one's summary names a check that differs.
 */
function assertSameClass(a: Verdict, b: Verdict, where: string): void {
  const differing: string[] = [];
  for (const check of a.checks) {
    const other = b.checks.find((c) => c.id === check.id);
    if (!other || other.status === check.status) continue;
    assert.notDeepEqual(check.actual, other.actual, `${where}/${check.id}: ${check.status} vs ${other.status} on the same figure`);
    differing.push(check.id);
  }
  if (a.verdict === b.verdict) return;
  const worse = RANK[a.verdict] > RANK[b.verdict] ? a : b;
  assert.ok(
    differing.some((id) => worse.summary.includes(id)),
    `${where}: ${a.verdict} vs ${b.verdict}, and "${worse.summary}" names one of ${differing.join(', ')}`,
  );
}

const RANK: Record<OverallVerdict, number> = { viable: 0, 'viable-with-warnings': 1, unknown: 2, 'not-viable': 3 };

test('the catalogue holds every required board, RAM variants included, and family ids resolve', () => {
  const ids = listHardware()
    .map((h) => h.id)
    .sort();
  assert.deepEqual(ids, Object.keys(EXPECTED).sort());
  for (const family of [
    'pico',
    'pico-2',
    'pi-1b-plus',
    'pi-zero-w',
    'pi-zero-2w',
    'pi-2b',
    'pi-3b',
    'pi-3b-plus',
    'pi-4b',
    'pi-5',
    'beaglebone-black',
    'orange-pi-zero',
  ]) {
    assert.ok(findHardware(family), `${family} resolves`);
  }
  assert.equal(hardwareAliases().get('pi-4b'), 'pi-4b-4gb');
  assert.deepEqual(loadHardware('pi-4b').variants, ['pi-4b-1gb', 'pi-4b-2gb', 'pi-4b-8gb']);
  assert.throws(() => loadHardware('pi-6'), /unknown hardware id "pi-6" \(known: .*pi-3b/);
  for (const entry of listHardware()) assert.ok(entry.sources.length > 0, `${entry.id} names its sources`);
});

test('each hardware entry gets its asserted spec-sheet verdict under each profile', () => {
  const profiles = loadAllProfiles();
  const got: Record<string, Record<string, OverallVerdict>> = {};
  for (const entry of listHardware()) {
    got[entry.id] = Object.fromEntries(profiles.map((p) => [p.name, judge(entry, p).verdict]));
  }
  assert.deepEqual(got, EXPECTED);
});

test('a spec-sheet verdict judges only what a spec sheet states, lists the rest as not judged and says so', () => {
  const profile = loadProfile('django-channels');
  const verdict = judge(loadHardware('pi-3b'), profile);
  assert.equal(verdict.basis, 'spec-sheet');
  assert.match(
    verdict.summary,
    /^Spec-sheet verdict: 5 hardware checks judged from the pi-3b spec sheet, \d+ not judged/,
    'four profile checks and the platform gate',
  );
  assert.ok(verdict.checks.every((c) => isHardwareMetric(c.metric)));
  assert.equal(verdict.checks.length + verdict.notJudged.length, profile.checks.length + 1, 'every profile check, and the platform gate');
  assert.ok(verdict.notJudged.every((n) => !SPEC_SHEET_METRICS.includes(n.metric)));
  assert.ok(verdict.notJudged.some((n) => n.metric === 'python.version'));
  assert.equal(verdict.counts.unknown, 0, 'nothing on a spec sheet is unknown: unstated checks are not judged');
});

test('a microcontroller is never viable, whatever is allowed: every failing and warning check allowed, under every profile and on the command line', async () => {
  for (const id of ['pico', 'pico-2']) {
    for (const profile of loadAllProfiles()) {
      const strict = judge(loadHardware(id), profile);
      assert.equal(strict.verdict, 'not-viable', `${id} under ${profile.name}`);
      assert.equal(strict.checks.find((c) => c.id === 'platform.linux')?.status, 'fail', 'the spec sheet says linux: false');
      // Allow every check that warns or fails: only the platform gate is left, and it still fails.
      const others = strict.checks.filter((c) => c.id !== 'platform.linux' && c.status !== 'pass').map((c) => c.id);
      assert.ok(others.length >= 2, `${id}/${profile.name}: something besides the gate fails or warns`);
      const allowed = judge(loadHardware(id), profile, {
        allow: parseAllowances(
          others.map((c) => `${c}=tested on the bench`),
          profile,
        ),
      });
      assert.equal(allowed.verdict, 'not-viable', `${id}/${profile.name} with ${others.join(', ')} allowed`);
      assert.equal(allowed.counts.allowed, others.length);
      if (profile.name !== 'django-wsgi') continue;
      // The same through the command line, as a person would type it.
      const result = await runCli([
        'check',
        '--hardware',
        id,
        '--profile',
        profile.name,
        '--format',
        'json',
        ...others.flatMap((c) => ['--allow', `${c}=tested on the bench`]),
      ]);
      assert.equal(result.code, 1, `${id}/${profile.name} with ${others.join(', ')} allowed: ${result.stdout.slice(0, 300)}${result.stderr}`);
      const verdict = jsonOf(result)['verdict'] as { verdict: string; summary: string; counts: { allowed: number } };
      assert.equal(verdict.verdict, 'not-viable');
      assert.match(verdict.summary, /platform\.linux failed/);
      assert.equal(verdict.counts.allowed, others.length);
    }
  }
  // The gate itself cannot be allowed.
  const gate = await runCli(['check', '--hardware', 'pico', '--allow', 'platform.linux=we will port CPython']);
  assert.equal(gate.code, 2);
  assert.match(gate.stderr, /platform\.linux cannot be allowed: without Linux no CPython/);
  assert.equal(gate.stdout, '');
});

test('boards of one class get one verdict unless a stated fact differs, and the verdict names that fact: Pi Zero W vs BeagleBone Black spec sheets', () => {
  const zero = loadHardware('pi-zero-w');
  const bbb = loadHardware('beaglebone-black');
  assert.deepEqual([zero.cpu.cores, zero.cpu.maxMhz, zero.ramBytes], [bbb.cpu.cores, bbb.cpu.maxMhz, bbb.ramBytes], 'one core at 1 GHz and 512 MB each');
  for (const profile of loadAllProfiles()) assertSameClass(judge(zero, profile), judge(bbb, profile), profile.name);
  const channels = loadProfile('django-channels');
  const zeroChannels = judge(zero, channels);
  assert.equal(zeroChannels.verdict, 'viable-with-warnings', 'ARMv6 is not a failure on its own');
  assert.equal(judge(bbb, channels).verdict, 'viable-with-warnings');
  const arch = zeroChannels.checks.find((c) => c.id === 'cpu.arch');
  assert.equal(arch?.status, 'warn');
  assert.match(arch?.message ?? '', /armv6l/);
  assert.ok(
    arch?.sources.some((s) => /python3-cryptography.*armel, armhf/.test(s)),
    "the warning rests on the distribution's packages, not on PyPI alone",
  );
  assert.equal(zeroChannels.checks.find((c) => c.id === 'cpu.effective_cpus')?.status, 'warn', 'one core warns');
});

test('recorded Pi Zero W and BeagleBone Black trees, given the same made-up software figures, differ only where their measured facts differ', async () => {
  const zero = withMetrics(await recordedReport('pi-zero-w-revision-only'), HEALTHY_SOFTWARE);
  const bbb = withMetrics(await recordedReport('beaglebone-black-kernel-3.8'), HEALTHY_SOFTWARE);
  assert.equal(zero.metrics['cpu.arch'], 'armv6l');
  assert.equal(bbb.metrics['cpu.arch'], 'armv7l');
  for (const profile of loadAllProfiles()) assertSameClass(judge(zero, profile), judge(bbb, profile), `recorded trees, ${profile.name}`);
  const channels = loadProfile('django-channels');
  const zeroVerdict = judge(zero, channels);
  assert.notEqual(zeroVerdict.verdict, 'not-viable', zeroVerdict.summary);
  assert.equal(zeroVerdict.verdict, judge(bbb, channels).verdict);
});

test('the MemTotal a spec sheet expects matches recorded devices within 2 %', async () => {
  const pairs: Array<[string, string]> = [
    ['pi-3b', 'pi-3b-bullseye-armhf'],
    ['pi-zero-w', 'pi-zero-w-revision-only'],
    ['beaglebone-black', 'beaglebone-black-kernel-3.8'],
    ['pi-4b-4gb', 'pi-4b-bookworm-arm64'],
  ];
  for (const [id, board] of pairs) {
    const result = await runCli(['run', '--root', fixtureRoot(board), '--only', 'memory', '--format', 'json']);
    const measured = (jsonOf(result)['metrics'] as Record<string, number>)['memory.total_bytes'] as number;
    const expected = expectedMemTotal(loadHardware(id));
    assert.ok(Math.abs(expected - measured) / measured < 0.02, `${id}: expected ${Math.round(expected / MiB)} MiB, recorded ${Math.round(measured / MiB)} MiB`);
  }
});

test('a recorded Raspberry Pi 3 B (run --root) and the pi-3b spec sheet agree on every hardware check of every profile', async () => {
  const result = await runCli(['run', '--root', fixtureRoot('pi-3b-bullseye-armhf'), '--format', 'json']);
  const output = jsonOf(result);
  const { verdict: _embedded, ...reportOnly } = output;
  const checked = validateReport(output);
  assert.ok(checked.ok, checked.ok ? '' : checked.errors.join('; '));
  const report = reportOnly as unknown as Report;
  assert.ok(Math.abs((report.metrics['memory.total_bytes'] as number) / MiB - 907) < 1, 'a real Pi 3 B shows about 907 MiB');
  for (const profile of loadAllProfiles()) {
    const measured = judge(report, profile);
    const sheet = judge(loadHardware('pi-3b'), profile);
    const hardwareIds = sheet.checks.map((c) => c.id);
    assert.ok(hardwareIds.length >= 3, `${profile.name}: hardware checks are judged from the spec sheet`);
    for (const id of hardwareIds) {
      const a = measured.checks.find((c) => c.id === id);
      const b = sheet.checks.find((c) => c.id === id);
      assert.equal(a?.status, b?.status, `${profile.name}/${id}: recorded ${a?.message} vs spec sheet ${b?.message}`);
      assert.equal(a?.hardware, true);
    }
    // The recorded report's hardware checks are exactly the spec sheet's.
    assert.deepEqual(
      measured.checks
        .filter((c) => c.hardware)
        .map((c) => c.id)
        .sort(),
      [...hardwareIds].sort(),
    );
    if (profile.name === 'django-channels') {
      for (const id of hardwareIds) assert.equal(sheet.checks.find((c) => c.id === id)?.status, 'pass', `django-channels/${id} passes`);
    }
  }
  // The verdict run embedded in its JSON is the same judgment.
  const embedded = output['verdict'] as { profile: { name: string }; checks: Array<{ id: string; status: string }> };
  assert.equal(embedded.profile.name, 'django-channels');
  const again = judge(report, loadProfile('django-channels'));
  assert.deepEqual(
    embedded.checks.map((c) => [c.id, c.status]),
    again.checks.map((c) => [c.id, c.status]),
  );
});

test('run takes its exit code from the verdict: a recorded Pi Zero W is unknown (3: the tree holds no Python) and ARMv6 only warns; a Pi 3 B judged on hardware alone is viable (0)', async () => {
  const zero = await runCli(['run', '--root', fixtureRoot('pi-zero-w-revision-only'), '--format', 'json']);
  assert.equal(zero.code, 3, zero.stderr);
  const zeroVerdict = jsonOf(zero)['verdict'] as { verdict: string; checks: Array<{ id: string; status: string }> };
  assert.equal(zeroVerdict.verdict, 'unknown');
  assert.equal(zeroVerdict.checks.find((c) => c.id === 'cpu.arch')?.status, 'warn');
  assert.equal(zeroVerdict.checks.find((c) => c.id === 'platform.linux')?.status, 'pass');
  const tmp = tempDir('hardware-only');
  try {
    const channels = loadProfile('django-channels');
    const profile = tmp.write('hardware-only.json', {
      name: 'hardware-only',
      title: 'Hardware checks of django-channels',
      description: 'Only what a spec sheet can answer.',
      extends: 'django-channels',
      remove: channels.checks.filter((c) => !isHardwareMetric(c.metric)).map((c) => c.id),
    });
    for (const strict of [[], ['--strict']]) {
      const pi3 = await runCli(['run', '--root', fixtureRoot('pi-3b-bullseye-armhf'), '--profile', profile, ...strict]);
      assert.equal(pi3.code, 0, pi3.stderr);
      assert.match(pi3.stdout, /under hardware-only: VIABLE\n/);
    }
  } finally {
    tmp.remove();
  }
});
