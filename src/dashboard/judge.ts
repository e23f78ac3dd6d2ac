// The dashboard's one door to judging: verdicts for a report or a spec sheet, the profiles that can be
// chosen, the hardware catalogue, and the judged sections of a comparison. Everything the dashboard
// shows about verdicts comes through here.
import type { MetricValue, Metrics, Report } from '../report.js';

export type VerdictStatus = 'viable' | 'viable-with-warnings' | 'not-viable' | 'unknown';
export type CheckStatus = 'pass' | 'warn' | 'fail' | 'unknown';

export interface CheckView {
  id: string;
  title: string;
  metric: string;
  /** What passes and what fails, for people. */
  expected: string;
  actual: MetricValue;
  status: CheckStatus;
  message: string;
  why: string;
  advice: string;
}

export interface VerdictView {
  profile: string;
  title: string;
  verdict: VerdictStatus;
  summary: string;
  checks: CheckView[];
  capacity: Record<string, unknown> | null;
}

export interface ProfileView {
  id: string;
  title: string;
  description: string;
}

export interface HardwareView {
  id: string;
  name: string;
  description: string;
  metrics: Metrics;
  source: string | null;
}

/** One side of a comparison: a report (a device's latest, or a chosen one) or a spec sheet. */
export interface CompareSubjectInput {
  kind: 'report' | 'hardware';
  ref: string;
  label: string;
  metrics: Metrics;
  report?: Report;
  hardwareId?: string;
}

export interface CompareSectionRow {
  key: string;
  label: string;
  cells: string[];
  values: (MetricValue | undefined)[];
  differs: boolean;
}

export interface CompareSection {
  title: string;
  rows: CompareSectionRow[];
}

export function listProfiles(): ProfileView[] {
  return [];
}

export function defaultProfile(): string | null {
  return listProfiles()[0]?.id ?? null;
}

export function listHardware(): HardwareView[] {
  return [];
}

export function findHardware(id: string): HardwareView | null {
  return listHardware().find((entry) => entry.id === id) ?? null;
}

/** A report's verdict for one profile; null for an unknown profile. */
export function judgeReport(report: Report, profileId: string): VerdictView | null {
  void report;
  void profileId;
  return null;
}

/** A spec sheet's verdict for one profile; null for an unknown profile or hardware id. */
export function judgeHardware(hardwareId: string, profileId: string): VerdictView | null {
  void hardwareId;
  void profileId;
  return null;
}

/** A report's verdicts for every profile, in the profiles' order. */
export function judgeAll(report: Report): VerdictView[] {
  return listProfiles().flatMap((profile) => {
    const verdict = judgeReport(report, profile.id);
    return verdict ? [verdict] : [];
  });
}

/** The judged sections of a comparison under one profile (verdict, checks, capacity ...). */
export function compareSections(subjects: readonly CompareSubjectInput[], profileId: string): CompareSection[] {
  void subjects;
  void profileId;
  return [];
}
