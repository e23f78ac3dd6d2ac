// Whether a probe may write its test file: the disk and storage probes write to the deployment's disk, so
// both refuse on a recorded tree, under --quick, on a nearly full disk and where the user cannot write.
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import type { ProbeContext } from '../../src/engine/probe.js';

/** Below this much free space the write test is skipped: it must never be what fills a disk. */
export const MIN_FREE_FOR_TEST_BYTES = 512 * 1024 * 1024;

/** Why no write test may run at `path` (the reason the skipped metrics carry), or null when it may. */
export async function whyNoWriteTest(ctx: ProbeContext, path: string, free: unknown): Promise<string | null> {
  if (!ctx.live) return 'recorded tree: the write test needs the live disk';
  if (ctx.options.quick) return 'skipped under --quick';
  if (typeof free !== 'number') return 'free space unknown, so the write test was not risked';
  if (free < MIN_FREE_FOR_TEST_BYTES) return `only ${Math.round(free / 1048576)} MiB free (the write test needs ${MIN_FREE_FOR_TEST_BYTES / 1048576} MiB)`;
  try {
    await access(path, constants.W_OK);
  } catch {
    return `${path} is not writable by this user`;
  }
  return null;
}
