// The dashboard at fleet scale: how much the database grows per device and per report (SQLite and PostgreSQL,
// measured through the store), and how fast the device list, a device page and a 16-way compare answer over
// HTTP with PostgreSQL holding 5,000 devices of 100 reports each. The reports are a real agent report (a
// --quick run on a recorded Pi 4 tree) with its id, time and label changed per row.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { type RunningDashboard, startDashboard } from '../../src/dashboard/http/server.js';
import { deviceIdFor } from '../../src/dashboard/model.js';
import { Dashboard } from '../../src/dashboard/service.js';
import { openStore, type Store } from '../../src/dashboard/store/store.js';
import { execCommand, makeTempDir, removeTemp } from '../../src/platform/process.js';
import { type Postgres, startPostgres } from '../../test/helpers/services.js';
import { repoRoot } from '../lab/userland.js';
import type { BenchOptions, Figure } from './figures.js';
import { median } from './measure.js';

export const PG_BIN = '/usr/lib/postgresql/15/bin';
export const FLEET_DEVICES = 5000;
export const REPORTS_PER_DEVICE = 100;
/** What the dashboard should answer within at that scale (the goals stated in docs/dashboard.md). */
export const BUDGETS_MS = { list: 300, device: 1500, compare: 1000 };

/** A real report, as the agent prints it for a recorded device tree, without the verdict the renderer adds. */
async function agentReport(): Promise<Record<string, unknown>> {
  const result = await execCommand(
    process.execPath,
    [
      join(repoRoot(), 'bin', 'edgeprobe.js'),
      'run',
      '--quick',
      '--root',
      join(repoRoot(), 'test', 'fixtures', 'devices', 'pi-4b-bookworm-arm64'),
      '--format',
      'json',
    ],
    { timeoutMs: 120_000 },
  );
  const { verdict: _verdict, ...report } = JSON.parse(result.stdout) as Record<string, unknown>;
  return report;
}

function labelled(report: Record<string, unknown>, label: string, createdAt: string): string {
  return JSON.stringify({ ...report, id: randomUUID(), createdAt, host: { ...(report['host'] as object), label } });
}

/** Bytes the store grows by for `devices` new devices with one report each, then for `reports` more reports of one device. */
async function growth(store: Store, report: Record<string, unknown>, devices: number, reports: number): Promise<{ perDevice: number; perReport: number }> {
  const dashboard = new Dashboard({ store, keepPerDevice: reports + 10, maxBodyBytes: 4 * 1024 * 1024, publicRead: true });
  const hour = (n: number): string => new Date(Date.UTC(2026, 0, 1) + n * 3_600_000).toISOString();
  await dashboard.ingest(labelled(report, 'warm-up', hour(0)));
  const start = await store.databaseSize();
  for (let i = 0; i < devices; i++) await dashboard.ingest(labelled(report, `growth-${i}`, hour(i)));
  const afterDevices = await store.databaseSize();
  for (let i = 0; i < reports; i++) await dashboard.ingest(labelled(report, 'growth-0', hour(devices + i)));
  const afterReports = await store.databaseSize();
  return { perDevice: (afterDevices - start) / devices, perReport: (afterReports - afterDevices) / reports };
}

function growthFigures(kind: string, measured: { perDevice: number; perReport: number }, bodyBytes: number, note: string): Figure[] {
  return [
    {
      id: `dashboard_${kind}_bytes_per_device`,
      title: `dashboard DB growth per new device (${kind})`,
      value: measured.perDevice,
      unit: 'bytes',
      reference: 'report body as uploaded',
      referenceValue: bodyBytes,
      ratio: measured.perDevice / bodyBytes,
      target: '—',
      met: null,
      note,
    },
    {
      id: `dashboard_${kind}_bytes_per_report`,
      title: `dashboard DB growth per report (${kind})`,
      value: measured.perReport,
      unit: 'bytes',
      reference: 'report body as uploaded',
      referenceValue: bodyBytes,
      ratio: measured.perReport / bodyBytes,
      target: '—',
      met: null,
      note,
    },
  ];
}

