// The streaming probe's pure rules: load sizing from memory, time split, statistics, validity, Redis URLs.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { judgeValidity, parseProcStatCpu, phaseSchedule, planLoad, redisForChannels, type ValiditySnapshot } from '../probes/lib/streaming/plan.js';
import { percentile, rfc3550Jitter, summariseSustained } from '../probes/lib/streaming/stats.js';
import { streamingProbe } from '../probes/streaming.js';
import { metricSpec } from '../src/report/metrics.js';
import { REPO_ROOT } from './helpers/cli.js';

const MiB = 1024 * 1024;

test('planLoad: full load with plenty of memory, scaled down when low, refused below the floor', () => {
  const big = planLoad(8 * 1024 * MiB, 20_000);
  assert.equal(big.refuse, null);
  assert.equal(big.channelsRefused, null);
  assert.equal(big.idleConnections, 256);
  assert.equal(big.largePayloadBytes, 16 * 1024);
  assert.equal(big.streamBitsPerSecond, 2_000_000);
  assert.deepEqual(big.scaledDown, []);

  const pi = planLoad(300 * MiB, 1024);
  assert.equal(pi.refuse, null);
  assert.equal(pi.channelsRefused, null);
  assert.ok(pi.idleConnections < 256 && pi.idleConnections >= 150, `idle connections ${pi.idleConnections}`);

  const small = planLoad(100 * MiB, 1024);
  assert.equal(small.refuse, null);
  assert.match(small.channelsRefused ?? '', /100 MiB .*Django Channels/);
  assert.equal(small.largePayloadBytes, 4 * 1024);
  assert.equal(small.throughputClients, 2);
  assert.ok(small.idleConnections < pi.idleConnections);
  assert.ok(small.scaledDown.length >= 2);

  const tiny = planLoad(50 * MiB, 1024);
  assert.match(tiny.refuse ?? '', /only 50 MiB .* at least 64 MiB/);

  const fewFiles = planLoad(8 * 1024 * MiB, 128);
  assert.equal(fewFiles.idleConnections, 64);
  assert.ok(fewFiles.scaledDown.some((s) => /open-file limit 128/.test(s)));

  const unknown = planLoad(null, null, 8);
  assert.equal(unknown.refuse, null);
  assert.equal(unknown.streamBitsPerSecond, 8_000_000);
  assert.match(unknown.scaledDown.join(), /unknown/);
});

test('phaseSchedule: the total is shared by the tiers and adds up to the duration', () => {
  const four = phaseSchedule(20_000, 4);
  const sum = (s: ReturnType<typeof phaseSchedule>): number => s.latencyMs + s.idleMs + s.throughputSmallMs + s.throughputLargeMs + s.sustainedMs;
  assert.equal(sum(four), 5_000);
  assert.equal(four.sustainedMs, 2_000);
  assert.equal(sum(phaseSchedule(20_000, 1)), 20_000);
  assert.equal(sum(phaseSchedule(6_000, 0)), 6_000);
});

test('percentile and RFC 3550 jitter', () => {
  const samples = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(samples, 50), 50);
  assert.equal(percentile(samples, 99), 99);
  assert.equal(percentile(samples.reverse(), 95), 95);
  assert.equal(percentile([], 50), null);
  // Perfectly regular arrivals: no jitter at all.
  const regular = Array.from({ length: 20 }, (_, i) => ({ scheduledMs: i * 10, receivedMs: i * 10 + 3 }));
  assert.equal(rfc3550Jitter(regular), 0);
  // Alternating 0 / 4 ms delay: |D| is 4 ms every time, J converges towards 4 ms.
  const alternating = Array.from({ length: 200 }, (_, i) => ({ scheduledMs: i * 10, receivedMs: i * 10 + (i % 2) * 4 }));
  const j = rfc3550Jitter(alternating) ?? 0;
  assert.ok(j > 3.9 && j <= 4, `jitter ${j}`);
  assert.equal(rfc3550Jitter([{ scheduledMs: 0, receivedMs: null }]), null);
});

test('summariseSustained: late and lost frames, achieved rate', () => {
  const interval = 64;
  const frames = Array.from({ length: 10 }, (_, i) => ({
    scheduledMs: 1000 + i * interval,
    receivedMs: (1000 + i * interval + 1) as number | null,
    bytes: 16_384,
  }));
  const onTime = summariseSustained(frames, 1000, 10 * interval, interval);
  assert.equal(onTime.lateFrames, 0);
  assert.equal(onTime.achievedBytesPerSecond, onTime.targetBytesPerSecond);
  assert.equal(onTime.targetBytesPerSecond, 256_000);
  const behind = frames.map((f, i) => ({ ...f, receivedMs: i === 9 ? null : i >= 5 ? (f.receivedMs ?? 0) + 3 * interval : f.receivedMs }));
  const summary = summariseSustained(behind, 1000, 10 * interval, interval);
  assert.equal(summary.lostFrames, 1);
  assert.equal(summary.lateFrames, 5);
  assert.equal(summary.framesEchoed, 9);
  assert.ok(summary.achievedBytesPerSecond < onTime.achievedBytesPerSecond);
  assert.ok((summary.jitterMs ?? 0) > 0);
});

