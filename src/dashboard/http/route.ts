// The shape of a dashboard route and the helpers handlers share.
import type { IncomingMessage } from 'node:http';
import type { Dashboard } from '../service.js';
import type { TokenRecord, TokenScope } from '../store/store.js';

export type Method = 'GET' | 'POST' | 'DELETE';

export interface RouteResult {
  status: number;
  contentType: string;
  body: string | Buffer;
  headers?: Record<string, string>;
}

export interface RouteContext {
  req: IncomingMessage;
  url: URL;
  params: Record<string, string>;
  token: TokenRecord | null;
  dashboard: Dashboard;
  /** The client's address: the TCP peer, or what a trusted proxy says (--trust-proxy). */
  clientAddress: string;
  /** Reached over HTTPS (here, or at a trusted proxy). */
  secure: boolean;
  /** The dashboard's origin as this request names it (for checking where sign-in may lead). */
  origin: string;
  /** Reads the request body (bounded by the dashboard's limit), checking its media type. */
  body(accept: readonly string[]): Promise<string>;
}

export interface Route {
  method: Method;
  /** e.g. /api/v1/devices/:id */
  path: string;
  /** The scope a token needs; null for public routes. `read` routes are public under --public-read. */
  scope: TokenScope | null;
  /** api routes answer JSON errors; page routes answer HTML and send people to /login. */
  kind: 'api' | 'page';
  summary: string;
  handler(ctx: RouteContext): Promise<RouteResult>;
}

export function json(status: number, value: unknown, headers?: Record<string, string>): RouteResult {
  return { status, contentType: 'application/json; charset=utf-8', body: `${JSON.stringify(value, null, 2)}\n`, ...(headers ? { headers } : {}) };
}
