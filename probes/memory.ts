// memory: what the host has, and what the measured cgroup really lets it use. Inside a container
// /proc/meminfo shows the host; the cgroup limits, and what the limited groups already use, are what matter.
// The measured group is this process's own, or the one --unit / --cgroup named.
import type { ProbeContext, ProbeDefinition, ProbeOutput } from '../src/engine/probe.js';
import { MetricSink } from '../src/engine/sink.js';
import { metricIdsOf } from '../src/report/metrics.js';
import { findCgroup, groupDetails, type MeasuredGroup, readUpwards } from './lib/cgroups.js';
import { minOrNull, parseFlatKeyed, parseMemoryLimit } from './lib/parsers/cgroup.js';
import { type CgroupMemoryFindings, cgroupMemoryHeadroom, type MemoryLevel } from './lib/parsers/cgroup-memory.js';
import { estimateMemAvailable, parseMeminfo, parseZoneinfoLowWatermarkPages } from './lib/parsers/meminfo.js';
import { memoryControllerOff } from './lib/parsers/memory-controller.js';

const PAGE_SIZE = 4096;

/** /proc/swaps: bytes of swap that live on zram devices. */
export function zramSwapBytes(swaps: string): number {
  let total = 0;
  for (const line of swaps.split('\n').slice(1)) {
    const [name, , size] = line.trim().split(/\s+/);
    if (name?.startsWith('/dev/zram') && size !== undefined && /^\d+$/.test(size)) total += Number(size) * 1024;
  }
  return total;
}

function parseBytes(text: string | null): number | null {
  const value = text === null ? Number.NaN : Number(text.trim());
  return Number.isFinite(value) && value >= 0 ? value : null;
}

/** Each level's limits, usage and inactive file pages, from the group up to the mount point. */
async function readMemoryLevels(ctx: ProbeContext, group: MeasuredGroup): Promise<MemoryLevel[]> {
  const v2 = group.version === 2;
  const max = await readUpwards(ctx, group, v2 ? 'memory.max' : 'memory.limit_in_bytes');
  const high = v2 ? await readUpwards(ctx, group, 'memory.high') : [];
  const usage = await readUpwards(ctx, group, v2 ? 'memory.current' : 'memory.usage_in_bytes');
  const stat = await readUpwards(ctx, group, 'memory.stat');
  // v1's usage_in_bytes is hierarchical, so its inactive pages must be too (total_inactive_file).
  const inactiveKey = v2 ? 'inactive_file' : 'total_inactive_file';
  return max.map(({ dir, text }, i) => {
    const statText = stat[i]?.text ?? null;
    return {
      dir,
      max: parseMemoryLimit(text),
      high: parseMemoryLimit(high[i]?.text ?? null),
      usage: parseBytes(usage[i]?.text ?? null),
      inactiveFile: statText === null ? null : (parseFlatKeyed(statText)[inactiveKey] ?? null),
    };
  });
}

async function cgroupFindings(ctx: ProbeContext, group: MeasuredGroup): Promise<{ findings: CgroupMemoryFindings; levels: MemoryLevel[] }> {
  const levels = await readMemoryLevels(ctx, group);
  let hidden: number | null = null;
  if (group.version === 1) {
    // With use_hierarchy the kernel folds every ancestor's limit into this figure, also those above a container's view.
    const stat = await ctx.readText(`${group.dir}/memory.stat`);
    const folded = stat === null ? undefined : parseFlatKeyed(stat)['hierarchical_memory_limit'];
    hidden = folded === undefined ? null : parseMemoryLimit(String(folded));
  }
  return { findings: cgroupMemoryHeadroom(levels, hidden), levels };
}

async function hostMemory(ctx: ProbeContext, sink: MetricSink): Promise<{ total: number | null; available: number | null }> {
  const meminfoText = await ctx.readText('/proc/meminfo');
  if (meminfoText === null) throw new Error(`cannot read ${ctx.rootPath('/proc/meminfo')}`);
  const info = parseMeminfo(meminfoText);
  let available = info['MemAvailable'] ?? null;
  if (available === null) {
    const zoneinfo = await ctx.readText('/proc/zoneinfo');
    const lowPages = zoneinfo ? parseZoneinfoLowWatermarkPages(zoneinfo) : null;
    available = estimateMemAvailable(info, lowPages === null ? null : lowPages * PAGE_SIZE);
    sink.details['memAvailableEstimated'] =
      'this kernel has no MemAvailable (added in 3.14); estimated from MemFree, file pages and SReclaimable as the kernel does' +
      (lowPages === null ? ', without zone watermarks (slightly optimistic)' : ', with /proc/zoneinfo low watermarks');
  }
  const total = info['MemTotal'] ?? null;
  sink.put('memory.total_bytes', total, 'no MemTotal in /proc/meminfo');
  sink.put('memory.available_bytes', available, 'no MemAvailable and no MemFree in /proc/meminfo');
  sink.put('memory.swap_total_bytes', info['SwapTotal'], 'no SwapTotal in /proc/meminfo');
  sink.put('memory.swap_free_bytes', info['SwapFree'], 'no SwapFree in /proc/meminfo');
  const swaps = await ctx.readText('/proc/swaps');
  sink.put('memory.zram_total_bytes', swaps === null ? null : zramSwapBytes(swaps), 'no /proc/swaps');
  return { total, available };
}

