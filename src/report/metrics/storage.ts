// storage: the disk behind the deployment path (kind, identity, the classes an SD card declares), its
// random-write performance, and how fast a Django deployment's load would wear it out.
import { defineMetrics } from './define.js';

export const STORAGE_METRICS = defineMetrics('storage', [
  {
    name: 'kind',
    type: 'string',
    judged: true,
    description: 'The disk behind the deployment path: sd, emmc, usb, nvme, virtio, sata, scsi, loop, ram, network or other',
  },
  { name: 'disk', type: 'string', description: 'Whole disk(s) behind the deployment path, through partitions, device-mapper and md RAID: mmcblk0, sda ...' },
  { name: 'root_on_same_disk', type: 'boolean', description: 'The root filesystem is on the same disk as the deployment path' },
  { name: 'size_bytes', type: 'number', unit: 'bytes', description: 'Size of that disk' },
  { name: 'model', type: 'string', description: 'Model the disk reports: the SD/eMMC product name, the USB product, the NVMe or SCSI model' },
  { name: 'card_name', type: 'string', description: 'SD/eMMC card: product name from the CID register (sysfs `name`)' },
  { name: 'card_manfid', type: 'string', description: 'SD/eMMC card: manufacturer id from the CID register (sysfs `manfid`)' },
  { name: 'card_oemid', type: 'string', description: 'SD/eMMC card: OEM/application id from the CID register (sysfs `oemid`)' },
  { name: 'card_date', type: 'string', description: 'SD/eMMC card: manufacturing month from the CID register, YYYY-MM' },
  { name: 'card_type', type: 'string', description: 'SD/eMMC card type as the kernel names it: SD or MMC' },
  { name: 'card_cid', type: 'string', description: 'SD/eMMC card: the raw CID register (128 bits, hex)' },
  { name: 'card_csd', type: 'string', description: 'SD/eMMC card: the raw CSD register (128 bits, hex)' },
  { name: 'speed_class', type: 'number', description: 'SD speed class the card declares in its SD Status register: 0, 2, 4, 6 or 10' },
  { name: 'uhs_speed_grade', type: 'number', description: 'UHS speed grade the SD card declares: 0, 1 (U1) or 3 (U3)' },
  { name: 'video_speed_class', type: 'number', description: 'Video speed class the SD card declares: 0, 6, 10, 30, 60 or 90 (V6 .. V90)' },
  { name: 'app_performance_class', type: 'number', judged: true, description: 'Application performance class the SD card declares: 0 none, 1 A1, 2 A2' },
  {
    name: 'emmc_life_used_percent',
    type: 'number',
    description: 'eMMC: share of the rated life used, at most (JEDEC DEVICE_LIFE_TIME_EST, the worse of types A and B)',
  },
  { name: 'emmc_pre_eol', type: 'string', description: 'eMMC: reserved blocks used (JEDEC PRE_EOL_INFO): normal, warning or urgent' },
  {
    name: 'random_write_iops',
    type: 'number',
    unit: 'per_second',
    judged: true,
    load: true, description: '4 KiB random writes per second, one fsync at the end (counted in the time)',
  },
  {
    name: 'random_write_p99_ms',
    type: 'number',
    unit: 'ms',
    load: true, description: '4 KiB random write() latency without fsync, 99th percentile (stalls when dirty pages are throttled)',
  },
  { name: 'random_write_fsync_iops', type: 'number', unit: 'per_second', load: true, description: '4 KiB random writes per second with an fsync after each' },
  { name: 'random_write_fsync_p99_ms', type: 'number', unit: 'ms', judged: true, load: true, description: '4 KiB random write + fsync latency, 99th percentile' },
  { name: 'bytes_written_per_1000_requests', type: 'number', unit: 'bytes', description: 'Bytes the disk took per 1,000 Django HTTP requests under load' },
  {
    name: 'bytes_written_per_1000_messages',
    type: 'number',
    unit: 'bytes',
    description: 'Bytes the disk took per 1,000 WebSocket messages under the streaming load',
  },
  {
    name: 'bytes_written_per_hour',
    type: 'number',
    unit: 'bytes_per_hour',
    description: 'Bytes per hour at the measured capacity, the heavier of the Django and streaming loads',
  },
  {
    name: 'card_endurance_bytes',
    type: 'number',
    unit: 'bytes',
    description: 'Endurance assumed for the projection: --card-endurance-tbw, else the default (see details)',
  },
  {
    name: 'card_life_years',
    type: 'number',
    unit: 'years',
    judged: true,
    description: "Years until the load alone writes the card's endurance, at bytes_written_per_hour around the clock (capped at 100)",
  },
]);
