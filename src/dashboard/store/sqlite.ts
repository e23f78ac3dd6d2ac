// SQLite backend of the dashboard store (better-sqlite3): WAL journal, synchronous=FULL so that a report
// acknowledged to the uploader survives a power cut, every write in one IMMEDIATE transaction.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import {
  LATEST_SCHEMA_VERSION, MIGRATIONS, StoreError, migrationSql,
  type DeviceRecord, type IntegrityResult, type NewReport, type PutReportResult, type Store, type StoredReport, type TokenRecord,
} from './store.js';
import { rowToDevice, rowToReport, rowToToken, type DeviceRow, type ReportRow, type TokenRow } from './rows.js';

const DEVICE_COLUMNS = `d.id, d.name, d.hostname, d.board, d.first_seen, d.last_seen, d.latest_report_id,
  (SELECT COUNT(*) FROM reports r WHERE r.device_id = d.id) AS report_count`;

class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  constructor(private readonly db: Database.Database, readonly location: string) {}

  async schemaVersion(): Promise<number> {
    return currentVersion(this.db);
  }

  async putReport(report: NewReport, keepPerDevice: number): Promise<PutReportResult> {
    const db = this.db;
    const tx = db.transaction((): PutReportResult => {
      const existing = db.prepare('SELECT digest FROM reports WHERE id = ?').get(report.id) as { digest: string } | undefined;
      if (existing) return existing.digest === report.digest ? { status: 'duplicate' } : { status: 'conflict' };
      const device = db.prepare('SELECT last_seen, latest_report_id, first_seen FROM devices WHERE id = ?').get(report.deviceId) as
        { last_seen: string; latest_report_id: string; first_seen: string } | undefined;
      if (!device) {
        db.prepare('INSERT INTO devices (id, name, hostname, board, first_seen, last_seen, latest_report_id) VALUES (?, ?, ?, ?, ?, ?, ?)')
          .run(report.deviceId, report.deviceName, report.hostname, report.board, report.createdAt, report.createdAt, report.id);
      } else {
        if (isNewer(report.createdAt, report.id, device.last_seen, device.latest_report_id)) {
          db.prepare('UPDATE devices SET name = ?, hostname = ?, board = ?, last_seen = ?, latest_report_id = ? WHERE id = ?')
            .run(report.deviceName, report.hostname, report.board, report.createdAt, report.id, report.deviceId);
        }
        if (report.createdAt < device.first_seen) db.prepare('UPDATE devices SET first_seen = ? WHERE id = ?').run(report.createdAt, report.deviceId);
      }
      db.prepare('INSERT INTO reports (id, device_id, created_at, received_at, digest, size_bytes, body) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(report.id, report.deviceId, report.createdAt, report.receivedAt, report.digest, Buffer.byteLength(report.body), report.body);
      const pruned = pruneDevice(db, report.deviceId, keepPerDevice);
      return { status: 'created', retained: !pruned.includes(report.id), pruned };
    });
    return tx.immediate();
  }

  async getReport(id: string): Promise<StoredReport | null> {
    const row = this.db.prepare('SELECT * FROM reports WHERE id = ?').get(id) as ReportRow | undefined;
    return row ? rowToReport(row) : null;
  }

  async deviceReports(deviceId: string, limit: number): Promise<StoredReport[]> {
    const rows = this.db.prepare('SELECT * FROM reports WHERE device_id = ? ORDER BY created_at DESC, id DESC LIMIT ?').all(deviceId, limit) as ReportRow[];
    return rows.map(rowToReport);
  }

  async listDevices(): Promise<DeviceRecord[]> {
    const rows = this.db.prepare(`SELECT ${DEVICE_COLUMNS} FROM devices d ORDER BY d.last_seen DESC, d.id`).all() as DeviceRow[];
    return rows.map(rowToDevice);
  }

  async getDevice(id: string): Promise<DeviceRecord | null> {
    const row = this.db.prepare(`SELECT ${DEVICE_COLUMNS} FROM devices d WHERE d.id = ?`).get(id) as DeviceRow | undefined;
    return row ? rowToDevice(row) : null;
  }

  async deleteReport(id: string): Promise<boolean> {
    const db = this.db;
    return db.transaction((): boolean => {
      const row = db.prepare('SELECT device_id FROM reports WHERE id = ?').get(id) as { device_id: string } | undefined;
      if (!row) return false;
      db.prepare('DELETE FROM reports WHERE id = ?').run(id);
      refreshDevice(db, row.device_id);
      return true;
    }).immediate();
  }

  async deleteDevice(id: string): Promise<boolean> {
    return this.db.transaction((): boolean => this.db.prepare('DELETE FROM devices WHERE id = ?').run(id).changes > 0).immediate();
  }

  async countReports(): Promise<number> {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM reports').get() as { n: number }).n;
  }

  async applyRetention(keepPerDevice: number): Promise<string[]> {
    const db = this.db;
    return db.transaction((): string[] => {
      const devices = db.prepare('SELECT id FROM devices').all() as { id: string }[];
      return devices.flatMap((d) => pruneDevice(db, d.id, keepPerDevice));
    }).immediate();
  }

  async createToken(token: TokenRecord): Promise<void> {
    this.db.prepare('INSERT INTO tokens (id, name, scopes, hash, created_at, last_used_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(token.id, token.name, token.scopes.join(','), token.hash, token.createdAt, token.lastUsedAt, token.revokedAt);
  }

  async getToken(id: string): Promise<TokenRecord | null> {
    const row = this.db.prepare('SELECT * FROM tokens WHERE id = ?').get(id) as TokenRow | undefined;
    return row ? rowToToken(row) : null;
  }

  async listTokens(): Promise<TokenRecord[]> {
    return (this.db.prepare('SELECT * FROM tokens ORDER BY created_at, id').all() as TokenRow[]).map(rowToToken);
  }

  async revokeToken(id: string, at: string): Promise<boolean> {
    return this.db.prepare('UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(at, id).changes > 0;
  }

  async touchToken(id: string, at: string): Promise<void> {
    this.db.prepare('UPDATE tokens SET last_used_at = ? WHERE id = ?').run(at, id);
  }

  async integrityCheck(): Promise<IntegrityResult> {
    const problems: string[] = [];
    const integrity = this.db.pragma('integrity_check') as { integrity_check: string }[];
    for (const row of integrity) if (row.integrity_check !== 'ok') problems.push(`integrity_check: ${row.integrity_check}`);
    const fk = this.db.pragma('foreign_key_check') as { table: string; rowid: number; parent: string }[];
    for (const row of fk) problems.push(`foreign_key_check: ${row.table} row ${row.rowid} has no ${row.parent}`);
    const dangling = this.db.prepare('SELECT d.id FROM devices d LEFT JOIN reports r ON r.id = d.latest_report_id WHERE r.id IS NULL').all() as { id: string }[];
    for (const row of dangling) problems.push(`device ${row.id}: its latest report is missing`);
    return { ok: problems.length === 0, problems };
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

function isNewer(createdAt: string, id: string, lastSeen: string, latestId: string): boolean {
  return createdAt > lastSeen || (createdAt === lastSeen && id > latestId);
}

/** Deletes the device's reports beyond the newest `keep`; returns their ids. */
function pruneDevice(db: Database.Database, deviceId: string, keep: number): string[] {
  const doomed = db.prepare('SELECT id FROM reports WHERE device_id = ? ORDER BY created_at DESC, id DESC LIMIT -1 OFFSET ?').all(deviceId, keep) as { id: string }[];
  if (doomed.length === 0) return [];
  const del = db.prepare('DELETE FROM reports WHERE id = ?');
  for (const row of doomed) del.run(row.id);
  refreshDevice(db, deviceId);
  return doomed.map((row) => row.id);
}

/** After deletions: point the device at its newest remaining report, or remove it when none remain. */
function refreshDevice(db: Database.Database, deviceId: string): void {
  const newest = db.prepare('SELECT id, created_at FROM reports WHERE device_id = ? ORDER BY created_at DESC, id DESC LIMIT 1').get(deviceId) as
    { id: string; created_at: string } | undefined;
  if (!newest) {
    db.prepare('DELETE FROM devices WHERE id = ?').run(deviceId);
    return;
  }
  db.prepare('UPDATE devices SET last_seen = ?, latest_report_id = ? WHERE id = ?').run(newest.created_at, newest.id, deviceId);
}

function currentVersion(db: Database.Database): number {
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
  return row.v ?? 0;
}

function migrate(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  db.transaction(() => {
    const version = currentVersion(db);
    if (version > LATEST_SCHEMA_VERSION) {
      throw new StoreError(`the database is at schema version ${version}, newer than this edgeprobe knows (${LATEST_SCHEMA_VERSION}); upgrade edgeprobe`);
    }
    for (const migration of MIGRATIONS) {
      if (migration.version <= version) continue;
      db.exec(migrationSql(migration, 'sqlite'));
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(migration.version, migration.name, new Date().toISOString());
    }
  }).immediate();
}

export function openSqliteStore(path: string): SqliteStore {
  const file = path === ':memory:' ? path : resolve(path);
  if (file !== ':memory:') {
    try {
      mkdirSync(dirname(file), { recursive: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new StoreError(`--db ${path}: cannot create the folder ${dirname(file)} (${code === 'EEXIST' || code === 'ENOTDIR' ? 'a file is in the way' : code ?? (err as Error).message})`);
    }
  }
  let db: Database.Database;
  try {
    db = new Database(file, { timeout: 5000 });
  } catch (err) {
    throw new StoreError(`--db ${path}: cannot open the SQLite database (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    migrate(db);
  } catch (err) {
    db.close();
    if (err instanceof StoreError) throw err;
    throw new StoreError(`--db ${path}: not a usable SQLite database (${(err as Error).message})`);
  }
  return new SqliteStore(db, file);
}
