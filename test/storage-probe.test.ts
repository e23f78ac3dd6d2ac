// The storage probe: its parsers on the constructed SD card, eMMC and USB stick trees (and the recorded ones),
// the walk through partitions and device-mapper, the random-write test and the write counter on this machine's
// real disk, and the card-life projection.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, fsyncSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startWriteCounter } from '../probes/lib/block-writes.js';
import {
  bytesWrittenFromStat,
  cardIdentity,
  parseCardDate,
  parseEmmcLifeTime,
  parsePreEol,
  parseSdStatus,
  registerBits,
  storageKind,
} from '../probes/lib/parsers/storage.js';
import { storageProbe } from '../probes/storage.js';
import { createContext } from '../src/engine/probe.js';
import { fixtureRoot, jsonOf, runCli } from './helpers/cli.js';
import { runProbe, unmeasured } from './helpers/probe-run.js';

const SD_CARD = 'sys/devices/platform/emmc2bus/fe340000.mmc/mmc_host/mmc0/mmc0:aaaa';
const EMMC = 'sys/devices/platform/emmc2bus/fe340000.mmc/mmc_host/mmc0/mmc0:0001';
const fixtureFile = (tree: string, path: string): string => readFileSync(join(fixtureRoot(tree), path), 'utf8');

test('SD Status register: speed class, UHS grade, video class and A1 read from the bits the SD spec names', () => {
  const classes = parseSdStatus(fixtureFile('constructed-pi-4b-sd-card', `${SD_CARD}/ssr`));
  assert.deepEqual(classes, { speedClass: 10, uhsSpeedGrade: 1, videoSpeedClass: 10, appPerformanceClass: 1, discardSupport: false });
  // A2, U3, V30, class 10 and discard support, bit by bit in a register with nothing else set.
  const at = (lowBit: number, value: number): bigint => BigInt(value) << BigInt(lowBit);
  const a2 = (at(440, 4) | at(396, 3) | at(384, 30) | at(336, 2) | at(313, 1)).toString(16).padStart(128, '0');
  assert.deepEqual(parseSdStatus(a2), { speedClass: 10, uhsSpeedGrade: 3, videoSpeedClass: 30, appPerformanceClass: 2, discardSupport: true });
  assert.equal(parseSdStatus('0'.repeat(128))?.appPerformanceClass, 0, 'a card that declares no class');
  assert.equal(parseSdStatus('abc'), null, 'not 512 bits');
  assert.equal(parseSdStatus(null), null);
  assert.equal(registerBits('80000000', 32, 31, 31), 1);
  assert.throws(() => registerBits('800', 32, 31, 31), /12 bits, expected 32/);
});

test('card identity as drivers/mmc/core prints it: names, ids, date, raw CID and CSD', () => {
  const read = (tree: string, dir: string, file: string): string | null => {
    try {
      return fixtureFile(tree, `${dir}/${file}`);
    } catch {
      return null;
    }
  };
  const files = (tree: string, dir: string) =>
    Object.fromEntries(['name', 'manfid', 'oemid', 'date', 'type', 'cid', 'csd', 'serial'].map((f) => [f, read(tree, dir, f)])) as Parameters<
      typeof cardIdentity
    >[0];
  const sd = cardIdentity(files('constructed-pi-4b-sd-card', SD_CARD));
  assert.equal(sd.name, 'SC32G');
  assert.equal(sd.manfid, '0x000003');
  assert.equal(sd.date, '2021-05');
  assert.equal(sd.type, 'SD');
  // The CID carries the same fields the kernel decodes into name and manfid: product name in bits 103:64.
  assert.equal(Buffer.from((sd.cid ?? '').slice(6, 16), 'hex').toString('latin1'), 'SC32G');
  assert.equal(Number.parseInt((sd.cid ?? '').slice(0, 2), 16), Number.parseInt(sd.manfid ?? '', 16));
  const emmc = cardIdentity(files('constructed-cm4-emmc', EMMC));
  assert.equal(emmc.type, 'MMC');
  assert.equal(emmc.date, '2021-08');
  assert.equal(cardIdentity({ name: ' \n', manfid: null, oemid: null, date: '13/2021', type: null, cid: 'xyz', csd: null, serial: null }).name, null);
  assert.equal(parseCardDate('13/2021'), null);
  assert.equal(parseCardDate('1/2019'), '2019-01');
});

