// cpu: architecture, cores, limits, clocks, benchmark, throttling.
import { defineMetrics } from './define.js';

export const CPU_METRICS = defineMetrics('cpu', [
  { name: 'arch', type: 'string', specSheet: true, description: 'The kernel\'s machine, as `uname -m` says to a native task (the same as cpu.kernel_arch; profiles judge cpu.userland_arch)' },
  { name: 'kernel_arch', type: 'string', description: 'The kernel\'s machine: aarch64 for a 64-bit ARM kernel even under a 32-bit userland (uname -m; on a recorded tree, from /proc/cpuinfo)' },
  { name: 'userland_arch', type: 'string', judged: true, specSheet: true, description: 'The ABI pip and apt install for: armv6l, armv7l, aarch64, x86_64, i686 ... (ELF header of /bin/sh; on a recorded tree without one, the view /proc/cpuinfo was read with)' },
  { name: 'userland_bits', type: 'number', unit: 'bits', description: 'Bitness of the userland: 32 or 64' },
  { name: 'cores', type: 'number', unit: 'cpus', specSheet: true, description: 'Online logical CPUs of the host' },
  { name: 'effective_cpus', type: 'number', unit: 'cpus', judged: true, specSheet: true, description: 'CPUs the measured group may really use: min(cores, cpuset, affinity, cgroup quota)' },
  { name: 'cpuset_cpus', type: 'number', unit: 'cpus', description: 'CPUs in the measured group\'s effective cpuset (inherited from the nearest ancestor that sets it)' },
  { name: 'affinity_cpus', type: 'number', unit: 'cpus', description: 'CPUs the measured processes may be scheduled on (Cpus_allowed_list in /proc/<pid>/status)' },
  { name: 'cgroup_path', type: 'string', description: 'The cgroup measured for quota and cpuset, from the cgroup root: this process\'s own, or the one --unit / --cgroup named' },
  { name: 'quota_cpus', type: 'number', unit: 'cpus', description: 'cgroup CPU quota as a number of CPUs; null when unlimited' },
  { name: 'model', type: 'string', specSheet: true, description: 'CPU model' },
  { name: 'max_mhz', type: 'number', unit: 'mhz', judged: true, specSheet: true, description: 'Highest clock the CPU may run at' },
  { name: 'governor', type: 'string', judged: true, description: 'cpufreq scaling governor of cpu0' },
  { name: 'load_average_1m', type: 'number', description: 'One-minute load average' },
  { name: 'single_thread_score', type: 'number', unit: 'per_second', load: true, description: 'Fixed-work benchmark in Node (V8), one thread, operations per second; profiles judge the CPython score (django.cpython_score) instead' },
  { name: 'multi_thread_score', type: 'number', unit: 'per_second', load: true, description: 'Fixed-work benchmark in Node on all effective CPUs, operations per second; its ratio to the one-thread score scales throughput when several workers were not measured' },
  { name: 'throttled_now', type: 'boolean', judged: true, description: 'Raspberry Pi get_throttled bits 0-3: under-voltage, capped, throttled or soft temperature limit now' },
  { name: 'throttled_since_boot', type: 'boolean', judged: true, description: 'Raspberry Pi get_throttled bits 16-19: any of the above since boot' },
  { name: 'undervoltage_since_boot', type: 'boolean', judged: true, description: 'Raspberry Pi get_throttled bit 16: under-voltage seen since boot' },
  { name: 'temperature_celsius', type: 'number', unit: 'celsius', judged: true, description: 'SoC / CPU temperature' },
]);
