// Malformed uploads against the real `edgeprobe serve` (SQLite): random bytes, truncated JSON, deep
// nesting, huge strings, wrong types, other schema versions, __proto__/constructor keys, wrong content
// types and sizes. Every answer must be a 4xx, the server must stay up, and nothing may be stored.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { openStore } from '../../src/dashboard/store/store.js';
import { createTokenCli, type ServeProcess, startServe } from '../helpers/dashboard.js';
import { makeReport } from '../helpers/dashboard-reports.js';
import { recordFigures } from '../helpers/figures.js';
import { keepAliveAgent, pool, send } from '../helpers/http-client.js';

const BODIES = 10_400;
const MAX_BODY = 256 * 1024;

interface Case {
  kind: string;
  body: Buffer;
  contentType?: string;
  headers?: Record<string, string>;
}

/** Deterministic PRNG (mulberry32) so a failing case can be regenerated from its index (random bytes included). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function validReport(): Record<string, unknown> {
  return JSON.parse(JSON.stringify(makeReport({ hostname: `fuzz-${randomUUID().slice(0, 8)}` }))) as Record<string, unknown>;
}

/** Sets `path` (dot-separated) in a report to `value`. */
function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  if (path.startsWith('metrics.')) {
    (target['metrics'] as Record<string, unknown>)[path.slice('metrics.'.length)] = value;
    return;
  }
  const keys = path.split('.');
  let node: Record<string, unknown> = target;
  for (const key of keys.slice(0, -1)) node = node[key] as Record<string, unknown>;
  node[keys[keys.length - 1] ?? ''] = value;
}

const WRONG_TYPES: [string, unknown][] = [
  ['schema', 1],
  ['schema', null],
  ['id', {}],
  ['id', 42],
  ['id', ''],
  ['createdAt', 1_700_000_000],
  ['createdAt', 'yesterday'],
  ['createdAt', '2026-13-45T99:99:99Z'],
  ['agent', 'x'],
  ['agent.version', []],
  ['host', []],
  ['host.hostname', 5],
  ['host.hostname', ''],
  ['host.label', { a: 1 }],
  ['metrics', []],
  ['metrics', 'all good'],
  ['probes', {}],
  ['probes', [1, 2, 3]],
  ['options', 'quick'],
  ['probes', [{ id: 'cpu' }]],
  ['metrics.cpu.cores', 'four'],
  ['metrics.Bad Key', 1],
];
const SCHEMAS = [
  'edgeprobe.report/v2',
  'edgeprobe.report/v0',
  'edgeprobe.report/v1 ',
  'EDGEPROBE.REPORT/V1',
  'edgeprobe.report',
  '',
  'edgeprobe.report/v1\u0000',
];
const PROTO_PATHS = ['', 'host', 'metrics', 'agent', 'options', 'details'];

/** A valid report with __proto__, constructor or prototype keys spliced in at the top or inside an object. */
function protoKeysCase(pick: <T>(items: readonly T[]) => T): Case {
  const report = validReport();
  const where = pick(PROTO_PATHS);
  const key = pick(['__proto__', 'constructor', 'prototype']);
  const payload = pick(['{"polluted":true,"isAdmin":true}', '{"prototype":{"polluted":true}}', '"x"', 'null']);
  const text = JSON.stringify(report);
  // Spliced in as text: JSON.stringify would drop an own __proto__ set through assignment.
  const body = where === '' ? `{"${key}":${payload},${text.slice(1)}` : text.replace(`"${where}":{`, `"${where}":{"${key}":${payload},`);
  return { kind: '__proto__/constructor keys', body: Buffer.from(body) };
}

/** Bodies that parse to no report at all, or do not parse: empty, null, an array, a BOM, a NUL key, a lone surrogate. */
function degenerateJsonCase(pick: <T>(items: readonly T[]) => T): Case {
  const variant = pick(['empty', 'null', 'array', 'string', 'number', 'bom', 'nul', 'lone surrogate']);
  const text = JSON.stringify(validReport());
  const bodies: Record<string, Buffer> = {
    empty: Buffer.alloc(0),
    null: Buffer.from('null'),
    array: Buffer.from(`[${text}]`),
    string: Buffer.from(JSON.stringify(text)),
    number: Buffer.from('1e999'),
    bom: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf]), Buffer.from(text)]),
    nul: Buffer.from(text.replace('"host":{', '"host":{"\u0000":1,')),
    'lone surrogate': Buffer.concat([Buffer.from(text.slice(0, 40)), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from(text.slice(40))]),
  };
  return { kind: 'degenerate JSON', body: bodies[variant] ?? Buffer.alloc(0) };
}

