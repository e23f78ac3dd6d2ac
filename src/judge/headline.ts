// The verdict in words: the headline with what could not be measured ("viable, 4 checks unknown") and the
// one-sentence summary. A probe that measures less must not read rosier than one that measures more, so every
// renderer shows the unknowns beside the verdict.
import type { CheckResult, CheckStatus, JudgeSubject, OverallVerdict, Verdict } from './verdict.js';

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

/** "; 4 warning-only checks unknown (supervision.available, ...)": missing data is said, never passed over. */
function unknownNote(counts: Verdict['counts']): string {
  const n = counts.unknownWarnLevel;
  return n === 0 ? '' : `; ${n} warning-only check${n === 1 ? '' : 's'} unknown, any of which might have warned`;
}

export function summarise(verdict: OverallVerdict, subject: JudgeSubject, counts: Verdict['counts'], checks: readonly CheckResult[]): string {
  const counted = checks.filter((c) => c.allowed === undefined);
  const names = (status: CheckStatus, canFailOnly = false): string =>
    counted
      .filter((c) => c.status === status && (!canFailOnly || c.canFail))
      .map((c) => c.id)
      .join(', ');
  const basis =
    subject.basis === 'spec-sheet'
      ? `Spec-sheet verdict: ${checks.length} hardware check${checks.length === 1 ? '' : 's'} judged from the ${subject.id} spec sheet, ${counts.notJudged} not judged (they need a measured report). `
      : '';
  switch (verdict) {
    case 'not-viable':
      return `${basis}Not viable: ${names('fail')} failed.`;
    case 'unknown':
      return `${basis}Unknown: ${names('unknown', true)} could not be judged, and any of them could fail.`;
    case 'viable-with-warnings':
      return `${basis}Viable, with warnings: ${names('warn')}${unknownNote(counts)}.`;
    case 'viable':
      return `${basis}Viable: every judged check ${counts.unknownWarnLevel > 0 ? 'that was measured ' : ''}passed${unknownNote(counts)}.`;
  }
}
