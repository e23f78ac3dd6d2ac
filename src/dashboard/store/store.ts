// The dashboard's storage: ONE interface, two backends (embedded SQLite by default, PostgreSQL for
// deployments with several dashboard instances). Both run the same versioned migrations and pass the same
// conformance suite (test/dashboard-store.test.ts).
import type { UploadPolicy, UploadRefusal } from './limits.js';

export const TOKEN_SCOPES = ['upload', 'read', 'admin'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

/** One stored report: the body exactly as received (already validated) plus what the store indexes. */
export interface StoredReport {
  id: string;
  deviceId: string;
  /** When the agent measured (the report's createdAt, normalised to ISO-8601 UTC). */
  createdAt: string;
  /** When the dashboard accepted it. */
  receivedAt: string;
  /** sha256 of the body: the same id with another body is a conflict, the same body a duplicate. */
  digest: string;
  sizeBytes: number;
  body: string;
}

export interface DeviceRecord {
  id: string;
  /** The report's host.label, else its hostname. */
  name: string;
  hostname: string;
  board: string | null;
  /** createdAt of the oldest report ever received, even if retention has removed it since. */
  firstSeen: string;
  /** createdAt of the newest report. */
  lastSeen: string;
  latestReportId: string;
  reportCount: number;
  /** The token whose upload created the device (null for devices created before tokens were bound). */
  createdByToken: string | null;
}

export interface NewReport {
  id: string;
  deviceId: string;
  deviceName: string;
  hostname: string;
  board: string | null;
  createdAt: string;
  receivedAt: string;
  digest: string;
  body: string;
}

export type PutReportResult = { status: 'created'; retained: boolean; pruned: string[] } | { status: 'duplicate' } | { status: 'conflict' } | UploadRefusal;

export * from './limits.js';

/** Which devices to list: a case-insensitive search in names, hostnames, boards and ids; a page of them. */
export interface DeviceQuery {
  search?: string | null;
  limit?: number;
  offset?: number;
}

export interface TokenRecord {
  id: string;
  name: string;
  scopes: TokenScope[];
  /** sha256 (hex) of the token's secret part; the secret itself is never stored. */
  hash: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  /** Comma-separated glob patterns (`lab-pi-*`) of the device names the token may upload for; null: any. */
  devicePattern: string | null;
  /** How many devices the token may create; null: no limit of its own. */
  maxDevices: number | null;
}

export interface IntegrityResult {
  ok: boolean;
  problems: string[];
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** Where the data lives, for people (a file path or a URL without its password). */
  readonly location: string;
  /** The schema version the database is at (the highest migration applied). */
  schemaVersion(): Promise<number>;
  /**
   * Stores a report atomically: the device is created or updated, the report inserted unless its id is
   * known, and the device's reports beyond `keepPerDevice` (oldest first) removed, all in one transaction.
   * The policy's limits (device ownership, device counts, database size) are checked in the same
   * transaction, before anything is written; a number is a policy with only `keepPerDevice`.
   */
  putReport(report: NewReport, policy: number | UploadPolicy): Promise<PutReportResult>;
  getReport(id: string): Promise<StoredReport | null>;
  /** The device's reports, newest first. */
  deviceReports(deviceId: string, limit: number): Promise<StoredReport[]>;
  /** Devices, most recently seen first (all of them without a limit). */
  listDevices(query?: DeviceQuery): Promise<DeviceRecord[]>;
  countDevices(search?: string | null): Promise<number>;
  /** How many devices each token created, by token id. */
  devicesPerToken(): Promise<Record<string, number>>;
  /** Bytes the database holds (SQLite: pages in use; PostgreSQL: pg_database_size). */
  databaseSize(): Promise<number>;
  getDevice(id: string): Promise<DeviceRecord | null>;
  deleteReport(id: string): Promise<boolean>;
  deleteDevice(id: string): Promise<boolean>;
  countReports(): Promise<number>;
  /** Applies retention to every device at once, e.g. after the limit was lowered. Returns the ids removed. */
  applyRetention(keepPerDevice: number): Promise<string[]>;
  createToken(token: TokenRecord): Promise<void>;
  getToken(id: string): Promise<TokenRecord | null>;
  listTokens(): Promise<TokenRecord[]>;
  revokeToken(id: string, at: string): Promise<boolean>;
  touchToken(id: string, at: string): Promise<void>;
  /** Checks the database itself (SQLite: PRAGMA integrity_check and foreign_key_check) and the data's invariants. */
  integrityCheck(): Promise<IntegrityResult>;
  close(): Promise<void>;
}

/** Problems opening or migrating a store: a bad path or URL, an unreachable server, a newer schema. */
export class StoreError extends Error {}

export interface Migration {
  version: number;
  name: string;
  /** SQL both backends run, unless a backend has its own below. */
  sql: string;
  sqlite?: string;
  postgres?: string;
}

/** The SQL a backend runs for a migration. */
export function migrationSql(migration: Migration, backend: 'sqlite' | 'postgres'): string {
  return migration[backend] ?? migration.sql;
}

/**
 * Versioned schema migrations, applied in order inside one transaction each and recorded in
 * schema_migrations. Never edit a released migration: add the next version.
 * Timestamps are ISO-8601 UTC text in both backends, so they sort and compare the same way.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'devices, reports, tokens',
    sql: `
      CREATE TABLE devices (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        hostname TEXT NOT NULL,
        board TEXT,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        latest_report_id TEXT NOT NULL
      );
      CREATE TABLE reports (
        id TEXT PRIMARY KEY,
        device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
        created_at TEXT NOT NULL,
        received_at TEXT NOT NULL,
        digest TEXT NOT NULL,
        size_bytes INTEGER NOT NULL,
        body TEXT NOT NULL
      );
      CREATE INDEX reports_by_device ON reports (device_id, created_at DESC, id DESC);
      CREATE TABLE tokens (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        scopes TEXT NOT NULL,
        hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        last_used_at TEXT,
        revoked_at TEXT
      );`,
  },
  {
    version: 2,
    name: 'index devices by last seen',
    sql: 'CREATE INDEX devices_by_last_seen ON devices (last_seen DESC);',
  },
  {
    version: 3,
    name: 'tokens bound to devices; device ownership; device search',
    sql: `
      ALTER TABLE tokens ADD COLUMN device_pattern TEXT;
      ALTER TABLE tokens ADD COLUMN max_devices INTEGER;
      ALTER TABLE devices ADD COLUMN created_by_token TEXT;
      CREATE INDEX devices_by_token ON devices (created_by_token);
      CREATE INDEX devices_by_name ON devices (name);
      CREATE INDEX devices_by_last_seen_id ON devices (last_seen DESC, id);`,
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

export function isPostgresUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//i.test(db);
}

/** A URL fit for logs: the password replaced by ***. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/:\/\/([^:/@]*):[^@/]*@/, '://$1:***@');
  }
}

export function parseScopes(value: string): TokenScope[] {
  const scopes = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const known = new Set<string>(TOKEN_SCOPES);
  const out: TokenScope[] = [];
  for (const scope of scopes) {
    if (!known.has(scope)) throw new StoreError(`unknown token scope "${scope}" (known: ${TOKEN_SCOPES.join(', ')})`);
    if (!out.includes(scope as TokenScope)) out.push(scope as TokenScope);
  }
  return out;
}

/** Opens (creating and migrating as needed) the store named by --db: a file path or a postgres:// URL. */
export async function openStore(db: string): Promise<Store> {
  if (isPostgresUrl(db)) {
    const { openPostgresStore } = await import('./postgres.js');
    return openPostgresStore(db);
  }
  const { openSqliteStore } = await import('./sqlite.js');
  return openSqliteStore(db);
}
