// `edgeprobe serve`: the dashboard (HTTP API + web UI), and `edgeprobe serve token create|list|revoke`.
import { isIP } from 'node:net';
import type { Command } from 'commander';
import { createToken } from '../../dashboard/http/auth.js';
import { normaliseAddress } from '../../dashboard/http/origin.js';
import { defaultDatabase, parseByteSize, parseSize, serveDashboard } from '../../dashboard/launch.js';
import {
  openStore,
  parseDevicePattern,
  parseScopes,
  type Store,
  StoreError,
  TOKEN_SCOPES,
  type TokenRecord,
  type TokenScope,
} from '../../dashboard/store/store.js';
import { type CommandRegistration, EXIT, parseList, UsageError } from '../kit.js';

export interface ServeCommandOptions {
  db?: string;
  host: string;
  port: string;
  publicRead?: boolean;
  keep: string;
  maxBody: string;
  quiet?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  insecureHttp?: boolean;
  trustProxy?: string[];
  maxDevices?: string;
  maxDbSize?: string;
}

async function withStore<T>(db: string | undefined, work: (store: Store) => Promise<T>): Promise<T> {
  let store: Store;
  try {
    store = await openStore(db ?? defaultDatabase());
  } catch (err) {
    if (err instanceof StoreError) throw new UsageError(err.message);
    throw err;
  }
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

function wholeNumber(flag: string, value: string, min: number, max: number): number {
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) throw new UsageError(`${flag} must be a whole number from ${min} to ${max}`);
  return Number(value);
}

function trustedProxies(values: readonly string[] | undefined): Set<string> {
  const out = new Set<string>();
  for (const value of values ?? []) {
    const address = value.replace(/^\[|\]$/g, '');
    if (isIP(address) === 0) throw new UsageError(`--trust-proxy ${value}: give the proxy's IP address (e.g. 127.0.0.1 or ::1), not a name`);
    out.add(normaliseAddress(address));
  }
  return out;
}

export async function run(opts: ServeCommandOptions): Promise<number> {
  const port = wholeNumber('--port', opts.port, 0, 65535);
  const keep = wholeNumber('--keep', opts.keep, 1, 1_000_000);
  const maxBody = parseByteSize('--max-body', opts.maxBody);
  const maxDevices = opts.maxDevices === undefined ? null : wholeNumber('--max-devices', opts.maxDevices, 1, 100_000_000);
  // Below a few MiB the schema and one device's reports would not fit.
  const maxDbBytes = opts.maxDbSize === undefined ? null : parseSize('--max-db-size', opts.maxDbSize, 4 * 1024 ** 2, 64 * 1024 ** 4);
  await serveDashboard({
    db: opts.db ?? defaultDatabase(),
    host: opts.host,
    port,
    publicRead: opts.publicRead === true,
    keepPerDevice: keep,
    maxBodyBytes: maxBody,
    quiet: opts.quiet === true,
    insecureHttp: opts.insecureHttp === true,
    trustedProxies: trustedProxies(opts.trustProxy),
    maxDevices,
    maxDbBytes,
    ...(opts.tlsCert !== undefined ? { tlsCert: opts.tlsCert } : {}),
    ...(opts.tlsKey !== undefined ? { tlsKey: opts.tlsKey } : {}),
  });
  return EXIT.ok;
}

interface TokenCreateOptions {
  db?: string | undefined;
  scope?: string[];
  name?: string;
  devices?: string;
  maxDevices?: string;
}

export async function createTokenCommand(opts: TokenCreateOptions): Promise<number> {
  if (!opts.scope || opts.scope.length === 0) throw new UsageError(`--scope is required: one or more of ${TOKEN_SCOPES.join(', ')}`);
  let scopes: TokenScope[];
  try {
    scopes = parseScopes(opts.scope.join(','));
  } catch (err) {
    throw new UsageError(`--scope: ${(err as Error).message}`);
  }
  const name = opts.name ?? scopes.join('+');
  if (name.length > 100) throw new UsageError('--name may be at most 100 characters');
  let devicePattern: string | null = null;
  try {
    devicePattern = opts.devices === undefined ? null : parseDevicePattern(opts.devices);
  } catch (err) {
    throw new UsageError(`--devices: ${(err as Error).message}`);
  }
  const maxDevices = opts.maxDevices === undefined ? null : wholeNumber('--max-devices', opts.maxDevices, 1, 100_000_000);
  if ((devicePattern !== null || maxDevices !== null) && !scopes.includes('upload')) {
    throw new UsageError('--devices and --max-devices bind what a token uploads: give it the upload scope (an admin token is never bound)');
  }
  if ((devicePattern !== null || maxDevices !== null) && scopes.includes('admin')) {
    throw new UsageError('an admin token may upload for any device: --devices and --max-devices would not bind it');
  }
  return withStore(opts.db, async (store) => {
    const created = await createToken(store, name, scopes, { devicePattern, maxDevices });
    process.stderr.write(
      `created token ${created.record.id} "${name}" with scopes ${scopes.join(', ')}, ${describeBinding(created.record, 0)}, in ${store.location}; it is shown only once:\n`,
    );
    process.stdout.write(`${created.token}\n`);
    return EXIT.ok;
  });
}

