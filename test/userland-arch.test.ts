// The kernel's machine and the userland's ABI: Debian's real dash ELF headers (test/fixtures/elf), the
// constructed Pi 4 tree running Raspberry Pi OS 32-bit on the 64-bit kernel, recorded trees, and this machine.

import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { machine, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { archFromLive, archFromRecorded, kernelArchFromUname, userlandArchFromElf } from '../probes/lib/parsers/arch.js';
import { parseCpuinfo } from '../probes/lib/parsers/cpuinfo.js';
import { armFloatAbi, type ElfIdentity, parseElfHeader } from '../probes/lib/parsers/elf.js';
import { fixtureRoot, jsonOf, REPO_ROOT, runCli } from './helpers/cli.js';

function dash(arch: 'amd64' | 'arm64' | 'armhf' | 'armel'): ElfIdentity {
  const elf = parseElfHeader(readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'elf', `debian-bookworm-${arch}-dash.head`)));
  assert.ok(elf, `${arch} dash parses as ELF`);
  return elf;
}

function treeCpuinfo(tree: string): ReturnType<typeof parseCpuinfo> {
  return parseCpuinfo(readFileSync(join(fixtureRoot(tree), 'proc', 'cpuinfo'), 'utf8'));
}

test("ELF headers of Debian's dash: class, machine, float ABI and loader", () => {
  assert.deepEqual(dash('armhf'), { bits: 32, littleEndian: true, machine: 40, flags: 0x05000400, interpreter: '/lib/ld-linux-armhf.so.3' });
  assert.equal(armFloatAbi(dash('armhf')), 'hard');
  assert.deepEqual(dash('armel'), { bits: 32, littleEndian: true, machine: 40, flags: 0x05000200, interpreter: '/lib/ld-linux.so.3' });
  assert.equal(armFloatAbi(dash('armel')), 'soft');
  assert.equal(dash('arm64').machine, 183);
  assert.equal(dash('arm64').interpreter, '/lib/ld-linux-aarch64.so.1');
  assert.equal(dash('amd64').interpreter, '/lib64/ld-linux-x86-64.so.2');
  assert.equal(parseElfHeader(Buffer.from('#!/bin/sh\necho not an ELF file, but long enough to be read as a header\n')), null);
  assert.equal(
    parseElfHeader(readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'elf', 'debian-bookworm-armhf-dash.head')).subarray(0, 40)),
    null,
    'a truncated header',
  );
});

test('the userland ABI is what pip installs for: armhf is armv7l from ARMv7 on, armv6l on an ARMv6 CPU', () => {
  assert.equal(userlandArchFromElf(dash('armhf'), 8), 'armv7l', 'Raspberry Pi OS 32-bit on a Pi 4 (ARMv8 CPU)');
  assert.equal(userlandArchFromElf(dash('armhf'), 7), 'armv7l');
  assert.equal(userlandArchFromElf(dash('armhf'), 6), 'armv6l', 'Raspberry Pi OS armhf on a Pi Zero (ARM1176)');
  assert.equal(userlandArchFromElf(dash('armhf'), null), 'armv7l', "Debian armhf's baseline is ARMv7");
  assert.equal(userlandArchFromElf(dash('armel'), 6), 'armv6l');
  assert.equal(userlandArchFromElf(dash('arm64'), 8), 'aarch64');
  assert.equal(userlandArchFromElf(dash('amd64'), null), 'x86_64');
  assert.equal(kernelArchFromUname('armv8l'), 'aarch64', 'armv8l is what a 64-bit ARM kernel says under the 32-bit personality');
  assert.equal(kernelArchFromUname('armv7l'), 'armv7l');
});

test('Pi 4 with Raspberry Pi OS 32-bit on the 64-bit kernel: the live view and the recorded tree agree (aarch64 kernel, armv7l userland)', () => {
  // Live: uname -m says aarch64 to a 32-bit task (no linux32 personality), /bin/sh is armhf dash.
  const live = archFromLive('aarch64', { path: '/bin/sh', elf: dash('armhf') }, treeCpuinfo('constructed-pi-4b-armhf-on-arm64-kernel'));
  // Recorded: no uname and no bin/sh, only the cpuinfo a 32-bit reader saw.
  const recorded = archFromRecorded(treeCpuinfo('constructed-pi-4b-armhf-on-arm64-kernel'), null);
  for (const finding of [live, recorded]) {
    assert.equal(finding.kernelArch, 'aarch64');
    assert.equal(finding.userlandArch, 'armv7l');
    assert.equal(finding.userlandBits, 32);
  }
  // The same userland under the personality some launchers set (setarch linux32): still the same answers.
  const personality = archFromLive('armv8l', { path: '/bin/sh', elf: dash('armhf') }, parseCpuinfo(''));
  assert.deepEqual([personality.kernelArch, personality.userlandArch], ['aarch64', 'armv7l']);
});

