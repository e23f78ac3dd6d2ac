// The dashboard's one door to judging: verdicts for a report, the profiles that can be chosen and the
// hardware catalogue's spec sheets. Everything the dashboard shows about verdicts comes through here.
import type { Metrics, Report } from '../report.js';

export type VerdictStatus = 'viable' | 'viable-with-warnings' | 'not-viable' | 'unknown';
export type CheckStatus = 'pass' | 'warn' | 'fail' | 'unknown';

export interface CheckView {
  id: string;
  metric: string;
  operator: string;
  expected: unknown;
  actual: unknown;
  status: CheckStatus;
  message: string;
  advice: string | null;
}

export interface VerdictView {
  profile: string;
  title: string;
  verdict: VerdictStatus;
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

export function listProfiles(): ProfileView[] {
  return [];
}

export function listHardware(): HardwareView[] {
  return [];
}

export function findHardware(id: string): HardwareView | null {
  return listHardware().find((entry) => entry.id === id) ?? null;
}

/** Judges a set of metrics (a report's or a spec sheet's) against one profile; null for an unknown profile. */
export function judgeMetrics(metrics: Metrics, profileId: string, report?: Report): VerdictView | null {
  void metrics;
  void report;
  void profileId;
  return null;
}

/** Verdicts for every profile, in the profiles' order. */
export function judgeAll(metrics: Metrics, report?: Report): VerdictView[] {
  return listProfiles().flatMap((profile) => {
    const verdict = judgeMetrics(metrics, profile.id, report);
    return verdict ? [verdict] : [];
  });
}
