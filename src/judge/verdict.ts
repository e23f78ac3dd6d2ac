// The judge: a report (or a spec sheet) and a profile in, a verdict out. Pure: no I/O besides reading
// the shipped profile and hardware files through src/judge/profiles.ts and src/judge/spec-sheets.ts.
//
// API (stable; the dashboard, `edgeprobe ssh`, `check`, `compare` and `run` call it):
//
//   loadProfile(nameOrPath?)            src/judge/profiles.ts  built-in name ("django-channels", the default) or a
//                                                         path; merges `extends`; ConfigError (exit 2) naming
//                                                         file and key when anything is wrong
//   parseAllowances(["id=reason"], p)   src/judge/profiles.ts  --allow values -> Map; ConfigError without a reason
//   loadHardware(id) / listHardware()   src/judge/spec-sheets.ts  spec sheets; specSheetMetrics(entry) is the partial
//                                                         metrics map a spec sheet states
//   judge(source, profile, {allow})     here             source: a Report, a HardwareEntry or a JudgeSubject
//                                                         -> Verdict (below), capacity estimate included
//   verdictExitCode(verdict, strict)    exit-codes.ts    0 viable (and viable-with-warnings unless strict),
//                                                         1 not viable, 3 unknown or incomplete
//   worstExitCode(codes)                exit-codes.ts    several verdicts -> one exit code (1 > 3 > 0)
//
// Verdict rules (docs/architecture.md, "Verdicts"): a check is pass, warn, fail or unknown; a null or
// missing metric is unknown, never pass. Overall: any fail -> not-viable; else an unknown on a check
// that has a fail threshold -> unknown; else any warn -> viable-with-warnings; else viable. A check
// allowed with --allow keeps its status for the record but no longer counts. A spec-sheet verdict
// judges only the checks whose metric a spec sheet states and lists the others as not judged.
import { formatMetric } from '../report/display.js';
import { loadSuspectReason, suspectNotes } from './load-suspect.js';
import { findHardware, isHardwareMetric, specSheetMemoryNote, specSheetMetrics, type HardwareEntry } from './spec-sheets.js';
import { compareVersions, type Profile, type ProfileCheck, type ScalarThreshold, type Threshold } from './profiles.js';
import { estimateCapacity, type CapacityEstimate } from './capacity.js';
import { REPORT_SCHEMA, unmeasuredReason, type MetricValue, type Metrics, type Report } from '../report/types.js';
import { platformGate } from './platform.js';
import { resolveDated } from './dated-facts.js';
import { countUnknownWarnLevel, summarise, verdictHeadline } from './headline.js';

export const VERDICT_SCHEMA = 'edgeprobe.verdict/v1';

export type { CapacityEstimate, CapacityLine } from './capacity.js';
export { estimateCapacity } from './capacity.js';

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'unknown';
export type OverallVerdict = 'viable' | 'viable-with-warnings' | 'not-viable' | 'unknown';
export type VerdictBasis = 'report' | 'spec-sheet';

export interface CheckResult {
  id: string;
  title: string;
  metric: string;
  operator: ProfileCheck['operator'];
  /** What passes and what fails, for people: ">= 850 MiB (else warn); >= 320 MiB (else fail)". */
  expected: string;
  thresholds: { warn?: Threshold; fail?: Threshold };
  actual: MetricValue;
  status: CheckStatus;
  /** One line: the check, the value found, and what it was held against. */
  message: string;
  /** Why the check matters (from the profile). */
  why: string;
  advice: string;
  sources: string[];
  /** Could this check fail at all (has a fail threshold)? An unknown only matters then. */
  canFail: boolean;
  /** A spec sheet can state this metric. */
  hardware: boolean;
  /** Why the value is unknown. */
  unknownReason?: string;
  /** Overridden with --allow: the reason given. The check then no longer counts. */
  allowed?: string;
  /** The figure was measured under load in a run where the board throttled or was under-volted. */
  suspect?: string;
}

export interface NotJudged {
  id: string;
  title: string;
  metric: string;
  reason: string;
}

export interface Verdict {
  schema: typeof VERDICT_SCHEMA;
  profile: { name: string; title: string; file: string; chain: string[] };
  basis: VerdictBasis;
  subject: { id: string; label: string };
  verdict: OverallVerdict;
  /** The verdict with its unknowns, for people: "viable, 4 checks unknown" (src/judge/headline.ts). */
  headline: string;
  summary: string;
  /** unknown counts every unknown check that counts; unknownWarnLevel those of them that could only warn. */
  counts: { pass: number; warn: number; fail: number; unknown: number; unknownWarnLevel: number; allowed: number; notJudged: number };
  checks: CheckResult[];
  notJudged: NotJudged[];
  capacity: CapacityEstimate;
  /** Probes that failed: the report is incomplete (exit code 3 unless something failed already). */
  incomplete: string[];
  notes: string[];
}

