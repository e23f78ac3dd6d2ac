// The dashboard's HTTP server (node:http, no framework): one enumerable route table, token auth per
// route, bounded request bodies, JSON errors {error, message} for the API and readable pages for people.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { API_ROUTES } from './api.js';
import { allows, clientAddress, presentedToken, verifyToken } from './auth.js';
import { PAGE_ROUTES, renderErrorPage } from './pages.js';
import { json, type Route, type RouteContext, type RouteResult } from './route.js';
import { Dashboard, HttpError, tooManyFailures, type DashboardSettings } from '../service.js';
import type { TokenRecord } from '../store/store.js';

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

const PAGE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

function send(res: ServerResponse, result: RouteResult, head: boolean): void {
  if (res.headersSent) return;
  const body = typeof result.body === 'string' ? Buffer.from(result.body) : result.body;
  res.writeHead(result.status, {
    ...SECURITY_HEADERS,
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

/** Reads a body up to `limit` bytes; beyond it, drains (bounded) and answers 413 without storing anything. */
function readBody(req: IncomingMessage, limit: number, accept: readonly string[]): Promise<string> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (!accept.includes(type)) {
    return Promise.reject(new HttpError(415, 'unsupported_media_type', `send the body as ${accept.join(' or ')} (got ${type || 'no content-type'})`));
  }
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding !== 'identity') {
    return Promise.reject(new HttpError(415, 'unsupported_media_type', `content-encoding ${encoding} is not accepted; send the body uncompressed`));
  }
  const tooLarge = (): HttpError => new HttpError(413, 'payload_too_large', `the body is larger than the limit of ${limit} bytes`);
  const declared = Number(req.headers['content-length']);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    // A client that declares or sends too much is read to the end (up to a cap) so it sees the 413.
    const drainCap = Math.max(limit * 4, 16 * 1024 * 1024);
    if (Number.isFinite(declared) && declared > drainCap) {
      req.resume();
      reject(tooLarge());
      return;
    }
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        if (size > drainCap) {
          req.destroy();
          reject(tooLarge());
        }
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (over) {
        reject(tooLarge());
        return;
      }
      const buffer = Buffer.concat(chunks);
      const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
      try {
        resolve(text.decode(buffer));
      } catch {
        reject(new HttpError(400, 'invalid_json', 'the body is not valid UTF-8'));
      }
    });
    req.on('error', () => reject(new HttpError(400, 'bad_request', 'the request body was cut short')));
    req.on('aborted', () => reject(new HttpError(400, 'bad_request', 'the request body was cut short')));
  });
}

/** "Last used" is recorded to the minute. */
const TOUCH_INTERVAL_MS = 60_000;

async function authenticate(dashboard: Dashboard, req: IncomingMessage): Promise<{ token: TokenRecord | null; presented: boolean }> {
  const presented = presentedToken(req.headers.authorization, req.headers.cookie);
  if (presented === null) return { token: null, presented: false };
  const address = clientAddress(req);
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

/** Errors that mean the database is busy or unreachable (not a bug, not the client's fault): 503. */
function storageUnavailable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_FULL', 'SQLITE_IOERR', '57P01', '57P02', '57P03', '53300', '08006', '08001', '08003'].includes(code)) return true;
  const message = err instanceof Error ? err.message : '';
  return /Connection terminated|connection timeout|Client has encountered a connection error|timeout exceeded when trying to connect/i.test(message);
}

export interface RequestLog {
  (line: string): void;
}