/** Loads FLEET_DEVICES × REPORTS_PER_DEVICE reports into PostgreSQL in batches, the bodies made inside the server. */
async function loadFleet(url: string, report: Record<string, unknown>, log: (line: string) => void): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const template = JSON.stringify({ ...report, id: '@ID@', createdAt: '@AT@', host: { ...(report['host'] as object), label: '@LABEL@' } });
    const names = Array.from({ length: FLEET_DEVICES }, (_, i) => `fleet-${String(i).padStart(5, '0')}`);
    const ids = names.map(deviceIdFor);
    await client.query('CREATE TEMP TABLE bench_devices (id TEXT, name TEXT, n INTEGER)');
    await client.query('INSERT INTO bench_devices SELECT * FROM unnest($1::text[], $2::text[], $3::int[])', [ids, names, names.map((_, i) => i)]);
    // Report r of device n was measured r days and n seconds before the base time; r = 0 is the newest.
    const at = "to_char(timestamp '2026-06-01 12:00:00' - r * interval '1 day' - d.n * interval '1 second', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";
    const uuid = "regexp_replace(md5(d.name || '/' || r), '^(.{8})(.{4})(.{4})(.{4})(.{12})$', '\\1-\\2-\\3-\\4-\\5')";
    await client.query(`INSERT INTO devices (id, name, hostname, board, first_seen, last_seen, latest_report_id)
      SELECT d.id, d.name, 'pi-4b', 'Raspberry Pi 4 Model B Rev 1.4', ${at.replace(/\br\b/g, String(REPORTS_PER_DEVICE - 1))}, ${at.replace(/\br\b/g, '0')}, ${uuid.replace(/\br\b/g, "'0'")} FROM bench_devices d`);
    const batch = 250;
    for (let first = 0; first < FLEET_DEVICES; first += batch) {
      await client.query(
        `INSERT INTO reports (id, device_id, created_at, received_at, digest, size_bytes, body)
        SELECT ${uuid}, d.id, ${at}, ${at}, md5(d.name || r), length(b.body), b.body
        FROM bench_devices d CROSS JOIN generate_series(0, ${REPORTS_PER_DEVICE - 1}) AS r
        CROSS JOIN LATERAL (SELECT replace(replace(replace($1, '@ID@', ${uuid}), '@AT@', ${at}), '@LABEL@', d.name) AS body) b
        WHERE d.n >= $2 AND d.n < $3`,
        [template, first, first + batch],
      );
      if ((first / batch) % 4 === 3) log(`dashboard: loaded ${first + batch} of ${FLEET_DEVICES} devices`);
    }
    await client.query('ANALYZE');
    return ids;
  } finally {
    await client.end();
  }
}

