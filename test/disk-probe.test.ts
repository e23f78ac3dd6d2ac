// The disk probe on this machine's real disks: space and filesystem as the system reports them, the
// bounded write test, its skips (--quick, low free space), and SIGINT/SIGTERM in the middle of it.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { diskProbe } from '../probes/disk.js';
import { CLI, REPO_ROOT } from './helpers/cli.js';
import { executable, skipWithout } from './helpers/env.js';
import { runProbe, unmeasured } from './helpers/probe-run.js';

function dfBytes(dir: string): { avail: number; size: number } {
  const out = spawnSync('df', ['-B1', '--output=avail,size', dir], { encoding: 'utf8' }).stdout.trim().split('\n')[1] ?? '';
  const [avail, size] = out.trim().split(/\s+/).map(Number);
  return { avail: avail ?? Number.NaN, size: size ?? Number.NaN };
}

test('space, filesystem and the write test on a real directory, which is left as it was', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgeprobe-test-disk-'));
  try {
    const { envelope } = await runProbe(diskProbe, { path: dir });
    assert.equal(envelope.status, 'ok', envelope.error?.message);
    const m = envelope.metrics;
    const df = dfBytes(dir);
    assert.equal(m['disk.total_bytes'], df.size);
    // Others write to this disk meanwhile: free space may have moved a little.
    assert.ok(Math.abs(Number(m['disk.free_bytes']) - df.avail) < Math.max(1 << 30, df.avail * 0.01), `free ${String(m['disk.free_bytes'])} vs df ${df.avail}`);
    assert.equal(m['disk.filesystem'], spawnSync('findmnt', ['-n', '-o', 'FSTYPE', '--target', dir], { encoding: 'utf8' }).stdout.trim());
    assert.ok(
      ['sd', 'emmc', 'nvme', 'ssd', 'rotational', 'ram', 'network'].includes(String(m['disk.device_kind'])) || unmeasured(envelope, 'disk.device_kind'),
    );
    const p50 = Number(m['disk.fsync_p50_ms']);
    const p99 = Number(m['disk.fsync_p99_ms']);
    assert.ok(p50 > 0 && p99 >= p50, `p50 ${p50} <= p99 ${p99}`);
    assert.ok(Number(m['disk.sequential_write_bytes_per_second']) > 0);
    const test = envelope.details['writeTest'] as { fsyncSamples: number; sequentialBytes: number };
    assert.ok(test.fsyncSamples >= 20, `${test.fsyncSamples} fsync samples`);
    assert.ok(test.sequentialBytes > 0);
    assert.deepEqual(readdirSync(dir), [], 'nothing left in the deployment path');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--quick skips the write test and says so; space is still measured', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgeprobe-test-disk-'));
  try {
    const { envelope } = await runProbe(diskProbe, { path: dir, quick: true });
    for (const id of ['disk.fsync_p50_ms', 'disk.fsync_p99_ms', 'disk.sequential_write_bytes_per_second']) {
      assert.equal(envelope.metrics[id], null);
      assert.equal(unmeasured(envelope, id), 'skipped under --quick');
    }
    assert.equal(typeof envelope.metrics['disk.free_bytes'], 'number');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('low free space (a 64 MiB tmpfs): the write test is skipped with the reason; the device is RAM', async (t) => {
  const canMount = process.getuid?.() === 0 && executable('/usr/bin/mount');
  if (skipWithout(t, canMount, 'root and mount', 'run as root')) return;
  const dir = mkdtempSync(join(tmpdir(), 'edgeprobe-test-disk-small-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'edgeprobe-test', dir], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  try {
    const { envelope } = await runProbe(diskProbe, { path: dir });
    assert.equal(envelope.metrics['disk.filesystem'], 'tmpfs');
    assert.equal(envelope.metrics['disk.device_kind'], 'ram');
    assert.equal(envelope.metrics['disk.total_bytes'], 64 * 1024 * 1024);
    assert.equal(envelope.metrics['disk.fsync_p99_ms'], null);
    assert.match(unmeasured(envelope, 'disk.fsync_p99_ms') ?? '', /^only 64 MiB free \(the write test needs 512 MiB\)$/);
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    spawnSync('umount', [dir]);
    rmSync(dir, { recursive: true, force: true });
  }
});

async function interruptDuringWriteTest(signal: 'SIGINT' | 'SIGTERM'): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const base = mkdtempSync(join(tmpdir(), 'edgeprobe-test-disk-signal-'));
    const dir = join(base, 'deploy');
    const privateTmp = join(base, 'tmp');
    mkdirSync(dir);
    mkdirSync(privateTmp);
    try {
      const child = spawn(process.execPath, [CLI, 'run', '--only', 'disk', '--path', dir, '-v'], {
        cwd: REPO_ROOT,
        env: { ...process.env, TMPDIR: privateTmp },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      let testDir: string | null = null;
      let existedWhenSignalled = false;
      child.stdout.on('data', (c: Buffer) => {
        stdout += c.toString();
      });
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
        const match = /disk: fsync test in (\S+)/.exec(stderr);
        if (match?.[1] && testDir === null) {
          testDir = match[1];
          existedWhenSignalled = existsSync(testDir);
          child.kill(signal);
        }
      });
      const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
      if (code === 0 && attempt < 3) continue; // the test finished before the signal landed: try again
      assert.ok(testDir, `the write test started (stderr: ${stderr})`);
      assert.ok(existedWhenSignalled, 'the test folder existed when the signal was sent');
      assert.equal(code, signal === 'SIGINT' ? 130 : 143, stderr);
      assert.match(stderr, new RegExp(`interrupted by ${signal}`));
      assert.equal(stdout, '', 'no half report');
      assert.deepEqual(readdirSync(dir), [], `nothing left in ${dir}`);
      assert.deepEqual(readdirSync(privateTmp), [], 'nothing left in the temp dir');
      return;
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  }
}

test('SIGINT during the write test leaves no file behind', async () => {
  await interruptDuringWriteTest('SIGINT');
});

test('SIGTERM during the write test leaves no file behind', async () => {
  await interruptDuringWriteTest('SIGTERM');
});
