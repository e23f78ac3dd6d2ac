// What the dashboard service hands to the HTTP layer: settings, pages, summaries and comparisons.
import type { Metrics, MetricValue, Report } from '../report/types.js';
import type { DeviceRecord, Store, StoredReport } from './store/store.js';
import type { CompareSection, CompareSubjectInput, ProfileView, VerdictView } from './verdicts.js';

export interface DashboardSettings {
  store: Store;
  /** Reports kept per device (the oldest beyond this are removed). */
  keepPerDevice: number;
  /** Largest request body accepted, in bytes. */
  maxBodyBytes: number;
  /** Reads (API GETs and pages) need no token. */
  publicRead: boolean;
  /** Devices the dashboard may hold (--max-devices); a new one beyond is refused with 507. */
  maxDevices?: number | null;
  /** Bytes the database may grow to (--max-db-size); an upload that would grow it beyond is refused with 507. */
  maxDbBytes?: number | null;
  /** Proxies whose X-Forwarded-For and X-Forwarded-Proto are believed (--trust-proxy). */
  trustedProxies?: ReadonlySet<string>;
}

export interface DevicePage {
  devices: DeviceSummary[];
  total: number;
  limit: number;
  offset: number;
  search: string | null;
}

export interface LoadedReport {
  stored: StoredReport;
  report: Report;
}

export interface VerdictSummary {
  profile: string;
  title: string;
  verdict: VerdictView['verdict'];
  /** "viable, 4 checks unknown" (src/judge/headline.ts). */
  headline: string;
}

export interface DeviceSummary extends DeviceRecord {
  verdicts: VerdictSummary[];
}

export interface IngestResult {
  status: 'created' | 'duplicate';
  id: string;
  retained: boolean;
  device: { id: string; name: string };
  verdicts: VerdictView[];
}

export interface CompareEntry {
  kind: 'device' | 'report' | 'hardware';
  /** The id as asked for. */
  id: string;
  name: string;
  subtitle: string;
  reportId: string | null;
  deviceId: string | null;
  createdAt: string | null;
  metrics: Metrics;
  verdict: VerdictView | null;
  /** For judging; left out of API answers. */
  subject: CompareSubjectInput;
}

export interface CompareRow {
  metric: string;
  values: MetricValue[];
  differs: boolean;
}

export interface Comparison {
  profile: ProfileView | null;
  profiles: ProfileView[];
  entries: CompareEntry[];
  /** Judged under the profile: verdict, key metrics, checks, capacity (empty without profiles). */
  sections: CompareSection[];
  /** Every measurement any entry has. */
  metrics: CompareRow[];
}
