// PostgreSQL for the dashboard suites: the shared throwaway cluster of test/helpers/services.ts (Debian's
// postgresql 15, initdb in a temp dir as the `postgres` user, a spare loopback port, removed afterwards),
// with a fresh database per suite.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before } from 'node:test';
import pg from 'pg';
import { executable } from './env.js';
import { type Postgres, startPostgres } from './services.js';

export const PG_BIN = '/usr/lib/postgresql/15/bin';

export function postgresAvailable(): boolean {
  const user = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .some((line) => line.startsWith('postgres:'));
  return user && executable(join(PG_BIN, 'initdb')) && executable(join(PG_BIN, 'postgres'));
}

export interface PostgresCluster {
  port: number;
  /** A fresh, empty database on the cluster; returns its URL. */
  createDatabase(name: string): Promise<string>;
}

/** Starts a cluster before the enclosing suite's tests and removes it after them; call inside describe(). */
export function usePostgresCluster(): () => PostgresCluster {
  let server: Postgres | undefined;
  before(async () => {
    server = await startPostgres(PG_BIN);
  });
  after(async () => {
    await server?.stop();
  });
  return () => {
    const running = server;
    if (!running) throw new Error('the PostgreSQL cluster did not start');
    return {
      port: running.port,
      async createDatabase(name: string): Promise<string> {
        const safe = name.replace(/[^a-z0-9_]/g, '_');
        const client = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${running.port}/postgres` });
        await client.connect();
        try {
          await client.query(`CREATE DATABASE "${safe}"`);
        } finally {
          await client.end();
        }
        return `postgres://postgres@127.0.0.1:${running.port}/${safe}`;
      },
    };
  };
}