function snap(overrides: Partial<ValiditySnapshot>): ValiditySnapshot {
  return { throttled: null, temperatureCelsius: 50, loadAverage1m: 0.1, cpuBusyTicks: 0, cpuTotalTicks: 0, ownTicks: 0, atMs: 0, ...overrides };
}

test('judgeValidity: throttling bits, heat, load before, other processes during', () => {
  const quiet = judgeValidity(snap({}), snap({ atMs: 10_000, cpuBusyTicks: 500, cpuTotalTicks: 2000, ownTicks: 480 }), 2);
  assert.equal(quiet.suspect, false, quiet.reasons.join());
  assert.equal(quiet.otherCpuLoad, 0.02);

  const throttledNow = judgeValidity(snap({ throttled: 0 }), snap({ throttled: 0x4, atMs: 1000 }), 4);
  assert.equal(throttledNow.suspect, true);
  assert.match(throttledNow.reasons[0] ?? '', /throttled/);
  const newSinceBoot = judgeValidity(snap({ throttled: 0x50000 }), snap({ throttled: 0x70000, atMs: 1000 }), 4);
  assert.equal(newSinceBoot.suspect, true);
  const oldSinceBoot = judgeValidity(snap({ throttled: 0x50000 }), snap({ throttled: 0x50000, atMs: 1000 }), 4);
  assert.equal(oldSinceBoot.suspect, false, 'throttling before the run that did not recur is no reason');

  assert.match(judgeValidity(snap({}), snap({ temperatureCelsius: 83.5, atMs: 1000 }), 4).reasons.join(), /83.5 °C/);
  assert.match(judgeValidity(snap({ loadAverage1m: 3.5 }), snap({ atMs: 1000 }), 2).reasons.join(), /busy before the run/);
  const busy = judgeValidity(snap({}), snap({ atMs: 10_000, cpuBusyTicks: 1500, cpuTotalTicks: 2000, ownTicks: 500 }), 2);
  assert.equal(busy.suspect, true);
  assert.equal(busy.otherCpuLoad, 1);
});

test('parseProcStatCpu counts iowait as idle and steal as busy', () => {
  assert.deepEqual(parseProcStatCpu('cpu  100 5 50 1000 20 1 2 3 0 0\ncpu0 1 2 3 4\n'), { busy: 161, total: 1181 });
  assert.equal(parseProcStatCpu('intr 1 2 3'), null);
});

test('--redis-url as channels_redis takes it, and as reports show it: never with the password', () => {
  assert.deepEqual(redisForChannels('redis://127.0.0.1:6379/2'), { url: 'redis://127.0.0.1:6379/2', shown: 'redis://127.0.0.1:6379' });
  const secret = redisForChannels('redis://:hunter2@cache.local:6380/0');
  assert.equal(secret?.url, 'redis://:hunter2@cache.local:6380/0');
  assert.doesNotMatch(secret?.shown ?? '', /hunter2/);
  assert.deepEqual(redisForChannels('/run/redis/redis.sock'), { url: 'unix:///run/redis/redis.sock', shown: 'unix:/run/redis/redis.sock' });
  assert.equal(redisForChannels('unix:///run/redis.sock?x=1')?.url.startsWith('unix:///run/redis.sock'), true);
  assert.equal(redisForChannels('redis://:p%40ss@/x'), null);
  assert.equal(redisForChannels('http://127.0.0.1:6379'), null);
  const unixSecret = redisForChannels('unix://:hunter2@localhost/run/redis.sock');
  assert.equal(unixSecret?.url, 'unix:///run/redis.sock?password=hunter2');
  assert.doesNotMatch(unixSecret?.shown ?? '', /hunter2/);
});

test('every streaming metric is in the catalogue and documented in docs/metrics.md (per tier as streaming.<tier>_...)', () => {
  const readme = readFileSync(join(REPO_ROOT, 'docs', 'metrics.md'), 'utf8');
  for (const id of streamingProbe.metrics) {
    assert.ok(metricSpec(id), `${id} is in the metric catalogue (src/report/metrics.ts)`);
    assert.ok(id.startsWith('streaming.'));
    const templated = id.replace(/^streaming\.(node|python|channels_redis|channels)_/, 'streaming.<tier>_');
    const suffix = /_(p95_ms|p99_ms)$/.exec(id)?.[1];
    const documented = readme.includes(`\`${id}\``) || readme.includes(`\`${templated}\``) || (suffix !== undefined && readme.includes(`\`_${suffix}\``));
    assert.ok(documented, `${id} is documented in README.md`);
  }
  assert.equal(streamingProbe.metrics.length, new Set(streamingProbe.metrics).size);
});
