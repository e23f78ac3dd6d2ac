// Reading a cgroup's control files through the probe context's root (memory and cpu probes share this).
// The group is this process's own, or the one --unit / --cgroup named (options.targetGroup).
import type { ProbeContext } from '../../src/engine/probe.js';
import { ancestorDirs, type CgroupDir, locateCgroup, parseMountinfo, parseProcCgroup } from './parsers/cgroup.js';

export interface MeasuredGroup extends CgroupDir {
  /** Set when the named group has no directory in this controller's hierarchy (cgroup v1): its nearest ancestor stands in. */
  note?: string;
}

/** The measured group for `controller` (`own`: this process's group even when --unit / --cgroup named another). */
export async function findCgroup(ctx: ProbeContext, controller: string, which: { own?: boolean } = {}): Promise<MeasuredGroup | null> {
  const target = which.own ? undefined : ctx.options.targetGroup?.path;
  const membership = await ctx.readText('/proc/self/cgroup');
  const mountinfo = await ctx.readText('/proc/self/mountinfo');
  if (mountinfo === null || (membership === null && target === undefined)) return null;
  const found = locateCgroup(controller, parseProcCgroup(membership ?? ''), parseMountinfo(mountinfo), target);
  if (!found || target === undefined) return found;
  // systemd creates a unit's directory only in the v1 hierarchies whose controller the unit uses; its
  // processes then count against the nearest ancestor that has one.
  for (const dir of ancestorDirs(found)) {
    if (await ctx.exists(dir)) {
      if (dir === found.dir) return found;
      const path = dir === found.mountPoint ? '/' : dir.slice(found.mountPoint.length);
      return {
        ...found,
        dir,
        path,
        note: `${found.path} has no directory in the ${controller} hierarchy (${found.mountPoint}); its nearest ancestor ${path} holds its processes there`,
      };
    }
  }
  return null;
}

/** Reads one control file in the group and in each visible ancestor, nearest first (missing files are null). */
export async function readUpwards(ctx: ProbeContext, location: CgroupDir, file: string): Promise<Array<{ dir: string; text: string | null }>> {
  const result: Array<{ dir: string; text: string | null }> = [];
  for (const dir of ancestorDirs(location)) result.push({ dir, text: await ctx.readText(`${dir}/${file}`) });
  return result;
}

/** What the report says about the group it measured. */
export function groupDetails(ctx: ProbeContext, group: MeasuredGroup): Record<string, unknown> {
  const measured: Record<string, unknown> = {
    version: group.version,
    dir: group.dir,
    path: group.path,
    source: ctx.options.targetGroup?.source ?? "this process's own group (/proc/self/cgroup)",
  };
  if (group.note) measured['note'] = group.note;
  return measured;
}
