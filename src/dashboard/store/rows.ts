// Row shapes shared by both store backends and their mapping to the store's records.
import type { DeviceRecord, StoredReport, TokenRecord, TokenScope } from './store.js';

export interface ReportRow {
  id: string;
  device_id: string;
  created_at: string;
  received_at: string;
  digest: string;
  size_bytes: number | string;
  body: string;
}

export interface DeviceRow {
  id: string;
  name: string;
  hostname: string;
  board: string | null;
  first_seen: string;
  last_seen: string;
  latest_report_id: string;
  report_count: number | string;
  created_by_token: string | null;
}

export interface TokenRow {
  id: string;
  name: string;
  scopes: string;
  hash: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  device_pattern: string | null;
  max_devices: number | string | null;
}

export function rowToReport(row: ReportRow): StoredReport {
  return {
    id: row.id,
    deviceId: row.device_id,
    createdAt: row.created_at,
    receivedAt: row.received_at,
    digest: row.digest,
    sizeBytes: Number(row.size_bytes),
    body: row.body,
  };
}

export function rowToDevice(row: DeviceRow): DeviceRecord {
  return {
    id: row.id,
    name: row.name,
    hostname: row.hostname,
    board: row.board,
    firstSeen: row.first_seen,
    lastSeen: row.last_seen,
    latestReportId: row.latest_report_id,
    reportCount: Number(row.report_count),
    createdByToken: row.created_by_token,
  };
}

export function rowToToken(row: TokenRow): TokenRecord {
  return {
    id: row.id,
    name: row.name,
    scopes: row.scopes.split(',').filter(Boolean) as TokenScope[],
    hash: row.hash,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
    devicePattern: row.device_pattern,
    maxDevices: row.max_devices === null ? null : Number(row.max_devices),
  };
}

/** Both backends' device columns; the count uses the reports_by_device index. */
export const DEVICE_COLUMNS = `d.id, d.name, d.hostname, d.board, d.first_seen, d.last_seen, d.latest_report_id, d.created_by_token,
  (SELECT COUNT(*) FROM reports r WHERE r.device_id = d.id) AS report_count`;

export const TOKEN_COLUMNS = 'id, name, scopes, hash, created_at, last_used_at, revoked_at, device_pattern, max_devices';

/** The page asked for, within bounds both backends accept. */
export function pageOf(query: { limit?: number; offset?: number }): { limit: number; offset: number } {
  const limit = query.limit === undefined ? -1 : Math.max(0, Math.floor(query.limit));
  return { limit, offset: Math.max(0, Math.floor(query.offset ?? 0)) };
}
