// How much memory a cgroup may still allocate, pure. Every ancestor with a limit caps the whole subtree
// under it, and what that subtree already uses counts against it: a session in user-1000.slice with
// MemoryMax=1G, where the slice already uses 900 MiB, has about 124 MiB left whatever its own group uses.
// Rule, over every level that has a limit: limit − (usage − inactive_file) at that level (the inactive file
// pages can be reclaimed, as the kubelet's working set counts them); the smallest wins. memory.high is a
// limit too: above it the kernel throttles and reclaims hard.

export interface MemoryLevel {
  dir: string;
  /** memory.max (v2) / memory.limit_in_bytes (v1); null when unlimited. */
  max: number | null;
  /** memory.high (v2 only); null when unlimited or absent. */
  high: number | null;
  /** memory.current (v2) / memory.usage_in_bytes (v1): the level's whole subtree. */
  usage: number | null;
  /** inactive_file (v2) / total_inactive_file (v1) of memory.stat; null when unreadable. */
  inactiveFile: number | null;
}

export interface LevelHeadroom {
  dir: string;
  limit: number;
  /** usage − inactive_file that was held against the limit. */
  workingSet: number;
  headroom: number;
  /** How the working set was found when the level's own files could not be read. */
  note?: string;
}

export interface CgroupMemoryFindings {
  /** Tightest memory.max / limit_in_bytes, and where. */
  max: number | null;
  maxSetAt: string | null;
  /** Tightest memory.high, and where. */
  high: number | null;
  highSetAt: string | null;
  /** Smallest headroom over the limited levels, and where; null when no level has a limit. */
  headroom: number | null;
  headroomAt: string | null;
  levels: LevelHeadroom[];
}

function tightest(levels: readonly MemoryLevel[], pick: (l: MemoryLevel) => number | null): { value: number | null; at: string | null } {
  let value: number | null = null;
  let at: string | null = null;
  for (const level of levels) {
    const v = pick(level);
    if (v !== null && (value === null || v < value)) {
      value = v;
      at = level.dir;
    }
  }
  return { value, at };
}

/**
 * `levels` run from the measured group up to the highest visible ancestor. `hiddenLimit` is a limit set
 * above what is visible (cgroup v1's hierarchical_memory_limit inside a container).
 */
export function cgroupMemoryHeadroom(levels: readonly MemoryLevel[], hiddenLimit: number | null = null): CgroupMemoryFindings {
  const max = tightest(levels, (l) => l.max);
  const high = tightest(levels, (l) => l.high);
  const result: LevelHeadroom[] = [];
  // An ancestor's usage includes every descendant's, so the nearest readable working set below a level is
  // a lower bound on that level's (optimistic, hence said in the report).
  let below: { workingSet: number; dir: string } | null = null;
  for (const level of levels) {
    const measured = level.usage === null ? null : Math.max(0, level.usage - (level.inactiveFile ?? 0));
    const limits = [level.max, level.high].filter((v): v is number => v !== null);
    if (limits.length > 0) {
      const limit = Math.min(...limits);
      const workingSet = measured ?? below?.workingSet ?? 0;
      const entry: LevelHeadroom = { dir: level.dir, limit, workingSet, headroom: Math.max(0, limit - workingSet) };
      if (measured === null)
        entry.note = below ? `usage unreadable here: ${below.dir}'s working set used as a lower bound` : 'usage unreadable here and below: counted as 0';
      else if (level.inactiveFile === null) entry.note = 'memory.stat unreadable: no inactive file pages subtracted';
      result.push(entry);
    }
    if (measured !== null) below = { workingSet: measured, dir: level.dir };
  }
  if (hiddenLimit !== null && (max.value === null || hiddenLimit < max.value)) {
    const workingSet = below?.workingSet ?? 0;
    result.push({
      dir: "(an ancestor outside this hierarchy's visible part)",
      limit: hiddenLimit,
      workingSet,
      headroom: Math.max(0, hiddenLimit - workingSet),
      note: `hierarchical_memory_limit of memory.stat; its usage is unknown, ${below ? `${below.dir}'s working set used as a lower bound` : 'counted as 0'}`,
    });
    max.value = hiddenLimit;
    max.at = result[result.length - 1]?.dir ?? null;
  }
  const smallest = result.reduce<LevelHeadroom | null>((best, l) => (best === null || l.headroom < best.headroom ? l : best), null);
  return {
    max: max.value,
    maxSetAt: max.at,
    high: high.value,
    highSetAt: high.at,
    headroom: smallest?.headroom ?? null,
    headroomAt: smallest?.dir ?? null,
    levels: result,
  };
}