test("recorded trees: each tree's kernel machine and userland ABI", async () => {
  const expected: Record<string, [string, string, number | null]> = {
    'constructed-pi-4b-armhf-on-arm64-kernel': ['aarch64', 'armv7l', 32],
    'pi-4b-bookworm-arm64': ['aarch64', 'aarch64', 64],
    'pi-3b-bullseye-armhf': ['armv7l', 'armv7l', 32],
    'pi-zero-w-revision-only': ['armv6l', 'armv6l', 32],
    'x86-kvm-vm': ['x86_64', 'x86_64', null],
  };
  for (const [tree, [kernel, userland, bits]] of Object.entries(expected)) {
    const metrics = jsonOf(await runCli(['run', '--only', 'cpu', '--format', 'json', '--root', fixtureRoot(tree)]))['metrics'] as Record<string, unknown>;
    assert.equal(metrics['cpu.kernel_arch'], kernel, `${tree}: cpu.kernel_arch`);
    assert.equal(metrics['cpu.arch'], kernel, `${tree}: cpu.arch is the kernel's machine, as uname -m says`);
    assert.equal(metrics['cpu.userland_arch'], userland, `${tree}: cpu.userland_arch`);
    assert.equal(metrics['cpu.userland_bits'], bits, `${tree}: cpu.userland_bits`);
  }
});

test('an ARMv8 CPU with a 32-bit userland does not fail on architecture (constructed Pi 4, Raspberry Pi OS 32-bit)', async () => {
  for (const profile of ['django-wsgi', 'django-channels', 'django-channels-redis']) {
    const report = jsonOf(await runCli(['run', '--profile', profile, '--format', 'json', '--root', fixtureRoot('constructed-pi-4b-armhf-on-arm64-kernel')]));
    const checks = (report['verdict'] as { checks: Array<{ id: string; status: string; metric: string; actual: unknown }> }).checks;
    const arch = checks.find((c) => c.id === 'cpu.arch');
    assert.equal(arch?.metric, 'cpu.userland_arch', `${profile}: the architecture check judges the userland`);
    assert.equal(arch?.actual, 'armv7l');
    assert.equal(arch?.status, 'pass', `${profile}: armv7l passes`);
  }
});

test('a tree that holds bin/sh is read for it, links followed inside the tree and never out to this machine', async () => {
  const root = mkdtempSync(join(tmpdir(), 'edgeprobe-tree-'));
  try {
    cpSync(fixtureRoot('constructed-pi-4b-armhf-on-arm64-kernel'), root, { recursive: true });
    mkdirSync(join(root, 'usr', 'bin'), { recursive: true });
    // An absolute link, as Debian's usrmerge leaves them: followed on this machine it would be x86-64 dash.
    symlinkSync('/usr/bin/dash', join(root, 'usr', 'bin', 'sh'));
    symlinkSync('usr/bin', join(root, 'bin'));
    const dangling = jsonOf(await runCli(['run', '--only', 'cpu', '--format', 'json', '--root', root]))['metrics'] as Record<string, unknown>;
    assert.equal(dangling['cpu.userland_arch'], 'armv7l', 'the link points at nothing in the tree: the cpuinfo view stands');
    cpSync(join(REPO_ROOT, 'test', 'fixtures', 'elf', 'debian-bookworm-armel-dash.head'), join(root, 'usr', 'bin', 'dash'));
    const report = jsonOf(await runCli(['run', '--only', 'cpu', '--format', 'json', '--root', root]));
    const metrics = report['metrics'] as Record<string, unknown>;
    assert.equal(metrics['cpu.userland_arch'], 'armv7l');
    const cpu = (report['probes'] as Array<{ id: string; details: Record<string, unknown> }>).find((p) => p.id === 'cpu');
    assert.match(
      String((cpu?.details['archSource'] as Record<string, unknown> | undefined)?.['userland']),
      /recorded \/bin\/sh: ELF 32-bit ARM, soft-float \(loader \/lib\/ld-linux\.so\.3\)/,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("live: the kernel machine is uname -m and the userland ABI is /bin/sh's", async () => {
  const metrics = jsonOf(await runCli(['run', '--quick', '--only', 'cpu', '--format', 'json']))['metrics'] as Record<string, unknown>;
  assert.equal(metrics['cpu.kernel_arch'], kernelArchFromUname(machine()));
  const elf = parseElfHeader(readFileSync('/bin/sh'));
  assert.ok(elf, '/bin/sh is an ELF program here');
  assert.equal(metrics['cpu.userland_arch'], userlandArchFromElf(elf, null));
  assert.equal(metrics['cpu.userland_bits'], elf.bits);
});

test("a profile of one's own that still judges cpu.arch is refused, and told to judge cpu.userland_arch", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgeprobe-profile-'));
  try {
    const file = join(dir, 'old-arch.json');
    writeFileSync(
      file,
      JSON.stringify({
        name: 'old-arch',
        title: 'a profile written before cpu.userland_arch',
        description: 'Judges cpu.arch.',
        extends: 'django-wsgi',
        checks: [
          {
            id: 'my.arch',
            title: 'Architecture',
            metric: 'cpu.arch',
            operator: 'in',
            fail: ['armv7l'],
            message: 'ARM.',
            advice: 'Use ARM.',
            sources: ['test'],
          },
        ],
      }),
    );
    const result = await runCli(['run', '--only', 'cpu', '--root', fixtureRoot('pi-3b-bullseye-armhf'), '--profile', file]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /cpu\.arch is informational.*cpu\.userland_arch/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