/** What the judge needs from a report or a spec sheet. */
export interface JudgeSubject {
  basis: VerdictBasis;
  id: string;
  label: string;
  metrics: Metrics;
  /** Spec sheets: the metrics stated; checks on others are not judged. Reports: undefined (all judged). */
  stated?: readonly string[];
  unmeasured(metric: string): string | null;
  /** Why a load figure of this subject cannot be trusted (the board throttled during the run), or null. */
  suspect?(metric: string): string | null;
  incomplete: string[];
  notes: string[];
  /** When it was measured (ISO); dated thresholds are resolved on this day. Spec sheets: judged today. */
  date?: string;
}

export interface JudgeOptions {
  /** Check id -> reason, from --allow. */
  allow?: ReadonlyMap<string, string> | Readonly<Record<string, string>>;
}

export function subjectFromReport(report: Report): JudgeSubject {
  const host = report.host.label ? `${report.host.label} (${report.host.hostname})` : report.host.hostname;
  return {
    basis: 'report',
    id: report.id,
    label: host,
    metrics: report.metrics,
    unmeasured: (metric) => unmeasuredReason(report, metric),
    suspect: (metric) => loadSuspectReason(report, metric),
    incomplete: report.probes.filter((p) => p.status === 'error').map((p) => `probe "${p.id}" failed: ${p.error?.message ?? 'unknown error'}`),
    notes: suspectNotes(report),
    date: report.createdAt,
  };
}

export function subjectFromHardware(entry: HardwareEntry): JudgeSubject {
  const metrics = specSheetMetrics(entry);
  return {
    basis: 'spec-sheet',
    id: entry.id,
    label: entry.name,
    metrics,
    stated: Object.keys(metrics),
    unmeasured: () => 'not on the spec sheet',
    incomplete: [],
    notes: [specSheetMemoryNote(entry), ...entry.notes],
  };
}

function isReport(value: unknown): value is Report {
  return typeof value === 'object' && value !== null && (value as { schema?: unknown }).schema === REPORT_SCHEMA;
}

function isHardwareEntry(value: unknown): value is HardwareEntry {
  return typeof value === 'object' && value !== null && 'soc' in value && 'ramBytes' in value;
}

// ---------------------------------------------------------------------------------------------------
// One check.

function show(metric: string, value: ScalarThreshold | MetricValue): string {
  if (value === null) return 'unknown';
  return formatMetric(metric, value);
}

function showThreshold(metric: string, threshold: Threshold): string {
  return Array.isArray(threshold) ? threshold.map((t) => show(metric, t)).join(', ') : show(metric, threshold);
}

const NEGATION: Record<ProfileCheck['operator'], string> = { '>=': '<', '<=': '>', '==': 'expected', in: 'not one of', 'version>=': 'older than' };
const PHRASE: Record<ProfileCheck['operator'], string> = { '>=': '>=', '<=': '<=', '==': '==', in: 'one of', 'version>=': 'version >=' };

export function describeExpected(check: Pick<ProfileCheck, 'metric' | 'operator' | 'warn' | 'fail'>): string {
  const parts: string[] = [];
  const { metric, operator } = check;
  if (check.warn !== undefined) parts.push(`${PHRASE[operator]} ${showThreshold(metric, check.warn)} (else warn)`);
  if (check.fail !== undefined) parts.push(`${PHRASE[operator]} ${showThreshold(metric, check.fail)} (else fail)`);
  return parts.join('; ');
}

/** Does `actual OP threshold` hold? Null when the value cannot be compared (wrong type, not a version). */
export function satisfies(actual: Exclude<MetricValue, null>, operator: ProfileCheck['operator'], threshold: Threshold): boolean | null {
  switch (operator) {
    case '>=': return typeof actual === 'number' && typeof threshold === 'number' ? actual >= threshold : null;
    case '<=': return typeof actual === 'number' && typeof threshold === 'number' ? actual <= threshold : null;
    case '==': return typeof actual === typeof threshold ? actual === threshold : null;
    case 'in': return Array.isArray(threshold) ? threshold.includes(actual) : null;
    case 'version>=': {
      if (typeof actual !== 'string' || typeof threshold !== 'string') return null;
      const order = compareVersions(actual, threshold);
      return order === null ? null : order >= 0;
    }
  }
}