test('eMMC wear (JEDEC life-time estimate and pre-EOL) and the disk write counter', () => {
  assert.deepEqual(parseEmmcLifeTime(fixtureFile('constructed-cm4-emmc', `${EMMC}/life_time`)), { usedPercentAtMost: 20, typA: 1, typB: 2 });
  assert.equal(parseEmmcLifeTime('0x0b 0x01')?.usedPercentAtMost, 110, 'exceeded its rated life');
  assert.equal(parseEmmcLifeTime('0x00 0x00'), null, 'not defined by the device');
  assert.equal(parsePreEol(fixtureFile('constructed-cm4-emmc', `${EMMC}/pre_eol_info`)), 'normal');
  assert.equal(parsePreEol('0x03'), 'urgent');
  assert.equal(parsePreEol('0x00'), null);
  // /sys/block/vda/stat recorded on the test machine: field 7 is sectors written (512 bytes each).
  assert.equal(bytesWrittenFromStat('  100654    11881  4704978    38485   144662   102428 11746576    53746        0    25192   104716'), 11746576 * 512);
  assert.equal(bytesWrittenFromStat('1 2 3'), null);
});

test('storage kinds from the disk name and its sysfs path (USB before SCSI, virtio, eMMC by type)', () => {
  assert.equal(storageKind('mmcblk0', '/sys/devices/platform/emmc2bus/fe340000.mmc/mmc_host/mmc0/mmc0:0001/block/mmcblk0', 'MMC\n'), 'emmc');
  assert.equal(storageKind('mmcblk0', null, 'SD'), 'sd');
  assert.equal(
    storageKind(
      'sda',
      '/sys/devices/platform/scb/fd500000.pcie/pci0000:00/0000:00:00.0/0000:01:00.0/usb2/2-2/2-2:1.0/host0/target0:0:0/0:0:0:0/block/sda',
      null,
    ),
    'usb',
  );
  assert.equal(storageKind('sda', '/sys/devices/pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0/block/sda', null), 'sata');
  assert.equal(storageKind('vda', '/sys/devices/pci0000:00/0000:00:02.0/virtio1/block/vda', null), 'virtio');
  assert.equal(storageKind('nvme0n1', '/sys/devices/pci0000:00/0000:00:04.0/nvme/nvme0/nvme0n1', null), 'nvme');
  assert.equal(storageKind('sdb', '/sys/devices/pci0000:00/0000:00:10.0/host2/target2:0:0/2:0:0:0/block/sdb', null), 'scsi');
});

test('constructed SD card tree: an A1 class-10 SanDisk card holding the root filesystem', async () => {
  const { envelope } = await runProbe(storageProbe, { root: fixtureRoot('constructed-pi-4b-sd-card') });
  const m = envelope.metrics;
  assert.equal(envelope.status, 'ok', envelope.error?.message);
  assert.deepEqual([m['storage.kind'], m['storage.disk'], m['storage.root_on_same_disk'], m['storage.model']], ['sd', 'mmcblk0', true, 'SC32G']);
  assert.deepEqual(
    [m['storage.speed_class'], m['storage.uhs_speed_grade'], m['storage.video_speed_class'], m['storage.app_performance_class']],
    [10, 1, 10, 1],
  );
  assert.equal(m['storage.size_bytes'], 31914983424);
  assert.equal((envelope.details['mount'] as { chain: string }).chain, 'mmcblk0p2 -> mmcblk0');
  assert.equal(m['storage.random_write_iops'], null);
  assert.equal(unmeasured(envelope, 'storage.random_write_iops'), 'recorded tree: the write test needs the live disk');
  assert.equal(m['storage.card_endurance_bytes'], 31914983424 * 256, 'the default endurance: 256 writes of this card');
  assert.equal(m['storage.emmc_pre_eol'], null);
  assert.match(unmeasured(envelope, 'storage.emmc_pre_eol') ?? '', /mmcblk0 is sd, not eMMC/);
});

