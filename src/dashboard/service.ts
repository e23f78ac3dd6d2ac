// The dashboard's behaviour, independent of HTTP: accepting reports, and what the API and pages show
// (device summaries with verdicts, a device's history, comparisons).

import type { Report } from '../report/types.js';
import { parseReport } from '../report/validate.js';
import { AuthLimiter } from './http/auth.js';
import { deviceIdFor, deviceName, normaliseTime, orderMetricIds, reportDigest, valuesDiffer } from './model.js';
import { refusalError, uploaderFor } from './service-access.js';
import { HttpError, prototypeKeyPath } from './service-errors.js';
import type { CompareEntry, Comparison, DashboardSettings, DevicePage, DeviceSummary, IngestResult, LoadedReport, VerdictSummary } from './service-types.js';
import type { DeviceQuery, Store, StoredReport, TokenRecord } from './store/store.js';
import {
  compareSections,
  defaultProfile,
  findHardware,
  type HardwareView,
  judgeAll,
  judgeHardware,
  judgeReport,
  listHardware,
  listProfiles,
  type ProfileView,
  type VerdictView,
} from './verdicts.js';

export { uploaderFor } from './service-access.js';
export { HttpError, prototypeKeyPath, tooManyFailures } from './service-errors.js';
export type {
  CompareEntry,
  CompareRow,
  Comparison,
  DashboardSettings,
  DevicePage,
  DeviceSummary,
  IngestResult,
  LoadedReport,
  VerdictSummary,
} from './service-types.js';

export const MAX_COMPARE = 16;
const CACHE_SIZE = 512;

export function summarise(verdict: VerdictView): VerdictSummary {
  return { profile: verdict.profile, title: verdict.title, verdict: verdict.verdict, headline: verdict.headline };
}

export class Dashboard {
  /** Reports never change once stored, so their parsed form and verdicts can be kept by id. */
  private readonly cache = new Map<string, { report: Report; verdicts: VerdictView[] }>();
  /** Wrong tokens per client address (API, pages and the sign-in form). */
  readonly authLimiter = new AuthLimiter();

  constructor(readonly settings: DashboardSettings) {}

  get store(): Store {
    return this.settings.store;
  }

  async ingest(text: string, token: TokenRecord | null = null): Promise<IngestResult> {
    const check = parseReport(text);
    if (!check.ok) {
      const first = check.errors[0] ?? 'not a valid report';
      if (first.startsWith('unsupported report schema')) throw new HttpError(400, 'unsupported_schema', first);
      if (first.startsWith('not JSON')) throw new HttpError(400, 'invalid_json', first);
      throw new HttpError(400, 'invalid_report', `not a valid edgeprobe.report/v1 report: ${check.errors.join('; ')}`, { errors: check.errors });
    }
    const forbidden = prototypeKeyPath(check.report);
    if (forbidden !== null)
      throw new HttpError(
        400,
        'invalid_report',
        `the report carries the key ${forbidden}; __proto__, constructor and prototype keys are refused anywhere in a report`,
      );
    // A verdict a renderer embedded in the file is dropped: the dashboard judges the facts itself, so the
    // same report uploaded from `run --upload` or from a `--format json` file is one report.
    const { verdict: _embedded, ...facts } = check.report as Report & { verdict?: unknown };
    const report: Report = facts;
    const id = report.id.toLowerCase();
    const createdAt = normaliseTime(report.createdAt);
    if (createdAt === null)
      throw new HttpError(
        400,
        'invalid_report',
        `createdAt ${report.createdAt.slice(0, 64)} is not a time this dashboard can place (leap second or out of range)`,
      );
    if (Date.parse(createdAt) > Date.now() + 24 * 3600 * 1000) {
      throw new HttpError(400, 'invalid_report', `createdAt ${report.createdAt} is more than a day in the future; check the device's clock`);
    }
    const name = deviceName(report);
    const deviceId = deviceIdFor(name);
    const board = report.metrics['host.board'];
    const result = await this.store.putReport(
      {
        id,
        deviceId,
        deviceName: name,
        hostname: report.host.hostname,
        board: typeof board === 'string' ? board : null,
        createdAt,
        receivedAt: new Date().toISOString(),
        digest: reportDigest({ ...report, id }),
        body: JSON.stringify({ ...report, id }),
      },
      {
        keepPerDevice: this.settings.keepPerDevice,
        uploader: uploaderFor(token, name),
        maxDevices: this.settings.maxDevices ?? null,
        maxDbBytes: this.settings.maxDbBytes ?? null,
      },
    );
    if (result.status === 'conflict') {
      throw new HttpError(409, 'conflict', `a different report with id ${id} is already stored; a report id may be used only once`);
    }
    if (result.status === 'refused' || result.status === 'full') throw refusalError(result, name, token);
    return {
      status: result.status,
      id,
      retained: result.status === 'duplicate' || result.retained,
      device: { id: deviceId, name },
      verdicts: judgeAll(report),
    };
  }

