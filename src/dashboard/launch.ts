// Starting the dashboard for `edgeprobe serve`: open (and migrate) the store, apply retention, listen.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../platform/errors.js';
import { startDashboard, type RunningDashboard } from './http/server.js';
import { openStore, redactUrl, StoreError } from './store/store.js';

export interface ServeOptions {
  db: string;
  host: string;
  port: number;
  publicRead: boolean;
  keepPerDevice: number;
  maxBodyBytes: number;
  quiet: boolean;
}

/** $EDGEPROBE_DB, else $XDG_DATA_HOME/edgeprobe/dashboard.sqlite, else ~/.local/share/edgeprobe/dashboard.sqlite. */
export function defaultDatabase(env: NodeJS.ProcessEnv = process.env): string {
  if (env['EDGEPROBE_DB']) return env['EDGEPROBE_DB'];
  const data = env['XDG_DATA_HOME'] || join(homedir(), '.local', 'share');
  return join(data, 'edgeprobe', 'dashboard.sqlite');
}

/** "1m", "512k", "2097152" -> bytes (binary units). */
export function parseByteSize(flag: string, value: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([kmg]?)i?b?$/i.exec(value.trim());
  if (!match) throw new UsageError(`${flag} must be a size such as 1m, 512k or 1048576`);
  const factor = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(match[2] ?? '').toLowerCase()] ?? 1;
  const bytes = Math.floor(Number(match[1]) * factor);
  if (bytes < 1024 || bytes > 1024 ** 3) throw new UsageError(`${flag} must be between 1k and 1g`);
  return bytes;
}

/** Runs the dashboard until the process is stopped. */
export async function serveDashboard(options: ServeOptions): Promise<void> {
  let store;
  try {
    store = await openStore(options.db);
  } catch (err) {
    if (err instanceof StoreError) throw new UsageError(err.message);
    throw err;
  }
  const pruned = await store.applyRetention(options.keepPerDevice);
  const log = options.quiet ? undefined : (line: string): void => {
    process.stderr.write(`${line}\n`);
  };
  let running: RunningDashboard;
  try {
    running = await startDashboard({ store, keepPerDevice: options.keepPerDevice, maxBodyBytes: options.maxBodyBytes, publicRead: options.publicRead }, options.host, options.port, log);
  } catch (err) {
    await store.close();
    throw new UsageError(`cannot listen on ${options.host}:${options.port} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const where = store.kind === 'postgres' ? redactUrl(store.location) : store.location;
  process.stderr.write(
    `edgeprobe dashboard: ${store.kind} ${where}, schema v${await store.schemaVersion()}, keeps ${options.keepPerDevice} reports per device` +
    `${pruned.length > 0 ? ` (removed ${pruned.length} beyond that)` : ''}, reads ${options.publicRead ? 'public' : 'need a token'}\n`,
  );
  process.stdout.write(`listening on ${running.url}\n`);
  await new Promise<void>((resolve) => running.server.once('close', () => resolve()));
  await store.close();
}