export function createRequestHandler(dashboard: Dashboard, log?: RequestLog) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = Date.now();
    let route: Route | undefined;
    let kind: 'api' | 'page' = (req.url ?? '').startsWith('/api/') ? 'api' : 'page';
    try {
      let url: URL;
      try {
        url = new URL(req.url ?? '/', 'http://dashboard.invalid');
      } catch {
        throw new HttpError(400, 'bad_request', 'malformed request URL');
      }
      const method = req.method === 'HEAD' ? 'GET' : req.method ?? 'GET';
      let params: Record<string, string> | null = null;
      const allowed: string[] = [];
      for (const candidate of ROUTES) {
        const match = matchPath(candidate.path, url.pathname);
        if (!match) continue;
        if (candidate.method === method) {
          route = candidate;
          params = match;
          break;
        }
        allowed.push(candidate.method);
      }
      if (!route || !params) {
        if (allowed.length > 0) {
          send(res, errorResult(kind, new HttpError(405, 'method_not_allowed', `${req.method ?? ''} is not allowed here (allowed: ${allowed.join(', ')})`), { allow: allowed.join(', ') }), false);
          return;
        }
        throw new HttpError(404, 'not_found', `no such page or endpoint: ${url.pathname.slice(0, 200)}`);
      }
      kind = route.kind;
      let token: TokenRecord | null = null;
      const needed = route.scope;
      if (needed !== null) {
        const auth = await authenticate(dashboard, req);
        token = auth.token;
        const open = needed === 'read' && dashboard.settings.publicRead;
        if (!open) {
          if (!token) {
            if (route.kind === 'page') {
              const next = `${url.pathname}${url.search}`;
              send(res, { status: 303, contentType: 'text/plain; charset=utf-8', body: 'sign in first\n', headers: { location: `/login?next=${encodeURIComponent(next)}` } }, false);
              return;
            }
            throw new HttpError(401, 'unauthorized', auth.presented ? 'the token is unknown, revoked or malformed' : `this endpoint needs a token with the "${needed}" scope: send Authorization: Bearer TOKEN`);
          }
          if (!allows(token.scopes, needed)) {
            throw new HttpError(403, 'forbidden', `the token "${token.name}" has the scopes ${token.scopes.join(', ')}; this needs "${needed}"`);
          }
        }
      }
      const ctx: RouteContext = {
        req, url, params, token, dashboard,
        body: (accept) => readBody(req, dashboard.settings.maxBodyBytes, accept),
      };
      const result = await route.handler(ctx);
      send(res, result, req.method === 'HEAD');
    } catch (err) {
      if (err instanceof HttpError) {
        const headers: Record<string, string> = { ...err.headers };
        if (err.status === 401) headers['www-authenticate'] = 'Bearer realm="edgeprobe"';
        if (err.status === 413) headers['connection'] = 'close';
        send(res, errorResult(kind, err, headers), req.method === 'HEAD');
      } else if (storageUnavailable(err)) {
        log?.(`storage unavailable on ${req.method ?? ''} ${req.url ?? ''}: ${err instanceof Error ? err.message : String(err)}`);
        send(res, errorResult(kind, new HttpError(503, 'unavailable', 'the dashboard cannot reach its database right now; try again shortly'), { 'retry-after': '5' }), false);
      } else {
        log?.(`internal error on ${req.method ?? ''} ${req.url ?? ''}: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
        send(res, errorResult(kind, new HttpError(500, 'internal', 'the dashboard failed to answer; see its log')), false);
      }
    } finally {
      log?.(`${new Date().toISOString()} ${req.method ?? ''} ${(req.url ?? '').slice(0, 200)} ${res.statusCode} ${Date.now() - started}ms`);
    }
  };
}

export interface RunningDashboard {
  server: Server;
  dashboard: Dashboard;
  url: string;
  close(): Promise<void>;
}

/** Starts the dashboard on host:port (port 0 picks a free one). */
export async function startDashboard(settings: DashboardSettings, host: string, port: number, log?: RequestLog): Promise<RunningDashboard> {
  const dashboard = new Dashboard(settings);
  const handler = createRequestHandler(dashboard, log);
  const server = createServer({ requestTimeout: 60_000, headersTimeout: 15_000, keepAliveTimeout: 5_000 }, (req, res) => {
    void handler(req, res);
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-type: application/json\r\n\r\n{"error":"bad_request","message":"malformed HTTP request"}\n');
    else socket.destroy();
  });
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
    server, dashboard, url: `http://${shownHost}:${address.port}`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