export async function listTokensCommand(opts: { db?: string }): Promise<number> {
  return withStore(opts.db, async (store) => {
    const tokens = await store.listTokens();
    const created = await store.devicesPerToken();
    for (const t of tokens) {
      const binding = t.scopes.includes('upload') || t.scopes.includes('admin') ? `  ${describeBinding(t, created[t.id] ?? 0)}` : '';
      process.stdout.write(
        `${t.id}  ${t.name}  ${t.scopes.join(',')}${binding}  created ${t.createdAt}  last used ${t.lastUsedAt ?? 'never'}${t.revokedAt ? `  REVOKED ${t.revokedAt}` : ''}\n`,
      );
    }
    if (tokens.length === 0) process.stderr.write(`no tokens in ${store.location}\n`);
    return EXIT.ok;
  });
}

/** "devices lab-pi-* (3 created, at most 20)", or what an unbound token may do. */
export function describeBinding(token: TokenRecord, createdDevices: number): string {
  if (token.scopes.includes('admin')) return `devices: any (admin; ${createdDevices} created)`;
  const names = token.devicePattern === null ? 'any new device, not those of other tokens' : token.devicePattern;
  const count = token.maxDevices === null ? `${createdDevices} created` : `${createdDevices} created, at most ${token.maxDevices}`;
  return `devices: ${names} (${count})`;
}

export async function revokeTokenCommand(id: string, opts: { db?: string }): Promise<number> {
  return withStore(opts.db, async (store) => {
    if (!(await store.revokeToken(id, new Date().toISOString()))) throw new UsageError(`no active token with id ${id} in ${store.location}`);
    process.stderr.write(`revoked token ${id}\n`);
    return EXIT.ok;
  });
}

const DB_HELP = 'SQLite file, or postgres://user:pass@host/db (default: $EDGEPROBE_DB or ~/.local/share/edgeprobe/dashboard.sqlite)';

export const registerServe: CommandRegistration = (program: Command, setExitCode) => {
  const serve = program
    .command('serve')
    .description('run the dashboard: JSON API and web UI for uploaded reports (see also: serve token --help)')
    .option('--db <path|url>', DB_HELP)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0: any free port)', '8080')
    .option('--public-read', 'let anyone read (pages and GET endpoints) without a token; uploads still need one')
    .option('--keep <n>', 'reports kept per device; older ones are removed', '100')
    .option('--max-body <size>', 'largest upload accepted, e.g. 1m, 512k', '1m')
    .option('-q, --quiet', 'no request log on stderr')
    .option('--tls-cert <file>', 'serve HTTPS with this PEM certificate (chain); needs --tls-key')
    .option('--tls-key <file>', 'the PEM private key of --tls-cert')
    .option('--insecure-http', 'allow plain HTTP on an address other than loopback (tokens then travel in clear text)')
    .option('--trust-proxy <addr>', 'believe X-Forwarded-For (and -Proto) only from this proxy address (repeatable, comma-separated)', parseList)
    .option('--max-devices <n>', 'devices the dashboard may hold; an upload for one more is refused with 507')
    .option('--max-db-size <size>', 'size the database may grow to, e.g. 2g; uploads that would grow it beyond are refused with 507')
    .action(async (opts: ServeCommandOptions) => setExitCode(await run(opts)));
  // --db is serve's option; the token commands read it through optsWithGlobals().
  const token = serve.command('token').description('manage the tokens that upload to and read from the dashboard').configureHelp({ showGlobalOptions: true });
  token
    .command('create')
    .description('create a token and print it (only once) on stdout')
    .configureHelp({ showGlobalOptions: true })
    .option('--scope <scopes>', `comma-separated: ${TOKEN_SCOPES.join(', ')} (admin implies the others)`, parseList)
    .option('--name <name>', 'a name to recognise it by, e.g. "ci" or "lab pis"')
    .option('--devices <patterns>', "upload only for devices with these names: comma-separated globs, e.g. 'lab-pi-*'")
    .option('--max-devices <n>', 'create at most this many devices')
    // `serve` has a --max-devices of its own, and commander hands the option to it wherever it stands: for
    // `token create` it can only mean the token's limit.
    .action(async (_opts: TokenCreateOptions, cmd: Command) => setExitCode(await createTokenCommand(cmd.optsWithGlobals<TokenCreateOptions>())));
  token
    .command('list')
    .description('list tokens (ids, names, scopes, last use; never the secrets)')
    .configureHelp({ showGlobalOptions: true })
    .action(async (_opts: { db?: string }, cmd: Command) => setExitCode(await listTokensCommand(cmd.optsWithGlobals<{ db?: string }>())));
  token
    .command('revoke')
    .description('revoke a token by its id')
    .argument('<id>', 'token id, as `token list` shows it')
    .configureHelp({ showGlobalOptions: true })
    .action(async (id: string, _opts: { db?: string }, cmd: Command) => setExitCode(await revokeTokenCommand(id, cmd.optsWithGlobals<{ db?: string }>())));
};
