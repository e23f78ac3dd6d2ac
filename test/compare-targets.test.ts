// `compare` (reports and hardware ids mixed, three formats, differences marked) and `targets`, from the real CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Comparison } from '../src/judge/compare.js';
import { listHardware } from '../src/judge/spec-sheets.js';
import { listProfileNames, loadProfile } from '../src/judge/profiles.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { jsonOf, REPO_ROOT, runCli } from './helpers/cli.js';
import { HEALTHY_SOFTWARE, recordedReport, tempDir, withMetrics } from './helpers/reports.js';

test('compare mixes a measured report (recorded Pi 3 B, made-up software figures) and spec sheets: key metrics, every check, capacity, differing rows marked', async () => {
  const tmp = tempDir('compare');
  try {
    const pi3 = tmp.write('pi3.json', withMetrics(await recordedReport('pi-3b-bullseye-armhf'), HEALTHY_SOFTWARE));
    const result = await runCli(['compare', pi3, 'pi-3b', 'pi-zero-w', '--format', 'json']);
    assert.equal(result.code, 0, result.stderr);
    const comparison = jsonOf(result) as unknown as Comparison;
    assert.deepEqual(comparison.subjects.map((s) => [s.kind, s.verdict]), [['report', 'viable'], ['hardware', 'viable'], ['hardware', 'viable-with-warnings']]);
    const rows = Object.fromEntries(comparison.sections.flatMap((s) => s.rows).map((r) => [r.key, r]));
    // Every check appears, the platform gate first: the report judges them all, the spec sheets only the hardware ones.
    assert.equal(comparison.sections.find((s) => s.title === 'Checks')?.rows.length, loadProfile().checks.length + 1);
    assert.deepEqual(rows['check.platform.linux']?.values, ['pass', 'pass', 'pass']);
    assert.deepEqual(rows['check.python.version']?.cells, ['pass: 3.11.2', 'not judged', 'not judged']);
    assert.deepEqual(rows['check.cpu.arch']?.values, ['pass', 'pass', 'warn']);
    assert.equal(rows['check.cpu.arch']?.differs, true);
    assert.equal(rows['cpu.cores']?.differs, true, '4, 4 and 1 cores differ');
    assert.deepEqual(rows['cpu.model']?.cells, ['Cortex-A53', 'Cortex-A53', 'ARM1176JZF-S']);
    assert.equal(rows['capacity.workers']?.values[0], comparison.verdicts[0]?.capacity.workers);
    assert.ok(rows['capacity.websocket_clients'], 'capacity is shown');
    // Two identical spec sheets differ nowhere.
    const same = jsonOf(await runCli(['compare', 'pi-4b', 'pi-4b-4gb', '--format', 'json'])) as unknown as Comparison;
    assert.ok(same.sections.flatMap((s) => s.rows).every((r) => !r.differs), 'pi-4b is pi-4b-4gb');
    const text = await runCli(['compare', pi3, 'pi-zero-w', '--profile', 'django-channels-redis']);
    assert.match(text.stdout, /^≠ cpu\.arch +pass: armv7l +warn: armv6l/m);
    assert.match(text.stdout, /^≠ ASGI workers +4 +0/m, 'four by CPU on the Pi 3; on the Zero W no worker fits beside Redis and PostgreSQL');
    const md = await runCli(['compare', pi3, 'pi-zero-w', '--format', 'markdown', '--profile', 'django-wsgi']);
    assert.match(md.stdout, /^## Comparison under `django-wsgi`/m);
    assert.match(md.stdout, /^\| ≠ cpu\.arch \| \*\*pass: armv7l\*\* \| \*\*warn: armv6l\*\* \|$/m);
    assert.match(md.stdout, /^\| ≠ WSGI workers \| \*\*9\*\* \| \*\*3\*\* \|$/m);
  } finally {
    tmp.remove();
  }
});

test('compare refuses what is neither a report nor a hardware id, a broken report, and a single subject (exit 2)', async () => {
  const tmp = tempDir('compare-bad');
  try {
    const unknown = await runCli(['compare', 'pi-3b', 'pi-7']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /pi-7: neither a report file nor a hardware id \(hardware ids: .*pi-zero-w/);
    const broken = tmp.write('broken.json', '{"schema": "edgeprobe.report/v9"}');
    const bad = await runCli(['compare', 'pi-3b', broken]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /broken\.json: not a valid edgeprobe report: unsupported report schema "edgeprobe\.report\/v9"/);
    const one = await runCli(['compare', 'pi-3b']);
    assert.equal(one.code, 2);
    assert.match(one.stderr, /at least two/);
    for (const r of [unknown, bad, one]) assert.equal(r.stdout, '');
  } finally {
    tmp.remove();
  }
});

test('targets lists every profile and every hardware entry with its spec-sheet verdicts', async () => {
  const text = await runCli(['targets']);
  assert.equal(text.code, 0);
  for (const name of listProfileNames()) assert.match(text.stdout, new RegExp(`^  ${name} `, 'm'));
  for (const entry of listHardware()) assert.match(text.stdout, new RegExp(`^  ${entry.id} +${entry.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} · `, 'm'));
  const json = jsonOf(await runCli(['targets', '--format', 'json']));
  assert.equal(json['defaultProfile'], 'django-channels');
  const hardware = json['hardware'] as Array<{ id: string; specSheetVerdicts: Record<string, string> }>;
  assert.equal(hardware.find((h) => h.id === 'pico')?.specSheetVerdicts['django-wsgi'], 'not-viable');
  assert.equal(hardware.find((h) => h.id === 'pi-3b')?.specSheetVerdicts['django-channels'], 'viable');
  assert.deepEqual(json['aliases'], { 'orange-pi-zero': 'orange-pi-zero-512mb', 'pi-4b': 'pi-4b-4gb', 'pi-5': 'pi-5-4gb' });
});

test('docs/profiles.md documents every profile, every check a profile defines, and every hardware entry', () => {
  const readme = readFileSync(join(REPO_ROOT, 'docs', 'profiles.md'), 'utf8');
  for (const name of listProfileNames()) {
    assert.match(readme, new RegExp(`^## \`${name}\``, 'm'), `profile ${name}`);
    const own = (JSON.parse(readFileSync(join(REPO_ROOT, 'targets', 'profiles', `${name}.json`), 'utf8')) as { checks?: Array<{ id: string }> }).checks ?? [];
    const section = readme.split(`\n## \`${name}\``)[1]?.split('\n## ')[0] ?? '';
    for (const check of own) assert.ok(section.includes(`| \`${check.id}\` |`), `${name}: check ${check.id} in its README table`);
  }
  for (const entry of listHardware()) assert.ok(readme.includes(`| \`${entry.id}\` |`), `hardware ${entry.id}`);
});
