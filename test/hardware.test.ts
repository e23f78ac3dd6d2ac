// The hardware spec sheets and spec-sheet verdicts: every entry under every profile, the memory model
// against recorded devices, and a recorded Pi 3 B agreeing with its spec sheet on every hardware check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectedMemTotal, findHardware, hardwareAliases, isHardwareMetric, listHardware, loadHardware } from '../src/judge/spec-sheets.js';
import { SPEC_SHEET_METRICS } from '../src/report/metrics.js';
import { loadAllProfiles, loadProfile } from '../src/judge/profiles.js';
import type { Report } from '../src/report/types.js';
import { validateReport } from '../src/report/validate.js';
import { judge, type OverallVerdict } from '../src/judge/verdict.js';
import { fixtureRoot, jsonOf, runCli } from './helpers/cli.js';
import { tempDir } from './helpers/reports.js';

const MiB = 1024 * 1024;
type Row = Record<'django-wsgi' | 'django-channels' | 'django-channels-redis' | 'live-stream', OverallVerdict>;
const row = (wsgi: OverallVerdict, channels: OverallVerdict, redis: OverallVerdict, live: OverallVerdict): Row =>
  ({ 'django-wsgi': wsgi, 'django-channels': channels, 'django-channels-redis': redis, 'live-stream': live });
const V = 'viable';
const W = 'viable-with-warnings';
const N = 'not-viable';

// What each spec sheet must come out as. Microcontrollers and ARMv6 boards are never viable for Channels;
// 1 GB boards and up pass; 512 MB boards are the grey zone.
const EXPECTED: Record<string, Row> = {
  'pico': row(N, N, N, N),
  'pico-2': row(N, N, N, N),
  'pi-1b-plus': row(W, N, N, N),
  'pi-zero-w': row(W, N, N, N),
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

test('the catalogue holds every required board, RAM variants included, and family ids resolve', () => {
  const ids = listHardware().map((h) => h.id).sort();
  assert.deepEqual(ids, Object.keys(EXPECTED).sort());
  for (const family of ['pico', 'pico-2', 'pi-1b-plus', 'pi-zero-w', 'pi-zero-2w', 'pi-2b', 'pi-3b', 'pi-3b-plus', 'pi-4b', 'pi-5', 'beaglebone-black', 'orange-pi-zero']) {
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
  assert.match(verdict.summary, /^Spec-sheet verdict: 4 hardware checks judged from the pi-3b spec sheet, \d+ not judged/);
  assert.ok(verdict.checks.every((c) => isHardwareMetric(c.metric)));
  assert.equal(verdict.checks.length + verdict.notJudged.length, profile.checks.length);
  assert.ok(verdict.notJudged.every((n) => !SPEC_SHEET_METRICS.includes(n.metric)));
  assert.ok(verdict.notJudged.some((n) => n.metric === 'python.version'));
  assert.equal(verdict.counts.unknown, 0, 'nothing on a spec sheet is unknown: unstated checks are not judged');
});

test('Pico is not viable and Pi Zero W never viable for Django Channels, whatever is allowed on the memory side', () => {
  for (const profile of loadAllProfiles()) {
    const pico = judge(loadHardware('pico'), profile);
    assert.equal(pico.verdict, 'not-viable', profile.name);
    assert.equal(pico.checks.find((c) => c.id === 'memory.total')?.status, 'fail', 'a 264 KB microcontroller');
    assert.equal(pico.capacity.workers, 0);
    assert.equal(pico.capacity.binding, 'memory');
  }
  for (const name of ['django-channels', 'django-channels-redis', 'live-stream']) {
    const zero = judge(loadHardware('pi-zero-w'), loadProfile(name));
    assert.equal(zero.verdict, 'not-viable', name);
    assert.equal(zero.checks.find((c) => c.id === 'cpu.arch')?.status, 'fail', `${name}: the single ARMv6 core`);
  }
});

test('the MemTotal a spec sheet expects matches recorded devices within 2 %', async () => {
  const pairs: Array<[string, string]> = [
    ['pi-3b', 'pi-3b-bullseye-armhf'], ['pi-zero-w', 'pi-zero-w-revision-only'], ['beaglebone-black', 'beaglebone-black-kernel-3.8'], ['pi-4b-4gb', 'pi-4b-bookworm-arm64'],
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
    assert.deepEqual(measured.checks.filter((c) => c.hardware).map((c) => c.id).sort(), [...hardwareIds].sort());
    if (profile.name === 'django-channels') {
      for (const id of hardwareIds) assert.equal(sheet.checks.find((c) => c.id === id)?.status, 'pass', `django-channels/${id} passes`);
    }
  }
  // The verdict run embedded in its JSON is the same judgment.
  const embedded = output['verdict'] as { profile: { name: string }; checks: Array<{ id: string; status: string }> };
  assert.equal(embedded.profile.name, 'django-channels');
  const again = judge(report, loadProfile('django-channels'));
  assert.deepEqual(embedded.checks.map((c) => [c.id, c.status]), again.checks.map((c) => [c.id, c.status]));
});

test('run takes its exit code from the verdict: a recorded Pi Zero W is not viable (1), a Pi 3 B judged on hardware alone is viable (0)', async () => {
  const zero = await runCli(['run', '--root', fixtureRoot('pi-zero-w-revision-only'), '--format', 'json']);
  assert.equal(zero.code, 1, zero.stderr);
  const zeroVerdict = jsonOf(zero)['verdict'] as { verdict: string; checks: Array<{ id: string; status: string }> };
  assert.equal(zeroVerdict.verdict, 'not-viable');
  assert.equal(zeroVerdict.checks.find((c) => c.id === 'cpu.arch')?.status, 'fail');
  const tmp = tempDir('hardware-only');
  try {
    const channels = loadProfile('django-channels');
    const profile = tmp.write('hardware-only.json', {
      name: 'hardware-only', title: 'Hardware checks of django-channels', description: 'Only what a spec sheet can answer.',
      extends: 'django-channels', remove: channels.checks.filter((c) => !isHardwareMetric(c.metric)).map((c) => c.id),
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
