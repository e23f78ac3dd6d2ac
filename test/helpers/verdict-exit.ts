// `run` exits with its verdict's code: tests that are about probing assert that rule, whatever the
// verdict on this machine happens to be.
import assert from 'node:assert/strict';

/** 1 not viable; 3 unknown or incomplete; 0 otherwise (no --strict). */
export function exitCodeOfVerdict(output: Record<string, unknown>): number {
  const verdict = output['verdict'] as { verdict?: string; incomplete?: unknown[] } | undefined;
  assert.ok(verdict && typeof verdict.verdict === 'string', 'the JSON report carries its verdict');
  if (verdict.verdict === 'not-viable') return 1;
  if (verdict.verdict === 'unknown' || (verdict.incomplete ?? []).length > 0) return 3;
  return 0;
}

export function assertExitFromVerdict(result: { code: number | null; stderr: string }, output: Record<string, unknown>): void {
  assert.equal(result.code, exitCodeOfVerdict(output), `exit code follows the verdict; stderr: ${result.stderr}`);
  assert.doesNotMatch(result.stderr, /internal error|\n\s+at /, 'no stack trace');
}
