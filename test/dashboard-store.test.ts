// One conformance suite for the dashboard store, run against both backends: SQLite (a temp file) and
// PostgreSQL (a throwaway cluster of Debian's postgresql 15). SQLite-only behaviour: dashboard-store-sqlite.test.ts.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { generateToken } from '../src/dashboard/http/auth.js';
import { deviceIdFor } from '../src/dashboard/model.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, openStore, type Store, StoreError, type Uploader, type UploadPolicy } from '../src/dashboard/store/store.js';
import { requireComponent } from './helpers/env.js';
import { postgresAvailable, usePostgresCluster } from './helpers/postgres.js';

import { day, newReport } from './helpers/store-reports.js';

interface Backend {
  /** A fresh, empty database; returns what --db would say. */
  fresh(): Promise<string>;
  /** Marks the database as migrated by a newer edgeprobe. */
  bumpVersion(db: string): Promise<void>;
}

type OpenFresh = () => Promise<{ store: Store; db: string }>;

/** Migrations, the newer-schema refusal, and storing one report once. */
function lifecycleTests(name: string, backend: () => Backend, openFresh: OpenFresh, adopt: (store: Store) => void): void {
  test('migrates a new database to the latest schema, once, and keeps the data when reopened', async () => {
    const { store, db } = await openFresh();
    assert.equal(store.kind, name);
    assert.equal(await store.schemaVersion(), LATEST_SCHEMA_VERSION);
    assert.equal(LATEST_SCHEMA_VERSION, MIGRATIONS.length);
    const r = newReport('pi-a', day(1));
    assert.equal((await store.putReport(r, 10)).status, 'created');
    await store.close();
    const again = await openStore(db);
    adopt(again);
    assert.equal(await again.schemaVersion(), LATEST_SCHEMA_VERSION);
    assert.equal((await again.getReport(r.id))?.body, r.body);
    assert.deepEqual((await again.integrityCheck()).problems, []);
  });

  test('refuses a database migrated by a newer edgeprobe', async () => {
    const { store, db } = await openFresh();
    await store.close();
    await backend().bumpVersion(db);
    await assert.rejects(openStore(db), (err: unknown) => err instanceof StoreError && /newer than this edgeprobe knows/.test(err.message));
  });

  test('stores a report once: the same id and body is a duplicate, another body a conflict', async () => {
    const { store } = await openFresh();
    const r = newReport('pi-a', day(1));
    assert.deepEqual(await store.putReport(r, 10), { status: 'created', retained: true, pruned: [] });
    assert.deepEqual(await store.putReport({ ...r, receivedAt: day(5) }, 10), { status: 'duplicate' });
    assert.deepEqual(await store.putReport({ ...r, digest: 'f'.repeat(64), body: '{}' }, 10), { status: 'conflict' });
    assert.equal(await store.countReports(), 1);
    const stored = await store.getReport(r.id);
    assert.equal(stored?.body, r.body);
    assert.equal(stored?.sizeBytes, Buffer.byteLength(r.body));
    assert.equal(await store.getReport(randomUUID()), null);
  });
}

