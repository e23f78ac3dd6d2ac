// The dashboard's HTTP API against both storage backends: auth on every route, uploads (idempotent, with
// the right 4xx for bad input and nothing stored), reads, compare, retention, pages' sign-in.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createToken } from '../src/dashboard/http/auth.js';
import { ROUTES, type RunningDashboard, startDashboard } from '../src/dashboard/http/server.js';
import { openStore, type Store } from '../src/dashboard/store/store.js';
import { validateReport } from '../src/report/validate.js';
import { historicReport, makeReport } from './helpers/dashboard-reports.js';
import { requireComponent } from './helpers/env.js';
import { postgresAvailable, usePostgresCluster } from './helpers/postgres.js';

interface Answer {
  status: number;
  headers: Headers;
  json: Record<string, unknown>;
  text: string;
}

async function call(base: string, path: string, init: RequestInit & { token?: string } = {}): Promise<Answer> {
  const headers = new Headers(init.headers);
  if (init.token) headers.set('authorization', `Bearer ${init.token}`);
  const response = await fetch(`${base}${path}`, { ...init, headers, redirect: 'manual' });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // pages and redirects
  }
  return { status: response.status, headers: response.headers, json, text };
}

function upload(base: string, body: string, token: string | undefined, contentType = 'application/json'): Promise<Answer> {
  return call(base, '/api/v1/reports', { method: 'POST', body, headers: { 'content-type': contentType }, ...(token ? { token } : {}) });
}

