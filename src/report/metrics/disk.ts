// disk: space and write latency on the deployment path.
import { defineMetrics } from './define.js';

export const DISK_METRICS = defineMetrics('disk', [
  { name: 'free_bytes', type: 'number', unit: 'bytes', judged: true, description: 'Free space on the deployment path' },
  { name: 'fsync_p99_ms', type: 'number', unit: 'ms', judged: true, load: true, description: 'Small write + fsync latency, 99th percentile' },
  { name: 'total_bytes', type: 'number', unit: 'bytes', description: 'Size of the filesystem holding the deployment path' },
  { name: 'filesystem', type: 'string', description: 'Filesystem type of the deployment path: ext4, f2fs, btrfs, overlay ...' },
  {
    name: 'device_kind',
    type: 'string',
    judged: true,
    description: 'sd, emmc, nvme, ssd, rotational, usb (USB mass storage that reports no medium: a flash stick or a hard disk), ram or network',
  },
  { name: 'fsync_p50_ms', type: 'number', unit: 'ms', load: true, description: 'Small write + fsync latency, median' },
  {
    name: 'sequential_write_bytes_per_second',
    type: 'number',
    unit: 'bytes_per_second',
    load: true,
    description: 'Sequential write rate, fsync included (bytes per second)',
  },
]);
