// A dashboard started in-process on one storage backend with one token per scope, and the HTTP calls the API
// tests make against it. Shared by the dashboard-api*.test.ts files so that each stays on one subject.
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import { createToken } from '../../src/dashboard/http/auth.js';
import { type RunningDashboard, startDashboard } from '../../src/dashboard/http/server.js';
import { openStore, type Store } from '../../src/dashboard/store/store.js';
import { requireComponent } from './env.js';
import { postgresAvailable, usePostgresCluster } from './postgres.js';

export interface Answer {
  status: number;
  headers: Headers;
  json: Record<string, unknown>;
  text: string;
}

export async function call(base: string, path: string, init: RequestInit & { token?: string } = {}): Promise<Answer> {
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

export function upload(base: string, body: string, token: string | undefined, contentType = 'application/json'): Promise<Answer> {
  return call(base, '/api/v1/reports', { method: 'POST', body, headers: { 'content-type': contentType }, ...(token ? { token } : {}) });
}

/** Sends a body with raw node:http (fetch cannot send a lying content-length or a chunked body on demand). */
export function rawPost(base: string, path: string, headers: Record<string, string>, body: Buffer): Promise<{ status: number; text: string }> {
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

export const MAX_BODY = 256 * 1024;

export interface ApiDashboard {
  /** The storage backend's name, as /api/v1/health reports it. */
  storage: string;
  store: Store;
  dash: RunningDashboard;
  base: string;
  uploadToken: string;
  readToken: string;
  adminToken: string;
}

/** Starts the dashboard before the enclosing suite's tests and stops it after them; call inside describe(). */
export function useApiDashboard(storage: string, database: () => Promise<string>): () => ApiDashboard {
  let running: ApiDashboard | undefined;
  before(async () => {
    const store = await openStore(await database());
    const uploadToken = (await createToken(store, 'uploader', ['upload'])).token;
    const readToken = (await createToken(store, 'reader', ['read'])).token;
    const adminToken = (await createToken(store, 'admin', ['admin'])).token;
    const dash = await startDashboard({ store, keepPerDevice: 4, maxBodyBytes: MAX_BODY, publicRead: false }, '127.0.0.1', 0);
    running = { storage, store, dash, base: dash.url, uploadToken, readToken, adminToken };
  });
  after(async () => {
    await running?.dash.close();
    await running?.store.close();
  });
  return () => {
    if (!running) throw new Error('the dashboard has not started: useApiDashboard() must be called inside describe()');
    return running;
  };
}

/**
 * Registers the same suite once on SQLite and once on PostgreSQL (skipped with its reason outside CI when the
 * PostgreSQL binaries are missing). `name` keeps each file's databases apart.
 */
export function onEveryBackend(name: string, register: (dashboard: () => ApiDashboard) => void): { sqliteDir: string } {
  const sqliteDir = mkdtempSync(join(tmpdir(), `edgeprobe-${name}-`));
  after(() => rmSync(sqliteDir, { recursive: true, force: true }));
  describe(`${name} on sqlite`, () => {
    register(useApiDashboard('sqlite', async () => join(sqliteDir, 'dashboard.sqlite')));
  });
  const pgSkip = requireComponent(postgresAvailable(), 'PostgreSQL 15 server binaries', 'apt-get install postgresql');
  describe(`${name} on postgres`, { skip: pgSkip }, () => {
    const cluster = usePostgresCluster();
    register(useApiDashboard('postgres', async () => cluster().createDatabase(name.replace(/-/g, '_'))));
  });
  return { sqliteDir };
}