/** Which report a device shows, and retention. */
function deviceHistoryTests(openFresh: OpenFresh): void {
  test('a device follows its newest report by measurement time, whatever the upload order', async () => {
    const { store } = await openFresh();
    const newer = newReport('pi-b', day(3), { board: 'new board' });
    const older = newReport('pi-b', day(1), { board: 'old board' });
    await store.putReport(newer, 10);
    await store.putReport(older, 10);
    const device = await store.getDevice(deviceIdFor('pi-b'));
    assert.ok(device);
    assert.equal(device.latestReportId, newer.id);
    assert.equal(device.board, 'new board');
    assert.equal(device.lastSeen, day(3));
    assert.equal(device.firstSeen, day(1));
    assert.equal(device.reportCount, 2);
    assert.deepEqual(
      (await store.deviceReports(device.id, 10)).map((r) => r.id),
      [newer.id, older.id],
    );
    assert.deepEqual(
      (await store.deviceReports(device.id, 1)).map((r) => r.id),
      [newer.id],
    );
    await store.putReport(newReport('pi-c', day(2)), 10);
    assert.deepEqual(
      (await store.listDevices()).map((d) => d.name),
      ['pi-b', 'pi-c'],
    );
  });

  test('retention keeps the newest N reports per device and no more', async () => {
    const { store } = await openFresh();
    const reports = [0, 1, 2, 3, 4].map((n) => newReport('pi-r', day(n)));
    const pruned: string[] = [];
    for (const r of reports) {
      const result = await store.putReport(r, 3);
      assert.equal(result.status, 'created');
      if (result.status === 'created') pruned.push(...result.pruned);
    }
    assert.deepEqual(pruned.sort(), [reports[0]?.id, reports[1]?.id].sort());
    await store.putReport(newReport('pi-other', day(0)), 3);
    const kept = await store.deviceReports(deviceIdFor('pi-r'), 100);
    assert.deepEqual(
      kept.map((r) => r.id),
      [reports[4]?.id, reports[3]?.id, reports[2]?.id],
    );
    // An old report arriving late is beyond the newest three: it is not kept.
    const late = await store.putReport(newReport('pi-r', day(-10)), 3);
    assert.equal(late.status, 'created');
    assert.equal(late.status === 'created' && late.retained, false);
    assert.equal(await store.countReports(), 4);
    const device = await store.getDevice(deviceIdFor('pi-r'));
    assert.equal(device?.firstSeen, day(-10), 'first seen: the oldest measurement ever received, kept or not');
    // Lowering the limit later trims every device at once.
    const removed = await store.applyRetention(1);
    assert.equal(removed.length, 2);
    assert.equal(await store.countReports(), 2);
    assert.deepEqual((await store.integrityCheck()).problems, []);
  });
}

/** Deletions, concurrent uploads and the database size limit. */
function deletionAndCapacityTests(openFresh: OpenFresh): void {
  test('deleting reports and devices keeps the device list consistent', async () => {
    const { store } = await openFresh();
    const a1 = newReport('pi-d', day(1));
    const a2 = newReport('pi-d', day(2));
    await store.putReport(a1, 10);
    await store.putReport(a2, 10);
    assert.equal(await store.deleteReport(a2.id), true);
    assert.equal((await store.getDevice(deviceIdFor('pi-d')))?.latestReportId, a1.id);
    assert.equal(await store.deleteReport(a2.id), false);
    assert.equal(await store.deleteReport(a1.id), true);
    assert.equal(await store.getDevice(deviceIdFor('pi-d')), null, 'a device without reports is gone');
    await store.putReport(newReport('pi-e', day(1)), 10);
    await store.putReport(newReport('pi-e', day(2)), 10);
    assert.equal(await store.deleteDevice(deviceIdFor('pi-e')), true);
    assert.equal(await store.countReports(), 0, 'its reports went with it');
    assert.equal(await store.deleteDevice(deviceIdFor('pi-e')), false);
    assert.deepEqual((await store.integrityCheck()).problems, []);
  });

  test('concurrent uploads: one id sent 12 times at once is stored once; 12 reports of one device respect retention', async () => {
    const { store } = await openFresh();
    const r = newReport('pi-c', day(1));
    const results = await Promise.all(Array.from({ length: 12 }, () => store.putReport(r, 5)));
    assert.equal(results.filter((x) => x.status === 'created').length, 1);
    assert.equal(results.filter((x) => x.status === 'duplicate').length, 11);
    await Promise.all(Array.from({ length: 12 }, (_, i) => store.putReport(newReport('pi-c', day(2 + i)), 5)));
    assert.equal((await store.deviceReports(deviceIdFor('pi-c'), 100)).length, 5);
    assert.equal(await store.countReports(), 5);
    assert.deepEqual((await store.integrityCheck()).problems, []);
  });

  test('database size limit: refused with nothing written; a device at its --keep still reports', async () => {
    const { store } = await openFresh();
    await store.putReport(newReport('pi-full', day(1)), 1);
    const size = await store.databaseSize();
    assert.ok(size > 0);
    const full: UploadPolicy = { keepPerDevice: 1, maxDevices: null, maxDbBytes: size, uploader: null };
    const refused = await store.putReport(newReport('pi-new', day(1)), full);
    assert.equal(refused.status, 'full');
    assert.equal(refused.status === 'full' && refused.reason, 'max_db_size');
    assert.equal(await store.countDevices(), 1, 'no device row was left behind');
    assert.equal((await store.putReport(newReport('pi-full', day(2)), full)).status, 'created', 'it replaces the one kept report');
    assert.equal(await store.countReports(), 1);
  });
}

