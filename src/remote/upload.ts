// The upload client: sends reports to a dashboard (POST /api/v1/reports) with undici, with timeouts and
// retries with backoff. A report the dashboard cannot take now (unreachable, 5xx, a token problem) is
// spooled to a local directory, written atomically, and sent by the next upload or `upload --flush`.
// The dashboard is idempotent on the report id, so a report sent twice (a crash between its answer and
// the spool file's removal) is still stored once: nothing is lost, nothing is stored twice.
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../platform/errors.js';
import { writeFileAtomic } from '../platform/fs-atomic.js';
import type { Report } from '../report/types.js';

export const SPOOL_SCHEMA = 'edgeprobe.spool/v1';

export interface DashboardEndpoint {
  /** The dashboard's base URL, e.g. http://dashboard:8080 */
  url: string;
  token: string;
}

export interface UploadOptions {
  /** Per attempt: connecting, waiting for the answer's headers, reading its body. */
  timeoutMs: number;
  /** Further attempts after the first, for network errors, 408, 429 and 5xx. */
  retries: number;
  /** First backoff delay; it doubles each time (with jitter), capped at 30 s. */
  backoffMs: number;
  /** PEM certificates of the CA(s) that sign the dashboard's certificate (--ca): trusted instead of the system's. */
  ca?: string;
  log?: (line: string) => void;
}

export const DEFAULT_UPLOAD_OPTIONS: UploadOptions = { timeoutMs: 15_000, retries: 3, backoffMs: 500 };

export interface VerdictBrief {
  profile: string;
  verdict: string;
}

export type UploadOutcome =
  /** Stored now (created) or already stored earlier (duplicate). */
  | { kind: 'delivered'; id: string; created: boolean; deviceId: string | null; deviceName: string | null; verdicts: VerdictBrief[] }
  /** The dashboard will never take this report as it is (400, 409, 413, 415): spooling would not help. */
  | { kind: 'rejected'; id: string; status: number; error: string; message: string }
  /** The dashboard refused the token (401, 403): kept for a later attempt with a working token. */
  | { kind: 'unauthorized'; id: string; status: number; message: string }
  /** Unreachable, timed out or failing (5xx) after every retry. */
  | { kind: 'unreachable'; id: string; message: string };

export class UploadUsageError extends Error {}

/** Checks and normalises a dashboard URL (http or https, no query). */
export function dashboardUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UploadUsageError(`"${value}" is not a URL (expected e.g. http://dashboard.local:8080)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UploadUsageError(`"${value}": only http:// and https:// dashboards are supported`);
  if (url.username || url.password) throw new UploadUsageError(`"${value}": put the token in --token, not in the URL`);
  url.search = '';
  url.hash = '';
  return url.toString().replace(/\/+$/, '');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function backoff(attempt: number, base: number, retryAfter: string | undefined): number {
  const seconds = retryAfter !== undefined && /^\d+$/.test(retryAfter) ? Number(retryAfter) : null;
  if (seconds !== null) return Math.min(seconds * 1000, 30_000);
  const exp = Math.min(base * 2 ** attempt, 30_000);
  return exp / 2 + Math.random() * (exp / 2);
}

interface ApiAnswer {
  error?: unknown;
  message?: unknown;
  status?: unknown;
  device?: { id?: unknown; name?: unknown };
  verdicts?: unknown;
}

function verdictBriefs(value: unknown): VerdictBrief[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((v: unknown) => {
    if (v && typeof v === 'object' && typeof (v as Record<string, unknown>)['profile'] === 'string' && typeof (v as Record<string, unknown>)['verdict'] === 'string') {
      return [{ profile: (v as Record<string, string>)['profile'] ?? '', verdict: (v as Record<string, string>)['verdict'] ?? '' }];
    }
    return [];
  });
}

/** TLS verification failures (Node's and OpenSSL's codes). */
export const CERTIFICATE_ERRORS = [
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_UNTRUSTED', 'CERT_REJECTED', 'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID', 'HOSTNAME_MISMATCH',
];

/** The error code of a failed request, looking inside fetch's wrapper (`cause`) too. */
function networkErrorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR_SOCKET') return code;
  }
  return undefined;
}

