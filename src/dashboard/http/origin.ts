// Who is asking and over what: the client's address (for the failed-sign-in limit), whether the request
// arrived over HTTPS (for the cookie's Secure flag and HSTS), and where a sign-in may send the browser next.
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { TLSSocket } from 'node:tls';

/** `::ffff:127.0.0.1` and `127.0.0.1` are one address. */
export function normaliseAddress(address: string): string {
  const trimmed = address.trim();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(trimmed);
  return (mapped?.[1] ?? trimmed).toLowerCase();
}

function headerValues(req: IncomingMessage, name: string): string[] {
  const raw = req.headers[name];
  const values = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
}

function fromTrustedProxy(req: IncomingMessage, trustedProxies: ReadonlySet<string>): boolean {
  const peer = req.socket.remoteAddress;
  return peer !== undefined && trustedProxies.has(normaliseAddress(peer));
}

/**
 * The client's address: the TCP peer, unless the peer is a trusted proxy; then the right-most address of
 * X-Forwarded-For that is not itself a trusted proxy. Entries to the left of it were written by the client
 * and prove nothing, so they are never used. A malformed entry falls back to the peer.
 */
export function clientAddress(req: IncomingMessage, trustedProxies: ReadonlySet<string> = new Set()): string {
  const peer = normaliseAddress(req.socket.remoteAddress ?? 'unknown');
  if (!fromTrustedProxy(req, trustedProxies)) return peer;
  const hops = headerValues(req, 'x-forwarded-for').map(normaliseAddress);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i] ?? '';
    if (isIP(hop) === 0) return peer;
    if (!trustedProxies.has(hop)) return hop;
  }
  return peer;
}

/** Over TLS here, or over TLS to a trusted proxy that says so (X-Forwarded-Proto: https). */
export function isSecureRequest(req: IncomingMessage, trustedProxies: ReadonlySet<string> = new Set()): boolean {
  if ((req.socket as Partial<TLSSocket>).encrypted === true) return true;
  if (!fromTrustedProxy(req, trustedProxies)) return false;
  const proto = headerValues(req, 'x-forwarded-proto');
  return proto[proto.length - 1]?.toLowerCase() === 'https';
}

/** Only a path on the dashboard itself may follow sign-in. Any origin stands in when none is known. */
const STAND_IN_ORIGIN = 'http://dashboard.invalid';

/**
 * Where to send the browser after sign-in: `next` parsed with the WHATWG URL parser against the dashboard's
 * origin (as browsers will parse the Location header), kept only when it resolves to that same origin, and
 * returned as its serialised path, query and fragment. Tabs and newlines (which the parser drops),
 * backslashes (which it reads as slashes) and dot segments are all resolved before the origin is compared;
 * a path that still begins with // would be read by a browser as another host, so it is refused too.
 */
export function safeNext(next: string | null, origin: string = STAND_IN_ORIGIN): string {
  if (!next) return '/';
  let base: URL;
  let target: URL;
  try {
    base = new URL(origin);
    target = new URL(next, `${base.origin}/`);
  } catch {
    return '/';
  }
  if (target.origin !== base.origin) return '/';
  const path = `${target.pathname}${target.search}${target.hash}`;
  if (!path.startsWith('/') || path.startsWith('//') || path.startsWith('/\\')) return '/';
  return path;
}

/** The dashboard's origin as this request names it, or the stand-in when the Host header is unusable. */
export function requestOrigin(req: IncomingMessage, secure: boolean): string {
  const host = req.headers.host;
  if (!host || !/^[A-Za-z0-9.:[\]-]{1,255}$/.test(host)) return STAND_IN_ORIGIN;
  try {
    return new URL(`${secure ? 'https' : 'http'}://${host}`).origin;
  } catch {
    return STAND_IN_ORIGIN;
  }
}