test('constructed eMMC tree: the eMMC is told from an SD card by its type, with its wear estimate', async () => {
  const { envelope } = await runProbe(storageProbe, { root: fixtureRoot('constructed-cm4-emmc') });
  const m = envelope.metrics;
  assert.deepEqual(
    [m['storage.kind'], m['storage.card_type'], m['storage.card_manfid'], m['storage.emmc_life_used_percent'], m['storage.emmc_pre_eol']],
    ['emmc', 'MMC', '0x000015', 20, 'normal'],
  );
  assert.equal(m['storage.app_performance_class'], null);
  assert.match(unmeasured(envelope, 'storage.app_performance_class') ?? '', /only SD cards declare/);
});

test('constructed USB stick tree: a path on a LUKS volume is followed through dm-0 and sda3 to the stick', async () => {
  const root = fixtureRoot('constructed-pi-4b-usb-stick');
  const onRoot = (await runProbe(storageProbe, { root })).envelope;
  assert.deepEqual([onRoot.metrics['storage.kind'], onRoot.metrics['storage.disk'], onRoot.metrics['storage.model']], ['usb', 'sda', 'SanDisk Ultra Fit']);
  const { envelope } = await runProbe(storageProbe, { root, path: '/var/lib/app/media' });
  assert.equal((envelope.details['mount'] as { chain: string }).chain, 'dm-0 -> sda3 -> sda');
  assert.equal(envelope.metrics['storage.kind'], 'usb');
  assert.equal(envelope.metrics['storage.root_on_same_disk'], true, 'root on sda2, the volume on sda3: the same stick');
  assert.deepEqual((envelope.details['disk'] as { usb: unknown }).usb, {
    vendorId: '0781',
    productId: '5583',
    manufacturer: 'SanDisk',
    product: 'Ultra Fit',
    speedMbps: 5000,
  });
  assert.equal(envelope.metrics['storage.card_name'], null);
});

test('recorded trees without block devices in sysfs: named from the major number, or not at all', async () => {
  const pi4 = (await runProbe(storageProbe, { root: fixtureRoot('pi-4b-bookworm-arm64') })).envelope;
  assert.equal(pi4.metrics['storage.disk'], 'mmcblk0');
  assert.match(
    String(pi4.details['identityNote']),
    /no \/sys\/dev\/block\/179:2 link: the disk was named from its mount source; no \/sys\/class\/block\/mmcblk0\/device\/type: taken for an SD card/,
  );
  const cgroup = (await runProbe(storageProbe, { root: fixtureRoot('cgroup-v2-docker-limited') })).envelope;
  assert.equal(cgroup.status, 'ok');
  assert.equal(cgroup.metrics['storage.kind'], null);
  assert.ok(unmeasured(cgroup, 'storage.kind'), 'a reason for the unknown kind');
});

function realDisk(dir: string): string {
  const source = spawnSync('findmnt', ['-n', '-o', 'SOURCE', '--target', dir], { encoding: 'utf8' }).stdout.trim();
  const parent = spawnSync('lsblk', ['-n', '-o', 'PKNAME', source], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean).pop();
  return parent || source.replace('/dev/', '');
}

