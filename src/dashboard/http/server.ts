// The dashboard's HTTP server (node:http, or node:https with --tls-cert/--tls-key; no framework): one
// enumerable route table, token auth per route, bounded request bodies, JSON errors {error, message} for
// the API and readable pages for people.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Dashboard, type DashboardSettings, HttpError, tooManyFailures } from '../service.js';
import type { TokenRecord } from '../store/store.js';
import { API_ROUTES } from './api.js';
import { allows, presentedToken, verifyToken } from './auth.js';
import { readBody } from './body.js';
import { clientAddress, isSecureRequest, requestOrigin } from './origin.js';
import { PAGE_ROUTES, renderErrorPage } from './pages.js';
import { json, type Route, type RouteContext, type RouteResult } from './route.js';

export type { Route, RouteContext, RouteResult } from './route.js';

/** Every route the dashboard serves, in matching order (for docs, tests and the reliability suite). */
export const ROUTES: readonly Route[] = [...API_ROUTES, ...PAGE_ROUTES];

function matchPath(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i] ?? '';
    const g = got[i] ?? '';
    if (w.startsWith(':')) {
      if (g === '') return null;
      try {
        params[w.slice(1)] = decodeURIComponent(g);
      } catch {
        throw new HttpError(400, 'bad_request', `malformed percent-encoding in the path: ${g.slice(0, 80)}`);
      }
    } else if (w !== g) {
      return null;
    }
  }
  return params;
}

const SECURITY_HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/** Sent on every answer over HTTPS: browsers then refuse plain HTTP to this host for 180 days. */
export const HSTS = 'max-age=15552000';

const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

function send(res: ServerResponse, result: RouteResult, head: boolean, secure: boolean): void {
  if (res.headersSent) return;
  const body = typeof result.body === 'string' ? Buffer.from(result.body) : result.body;
  res.writeHead(result.status, {
    ...SECURITY_HEADERS,
    ...(secure ? { 'strict-transport-security': HSTS } : {}),
    ...(result.contentType.startsWith('text/html') ? { 'content-security-policy': PAGE_CSP } : {}),
    'cache-control': 'no-store',
    'content-type': result.contentType,
    'content-length': String(body.length),
    ...result.headers,
  });
  res.end(head ? undefined : body);
}

function errorResult(kind: 'api' | 'page', err: HttpError, headers?: Record<string, string>): RouteResult {
  if (kind === 'page') {
    return { status: err.status, contentType: 'text/html; charset=utf-8', body: renderErrorPage(err.status, err.message), ...(headers ? { headers } : {}) };
  }
  const payload: Record<string, unknown> = { error: err.code, message: err.message };
  if (err.details !== undefined) payload['details'] = err.details;
  return json(err.status, payload, headers);
}

/** "Last used" is recorded to the minute. */
const TOUCH_INTERVAL_MS = 60_000;

async function authenticate(dashboard: Dashboard, req: IncomingMessage, address: string): Promise<{ token: TokenRecord | null; presented: boolean }> {
  const presented = presentedToken(req.headers.authorization, req.headers.cookie);
  if (presented === null) return { token: null, presented: false };
  const wait = dashboard.authLimiter.retryAfter(address);
  if (wait > 0) throw tooManyFailures(wait);
  const token = await verifyToken(dashboard.store, presented);
  if (!token) dashboard.authLimiter.fail(address);
  const now = Date.now();
  if (token && (token.lastUsedAt === null || now - Date.parse(token.lastUsedAt) > TOUCH_INTERVAL_MS)) {
    // Best effort, and at most once a minute per token, so that reads do not each cost a durable write.
    await dashboard.store.touchToken(token.id, new Date(now).toISOString()).catch(() => undefined);
  }
  return { token, presented: true };
}

const UNAVAILABLE_CODES = [
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_IOERR',
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '08006',
  '08001',
  '08003',
];
/** The disk under the database is full (SQLite, PostgreSQL's disk_full): 507, like the dashboard's own limits. */
const DISK_FULL_CODES = ['SQLITE_FULL', '53100'];

/** Errors that mean the database is busy, unreachable or out of disk: not a bug, not the client's fault. */
function storageProblem(err: unknown): HttpError | null {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && DISK_FULL_CODES.includes(code)) {
    return new HttpError(507, 'insufficient_storage', "the dashboard's disk is full; nothing was stored", { reason: 'disk_full' });
  }
  const message = err instanceof Error ? err.message : '';
  if (
    (typeof code === 'string' && UNAVAILABLE_CODES.includes(code)) ||
    /Connection terminated|connection timeout|Client has encountered a connection error|timeout exceeded when trying to connect/i.test(message)
  ) {
    return new HttpError(503, 'unavailable', 'the dashboard cannot reach its database right now; try again shortly', undefined, { 'retry-after': '5' });
  }
  return null;
}

export type RequestLog = (line: string) => void;

/** The route for a method and path; throws 404, or 405 with the methods the path allows. */
function findRoute(method: string, path: string): { route: Route; params: Record<string, string> } {
  const allowed: string[] = [];
  for (const candidate of ROUTES) {
    const match = matchPath(candidate.path, path);
    if (!match) continue;
    if (candidate.method === method) return { route: candidate, params: match };
    allowed.push(candidate.method);
  }
  if (allowed.length > 0)
    throw new HttpError(405, 'method_not_allowed', `${method} is not allowed here (allowed: ${allowed.join(', ')})`, undefined, { allow: allowed.join(', ') });
  throw new HttpError(404, 'not_found', `no such page or endpoint: ${path.slice(0, 200)}`);
}