  private loaded(stored: StoredReport): LoadedReport & { verdicts: VerdictView[] } {
    let entry = this.cache.get(stored.id);
    if (!entry) {
      const report = JSON.parse(stored.body) as Report;
      entry = { report, verdicts: judgeAll(report) };
      if (this.cache.size >= CACHE_SIZE) {
        const oldest = this.cache.keys().next();
        if (!oldest.done) this.cache.delete(oldest.value);
      }
      this.cache.set(stored.id, entry);
    }
    return { stored, report: entry.report, verdicts: entry.verdicts };
  }

  async report(id: string): Promise<(LoadedReport & { verdicts: VerdictView[] }) | null> {
    const stored = await this.store.getReport(id.toLowerCase());
    return stored ? this.loaded(stored) : null;
  }

  /** A page of devices, each with its latest verdicts (one report loaded per device shown). */
  async devices(query: DeviceQuery & { limit: number; offset: number }): Promise<DevicePage> {
    const search = query.search?.trim() || null;
    const [devices, total] = await Promise.all([this.store.listDevices({ search, limit: query.limit, offset: query.offset }), this.store.countDevices(search)]);
    const summaries = await Promise.all(
      devices.map(async (device) => {
        const latest = await this.report(device.latestReportId);
        return { ...device, verdicts: latest ? latest.verdicts.map(summarise) : [] };
      }),
    );
    return { devices: summaries, total, limit: query.limit, offset: query.offset, search };
  }

  async device(id: string, limit: number): Promise<{ device: DeviceSummary; reports: (LoadedReport & { verdicts: VerdictView[] })[] } | null> {
    const device = await this.store.getDevice(id);
    if (!device) return null;
    const reports = (await this.store.deviceReports(id, limit)).map((stored) => this.loaded(stored));
    const latest = reports.find((r) => r.stored.id === device.latestReportId) ?? reports[0];
    return { device: { ...device, verdicts: latest ? latest.verdicts.map(summarise) : [] }, reports };
  }

  profiles(): ProfileView[] {
    return listProfiles();
  }

  hardware(): HardwareView[] {
    return listHardware();
  }

