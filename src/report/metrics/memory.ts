// memory: what the host has and what this process's cgroup lets it use.
import { defineMetrics } from './define.js';

export const MEMORY_METRICS = defineMetrics('memory', [
  { name: 'total_bytes', type: 'number', unit: 'bytes', specSheet: true, description: '/proc/meminfo MemTotal' },
  { name: 'available_bytes', type: 'number', unit: 'bytes', description: '/proc/meminfo MemAvailable (estimated on kernels without it)' },
  { name: 'swap_total_bytes', type: 'number', unit: 'bytes', description: 'Swap configured, zram included' },
  { name: 'swap_free_bytes', type: 'number', unit: 'bytes', description: 'Swap free' },
  { name: 'zram_total_bytes', type: 'number', unit: 'bytes', description: 'Part of the swap that is compressed RAM (zram); 0 when none' },
  { name: 'cgroup_path', type: 'string', description: "The cgroup measured, from the cgroup root: this process's own, or the one --unit / --cgroup named" },
  {
    name: 'cgroup_limit_bytes',
    type: 'number',
    unit: 'bytes',
    description: 'Tightest memory.max (v2) / memory.limit_in_bytes (v1) of the measured group and its visible ancestors; null when unlimited',
  },
  {
    name: 'cgroup_high_bytes',
    type: 'number',
    unit: 'bytes',
    description: 'Tightest memory.high of the measured group and its ancestors (v2; above it the kernel throttles and reclaims); null when unset',
  },
  { name: 'cgroup_usage_bytes', type: 'number', unit: 'bytes', description: 'Memory charged to the measured group; null when not in a memory cgroup' },
  {
    name: 'effective_total_bytes',
    type: 'number',
    unit: 'bytes',
    judged: true,
    specSheet: true,
    description: 'What the measured group may really use: min(MemTotal, memory.max, memory.high along its ancestors)',
  },
  {
    name: 'effective_available_bytes',
    type: 'number',
    unit: 'bytes',
    judged: true,
    description: 'What the measured group may still allocate: min(MemAvailable, and at every ancestor with a limit: min(max, high) − (usage − inactive_file))',
  },
]);