/** With --unit / --cgroup the load tests still run in this process's group: its headroom bounds them too. */
async function ownGroupHeadroom(ctx: ProbeContext, hostAvailable: number | null): Promise<Record<string, unknown> | null> {
  if (!ctx.options.targetGroup) return null;
  const own = await findCgroup(ctx, 'memory', { own: true });
  if (!own) return null;
  const { findings } = await cgroupFindings(ctx, own);
  return { path: own.path, availableBytes: minOrNull([hostAvailable, findings.headroom]) };
}

/** Why no memory limit can exist on this kernel, or null. Only the true v2 root (no cgroup.type) lists what the kernel offers. */
async function controllerOffReason(ctx: ProbeContext, group: MeasuredGroup | null): Promise<string | null> {
  const atTrueRoot = group?.version === 2 && !(await ctx.exists(`${group.mountPoint}/cgroup.type`));
  return memoryControllerOff({
    procCgroups: await ctx.readText('/proc/cgroups'),
    cmdline: await ctx.readText('/proc/cmdline'),
    v2RootControllers: atTrueRoot ? await ctx.readText(`${group.mountPoint}/cgroup.controllers`) : null,
  });
}

/** No group, or no controller to limit it: the host's figures are the effective ones. */
function putHostOnly(sink: MetricSink, host: { total: number | null; available: number | null }, why: string, groupPath: string | null): void {
  sink.put('memory.cgroup_path', groupPath, why);
  sink.putAllNull(['memory.cgroup_usage_bytes', 'memory.cgroup_limit_bytes', 'memory.cgroup_high_bytes'], why);
  sink.put('memory.effective_total_bytes', host.total, 'no MemTotal in /proc/meminfo');
  sink.put('memory.effective_available_bytes', host.available, 'no MemAvailable and no MemFree in /proc/meminfo');
}

export const memoryProbe: ProbeDefinition = {
  id: 'memory',
  title: 'Memory',
  metrics: metricIdsOf('memory'),
  budgetMs: () => 5_000,
  async run(ctx): Promise<ProbeOutput> {
    const sink = new MetricSink();
    const { total, available } = await hostMemory(ctx, sink);
    const group = await findCgroup(ctx, 'memory');
    const controllerOff = await controllerOffReason(ctx, group);
    if (controllerOff) sink.details['memoryController'] = controllerOff;
    if (!group || controllerOff) {
      if (group) sink.details['cgroup'] = groupDetails(ctx, group);
      putHostOnly(sink, { total, available }, controllerOff ?? 'no memory cgroup found in /proc/self/cgroup and /proc/self/mountinfo', group?.path ?? null);
      sink.details['availableBoundBy'] = 'MemAvailable';
      return sink.output();
    }
    const { findings, levels } = await cgroupFindings(ctx, group);
    sink.details['cgroup'] = groupDetails(ctx, group);
    sink.put('memory.cgroup_path', group.path, 'no memory cgroup');
    sink.put('memory.cgroup_usage_bytes', levels[0]?.usage, `no usage file in ${group.dir}`);
    sink.put('memory.cgroup_limit_bytes', findings.max, 'unlimited');
    sink.put('memory.cgroup_high_bytes', findings.high, group.version === 1 ? 'cgroup v1 has no memory.high' : 'no memory.high set');
    if (findings.maxSetAt) sink.details['cgroupLimitSetAt'] = findings.maxSetAt;
    if (findings.highSetAt) sink.details['memoryHighSetAt'] = findings.highSetAt;
    if (findings.levels.length > 0) sink.details['headroomByLimitedLevel'] = findings.levels;
    const effectiveAvailable = minOrNull([available, findings.headroom]);
    sink.details['availableBoundBy'] = findings.headroom !== null && effectiveAvailable === findings.headroom ? findings.headroomAt : 'MemAvailable';
    sink.put('memory.effective_total_bytes', minOrNull([total, findings.max, findings.high]), 'neither MemTotal nor a cgroup limit is known');
    sink.put('memory.effective_available_bytes', effectiveAvailable, 'neither MemAvailable nor a cgroup limit is known');
    const own = await ownGroupHeadroom(ctx, available);
    if (own) sink.details['ownGroup'] = own;
    return sink.output();
  },
};