  /** Resolves one compare id: `hw:ID`, `device:ID`, `report:ID`, or a bare device id, report id or hardware id. */
  private async resolve(id: string, profile: string | null): Promise<CompareEntry | null> {
    const colon = id.indexOf(':');
    const prefix = colon > 0 ? id.slice(0, colon) : '';
    const bare = ['hw', 'hardware', 'device', 'report'].includes(prefix) ? id.slice(colon + 1) : id;
    const tryDevice = prefix === '' || prefix === 'device';
    const tryReport = prefix === '' || prefix === 'report';
    const tryHardware = prefix === '' || prefix === 'hw' || prefix === 'hardware';
    if (tryDevice) {
      const device = await this.store.getDevice(bare);
      const latest = device ? await this.report(device.latestReportId) : null;
      if (device && latest) {
        return {
          kind: 'device',
          id,
          name: device.name,
          subtitle: device.board ?? device.hostname,
          reportId: latest.stored.id,
          deviceId: device.id,
          createdAt: latest.stored.createdAt,
          metrics: latest.report.metrics,
          verdict: this.verdictFor(latest.verdicts, latest.report, profile),
          subject: { kind: 'report', ref: id, label: device.name, metrics: latest.report.metrics, report: latest.report },
        };
      }
    }
    if (tryReport && /^[0-9a-f-]{36}$/i.test(bare)) {
      const loaded = await this.report(bare);
      if (loaded) {
        const device = await this.store.getDevice(loaded.stored.deviceId);
        return {
          kind: 'report',
          id,
          name: device?.name ?? deviceName(loaded.report),
          subtitle: `report of ${loaded.stored.createdAt.slice(0, 16).replace('T', ' ')} UTC`,
          reportId: loaded.stored.id,
          deviceId: loaded.stored.deviceId,
          createdAt: loaded.stored.createdAt,
          metrics: loaded.report.metrics,
          verdict: this.verdictFor(loaded.verdicts, loaded.report, profile),
          subject: { kind: 'report', ref: id, label: device?.name ?? deviceName(loaded.report), metrics: loaded.report.metrics, report: loaded.report },
        };
      }
    }
    if (tryHardware) {
      const entry = findHardware(bare);
      if (entry) {
        return {
          kind: 'hardware',
          id,
          name: entry.name,
          subtitle: 'reference spec sheet',
          reportId: null,
          deviceId: null,
          createdAt: null,
          metrics: entry.metrics,
          verdict: profile ? judgeHardware(entry.id, profile) : null,
          subject: { kind: 'hardware', ref: id, label: entry.name, metrics: entry.metrics, hardwareId: entry.id },
        };
      }
    }
    return null;
  }

  private verdictFor(verdicts: VerdictView[], report: Report, profile: string | null): VerdictView | null {
    if (!profile) return null;
    return verdicts.find((v) => v.profile === profile) ?? judgeReport(report, profile);
  }

  async compare(ids: string[], profileId: string | null): Promise<Comparison> {
    const profiles = this.profiles();
    if (ids.length === 0)
      throw new HttpError(400, 'bad_request', 'nothing to compare: pass ?ids= with device ids, report ids or hardware ids, comma-separated');
    if (ids.length > MAX_COMPARE) throw new HttpError(400, 'bad_request', `at most ${MAX_COMPARE} entries can be compared at once (got ${ids.length})`);
    let profile: ProfileView | null = null;
    if (profileId) {
      profile = profiles.find((p) => p.id === profileId) ?? null;
      if (!profile) throw new HttpError(404, 'not_found', `no profile "${profileId}" (known: ${profiles.map((p) => p.id).join(', ') || 'none'})`);
    } else {
      const fallback = defaultProfile();
      profile = profiles.find((p) => p.id === fallback) ?? profiles[0] ?? null;
    }
    const entries: CompareEntry[] = [];
    const missing: string[] = [];
    for (const id of ids) {
      const entry = await this.resolve(id, profile?.id ?? null);
      if (entry) entries.push(entry);
      else missing.push(id);
    }
    if (missing.length > 0) throw new HttpError(404, 'not_found', `nothing to compare with these ids: ${missing.join(', ')}`, { missing });
    const metricIds = orderMetricIds(entries.flatMap((e) => Object.keys(e.metrics)));
    const metrics = metricIds.map((metric) => {
      const values = entries.map((e) => e.metrics[metric] ?? null);
      return { metric, values, differs: valuesDiffer(values) };
    });
    const sections = profile
      ? compareSections(
          entries.map((e) => e.subject),
          profile.id,
        )
      : [];
    return { profile, profiles, entries, sections, metrics };
  }
}
