// Pi-like resource limits for the lab: a cgroup with a CPU quota, a cpuset and a memory limit.
// cgroup v1 (memory, cpu and cpuset hierarchies, as on this machine) or v2 (one unified hierarchy).
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Limits {
  /** CPU time in CPUs (cgroup quota / period), may be fractional: 0.25, 0.5, 1, 2. */
  cpus?: number;
  /** CPUs the group may run on, as a cpuset list ("0", "0-1"). */
  cpuset?: string;
  /** Memory limit (v1 memory.limit_in_bytes, v2 memory.max). */
  memoryBytes?: number;
}

/** Raspberry Pi-like limits. This machine has 2 cores, so a "Pi 3" gets two CPUs of quota, not four. */
export const PI_PROFILES = {
  'pi-zero-w': { cpus: 1, cpuset: '0', memoryBytes: 512 * 1024 * 1024 },
  'pi-3': { cpus: 2, cpuset: '0-1', memoryBytes: 1024 * 1024 * 1024 },
} as const satisfies Record<string, Limits>;

const CGROUP_ROOT = '/sys/fs/cgroup';
const CFS_PERIOD_US = 100_000;

function read(path: string): string {
  return readFileSync(path, 'utf8').trim();
}

function cgroupVersion(): 1 | 2 | null {
  if (existsSync(join(CGROUP_ROOT, 'cgroup.controllers'))) return 2;
  if (existsSync(join(CGROUP_ROOT, 'memory', 'memory.limit_in_bytes'))) return 1;
  return null;
}

/** This process's own group in a v1 hierarchy, so that lab groups nest under it (and under its accounting). */
function ownV1Path(controller: string): string {
  for (const line of read('/proc/self/cgroup').split('\n')) {
    const [, controllers, path] = line.split(':');
    if (controllers !== undefined && path !== undefined && controllers.split(',').includes(controller)) return path;
  }
  return '/';
}

export class LimitGroup {
  readonly version: 1 | 2;
  /** The cgroup.procs files a process writes "0" into to join the group (one per v1 hierarchy). */
  readonly procsFiles: string[];
  private readonly dirs: string[];
  readonly memoryDir: string | null;

  private constructor(version: 1 | 2, dirs: string[], memoryDir: string | null) {
    this.version = version;
    this.dirs = dirs;
    this.procsFiles = dirs.map((dir) => join(dir, 'cgroup.procs'));
    this.memoryDir = memoryDir;
  }

  /** Creates a fresh group named `name` (make it unique: several people share this machine) with `limits`. */
  static create(name: string, limits: Limits): LimitGroup {
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new Error(`bad cgroup name "${name}"`);
    const version = cgroupVersion();
    if (version === null) throw new Error('no cgroup hierarchy with a memory controller under /sys/fs/cgroup');
    return version === 2 ? LimitGroup.createV2(name, limits) : LimitGroup.createV1(name, limits);
  }

  private static createV1(name: string, limits: Limits): LimitGroup {
    const made: string[] = [];
    const dirFor = (controller: string): string => {
      const dir = join(CGROUP_ROOT, controller, ownV1Path(controller), name);
      mkdirSync(dir);
      made.push(dir);
      return dir;
    };
    try {
      const memory = dirFor('memory');
      if (limits.memoryBytes !== undefined) {
        writeFileSync(join(memory, 'memory.limit_in_bytes'), String(limits.memoryBytes));
        // Like a device without swap: the limit is the limit.
        try {
          writeFileSync(join(memory, 'memory.swappiness'), '0');
        } catch {
          // not settable on every kernel
        }
      }
      const cpu = dirFor('cpu');
      writeFileSync(join(cpu, 'cpu.cfs_period_us'), String(CFS_PERIOD_US));
      writeFileSync(join(cpu, 'cpu.cfs_quota_us'), limits.cpus === undefined ? '-1' : String(Math.round(limits.cpus * CFS_PERIOD_US)));
      const cpuset = dirFor('cpuset');
      const parent = join(cpuset, '..');
      // A v1 cpuset group takes no task until both cpus and mems are set.
      writeFileSync(join(cpuset, 'cpuset.mems'), read(join(parent, 'cpuset.mems')));
      writeFileSync(join(cpuset, 'cpuset.cpus'), limits.cpuset ?? read(join(parent, 'cpuset.cpus')));
      return new LimitGroup(1, made, memory);
    } catch (err) {
      for (const dir of made.reverse()) tryRmdir(dir);
      throw err;
    }
  }

  private static createV2(name: string, limits: Limits): LimitGroup {
    // Under the root, which the "no internal processes" rule does not bind.
    const controllers = read(join(CGROUP_ROOT, 'cgroup.controllers')).split(/\s+/);
    const wanted = ['memory', 'cpu', 'cpuset'].filter((c) => controllers.includes(c));
    const enabled = read(join(CGROUP_ROOT, 'cgroup.subtree_control')).split(/\s+/);
    const missing = wanted.filter((c) => !enabled.includes(c));
    if (missing.length > 0) writeFileSync(join(CGROUP_ROOT, 'cgroup.subtree_control'), missing.map((c) => `+${c}`).join(' '));
    const dir = join(CGROUP_ROOT, name);
    mkdirSync(dir);
    try {
      if (limits.memoryBytes !== undefined) {
        writeFileSync(join(dir, 'memory.max'), String(limits.memoryBytes));
        if (existsSync(join(dir, 'memory.swap.max'))) writeFileSync(join(dir, 'memory.swap.max'), '0');
      }
      if (limits.cpus !== undefined) writeFileSync(join(dir, 'cpu.max'), `${Math.round(limits.cpus * CFS_PERIOD_US)} ${CFS_PERIOD_US}`);
      if (limits.cpuset !== undefined) writeFileSync(join(dir, 'cpuset.cpus'), limits.cpuset);
      return new LimitGroup(2, [dir], dir);
    } catch (err) {
      tryRmdir(dir);
      throw err;
    }
  }

  /** Highest memory charged to the group so far (v1 max_usage_in_bytes, v2 memory.peak where the kernel has it). */
  peakMemoryBytes(): number | null {
    if (this.memoryDir === null) return null;
    const file = this.version === 1 ? 'memory.max_usage_in_bytes' : 'memory.peak';
    try {
      const value = Number(read(join(this.memoryDir, file)));
      return Number.isFinite(value) ? value : null;
    } catch {
      return null;
    }
  }

  /** Pids in the group (all hierarchies). */
  pids(): number[] {
    const found = new Set<number>();
    for (const file of this.procsFiles) {
      try {
        for (const line of read(file).split('\n')) if (/^\d+$/.test(line)) found.add(Number(line));
      } catch {
        // group already gone
      }
    }
    return [...found];
  }

  /** SIGKILLs every process in the group (processes that left their parent's process group included). */
  async killAll(): Promise<void> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const pids = this.pids();
      if (pids.length === 0) return;
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Removes the group; its processes must have exited. Retries briefly while the kernel lets go of them. */
  async remove(): Promise<void> {
    for (const dir of [...this.dirs].reverse()) {
      for (let attempt = 0; attempt < 50; attempt++) {
        if (tryRmdir(dir)) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }
}

function tryRmdir(dir: string): boolean {
  try {
    rmdirSync(dir);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT';
  }
}
