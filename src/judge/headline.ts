// The verdict in one line, with what could not be measured: "viable, 4 checks unknown". A probe that measures
// less must not read rosier than one that measures more, so every renderer shows the unknowns beside the verdict.
import type { CheckResult, OverallVerdict } from './verdict.js';

/** Checks that could only warn (no fail threshold), were not allowed, and are unknown: each might have warned. */
export function countUnknownWarnLevel(checks: readonly CheckResult[]): number {
  return checks.filter((c) => c.allowed === undefined && c.status === 'unknown' && !c.canFail).length;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * "viable", "viable, 4 checks unknown", "not-viable, 2 checks unknown"; for an unknown verdict the checks that
 * could fail are counted apart: "unknown, 10 checks unknown (6 could fail)".
 */
export function verdictHeadline(verdict: OverallVerdict, counts: { unknown: number; unknownWarnLevel: number }): string {
  if (counts.unknown === 0) return verdict;
  if (verdict !== 'unknown') return `${verdict}, ${plural(counts.unknown, 'check')} unknown`;
  return `unknown, ${plural(counts.unknown, 'check')} unknown (${counts.unknown - counts.unknownWarnLevel} could fail)`;
}
