// Auth on the real `edgeprobe serve`: every route in the server's own route table refuses requests
// without a token, with an unknown or revoked token and with a token of the wrong scope; tokens are stored
// only as hashes; wrong tokens are rate-limited per address (429 with Retry-After).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { allows } from '../../src/dashboard/http/auth.js';
import { ROUTES } from '../../src/dashboard/http/server.js';
import { TOKEN_SCOPES, type TokenScope } from '../../src/dashboard/store/store.js';
import { runCli } from '../helpers/cli.js';
import { createTokenCli, type ServeProcess, startServe, tokenParts } from '../helpers/dashboard.js';
import { makeReport } from '../helpers/dashboard-reports.js';
import { recordFigures } from '../helpers/figures.js';
import { type RawAnswer, send } from '../helpers/http-client.js';

/** Routes that are public by design: liveness, the sign-in/out forms and static assets. */
const PUBLIC = ['GET /api/v1/health', 'GET /login', 'POST /login', 'POST /logout', 'GET /assets/:name', 'GET /favicon.ico'];

let dir = '';
let db = '';
let serve: ServeProcess;
const tokens = new Map<string, string>();
let reportId = '';
let deviceId = '';

/** A request from a chosen loopback address (the rate limit is per address). */
function from(address: string, method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(`${serve.url}${path}`, { method, headers, localAddress: address }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => {
        text += c.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The token with the end of its secret changed: never the token itself, even when its secret ends in AAAA. */
function forged(token: string): string {
  return `${token.slice(0, -4)}${token.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
}

function pathFor(pattern: string): string {
  return pattern.replace(':id', encodeURIComponent(pattern.includes('/devices/') ? deviceId : reportId)).replace(':name', 'app.css');
}

/** Is this answer a refusal? API: 401/403 JSON; pages: 303 to /login, or 401/403. */
function refused(kind: 'api' | 'page', answer: RawAnswer, want: 401 | 403): boolean {
  if (kind === 'page' && want === 401) return answer.status === 303 && String(answer.headers['location']).startsWith('/login');
  return answer.status === want;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'edgeprobe-auth-'));
  db = join(dir, 'dashboard.sqlite');
  for (const scopes of ['upload', 'read', 'admin', 'upload,read', 'revoked']) {
    tokens.set(scopes, await createTokenCli(db, scopes === 'revoked' ? 'admin' : scopes));
  }
  const revokedId = /^ep_([0-9a-f]{12})_/.exec(tokens.get('revoked') ?? '')?.[1] ?? '';
  assert.equal((await runCli(['serve', 'token', 'revoke', revokedId, '--db', db])).code, 0);
  serve = await startServe(db, 0, ['--quiet']);
  const report = makeReport({ hostname: 'auth-host' });
  const up = await send(
    undefined,
    serve.url,
    'POST',
    '/api/v1/reports',
    { authorization: `Bearer ${tokens.get('upload') ?? ''}`, 'content-type': 'application/json' },
    Buffer.from(JSON.stringify(report)),
  );
  assert.equal(up.status, 201, up.body);
  const answer = JSON.parse(up.body) as { id: string; device: { id: string } };
  reportId = answer.id;
  deviceId = answer.device.id;
});

after(async () => {
  await serve.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('every route refuses no token, unknown and revoked tokens, and tokens without its scope', { timeout: 60_000 }, async () => {
  const problems: string[] = [];
  let trials = 0;
  const guarded = ROUTES.filter((r) => r.scope !== null);
  assert.deepEqual(
    ROUTES.filter((r) => r.scope === null)
      .map((r) => `${r.method} ${r.path}`)
      .sort(),
    [...PUBLIC].sort(),
    'a route without a scope that is not known to be public',
  );
  assert.ok(guarded.length >= 10, `only ${guarded.length} guarded routes`);
  let n = 0;
  for (const route of guarded) {
    const path = pathFor(route.path);
    const body = route.method === 'POST' ? Buffer.from(JSON.stringify(makeReport({ hostname: 'must-not-be-stored' }))) : undefined;
    const base = { 'content-type': 'application/json' };
    // Unknown and revoked tokens count as failed sign-ins: each route asks from its own address.
    const address = `127.0.2.${++n}`;
    const attempts: [string, Record<string, string>, 401 | 403][] = [
      ['no token', base, 401],
      ['malformed token', { ...base, authorization: 'Bearer not-a-token' }, 401],
      ['unknown token', { ...base, authorization: `Bearer ep_000000000000_${'A'.repeat(43)}` }, 401],
      ['forged secret', { ...base, authorization: `Bearer ${forged(tokens.get('admin') ?? '')}` }, 401],
      ['revoked token', { ...base, authorization: `Bearer ${tokens.get('revoked') ?? ''}` }, 401],
      ['revoked cookie', { ...base, cookie: `edgeprobe_token=${tokens.get('revoked') ?? ''}` }, 401],
    ];
    for (const scope of TOKEN_SCOPES) {
      if (route.scope && !allows([scope], route.scope)) attempts.push([`${scope} token`, { ...base, authorization: `Bearer ${tokens.get(scope) ?? ''}` }, 403]);
    }
    for (const [what, headers, want] of attempts) {
      trials++;
      const answer = await from(address, route.method, path, headers, body);
      if (!refused(route.kind, answer, want)) problems.push(`${route.method} ${route.path} with ${what}: ${answer.status}, expected ${want}`);
      if (route.kind === 'api' && want === 401 && answer.headers['www-authenticate'] === undefined)
        problems.push(`${route.method} ${route.path}: 401 without WWW-Authenticate`);
      if (answer.body.includes('auth-host') || answer.body.includes(reportId))
        problems.push(`${route.method} ${route.path} with ${what}: the refusal leaks data`);
    }
    // And the right scope gets past auth (so the refusals above are about auth, not a broken route).
    if (route.method === 'GET') {
      const scope = route.scope as TokenScope;
      const answer = await from(address, 'GET', path, { authorization: `Bearer ${tokens.get(scope) ?? ''}` });
      if ([401, 403, 429].includes(answer.status) || answer.status >= 500)
        problems.push(`${route.method} ${route.path} with a ${scope} token: ${answer.status}`);
    }
  }
  const devices = await send(undefined, serve.url, 'GET', '/api/v1/devices', { authorization: `Bearer ${tokens.get('read') ?? ''}` });
  const stillOne = !devices.body.includes('must-not-be-stored');
  recordFigures('dashboard auth', { trials, faultsInjected: trials, fiveHundreds: 0, reportsLost: stillOne ? 0 : 1 });
  assert.deepEqual(problems, []);
  assert.ok(stillOne, 'a refused upload was stored');
});

test('tokens are stored only as hashes', { timeout: 30_000 }, async () => {
  const files = [db, `${db}-wal`, `${db}-shm`, `${db}-journal`].filter((f) => existsSync(f));
  const bytes = Buffer.concat(files.map((f) => readFileSync(f)));
  const found: string[] = [];
  for (const [name, token] of tokens) {
    const { secret } = tokenParts(token);
    if (bytes.includes(Buffer.from(token)) || bytes.includes(Buffer.from(secret))) found.push(name);
  }
  const conn = new Database(db, { readonly: true, fileMustExist: true });
  try {
    const tables = conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
    for (const { name } of tables) {
      for (const row of conn.prepare(`SELECT * FROM "${name.replace(/"/g, '""')}"`).all() as Record<string, unknown>[]) {
        const text = JSON.stringify(row);
        for (const [scope, token] of tokens) if (text.includes(tokenParts(token).secret)) found.push(`${scope} in table ${name}`);
      }
    }
  } finally {
    conn.close();
  }
  recordFigures('dashboard auth', { leftovers: found.length });
  assert.deepEqual(found, [], 'plaintext token secrets in the database');
});

