// PostgreSQL backend of the dashboard store (pg): for deployments that run several dashboard instances
// against one database. Every write is one transaction; a device's row is locked while its reports change,
// so concurrent uploads from one device cannot break retention; migrations hold an advisory lock so that
// instances starting together migrate once.
import pg from 'pg';
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
  redactUrl,
  type Store,
  type StoredReport,
  StoreError,
  type TokenRecord,
  toPolicy,
  type UploadFacts,
  type UploadPolicy,
  uploadRefusal,
} from './store.js';

type Queryable = pg.Pool | pg.PoolClient;

/** Arbitrary constant naming the migration lock (pg_advisory_xact_lock takes a bigint). */
const MIGRATION_LOCK = 4_711_802_031;

/** Held while a new device is created under a device limit, so that two instances cannot both take the last place. */
const DEVICE_CREATION_LOCK = 4_711_802_032;

const SEARCH = '(d.name ILIKE $1 OR d.hostname ILIKE $1 OR d.board ILIKE $1 OR d.id = $2)';

interface LockedDevice {
  last_seen: string;
  latest_report_id: string;
  first_seen: string;
  created_by_token: string | null;
  report_count: string;
}

async function rows<T>(db: Queryable, sql: string, params: unknown[] = []): Promise<T[]> {
  const result = await db.query(sql, params);
  return result.rows as T[];
}