async function timeGet(base: string, path: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${base}${path}`);
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`GET ${path}: ${response.status}`);
  return performance.now() - started;
}

interface Timings {
  [name: string]: number[];
}

/** Cold: nothing of it parsed yet (another page, another device each run); warm: the same again. */
async function timeFleet(base: string, ids: readonly string[], runs: number): Promise<Timings> {
  const t: Timings = {
    listApi: [],
    listPage: [],
    listWarm: [],
    search: [],
    lastPage: [],
    deviceApi: [],
    devicePage: [],
    deviceWarm: [],
    compareApi: [],
    comparePage: [],
  };
  const push = async (name: string, path: string): Promise<void> => {
    t[name]?.push(await timeGet(base, path));
  };
  for (let i = 0; i < runs; i++) {
    const offset = 50 * (1 + i * 7);
    await push('listApi', `/api/v1/devices?offset=${offset}`);
    await push('listPage', `/?offset=${offset + 50 * 3}`);
    await push('listWarm', `/?offset=${offset + 50 * 3}`);
    await push('search', `/?q=fleet-0${i}9`);
    await push('lastPage', `/?offset=${FLEET_DEVICES - 50}`);
    await push('deviceApi', `/api/v1/devices/${ids[100 + i] ?? ''}`);
    await push('devicePage', `/devices/${ids[200 + i] ?? ''}`);
    await push('deviceWarm', `/devices/${ids[200 + i] ?? ''}`);
    const sixteen = ids.slice(1000 + i * 32, 1000 + i * 32 + 16).join(',');
    const other = ids.slice(1016 + i * 32, 1016 + i * 32 + 16).join(',');
    await push('compareApi', `/api/v1/compare?ids=${sixteen}`);
    await push('comparePage', `/compare?ids=${other}`);
  }
  return t;
}

function timingFigures(t: Timings, runs: number): Figure[] {
  const scale = `PostgreSQL 15 holding ${FLEET_DEVICES.toLocaleString('en-US')} devices × ${REPORTS_PER_DEVICE} reports`;
  const rows: [string, string, number][] = [
    ['listApi', 'device list API, a page of 50 (cold)', BUDGETS_MS.list],
    ['listPage', 'device list page of 50 (cold)', BUDGETS_MS.list],
    ['listWarm', 'device list page of 50 (warm)', BUDGETS_MS.list],
    ['search', 'device list page, searched', BUDGETS_MS.list],
    ['lastPage', 'device list, last page', BUDGETS_MS.list],
    ['deviceApi', 'device API, 100 reports (cold)', BUDGETS_MS.device],
    ['devicePage', 'device page, 100 reports (cold)', BUDGETS_MS.device],
    ['deviceWarm', 'device page, 100 reports (warm)', BUDGETS_MS.device],
    ['compareApi', 'compare API, 16 devices (cold)', BUDGETS_MS.compare],
    ['comparePage', 'compare page, 16 devices (cold)', BUDGETS_MS.compare],
  ];
  return rows.map(([key, title, budget]) => {
    const value = median(t[key] ?? []);
    return {
      id: `dashboard_pg_${key}`,
      title: `dashboard: ${title}`,
      value,
      unit: 'ms' as const,
      reference: 'stated budget',
      referenceValue: budget,
      ratio: value / budget,
      target: '≤ 1.0×',
      met: value <= budget,
      note: `${scale}; over HTTP on loopback, one request at a time; median of ${runs}`,
      samples: { ms: (t[key] ?? []).map(Math.round) },
    };
  });
}

/** The PostgreSQL database's size beside the report bodies it holds. */
function pgSizeFigure(size: number, bodies: number, loadSeconds: number): Figure {
  return {
    id: 'dashboard_pg_size',
    title: `dashboard: PostgreSQL size at ${FLEET_DEVICES} × ${REPORTS_PER_DEVICE}`,
    value: size,
    unit: 'bytes',
    reference: 'report bodies as uploaded',
    referenceValue: bodies,
    ratio: size / bodies,
    target: '—',
    met: null,
    note: `pg_database_size after loading and ANALYZE; the load took ${Math.round(loadSeconds)} s`,
  };
}

export async function dashboardFigures(options: BenchOptions): Promise<Figure[]> {
  const report = await agentReport();
  const bodyBytes = Buffer.byteLength(JSON.stringify(report));
  const dir = makeTempDir('bench-dashboard');
  let server: Postgres | undefined;
  let running: RunningDashboard | undefined;
  const figures: Figure[] = [];
  try {
    options.log('dashboard: database growth, SQLite');
    const sqlite = await openStore(join(dir, 'growth.sqlite'));
    figures.push(
      ...growthFigures(
        'sqlite',
        await growth(sqlite, report, 200, 200),
        bodyBytes,
        'pages in use after 200 new devices, then 200 more reports of one device; each report a --quick agent report of a Pi 4',
      ),
    );
    await sqlite.close();
    server = await startPostgres(PG_BIN);
    const admin = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${server.port}/postgres` });
    await admin.connect();
    await admin.query('CREATE DATABASE growth');
    await admin.query('CREATE DATABASE fleet');
    await admin.end();
    options.log('dashboard: database growth, PostgreSQL');
    const pgGrowth = await openStore(`postgres://postgres@127.0.0.1:${server.port}/growth`);
    figures.push(
      ...growthFigures(
        'postgres',
        await growth(pgGrowth, report, 200, 200),
        bodyBytes,
        'pg_database_size after 200 new devices, then 200 more reports of one device (bodies TOASTed and compressed)',
      ),
    );
    await pgGrowth.close();
    const url = `postgres://postgres@127.0.0.1:${server.port}/fleet`;
    const store = await openStore(url);
    options.log(`dashboard: loading ${FLEET_DEVICES} devices × ${REPORTS_PER_DEVICE} reports into PostgreSQL`);
    const loadStarted = performance.now();
    const ids = await loadFleet(url, report, options.log);
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    options.log(`dashboard: loaded in ${loadSeconds.toFixed(0)} s, ${((await store.databaseSize()) / 2 ** 30).toFixed(2)} GiB`);
    running = await startDashboard({ store, keepPerDevice: REPORTS_PER_DEVICE, maxBodyBytes: 4 * 1024 * 1024, publicRead: true }, '127.0.0.1', 0);
    figures.push(...timingFigures(await timeFleet(running.url, ids, options.runs), options.runs));
    const size = await store.databaseSize();
    const bodies = bodyBytes * FLEET_DEVICES * REPORTS_PER_DEVICE;
    figures.push(pgSizeFigure(size, bodies, loadSeconds));
    await running.close();
    running = undefined;
    await store.close();
  } finally {
    await running?.close();
    await server?.stop();
    removeTemp(dir);
  }
  return figures;
}
