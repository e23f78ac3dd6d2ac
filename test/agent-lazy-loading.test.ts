// What a quick run of the one-file agent loads: none of the code that only full runs, uploads or the dashboard
// use (HTTP, TLS, WebSocket, zlib, worker threads). A regression here costs every device megabytes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { AGENT_BUNDLE } from './helpers/cli.js';

const NOT_FOR_QUICK_RUNS = ['http', 'https', 'tls', 'zlib', 'worker_threads'];

test('a quick run loads no HTTP, TLS, zlib or worker-thread module, and runs no code from ws', () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgeprobe-test-lazy-'));
  try {
    const listFile = join(dir, 'modules.json');
    // Node's own list of the built-in modules this process loaded, written when it exits.
    const preload = join(dir, 'record-modules.cjs');
    writeFileSync(preload, `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(listFile)}, JSON.stringify(process.moduleLoadList)));\n`);
    const result = spawnSync(process.execPath, ['-r', preload, '-', 'run', '--quick', '--format', 'json'], {
      input: readFileSync(AGENT_BUNDLE),
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.match(result.stdout, /"schema": "edgeprobe.report\/v1"/, result.stderr);
    const loaded = JSON.parse(readFileSync(listFile, 'utf8')) as string[];
    const builtins = new Set(loaded.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice('NativeModule '.length)));
    assert.ok(builtins.has('child_process'), 'the list is the real one: the probes started programs');
    assert.deepEqual(
      NOT_FOR_QUICK_RUNS.filter((name) => builtins.has(name)),
      [],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
