// Programs that hang or print garbage (put first on the PATH) never hang the run: each gives null with the
// reason, within its timeout, and is killed with its children.

import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { jsonOf, runCli } from './helpers/cli.js';
import { processesMentioning } from './helpers/probe-run.js';
import { assertExitFromVerdict } from './helpers/verdict-exit.js';

function fake(dir: string, name: string, body: string): void {
  writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
  chmodSync(join(dir, name), 0o755);
}

test('hanging nginx, redis-server, memcached and cc, and a systemctl printing garbage: nulls with reasons, run finishes, nothing left', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgeprobe-test-fakebin-'));
  try {
    const hang = 'while :; do sleep 1; done';
    for (const name of ['nginx', 'redis-server', 'memcached', 'cc']) fake(dir, name, hang);
    fake(dir, 'systemctl', "echo 'Failed to connect to bus: \\001\\002 garbage'; exit 1");
    const started = Date.now();
    const result = await runCli(['run', '--only', 'python,supervision,stack', '--python', '/usr/bin/python3', '--python-only', '--format', 'json'], {
      env: { ...process.env, PATH: `${dir}:${process.env['PATH'] ?? ''}`, NO_COLOR: '1' },
      timeoutMs: 90_000,
    });
    const elapsed = Date.now() - started;
    assertExitFromVerdict(result, jsonOf(result)); // run exits with its verdict's code
    assert.ok(elapsed < 30_000, `the run took ${elapsed} ms`);
    const report = jsonOf(result) as { metrics: Record<string, unknown>; probes: Array<{ id: string; status: string; details: Record<string, unknown> }> };
    for (const probe of report.probes.filter((p) => p.status !== 'skipped')) assert.equal(probe.status, 'ok', probe.id);
    const stack = report.probes.find((p) => p.id === 'stack')?.details ?? {};
    const nginx = (stack['reverseProxies'] as Array<{ name: string; path: string; version: string | null; versionReason: string | null }>).find(
      (p) => p.name === 'nginx',
    );
    assert.equal(nginx?.path, join(dir, 'nginx'));
    assert.equal(nginx?.version, null);
    assert.match(nginx?.versionReason ?? '', /nginx -v did not answer within 5 s/);
    assert.equal(report.metrics['stack.reverse_proxy'], 'nginx');
    assert.equal(report.metrics['stack.memcached_version'], null);
    const unmeasuredStack = stack['unmeasured'] as Record<string, string>;
    assert.match(unmeasuredStack['stack.memcached_version'] ?? '', /memcached -V did not answer within 5 s/);
    assert.equal((stack['redis'] as { binaryVersion: string | null }).binaryVersion, null);
    const supervision = report.probes.find((p) => p.id === 'supervision')?.details ?? {};
    assert.equal(report.metrics['supervision.systemd_state'], null);
    assert.match(
      (supervision['unmeasured'] as Record<string, string>)['supervision.systemd_state'] ?? '',
      /systemctl is-system-running said "Failed to connect to bus/,
    );
    const python = report.probes.find((p) => p.id === 'python')?.details ?? {};
    assert.equal((python['compiler'] as { path: string; version: string | null }).version, null, 'the hanging cc gave no version');
    assert.deepEqual(processesMentioning(dir), [], 'every fake program was killed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