class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  constructor(
    private readonly pool: pg.Pool,
    readonly location: string,
  ) {}

  private async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async schemaVersion(): Promise<number> {
    return currentVersion(this.pool);
  }

  async putReport(report: NewReport, policyOrKeep: number | UploadPolicy): Promise<PutReportResult> {
    const policy = toPolicy(policyOrKeep);
    return this.transaction(async (client) => {
      // Lock the device's row: uploads for one device are serialised from here on.
      let device = await lockDevice(client, report.deviceId);
      if (!device) {
        // A new device: creations are serialised so that the device limits hold across instances.
        await client.query('SELECT pg_advisory_xact_lock($1)', [DEVICE_CREATION_LOCK]);
        device = await lockDevice(client, report.deviceId);
      }
      const [existing] = await rows<{ digest: string }>(client, 'SELECT digest FROM reports WHERE id = $1', [report.id]);
      if (existing) return existing.digest === report.digest ? { status: 'duplicate' } : { status: 'conflict' };
      const facts: DeviceFacts | null = device ? { owner: device.created_by_token, reportCount: Number(device.report_count) } : null;
      const refusal = uploadRefusal(policy, facts, await uploadFacts(client, policy, facts, report));
      if (refusal) return refusal;
      const owner = ownerAfterUpload(facts, policy.uploader);
      if (!device) {
        await client.query(
          `INSERT INTO devices (id, name, hostname, board, first_seen, last_seen, latest_report_id, created_by_token)
           VALUES ($1, $2, $3, $4, $5, $5, $6, $7)`,
          [report.deviceId, report.deviceName, report.hostname, report.board, report.createdAt, report.id, owner],
        );
      }
      const inserted = await client.query(
        `INSERT INTO reports (id, device_id, created_at, received_at, digest, size_bytes, body)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING`,
        [report.id, report.deviceId, report.createdAt, report.receivedAt, report.digest, Buffer.byteLength(report.body), report.body],
      );
      if (inserted.rowCount === 0) {
        // The same id arrived for another device at the same moment: undo this attempt's writes.
        const [winner] = await rows<{ digest: string }>(client, 'SELECT digest FROM reports WHERE id = $1', [report.id]);
        await client.query('ROLLBACK');
        await client.query('BEGIN');
        return winner?.digest === report.digest ? { status: 'duplicate' } : { status: 'conflict' };
      }
      if (device) await updateDevice(client, report, device, owner);
      const pruned = await pruneDevice(client, report.deviceId, policy.keepPerDevice);
      return { status: 'created', retained: !pruned.includes(report.id), pruned };
    });
  }

  async getReport(id: string): Promise<StoredReport | null> {
    const [row] = await rows<ReportRow>(this.pool, 'SELECT * FROM reports WHERE id = $1', [id]);
    return row ? rowToReport(row) : null;
  }

  async deviceReports(deviceId: string, limit: number): Promise<StoredReport[]> {
    return (await rows<ReportRow>(this.pool, 'SELECT * FROM reports WHERE device_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2', [deviceId, limit])).map(
      rowToReport,
    );
  }

  async listDevices(query: DeviceQuery = {}): Promise<DeviceRecord[]> {
    const { limit, offset } = pageOf(query);
    // The page first, then the report counts of its rows only (not of every row the offset skips).
    const page = (where: string, first: number): string =>
      `SELECT ${DEVICE_COLUMNS} FROM (SELECT * FROM devices d ${where} ORDER BY d.last_seen DESC, d.id LIMIT $${first} OFFSET $${first + 1}) d ORDER BY d.last_seen DESC, d.id`;
    const found = query.search
      ? await rows<DeviceRow>(this.pool, page(`WHERE ${SEARCH}`, 3), [likePattern(query.search), query.search, limit < 0 ? null : limit, offset])
      : await rows<DeviceRow>(this.pool, page('', 1), [limit < 0 ? null : limit, offset]);
    return found.map(rowToDevice);
  }

  async countDevices(search?: string | null): Promise<number> {
    const [row] = search
      ? await rows<{ n: string }>(this.pool, `SELECT COUNT(*) AS n FROM devices d WHERE ${SEARCH}`, [likePattern(search), search])
      : await rows<{ n: string }>(this.pool, 'SELECT COUNT(*) AS n FROM devices');
    return Number(row?.n ?? 0);
  }

  async devicesPerToken(): Promise<Record<string, number>> {
    const found = await rows<{ token: string; n: string }>(
      this.pool,
      'SELECT created_by_token AS token, COUNT(*) AS n FROM devices WHERE created_by_token IS NOT NULL GROUP BY created_by_token',
    );
    return Object.fromEntries(found.map((r) => [r.token, Number(r.n)]));
  }

  async databaseSize(): Promise<number> {
    return databaseBytes(this.pool);
  }

  async getDevice(id: string): Promise<DeviceRecord | null> {
    const [row] = await rows<DeviceRow>(this.pool, `SELECT ${DEVICE_COLUMNS} FROM devices d WHERE d.id = $1`, [id]);
    return row ? rowToDevice(row) : null;
  }

  async deleteReport(id: string): Promise<boolean> {
    return this.transaction(async (client) => {
      const [row] = await rows<{ device_id: string }>(client, 'SELECT device_id FROM reports WHERE id = $1', [id]);
      if (!row) return false;
      await client.query('SELECT 1 FROM devices WHERE id = $1 FOR UPDATE', [row.device_id]);
      await client.query('DELETE FROM reports WHERE id = $1', [id]);
      await refreshDevice(client, row.device_id);
      return true;
    });
  }

  async deleteDevice(id: string): Promise<boolean> {
    const result = await this.pool.query('DELETE FROM devices WHERE id = $1', [id]);
    return (result.rowCount ?? 0) > 0;
  }

  async countReports(): Promise<number> {
    const [row] = await rows<{ n: string }>(this.pool, 'SELECT COUNT(*) AS n FROM reports');
    return Number(row?.n ?? 0);
  }

  async applyRetention(keepPerDevice: number): Promise<string[]> {
    return this.transaction(async (client) => {
      const devices = await rows<{ id: string }>(client, 'SELECT id FROM devices ORDER BY id FOR UPDATE');
      const removed: string[] = [];
      for (const device of devices) removed.push(...(await pruneDevice(client, device.id, keepPerDevice)));
      return removed;
    });
  }

  async createToken(token: TokenRecord): Promise<void> {
    await this.pool.query(`INSERT INTO tokens (${TOKEN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, [
      token.id,
      token.name,
      token.scopes.join(','),
      token.hash,
      token.createdAt,
      token.lastUsedAt,
      token.revokedAt,
      token.devicePattern,
      token.maxDevices,
    ]);
  }

  async getToken(id: string): Promise<TokenRecord | null> {
    const [row] = await rows<TokenRow>(this.pool, `SELECT ${TOKEN_COLUMNS} FROM tokens WHERE id = $1`, [id]);
    return row ? rowToToken(row) : null;
  }

  async listTokens(): Promise<TokenRecord[]> {
    return (await rows<TokenRow>(this.pool, `SELECT ${TOKEN_COLUMNS} FROM tokens ORDER BY created_at, id`)).map(rowToToken);
  }

  async revokeToken(id: string, at: string): Promise<boolean> {
    const result = await this.pool.query('UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [at, id]);
    return (result.rowCount ?? 0) > 0;
  }

  async touchToken(id: string, at: string): Promise<void> {
    await this.pool.query('UPDATE tokens SET last_used_at = $1 WHERE id = $2', [at, id]);
  }

  async integrityCheck(): Promise<IntegrityResult> {
    const problems: string[] = [];
    const dangling = await rows<{ id: string }>(this.pool, 'SELECT d.id FROM devices d LEFT JOIN reports r ON r.id = d.latest_report_id WHERE r.id IS NULL');
    for (const row of dangling) problems.push(`device ${row.id}: its latest report is missing`);
    const orphans = await rows<{ id: string }>(this.pool, 'SELECT r.id FROM reports r LEFT JOIN devices d ON d.id = r.device_id WHERE d.id IS NULL');
    for (const row of orphans) problems.push(`report ${row.id}: its device is missing`);
    const version = await currentVersion(this.pool);
    if (version !== LATEST_SCHEMA_VERSION) problems.push(`schema version ${version}, expected ${LATEST_SCHEMA_VERSION}`);
    return { ok: problems.length === 0, problems };
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }
}

async function lockDevice(client: pg.PoolClient, id: string): Promise<LockedDevice | undefined> {
  const [device] = await rows<LockedDevice>(
    client,
    `SELECT d.last_seen, d.latest_report_id, d.first_seen, d.created_by_token,
    (SELECT COUNT(*) FROM reports r WHERE r.device_id = d.id) AS report_count FROM devices d WHERE d.id = $1 FOR UPDATE`,
    [id],
  );
  return device;
}

async function updateDevice(client: pg.PoolClient, report: NewReport, device: LockedDevice, owner: string | null): Promise<void> {
  if (isNewer(report.createdAt, report.id, device.last_seen, device.latest_report_id)) {
    await client.query('UPDATE devices SET name = $1, hostname = $2, board = $3, last_seen = $4, latest_report_id = $5 WHERE id = $6', [
      report.deviceName,
      report.hostname,
      report.board,
      report.createdAt,
      report.id,
      report.deviceId,
    ]);
  }
  if (report.createdAt < device.first_seen) await client.query('UPDATE devices SET first_seen = $1 WHERE id = $2', [report.createdAt, report.deviceId]);
  if (owner !== device.created_by_token) await client.query('UPDATE devices SET created_by_token = $1 WHERE id = $2', [owner, report.deviceId]);
}

/** The counts the policy's limits need, read inside the write transaction. */
async function uploadFacts(client: pg.PoolClient, policy: UploadPolicy, device: DeviceFacts | null, report: NewReport): Promise<UploadFacts> {
  const needed = factsNeeded(policy, device);
  const count = async (sql: string, params: string[] = []): Promise<number> => Number((await rows<{ n: string }>(client, sql, params))[0]?.n ?? 0);
  const facts: UploadFacts = { bodyBytes: Buffer.byteLength(report.body) };
  if (needed.deviceCount) facts.deviceCount = await count('SELECT COUNT(*) AS n FROM devices');
  if (needed.tokenDeviceCount)
    facts.tokenDeviceCount = await count('SELECT COUNT(*) AS n FROM devices WHERE created_by_token = $1', [policy.uploader?.tokenId ?? '']);
  if (needed.databaseSize) facts.databaseSize = await databaseBytes(client);
  return facts;
}

async function databaseBytes(db: Queryable): Promise<number> {
  const [row] = await rows<{ n: string }>(db, 'SELECT pg_database_size(current_database()) AS n');
  return Number(row?.n ?? 0);
}

function isNewer(createdAt: string, id: string, lastSeen: string, latestId: string): boolean {
  return createdAt > lastSeen || (createdAt === lastSeen && id > latestId);
}

async function pruneDevice(client: pg.PoolClient, deviceId: string, keep: number): Promise<string[]> {
  const doomed = await rows<{ id: string }>(client, 'SELECT id FROM reports WHERE device_id = $1 ORDER BY created_at DESC, id DESC OFFSET $2', [
    deviceId,
    keep,
  ]);
  if (doomed.length === 0) return [];
  const ids = doomed.map((row) => row.id);
  await client.query('DELETE FROM reports WHERE id = ANY($1::text[])', [ids]);
  await refreshDevice(client, deviceId);
  return ids;
}

async function refreshDevice(client: pg.PoolClient, deviceId: string): Promise<void> {
  const [newest] = await rows<{ id: string; created_at: string }>(
    client,
    'SELECT id, created_at FROM reports WHERE device_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1',
    [deviceId],
  );
  if (!newest) {
    await client.query('DELETE FROM devices WHERE id = $1', [deviceId]);
    return;
  }
  await client.query('UPDATE devices SET last_seen = $1, latest_report_id = $2 WHERE id = $3', [newest.created_at, newest.id, deviceId]);
}

async function currentVersion(db: Queryable): Promise<number> {
  const [row] = await rows<{ v: number | null }>(db, 'SELECT MAX(version) AS v FROM schema_migrations');
  return row?.v ?? 0;
}

async function migrate(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
    const version = await currentVersion(client);
    if (version > LATEST_SCHEMA_VERSION) {
      throw new StoreError(`the database is at schema version ${version}, newer than this edgeprobe knows (${LATEST_SCHEMA_VERSION}); upgrade edgeprobe`);
    }
    for (const migration of MIGRATIONS) {
      if (migration.version <= version) continue;
      await client.query(migrationSql(migration, 'postgres'));
      await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
        migration.version,
        migration.name,
        new Date().toISOString(),
      ]);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

export async function openPostgresStore(url: string): Promise<PostgresStore> {
  const location = redactUrl(url);
  let pool: pg.Pool;
  try {
    pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 10_000, idleTimeoutMillis: 30_000 });
  } catch (err) {
    throw new StoreError(`--db ${location}: not a usable PostgreSQL URL (${(err as Error).message})`);
  }
  // An idle connection dropped by the server must not crash the dashboard; the next query reconnects.
  pool.on('error', () => undefined);
  try {
    await migrate(pool);
  } catch (err) {
    await pool.end().catch(() => undefined);
    if (err instanceof StoreError) throw err;
    throw new StoreError(`--db ${location}: cannot open the PostgreSQL database (${(err as Error).message})`);
  }
  return new PostgresStore(pool, location);
}
