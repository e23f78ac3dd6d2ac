// What CPU the measured group may use: its effective cpuset (inherited, so found at the nearest ancestor
// that has one), the affinity of its processes, and the CFS quota of every ancestor.
import type { ProbeContext } from '../../src/engine/probe.js';
import { type MeasuredGroup, readUpwards } from './cgroups.js';
import { ancestorDirs, minOrNull, parseCfsQuota, parseCpuMax } from './parsers/cgroup.js';
import { countCpuList } from './parsers/cpuinfo.js';

export interface CpuList {
  cpus: number;
  list: string;
  source: string;
}

/** cpuset.cpus.effective (v2) or cpuset.effective_cpus / cpuset.cpus (v1), at the group or its nearest ancestor that has it. */
export async function effectiveCpuset(ctx: ProbeContext, group: MeasuredGroup): Promise<CpuList | null> {
  const files = group.version === 2 ? ['cpuset.cpus.effective'] : ['cpuset.effective_cpus', 'cpuset.cpus'];
  for (const dir of ancestorDirs(group)) {
    for (const file of files) {
      const list = (await ctx.readText(`${dir}/${file}`))?.trim() ?? '';
      const cpus = list === '' ? null : countCpuList(list);
      if (cpus !== null) return { cpus, list, source: `${dir}/${file}` };
    }
  }
  return null;
}

/** "Cpus_allowed_list:\t0-3" of a /proc/<pid>/status. */
export function parseCpusAllowed(status: string): string | null {
  return /^Cpus_allowed_list:\s*(\S+)/m.exec(status)?.[1] ?? null;
}

/**
 * The scheduler affinity (taskset, systemd CPUAffinity=) of the measured processes: this process's own, or,
 * for a group named with --unit / --cgroup, that of the first process in it.
 */
export async function processAffinity(ctx: ProbeContext, group: MeasuredGroup | null): Promise<CpuList | { why: string }> {
  let statusPath = '/proc/self/status';
  if (ctx.options.targetGroup) {
    if (!group) return { why: 'the named group is in no cpu or cpuset hierarchy' };
    const pid = (await ctx.readText(`${group.dir}/cgroup.procs`))
      ?.split('\n')
      .find((line) => /^\d+$/.test(line.trim()))
      ?.trim();
    if (!pid) return { why: `no process in ${group.dir}/cgroup.procs to read the affinity of` };
    statusPath = `/proc/${pid}/status`;
  }
  const status = await ctx.readText(statusPath);
  if (status === null) return { why: `no ${statusPath}` };
  const list = parseCpusAllowed(status);
  const cpus = list === null ? null : countCpuList(list);
  if (list === null || cpus === null) return { why: `no Cpus_allowed_list in ${statusPath}` };
  return { cpus, list, source: statusPath };
}

/** The tightest CFS quota along the group's ancestors, in CPUs; null when unlimited. */
export async function cfsQuota(ctx: ProbeContext, group: MeasuredGroup): Promise<number | null> {
  if (group.version === 2) return minOrNull((await readUpwards(ctx, group, 'cpu.max')).map(({ text }) => parseCpuMax(text)));
  const quotas = await readUpwards(ctx, group, 'cpu.cfs_quota_us');
  const periods = await readUpwards(ctx, group, 'cpu.cfs_period_us');
  return minOrNull(quotas.map(({ text }, i) => parseCfsQuota(text, periods[i]?.text ?? null)));
}
