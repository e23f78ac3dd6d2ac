// Dated facts: python.max_django is judged against Django's support table on the report's date, the message
// shows the table's date, and the table itself must be kept fresh (src/facts/django-support.ts).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DJANGO_PYTHON_SUPPORT, DJANGO_SUPPORT_TABLE, maxDjangoFor, newestLtsSeries, oldestSupportedSeries } from '../src/facts/django-support.js';
import { ConfigError } from '../src/judge/errors.js';
import { loadProfile } from '../src/judge/profiles.js';
import { judge } from '../src/judge/verdict.js';
import type { Report } from '../src/report/types.js';
import { HEALTHY_SOFTWARE, recordedReport, tempDir, withMetrics } from './helpers/reports.js';

const DAY_MS = 24 * 3600 * 1000;

/** The recorded Pi 3 B tree with made-up software figures: Python 3.9 (bullseye), whose newest Django is 4.2. */
async function python39Report(createdAt: string): Promise<Report> {
  const report = withMetrics(await recordedReport('pi-3b-bullseye-armhf'), {
    ...HEALTHY_SOFTWARE,
    'python.version': '3.9.2',
    'python.max_django': maxDjangoFor('3.9.2').series,
  });
  report.createdAt = createdAt;
  return report;
}

test('the support table: 4.2 is the oldest supported series until April 2026, 5.2 after; 5.2 is the newest LTS', () => {
  assert.equal(maxDjangoFor('3.9.2').series, '4.2');
  assert.equal(oldestSupportedSeries('2025-06-01'), '4.2');
  assert.equal(oldestSupportedSeries('2026-03-31T23:00:00Z'), '4.2');
  assert.equal(oldestSupportedSeries('2026-04-01'), '5.2', 'Django 4.2 left security support in April 2026');
  assert.equal(oldestSupportedSeries('2026-11-30'), '5.2');
  assert.equal(newestLtsSeries('2026-11-30'), '5.2');
  assert.equal(oldestSupportedSeries('2035-01-01'), null, 'a table this old knows no series then');
});

test('python.max_django (recorded Pi 3 B, made-up Python 3.9 figures) passes the fail line in 2025 and fails after April 2026; the message shows the table date', async () => {
  const profile = loadProfile('django-channels');
  const before = judge(await python39Report('2025-06-01T12:00:00.000Z'), profile).checks.find((c) => c.id === 'python.max_django');
  assert.equal(before?.status, 'warn', `4.2 was still supported in June 2025, below the 5.2 LTS: ${before?.message}`);
  assert.match(before?.message ?? '', /5\.2 is the newest Django LTS series on 2025-06-01/);
  const after = judge(await python39Report('2026-06-01T12:00:00.000Z'), profile);
  const check = after.checks.find((c) => c.id === 'python.max_django');
  assert.equal(check?.status, 'fail', check?.message);
  assert.equal(after.verdict, 'not-viable');
  assert.match(
    check?.message ?? '',
    /^Newest Django this Python supports: 4\.2, older than 5\.2 \(.*5\.2 is the oldest Django series with security support on 2026-06-01.*per Django's support table of 2026-11-30\)$/,
  );
  assert.equal(check?.expected, 'version >= 5.2 (else warn); version >= 5.2 (else fail)');
});

test('a report is judged on the day it was measured, and a date past the table is unknown, never a pass (recorded Pi 3 B, made-up figures)', async () => {
  const profile = loadProfile('django-wsgi');
  // Measured in 2025 and judged again today: still the 2025 answer.
  const old = judge(await python39Report('2025-06-01T00:00:00.000Z'), profile);
  assert.notEqual(old.checks.find((c) => c.id === 'python.max_django')?.status, 'fail');
  const future = judge(await python39Report('2035-01-01T00:00:00.000Z'), profile);
  const check = future.checks.find((c) => c.id === 'python.max_django');
  assert.equal(check?.status, 'unknown');
  assert.equal(check?.canFail, true);
  assert.match(check?.unknownReason ?? '', /Django's support table \(checked 2026-11-30\) lists no series .* on 2035-01-01: update edgeprobe/);
  assert.equal(future.verdict, 'unknown');
});

test('the Django support table is fresh: checked within a year, its newest release less than a year old, and no release after the day it was checked', () => {
  const now = Date.now();
  const checked = Date.parse(DJANGO_SUPPORT_TABLE.checked);
  const newest =
    DJANGO_PYTHON_SUPPORT.map((d) => d.released)
      .sort()
      .at(-1) ?? '';
  const newestAt = Date.parse(`${newest}-01`);
  assert.ok(checked <= now, 'checked in the past');
  assert.ok(newestAt <= checked, `the newest release listed (${newest}) came out before the table was checked (${DJANGO_SUPPORT_TABLE.checked})`);
  assert.ok(
    now - checked <= 365 * DAY_MS,
    `the table was checked on ${DJANGO_SUPPORT_TABLE.checked}, more than a year ago: check Django's supported versions again`,
  );
  // Django ships a feature release every eight months: a table whose newest release is over a year old misses one.
  assert.ok(now - newestAt <= 365 * DAY_MS, `the newest release in the table, ${newest}, is more than a year old: a newer Django is missing`);
  for (const d of DJANGO_PYTHON_SUPPORT) assert.ok(d.released < d.securityEnds, `${d.series}: released before its support ends`);
  assert.deepEqual(
    DJANGO_PYTHON_SUPPORT.map((d) => d.released),
    [...DJANGO_PYTHON_SUPPORT.map((d) => d.released)].sort(),
    'oldest first',
  );
});

test('a profile may name dated facts only with version>=, and only facts that exist (exit 2 with file and key)', () => {
  const tmp = tempDir('dated');
  try {
    const base = { name: 'x', title: 'x', description: 'x', extends: 'django-wsgi' };
    const unknown = tmp.write('unknown.json', { ...base, checks: [{ id: 'python.max_django', fail: { fact: 'django.whatever' } }] });
    assert.throws(
      () => loadProfile(unknown),
      (e: unknown) =>
        e instanceof ConfigError &&
        /checks\[0\]\.fail\.fact: unknown dated fact "django\.whatever" \(one of django\.oldest_supported, django\.newest_lts\)/.test(e.message),
    );
    const wrongOp = tmp.write('op.json', { ...base, checks: [{ id: 'python.version', operator: '==', warn: { fact: 'django.newest_lts' } }] });
    assert.throws(() => loadProfile(wrongOp), /warn\.fact: dated facts are Django series, so the operator must be "version>="/);
  } finally {
    tmp.remove();
  }
});
