// Under a 128 MiB cgroup limit a full run completes without being OOM-killed; load tests scale down or skip,
// and say why.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { validateReport } from '../../src/report/validate.js';
import { CLI, runScript } from '../helpers/cli.js';
import { executable, requireComponent } from '../helpers/env.js';
import { recordFigures } from '../helpers/figures.js';

const GROUP = `/sys/fs/cgroup/memory/edgeprobe-memory-guard-${process.pid}`;
const skip = requireComponent(
  process.getuid?.() === 0 && existsSync('/sys/fs/cgroup/memory/cgroup.procs') && executable('/usr/bin/cgexec'),
  'a writable cgroup v1 memory controller and cgexec',
  'run as root; cgroup-tools',
);

function oomKills(): number {
  const control = readFileSync(`${GROUP}/memory.oom_control`, 'utf8');
  return Number(/oom_kill (\d+)/.exec(control)?.[1] ?? 0);
}

test('a full run inside 128 MiB completes, is not OOM-killed, and scales its load tests down', { skip, timeout: 180_000 }, async () => {
  mkdirSync(GROUP);
  try {
    writeFileSync(`${GROUP}/memory.limit_in_bytes`, String(128 * 1024 * 1024));
    const result = await runScript(CLI, ['run', '--format', 'json', '--duration', '6'], {
      command: '/usr/bin/cgexec',
      prefixArgs: ['-g', `memory:${GROUP.replace('/sys/fs/cgroup/memory/', '')}`, process.execPath],
      timeoutMs: 170_000,
    });
    const kills = oomKills();
    recordFigures('memory guard', { trials: 1, leftovers: kills });
    assert.equal(kills, 0, 'the kernel OOM-killed nothing in the group');
    assert.equal(result.signal, null, `not killed (stderr: ${result.stderr.slice(0, 500)})`);
    assert.ok(result.code !== null && [0, 1, 3].includes(result.code), `a verdict exit code, got ${String(result.code)}`);
    const check = validateReport(JSON.parse(result.stdout));
    assert.ok(check.ok, check.ok ? '' : check.errors.join('; '));
    const report = check.report;
    assert.equal(report.metrics['memory.cgroup_limit_bytes'], 128 * 1024 * 1024);
    for (const probe of report.probes) assert.notEqual(probe.error?.code, 'exception', `${probe.id} did not crash: ${probe.error?.message ?? ''}`);
    const streaming = report.probes.find((p) => p.id === 'streaming');
    if (streaming) {
      const said = JSON.stringify(streaming.details);
      assert.match(said, /memory/i, 'the streaming probe says how memory shaped its load');
    }
  } finally {
    for (let attempt = 0; attempt < 50; attempt++) {
      try {
        rmdirSync(GROUP);
        break;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }
});
