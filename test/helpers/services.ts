// Real servers for tests, each on private paths and spare ports, stopped and removed afterwards.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './leftovers.js';

/** Binds 127.0.0.1:port and releases it: the port if that worked, else null. */
function freeNow(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(null));
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : null;
      server.close(() => resolve(bound));
    });
  });
}

/** The first port of the kernel's range for outgoing connections' source ports (net.ipv4.ip_local_port_range). */
function ephemeralStart(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (Number.isInteger(low)) return low;
  } catch {
    // Not Linux: the IANA dynamic range.
  }
  return 49152;
}

/**
 * A TCP port that was free a moment ago (bound to 127.0.0.1 then released), below the ephemeral range: a test
 * that keeps it free for a while (a dashboard restarted on the same URL, a port nobody answers on) must not
 * see an outgoing connection of this machine take it as its source port, which one from port 0 could.
 */
export async function sparePort(): Promise<number> {
  const ephemeral = ephemeralStart();
  const lowest = 10_000;
  if (ephemeral - lowest >= 1000) {
    for (let attempt = 0; attempt < 50; attempt++) {
      const port = await freeNow(lowest + Math.floor(Math.random() * (ephemeral - lowest)));
      if (port !== null) return port;
    }
  }
  const port = await freeNow(0);
  if (port === null) throw new Error('no free TCP port on 127.0.0.1');
  return port;
}

export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export function stopProcess(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export interface Supervisord {
  dir: string;
  config: string;
  includeDir: string;
  child: ChildProcess;
  ctl(args: string[]): { status: number | null; out: string };
  stop(): Promise<void>;
}

/** Debian's supervisord in the foreground with a private config, socket and include dir. */
export async function startSupervisord(options: { include?: boolean } = {}): Promise<Supervisord> {
  const dir = mkdtempSync(join(tmpdir(), 'edgeprobe-test-supervisord-'));
  const includeDir = join(dir, 'conf.d');
  mkdirSync(includeDir);
  const config = join(dir, 'supervisord.conf');
  const socket = join(dir, 'supervisor.sock');
  writeFileSync(
    config,
    [
      '[unix_http_server]',
      `file=${socket}`,
      'chmod=0700',
      '',
      '[supervisord]',
      `logfile=${join(dir, 'supervisord.log')}`,
      `pidfile=${join(dir, 'supervisord.pid')}`,
      `childlogdir=${dir}`,
      'nodaemon=true',
      '',
      '[rpcinterface:supervisor]',
      'supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface',
      '',
      '[supervisorctl]',
      `serverurl=unix://${socket}`,
      '',
      ...(options.include === false ? [] : ['[include]', 'files = conf.d/*.conf', '']),
    ].join('\n'),
  );
  const child = spawn('supervisord', ['-c', config], { stdio: 'ignore' });
  const ctl = (args: string[]): { status: number | null; out: string } => {
    const r = spawnSync('supervisorctl', ['-c', config, ...args], { encoding: 'utf8', timeout: 10_000 });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  };
  const stop = async (): Promise<void> => {
    await stopProcess(child, 5000);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitUntil(() => /^\d+\s*$/.test(ctl(['pid']).out), 15_000, 'supervisord to answer');
  } catch (err) {
    await stop();
    throw err;
  }
  return { dir, config, includeDir, child, ctl, stop };
}

export interface RedisServer {
  port: number;
  dir: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Debian's redis-server on a spare loopback port, no persistence, private working dir. */
export async function startRedis(extraArgs: string[] = []): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'edgeprobe-test-redis-'));
  for (let attempt = 0; ; attempt++) {
    const port = await sparePort();
    const child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', ...extraArgs],
      { stdio: 'ignore' },
    );
    const stop = async (): Promise<void> => {
      await stopProcess(child);
      rmSync(dir, { recursive: true, force: true });
    };
    try {
      await waitUntil(
        () =>
          spawnSync(
            'redis-cli',
            [
              '-p',
              String(port),
              ...(extraArgs.includes('--requirepass') ? ['--no-auth-warning', '-a', extraArgs[extraArgs.indexOf('--requirepass') + 1] ?? ''] : []),
              'ping',
            ],
            { encoding: 'utf8' },
          ).stdout.trim() === 'PONG',
        10_000,
        'redis-server to answer',
      );
      return { port, dir, child, stop };
    } catch (err) {
      await stopProcess(child);
      if (attempt >= 2) {
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }
}

export interface Postgres {
  port: number;
  dir: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Debian's PostgreSQL: a fresh cluster (initdb as the postgres user) on a spare loopback port, socket in its own dir. */
export async function startPostgres(bin: string): Promise<Postgres> {
  const dir = mkdtempSync(join(tmpdir(), 'edgeprobe-test-postgres-'));
  chmodSync(dir, 0o755);
  const data = join(dir, 'data');
  const asPostgres = (args: string[]): ReturnType<typeof spawnSync> =>
    spawnSync('runuser', ['-u', 'postgres', '--', ...args], { encoding: 'utf8', timeout: 120_000 });
  mkdirSync(data, { mode: 0o700 });
  spawnSync('chown', ['-R', 'postgres:postgres', dir]);
  const init = asPostgres([join(bin, 'initdb'), '-D', data, '--auth=trust', '--no-sync', '-U', 'postgres']);
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${String(init.stderr)}`);
  }
  const port = await sparePort();
  const child = spawn(
    'runuser',
    ['-u', 'postgres', '--', join(bin, 'postgres'), '-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'],
    { stdio: 'ignore', detached: true },
  );
  const stop = async (): Promise<void> => {
    if (child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // gone
      }
    }
    await stopProcess(child, 10_000);
    rmSync(dir, { recursive: true, force: true });
  };
  const ready = await waitFor(() => spawnSync(join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port)]).status === 0, 30_000, 100);
  if (!ready) {
    await stop();
    throw new Error('postgres did not become ready');
  }
  return { port, dir, child, stop };
}