function makeCase(i: number): Case {
  const r = rng(i + 1);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(r() * items.length)] as T;
  switch (i % 10) {
    case 0:
      return { kind: 'random bytes', body: Buffer.from(Array.from({ length: Math.floor(r() * 4096) }, () => Math.floor(r() * 256))) };
    case 1: {
      const text = JSON.stringify(validReport());
      return { kind: 'truncated JSON', body: Buffer.from(text.slice(0, Math.floor(r() * (text.length - 1)))) };
    }
    case 2: {
      const depth = pick([64, 1000, 10_000, 50_000, 100_000]);
      const [open, close] = pick([
        ['[', ']'],
        ['{"a":', '}'],
        ['{"metrics":', '}'],
      ] as const);
      const inner = r() < 0.5 ? '1' : '[]';
      return { kind: 'deep nesting', body: Buffer.from(`${open.repeat(depth)}${inner}${close.repeat(depth)}`) };
    }
    case 3: {
      const report = validReport();
      const size = pick([70_000, 200_000, MAX_BODY - 2000, MAX_BODY + 1, MAX_BODY * 3]);
      setPath(report, pick(['host.hostname', 'host.label', 'id', 'agent.version', 'metrics.host.board']), 'x'.repeat(size));
      return { kind: 'huge strings', body: Buffer.from(JSON.stringify(report)) };
    }
    case 4: {
      const report = validReport();
      const [path, value] = pick(WRONG_TYPES);
      setPath(report, path, value);
      return { kind: 'wrong types', body: Buffer.from(JSON.stringify(report)) };
    }
    case 5: {
      const report = validReport();
      report['schema'] = pick(SCHEMAS);
      return { kind: 'schema mismatch', body: Buffer.from(JSON.stringify(report)) };
    }
    case 6:
      return protoKeysCase(pick);
    case 7: {
      // A valid report under the wrong media type or encoding: refused before it is read.
      const report = Buffer.from(JSON.stringify(validReport()));
      const variant = pick(['text/plain', '', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', 'application/jsonx', 'gzip']);
      if (variant === 'gzip') return { kind: 'wrong content type', body: report, headers: { 'content-encoding': 'gzip' } };
      return { kind: 'wrong content type', body: report, contentType: variant };
    }
    case 8:
      return degenerateJsonCase(pick);
    default: {
      // Byte-level mutations of a report that keep it unparseable: a flipped structural character.
      const text = Buffer.from(JSON.stringify(validReport()));
      const positions = [...text.keys()].filter((p) => text[p] === 0x7b || text[p] === 0x22 || text[p] === 0x3a);
      const at = pick(positions);
      text[at] = pick([0x00, 0xff, 0x5d, 0x2c]);
      return { kind: 'mutated bytes', body: text };
    }
  }
}

let dir = '';
let db = '';
let serve: ServeProcess;
let token = '';

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'edgeprobe-fuzz-'));
  db = join(dir, 'dashboard.sqlite');
  token = await createTokenCli(db, 'upload,read');
  serve = await startServe(db, 0, ['--quiet', '--max-body', String(MAX_BODY)]);
});

after(async () => {
  await serve.stop();
  rmSync(dir, { recursive: true, force: true });
});

test(`${BODIES} malformed uploads: every answer a 4xx, the server alive, nothing stored`, { timeout: 240_000 }, async () => {
  const agent = keepAliveAgent(16);
  const byStatus = new Map<number, number>();
  const byKind = new Map<string, number>();
  const bad: string[] = [];
  let sent = 0;
  let fiveHundreds = 0;
  try {
    await pool(BODIES, 16, async (i) => {
      const c = makeCase(i);
      byKind.set(c.kind, (byKind.get(c.kind) ?? 0) + 1);
      const headers: Record<string, string> = { authorization: `Bearer ${token}`, ...c.headers };
      const contentType = c.contentType ?? 'application/json';
      if (contentType !== '') headers['content-type'] = contentType;
      let status = 0;
      try {
        const answer = await send(agent, serve.url, 'POST', '/api/v1/reports', headers, c.body);
        status = answer.status;
        if (status >= 400 && status < 500 && !/^\{/.test(answer.body)) bad.push(`#${i} ${c.kind}: ${status} without a JSON error body`);
      } catch (err) {
        // A 413 may close the socket before a large body is fully written; that is an answer, not a crash.
        if (c.body.length > MAX_BODY) status = 413;
        else bad.push(`#${i} ${c.kind}: ${(err as Error).message}`);
      }
      sent++;
      byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
      if (status >= 500) fiveHundreds++;
      if (status < 400 || status >= 500) bad.push(`#${i} ${c.kind}: ${status}`);
    });
  } finally {
    agent.destroy();
  }
  const health = await send(undefined, serve.url, 'GET', '/api/v1/health', {});
  const devices = await send(undefined, serve.url, 'GET', '/api/v1/devices', { authorization: `Bearer ${token}` });
  const store = await openStore(db);
  let rows = -1;
  try {
    rows = await store.countReports();
  } finally {
    await store.close();
  }
  recordFigures('dashboard fuzzing', { trials: 1, faultsInjected: sent, bodiesSent: sent, fiveHundreds, reportsLost: 0, leftovers: rows });
  const summary = `statuses ${JSON.stringify(Object.fromEntries(byStatus))}, kinds ${JSON.stringify(Object.fromEntries(byKind))}`;
  assert.equal(sent, BODIES);
  assert.equal(serve.child.exitCode, null, `the server exited:\n${serve.stderr()}`);
  assert.equal(health.status, 200, 'the server stopped answering');
  assert.equal(fiveHundreds, 0, `5xx answers (${summary}):\n${bad.slice(0, 20).join('\n')}\n${serve.stderr().slice(-3000)}`);
  assert.deepEqual(bad.slice(0, 20), [], summary);
  assert.equal(devices.status, 200);
  assert.deepEqual((JSON.parse(devices.body) as { devices: unknown[] }).devices, [], 'devices listed after malformed uploads');
  assert.equal(rows, 0, 'reports stored after malformed uploads');
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
});
