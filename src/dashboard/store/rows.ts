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
}

export interface TokenRow {
  id: string;
  name: string;
  scopes: string;
  hash: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export function rowToReport(row: ReportRow): StoredReport {
  return {
    id: row.id, deviceId: row.device_id, createdAt: row.created_at, receivedAt: row.received_at,
    digest: row.digest, sizeBytes: Number(row.size_bytes), body: row.body,
  };
}

export function rowToDevice(row: DeviceRow): DeviceRecord {
  return {
    id: row.id, name: row.name, hostname: row.hostname, board: row.board, firstSeen: row.first_seen,
    lastSeen: row.last_seen, latestReportId: row.latest_report_id, reportCount: Number(row.report_count),
  };
}

export function rowToToken(row: TokenRow): TokenRecord {
  return {
    id: row.id, name: row.name, scopes: row.scopes.split(',').filter(Boolean) as TokenScope[], hash: row.hash,
    createdAt: row.created_at, lastUsedAt: row.last_used_at, revokedAt: row.revoked_at,
  };
}