export function evaluateCheck(check: ProfileCheck, subject: JudgeSubject, allowReason?: string): CheckResult {
  const raw = subject.metrics[check.metric];
  const actual: MetricValue = raw === undefined ? null : raw;
  const thresholds: CheckResult['thresholds'] = {};
  if (check.warn !== undefined) thresholds.warn = check.warn;
  if (check.fail !== undefined) thresholds.fail = check.fail;
  const result: CheckResult = {
    id: check.id, title: check.title, metric: check.metric, operator: check.operator,
    expected: describeExpected(check), thresholds, actual, status: 'unknown', message: '',
    why: check.message, advice: check.advice, sources: check.sources,
    canFail: check.fail !== undefined, hardware: isHardwareMetric(check.metric),
  };
  if (allowReason !== undefined) result.allowed = allowReason;
  if (actual === null) {
    result.unknownReason = raw === undefined ? (subject.unmeasured(check.metric) ?? 'not in the report') : (subject.unmeasured(check.metric) ?? 'could not be measured');
    result.message = `${check.title}: unknown (${result.unknownReason})`;
    return result;
  }
  const failOk = check.fail === undefined ? true : satisfies(actual, check.operator, check.fail);
  const warnOk = check.warn === undefined ? true : satisfies(actual, check.operator, check.warn);
  if (failOk === null || warnOk === null) {
    result.unknownReason = `${JSON.stringify(actual)} cannot be compared with "${check.operator}"`;
    result.message = `${check.title}: unknown (${result.unknownReason})`;
    return result;
  }
  const shown = show(check.metric, actual);
  const suspect = subject.suspect?.(check.metric) ?? null;
  if (suspect !== null) result.suspect = suspect;
  const flag = suspect === null ? '' : ' (suspect: measured while the board throttled or was under-volted)';
  if (!failOk) {
    result.status = 'fail';
    result.message = `${check.title}: ${shown}, ${NEGATION[check.operator]} ${showThreshold(check.metric, check.fail as Threshold)}${flag}`;
  } else if (!warnOk) {
    result.status = 'warn';
    result.message = `${check.title}: ${shown}, ${NEGATION[check.operator]} ${showThreshold(check.metric, check.warn as Threshold)}${flag}`;
  } else {
    result.status = 'pass';
    const threshold = check.warn ?? check.fail;
    result.message = `${check.title}: ${shown}, ${PHRASE[check.operator]} ${showThreshold(check.metric, threshold as Threshold)}${flag}`;
  }
  return result;
}

/** A check whose dated thresholds are resolved on `date` first (src/judge/dated-facts.ts). */
function evaluateOnDate(check: ProfileCheck, subject: JudgeSubject, allowReason: string | undefined, date: string): CheckResult {
  const { check: concrete, note, unresolved } = resolveDated(check, date);
  const result = evaluateCheck(concrete, subject, allowReason);
  if (unresolved !== null) {
    result.status = 'unknown';
    result.canFail = true;
    result.unknownReason = unresolved;
    result.message = `${check.title}: unknown (${unresolved})`;
  } else if (note !== null && result.status !== 'unknown') {
    // Say what the value was held against, and how old the table is; an unknown value was held against nothing.
    result.message = `${result.message} (${note})`;
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------
// The whole verdict.

function allowMap(allow: JudgeOptions['allow']): ReadonlyMap<string, string> {
  if (!allow) return new Map();
  return allow instanceof Map ? allow : new Map(Object.entries(allow));
}

export function overallOf(checks: readonly CheckResult[]): OverallVerdict {
  const counted = checks.filter((c) => c.allowed === undefined);
  if (counted.some((c) => c.status === 'fail')) return 'not-viable';
  if (counted.some((c) => c.status === 'unknown' && c.canFail)) return 'unknown';
  if (counted.some((c) => c.status === 'warn')) return 'viable-with-warnings';
  return 'viable';
}

export function judge(source: Report | HardwareEntry | JudgeSubject, profile: Profile, options: JudgeOptions = {}): Verdict {
  const subject = isReport(source) ? subjectFromReport(source) : isHardwareEntry(source) ? subjectFromHardware(source) : source;
  const allow = allowMap(options.allow);
  const date = subject.date ?? new Date().toISOString();
  // The platform gate comes first and is never allowed (src/judge/platform.ts).
  const checks: CheckResult[] = [platformGate(subject)];
  const notJudged: NotJudged[] = [];
  for (const check of profile.checks) {
    if (subject.stated && !subject.stated.includes(check.metric)) {
      notJudged.push({ id: check.id, title: check.title, metric: check.metric, reason: 'a spec sheet cannot state it: measure the device with `edgeprobe run`' });
      continue;
    }
    checks.push(evaluateOnDate(check, subject, allow.get(check.id), date));
  }
  const verdict = overallOf(checks);
  const counts = { pass: 0, warn: 0, fail: 0, unknown: 0, unknownWarnLevel: countUnknownWarnLevel(checks), allowed: 0, notJudged: notJudged.length };
  for (const c of checks) {
    if (c.allowed !== undefined) counts.allowed++;
    else counts[c.status]++;
  }
  const capacity = estimateCapacity(subject, profile.capacity, { notViable: verdict === 'not-viable' });
  return {
    schema: VERDICT_SCHEMA,
    profile: { name: profile.name, title: profile.title, file: profile.file, chain: profile.chain },
    basis: subject.basis,
    subject: { id: subject.id, label: subject.label },
    verdict,
    headline: verdictHeadline(verdict, counts),
    summary: summarise(verdict, subject, counts, checks),
    counts,
    checks,
    notJudged,
    capacity,
    incomplete: subject.incomplete,
    notes: subject.notes,
  };
}
