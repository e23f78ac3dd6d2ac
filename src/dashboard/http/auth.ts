// Tokens for the dashboard: `ep_<id>_<secret>`. Only sha256(secret) is stored; a presented token is
// looked up by its id and its secret compared with the stored hash in constant time.
// The secret is 32 random bytes, so a plain sha256 is enough (no password stretching needed).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Store, TokenRecord, TokenScope } from '../store/store.js';

const TOKEN_PATTERN = /^ep_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

export interface NewToken {
  /** The token to hand to the user, shown once. */
  token: string;
  record: TokenRecord;
}

function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/** What an upload token is bound to (`--devices`, `--max-devices`); unbound by default. */
export interface TokenBinding {
  devicePattern?: string | null;
  maxDevices?: number | null;
}

export function generateToken(name: string, scopes: TokenScope[], now = new Date(), binding: TokenBinding = {}): NewToken {
  const id = randomBytes(6).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return {
    token: `ep_${id}_${secret}`,
    record: {
      id,
      name,
      scopes,
      hash: hashSecret(secret).toString('hex'),
      createdAt: now.toISOString(),
      lastUsedAt: null,
      revokedAt: null,
      devicePattern: binding.devicePattern ?? null,
      maxDevices: binding.maxDevices ?? null,
    },
  };
}

export async function createToken(store: Store, name: string, scopes: TokenScope[], binding: TokenBinding = {}): Promise<NewToken> {
  const created = generateToken(name, scopes, new Date(), binding);
  await store.createToken(created.record);
  return created;
}

/** Does a token with these scopes allow `needed`? admin allows everything. */
export function allows(scopes: readonly TokenScope[], needed: TokenScope): boolean {
  return scopes.includes('admin') || scopes.includes(needed);
}

const DUMMY_HASH = hashSecret('edgeprobe-no-such-token');

/** The token record for a presented token, or null when it is malformed, unknown, revoked or wrong. */
export async function verifyToken(store: Store, presented: string): Promise<TokenRecord | null> {
  const match = TOKEN_PATTERN.exec(presented.trim());
  if (!match) return null;
  const [, id = '', secret = ''] = match;
  const record = await store.getToken(id);
  const expected = record ? Buffer.from(record.hash, 'hex') : DUMMY_HASH;
  const actual = hashSecret(secret);
  const equal = expected.length === actual.length && timingSafeEqual(expected, actual);
  if (!record || !equal || record.revokedAt !== null) return null;
  return record;
}

/** The token carried by a request: `Authorization: Bearer T`, else the browser session cookie. */
export function presentedToken(authorization: string | undefined, cookieHeader: string | undefined): string | null {
  if (authorization) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return match?.[1] ?? '';
  }
  const cookie = readCookie(cookieHeader, SESSION_COOKIE);
  return cookie ?? null;
}

export const SESSION_COOKIE = 'edgeprobe_token';

export function readCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return null;
      }
    }
  }
  return null;
}

/**
 * Failed sign-ins per client address: after `maxFailures` wrong tokens within `windowMs`, the address gets
 * 429 with Retry-After until the window that began with its first failure ends. Bounded in memory.
 */
export class AuthLimiter {
  private readonly failures = new Map<string, { count: number; resetAt: number }>();

  constructor(
    readonly maxFailures = 10,
    readonly windowMs = 60_000,
    private readonly maxAddresses = 10_000,
  ) {}

  /** Seconds until `address` may try again, or 0 when it is not blocked. */
  retryAfter(address: string, now = Date.now()): number {
    const entry = this.failures.get(address);
    if (!entry) return 0;
    if (entry.resetAt <= now) {
      this.failures.delete(address);
      return 0;
    }
    return entry.count >= this.maxFailures ? Math.max(1, Math.ceil((entry.resetAt - now) / 1000)) : 0;
  }

  fail(address: string, now = Date.now()): void {
    const entry = this.failures.get(address);
    if (entry && entry.resetAt > now) {
      entry.count++;
      return;
    }
    if (this.failures.size >= this.maxAddresses) {
      for (const [key, value] of this.failures) if (value.resetAt <= now) this.failures.delete(key);
      if (this.failures.size >= this.maxAddresses) {
        const oldest = this.failures.keys().next();
        if (!oldest.done) this.failures.delete(oldest.value);
      }
    }
    this.failures.set(address, { count: 1, resetAt: now + this.windowMs });
  }
}