test("on this machine's real disk: the random-write test with and without fsync, leaving nothing behind", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgeprobe-test-storage-'));
  try {
    const { envelope } = await runProbe(storageProbe, { path: dir });
    const m = envelope.metrics;
    assert.equal(envelope.status, 'ok', envelope.error?.message);
    assert.equal(m['storage.disk'], realDisk(dir), 'the disk lsblk names');
    for (const id of ['storage.random_write_iops', 'storage.random_write_fsync_iops', 'storage.random_write_p99_ms', 'storage.random_write_fsync_p99_ms']) {
      assert.ok(typeof m[id] === 'number' && m[id] > 0, `${id} = ${String(m[id])}`);
    }
    const result = envelope.details['randomWrite'] as {
      fsync: { writes: number; p50Ms: number };
      buffered: { writes: number; p50Ms: number; finalSyncMs: number };
    };
    assert.ok(result.fsync.writes >= 20 && result.buffered.writes >= 20);
    assert.ok(result.fsync.p50Ms >= result.buffered.p50Ms, 'a write with its fsync takes at least as long as the write alone');
    assert.ok(result.buffered.finalSyncMs >= 0);
    assert.deepEqual(readdirSync(dir), [], 'nothing left in the deployment path');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("on this machine's real disk: the write counter sees at least the 8 MiB a file write pushed to it", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgeprobe-test-writes-'));
  const controller = new AbortController();
  const { ctx, dispose } = createContext({ root: '/', quick: false, verbose: false, path: dir }, controller.signal, new Map(), () => undefined);
  try {
    const counter = await startWriteCounter(ctx);
    const file = join(dir, 'payload');
    writeFileSync(file, Buffer.alloc(8 * 1024 * 1024, 7));
    const fd = openSync(file, 'r+');
    fsyncSync(fd);
    closeSync(fd);
    const volume = await counter.finish(4, 'requests');
    assert.ok(!('unmeasured' in volume), JSON.stringify(volume));
    assert.deepEqual(volume.disks, [realDisk(dir)]);
    assert.ok(volume.bytesWritten >= 8 * 1024 * 1024, `${volume.bytesWritten} bytes counted`);
    assert.equal(volume.bytesPer1000, Math.round((volume.bytesWritten * 1000) / 4));
  } finally {
    dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the write counter on a tmpfs path says why it cannot count', async () => {
  const controller = new AbortController();
  const { ctx, dispose } = createContext({ root: '/', quick: false, verbose: false }, controller.signal, new Map(), () => undefined);
  try {
    const volume = await (await startWriteCounter(ctx, '/dev/shm')).finish(10, 'messages');
    assert.deepEqual(volume, { unmeasured: '/dev/shm is on tmpfs, in RAM: no block device' });
  } finally {
    dispose();
  }
});

test('--card-endurance-tbw sets the endurance; a bad value is a usage error', async () => {
  const root = fixtureRoot('constructed-pi-4b-sd-card');
  const ok = await runCli(['run', '--root', root, '--only', 'storage', '--card-endurance-tbw', '40', '--format', 'json']);
  assert.equal((jsonOf(ok)['metrics'] as Record<string, unknown>)['storage.card_endurance_bytes'], 40e12);
  for (const bad of ['0', '-3', 'lots']) {
    const result = await runCli(['run', '--root', root, '--only', 'storage', '--card-endurance-tbw', bad]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /--card-endurance-tbw must be a positive number/);
  }
});

test('a USB stick is USB storage of unknown medium, not a rotating disk, and the Redis profile warns about it', async () => {
  const root = fixtureRoot('constructed-pi-4b-usb-stick');
  const report = jsonOf(await runCli(['run', '--root', root, '--only', 'disk', '--profile', 'django-channels-redis', '--format', 'json']));
  assert.equal((report['metrics'] as Record<string, unknown>)['disk.device_kind'], 'usb');
  const checks = (report['verdict'] as { checks: { id: string; status: string; why: string }[] }).checks;
  const storage = checks.find((c) => c.id === 'disk.device_kind');
  assert.equal(storage?.status, 'warn');
  assert.match(storage?.why ?? '', /USB flash sticks/);
});
