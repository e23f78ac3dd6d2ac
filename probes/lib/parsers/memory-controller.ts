// Whether the kernel's memory controller is off. Raspberry Pi kernels turn it off by default
// (`cgroup_disable=memory` in the bootargs their device trees pass); then no group has memory.max, nothing
// enforces MemoryMax= or MemoryHigh=, and "no limit file" means "no limit can exist", not "unlimited by choice".
// Pure: the inputs are the texts of /proc/cgroups, /proc/cmdline and the cgroup v2 root's cgroup.controllers.

export interface MemoryControllerEvidence {
  /** /proc/cgroups, or null. Kernels from 6.12 built without CONFIG_MEMCG_V1 have no memory line at all. */
  procCgroups: string | null;
  /** /proc/cmdline, or null. */
  cmdline: string | null;
  /**
   * cgroup.controllers of the cgroup v2 hierarchy's true root, or null when not read or not the true root (a
   * cgroup namespace shows a container's own group as its root; only the true root lists what the kernel offers).
   */
  v2RootControllers: string | null;
}

/** "off" or "on" as the kernel command line leaves the memory controller, or null when it does not say. */
export function memoryControllerOnCmdline(cmdline: string): 'off' | 'on' | null {
  let state: 'off' | 'on' | null = null;
  for (const word of cmdline.trim().split(/\s+/)) {
    const equals = word.indexOf('=');
    if (equals < 0) continue;
    const key = word.slice(0, equals);
    if (
      !word
        .slice(equals + 1)
        .split(',')
        .includes('memory')
    )
      continue;
    // cgroup_enable= is Raspberry Pi's own parameter; both are applied in the order they appear.
    if (key === 'cgroup_disable') state = 'off';
    else if (key === 'cgroup_enable') state = 'on';
  }
  return state;
}

/** The `enabled` column of /proc/cgroups for the memory controller, or null without such a line. */
function enabledInProcCgroups(procCgroups: string): boolean | null {
  for (const line of procCgroups.split('\n')) {
    const [name, , , enabled] = line.trim().split(/\s+/);
    if (name === 'memory' && (enabled === '0' || enabled === '1')) return enabled === '1';
  }
  return null;
}

/** Why no memory limit can be enforced on this kernel, or null when the controller is on or nothing says. */
export function memoryControllerOff(evidence: MemoryControllerEvidence): string | null {
  const onCmdline = evidence.cmdline === null ? null : memoryControllerOnCmdline(evidence.cmdline);
  const enabled = evidence.procCgroups === null ? null : enabledInProcCgroups(evidence.procCgroups);
  const rootControllers = evidence.v2RootControllers?.trim().split(/\s+/) ?? null;
  const signs: string[] = [];
  if (onCmdline === 'off') signs.push('cgroup_disable=memory on the kernel command line');
  if (enabled === false) signs.push('/proc/cgroups lists it disabled');
  if (rootControllers !== null && !rootControllers.includes('memory')) signs.push(`the cgroup v2 root offers only: ${rootControllers.join(' ') || 'none'}`);
  // A listing that shows the controller working outweighs a command line whose cgroup_enable this kernel may not know.
  if (signs.length === 0 || enabled === true || rootControllers?.includes('memory')) return null;
  const hint = onCmdline === 'off' ? '; on a Raspberry Pi, cgroup_enable=memory at the end of cmdline.txt turns it on' : '';
  return `the kernel's memory controller is off (${signs.join('; ')}): no memory limit is enforced and MemoryMax=/MemoryHigh= are ignored${hint}`;
}