/** The token the route needs, or a refusal: 401 (API) or a redirect to sign in (pages), 403 for a lacking scope. */
async function authorise(dashboard: Dashboard, req: IncomingMessage, route: Route, url: URL, address: string): Promise<TokenRecord | null | RouteResult> {
  const needed = route.scope;
  if (needed === null) return null;
  const auth = await authenticate(dashboard, req, address);
  if (needed === 'read' && dashboard.settings.publicRead) return auth.token;
  if (!auth.token) {
    if (route.kind === 'page') {
      const next = `${url.pathname}${url.search}`;
      return {
        status: 303,
        contentType: 'text/plain; charset=utf-8',
        body: 'sign in first\n',
        headers: { location: `/login?next=${encodeURIComponent(next)}` },
      };
    }
    throw new HttpError(
      401,
      'unauthorized',
      auth.presented
        ? 'the token is unknown, revoked or malformed'
        : `this endpoint needs a token with the "${needed}" scope: send Authorization: Bearer TOKEN`,
    );
  }
  if (!allows(auth.token.scopes, needed)) {
    throw new HttpError(403, 'forbidden', `the token "${auth.token.name}" has the scopes ${auth.token.scopes.join(', ')}; this needs "${needed}"`);
  }
  return auth.token;
}

function parseUrl(req: IncomingMessage): URL {
  try {
    return new URL(req.url ?? '/', 'http://dashboard.invalid');
  } catch {
    throw new HttpError(400, 'bad_request', 'malformed request URL');
  }
}

function failure(err: unknown, req: IncomingMessage, log: RequestLog | undefined): HttpError {
  if (err instanceof HttpError) return err;
  const storage = storageProblem(err);
  if (storage) {
    log?.(`storage problem on ${req.method ?? ''} ${req.url ?? ''}: ${err instanceof Error ? err.message : String(err)}`);
    return storage;
  }
  log?.(`internal error on ${req.method ?? ''} ${req.url ?? ''}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  return new HttpError(500, 'internal', 'the dashboard failed to answer; see its log');
}

export function createRequestHandler(dashboard: Dashboard, log?: RequestLog) {
  const trusted = dashboard.settings.trustedProxies ?? new Set<string>();
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = Date.now();
    const secure = isSecureRequest(req, trusted);
    const address = clientAddress(req, trusted);
    let kind: 'api' | 'page' = (req.url ?? '').startsWith('/api/') ? 'api' : 'page';
    const head = req.method === 'HEAD';
    try {
      const url = parseUrl(req);
      const { route, params } = findRoute(head ? 'GET' : (req.method ?? 'GET'), url.pathname);
      kind = route.kind;
      const token = await authorise(dashboard, req, route, url, address);
      if (token !== null && 'status' in token) {
        send(res, token, false, secure);
        return;
      }
      const ctx: RouteContext = {
        req,
        url,
        params,
        token,
        dashboard,
        clientAddress: address,
        secure,
        origin: requestOrigin(req, secure),
        body: (accept) => readBody(req, dashboard.settings.maxBodyBytes, accept),
      };
      send(res, await route.handler(ctx), head, secure);
    } catch (err) {
      const problem = failure(err, req, log);
      const headers: Record<string, string> = { ...problem.headers };
      if (problem.status === 401) headers['www-authenticate'] = 'Bearer realm="edgeprobe"';
      if (problem.status === 413) headers['connection'] = 'close';
      send(res, errorResult(kind, problem, headers), head && problem.status < 500, secure);
    } finally {
      log?.(`${new Date().toISOString()} ${address} ${req.method ?? ''} ${(req.url ?? '').slice(0, 200)} ${res.statusCode} ${Date.now() - started}ms`);
    }
  };
}

export interface RunningDashboard {
  server: Server;
  dashboard: Dashboard;
  url: string;
  close(): Promise<void>;
}

/** PEM certificate chain and key for HTTPS. */
export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
}

const SERVER_TIMEOUTS = { requestTimeout: 60_000, headersTimeout: 15_000, keepAliveTimeout: 5_000 };

/** Starts the dashboard on host:port (port 0 picks a free one), over HTTPS when given a certificate. */
export async function startDashboard(settings: DashboardSettings, host: string, port: number, log?: RequestLog, tls?: TlsFiles): Promise<RunningDashboard> {
  const dashboard = new Dashboard(settings);
  const handler = createRequestHandler(dashboard, log);
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    void handler(req, res);
  };
  const server: Server = tls
    ? createTlsServer({ ...SERVER_TIMEOUTS, cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' }, listener)
    : createServer(SERVER_TIMEOUTS, listener);
  server.on('clientError', (_err, socket) => {
    if (socket.writable)
      socket.end(
        'HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-type: application/json\r\n\r\n{"error":"bad_request","message":"malformed HTTP request"}\n',
      );
    else socket.destroy();
  });
  // A TLS handshake that fails (a client that does not trust the certificate, a port scan) is the client's business.
  server.on('tlsClientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    server,
    dashboard,
    url: `${tls ? 'https' : 'http'}://${shownHost}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