/** Which token may upload for which device, and how many devices. */
function ownershipTests(openFresh: OpenFresh): void {
  test('device ownership: the creating token owns a device; another token is refused unless its patterns allow it; admin may', async () => {
    const { store } = await openFresh();
    const policy = (tokenId: string, extra: Partial<Uploader> = {}): UploadPolicy => ({
      keepPerDevice: 10,
      maxDevices: null,
      maxDbBytes: null,
      uploader: { tokenId, admin: false, allowedByPattern: false, maxDevices: null, ...extra },
    });
    assert.equal((await store.putReport(newReport('pi-own', day(1)), policy('tok-a'))).status, 'created');
    assert.equal((await store.getDevice(deviceIdFor('pi-own')))?.createdByToken, 'tok-a');
    assert.equal((await store.putReport(newReport('pi-own', day(2)), policy('tok-a'))).status, 'created', 'the owner keeps uploading');
    const hijack = newReport('pi-own', day(3));
    assert.deepEqual(await store.putReport(hijack, policy('tok-b')), { status: 'refused', reason: 'device_owned' });
    assert.equal(await store.getReport(hijack.id), null, 'nothing of a refused upload is stored');
    assert.equal((await store.putReport(newReport('pi-own', day(4)), policy('tok-b', { allowedByPattern: true }))).status, 'created');
    assert.equal((await store.putReport(newReport('pi-own', day(5)), policy('tok-c', { admin: true }))).status, 'created');
    assert.equal((await store.getDevice(deviceIdFor('pi-own')))?.createdByToken, 'tok-a', 'the creator stays the owner');
    // A device from before tokens were bound (no owner) is adopted by its next uploader.
    await store.putReport(newReport('pi-legacy', day(1)), 10);
    assert.equal((await store.getDevice(deviceIdFor('pi-legacy')))?.createdByToken, null);
    await store.putReport(newReport('pi-legacy', day(2)), policy('tok-b'));
    assert.equal((await store.getDevice(deviceIdFor('pi-legacy')))?.createdByToken, 'tok-b');
    assert.deepEqual(await store.devicesPerToken(), { 'tok-a': 1, 'tok-b': 1 });
    assert.deepEqual((await store.integrityCheck()).problems, []);
  });

  test('device limits: a token creates at most its max; the dashboard holds at most --max-devices; known devices still report', async () => {
    const { store } = await openFresh();
    const limited: UploadPolicy = {
      keepPerDevice: 10,
      maxDevices: 3,
      maxDbBytes: null,
      uploader: { tokenId: 'tok-l', admin: false, allowedByPattern: false, maxDevices: 2 },
    };
    assert.equal((await store.putReport(newReport('pi-1', day(1)), limited)).status, 'created');
    assert.equal((await store.putReport(newReport('pi-2', day(1)), limited)).status, 'created');
    assert.deepEqual(await store.putReport(newReport('pi-3', day(1)), limited), { status: 'refused', reason: 'token_device_limit', limit: 2 });
    assert.equal((await store.putReport(newReport('pi-1', day(2)), limited)).status, 'created', 'a known device is not one more');
    const other: UploadPolicy = { ...limited, uploader: { tokenId: 'tok-m', admin: false, allowedByPattern: false, maxDevices: null } };
    assert.equal((await store.putReport(newReport('pi-3', day(1)), other)).status, 'created');
    assert.deepEqual(await store.putReport(newReport('pi-4', day(1)), other), { status: 'full', reason: 'max_devices', limit: 3 });
    // Twelve new devices at once under a limit of five more: exactly five get in.
    const racing: UploadPolicy = { ...other, maxDevices: 8 };
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => store.putReport(newReport(`race-${i}`, day(1)), racing)));
    assert.equal(results.filter((r) => r.status === 'created').length, 5);
    assert.equal(results.filter((r) => r.status === 'full').length, 7);
    assert.equal(await store.countDevices(), 8);
    assert.deepEqual((await store.integrityCheck()).problems, []);
  });
}

