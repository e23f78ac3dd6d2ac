// The dashboard's one door to judging: verdicts for a report or a spec sheet (src/judge/verdict.ts), the
// profiles that can be chosen (src/judge/profiles.ts, targets/profiles/), the hardware spec sheets
// (src/judge/spec-sheets.ts, targets/hardware/) and the judged sections of a comparison (src/judge/compare.ts).
// Everything the dashboard shows about verdicts comes through here.
import { type CompareSubject, compareSubjects, type CompareSection as JudgedSection } from '../judge/compare.js';
import { DEFAULT_PROFILE, loadAllProfiles, type Profile } from '../judge/profiles.js';
import { findHardware as findEntry, type HardwareEntry, listHardware as listEntries, specSheetMetrics } from '../judge/spec-sheets.js';
import { type CheckResult, judge, type Verdict } from '../judge/verdict.js';
import type { Metrics, Report } from '../report/types.js';

export type VerdictStatus = Verdict['verdict'];
export type CheckStatus = CheckResult['status'];
export type CheckView = CheckResult;

/** A verdict as the judge gives it, with the profile named by id (and title) for lists and links. */
export type VerdictView = Omit<Verdict, 'profile'> & { profile: string; title: string };

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

export interface CompareSubjectInput {
  kind: 'report' | 'hardware';
  ref: string;
  label: string;
  metrics: Metrics;
  report?: Report;
  hardwareId?: string;
}

export type CompareSection = JudgedSection;
export type CompareSectionRow = JudgedSection['rows'][number];

let profiles: Profile[] | null = null;

/** The built-in profiles, loaded (and validated) once: a broken profile stops `serve` at start-up. */
function allProfiles(): Profile[] {
  profiles ??= loadAllProfiles();
  return profiles;
}

function profileNamed(id: string): Profile | null {
  return allProfiles().find((p) => p.name === id) ?? null;
}

function view(verdict: Verdict): VerdictView {
  const { profile, ...rest } = verdict;
  return { ...rest, profile: profile.name, title: profile.title };
}

export function listProfiles(): ProfileView[] {
  return allProfiles().map((p) => ({ id: p.name, title: p.title, description: p.description }));
}

export function defaultProfile(): string | null {
  return profileNamed(DEFAULT_PROFILE) ? DEFAULT_PROFILE : (listProfiles()[0]?.id ?? null);
}

function hardwareView(entry: HardwareEntry): HardwareView {
  const ram =
    entry.ramBytes >= 1024 ** 3
      ? `${entry.ramBytes / 1024 ** 3} GiB`
      : entry.ramBytes >= 1024 ** 2
        ? `${entry.ramBytes / 1024 ** 2} MiB`
        : `${Math.round(entry.ramBytes / 1024)} KiB`;
  return {
    id: entry.id,
    name: entry.name,
    metrics: specSheetMetrics(entry),
    source: entry.sources[0] ?? null,
    description: `${entry.soc}: ${entry.cpu.cores} × ${entry.cpu.model} at ${entry.cpu.maxMhz} MHz, ${ram}`,
  };
}

export function listHardware(): HardwareView[] {
  return listEntries().map(hardwareView);
}

export function findHardware(id: string): HardwareView | null {
  const entry = findEntry(id);
  return entry ? hardwareView(entry) : null;
}

export function judgeReport(report: Report, profileId: string): VerdictView | null {
  const profile = profileNamed(profileId);
  return profile ? view(judge(report, profile)) : null;
}

export function judgeHardware(hardwareId: string, profileId: string): VerdictView | null {
  const profile = profileNamed(profileId);
  const entry = findEntry(hardwareId);
  return profile && entry ? view(judge(entry, profile)) : null;
}

export function judgeAll(report: Report): VerdictView[] {
  return allProfiles().map((profile) => view(judge(report, profile)));
}

export function compareSections(subjects: readonly CompareSubjectInput[], profileId: string): CompareSection[] {
  const profile = profileNamed(profileId);
  if (!profile) return [];
  const judged: CompareSubject[] = subjects.flatMap((s): CompareSubject[] => {
    if (s.kind === 'hardware') {
      const entry = s.hardwareId ? findEntry(s.hardwareId) : undefined;
      return entry ? [{ kind: 'hardware', ref: s.ref, label: s.label, metrics: s.metrics, hardware: entry }] : [];
    }
    return s.report ? [{ kind: 'report', ref: s.ref, label: s.label, metrics: s.metrics, report: s.report }] : [];
  });
  return compareSubjects(judged, profile).sections;
}
