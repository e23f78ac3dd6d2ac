// memory: what the host has, and what this process's cgroup really lets it use.
// Inside a container /proc/meminfo shows the host; the cgroup limit is the number that matters.
import type { ProbeDefinition, ProbeOutput } from '../src/engine/probe.js';
import { metricIdsOf } from '../src/report/metrics.js';
import { findCgroup, readUpwards } from './lib/cgroups.js';
import { minOrNull, parseFlatKeyed, parseMemoryLimit } from './lib/parsers/cgroup.js';
import { estimateMemAvailable, parseMeminfo, parseZoneinfoLowWatermarkPages } from './lib/parsers/meminfo.js';
import type { Metrics } from '../src/report/types.js';

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

export const memoryProbe: ProbeDefinition = {
  id: 'memory',
  title: 'Memory',
  metrics: metricIdsOf('memory'),
  budgetMs: () => 5_000,
  async run(ctx): Promise<ProbeOutput> {
    const metrics: Metrics = {};
    const unmeasured: Record<string, string> = {};
    const details: Record<string, unknown> = {};

    const meminfoText = await ctx.readText('/proc/meminfo');
    if (meminfoText === null) throw new Error(`cannot read ${ctx.rootPath('/proc/meminfo')}`);
    const info = parseMeminfo(meminfoText);
    const total = info['MemTotal'] ?? null;
    let available = info['MemAvailable'] ?? null;
    if (available === null) {
      const zoneinfo = await ctx.readText('/proc/zoneinfo');
      const lowPages = zoneinfo ? parseZoneinfoLowWatermarkPages(zoneinfo) : null;
      available = estimateMemAvailable(info, lowPages === null ? null : lowPages * PAGE_SIZE);
      details['memAvailableEstimated'] =
        'this kernel has no MemAvailable (added in 3.14); estimated from MemFree, file pages and SReclaimable as the kernel does' +
        (lowPages === null ? ', without zone watermarks (slightly optimistic)' : ', with /proc/zoneinfo low watermarks');
    }
    metrics['memory.total_bytes'] = total;
    metrics['memory.available_bytes'] = available;
    if (total === null) unmeasured['memory.total_bytes'] = 'no MemTotal in /proc/meminfo';
    if (available === null) unmeasured['memory.available_bytes'] = 'no MemAvailable and no MemFree in /proc/meminfo';
    metrics['memory.swap_total_bytes'] = info['SwapTotal'] ?? null;
    metrics['memory.swap_free_bytes'] = info['SwapFree'] ?? null;
    const swaps = await ctx.readText('/proc/swaps');
    metrics['memory.zram_total_bytes'] = swaps === null ? null : zramSwapBytes(swaps);
    if (swaps === null) unmeasured['memory.zram_total_bytes'] = 'no /proc/swaps';

    const location = await findCgroup(ctx, 'memory');
    let limit: number | null = null;
    let workingSet: number | null = null;
    if (location) {
      details['cgroup'] = { version: location.version, dir: location.dir };
      const limitFile = location.version === 2 ? 'memory.max' : 'memory.limit_in_bytes';
      const limits = await readUpwards(ctx, location, limitFile);
      const perLevel = limits.map(({ dir, text }) => ({ dir, limit: parseMemoryLimit(text) }));
      limit = minOrNull(perLevel.map((l) => l.limit));
      const statText = await ctx.readText(`${location.dir}/memory.stat`);
      const stat = statText ? parseFlatKeyed(statText) : {};
      if (location.version === 1) {
        // With use_hierarchy the kernel already folds ancestors' limits into this figure.
        limit = minOrNull([limit, parseMemoryLimit(stat['hierarchical_memory_limit'] === undefined ? null : String(stat['hierarchical_memory_limit']))]);
      }
      const binding = perLevel.find((l) => l.limit !== null && l.limit === limit);
      if (binding) details['cgroupLimitSetAt'] = binding.dir;
      const usageText = await ctx.readText(`${location.dir}/${location.version === 2 ? 'memory.current' : 'memory.usage_in_bytes'}`);
      const usage = usageText === null ? null : Number(usageText.trim());
      if (usage !== null && Number.isFinite(usage)) {
        metrics['memory.cgroup_usage_bytes'] = usage;
        // Like the kubelet's working set: page cache that can be dropped does not count as used.
        const inactiveFile = stat[location.version === 2 ? 'inactive_file' : 'total_inactive_file'] ?? 0;
        workingSet = Math.max(0, usage - inactiveFile);
      } else {
        metrics['memory.cgroup_usage_bytes'] = null;
        unmeasured['memory.cgroup_usage_bytes'] = `no usage file in ${location.dir}`;
      }
      if (location.version === 2) {
        const high = parseMemoryLimit(await ctx.readText(`${location.dir}/memory.high`));
        if (high !== null) details['memoryHighBytes'] = high;
      }
    } else {
      metrics['memory.cgroup_usage_bytes'] = null;
      unmeasured['memory.cgroup_usage_bytes'] = 'no memory cgroup found in /proc/self/cgroup and /proc/self/mountinfo';
    }
    metrics['memory.cgroup_limit_bytes'] = limit;
    if (limit === null) unmeasured['memory.cgroup_limit_bytes'] = location ? 'unlimited' : 'no memory cgroup';

    metrics['memory.effective_total_bytes'] = minOrNull([total, limit]);
    const headroom = limit !== null && workingSet !== null ? Math.max(0, limit - workingSet) : limit;
    metrics['memory.effective_available_bytes'] = minOrNull([available, headroom]);
    if (metrics['memory.effective_total_bytes'] === null) unmeasured['memory.effective_total_bytes'] = 'neither MemTotal nor a cgroup limit is known';
    if (metrics['memory.effective_available_bytes'] === null) unmeasured['memory.effective_available_bytes'] = 'neither MemAvailable nor a cgroup limit is known';
    return { metrics, details, unmeasured };
  },
};
