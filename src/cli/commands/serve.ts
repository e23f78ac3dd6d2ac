// `edgeprobe serve`: the dashboard (HTTP API + web UI), and `edgeprobe serve token create|list|revoke`.
import type { Command } from 'commander';
import { EXIT, parseList, UsageError, type CommandRegistration } from '../kit.js';
import { createToken } from '../../dashboard/http/auth.js';
import { defaultDatabase, parseByteSize, serveDashboard } from '../../dashboard/launch.js';
import { openStore, parseScopes, StoreError, TOKEN_SCOPES, type Store } from '../../dashboard/store/store.js';

export interface ServeCommandOptions {
  db?: string;
  host: string;
  port: string;
  publicRead?: boolean;
  keep: string;
  maxBody: string;
  quiet?: boolean;
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

export async function run(opts: ServeCommandOptions): Promise<number> {
  const port = wholeNumber('--port', opts.port, 0, 65535);
  const keep = wholeNumber('--keep', opts.keep, 1, 1_000_000);
  const maxBody = parseByteSize('--max-body', opts.maxBody);
  await serveDashboard({ db: opts.db ?? defaultDatabase(), host: opts.host, port, publicRead: opts.publicRead === true, keepPerDevice: keep, maxBodyBytes: maxBody, quiet: opts.quiet === true });
  return EXIT.ok;
}

interface TokenCreateOptions {
  db?: string;
  scope?: string[];
  name?: string;
}

export async function createTokenCommand(opts: TokenCreateOptions): Promise<number> {
  if (!opts.scope || opts.scope.length === 0) throw new UsageError(`--scope is required: one or more of ${TOKEN_SCOPES.join(', ')}`);
  let scopes;
  try {
    scopes = parseScopes(opts.scope.join(','));
  } catch (err) {
    throw new UsageError(`--scope: ${(err as Error).message}`);
  }
  const name = opts.name ?? scopes.join('+');
  if (name.length > 100) throw new UsageError('--name may be at most 100 characters');
  return withStore(opts.db, async (store) => {
    const created = await createToken(store, name, scopes);
    process.stderr.write(`created token ${created.record.id} "${name}" with scopes ${scopes.join(', ')} in ${store.location}; it is shown only once:\n`);
    process.stdout.write(`${created.token}\n`);
    return EXIT.ok;
  });
}

export async function listTokensCommand(opts: { db?: string }): Promise<number> {
  return withStore(opts.db, async (store) => {
    const tokens = await store.listTokens();
    for (const t of tokens) {
      process.stdout.write(`${t.id}  ${t.name}  ${t.scopes.join(',')}  created ${t.createdAt}  last used ${t.lastUsedAt ?? 'never'}${t.revokedAt ? `  REVOKED ${t.revokedAt}` : ''}\n`);
    }
    if (tokens.length === 0) process.stderr.write(`no tokens in ${store.location}\n`);
    return EXIT.ok;
  });
}

export async function revokeTokenCommand(id: string, opts: { db?: string }): Promise<number> {
  return withStore(opts.db, async (store) => {
    if (!await store.revokeToken(id, new Date().toISOString())) throw new UsageError(`no active token with id ${id} in ${store.location}`);
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
    .action(async (opts: ServeCommandOptions) => setExitCode(await run(opts)));
  // --db is serve's option; the token commands read it through optsWithGlobals().
  const token = serve.command('token').description('manage the tokens that upload to and read from the dashboard').configureHelp({ showGlobalOptions: true });
  token
    .command('create')
    .description('create a token and print it (only once) on stdout')
    .configureHelp({ showGlobalOptions: true })
    .option('--scope <scopes>', `comma-separated: ${TOKEN_SCOPES.join(', ')} (admin implies the others)`, parseList)
    .option('--name <name>', 'a name to recognise it by, e.g. "ci" or "lab pis"')
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
