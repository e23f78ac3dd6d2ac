// memory: what the host has and what this process's cgroup lets it use.
import { defineMetrics } from './define.js';

export const MEMORY_METRICS = defineMetrics('memory', [
  { name: 'total_bytes', type: 'number', unit: 'bytes', specSheet: true, description: '/proc/meminfo MemTotal' },
  { name: 'available_bytes', type: 'number', unit: 'bytes', description: '/proc/meminfo MemAvailable (estimated on kernels without it)' },
  { name: 'swap_total_bytes', type: 'number', unit: 'bytes', description: 'Swap configured, zram included' },
  { name: 'swap_free_bytes', type: 'number', unit: 'bytes', description: 'Swap free' },
  { name: 'zram_total_bytes', type: 'number', unit: 'bytes', description: 'Part of the swap that is compressed RAM (zram); 0 when none' },
  { name: 'cgroup_limit_bytes', type: 'number', unit: 'bytes', description: 'Memory limit of this process\'s cgroup (tightest along its ancestors); null when unlimited' },
  { name: 'cgroup_usage_bytes', type: 'number', unit: 'bytes', description: 'Memory charged to this process\'s cgroup; null when not in a memory cgroup' },
  { name: 'effective_total_bytes', type: 'number', unit: 'bytes', judged: true, specSheet: true, description: 'What this process\'s group may really use: min(MemTotal, cgroup limit)' },
  { name: 'effective_available_bytes', type: 'number', unit: 'bytes', judged: true, description: 'What this process\'s group may still allocate: min(MemAvailable, limit - working set)' },
]);
