// The streaming probe end to end, through the real CLI and the one-file agent streamed on stdin: every
// tier against Debian's Django, Channels, daphne, uvicorn and channels_redis with a real redis-server;
// proof that a Channels consumer served the channels tiers; no Python at all; the suspect flag.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Report } from '../src/report/types.js';
import { AGENT_BUNDLE, runCli, runScript } from './helpers/cli.js';
import { executable, requireComponent } from './helpers/env.js';
import { startRedis } from './helpers/services.js';
import { channelsStackPresent, DEBIAN_HINT, DEBIAN_PYTHON } from './helpers/streaming.js';
import { assertExitFromVerdict } from './helpers/verdict-exit.js';

const skipChannels =
  requireComponent(channelsStackPresent(), 'Debian python3-django/-channels/-daphne/-uvicorn/-channels-redis', DEBIAN_HINT) ||
  requireComponent(executable('/usr/bin/redis-server'), 'redis-server', DEBIAN_HINT);

const TIERS = ['node', 'python', 'channels', 'channels_redis'] as const;

function streamingOf(stdout: string): { report: Report; probe: Report['probes'][number] } {
  const report = JSON.parse(stdout) as Report;
  const probe = report.probes.find((p) => p.id === 'streaming');
  assert.ok(probe, 'the report has a streaming probe');
  return { report, probe };
}

function tierDetails(probe: Report['probes'][number], tier: string): Record<string, unknown> {
  const tiers = probe.details['tiers'] as Record<string, Record<string, unknown>>;
  const details = tiers[tier];
  assert.ok(details, `details for ${tier}`);
  return details;
}

/** Every figure of every tier is a number with ordered percentiles; the probe's overall figures (idle connections, Redis CPU share...) too. */
function assertEveryTierMeasured(report: Report, probe: Report['probes'][number]): void {
  for (const tier of TIERS) {
    for (const name of [
      'messages_per_second',
      'bytes_per_second',
      'p50_ms',
      'p95_ms',
      'p99_ms',
      'bytes_per_connection',
      'sustained_bytes_per_second',
      'sustained_jitter_ms',
    ]) {
      const value = report.metrics[`streaming.${tier}_${name}`];
      assert.equal(
        typeof value,
        'number',
        `streaming.${tier}_${name} = ${String(value)} (${JSON.stringify((probe.details['unmeasured'] as Record<string, string> | undefined)?.[`streaming.${tier}_${name}`])})`,
      );
    }
    assert.ok((report.metrics[`streaming.${tier}_messages_per_second`] as number) > 0);
    const p50 = report.metrics[`streaming.${tier}_p50_ms`] as number;
    const p99 = report.metrics[`streaming.${tier}_p99_ms`] as number;
    assert.ok(p50 > 0 && p50 <= p99, `${tier}: p50 ${p50} <= p99 ${p99}`);
    assert.equal(typeof report.metrics[`streaming.${tier}_sustained_late_frames`], 'number');
  }
  assert.equal(report.metrics['streaming.bytes_per_connection'], report.metrics['streaming.channels_bytes_per_connection']);
  assert.ok((report.metrics['streaming.idle_connections'] as number) >= 8);
  assert.equal(report.metrics['streaming.sustained_target_bytes_per_second'], 250_000);
  assert.equal(typeof report.metrics['streaming.suspect'], 'boolean');
  // Redis's own CPU while it carried the channels_redis tier: a share of one core, so the capacity model can bound by it.
  const redisShare = report.metrics['streaming.redis_cpu_share'] as number;
  assert.ok(redisShare > 0 && redisShare <= 1.5, `streaming.redis_cpu_share = ${String(redisShare)}`);
}

/** The echo server of each channels tier is the generated consumer, on the expected layer and server. */
function assertChannelsConsumerServed(probe: Report['probes'][number], asgi: string): void {
  for (const [tier, layer] of [
    ['channels', 'channels.layers.InMemoryChannelLayer'],
    ['channels_redis', 'channels_redis.core.RedisChannelLayer'],
  ] as const) {
    const details = tierDetails(probe, tier);
    const identity = details['identity'] as Record<string, unknown>;
    assert.equal(identity['served_by'], 'django-channels');
    assert.equal(identity['consumer'], 'edgeprobe_echo.consumers.EchoConsumer');
    assert.equal(identity['layer'], layer);
    assert.equal(identity['asgi_server'], asgi);
    assert.match(String(identity['channel_name']), /^specific\..*!/);
    assert.match(String(identity['django']), /^\d+\.\d+/);
    assert.ok((identity['echoed'] as number) >= (details['echoesReceived'] as number));
    assert.ok((details['echoesReceived'] as number) > 100);
    assert.equal(details['asgiServer'], asgi);
  }
  assert.equal((tierDetails(probe, 'python')['identity'] as Record<string, unknown>)['served_by'], 'python-asyncio');
  assert.equal((tierDetails(probe, 'node')['identity'] as Record<string, unknown>)['served_by'], 'node-ws');
}