/** Sends a body with raw node:http (fetch cannot send a lying content-length or a chunked body on demand). */
function rawPost(base: string, path: string, headers: Record<string, string>, body: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { method: 'POST', headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => {
        text += c.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function apiSuite(name: string, database: () => Promise<string>): void {
  describe(`dashboard API on ${name}`, () => {
    let store: Store;
    let dash: RunningDashboard;
    let base = '';
    let uploadToken = '';
    let readToken = '';
    let adminToken = '';
    const MAX_BODY = 256 * 1024;

    before(async () => {
      store = await openStore(await database());
      uploadToken = (await createToken(store, 'uploader', ['upload'])).token;
      readToken = (await createToken(store, 'reader', ['read'])).token;
      adminToken = (await createToken(store, 'admin', ['admin'])).token;
      dash = await startDashboard({ store, keepPerDevice: 4, maxBodyBytes: MAX_BODY, publicRead: false }, '127.0.0.1', 0);
      base = dash.url;
    });
    after(async () => {
      await dash.close();
      await store.close();
    });

    test('health answers without a token', async () => {
      const res = await call(base, '/api/v1/health');
      assert.equal(res.status, 200);
      assert.equal(res.json['storage'], name);
      assert.equal(res.json['schemaVersion'], res.json['latestSchemaVersion']);
    });

    test('bad uploads get the right 4xx, as {error, message}, and nothing is stored', async () => {
      const valid = makeReport({ label: 'bad-upload-target' });
      assert.ok(validateReport(valid).ok);
      const wrongSchema = { ...valid, schema: 'edgeprobe.report/v2' };
      const missingMetrics: Record<string, unknown> = { ...valid };
      delete missingMetrics['metrics'];
      const badMetricType = { ...valid, metrics: { ...valid.metrics, 'memory.total_bytes': 'lots' } };
      const cases: { what: string; send: () => Promise<{ status: number; text: string }>; status: number; error: string }[] = [
        { what: 'no token', send: () => upload(base, JSON.stringify(valid), undefined), status: 401, error: 'unauthorized' },
        { what: 'unknown token', send: () => upload(base, JSON.stringify(valid), `ep_000000000000_${'A'.repeat(43)}`), status: 401, error: 'unauthorized' },
        { what: 'garbage token', send: () => upload(base, JSON.stringify(valid), 'hunter2'), status: 401, error: 'unauthorized' },
        {
          what: 'tampered secret',
          send: () => upload(base, JSON.stringify(valid), `${uploadToken.slice(0, -1)}${uploadToken.endsWith('A') ? 'B' : 'A'}`),
          status: 401,
          error: 'unauthorized',
        },
        { what: 'read-only token', send: () => upload(base, JSON.stringify(valid), readToken), status: 403, error: 'forbidden' },
        { what: 'text/plain', send: () => upload(base, JSON.stringify(valid), uploadToken, 'text/plain'), status: 415, error: 'unsupported_media_type' },
        {
          what: 'gzip-encoded',
          send: () =>
            rawPost(
              base,
              '/api/v1/reports',
              { authorization: `Bearer ${uploadToken}`, 'content-type': 'application/json', 'content-encoding': 'gzip' },
              Buffer.from('xx'),
            ),
          status: 415,
          error: 'unsupported_media_type',
        },
        { what: 'not JSON', send: () => upload(base, '{"schema": "edgeprobe.report/v1", ', uploadToken), status: 400, error: 'invalid_json' },
        {
          what: 'not UTF-8',
          send: () =>
            rawPost(
              base,
              '/api/v1/reports',
              { authorization: `Bearer ${uploadToken}`, 'content-type': 'application/json' },
              Buffer.from([0x7b, 0xff, 0xfe, 0x7d]),
            ),
          status: 400,
          error: 'invalid_json',
        },
        { what: 'empty body', send: () => upload(base, '', uploadToken), status: 400, error: 'invalid_json' },
        { what: 'a JSON array', send: () => upload(base, '[1,2]', uploadToken), status: 400, error: 'invalid_report' },
        { what: 'wrong schema version', send: () => upload(base, JSON.stringify(wrongSchema), uploadToken), status: 400, error: 'unsupported_schema' },
        { what: 'missing metrics', send: () => upload(base, JSON.stringify(missingMetrics), uploadToken), status: 400, error: 'invalid_report' },
        { what: 'a metric of the wrong type', send: () => upload(base, JSON.stringify(badMetricType), uploadToken), status: 400, error: 'invalid_report' },
        {
          what: 'a leap second',
          send: () => upload(base, JSON.stringify({ ...valid, createdAt: '2026-06-30T23:59:60Z' }), uploadToken),
          status: 400,
          error: 'invalid_report',
        },
        {
          what: 'from the future',
          send: () => upload(base, JSON.stringify({ ...valid, createdAt: '2099-01-01T00:00:00Z' }), uploadToken),
          status: 400,
          error: 'invalid_report',
        },
        {
          what: 'oversized',
          status: 413,
          error: 'payload_too_large',
          send: () => upload(base, JSON.stringify({ ...valid, options: { padding: 'x'.repeat(MAX_BODY) } }), uploadToken),
        },
        {
          what: 'oversized by its declared length',
          status: 413,
          error: 'payload_too_large',
          send: () =>
            rawPost(
              base,
              '/api/v1/reports',
              { authorization: `Bearer ${uploadToken}`, 'content-type': 'application/json', 'content-length': String(64 * 1024 * 1024) },
              Buffer.from('{}'),
            ),
        },
        {
          what: 'oversized, chunked',
          status: 413,
          error: 'payload_too_large',
          send: () =>
            rawPost(
              base,
              '/api/v1/reports',
              { authorization: `Bearer ${uploadToken}`, 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
              Buffer.alloc(MAX_BODY * 2, 0x20),
            ),
        },
      ];
      for (const c of cases) {
        const res = await c.send();
        assert.equal(res.status, c.status, `${c.what}: ${res.text.slice(0, 300)}`);
        const body = JSON.parse(res.text) as Record<string, unknown>;
        assert.equal(body['error'], c.error, c.what);
        assert.equal(typeof body['message'], 'string', c.what);
      }
      assert.equal(await store.countReports(), 0);
      assert.deepEqual(await store.listDevices(), []);
    });

    test('a valid upload is stored once: 201 with verdicts, then 200 already stored, 409 for another body with the same id', async () => {
      const report = makeReport({ label: 'pi-upload' });
      const first = await upload(base, JSON.stringify(report, null, 2), uploadToken);
      assert.equal(first.status, 201, first.text);
      assert.equal(first.json['status'], 'created');
      assert.equal(first.json['id'], report.id);
      const profiles = ((await call(base, '/api/v1/profiles', { token: readToken })).json['profiles'] as { id: string }[]).map((p) => p.id);
      assert.ok(profiles.includes('django-channels') && profiles.includes('django-wsgi'), profiles.join(', '));
      const verdicts = first.json['verdicts'] as { profile: string; verdict: string; checks: { status: string }[]; capacity: unknown }[];
      assert.deepEqual(
        verdicts.map((v) => v.profile),
        profiles,
        'one verdict per profile',
      );
      for (const v of verdicts) {
        assert.match(v.verdict, /^(viable|viable-with-warnings|not-viable|unknown)$/);
        assert.ok(v.checks.length > 0 && v.capacity);
      }
      assert.equal(first.headers.get('location'), `/api/v1/reports/${report.id}`);
      // The same report, compact this time (a re-sent spool file, say): already stored.
      const again = await upload(base, JSON.stringify(report), uploadToken);
      assert.equal(again.status, 200);
      assert.equal(again.json['status'], 'duplicate');
      // The same report as `run --format json` writes it, with a verdict embedded: still the same report.
      const withVerdict = await upload(base, JSON.stringify({ ...report, verdict: { verdict: 'viable' } }), uploadToken);
      assert.equal(withVerdict.status, 200, withVerdict.text);
      assert.equal(withVerdict.json['status'], 'duplicate');
      const changed = await upload(base, JSON.stringify({ ...report, metrics: { ...report.metrics, 'cpu.cores': 2 } }), adminToken);
      assert.equal(changed.status, 409);
      assert.equal(changed.json['error'], 'conflict');
      const stored = await call(base, `/api/v1/reports/${report.id}`, { token: readToken });
      assert.equal(stored.status, 200);
      assert.deepEqual((stored.json['report'] as Record<string, unknown>)['metrics'], report.metrics);
      assert.equal(await store.countReports(), 1);
    });

    test('reads need a read token: 401 without, 403 with an upload-only token', async () => {
      for (const path of ['/api/v1/devices', '/api/v1/profiles', '/api/v1/hardware', '/api/v1/compare?ids=x', `/api/v1/reports/${randomUUID()}`]) {
        const none = await call(base, path);
        assert.equal(none.status, 401, path);
        assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
        assert.equal((await call(base, path, { token: uploadToken })).status, 403, path);
      }
    });

    test('every route in the table enforces its scope', async () => {
      assert.ok(ROUTES.length >= 15);
      for (const route of ROUTES) {
        assert.ok(route.summary.length > 0, `${route.method} ${route.path} has a summary`);
        if (route.scope === null) continue;
        const path = route.path.replace(/:[a-z]+/g, 'x');
        const res = await call(base, path, {
          method: route.method,
          ...(route.method === 'POST' ? { body: '{}', headers: { 'content-type': 'application/json' } } : {}),
        });
        if (route.kind === 'page') {
          assert.equal(res.status, 303, `${route.method} ${route.path}`);
          assert.match(res.headers.get('location') ?? '', /^\/login\?next=/);
        } else {
          assert.equal(res.status, 401, `${route.method} ${route.path}`);
        }
      }
    });

    test('devices, history, one report, compare across devices and reports', async () => {
      const older = historicReport({ label: 'pi-history', daysAgo: 3, factor: 0.8 });
      const newer = historicReport({ label: 'pi-history', daysAgo: 1, factor: 1 });
      const other = makeReport({
        label: 'zero-2w',
        metrics: { 'host.board': 'Raspberry Pi Zero 2 W Rev 1.0', 'memory.available_bytes': 300_000_000, 'cpu.cores': 4 },
      });
      for (const r of [older, newer, other]) assert.equal((await upload(base, JSON.stringify(r), uploadToken)).status, 201);
      const list = await call(base, '/api/v1/devices', { token: readToken });
      const devices = list.json['devices'] as { id: string; name: string; reportCount: number; lastSeen: string; verdicts: unknown[] }[];
      const history = devices.find((d) => d.name === 'pi-history');
      const zero = devices.find((d) => d.name === 'zero-2w');
      assert.ok(history && zero);
      assert.equal(history.reportCount, 2);
      assert.equal(history.lastSeen, newer.createdAt);
      const profileIds = ((await call(base, '/api/v1/profiles', { token: readToken })).json['profiles'] as { id: string }[]).map((p) => p.id);
      assert.deepEqual(
        history.verdicts.map((v) => (v as { profile: string }).profile),
        profileIds,
        'the latest verdict per profile',
      );
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

      // Devices and spec sheets mixed, under two profiles: the checks follow the profile.
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

    test('the device list pages and searches: limit, offset, next, total; bad values are 400', async () => {
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

    test('admin routes: deleting needs admin; the integrity check answers', async () => {
      const r = makeReport({ label: 'pi-delete' });
      await upload(base, JSON.stringify(r), uploadToken);
      assert.equal((await call(base, `/api/v1/reports/${r.id}`, { method: 'DELETE', token: uploadToken })).status, 403);
      assert.equal((await call(base, `/api/v1/reports/${r.id}`, { method: 'DELETE', token: adminToken })).status, 200);
      assert.equal((await call(base, `/api/v1/reports/${r.id}`, { method: 'DELETE', token: adminToken })).status, 404);
      const integrity = await call(base, '/api/v1/admin/integrity', { token: adminToken });
      assert.equal(integrity.status, 200);
      assert.equal(integrity.json['ok'], true, integrity.text);
    });

    test('unknown paths, wrong methods and malformed paths are 404, 405 and 400, never 500', async () => {
      const notFound = await call(base, '/api/v1/nothing', { token: readToken });
      assert.equal(notFound.status, 404);
      assert.equal(notFound.json['error'], 'not_found');
      const wrongMethod = await call(base, '/api/v1/devices', {
        method: 'POST',
        token: adminToken,
        body: '{}',
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(wrongMethod.status, 405);
      assert.match(wrongMethod.headers.get('allow') ?? '', /GET/);
      assert.equal((await call(base, '/api/v1/devices/%E0%A4%A', { token: readToken })).status, 400);
      assert.equal((await call(base, '/devices/%E0%A4%A', { token: readToken })).status, 400);
    });

    test('pages: sign in with a read token sets an HttpOnly SameSite cookie; a bad token is refused', async () => {
      const redirect = await call(base, '/compare?ids=a');
      assert.equal(redirect.status, 303);
      assert.equal(redirect.headers.get('location'), `/login?next=${encodeURIComponent('/compare?ids=a')}`);
      const form = (token: string, next: string): RequestInit => ({
        method: 'POST',
        body: new URLSearchParams({ token, next }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      assert.equal((await call(base, '/login', form('wrong', '/'))).status, 401);
      assert.equal((await call(base, '/login', form(uploadToken, '/'))).status, 403);
      const ok = await call(base, '/login', form(readToken, '//evil.example/'));
      assert.equal(ok.status, 303);
      assert.equal(ok.headers.get('location'), '/', 'only same-site paths are followed after sign-in');
      const cookie = ok.headers.get('set-cookie') ?? '';
      assert.match(cookie, /HttpOnly/);
      assert.match(cookie, /SameSite=Strict/);
      const home = await call(base, '/', { headers: { cookie: cookie.split(';')[0] ?? '' } });
      assert.equal(home.status, 200);
      assert.match(home.headers.get('content-security-policy') ?? '', /script-src 'self'/);
      assert.match(home.text, /pi-upload/);
    });
  });
}

const sqliteDir = mkdtempSync(join(tmpdir(), 'edgeprobe-api-test-'));
after(() => rmSync(sqliteDir, { recursive: true, force: true }));
apiSuite('sqlite', async () => join(sqliteDir, 'dashboard.sqlite'));

test('--public-read: reads need no token, uploads still do', async () => {
  const store = await openStore(join(sqliteDir, 'public.sqlite'));
  const dash = await startDashboard({ store, keepPerDevice: 10, maxBodyBytes: 1024 * 1024, publicRead: true }, '127.0.0.1', 0);
  try {
    assert.equal((await call(dash.url, '/api/v1/devices')).status, 200);
    assert.equal((await call(dash.url, '/')).status, 200);
    assert.equal((await upload(dash.url, JSON.stringify(makeReport()), undefined)).status, 401);
    assert.equal((await call(dash.url, '/api/v1/admin/integrity')).status, 401);
  } finally {
    await dash.close();
    await store.close();
  }
});

const pgSkip = requireComponent(postgresAvailable(), 'PostgreSQL 15 server binaries', 'apt-get install postgresql');
describe('postgres', { skip: pgSkip }, () => {
  const cluster = usePostgresCluster();
  apiSuite('postgres', async () => {
    return cluster().createDatabase('api_test');
  });
});
