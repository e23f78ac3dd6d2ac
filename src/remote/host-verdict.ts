// How `edgeprobe ssh` judges one host's report: the one place the fleet asks for a verdict
// (src/judge/verdict.ts against a profile from src/judge/profiles.ts, as `edgeprobe run` does).

import { verdictExitCode } from '../judge/exit-codes.js';
import type { Profile } from '../judge/profiles.js';
import { judge, type Verdict } from '../judge/verdict.js';
import type { Report } from '../report/types.js';

/** The fleet's exit code is its worst host's: not-viable (1) over unknown/incomplete (3) over viable (0). */
export { worstExitCode } from '../judge/exit-codes.js';

export interface VerdictSettings {
  profile: Profile;
  /** Check id -> reason, from --allow. */
  allow: ReadonlyMap<string, string>;
  /** Warnings count (viable-with-warnings exits 1). */
  strict: boolean;
}

export interface HostJudgement {
  /** viable, viable-with-warnings, not-viable, unknown. */
  verdict: string;
  /** The verdict with its unknowns: "viable, 4 checks unknown". */
  headline: string;
  exitCode: number;
  /** One line for the table: the verdict's summary when it is not plainly viable. */
  reason?: string;
  detail?: Verdict;
}

/** Judges one report against the profile. */
export function hostVerdict(report: Report, settings: VerdictSettings): HostJudgement {
  const verdict = judge(report, settings.profile, { allow: settings.allow });
  const exitCode = verdictExitCode(verdict, settings.strict);
  const judgement: HostJudgement = { verdict: verdict.verdict, headline: verdict.headline, exitCode, detail: verdict };
  if (verdict.headline !== 'viable' || verdict.incomplete.length > 0) {
    judgement.reason =
      verdict.incomplete.length > 0 && verdict.verdict !== 'not-viable' ? `${verdict.summary} Incomplete: ${verdict.incomplete.join('; ')}.` : verdict.summary;
  }
  return judgement;
}
