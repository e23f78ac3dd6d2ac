// A throwaway PostgreSQL cluster for tests: Debian's postgresql 15 binaries, initdb in a temp dir, the
// server on a spare loopback port, run as the `postgres` OS user (postgres refuses to run as root),
// stopped and removed afterwards.
import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import pg from 'pg';
import { execCommand, stopChild, trackChild } from '../../src/process.js';
import { executable } from './env.js';

export const PG_BIN = '/usr/lib/postgresql/15/bin';

export function postgresAvailable(): boolean {
  return executable(join(PG_BIN, 'initdb')) && executable(join(PG_BIN, 'postgres')) && osUser('postgres') !== null;
}

function osUser(name: string): { uid: number; gid: number } | null {
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const [user, , uid, gid] = line.split(':');
    if (user === name && uid !== undefined && gid !== undefined) return { uid: Number(uid), gid: Number(gid) };
  }
  return null;
}

export function sparePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface PostgresCluster {
  port: number;
  /** A fresh, empty database on the cluster; returns its URL. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startPostgres(): Promise<PostgresCluster> {
  const user = osUser('postgres');
  if (!user) throw new Error('no postgres OS user');
  const dir = mkdtempSync(join(tmpdir(), 'edgeprobe-pgtest-'));
  chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', LANG: 'C.UTF-8', HOME: dir };
  const init = await new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn(join(PG_BIN, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'], { uid: user.uid, gid: user.gid, env, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    trackChild(child);
    let output = '';
    child.stdout.on('data', (c: Buffer) => { output += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { output += c.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('close', (code) => { clearTimeout(timer); resolve({ code, output }); });
  });
  if (init.code !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${init.output}`);
  }
  let server: ChildProcess | null = null;
  let port = 0;
  let log = '';
  for (let attempt = 0; attempt < 5 && !server; attempt++) {
    port = await sparePort();
    const child = spawn(join(PG_BIN, 'postgres'), ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
      { uid: user.uid, gid: user.gid, env, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    trackChild(child);
    child.stdout?.on('data', (c: Buffer) => { log += c.toString(); });
    child.stderr?.on('data', (c: Buffer) => { log += c.toString(); });
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && child.exitCode === null) {
      const ready = await execCommand(join(PG_BIN, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-q'], { timeoutMs: 5000 });
      if (ready.code === 0) {
        server = child;
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    if (!server) await stopChild(child);
  }
  if (!server) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`postgres did not start: ${log.slice(-2000)}`);
  }
  const running = server;
  const admin = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    port,
    async createDatabase(name: string): Promise<string> {
      const client = new pg.Client({ connectionString: admin });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name.replace(/[^a-z0-9_]/g, '_')}"`);
      } finally {
        await client.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${name.replace(/[^a-z0-9_]/g, '_')}`;
    },
    async stop(): Promise<void> {
      // SIGINT is postgres' "fast shutdown": clients are disconnected, the server exits cleanly.
      if (running.exitCode === null && running.pid !== undefined) {
        const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
        running.kill('SIGINT');
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([exited, new Promise((r) => { timer = setTimeout(r, 10_000); })]);
        clearTimeout(timer);
      }
      await stopChild(running);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Starts a cluster before the enclosing suite's tests and removes it after them; call inside describe(). */
export function usePostgresCluster(): () => PostgresCluster {
  let cluster: PostgresCluster | undefined;
  before(async () => {
    cluster = await startPostgres();
  });
  after(async () => {
    await cluster?.stop();
  });
  return () => {
    if (!cluster) throw new Error('the PostgreSQL cluster did not start');
    return cluster;
  };
}