/** The device list (paging, search) and token storage. */
function listAndTokenTests(openFresh: OpenFresh): void {
  test('device list: newest first, paged, searched in names, hostnames and boards, LIKE wildcards taken literally', async () => {
    const { store } = await openFresh();
    for (let i = 0; i < 7; i++) await store.putReport(newReport(`lab-pi-${i}`, day(i)), 10);
    await store.putReport(newReport('odd_name%', day(9), { board: 'Banana Pi' }), 10);
    assert.equal(await store.countDevices(), 8);
    assert.deepEqual(
      (await store.listDevices({ limit: 3 })).map((d) => d.name),
      ['odd_name%', 'lab-pi-6', 'lab-pi-5'],
    );
    assert.deepEqual(
      (await store.listDevices({ limit: 3, offset: 6 })).map((d) => d.name),
      ['lab-pi-1', 'lab-pi-0'],
    );
    assert.equal((await store.listDevices()).length, 8, 'no limit: all of them');
    assert.deepEqual(
      (await store.listDevices({ search: 'LAB-PI-3' })).map((d) => d.name),
      ['lab-pi-3'],
      'case-insensitive',
    );
    assert.equal(await store.countDevices('lab-pi'), 7);
    assert.deepEqual(
      (await store.listDevices({ search: 'banana' })).map((d) => d.name),
      ['odd_name%'],
      'boards are searched',
    );
    assert.deepEqual(
      (await store.listDevices({ search: '_name%' })).map((d) => d.name),
      ['odd_name%'],
    );
    assert.equal(await store.countDevices('%'), 1, '% means the character');
    assert.equal(await store.countDevices('_'), 1, '_ means the character');
    assert.equal((await store.listDevices({ search: deviceIdFor('lab-pi-2') }))[0]?.name, 'lab-pi-2', 'ids are found too');
  });

  test('tokens: stored by hash, listed, touched and revoked', async () => {
    const { store } = await openFresh();
    const created = generateToken('ci', ['upload', 'read'], new Date(), { devicePattern: 'lab-pi-*,bench-?', maxDevices: 20 });
    await store.createToken(created.record);
    const stored = await store.getToken(created.record.id);
    assert.deepEqual(stored, created.record);
    assert.equal(stored?.devicePattern, 'lab-pi-*,bench-?');
    assert.equal(stored?.maxDevices, 20);
    assert.ok(!JSON.stringify(await store.listTokens()).includes(created.token.split('_').slice(2).join('_')), 'the secret is not stored');
    await store.touchToken(created.record.id, day(9));
    assert.equal((await store.getToken(created.record.id))?.lastUsedAt, day(9));
    assert.equal(await store.revokeToken(created.record.id, day(10)), true);
    assert.equal(await store.revokeToken(created.record.id, day(11)), false);
    assert.equal((await store.getToken(created.record.id))?.revokedAt, day(10));
    assert.equal(await store.getToken('000000000000'), null);
  });
}

function conformance(name: string, backend: () => Backend): void {
  describe(`store conformance: ${name}`, () => {
    const open: Store[] = [];
    const openFresh: OpenFresh = async () => {
      const db = await backend().fresh();
      const store = await openStore(db);
      open.push(store);
      return { store, db };
    };
    after(async () => {
      for (const store of open) await store.close();
    });
    lifecycleTests(name, backend, openFresh, (store) => open.push(store));
    deviceHistoryTests(openFresh);
    deletionAndCapacityTests(openFresh);
    ownershipTests(openFresh);
    listAndTokenTests(openFresh);
  });
}

const sqliteDir = mkdtempSync(join(tmpdir(), 'edgeprobe-store-test-'));
after(() => rmSync(sqliteDir, { recursive: true, force: true }));

conformance('sqlite', () => ({
  fresh: async () => join(sqliteDir, `${randomUUID()}.sqlite`),
  bumpVersion: async (db) => {
    const handle = new Database(db);
    handle.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, ?, ?)').run('from the future', day(0));
    handle.close();
  },
}));

const pgSkip = requireComponent(postgresAvailable(), 'PostgreSQL 15 server binaries', 'apt-get install postgresql');
describe('postgres', { skip: pgSkip }, () => {
  const cluster = usePostgresCluster();
  conformance('postgres', () => ({
    fresh: async () => {
      return cluster().createDatabase(`store_${randomUUID().replace(/-/g, '').slice(0, 12)}`);
    },
    bumpVersion: async (db) => {
      const client = new pg.Client({ connectionString: db });
      await client.connect();
      await client.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'from the future', '2026-01-01')");
      await client.end();
    },
  }));

  test('postgres: an unreachable server is a clear error naming the URL without its password', async () => {
    const { sparePort } = await import('./helpers/services.js');
    const port = await sparePort();
    await assert.rejects(
      openStore(`postgres://someone:secret@127.0.0.1:${port}/x`),
      (err: unknown) => err instanceof StoreError && err.message.includes('cannot open the PostgreSQL database') && !err.message.includes('secret'),
    );
  });
});
