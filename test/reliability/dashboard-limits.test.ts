// Limits on the real `edgeprobe serve`: upload tokens bound to device names and counts (403 JSON for another
// token's device, a name outside the pattern, one device too many), --max-devices and --max-db-size (507 JSON,
// nothing partially written: the store's counts and integrity check agree), a reverse proxy's clients each
// with their own failed-sign-in limit under --trust-proxy, and every open-redirect form answered with /.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { createTokenCli, type ServeProcess, startServe } from '../helpers/dashboard.js';
import { makeReport } from '../helpers/dashboard-reports.js';
import { recordFigures } from '../helpers/figures.js';
import { type RawAnswer, send } from '../helpers/http-client.js';
import { REDIRECT_BYPASSES } from '../helpers/redirects.js';

const dir = mkdtempSync(join(tmpdir(), 'edgeprobe-limits-'));
const running: ServeProcess[] = [];
after(async () => {
  for (const serve of running) await serve.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function serveWith(name: string, args: string[]): Promise<{ serve: ServeProcess; db: string }> {
  const db = join(dir, `${name}.sqlite`);
  await createTokenCli(db, 'admin');
  const serve = await startServe(db, 0, ['--quiet', ...args]);
  running.push(serve);
  return { serve, db };
}

async function tokenCli(db: string, args: string[]): Promise<string> {
  const result = await runCli(['serve', 'token', 'create', '--db', db, '--scope', 'upload', ...args]);
  assert.equal(result.code, 0, result.stderr);
  return result.stdout.trim();
}

function upload(serve: ServeProcess, token: string, label: string, padding = 0): Promise<RawAnswer> {
  const report = makeReport({ label });
  const body = padding > 0 ? { ...report, options: { padding: 'x'.repeat(padding) } } : report;
  return send(
    undefined,
    serve.url,
    'POST',
    '/api/v1/reports',
    { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    Buffer.from(JSON.stringify(body)),
  );
}

async function integrity(serve: ServeProcess, admin: string): Promise<{ ok: boolean; reports: number }> {
  const answer = await send(undefined, serve.url, 'GET', '/api/v1/admin/integrity', { authorization: `Bearer ${admin}` });
  return JSON.parse(answer.body) as { ok: boolean; reports: number };
}

function refusal(answer: RawAnswer, status: number, error: string, reason: string, problems: string[], what: string): void {
  let body: { error?: string; message?: string; details?: { reason?: string } } = {};
  try {
    body = JSON.parse(answer.body) as typeof body;
  } catch {
    problems.push(`${what}: not JSON: ${answer.body.slice(0, 200)}`);
  }
  if (answer.status !== status || body.error !== error || body.details?.reason !== reason || typeof body.message !== 'string') {
    problems.push(`${what}: ${answer.status} ${answer.body.slice(0, 300)}, expected ${status} ${error} (${reason})`);
  }
}

test("bound upload tokens: another token's device, a name outside the pattern, one device too many: 403 JSON, nothing stored", {
  timeout: 60_000,
}, async () => {
  const { serve, db } = await serveWith('bound', []);
  const admin = await createTokenCli(db, 'admin');
  const lab = await tokenCli(db, ['--devices', 'lab-pi-*', '--max-devices', '2', '--name', 'lab']);
  const other = await tokenCli(db, ['--name', 'other']);
  const problems: string[] = [];
  assert.equal((await upload(serve, lab, 'lab-pi-1')).status, 201);
  assert.equal((await upload(serve, lab, 'lab-pi-2')).status, 201);
  refusal(await upload(serve, lab, 'lab-pi-3'), 403, 'forbidden', 'token_device_limit', problems, 'third device');
  refusal(await upload(serve, lab, 'kiosk-1'), 403, 'forbidden', 'device_not_allowed', problems, 'outside the pattern');
  refusal(await upload(serve, other, 'lab-pi-1'), 403, 'forbidden', 'device_owned', problems, "another token's device");
  assert.equal((await upload(serve, other, 'kiosk-1')).status, 201, 'an unbound token creates its own devices');
  refusal(await upload(serve, lab, 'kiosk-1'), 403, 'forbidden', 'device_not_allowed', problems, 'kiosk by lab');
  assert.equal((await upload(serve, admin, 'lab-pi-1')).status, 201, 'admin may upload for any device');
  const list = await runCli(['serve', 'token', 'list', '--db', db]);
  assert.match(list.stdout, / {2}lab {2}upload {2}devices: lab-pi-\* \(2 created, at most 2\)/);
  assert.match(list.stdout, / {2}other {2}upload {2}devices: any new device, not those of other tokens \(1 created\)/);
  const check = await integrity(serve, admin);
  recordFigures('dashboard limits', { trials: 8, faultsInjected: 5, reportsLost: check.reports === 4 ? 0 : 1 });
  assert.deepEqual(problems, []);
  assert.equal(check.ok, true);
  assert.equal(check.reports, 4);
});

test('--max-devices and --max-db-size: 507 JSON when full, nothing partially written, known devices still report', { timeout: 120_000 }, async () => {
  const problems: string[] = [];
  const devices = await serveWith('max-devices', ['--max-devices', '3']);
  const admin = await createTokenCli(devices.db, 'admin');
  const token = await tokenCli(devices.db, []);
  for (const name of ['d-1', 'd-2', 'd-3']) assert.equal((await upload(devices.serve, token, name)).status, 201);
  // Eight new devices at once against a full dashboard: every one refused.
  const racing = await Promise.all(Array.from({ length: 8 }, (_, i) => upload(devices.serve, token, `d-new-${i}`)));
  racing.forEach((answer, i) => {
    refusal(answer, 507, 'insufficient_storage', 'max_devices', problems, `new device ${i}`);
  });
  assert.equal((await upload(devices.serve, token, 'd-2')).status, 201, 'a known device still reports');
  const afterDevices = await integrity(devices.serve, admin);

  const size = await serveWith('max-db', ['--max-db-size', '4m', '--keep', '1', '--max-body', '1m']);
  const sizeAdmin = await createTokenCli(size.db, 'admin');
  const sizeToken = await tokenCli(size.db, []);
  let stored = 0;
  let full: RawAnswer | null = null;
  for (let i = 0; i < 40 && full === null; i++) {
    const answer = await upload(size.serve, sizeToken, `big-${i}`, 200_000);
    if (answer.status === 201) stored++;
    else full = answer;
  }
  assert.ok(full, 'the database filled up within 40 reports of 200 kB');
  refusal(full, 507, 'insufficient_storage', 'max_db_size', problems, 'full database');
  for (let i = 0; i < 3; i++)
    assert.equal((await upload(size.serve, sizeToken, 'big-0', 200_000)).status, 201, 'a device at its --keep still reports: each report replaces its oldest');
  const afterSize = await integrity(size.serve, sizeAdmin);
  recordFigures('dashboard limits', { trials: 2, faultsInjected: 9, reportsLost: 0, leftovers: (afterDevices.ok ? 0 : 1) + (afterSize.ok ? 0 : 1) });
  assert.deepEqual(problems, []);
  assert.equal(afterDevices.reports, 4);
  assert.equal(afterSize.reports, stored, `${stored} devices stored before it was full, one report each (--keep 1)`);
  assert.ok(afterDevices.ok && afterSize.ok);
});

/** A request from a chosen loopback address (the limiter counts per address). */
function from(serve: ServeProcess, address: string, path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${serve.url}${path}`, { headers, localAddress: address }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

test('--trust-proxy: each client behind the proxy has its own failed-sign-in limit; a forged X-Forwarded-For from elsewhere changes nothing', {
  timeout: 60_000,
}, async () => {
  const { serve, db } = await serveWith('proxy', ['--trust-proxy', '127.0.4.1']);
  const read = await createTokenCli(db, 'read');
  const wrong = { authorization: `Bearer ep_000000000000_${'C'.repeat(43)}` };
  for (let i = 0; i < 11; i++) await from(serve, '127.0.4.1', '/api/v1/devices', { ...wrong, 'x-forwarded-for': '198.51.100.7' });
  assert.equal(await from(serve, '127.0.4.1', '/api/v1/devices', { ...wrong, 'x-forwarded-for': '198.51.100.7' }), 429, 'the guessing client is limited');
  assert.equal(
    await from(serve, '127.0.4.1', '/api/v1/devices', { authorization: `Bearer ${read}`, 'x-forwarded-for': '198.51.100.8' }),
    200,
    'another client of the same proxy is not',
  );
  assert.equal(
    await from(serve, '127.0.4.1', '/api/v1/devices', { authorization: `Bearer ${read}`, 'x-forwarded-for': '198.51.100.8, 198.51.100.7' }),
    429,
    'the right-most hop is the client',
  );
  // Not the proxy: its X-Forwarded-For is ignored, so rotating it does not escape the limit.
  const statuses: number[] = [];
  for (let i = 0; i < 12; i++) statuses.push(await from(serve, '127.0.4.2', '/api/v1/devices', { ...wrong, 'x-forwarded-for': `203.0.113.${i}` }));
  assert.equal(statuses[11], 429, statuses.join(','));
  recordFigures('dashboard limits', { trials: 2, faultsInjected: 24 });
});

/** Where a browser goes with this Location on this dashboard: only the dashboard itself will do. */
function staysHome(location: unknown, base: string): boolean {
  return typeof location === 'string' && location.startsWith('/') && !location.startsWith('//') && new URL(location, base).origin === new URL(base).origin;
}

test('sign-in redirect: every bypass form is answered with a Location on the dashboard itself', { timeout: 60_000 }, async () => {
  const { serve, db } = await serveWith('redirect', []);
  const read = await createTokenCli(db, 'read');
  const wrong: string[] = [];
  for (const next of REDIRECT_BYPASSES) {
    const body = Buffer.from(new URLSearchParams({ token: read, next }).toString());
    const answer = await send(undefined, serve.url, 'POST', '/login', { 'content-type': 'application/x-www-form-urlencoded' }, body);
    if (answer.status !== 303 || !staysHome(answer.headers['location'], serve.url))
      wrong.push(`${JSON.stringify(next)}: ${answer.status} ${String(answer.headers['location'])}`);
    const form = await send(undefined, serve.url, 'GET', `/login?next=${encodeURIComponent(next)}`, {});
    const carried = /name="next" value="([^"]*)"/.exec(form.body)?.[1]?.replace(/&amp;/g, '&');
    if (form.status !== 200 || !staysHome(carried, serve.url)) wrong.push(`GET /login?next=${JSON.stringify(next)}: the form carries ${String(carried)}`);
  }
  recordFigures('dashboard limits', { trials: REDIRECT_BYPASSES.length * 2, faultsInjected: REDIRECT_BYPASSES.length * 2 });
  assert.deepEqual(wrong, []);
});
