// What only the SQLite store does: its pragmas, migrating an old schema in place, refusing a file that is not
// a database. The behaviour both backends share is in dashboard-store.test.ts.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { MIGRATIONS, openStore, StoreError } from '../src/dashboard/store/store.js';
import { day, newReport } from './helpers/store-reports.js';

const sqliteDir = mkdtempSync(join(tmpdir(), 'edgeprobe-store-sqlite-test-'));
after(() => rmSync(sqliteDir, { recursive: true, force: true }));

test('sqlite: WAL journal, foreign keys on, integrity_check callable', async () => {
  const db = join(sqliteDir, 'pragmas.sqlite');
  const store = await openStore(db);
  await store.close();
  const handle = new Database(db, { readonly: true });
  assert.equal(handle.pragma('journal_mode', { simple: true }), 'wal');
  handle.close();
  const again = await openStore(db);
  assert.deepEqual(await again.integrityCheck(), { ok: true, problems: [] });
  await again.close();
});

test('sqlite: a schema v2 database with data migrates to v3: devices keep their reports and have no owner yet, tokens are unbound', async () => {
  const db = join(sqliteDir, 'v2.sqlite');
  const handle = new Database(db);
  handle.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  for (const migration of MIGRATIONS.filter((m) => m.version <= 2)) {
    handle.exec(migration.sql);
    handle.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(migration.version, migration.name, day(0));
  }
  const r = newReport('pi-old', day(1));
  handle.prepare('INSERT INTO devices VALUES (?, ?, ?, ?, ?, ?, ?)').run(r.deviceId, 'pi-old', 'pi-old', null, day(1), day(1), r.id);
  handle.prepare('INSERT INTO reports VALUES (?, ?, ?, ?, ?, ?, ?)').run(r.id, r.deviceId, day(1), day(1), r.digest, r.body.length, r.body);
  handle.prepare('INSERT INTO tokens VALUES (?, ?, ?, ?, ?, ?, ?)').run('0123456789ab', 'old', 'upload', 'ff', day(0), null, null);
  handle.close();
  const store = await openStore(db);
  try {
    assert.equal(await store.schemaVersion(), 3);
    const device = await store.getDevice(r.deviceId);
    assert.equal(device?.reportCount, 1);
    assert.equal(device?.createdByToken, null);
    const token = await store.getToken('0123456789ab');
    assert.equal(token?.devicePattern, null);
    assert.equal(token?.maxDevices, null);
    assert.deepEqual((await store.integrityCheck()).problems, []);
  } finally {
    await store.close();
  }
});

test('sqlite: a file that is not a database is a clear error', async () => {
  const bogus = join(sqliteDir, 'bogus.sqlite');
  writeFileSync(bogus, 'this is not a database, just text that is long enough to have a header '.repeat(20));
  await assert.rejects(openStore(bogus), (err: unknown) => err instanceof StoreError && /not a usable SQLite database/.test(err.message));
});
