// The JSON API, /api/v1. Every error is {error, message} with a 4xx status; see docs/dashboard.md, "API".
import { VERSION } from '../../platform/version.js';
import { HttpError, type LoadedReport, summarise } from '../service.js';
import { LATEST_SCHEMA_VERSION } from '../store/store.js';
import type { VerdictView } from '../verdicts.js';
import { devicePageQuery } from './device-list.js';
import { json, type Route, type RouteContext } from './route.js';

export const DEFAULT_HISTORY = 100;
export const MAX_HISTORY = 1000;

/** ?limit=N for history lists: a whole number from 1 to MAX_HISTORY. */
export function historyLimit(url: URL): number {
  const value = url.searchParams.get('limit');
  if (value === null || value === '') return DEFAULT_HISTORY;
  if (!/^\d{1,6}$/.test(value) || Number(value) < 1 || Number(value) > MAX_HISTORY) {
    throw new HttpError(400, 'bad_request', `limit must be a whole number from 1 to ${MAX_HISTORY}`);
  }
  return Number(value);
}

/** ?ids=a,b&ids=c -> [a, b, c] (duplicates dropped, order kept). */
export function compareIds(url: URL): string[] {
  const ids = url.searchParams
    .getAll('ids')
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
  return [...new Set(ids)];
}

function reportJson(loaded: LoadedReport & { verdicts: VerdictView[] }): Record<string, unknown> {
  return {
    id: loaded.stored.id,
    deviceId: loaded.stored.deviceId,
    createdAt: loaded.stored.createdAt,
    receivedAt: loaded.stored.receivedAt,
    sizeBytes: loaded.stored.sizeBytes,
    verdicts: loaded.verdicts,
    report: loaded.report,
  };
}

const JSON_TYPES = ['application/json'] as const;

export const API_ROUTES: readonly Route[] = [
  {
    method: 'GET',
    path: '/api/v1/health',
    scope: null,
    kind: 'api',
    summary: 'liveness, version, storage backend and schema version',
    handler: async ({ dashboard }) =>
      json(200, {
        ok: true,
        version: VERSION,
        storage: dashboard.store.kind,
        schemaVersion: await dashboard.store.schemaVersion(),
        latestSchemaVersion: LATEST_SCHEMA_VERSION,
      }),
  },
  {
    method: 'POST',
    path: '/api/v1/reports',
    scope: 'upload',
    kind: 'api',
    summary: 'upload one report (application/json, edgeprobe.report/v1); 201 created, 200 already stored, returns the verdicts',
    handler: async (ctx: RouteContext) => {
      const text = await ctx.body(JSON_TYPES);
      const result = await ctx.dashboard.ingest(text, ctx.token);
      return json(
        result.status === 'created' ? 201 : 200,
        {
          ...result,
          links: {
            report: `/api/v1/reports/${result.id}`,
            device: `/api/v1/devices/${encodeURIComponent(result.device.id)}`,
            page: `/devices/${encodeURIComponent(result.device.id)}`,
          },
        },
        result.status === 'created' ? { location: `/api/v1/reports/${result.id}` } : undefined,
      );
    },
  },
  {
    method: 'GET',
    path: '/api/v1/reports/:id',
    scope: 'read',
    kind: 'api',
    summary: 'one report as uploaded, with its verdicts',
    handler: async ({ dashboard, params }) => {
      const loaded = await dashboard.report(params['id'] ?? '');
      if (!loaded) throw new HttpError(404, 'not_found', `no report with id ${params['id'] ?? ''}`);
      return json(200, reportJson(loaded));
    },
  },
  {
    method: 'DELETE',
    path: '/api/v1/reports/:id',
    scope: 'admin',
    kind: 'api',
    summary: 'delete one report',
    handler: async ({ dashboard, params }) => {
      if (!(await dashboard.store.deleteReport((params['id'] ?? '').toLowerCase())))
        throw new HttpError(404, 'not_found', `no report with id ${params['id'] ?? ''}`);
      return json(200, { deleted: params['id'] });
    },
  },
  {
    method: 'GET',
    path: '/api/v1/devices',
    scope: 'read',
    kind: 'api',
    summary:
      'devices, most recently seen first, with their latest verdict per profile: ?q= searches names, hostnames, boards and ids; ?limit= (default 50, at most 500) and ?offset= page',
    handler: async ({ dashboard, url }) => {
      const found = await dashboard.devices(devicePageQuery(url));
      const next = found.offset + found.devices.length < found.total ? found.offset + found.limit : null;
      return json(200, { ...found, next });
    },
  },
  {
    method: 'GET',
    path: '/api/v1/devices/:id',
    scope: 'read',
    kind: 'api',
    summary: 'one device and its history, newest first (?limit=N, default 100)',
    handler: async ({ dashboard, params, url }) => {
      const found = await dashboard.device(params['id'] ?? '', historyLimit(url));
      if (!found) throw new HttpError(404, 'not_found', `no device with id ${params['id'] ?? ''}`);
      return json(200, {
        device: found.device,
        reports: found.reports.map((r) => ({
          id: r.stored.id,
          createdAt: r.stored.createdAt,
          receivedAt: r.stored.receivedAt,
          verdicts: r.verdicts.map(summarise),
          metrics: r.report.metrics,
        })),
      });
    },
  },
  {
    method: 'DELETE',
    path: '/api/v1/devices/:id',
    scope: 'admin',
    kind: 'api',
    summary: 'delete a device and all its reports',
    handler: async ({ dashboard, params }) => {
      if (!(await dashboard.store.deleteDevice(params['id'] ?? ''))) throw new HttpError(404, 'not_found', `no device with id ${params['id'] ?? ''}`);
      return json(200, { deleted: params['id'] });
    },
  },
  {
    method: 'GET',
    path: '/api/v1/compare',
    scope: 'read',
    kind: 'api',
    summary: 'side by side: ?ids= device ids, report ids and hardware ids mixed (hw:, device:, report: prefixes disambiguate), &profile=',
    handler: async ({ dashboard, url }) => {
      const cmp = await dashboard.compare(compareIds(url), url.searchParams.get('profile'));
      return json(200, { ...cmp, entries: cmp.entries.map(({ subject: _subject, ...entry }) => entry) });
    },
  },
  {
    method: 'GET',
    path: '/api/v1/profiles',
    scope: 'read',
    kind: 'api',
    summary: 'the deployment profiles verdicts are given for',
    handler: async ({ dashboard }) => json(200, { profiles: dashboard.profiles() }),
  },
  {
    method: 'GET',
    path: '/api/v1/hardware',
    scope: 'read',
    kind: 'api',
    summary: 'the hardware spec sheets',
    handler: async ({ dashboard }) => json(200, { hardware: dashboard.hardware() }),
  },
  {
    method: 'GET',
    path: '/api/v1/admin/integrity',
    scope: 'admin',
    kind: 'api',
    summary: "the store's integrity check (SQLite: PRAGMA integrity_check)",
    handler: async ({ dashboard }) => {
      const result = await dashboard.store.integrityCheck();
      return json(200, { ...result, storage: dashboard.store.kind, reports: await dashboard.store.countReports() });
    },
  },
];