for (const asgi of ['daphne', 'uvicorn'] as const) {
  test(`all four tiers measure, under ${asgi}, and a Channels consumer served the channels tiers`, { timeout: 90_000, skip: skipChannels }, async () => {
    const redis = await startRedis();
    try {
      const args = [
        'run',
        '--only',
        'memory,cpu,streaming',
        '--duration',
        '8',
        '--python',
        DEBIAN_PYTHON,
        '--redis-url',
        `redis://127.0.0.1:${redis.port}/0`,
        '--asgi-server',
        asgi,
        '--format',
        'json',
      ];
      // daphne through the one-file agent streamed on stdin (the way devices get it), uvicorn through the CLI.
      const result =
        asgi === 'daphne'
          ? await runScript('-', args, { input: readFileSync(AGENT_BUNDLE, 'utf8'), timeoutMs: 80_000 })
          : await runCli(args, { timeoutMs: 80_000 });
      assertExitFromVerdict(result, JSON.parse(result.stdout) as Record<string, unknown>); // run exits with its verdict's code
      const { report, probe } = streamingOf(result.stdout);
      assert.equal(probe.status, 'ok', JSON.stringify(probe.error));
      assertEveryTierMeasured(report, probe);
      // The proof: the echo server of each channels tier is the generated consumer, on the expected layer
      // and server, and it echoed at least every message the driver got back.
      assertChannelsConsumerServed(probe, asgi);
      assert.equal((probe.details['redis'] as Record<string, unknown>)['url'], `redis://127.0.0.1:${redis.port}`);
    } finally {
      await redis.stop();
    }
  });
}

test('a Redis reached through its unix socket carries the channels_redis tier', { timeout: 90_000, skip: skipChannels }, async () => {
  const socketDir = mkdtempSync(join(tmpdir(), 'edgeprobe-test-redis-socket-'));
  const socket = join(socketDir, 'redis.sock');
  const redis = await startRedis(['--unixsocket', socket, '--unixsocketperm', '700']);
  try {
    const args = ['run', '--only', 'memory,cpu,streaming', '--duration', '4', '--python', DEBIAN_PYTHON, '--redis-url', socket, '--format', 'json'];
    const result = await runCli(args, { timeoutMs: 80_000 });
    assertExitFromVerdict(result, JSON.parse(result.stdout) as Record<string, unknown>);
    const { report, probe } = streamingOf(result.stdout);
    const unmeasured = probe.details['unmeasured'] as Record<string, string> | undefined;
    assert.equal(
      typeof report.metrics['streaming.channels_redis_messages_per_second'],
      'number',
      JSON.stringify(unmeasured?.['streaming.channels_redis_messages_per_second']),
    );
    const identity = tierDetails(probe, 'channels_redis')['identity'] as Record<string, unknown>;
    assert.equal(identity['layer'], 'channels_redis.core.RedisChannelLayer');
    assert.equal((probe.details['redis'] as Record<string, unknown>)['url'], `unix:${socket}`);
  } finally {
    await redis.stop();
    rmSync(socketDir, { recursive: true, force: true });
  }
});

test('without any Python the python and channels tiers are null with reasons and the node tier still measures', { timeout: 60_000 }, async () => {
  const bin = mkdtempSync(join(tmpdir(), 'edgeprobe-test-nopython-'));
  try {
    symlinkSync(process.execPath, join(bin, 'node'));
    const result = await runCli(['run', '--only', 'memory,streaming', '--duration', '2', '--format', 'json'], { env: { ...process.env, PATH: bin } });
    assertExitFromVerdict(result, JSON.parse(result.stdout) as Record<string, unknown>); // run exits with its verdict's code
    const { report, probe } = streamingOf(result.stdout);
    assert.equal(probe.status, 'ok');
    assert.equal(typeof report.metrics['streaming.node_messages_per_second'], 'number');
    assert.equal(typeof report.metrics['streaming.node_p99_ms'], 'number');
    assert.equal(typeof report.metrics['streaming.node_sustained_bytes_per_second'], 'number');
    const unmeasured = probe.details['unmeasured'] as Record<string, string>;
    for (const tier of ['python', 'channels', 'channels_redis']) {
      assert.equal(report.metrics[`streaming.${tier}_messages_per_second`], null);
      assert.equal(report.metrics[`streaming.${tier}_p99_ms`], null);
      assert.equal(unmeasured[`streaming.${tier}_messages_per_second`], 'no Python 3 interpreter found');
    }
    assert.equal(report.metrics['streaming.bytes_per_connection'], null);
    assert.match(unmeasured['streaming.bytes_per_connection'] ?? '', /neither the channels nor the python tier/);
  } finally {
    rmSync(bin, { recursive: true, force: true });
  }
});

