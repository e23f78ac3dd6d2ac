// cpu: architecture, cores, limits, clocks, benchmark, throttling.
import { defineMetrics } from './define.js';

export const CPU_METRICS = defineMetrics('cpu', [
  { name: 'arch', type: 'string', judged: true, specSheet: true, description: 'Machine as `uname -m` says: armv6l, armv7l, aarch64, x86_64 ...' },
  { name: 'userland_bits', type: 'number', unit: 'bits', description: 'Bitness of the userland: 32 or 64' },
  { name: 'cores', type: 'number', unit: 'cpus', specSheet: true, description: 'Online logical CPUs of the host' },
  { name: 'effective_cpus', type: 'number', unit: 'cpus', judged: true, specSheet: true, description: 'CPUs this process may really use: min(cores, cpuset, cgroup quota)' },
  { name: 'cpuset_cpus', type: 'number', unit: 'cpus', description: 'CPUs in this process\'s cpuset' },
  { name: 'quota_cpus', type: 'number', unit: 'cpus', description: 'cgroup CPU quota as a number of CPUs; null when unlimited' },
  { name: 'model', type: 'string', specSheet: true, description: 'CPU model' },
  { name: 'max_mhz', type: 'number', unit: 'mhz', judged: true, specSheet: true, description: 'Highest clock the CPU may run at' },
  { name: 'governor', type: 'string', judged: true, description: 'cpufreq scaling governor of cpu0' },
  { name: 'load_average_1m', type: 'number', description: 'One-minute load average' },
  { name: 'single_thread_score', type: 'number', unit: 'per_second', judged: true, load: true, description: 'Fixed-work benchmark, one thread, operations per second' },
  { name: 'multi_thread_score', type: 'number', unit: 'per_second', judged: true, load: true, description: 'Fixed-work benchmark on all effective CPUs, operations per second' },
  { name: 'throttled_now', type: 'boolean', judged: true, description: 'Raspberry Pi get_throttled bits 0-3: under-voltage, capped, throttled or soft temperature limit now' },
  { name: 'throttled_since_boot', type: 'boolean', judged: true, description: 'Raspberry Pi get_throttled bits 16-19: any of the above since boot' },
  { name: 'undervoltage_since_boot', type: 'boolean', judged: true, description: 'Raspberry Pi get_throttled bit 16: under-voltage seen since boot' },
  { name: 'temperature_celsius', type: 'number', unit: 'celsius', judged: true, description: 'SoC / CPU temperature' },
]);
