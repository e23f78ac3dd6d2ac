// Starting the dashboard for `edgeprobe serve`: check where it may listen and how, open (and migrate) the
// store, apply retention, listen over HTTP or HTTPS.

import { lookup } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { UsageError } from '../platform/errors.js';
import { type RunningDashboard, startDashboard, type TlsFiles } from './http/server.js';
import { openStore, redactUrl, type Store, StoreError } from './store/store.js';

export interface ServeOptions {
  db: string;
  host: string;
  port: number;
  publicRead: boolean;
  keepPerDevice: number;
  maxBodyBytes: number;
  quiet: boolean;
  tlsCert?: string;
  tlsKey?: string;
  insecureHttp?: boolean;
  trustedProxies?: ReadonlySet<string>;
  maxDevices?: number | null;
  maxDbBytes?: number | null;
}

/** $EDGEPROBE_DB, else $XDG_DATA_HOME/edgeprobe/dashboard.sqlite, else ~/.local/share/edgeprobe/dashboard.sqlite. */
export function defaultDatabase(env: NodeJS.ProcessEnv = process.env): string {
  if (env['EDGEPROBE_DB']) return env['EDGEPROBE_DB'];
  const data = env['XDG_DATA_HOME'] || join(homedir(), '.local', 'share');
  return join(data, 'edgeprobe', 'dashboard.sqlite');
}

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** "1m", "512k", "2097152", "10g" -> bytes (binary units), within [min, max]. */
export function parseSize(flag: string, value: string, min: number, max: number): number {
  const match = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(value.trim());
  if (!match) throw new UsageError(`${flag} must be a size such as 1m, 512k or 1048576`);
  const bytes = Math.floor(Number(match[1]) * (UNITS[(match[2] ?? '').toLowerCase()] ?? 1));
  if (bytes < min || bytes > max) throw new UsageError(`${flag} must be between ${describeSize(min)} and ${describeSize(max)}`);
  return bytes;
}

function describeSize(bytes: number): string {
  for (const [unit, factor] of [
    ['t', 1024 ** 4],
    ['g', 1024 ** 3],
    ['m', 1024 ** 2],
    ['k', 1024],
  ] as const) {
    if (bytes >= factor && bytes % factor === 0) return `${bytes / factor}${unit}`;
  }
  return String(bytes);
}

/** "1m", "512k", "2097152" -> bytes (binary units), from 1k to 1g: for --max-body. */
export function parseByteSize(flag: string, value: string): number {
  return parseSize(flag, value, 1024, 1024 ** 3);
}

function isLoopbackAddress(address: string): boolean {
  const plain = address.replace(/^\[|\]$/g, '').replace(/^::ffff:/i, '');
  if (isIP(plain) === 4) return plain.startsWith('127.');
  return plain === '::1';
}

/** Does `host` name only this machine's loopback? 0.0.0.0 and :: are every address, so no. */
export async function isLoopbackHost(host: string): Promise<boolean> {
  const plain = host.replace(/^\[|\]$/g, '');
  if (isIP(plain) !== 0) return isLoopbackAddress(plain);
  try {
    const addresses = await lookup(plain, { all: true });
    return addresses.length > 0 && addresses.every((a) => isLoopbackAddress(a.address));
  } catch {
    return false;
  }
}

/** Reads and checks --tls-cert/--tls-key: both or neither, readable PEM, a key that matches the certificate. */
export function loadTls(certPath: string | undefined, keyPath: string | undefined): TlsFiles | undefined {
  if (certPath === undefined && keyPath === undefined) return undefined;
  if (certPath === undefined || keyPath === undefined) throw new UsageError('HTTPS needs both --tls-cert FILE and --tls-key FILE');
  const read = (flag: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new UsageError(`${flag} ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  };
  const files = { cert: read('--tls-cert', certPath), key: read('--tls-key', keyPath) };
  try {
    createSecureContext(files);
  } catch (err) {
    const reason = (err as Error).message.replace(/^error:[0-9A-F]+:/, '');
    throw new UsageError(
      `--tls-cert ${certPath} / --tls-key ${keyPath}: not a usable certificate and key (${reason}); both must be PEM and the key must belong to the certificate`,
    );
  }
  return files;
}

/** Plain HTTP beyond loopback sends tokens in clear text: refused unless the operator says --insecure-http. */
export async function checkListenPolicy(
  options: Pick<ServeOptions, 'host' | 'insecureHttp'>,
  tls: TlsFiles | undefined,
  warn: (line: string) => void,
): Promise<void> {
  if (tls || (await isLoopbackHost(options.host))) return;
  if (!options.insecureHttp) {
    throw new UsageError(
      `--host ${options.host} is reachable from the network, and plain HTTP would carry tokens in clear text: serve HTTPS with --tls-cert FILE --tls-key FILE (or put a TLS proxy in front and listen on 127.0.0.1), or pass --insecure-http to do it anyway`,
    );
  }
  warn(`edgeprobe dashboard: WARNING: --insecure-http: serving plain HTTP on ${options.host}; tokens and session cookies cross the network in clear text`);
}

/** Runs the dashboard until the process is stopped. */
export async function serveDashboard(options: ServeOptions): Promise<void> {
  const warn = (line: string): void => {
    process.stderr.write(`${line}\n`);
  };
  const tls = loadTls(options.tlsCert, options.tlsKey);
  await checkListenPolicy(options, tls, warn);
  let store: Store;
  try {
    store = await openStore(options.db);
  } catch (err) {
    if (err instanceof StoreError) throw new UsageError(err.message);
    throw err;
  }
  const pruned = await store.applyRetention(options.keepPerDevice);
  const log = options.quiet ? undefined : warn;
  let running: RunningDashboard;
  try {
    running = await startDashboard(
      {
        store,
        keepPerDevice: options.keepPerDevice,
        maxBodyBytes: options.maxBodyBytes,
        publicRead: options.publicRead,
        maxDevices: options.maxDevices ?? null,
        maxDbBytes: options.maxDbBytes ?? null,
        trustedProxies: options.trustedProxies ?? new Set(),
      },
      options.host,
      options.port,
      log,
      tls,
    );
  } catch (err) {
    await store.close();
    throw new UsageError(`cannot listen on ${options.host}:${options.port} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const where = store.kind === 'postgres' ? redactUrl(store.location) : store.location;
  const limits = [
    options.maxDevices ? `at most ${options.maxDevices} devices` : '',
    options.maxDbBytes ? `at most ${describeSize(options.maxDbBytes)} of database` : '',
  ]
    .filter(Boolean)
    .join(', ');
  warn(
    `edgeprobe dashboard: ${store.kind} ${where}, schema v${await store.schemaVersion()}, keeps ${options.keepPerDevice} reports per device` +
      `${pruned.length > 0 ? ` (removed ${pruned.length} beyond that)` : ''}${limits ? `, ${limits}` : ''}, reads ${options.publicRead ? 'public' : 'need a token'}` +
      `${options.trustedProxies && options.trustedProxies.size > 0 ? `, trusts X-Forwarded-For from ${[...options.trustedProxies].join(', ')}` : ''}`,
  );
  process.stdout.write(`listening on ${running.url}\n`);
  await new Promise<void>((resolve) => running.server.once('close', () => resolve()));
  await store.close();
}
