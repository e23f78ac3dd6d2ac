// Report rows for the dashboard store's own tests (dashboard-store*.test.ts), written straight to a Store.
import { randomUUID } from 'node:crypto';
import { deviceIdFor, reportDigest } from '../../src/dashboard/model.js';
import type { NewReport } from '../../src/dashboard/store/store.js';

export function newReport(device: string, createdAt: string, extra: Partial<NewReport> = {}): NewReport {
  const id = extra.id ?? randomUUID();
  const body = JSON.stringify({ id, device, createdAt, n: Math.random() });
  return {
    id,
    deviceId: deviceIdFor(device),
    deviceName: device,
    hostname: device.toLowerCase(),
    board: 'Raspberry Pi 3 Model B Rev 1.2',
    createdAt,
    receivedAt: new Date().toISOString(),
    digest: reportDigest(JSON.parse(body)),
    body,
    ...extra,
  };
}

/** Midnight UTC, n days after 2026-01-01. */
export const day = (n: number): string => new Date(Date.UTC(2026, 0, 1 + n)).toISOString();
