// The dashboard's HTTP API against both storage backends: auth on every route, uploads (idempotent, with
// the right 4xx for bad input and nothing stored), pages' sign-in. Reads, compare and retention are in
// dashboard-api-devices.test.ts.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROUTES, startDashboard } from '../src/dashboard/http/server.js';
import { openStore } from '../src/dashboard/store/store.js';
import type { Report } from '../src/report/types.js';
import { validateReport } from '../src/report/validate.js';
import { type ApiDashboard, call, MAX_BODY, onEveryBackend, rawPost, upload } from './helpers/dashboard-api.js';
import { makeReport } from './helpers/dashboard-reports.js';

interface Refusal {
  what: string;
  send: () => Promise<{ status: number; text: string }>;
  status: number;
  error: string;
}

function refusedForTheToken({ base, uploadToken, readToken }: ApiDashboard, valid: Report): Refusal[] {
  return [
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
  ];
}

function refusedForTheEncoding({ base, uploadToken }: ApiDashboard, valid: Report): Refusal[] {
  return [
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
        rawPost(base, '/api/v1/reports', { authorization: `Bearer ${uploadToken}`, 'content-type': 'application/json' }, Buffer.from([0x7b, 0xff, 0xfe, 0x7d])),
      status: 400,
      error: 'invalid_json',
    },
    { what: 'empty body', send: () => upload(base, '', uploadToken), status: 400, error: 'invalid_json' },
    { what: 'a JSON array', send: () => upload(base, '[1,2]', uploadToken), status: 400, error: 'invalid_report' },
  ];
}

function refusedForTheContent({ base, uploadToken }: ApiDashboard, valid: Report): Refusal[] {
  const wrongSchema = { ...valid, schema: 'edgeprobe.report/v2' };
  const missingMetrics: Record<string, unknown> = { ...valid };
  delete missingMetrics['metrics'];
  const badMetricType = { ...valid, metrics: { ...valid.metrics, 'memory.total_bytes': 'lots' } };
  return [
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
  ];
}

function refusedForTheSize({ base, uploadToken }: ApiDashboard, valid: Report): Refusal[] {
  return [
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
}

function uploadTests(dashboard: () => ApiDashboard): void {
  test('health answers without a token', async () => {
    const { base, storage } = dashboard();
    const res = await call(base, '/api/v1/health');
    assert.equal(res.status, 200);
    assert.equal(res.json['storage'], storage);
    assert.equal(res.json['schemaVersion'], res.json['latestSchemaVersion']);
  });

  test('bad uploads get the right 4xx, as {error, message}, and nothing is stored', async () => {
    const api = dashboard();
    const valid = makeReport({ label: 'bad-upload-target' });
    assert.ok(validateReport(valid).ok);
    const cases = [
      ...refusedForTheToken(api, valid),
      ...refusedForTheEncoding(api, valid),
      ...refusedForTheContent(api, valid),
      ...refusedForTheSize(api, valid),
    ];
    for (const c of cases) {
      const res = await c.send();
      assert.equal(res.status, c.status, `${c.what}: ${res.text.slice(0, 300)}`);
      const body = JSON.parse(res.text) as Record<string, unknown>;
      assert.equal(body['error'], c.error, c.what);
      assert.equal(typeof body['message'], 'string', c.what);
    }
    assert.equal(await api.store.countReports(), 0);
    assert.deepEqual(await api.store.listDevices(), []);
  });

  test('a valid upload is stored once: 201 with verdicts, then 200 already stored, 409 for another body with the same id', async () => {
    const { store, base, uploadToken, readToken, adminToken } = dashboard();
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
}

function accessTests(dashboard: () => ApiDashboard): void {
  test('reads need a read token: 401 without, 403 with an upload-only token', async () => {
    const { base, uploadToken } = dashboard();
    for (const path of ['/api/v1/devices', '/api/v1/profiles', '/api/v1/hardware', '/api/v1/compare?ids=x', `/api/v1/reports/${randomUUID()}`]) {
      const none = await call(base, path);
      assert.equal(none.status, 401, path);
      assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
      assert.equal((await call(base, path, { token: uploadToken })).status, 403, path);
    }
  });

  test('every route in the table enforces its scope', async () => {
    const { base } = dashboard();
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
}

function adminAndPageTests(dashboard: () => ApiDashboard): void {
  test('admin routes: deleting needs admin; the integrity check answers', async () => {
    const { base, uploadToken, adminToken } = dashboard();
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
    const { base, readToken, adminToken } = dashboard();
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
    const { base, uploadToken, readToken } = dashboard();
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
}

// Uploads come first: the sign-in test reads the device the valid upload created.
const { sqliteDir } = onEveryBackend('dashboard-api', (dashboard) => {
  uploadTests(dashboard);
  accessTests(dashboard);
  adminAndPageTests(dashboard);
});

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