test('wrong tokens are rate-limited per address: 429 with Retry-After, other addresses unaffected', { timeout: 30_000 }, async () => {
  const address = '127.0.3.1';
  const wrong = { authorization: `Bearer ep_000000000000_${'B'.repeat(43)}` };
  const statuses: number[] = [];
  for (let i = 0; i < 12; i++) statuses.push((await from(address, 'GET', '/api/v1/devices', wrong)).status);
  assert.ok(
    statuses.slice(0, 10).every((s) => s === 401),
    `first ten: ${statuses.join(',')}`,
  );
  const limited = await from(address, 'GET', '/api/v1/devices', wrong);
  assert.equal(limited.status, 429, limited.body);
  const retryAfter = Number(limited.headers['retry-after']);
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After ${String(limited.headers['retry-after'])}`);
  assert.equal((JSON.parse(limited.body) as { error: string }).error, 'too_many_requests');
  // While blocked, even the right token waits (no oracle for guesses), and the sign-in form is blocked too.
  assert.equal((await from(address, 'GET', '/api/v1/devices', { authorization: `Bearer ${tokens.get('read') ?? ''}` })).status, 429);
  const form = await from(
    address,
    'POST',
    '/login',
    { 'content-type': 'application/x-www-form-urlencoded' },
    Buffer.from(`token=${encodeURIComponent(tokens.get('read') ?? '')}&next=%2F`),
  );
  assert.equal(form.status, 429);
  assert.ok(form.headers['retry-after']);
  // The sign-in form counts failures as well.
  const formAddress = '127.0.3.2';
  const formStatuses: number[] = [];
  for (let i = 0; i < 11; i++) {
    formStatuses.push(
      (await from(formAddress, 'POST', '/login', { 'content-type': 'application/x-www-form-urlencoded' }, Buffer.from('token=ep_000000000000_wrong&next=%2F')))
        .status,
    );
  }
  assert.deepEqual(formStatuses, [...Array<number>(10).fill(401), 429]);
  // Another address is not affected.
  assert.equal((await from('127.0.3.3', 'GET', '/api/v1/devices', { authorization: `Bearer ${tokens.get('read') ?? ''}` })).status, 200);
  recordFigures('dashboard auth', { trials: 3, faultsInjected: 24 });
});
