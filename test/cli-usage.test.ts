// Bad input to the CLI: a clear message, exit code 2, never a stack trace.

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fixtureRoot, runCli } from './helpers/cli.js';
import { assertExitFromVerdict } from './helpers/verdict-exit.js';

const STACK = /\n\s+at .+:\d+:\d+/;

async function expectUsageError(args: string[], message: RegExp): Promise<void> {
  const result = await runCli(args);
  assert.equal(result.code, 2, `exit 2 for ${args.join(' ')} (stderr: ${result.stderr})`);
  assert.match(result.stderr, message);
  assert.doesNotMatch(result.stderr, STACK);
  assert.equal(result.stdout, '', 'nothing half-written to stdout');
}

test('unknown flags, bad values and unknown commands exit 2 with the reason', async () => {
  await expectUsageError(['run', '--bogus'], /unknown option '--bogus'/);
  await expectUsageError(['run', '--format', 'yaml'], /argument 'yaml' is invalid.*Allowed choices are text, json/s);
  await expectUsageError(['run', '--timeout', '-5'], /--timeout must be a positive number/);
  await expectUsageError(['run', '--timeout', 'soon'], /--timeout must be a positive number/);
  await expectUsageError(['run', '--only', 'memory,gpu'], /--only: unknown probe "gpu"/);
  await expectUsageError(['run', '--skip', 'nope'], /--skip: unknown probe "nope"/);
  await expectUsageError(['frobnicate'], /unknown command 'frobnicate'/);
  // Only a named command's module is loaded; a misspelt one still gets commander's suggestion.
  await expectUsageError(['sssh'], /unknown command 'sssh'\n\(Did you mean ssh\?\)/);
  await expectUsageError(['ssh', '--bogus'], /unknown option '--bogus'/);
  await expectUsageError(['ssh', '--only', 'memory,gpu', 'pi@192.0.2.1'], /unknown probe "gpu" \(known: host, memory, cpu, /);
});

test('unreadable, missing and non-tree roots exit 2 and say which', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgeprobe-usage-test-'));
  try {
    await expectUsageError(['run', '--root', join(dir, 'missing')], /--root .*missing: cannot read it \(ENOENT\)/);
    const file = join(dir, 'file');
    writeFileSync(file, 'x');
    await expectUsageError(['run', '--root', file], /not a directory/);
    await expectUsageError(['run', '--root', dir], /does not look like a device tree \(no readable proc\/ inside\)/);
    const loop = join(dir, 'loop');
    symlinkSync(loop, loop);
    await expectUsageError(['run', '--root', loop], /cannot read it \(ELOOP\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--output writes the whole report or nothing, and an unwritable path exits 2', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgeprobe-usage-test-'));
  try {
    const out = join(dir, 'report.json');
    const ok = await runCli(['run', '--root', fixtureRoot('x86-kvm-vm'), '--format', 'json', '--output', out]);
    assert.equal(ok.stdout, '');
    assertExitFromVerdict(ok, JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>);
    assert.deepEqual(readdirSync(dir), ['report.json'], 'no temp file left beside it');
    await expectUsageError(
      ['run', '--root', fixtureRoot('x86-kvm-vm'), '--output', join(dir, 'no', 'such', 'dir', 'r.json')],
      /--output .*cannot write \(ENOENT\)/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--help and --version exit 0', async () => {
  const help = await runCli(['run', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--quick/);
  const top = await runCli(['--help']);
  assert.equal(top.code, 0);
  for (const command of ['run', 'ssh', 'check', 'compare', 'targets', 'serve', 'upload'])
    assert.match(top.stdout, new RegExp(`^  ${command} `, 'm'), `--help lists ${command}`);
  const version = await runCli(['--version']);
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^\d+\.\d+\.\d+/);
});
