// SQLite backend of the dashboard store (better-sqlite3): WAL journal, synchronous=FULL so that a report
// acknowledged to the uploader survives a power cut, every write in one IMMEDIATE transaction.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { DEVICE_COLUMNS, type DeviceRow, pageOf, type ReportRow, rowToDevice, rowToReport, rowToToken, TOKEN_COLUMNS, type TokenRow } from './rows.js';
import {
  type DeviceFacts,
  type DeviceQuery,
  type DeviceRecord,
  factsNeeded,
  type IntegrityResult,
  LATEST_SCHEMA_VERSION,
  likePattern,
  MIGRATIONS,
  migrationSql,
  type NewReport,
  ownerAfterUpload,
  type PutReportResult,
  type Store,
  type StoredReport,
  StoreError,
  type TokenRecord,
  toPolicy,
  type UploadPolicy,
  uploadRefusal,
} from './store.js';

const SEARCH = "(d.name LIKE ? ESCAPE '\\' OR d.hostname LIKE ? ESCAPE '\\' OR d.board LIKE ? ESCAPE '\\' OR d.id = ?)";

function searchParams(search: string): string[] {
  const like = likePattern(search);
  return [like, like, like, search];
}

class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  constructor(
    private readonly db: Database.Database,
    readonly location: string,
  ) {}

  async schemaVersion(): Promise<number> {
    return currentVersion(this.db);
  }

  async putReport(report: NewReport, policyOrKeep: number | UploadPolicy): Promise<PutReportResult> {
    const db = this.db;
    const policy = toPolicy(policyOrKeep);
    const tx = db.transaction((): PutReportResult => {
      const existing = db.prepare('SELECT digest FROM reports WHERE id = ?').get(report.id) as { digest: string } | undefined;
      if (existing) return existing.digest === report.digest ? { status: 'duplicate' } : { status: 'conflict' };
      const device = db
        .prepare(`SELECT d.last_seen, d.latest_report_id, d.first_seen, d.created_by_token,
        (SELECT COUNT(*) FROM reports r WHERE r.device_id = d.id) AS report_count FROM devices d WHERE d.id = ?`)
        .get(report.deviceId) as
        | { last_seen: string; latest_report_id: string; first_seen: string; created_by_token: string | null; report_count: number }
        | undefined;
      const facts: DeviceFacts | null = device ? { owner: device.created_by_token, reportCount: device.report_count } : null;
      const refusal = uploadRefusal(policy, facts, this.uploadFacts(policy, facts, report));
      if (refusal) return refusal;
      const owner = ownerAfterUpload(facts, policy.uploader);
      if (!device) {
        db.prepare(
          'INSERT INTO devices (id, name, hostname, board, first_seen, last_seen, latest_report_id, created_by_token) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        ).run(report.deviceId, report.deviceName, report.hostname, report.board, report.createdAt, report.createdAt, report.id, owner);
      } else {
        if (isNewer(report.createdAt, report.id, device.last_seen, device.latest_report_id)) {
          db.prepare('UPDATE devices SET name = ?, hostname = ?, board = ?, last_seen = ?, latest_report_id = ? WHERE id = ?').run(
            report.deviceName,
            report.hostname,
            report.board,
            report.createdAt,
            report.id,
            report.deviceId,
          );
        }
        if (report.createdAt < device.first_seen) db.prepare('UPDATE devices SET first_seen = ? WHERE id = ?').run(report.createdAt, report.deviceId);
        if (owner !== device.created_by_token) db.prepare('UPDATE devices SET created_by_token = ? WHERE id = ?').run(owner, report.deviceId);
      }
      db.prepare('INSERT INTO reports (id, device_id, created_at, received_at, digest, size_bytes, body) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
        report.id,
        report.deviceId,
        report.createdAt,
        report.receivedAt,
        report.digest,
        Buffer.byteLength(report.body),
        report.body,
      );
      const pruned = pruneDevice(db, report.deviceId, policy.keepPerDevice);
      return { status: 'created', retained: !pruned.includes(report.id), pruned };
    });
    return tx.immediate();
  }

  /** The counts the policy's limits need, read inside the write transaction. */
  private uploadFacts(
    policy: UploadPolicy,
    device: DeviceFacts | null,
    report: NewReport,
  ): { bodyBytes: number; deviceCount?: number; tokenDeviceCount?: number; databaseSize?: number } {
    const needed = factsNeeded(policy, device);
    const count = (sql: string, ...params: string[]): number => (this.db.prepare(sql).get(...params) as { n: number }).n;
    return {
      bodyBytes: Buffer.byteLength(report.body),
      ...(needed.deviceCount ? { deviceCount: count('SELECT COUNT(*) AS n FROM devices') } : {}),
      ...(needed.tokenDeviceCount
        ? { tokenDeviceCount: count('SELECT COUNT(*) AS n FROM devices WHERE created_by_token = ?', policy.uploader?.tokenId ?? '') }
        : {}),
      ...(needed.databaseSize ? { databaseSize: usedBytes(this.db) } : {}),
    };
  }

  async getReport(id: string): Promise<StoredReport | null> {
    const row = this.db.prepare('SELECT * FROM reports WHERE id = ?').get(id) as ReportRow | undefined;
    return row ? rowToReport(row) : null;
  }

  async deviceReports(deviceId: string, limit: number): Promise<StoredReport[]> {
    const rows = this.db.prepare('SELECT * FROM reports WHERE device_id = ? ORDER BY created_at DESC, id DESC LIMIT ?').all(deviceId, limit) as ReportRow[];
    return rows.map(rowToReport);
  }

  async listDevices(query: DeviceQuery = {}): Promise<DeviceRecord[]> {
    const { limit, offset } = pageOf(query);
    const where = query.search ? `WHERE ${SEARCH}` : '';
    const params = query.search ? searchParams(query.search) : [];
    // The page first, then the report counts of its rows only (not of every row the offset skips).
    const rows = this.db
      .prepare(
        `SELECT ${DEVICE_COLUMNS} FROM (SELECT * FROM devices d ${where} ORDER BY d.last_seen DESC, d.id LIMIT ? OFFSET ?) d ORDER BY d.last_seen DESC, d.id`,
      )
      .all(...params, limit, offset) as DeviceRow[];
    return rows.map(rowToDevice);
  }

  async countDevices(search?: string | null): Promise<number> {
    const row = search
      ? this.db.prepare(`SELECT COUNT(*) AS n FROM devices d WHERE ${SEARCH}`).get(...searchParams(search))
      : this.db.prepare('SELECT COUNT(*) AS n FROM devices').get();
    return (row as { n: number }).n;
  }

  async devicesPerToken(): Promise<Record<string, number>> {
    const rows = this.db
      .prepare('SELECT created_by_token AS token, COUNT(*) AS n FROM devices WHERE created_by_token IS NOT NULL GROUP BY created_by_token')
      .all() as { token: string; n: number }[];
    return Object.fromEntries(rows.map((r) => [r.token, r.n]));
  }

  async databaseSize(): Promise<number> {
    return usedBytes(this.db);
  }

  async getDevice(id: string): Promise<DeviceRecord | null> {
    const row = this.db.prepare(`SELECT ${DEVICE_COLUMNS} FROM devices d WHERE d.id = ?`).get(id) as DeviceRow | undefined;
    return row ? rowToDevice(row) : null;
  }

  async deleteReport(id: string): Promise<boolean> {
    const db = this.db;
    return db
      .transaction((): boolean => {
        const row = db.prepare('SELECT device_id FROM reports WHERE id = ?').get(id) as { device_id: string } | undefined;
        if (!row) return false;
        db.prepare('DELETE FROM reports WHERE id = ?').run(id);
        refreshDevice(db, row.device_id);
        return true;
      })
      .immediate();
  }

  async deleteDevice(id: string): Promise<boolean> {
    return this.db.transaction((): boolean => this.db.prepare('DELETE FROM devices WHERE id = ?').run(id).changes > 0).immediate();
  }

  async countReports(): Promise<number> {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM reports').get() as { n: number }).n;
  }

  async applyRetention(keepPerDevice: number): Promise<string[]> {
    const db = this.db;
    return db
      .transaction((): string[] => {
        const devices = db.prepare('SELECT id FROM devices').all() as { id: string }[];
        return devices.flatMap((d) => pruneDevice(db, d.id, keepPerDevice));
      })
      .immediate();
  }

  async createToken(token: TokenRecord): Promise<void> {
    this.db
      .prepare(`INSERT INTO tokens (${TOKEN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(token.id, token.name, token.scopes.join(','), token.hash, token.createdAt, token.lastUsedAt, token.revokedAt, token.devicePattern, token.maxDevices);
  }

  async getToken(id: string): Promise<TokenRecord | null> {
    const row = this.db.prepare(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE id = ?`).get(id) as TokenRow | undefined;
    return row ? rowToToken(row) : null;
  }

  async listTokens(): Promise<TokenRecord[]> {
    return (this.db.prepare(`SELECT ${TOKEN_COLUMNS} FROM tokens ORDER BY created_at, id`).all() as TokenRow[]).map(rowToToken);
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
    const dangling = this.db.prepare('SELECT d.id FROM devices d LEFT JOIN reports r ON r.id = d.latest_report_id WHERE r.id IS NULL').all() as {
      id: string;
    }[];
    for (const row of dangling) problems.push(`device ${row.id}: its latest report is missing`);
    return { ok: problems.length === 0, problems };
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

/** Pages in use (the free list is reused before the file grows), in bytes. */
function usedBytes(db: Database.Database): number {
  const pages = db.pragma('page_count', { simple: true }) as number;
  const free = db.pragma('freelist_count', { simple: true }) as number;
  const size = db.pragma('page_size', { simple: true }) as number;
  return (pages - free) * size;
}

function isNewer(createdAt: string, id: string, lastSeen: string, latestId: string): boolean {
  return createdAt > lastSeen || (createdAt === lastSeen && id > latestId);
}

/** Deletes the device's reports beyond the newest `keep`; returns their ids. */
function pruneDevice(db: Database.Database, deviceId: string, keep: number): string[] {
  const doomed = db.prepare('SELECT id FROM reports WHERE device_id = ? ORDER BY created_at DESC, id DESC LIMIT -1 OFFSET ?').all(deviceId, keep) as {
    id: string;
  }[];
  if (doomed.length === 0) return [];
  const del = db.prepare('DELETE FROM reports WHERE id = ?');
  for (const row of doomed) del.run(row.id);
  refreshDevice(db, deviceId);
  return doomed.map((row) => row.id);
}

/** After deletions: point the device at its newest remaining report, or remove it when none remain. */
function refreshDevice(db: Database.Database, deviceId: string): void {
  const newest = db.prepare('SELECT id, created_at FROM reports WHERE device_id = ? ORDER BY created_at DESC, id DESC LIMIT 1').get(deviceId) as
    | { id: string; created_at: string }
    | undefined;
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
      throw new StoreError(
        `--db ${path}: cannot create the folder ${dirname(file)} (${code === 'EEXIST' || code === 'ENOTDIR' ? 'a file is in the way' : (code ?? (err as Error).message)})`,
      );
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
