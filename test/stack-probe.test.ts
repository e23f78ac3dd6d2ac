// The stack probe against Debian's redis-server started on a spare port, with and without a password,
// and a real listener for the port report.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { parseProcNetTcp } from '../probes/lib/parsers/proc.js';
import { parseRedisServerVersion } from '../probes/lib/parsers/redis.js';
import { stackProbe } from '../probes/stack.js';
import { jsonOf, runCli } from './helpers/cli.js';
import { executable, skipWithout } from './helpers/env.js';
import { runProbe } from './helpers/probe-run.js';
import { startPostgres, startRedis } from './helpers/services.js';
import { assertExitFromVerdict } from './helpers/verdict-exit.js';

interface Checked {
  target: string;
  source: string;
  reachable: boolean;
  answers: boolean;
  authRequired: boolean;
  version: string | null;
}

const redisInstalled = executable('/usr/bin/redis-server') && executable('/usr/bin/redis-cli');

function redisBinaryVersion(): string | null {
  return parseRedisServerVersion(spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout);
}

test('redis-server on a spare port is found through its process: version and running', async (t) => {
  if (skipWithout(t, redisInstalled, 'redis-server', 'apt install redis-server')) return;
  const redis = await startRedis();
  try {
    const { envelope } = await runProbe(stackProbe);
    assert.equal(envelope.status, 'ok', envelope.error?.message);
    assert.equal(envelope.metrics['stack.redis_running'], true);
    const info = spawnSync('redis-cli', ['-p', String(redis.port), 'info', 'server'], { encoding: 'utf8' }).stdout;
    assert.equal(envelope.metrics['stack.redis_version'], /redis_version:(\S+)/.exec(info)?.[1]);
    const details = envelope.details['redis'] as { checked: Checked[]; processes: Array<{ pid: number; ports: number[] }> };
    assert.ok(
      details.processes.some((p) => p.pid === redis.child.pid && p.ports.includes(redis.port)),
      JSON.stringify(details.processes),
    );
    const mine = details.checked.find((c) => c.target === `redis://127.0.0.1:${redis.port}`);
    assert.ok(mine, JSON.stringify(details.checked));
    assert.equal(mine.source, `redis-server pid ${redis.child.pid}`);
    assert.equal(mine.answers, true);
    assert.equal(mine.version, redisBinaryVersion());
  } finally {
    await redis.stop();
  }
});

test('a Redis that wants a password still counts as running; --redis-url with the password reads its version and never shows it', async (t) => {
  if (skipWithout(t, redisInstalled, 'redis-server', 'apt install redis-server')) return;
  const redis = await startRedis(['--requirepass', 'pa55-word']);
  try {
    const { envelope } = await runProbe(stackProbe);
    const details = envelope.details['redis'] as { checked: Checked[] };
    const mine = details.checked.find((c) => c.target === `redis://127.0.0.1:${redis.port}`);
    assert.ok(mine);
    assert.equal(mine.answers, true);
    assert.equal(mine.authRequired, true);
    assert.equal(mine.version, null);
    assert.equal(envelope.metrics['stack.redis_running'], true);

    const cli = await runCli(['run', '--only', 'stack', '--format', 'json', '--redis-url', `redis://:pa55-word@127.0.0.1:${redis.port}`]);
    assertExitFromVerdict(cli, jsonOf(cli)); // run exits with its verdict's code
    assert.doesNotMatch(cli.stdout, /pa55-word/, 'the password appears nowhere in the report');
    const report = jsonOf(cli) as { probes: Array<{ id: string; details: Record<string, unknown> }> };
    const checked = ((report.probes.find((p) => p.id === 'stack')?.details['redis'] ?? {}) as { checked: Checked[] }).checked;
    const viaUrl = checked.find((c) => c.source === '--redis-url');
    assert.ok(viaUrl, JSON.stringify(checked));
    assert.equal(viaUrl.target, `redis://:***@127.0.0.1:${redis.port}`);
    assert.equal(viaUrl.version, redisBinaryVersion());
  } finally {
    await redis.stop();
  }
});

test('--redis-url that is not a Redis URL is a usage error', async () => {
  const result = await runCli(['run', '--only', 'stack', '--redis-url', 'http://:secret@example']);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /--redis-url http:\/\/\*\*\*@example: expected redis:\/\/\[:password@\]host\[:port\] or the path of a unix socket/);
  assert.doesNotMatch(result.stderr, /secret/);
});

