// SIGINT in the middle of the storage write test and of a soak: exit 130, no half report, no file left in
// the deployment path, no load server left running.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CLI, REPO_ROOT } from './helpers/cli.js';
import { MARKER_VARIABLE, newMarker, processesWithMarker, waitFor } from './helpers/leftovers.js';

interface Interrupted {
  code: number | null;
  stdout: string;
  stderr: string;
  signalled: boolean;
}

/** Runs the CLI and sends SIGINT once stderr matches `when`. */
function interruptWhen(args: string[], when: RegExp, env: NodeJS.ProcessEnv): Promise<Interrupted> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      if (!signalled && when.test(stderr)) {
        signalled = true;
        child.kill('SIGINT');
      }
    });
    child.once('close', (code) => resolve({ code, stdout, stderr, signalled }));
  });
}

test('SIGINT during the random-write test: exit 130, no report, nothing left in the deployment path', async () => {
  const base = mkdtempSync(join(tmpdir(), 'edgeprobe-test-storage-signal-'));
  const dir = join(base, 'deploy');
  const privateTmp = join(base, 'tmp');
  mkdirSync(dir);
  mkdirSync(privateTmp);
  try {
    const result = await interruptWhen(['run', '--only', 'storage', '--path', dir, '-v'], /random-write test: 4 KiB writes, fsync after each/, {
      ...process.env,
      TMPDIR: privateTmp,
    });
    assert.ok(result.signalled, `the write test started (stderr: ${result.stderr})`);
    assert.equal(result.code, 130, result.stderr);
    assert.equal(result.stdout, '', 'no half report');
    assert.deepEqual(readdirSync(dir), [], 'nothing left in the deployment path');
    assert.deepEqual(readdirSync(privateTmp), [], 'nothing left in the temp dir');
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('SIGINT during a soak: exit 130, the load server is stopped, its project removed', async () => {
  const base = mkdtempSync(join(tmpdir(), 'edgeprobe-test-soak-signal-'));
  const marker = newMarker();
  try {
    const env = { ...process.env, TMPDIR: base, [MARKER_VARIABLE]: marker };
    const result = await interruptWhen(['run', '--only', 'soak', '--soak', '120', '-v'], /s of load on 127\.0\.0\.1:\d+/, env);
    assert.ok(result.signalled, `the soak started (stderr: ${result.stderr})`);
    assert.equal(result.code, 130, result.stderr);
    assert.equal(result.stdout, '');
    assert.ok(await waitFor(() => processesWithMarker(marker).length === 0, 10_000), `processes left: ${processesWithMarker(marker).join(', ')}`);
    assert.deepEqual(readdirSync(base), [], 'the Channels project is removed');
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
