// Reading this process's cgroup files through the probe context's root (memory and cpu probes share this).
import type { ProbeContext } from '../../src/engine/probe.js';
import { ancestorDirs, locateCgroup, parseMountinfo, parseProcCgroup, type CgroupDir } from './parsers/cgroup.js';

export async function findCgroup(ctx: ProbeContext, controller: string): Promise<CgroupDir | null> {
  const membership = await ctx.readText('/proc/self/cgroup');
  const mountinfo = await ctx.readText('/proc/self/mountinfo');
  if (membership === null || mountinfo === null) return null;
  return locateCgroup(controller, parseProcCgroup(membership), parseMountinfo(mountinfo));
}

/** Reads one control file in the group and in each visible ancestor, nearest first (missing files are null). */
export async function readUpwards(ctx: ProbeContext, location: CgroupDir, file: string): Promise<Array<{ dir: string; text: string | null }>> {
  const result: Array<{ dir: string; text: string | null }> = [];
  for (const dir of ancestorDirs(location)) result.push({ dir, text: await ctx.readText(`${dir}/${file}`) });
  return result;
}
