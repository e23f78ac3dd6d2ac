// systeminformation answers what Linux files do not: the OS, CPU brand and temperature on other hosts.
// The one-file agent leaves it out (devices run Linux, where the probes read /proc and /sys directly;
// it would add about 320 KB to every agent streamed to a device), so loading it may fail there.
type SystemInformation = typeof import('systeminformation');

export async function loadSystemInformation(): Promise<SystemInformation | null> {
  try {
    return await import('systeminformation');
  } catch {
    return null;
  }
}