// Runs in a fresh network namespace: listens on 80 and 8000 there, then runs the stack probe in the same process.
const IN_NETNS = `
const { createServer } = await import('node:net');
const { stackProbe } = await import(process.argv[1]);
const { runProbes } = await import(process.argv[2]);
const listen = (port) => new Promise((resolve, reject) => { const s = createServer(); s.once('error', reject); s.listen(port, '0.0.0.0', () => resolve(s)); });
const servers = [await listen(80), await listen(8000)];
const report = await runProbes([stackProbe], { root: '/', quick: true, verbose: false });
process.stdout.write(JSON.stringify({ pid: process.pid, envelope: report.probes[0] }));
servers.forEach((s) => s.close());
`;

test('ports 80 and 8000 held by a process are reported with its pid and command; 443 is free (own network namespace)', async (t) => {
  const canUnshare = process.getuid?.() === 0 && executable('/usr/bin/unshare');
  if (skipWithout(t, canUnshare, 'root and unshare', 'util-linux, run as root')) return;
  const r = spawnSync(
    '/usr/bin/unshare',
    [
      '--net',
      process.execPath,
      '--input-type=module',
      '-e',
      IN_NETNS,
      new URL('../probes/stack.js', import.meta.url).href,
      new URL('../src/engine/runner.js', import.meta.url).href,
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  const { pid, envelope } = JSON.parse(r.stdout) as { pid: number; envelope: { metrics: Record<string, unknown>; details: Record<string, unknown> } };
  assert.equal(envelope.metrics['stack.port_80_free'], false);
  assert.equal(envelope.metrics['stack.port_8000_free'], false);
  assert.equal(envelope.metrics['stack.port_443_free'], true);
  const holders = envelope.details['portHolders'] as Record<string, Array<{ address: string; pid: number | null; program: string }>>;
  for (const port of ['80', '8000']) {
    assert.equal(holders[port]?.[0]?.pid, pid, `port ${port} holder`);
    assert.equal(holders[port]?.[0]?.address, '0.0.0.0');
    assert.match(holders[port]?.[0]?.program ?? '', /node/);
  }
  assert.equal(holders['443'], undefined);
});

test('ports: a listener is found in /proc/net/tcp; 80, 443 and 8000 on this host are reported as they are', async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    assert.ok(parseProcNetTcp(readFileSync('/proc/net/tcp', 'utf8'), 4).some((s) => s.port === port && s.address === '127.0.0.1'));
    const { envelope } = await runProbe(stackProbe);
    const listening = new Set(
      [...parseProcNetTcp(readFileSync('/proc/net/tcp', 'utf8'), 4), ...parseProcNetTcp(readFileSync('/proc/net/tcp6', 'utf8'), 6)].map((s) => s.port),
    );
    for (const p of [80, 443, 8000]) {
      assert.equal(envelope.metrics[`stack.port_${p}_free`], !listening.has(p), `port ${p}`);
      const holders = (envelope.details['portHolders'] as Record<string, Array<{ pid: number | null }>>)[String(p)];
      assert.equal(holders !== undefined, listening.has(p));
    }
  } finally {
    server.close();
  }
});

test("Debian's PostgreSQL started on a spare port: version and running, with its port and pg_isready", async (t) => {
  const bin = '/usr/lib/postgresql/15/bin';
  const versions = (() => {
    try {
      return readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
    } catch {
      return [];
    }
  })();
  const dir = versions[0] ? `/usr/lib/postgresql/${versions[0]}/bin` : bin;
  if (skipWithout(t, executable(`${dir}/postgres`) && process.getuid?.() === 0, 'PostgreSQL server, run as root', 'apt install postgresql')) return;
  const pg = await startPostgres(dir);
  try {
    const { envelope } = await runProbe(stackProbe);
    assert.equal(envelope.metrics['stack.postgres_running'], true);
    const version = /PostgreSQL\) (\S+)/.exec(spawnSync(`${dir}/postgres`, ['--version'], { encoding: 'utf8' }).stdout)?.[1];
    assert.ok(version);
    assert.equal(envelope.metrics['stack.postgres_version'], version);
    const servers = (envelope.details['postgres'] as { servers: Array<{ ports: number[]; ready: string | null }> }).servers;
    const mine = servers.find((s) => s.ports.includes(pg.port));
    assert.ok(mine, JSON.stringify(servers));
    assert.equal(mine.ready, 'accepting');
  } finally {
    await pg.stop();
  }
});