test('--quick and --root leave every streaming metric null with the reason; bad options exit 2', { timeout: 30_000 }, async () => {
  const quick = await runCli(['run', '--quick', '--only', 'streaming', '--format', 'json']);
  assertExitFromVerdict(quick, JSON.parse(quick.stdout) as Record<string, unknown>); // run exits with its verdict's code
  const { probe } = streamingOf(quick.stdout);
  assert.ok(Object.values(probe.metrics).every((v) => v === null));
  assert.equal((probe.details['unmeasured'] as Record<string, string>)['streaming.node_messages_per_second'], 'skipped by --quick');
  const tree = mkdtempSync(join(tmpdir(), 'edgeprobe-test-tree-'));
  try {
    mkdirSync(join(tree, 'proc'));
    const rooted = await runCli(['run', '--root', tree, '--only', 'streaming', '--format', 'json']);
    assertExitFromVerdict(rooted, JSON.parse(rooted.stdout) as Record<string, unknown>); // run exits with its verdict's code
    assert.match(
      String((streamingOf(rooted.stdout).probe.details['unmeasured'] as Record<string, string>)['streaming.python_p99_ms']),
      /needs the live system/,
    );
  } finally {
    rmSync(tree, { recursive: true, force: true });
  }
  for (const bad of [
    ['--duration', '300'],
    ['--redis-url', 'http://x'],
    ['--streaming-tiers', 'node,rust'],
    ['--asgi-server', 'gunicorn'],
    ['--stream-bitrate', '0'],
  ]) {
    const result = await runCli(['run', '--only', 'streaming', ...bad]);
    assert.equal(result.code, 2, `${bad.join(' ')}: ${result.stderr}`);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('a busy device makes the result suspect, in the details and in the text output', { timeout: 60_000 }, async () => {
  // Two busy loops for the run's length: other processes using the CPU while the probe measures. They are killed
  // when the run ends; their own end, past the test's timeout, only bounds them if this process dies first.
  const burners = [0, 1].map(() => spawn(process.execPath, ['-e', 'const end = Date.now() + 90000; while (Date.now() < end) {}'], { stdio: 'ignore' }));
  try {
    const result = await runCli(['run', '--only', 'streaming', '--streaming-tiers', 'node', '--duration', '2', '--format', 'text']);
    assert.ok([0, 1, 3].includes(result.code ?? -1), `a verdict's exit code, got ${String(result.code)}: ${result.stderr}`);
    assert.match(result.stdout, /streaming\.suspect\s+true/);
    assert.match(result.stdout, /note: results are suspect: .*other processes used \d+\.\d+ CPUs while the probe ran/);
  } finally {
    for (const burner of burners) burner.kill('SIGKILL');
  }
});

test('the python probe chooses the interpreter and the ASGI server the channels tier uses', { timeout: 60_000, skip: skipChannels }, async () => {
  const result = await runCli([
    'run',
    '--only',
    'memory,python,streaming',
    '--python',
    DEBIAN_PYTHON,
    '--python-only',
    '--streaming-tiers',
    'channels',
    '--duration',
    '1.5',
    '--format',
    'json',
  ]);
  assertExitFromVerdict(result, JSON.parse(result.stdout) as Record<string, unknown>); // run exits with its verdict's code
  const { report, probe } = streamingOf(result.stdout);
  assert.equal(report.metrics['python.path'], DEBIAN_PYTHON);
  const python = probe.details['python'] as Record<string, unknown>;
  assert.equal(python['source'], 'python probe (python.path)');
  assert.equal(python['channelsInterpreter'], DEBIAN_PYTHON);
  const asgi = probe.details['asgiServer'] as Record<string, unknown>;
  assert.equal(asgi['server'], report.metrics['python.asgi_server']);
  assert.equal(asgi['why'], 'python.asgi_server');
  const identity = tierDetails(probe, 'channels')['identity'] as Record<string, unknown>;
  assert.equal(identity['asgi_server'], report.metrics['python.asgi_server']);
  assert.equal(typeof report.metrics['streaming.channels_messages_per_second'], 'number');
});
