// The streaming figures track the device's capacity: the same run inside a cgroup v1 CPU quota of 0.5 CPU
// carries clearly fewer messages per second than outside it. The machine is shared and noisy, so the runs
// are interleaved (free, limited, free, limited ...) and their medians compared.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { percentile } from '../probes/lib/streaming/stats.js';
import type { Report } from '../src/report/types.js';
import { makeGroup, requireCgroupV1 } from './helpers/cgroups.js';
import { CLI, runScript } from './helpers/cli.js';
import { assertExitFromVerdict } from './helpers/verdict-exit.js';

const skip = requireCgroupV1(['cpu']);

test('a 0.5 CPU quota makes streaming throughput clearly lower than the same run without it', { timeout: 120_000, skip }, async (t) => {
  const name = `edgeprobe-test-${randomUUID()}`;
  const remove = makeGroup('cpu', name, { 'cpu.cfs_period_us': '100000', 'cpu.cfs_quota_us': '50000' });
  try {
    const membership = await runScript('/proc/self/cgroup', [], { command: '/usr/bin/cgexec', prefixArgs: ['-g', `cpu:${name}`, 'cat'] });
    assert.match(membership.stdout, new RegExp(`^\\d+:cpu(,cpuacct)?:/${name}$`, 'm'), 'cgexec puts processes into the group');
    const args = ['run', '--only', 'streaming', '--streaming-tiers', 'node', '--duration', '2', '--format', 'json'];
    const once = async (limited: boolean): Promise<{ messages: number; bytes: number }> => {
      const result = limited
        ? await runScript(CLI, args, { command: '/usr/bin/cgexec', prefixArgs: ['-g', `cpu:${name}`, process.execPath] })
        : await runScript(CLI, args);
      assertExitFromVerdict(result, JSON.parse(result.stdout) as Record<string, unknown>); // run exits with its verdict's code
      const report = JSON.parse(result.stdout) as Report;
      const messages = report.metrics['streaming.node_messages_per_second'];
      const bytes = report.metrics['streaming.node_bytes_per_second'];
      assert.equal(typeof messages, 'number');
      assert.equal(typeof bytes, 'number');
      return { messages: messages as number, bytes: bytes as number };
    };
    const free: number[] = [];
    const limited: number[] = [];
    const freeBytes: number[] = [];
    const limitedBytes: number[] = [];
    for (let round = 0; round < 3; round++) {
      const a = await once(false);
      const b = await once(true);
      free.push(a.messages);
      freeBytes.push(a.bytes);
      limited.push(b.messages);
      limitedBytes.push(b.bytes);
    }
    const freeMedian = percentile(free, 50) ?? 0;
    const limitedMedian = percentile(limited, 50) ?? 0;
    t.diagnostic(`messages/s without quota ${free.join(', ')}; with 0.5 CPU ${limited.join(', ')}`);
    t.diagnostic(`bytes/s without quota ${freeBytes.join(', ')}; with 0.5 CPU ${limitedBytes.join(', ')}`);
    assert.ok(limitedMedian < 0.7 * freeMedian, `median ${limitedMedian} msg/s under the quota vs ${freeMedian} without`);
    assert.ok((percentile(limitedBytes, 50) ?? 0) < 0.7 * (percentile(freeBytes, 50) ?? 0), 'bytes per second drop too');
  } finally {
    remove();
  }
});
