// How `edgeprobe ssh` judges one host's report. The one place the fleet asks for a verdict, so that profiles
// plug in here and nowhere else.
import { EXIT, UsageError } from '../cli-kit.js';
import type { Report } from '../report.js';

export interface HostJudgement {
  /** viable, viable-with-warnings, not-viable, unknown; or "measured"/"incomplete" when no profile judges. */
  verdict: string;
  exitCode: number;
  /** One line for the table: the main reason. */
  reason?: string;
}

/** Checks --profile before any host is contacted. */
export function checkProfile(profile: string | undefined): void {
  if (profile !== undefined) {
    throw new UsageError(`--profile ${profile}: this build of edgeprobe has no deployment profiles to judge with`);
  }
}

/** Judges one report. Without a profile: did every probe run? */
export function judgeHostReport(report: Report, profile: string | undefined): HostJudgement {
  void profile;
  const failed = report.probes.filter((p) => p.status === 'error');
  if (failed.length > 0) {
    return { verdict: 'incomplete', exitCode: EXIT.unknown, reason: `probe ${failed.map((p) => p.id).join(', ')} failed` };
  }
  return { verdict: 'measured', exitCode: EXIT.ok };
}

/** The fleet's exit code is its worst host's: not-viable (1) over unknown/incomplete (3) over viable (0). */
export function worstExitCode(codes: readonly number[]): number {
  const rank = (code: number): number => (code === EXIT.notViable ? 3 : code === EXIT.unknown ? 2 : code === EXIT.ok ? 0 : 1);
  return codes.reduce((worst, code) => (rank(code) > rank(worst) ? code : worst), EXIT.ok);
}
