// How `edgeprobe ssh` judges one host's report: the one place the fleet asks for a verdict
// (src/judge/verdict.ts against a profile from src/judge/profiles.ts, as `edgeprobe run` does).
import type { Profile } from '../judge/profiles.js';
import type { Report } from '../report/types.js';
import { judge, verdictExitCode, type Verdict } from '../judge/verdict.js';

/** The fleet's exit code is its worst host's: not-viable (1) over unknown/incomplete (3) over viable (0). */
export { worstExitCode } from '../judge/verdict.js';

export interface JudgeSettings {
  profile: Profile;
  /** Check id -> reason, from --allow. */
  allow: ReadonlyMap<string, string>;
  /** Warnings count (viable-with-warnings exits 1). */
  strict: boolean;
}

export interface HostJudgement {
  /** viable, viable-with-warnings, not-viable, unknown. */
  verdict: string;
  exitCode: number;
  /** One line for the table: the verdict's summary when it is not plainly viable. */
  reason?: string;
  detail?: Verdict;
}

/** Judges one report against the profile. */
export function judgeHostReport(report: Report, settings: JudgeSettings): HostJudgement {
  const verdict = judge(report, settings.profile, { allow: settings.allow });
  const exitCode = verdictExitCode(verdict, settings.strict);
  const judgement: HostJudgement = { verdict: verdict.verdict, exitCode, detail: verdict };
  if (verdict.verdict !== 'viable' || verdict.incomplete.length > 0) {
    judgement.reason = verdict.incomplete.length > 0 && verdict.verdict !== 'not-viable'
      ? `${verdict.summary} Incomplete: ${verdict.incomplete.join('; ')}.`
      : verdict.summary;
  }
  return judgement;
}
