// The real agent in a child cgroup whose parent has the memory limit, with a sibling that already holds part
// of it (cgroup v1, set here as root): what the sibling holds is not available to the agent's group.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { validateReport } from '../src/report/validate.js';
import { CGROUP_V1, makeGroup, requireCgroupV1 } from './helpers/cgroups.js';
import { AGENT_BUNDLE, jsonOf, runScript } from './helpers/cli.js';
import { executable } from './helpers/env.js';

const skip = requireCgroupV1(['memory']) || (executable('/usr/bin/python3') ? false : 'no python3 to hold memory in the sibling group');
const MiB = 1024 * 1024;

/** Starts python3 in `group` holding `bytes` of anonymous memory; resolves once it is held. */
function holdMemory(group: string, bytes: number): Promise<{ stop: () => void }> {
  const child = spawn(
    '/usr/bin/cgexec',
    [
      '-g',
      `memory:${group}`,
      '/usr/bin/python3',
      '-c',
      `import sys,time\nb=bytearray(${bytes})\nfor i in range(0,len(b),4096): b[i]=1\nprint('held',flush=True)\ntime.sleep(120)`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the memory holder did not start')), 30_000);
    child.stdout.once('data', () => {
      clearTimeout(timer);
      resolve({ stop: () => child.kill('SIGKILL') });
    });
    child.once('error', reject);
  });
}

test('a 300 MiB limit on the parent, 200 MiB of it held by a sibling: the agent reports at most ~100 MiB available', { skip }, async () => {
  const parent = `edgeprobe-test-${process.pid}-parent`;
  const removeParent = makeGroup('memory', parent, { 'memory.limit_in_bytes': String(300 * MiB) });
  const removeChildren = [`${parent}/agent`, `${parent}/sibling`].map((name) => makeGroup('memory', name, {}));
  let holder: { stop: () => void } | undefined;
  try {
    holder = await holdMemory(`${parent}/sibling`, 200 * MiB);
    const result = await runScript(AGENT_BUNDLE, ['run', '--quick', '--only', 'memory', '--format', 'json'], {
      command: '/usr/bin/cgexec',
      prefixArgs: ['-g', `memory:${parent}/agent`, process.execPath],
      timeoutMs: 60_000,
    });
    const report = jsonOf(result);
    const check = validateReport(report);
    assert.ok(check.ok, check.ok ? '' : check.errors.join('; '));
    const metrics = report['metrics'] as Record<string, number>;
    const parentUsage = Number(readFileSync(`${CGROUP_V1}/memory/${parent}/memory.usage_in_bytes`, 'utf8'));
    assert.equal(metrics['memory.cgroup_path'] as unknown, `/${parent}/agent`);
    assert.equal(metrics['memory.cgroup_limit_bytes'], 300 * MiB);
    assert.ok(parentUsage >= 200 * MiB, `the sibling's 200 MiB are charged to the parent (${parentUsage})`);
    const available = metrics['memory.effective_available_bytes'] ?? Number.NaN;
    assert.ok(available <= 100 * MiB + 8 * MiB, `available ${Math.round(available / MiB)} MiB: the sibling's 200 MiB count against the parent's 300`);
    assert.ok(available > 0, 'some memory is left');
  } finally {
    holder?.stop();
    for (const remove of removeChildren) remove();
    removeParent();
  }
});