function networkProblem(endpoint: string, err: unknown): { problem: string; final: boolean } {
  const code = networkErrorCode(err);
  if (code !== undefined && CERTIFICATE_ERRORS.includes(code)) {
    return { problem: `${endpoint}: the dashboard's certificate is not trusted (${code}); for a private CA pass --ca FILE`, final: true };
  }
  return { problem: `${endpoint} unreachable (${code ?? (err as Error).message})`, final: false };
}

/** POSTs one report (its JSON text) and retries what may succeed later. Never throws for network trouble. */
export async function postReport(target: DashboardEndpoint, id: string, body: string, options: UploadOptions = DEFAULT_UPLOAD_OPTIONS): Promise<UploadOutcome> {
  const endpoint = `${target.url}/api/v1/reports`;
  // undici is a large package: loaded by the runs that upload, not by every command that can.
  const { Agent, request } = await import('undici');
  const dispatcher = new Agent({ connect: { timeout: options.timeoutMs, ...(options.ca ? { ca: options.ca } : {}) }, headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs });
  let lastProblem = 'no attempt made';
  try {
    for (let attempt = 0; attempt <= options.retries; attempt++) {
      if (attempt > 0) {
        const delay = backoff(attempt - 1, options.backoffMs, undefined);
        options.log?.(`upload ${id}: ${lastProblem}; retrying in ${(delay / 1000).toFixed(1)} s (attempt ${attempt + 1} of ${options.retries + 1})`);
        await sleep(delay);
      }
      let status: number;
      let text: string;
      let retryAfter: string | undefined;
      try {
        const response = await request(endpoint, {
          method: 'POST', dispatcher,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${target.token}`, 'user-agent': 'edgeprobe-upload' },
          body,
          signal: AbortSignal.timeout(options.timeoutMs * 2),
        });
        status = response.statusCode;
        const header = response.headers['retry-after'];
        retryAfter = Array.isArray(header) ? header[0] : header;
        text = await response.body.text();
      } catch (err) {
        const failed = networkProblem(endpoint, err);
        lastProblem = failed.problem;
        // Retrying cannot make a certificate trusted: keep the report for when it is.
        if (failed.final) break;
        continue;
      }
      let answer: ApiAnswer = {};
      try {
        answer = JSON.parse(text) as ApiAnswer;
      } catch {
        // not JSON: a proxy's error page, say
      }
      const message = typeof answer.message === 'string' ? answer.message : text.slice(0, 300);
      if (status === 200 || status === 201) {
        return {
          kind: 'delivered', id, created: status === 201,
          deviceId: typeof answer.device?.id === 'string' ? answer.device.id : null,
          deviceName: typeof answer.device?.name === 'string' ? answer.device.name : null,
          verdicts: verdictBriefs(answer.verdicts),
        };
      }
      if (status === 401 || status === 403) return { kind: 'unauthorized', id, status, message };
      // Full (--max-devices, --max-db-size): it stays full until someone makes room, so keep the report for then.
      if (status === 507) return { kind: 'unreachable', id, message: `the dashboard is full (507): ${message}` };
      if (status === 408 || status === 429 || status >= 500) {
        lastProblem = `the dashboard answered ${status}${message ? ` (${message})` : ''}`;
        if (retryAfter !== undefined && attempt < options.retries) {
          const delay = backoff(attempt, options.backoffMs, retryAfter);
          if (delay > 0) await sleep(delay);
        }
        continue;
      }
      return { kind: 'rejected', id, status, error: typeof answer.error === 'string' ? answer.error : `http_${status}`, message };
    }
    return { kind: 'unreachable', id, message: lastProblem };
  } finally {
    await dispatcher.close().catch(() => undefined);
  }
}

// ---------- the spool ----------

export interface SpoolEntry {
  schema: typeof SPOOL_SCHEMA;
  /** The dashboard it was meant for. The token is never written to disk. */
  to: string;
  spooledAt: string;
  lastError: string;
  report: Report;
}

/** $EDGEPROBE_SPOOL, else $XDG_STATE_HOME/edgeprobe/spool, else ~/.local/state/edgeprobe/spool. */
export function defaultSpoolDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env['EDGEPROBE_SPOOL']) return env['EDGEPROBE_SPOOL'];
  const state = env['XDG_STATE_HOME'] || join(homedir(), '.local', 'state');
  return join(state, 'edgeprobe', 'spool');
}

const SPOOL_NAME = /^[0-9a-f-]{36}\.json$/;

/** Writes (atomically) one report to the spool; the same report spooled twice is one file. */
export function spoolReport(dir: string, to: string, report: Report, lastError: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const entry: SpoolEntry = { schema: SPOOL_SCHEMA, to, spooledAt: new Date().toISOString(), lastError, report };
  const path = join(dir, `${report.id.toLowerCase()}.json`);
  writeFileAtomic(path, `${JSON.stringify(entry)}\n`);
  return path;
}

export interface SpooledFile {
  path: string;
  entry: SpoolEntry | null;
  /** Why the file cannot be read as a spool entry. */
  problem: string | null;
}

/** The spooled reports, oldest first. */
export function listSpool(dir: string): SpooledFile[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => SPOOL_NAME.test(name));
  } catch {
    return [];
  }
  const files = names.map((name): SpooledFile => {
    const path = join(dir, name);
    try {
      const entry = JSON.parse(readFileSync(path, 'utf8')) as SpoolEntry;
      if (entry.schema !== SPOOL_SCHEMA || typeof entry.to !== 'string' || !entry.report || typeof entry.report.id !== 'string') {
        return { path, entry: null, problem: 'not an edgeprobe spool entry' };
      }
      return { path, entry, problem: null };
    } catch (err) {
      return { path, entry: null, problem: (err as Error).message };
    }
  });
  return files.sort((a, b) => (a.entry?.spooledAt ?? '').localeCompare(b.entry?.spooledAt ?? ''));
}

/** Moves a spool file the dashboard will never accept aside (spool/rejected/), with the reason; never deletes it. */
function setAside(dir: string, file: SpooledFile, reason: string): string {
  const rejected = join(dir, 'rejected');
  mkdirSync(rejected, { recursive: true, mode: 0o700 });
  const base = file.path.slice(file.path.lastIndexOf('/') + 1);
  const target = join(rejected, base);
  renameSync(file.path, target);
  writeFileAtomic(`${target}.reason`, `${reason}\n`);
  return target;
}

export interface FlushResult {
  delivered: UploadOutcome[];
  rejected: { id: string; message: string; movedTo: string }[];
  /** Entries left in the spool (the dashboard is unreachable or refused the token). */
  remaining: number;
  stoppedBecause: string | null;
}

/**
 * Sends spooled reports, oldest first. With `only`, just the entries meant for that dashboard URL; with
 * `redirect`, every entry goes to that URL instead of the one it was spooled for. Stops at the first
 * unreachable dashboard or refused token, leaving the rest in place.
 */
export async function flushSpool(dir: string, token: string, options: UploadOptions, select: { only?: string; redirect?: string } = {}): Promise<FlushResult> {
  const result: FlushResult = { delivered: [], rejected: [], remaining: 0, stoppedBecause: null };
  const files = listSpool(dir);
  for (const file of files) {
    if (result.stoppedBecause) {
      result.remaining++;
      continue;
    }
    if (!file.entry) {
      const movedTo = setAside(dir, file, `unreadable spool file: ${file.problem ?? 'unknown problem'}`);
      result.rejected.push({ id: file.path, message: file.problem ?? 'unreadable', movedTo });
      continue;
    }
    const to = select.redirect ?? file.entry.to;
    if (select.only !== undefined && file.entry.to !== select.only) {
      result.remaining++;
      continue;
    }
    const outcome = await postReport({ url: to, token }, file.entry.report.id, JSON.stringify(file.entry.report), options);
    if (outcome.kind === 'delivered') {
      rmSync(file.path, { force: true });
      result.delivered.push(outcome);
    } else if (outcome.kind === 'rejected') {
      const movedTo = setAside(dir, file, `${outcome.status} ${outcome.error}: ${outcome.message}`);
      result.rejected.push({ id: outcome.id, message: `${outcome.status} ${outcome.message}`, movedTo });
    } else {
      result.remaining++;
      result.stoppedBecause = outcome.kind === 'unauthorized' ? `${outcome.status}: ${outcome.message}` : outcome.message;
    }
  }
  return result;
}

export interface SendResult {
  outcome: UploadOutcome;
  /** Set when the report went to the spool instead. */
  spooledTo: string | null;
  /** Earlier spooled reports for the same dashboard, sent after this one got through. */
  flushed: FlushResult | null;
}

/**
 * Sends a report; if the dashboard cannot take it now, spools it. After a delivery, sends whatever was
 * spooled earlier for the same dashboard.
 */
export async function sendOrSpool(target: DashboardEndpoint, report: Report, spoolDir: string, options: UploadOptions = DEFAULT_UPLOAD_OPTIONS): Promise<SendResult> {
  const outcome = await postReport(target, report.id, JSON.stringify(report), options);
  if (outcome.kind === 'unreachable' || outcome.kind === 'unauthorized') {
    const reason = outcome.kind === 'unauthorized' ? `${outcome.status}: ${outcome.message}` : outcome.message;
    return { outcome, spooledTo: spoolReport(spoolDir, target.url, report, reason), flushed: null };
  }
  if (outcome.kind === 'delivered') {
    // This report reached the dashboard: a copy spooled by an earlier failed attempt is now redundant.
    rmSync(join(spoolDir, `${report.id.toLowerCase()}.json`), { force: true });
    const pending = listSpool(spoolDir).some((f) => f.entry?.to === target.url);
    const flushed = pending ? await flushSpool(spoolDir, target.token, options, { only: target.url }) : null;
    return { outcome, spooledTo: null, flushed };
  }
  return { outcome, spooledTo: null, flushed: null };
}

// ---------- for the commands (upload, run --upload) ----------

/** --to and --token, falling back to $EDGEPROBE_DASHBOARD and $EDGEPROBE_TOKEN. */
export function dashboardEndpoint(to: string | undefined, token: string | undefined, required: { url: boolean }): { url: string | null; token: string } {
  const url = to ?? process.env['EDGEPROBE_DASHBOARD'];
  const secret = token ?? process.env['EDGEPROBE_TOKEN'];
  if (required.url && !url) throw new UsageError('say where to upload: --to URL (or set EDGEPROBE_DASHBOARD)');
  if (!secret) throw new UsageError('an upload token is needed: --token T (or set EDGEPROBE_TOKEN); create one with `edgeprobe serve token create --scope upload`');
  try {
    return { url: url ? dashboardUrl(url) : null, token: secret };
  } catch (err) {
    if (err instanceof UploadUsageError) throw new UsageError(`--to ${err.message}`);
    throw err;
  }
}

export function describeOutcome(outcome: UploadOutcome): string {
  switch (outcome.kind) {
    case 'delivered': {
      const verdicts = outcome.verdicts.map((v) => `${v.profile}: ${v.verdict}`).join(', ');
      return `delivered ${outcome.id} (${outcome.created ? 'stored' : 'already stored'})${outcome.deviceName ? ` for device "${outcome.deviceName}"` : ''}${verdicts ? ` · ${verdicts}` : ''}`;
    }
    case 'rejected': return `rejected ${outcome.id}: ${outcome.status} ${outcome.error}: ${outcome.message}`;
    case 'unauthorized': return `not accepted ${outcome.id}: ${outcome.status} ${outcome.message}`;
    case 'unreachable': return `not delivered ${outcome.id}: ${outcome.message}`;
  }
}

export function describeFlush(flush: FlushResult, write: (line: string) => void): void {
  for (const outcome of flush.delivered) write(`spool: ${describeOutcome(outcome)}`);
  for (const r of flush.rejected) write(`spool: rejected ${r.id}: ${r.message}; moved to ${r.movedTo}`);
  if (flush.stoppedBecause) write(`spool: ${flush.remaining} report(s) still waiting: ${flush.stoppedBecause}`);
}

