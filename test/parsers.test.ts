// Pure parsers of the core probes, on inputs recorded from real devices and kernels.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeThrottled, parseThrottledText } from '../probes/cpu.js';
import { locateCgroup, parseCfsQuota, parseCpuMax, parseMemoryLimit, parseMountinfo, parseProcCgroup } from '../probes/lib/parsers/cgroup.js';
import { archFromCpuinfo, countCpuList, parseCpuinfo } from '../probes/lib/parsers/cpuinfo.js';
import { parseMeminfo } from '../probes/lib/parsers/meminfo.js';
import { decodePiRevision } from '../probes/lib/parsers/pi-revision.js';
import { zramSwapBytes } from '../probes/memory.js';

const MiB = 1024 * 1024;

test('Raspberry Pi revision codes decode to model and RAM (new and old style, warranty bit)', () => {
  assert.deepEqual(decodePiRevision('a02082'), { model: 'Raspberry Pi 3 Model B Rev 1.2', ramBytes: 1024 * MiB, revision: '1.2', manufacturer: 'Sony UK' });
  assert.equal(decodePiRevision('a22082')?.manufacturer, 'Embest');
  assert.equal(decodePiRevision('9000c1')?.model, 'Raspberry Pi Zero W Rev 1.1');
  assert.equal(decodePiRevision('902120')?.model, 'Raspberry Pi Zero 2 W Rev 1.0');
  assert.equal(decodePiRevision('a020d3')?.model, 'Raspberry Pi 3 Model B+ Rev 1.3');
  assert.equal(decodePiRevision('d04170')?.model, 'Raspberry Pi 5 Rev 1.0');
  assert.equal(decodePiRevision('d04170')?.ramBytes, 8192 * MiB);
  assert.equal(decodePiRevision('c03114')?.ramBytes, 4096 * MiB);
  assert.equal(decodePiRevision('0010')?.model, 'Raspberry Pi Model B Plus Rev 1.2');
  assert.equal(decodePiRevision('1000002')?.ramBytes, 256 * MiB, 'old-style code with the warranty-void bit');
  assert.equal(decodePiRevision('0000'), null, 'BeagleBone kernels print Revision 0000');
  assert.equal(decodePiRevision('zz'), null);
});

test('get_throttled bits: now (0-3) and since boot (16-19)', () => {
  assert.deepEqual(decodeThrottled(0x50005).flags, ['under-voltage now', 'throttled now', 'under-voltage since boot', 'throttled since boot']);
  assert.equal(decodeThrottled(0x50000).now, false);
  assert.equal(decodeThrottled(0x50000).sinceBoot, true);
  assert.equal(decodeThrottled(0).sinceBoot, false);
  assert.equal(parseThrottledText('throttled=0x50000\n'), 0x50000);
  assert.equal(parseThrottledText('50000\n'), 0x50000);
  assert.equal(parseThrottledText('error=1 error_msg="Command not registered"'), null);
});

test("cpuinfo tells the architecture, and for ARM the reader's bitness", () => {
  const compat = parseCpuinfo(
    'processor\t: 0\nmodel name\t: ARMv8 Processor rev 4 (v8l)\nFeatures\t: half thumb fastmult vfp edsp neon vfpv3 tls vfpv4 idiva idivt lpae evtstrm crc32\nCPU implementer\t: 0x41\nCPU architecture: 8\nCPU part\t: 0xd08\n',
  );
  assert.deepEqual(archFromCpuinfo(compat), { arch: 'armv8l', userlandBits: 32 });
  const noLm = parseCpuinfo('processor\t: 0\nmodel name\t: Intel(R) Atom(TM) CPU N270\nflags\t\t: fpu vme de pse tsc msr pae\n');
  assert.equal(archFromCpuinfo(noLm).arch, 'i686');
  assert.equal(countCpuList('0-3,5,7-8\n'), 7);
  assert.equal(countCpuList(''), null);
  assert.equal(countCpuList('3-1'), null);
});

test('mountinfo: escaped mount points, cgroup v1 and v2 lookups, unlimited values', () => {
  const mounts = parseMountinfo(
    '40 31 0:37 /docker/abc /sys/fs/cgroup/my\\040memory rw,relatime - cgroup cgroup rw,memory\n41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n',
  );
  assert.equal(mounts[0]?.mountPoint, '/sys/fs/cgroup/my memory');
  const memberships = parseProcCgroup('4:memory:/docker/abc/sub\n0::/session.scope\n');
  assert.deepEqual(locateCgroup('memory', memberships, mounts), {
    version: 1,
    dir: '/sys/fs/cgroup/my memory/sub',
    mountPoint: '/sys/fs/cgroup/my memory',
    path: '/sub',
  });
  assert.deepEqual(locateCgroup('cpu', memberships, mounts), {
    version: 2,
    dir: '/sys/fs/cgroup/unified/session.scope',
    mountPoint: '/sys/fs/cgroup/unified',
    path: '/session.scope',
  });
  // A group named with --cgroup, from the cgroup root, in the same hierarchies.
  assert.deepEqual(locateCgroup('memory', memberships, mounts, '/docker/abc/other'), {
    version: 1,
    dir: '/sys/fs/cgroup/my memory/other',
    mountPoint: '/sys/fs/cgroup/my memory',
    path: '/other',
  });
  assert.deepEqual(locateCgroup('cpu', [], mounts, '/system.slice/myapp.service'), {
    version: 2,
    dir: '/sys/fs/cgroup/unified/system.slice/myapp.service',
    mountPoint: '/sys/fs/cgroup/unified',
    path: '/system.slice/myapp.service',
  });
  assert.equal(parseMemoryLimit('9223372036854771712\n'), null);
  assert.equal(parseMemoryLimit('max\n'), null);
  assert.equal(parseMemoryLimit('268435456\n'), 268435456);
  assert.equal(parseCpuMax('max 100000'), null);
  assert.equal(parseCpuMax('150000 100000'), 1.5);
  assert.equal(parseCfsQuota('-1', '100000'), null);
  assert.equal(parseCfsQuota('25000', '100000'), 0.25);
});

test('meminfo values are bytes; /proc/swaps zram devices are counted', () => {
  const info = parseMeminfo('MemTotal:         928884 kB\nHugePages_Total:       0\nMemAvailable:     731204 kB\n');
  assert.equal(info['MemTotal'], 928884 * 1024);
  assert.equal(info['HugePages_Total'], 0, 'counts without a unit stay counts');
  assert.equal(zramSwapBytes('Filename Type Size Used Priority\n/dev/zram0 partition 1048572 0 100\n/var/swap file 102396 0 -2\n'), 1048572 * 1024);
});
