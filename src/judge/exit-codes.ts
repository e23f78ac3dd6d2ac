// The exit-code contract of a verdict (docs/architecture.md, "Exit codes"): what `run`, `check` and each
// host of `ssh` report. Errors (bad flags, bad profiles, internal faults) are mapped by src/cli/kit.ts.
import type { Verdict } from './verdict.js';

export const EXIT = { ok: 0, notViable: 1, usage: 2, unknown: 3 } as const;

/** 0 viable (and viable-with-warnings unless strict), 1 not viable, 3 unknown or incomplete. */
export function verdictExitCode(verdict: Pick<Verdict, 'verdict' | 'incomplete'>, strict = false): number {
  switch (verdict.verdict) {
    case 'not-viable':
      return EXIT.notViable;
    case 'unknown':
      return EXIT.unknown;
    default:
      if (verdict.incomplete.length > 0) return EXIT.unknown;
      if (verdict.verdict === 'viable-with-warnings' && strict) return EXIT.notViable;
      return EXIT.ok;
  }
}

/** One exit code for several verdicts: any not viable wins, then any unknown, else 0. */
export function worstExitCode(codes: readonly number[]): number {
  if (codes.includes(EXIT.notViable)) return EXIT.notViable;
  if (codes.includes(EXIT.unknown)) return EXIT.unknown;
  return codes.find((c) => c !== EXIT.ok) ?? EXIT.ok;
}
