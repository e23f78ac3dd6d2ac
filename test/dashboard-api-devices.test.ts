// The dashboard's read API against both storage backends: the device list and its paging, one device's
// history, one report, compare across devices, reports and spec sheets, retention.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, test } from 'node:test';
import type { Report } from '../src/report/types.js';
import { type ApiDashboard, call, onEveryBackend, upload } from './helpers/dashboard-api.js';
import { historicReport, makeReport } from './helpers/dashboard-reports.js';

interface DeviceRow {
  id: string;
  name: string;
  reportCount: number;
  lastSeen: string;
  verdicts: unknown[];
}

interface UploadedHistory {
  older: Report;
  newer: Report;
  history: DeviceRow;
  zero: DeviceRow;
}

/** Two reports of one device three and one days ago, and one of another device, uploaded and listed. */
async function uploadHistory({ base, uploadToken, readToken }: ApiDashboard): Promise<UploadedHistory> {
  const older = historicReport({ label: 'pi-history', daysAgo: 3, factor: 0.8 });
  const newer = historicReport({ label: 'pi-history', daysAgo: 1, factor: 1 });
  const other = makeReport({
    label: 'zero-2w',
    metrics: { 'host.board': 'Raspberry Pi Zero 2 W Rev 1.0', 'memory.available_bytes': 300_000_000, 'cpu.cores': 4 },
  });
  for (const r of [older, newer, other]) assert.equal((await upload(base, JSON.stringify(r), uploadToken)).status, 201);
  const list = await call(base, '/api/v1/devices', { token: readToken });
  const devices = list.json['devices'] as DeviceRow[];
  const history = devices.find((d) => d.name === 'pi-history');
  const zero = devices.find((d) => d.name === 'zero-2w');
  assert.ok(history && zero);
  return { older, newer, history, zero };
}

function historyTests(dashboard: () => ApiDashboard): void {
  describe('devices, history, one report, compare across devices and reports', () => {
    let fixture: UploadedHistory | undefined;
    before(async () => {
      fixture = await uploadHistory(dashboard());
    });
    const uploaded = (): UploadedHistory => {
      assert.ok(fixture, 'the history reports were uploaded');
      return fixture;
    };

    test('the device list: report count, last seen, the latest verdict per profile', async () => {
      const { base, readToken } = dashboard();
      const { newer, history } = uploaded();
      assert.equal(history.reportCount, 2);
      assert.equal(history.lastSeen, newer.createdAt);
      const profileIds = ((await call(base, '/api/v1/profiles', { token: readToken })).json['profiles'] as { id: string }[]).map((p) => p.id);
      assert.deepEqual(
        history.verdicts.map((v) => (v as { profile: string }).profile),
        profileIds,
        'the latest verdict per profile',
      );
    });

    test('one device: its reports newest first, limit; bad limit and unknown ids are 400 and 404', async () => {
      const { base, readToken } = dashboard();
      const { older, newer, history } = uploaded();
      const device = await call(base, `/api/v1/devices/${history.id}`, { token: readToken });
      const reports = device.json['reports'] as { id: string; metrics: Record<string, unknown> }[];
      assert.deepEqual(
        reports.map((r) => r.id),
        [newer.id, older.id],
      );
      assert.equal(reports[1]?.metrics['memory.available_bytes'], Math.round(610_000_000 * 0.8));
      assert.equal(Array.isArray((await call(base, `/api/v1/devices/${history.id}?limit=1`, { token: readToken })).json['reports']), true);
      assert.equal(((await call(base, `/api/v1/devices/${history.id}?limit=1`, { token: readToken })).json['reports'] as unknown[]).length, 1);
      assert.equal((await call(base, `/api/v1/devices/${history.id}?limit=abc`, { token: readToken })).status, 400);
      assert.equal((await call(base, '/api/v1/devices/nope-00000000', { token: readToken })).status, 404);
      assert.equal((await call(base, `/api/v1/reports/${randomUUID()}`, { token: readToken })).status, 404);
    });

    compareTests(dashboard, uploaded);
  });
}

