// Thresholds that follow the calendar. A profile threshold may name a dated fact instead of a value,
// `"fail": { "fact": "django.oldest_supported" }`; the judge resolves it on the subject's date (a report's
// createdAt) from the one table that holds the fact (src/facts/), and the check's message says what it was
// resolved to and how old the table is. A report judged again later is judged on the day it was measured.
import { DJANGO_SUPPORT_TABLE, newestLtsSeries, oldestSupportedSeries } from '../facts/django-support.js';
import { ConfigError } from './errors.js';
import type { Operator, ProfileCheck, Threshold } from './profiles.js';

interface DatedFact {
  /** What the value is, for people: "... on 2026-11-30". */
  describe: string;
  resolve(date: string): string | null;
  /** The table behind it and the day it was last checked. */
  table: string;
  checked: string;
}

export const DATED_FACTS = {
  'django.oldest_supported': {
    describe: 'the oldest Django series with security support',
    resolve: oldestSupportedSeries,
    table: "Django's support table",
    checked: DJANGO_SUPPORT_TABLE.checked,
  },
  'django.newest_lts': {
    describe: 'the newest Django LTS series',
    resolve: newestLtsSeries,
    table: "Django's support table",
    checked: DJANGO_SUPPORT_TABLE.checked,
  },
} as const satisfies Record<string, DatedFact>;

export type DatedFactName = keyof typeof DATED_FACTS;
export const DATED_FACT_NAMES = Object.keys(DATED_FACTS) as DatedFactName[];

export function isDatedFactName(name: string): name is DatedFactName {
  return (DATED_FACT_NAMES as string[]).includes(name);
}

/** A threshold written as `{ "fact": NAME }` rather than a value. */
export function isFactRef(value: unknown): value is { fact: string } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The fact a profile threshold names, checked: a known fact, on a version>= check (the facts are Django series). */
export function datedFactFor(name: string, op: Operator, where: string): DatedFactName {
  if (!isDatedFactName(name)) throw new ConfigError(`${where}.fact: unknown dated fact "${name}" (one of ${DATED_FACT_NAMES.join(', ')})`);
  if (op !== 'version>=') throw new ConfigError(`${where}.fact: dated facts are Django series, so the operator must be "version>="`);
  return name;
}

/** "the oldest Django series with security support on the report's date (Django's support table)", for docs. */
export function describeDatedFact(name: DatedFactName): string {
  const fact = DATED_FACTS[name];
  return `${fact.describe} on the report's date (${fact.table} of ${fact.checked})`;
}

export interface ResolvedCheck {
  /** The check with every dated threshold replaced by its value on the date. */
  check: ProfileCheck;
  /** What the dated thresholds were resolved to, with the table's date; null when the check has none. */
  note: string | null;
  /** Why a dated threshold has no value on this date (the table is too old for it); null when all resolved. */
  unresolved: string | null;
}

/** Resolves a check's dated thresholds on `date` (an ISO date or date-time). */
export function resolveDated(check: ProfileCheck, date: string): ResolvedCheck {
  if (!check.dated) return { check, note: null, unresolved: null };
  const day = date.slice(0, 10);
  const concrete: ProfileCheck = { ...check };
  const notes: string[] = [];
  let unresolved: string | null = null;
  for (const level of ['warn', 'fail'] as const) {
    const name = check.dated[level];
    if (name === undefined) continue;
    const fact: DatedFact = DATED_FACTS[name];
    const value: Threshold | null = fact.resolve(day);
    if (value === null) {
      unresolved = `${fact.table} (checked ${fact.checked}) lists no series for "${fact.describe}" on ${day}: update edgeprobe`;
      continue;
    }
    concrete[level] = value;
    notes.push(`${value} is ${fact.describe} on ${day}`);
  }
  const table = DATED_FACTS[(check.dated.fail ?? check.dated.warn) as DatedFactName];
  const note = notes.length > 0 ? `${notes.join('; ')}, per ${table.table} of ${table.checked}` : null;
  return { check: concrete, note, unresolved };
}