function compareTests(dashboard: () => ApiDashboard, uploaded: () => UploadedHistory): void {
  test('compare across devices and reports: one entry each, differing metrics marked, bad ids refused', async () => {
    const { base, readToken } = dashboard();
    const { older, newer, history, zero } = uploaded();

    const cmp = await call(base, `/api/v1/compare?ids=${history.id},report:${older.id}&ids=${zero.id}`, { token: readToken });
    assert.equal(cmp.status, 200, cmp.text);
    const entries = cmp.json['entries'] as { kind: string; name: string; reportId: string }[];
    assert.deepEqual(
      entries.map((e) => [e.kind, e.name]),
      [
        ['device', 'pi-history'],
        ['report', 'pi-history'],
        ['device', 'zero-2w'],
      ],
    );
    assert.equal(entries[0]?.reportId, newer.id);
    const rows = cmp.json['metrics'] as { metric: string; values: unknown[]; differs: boolean }[];
    const memory = rows.find((r) => r.metric === 'memory.available_bytes');
    assert.deepEqual(memory?.values, [610_000_000, Math.round(610_000_000 * 0.8), 300_000_000]);
    assert.equal(memory?.differs, true);
    assert.equal(rows.find((r) => r.metric === 'cpu.cores')?.differs, false);
    const python = rows.find((r) => r.metric === 'python.version');
    assert.deepEqual(python?.values, ['3.11.2', '3.11.2', null], 'a metric one entry lacks is shown as not measured');
    const missing = await call(base, `/api/v1/compare?ids=${history.id},no-such-thing`, { token: readToken });
    assert.equal(missing.status, 404);
    assert.match(String(missing.json['message']), /no-such-thing/);
    assert.equal((await call(base, '/api/v1/compare', { token: readToken })).status, 400);
    assert.equal((await call(base, `/api/v1/compare?ids=${Array.from({ length: 20 }, (_, i) => `d${i}`).join(',')}`, { token: readToken })).status, 400);
    assert.equal((await call(base, `/api/v1/compare?ids=${history.id}&profile=no-such-profile`, { token: readToken })).status, 404);
  });

  test('devices and spec sheets mixed, under two profiles: the checks follow the profile', async () => {
    const { base, readToken } = dashboard();
    const { history } = uploaded();
    const hardware = (await call(base, '/api/v1/hardware', { token: readToken })).json['hardware'] as { id: string; name: string }[];
    assert.ok(
      hardware.some((h) => h.id === 'pi-zero-w'),
      hardware.map((h) => h.id).join(', '),
    );
    const sheets = await call(base, `/api/v1/compare?ids=${history.id},hw:pi-zero-w,pi-4b&profile=django-wsgi`, { token: readToken });
    assert.equal(sheets.status, 200, sheets.text);
    const sheetEntries = sheets.json['entries'] as { kind: string; verdict: { verdict: string; basis: string; profile: string } }[];
    assert.deepEqual(
      sheetEntries.map((e) => e.kind),
      ['device', 'hardware', 'hardware'],
    );
    assert.equal(sheetEntries[1]?.verdict.basis, 'spec-sheet');
    assert.equal(sheetEntries[0]?.verdict.profile, 'django-wsgi');
    const sections = sheets.json['sections'] as { title: string; rows: { key: string; cells: string[]; differs: boolean }[] }[];
    assert.deepEqual(
      sections.map((s) => s.title),
      ['Verdict', 'Key metrics', 'Checks', 'Capacity'],
    );
    const wsgiChecks = sections.find((s) => s.title === 'Checks')?.rows.map((r) => r.key) ?? [];
    const channels = await call(base, `/api/v1/compare?ids=${history.id},hw:pi-zero-w,pi-4b&profile=django-channels`, { token: readToken });
    const channelsChecks = (channels.json['sections'] as typeof sections).find((s) => s.title === 'Checks')?.rows.map((r) => r.key) ?? [];
    assert.notDeepEqual(channelsChecks, wsgiChecks, 'switching the profile switches the checks');
    assert.equal((channels.json['profile'] as { id: string }).id, 'django-channels');
  });
}

function listTests(dashboard: () => ApiDashboard): void {
  test('the device list pages and searches: limit, offset, next, total; bad values are 400', async () => {
    const { base, uploadToken, readToken } = dashboard();
    for (let i = 0; i < 5; i++)
      assert.equal((await upload(base, JSON.stringify(historicReport({ label: `page-pi-${i}`, daysAgo: 10 - i, factor: 1 })), uploadToken)).status, 201);
    const first = await call(base, '/api/v1/devices?q=page-pi&limit=2', { token: readToken });
    assert.equal(first.status, 200, first.text);
    assert.deepEqual(
      (first.json['devices'] as { name: string }[]).map((d) => d.name),
      ['page-pi-4', 'page-pi-3'],
    );
    assert.equal(first.json['total'], 5);
    assert.equal(first.json['next'], 2);
    const last = await call(base, '/api/v1/devices?q=PAGE-PI&limit=2&offset=4', { token: readToken });
    assert.deepEqual(
      (last.json['devices'] as { name: string }[]).map((d) => d.name),
      ['page-pi-0'],
    );
    assert.equal(last.json['next'], null);
    for (const bad of ['limit=0', 'limit=501', 'offset=-1', 'limit=x', `q=${'x'.repeat(201)}`]) {
      const res = await call(base, `/api/v1/devices?${bad}`, { token: readToken });
      assert.equal(res.status, 400, bad);
      assert.equal(res.json['error'], 'bad_request');
    }
  });

  test('retention: only the newest reports per device are kept', async () => {
    const { base, uploadToken, readToken } = dashboard();
    const ids: string[] = [];
    for (let i = 6; i >= 1; i--) {
      const r = historicReport({ label: 'pi-retention', daysAgo: i, factor: 1 });
      ids.push(r.id);
      assert.equal((await upload(base, JSON.stringify(r), uploadToken)).status, 201);
    }
    const devices = (await call(base, '/api/v1/devices', { token: readToken })).json['devices'] as { id: string; name: string; reportCount: number }[];
    const device = devices.find((d) => d.name === 'pi-retention');
    assert.equal(device?.reportCount, 4);
    const kept = ((await call(base, `/api/v1/devices/${device?.id ?? ''}`, { token: readToken })).json['reports'] as { id: string }[]).map((r) => r.id);
    assert.deepEqual(kept, ids.slice(2).reverse());
  });
}

onEveryBackend('dashboard-api-devices', (dashboard) => {
  historyTests(dashboard);
  listTests(dashboard);
});
