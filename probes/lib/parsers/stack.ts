// Version lines of the deployment stack's programs. Pure.

/** nginx -v: "nginx version: nginx/1.22.1"; also "nginx version: openresty/1.21.4.1". */
export function parseNginxVersion(text: string): string | null {
  return /nginx version: [a-z]+\/(\d+(?:\.\d+)+)/i.exec(text)?.[1] ?? null;
}

/** caddy version: "v2.6.2 h1:..." (Caddy 2) or "Caddy v1.0.4". */
export function parseCaddyVersion(text: string): string | null {
  return /(?:^|\s)v(\d+\.\d+(?:\.\d+)?)/m.exec(text)?.[1] ?? null;
}

/** apache2 -v / httpd -v: "Server version: Apache/2.4.57 (Debian)". */
export function parseApacheVersion(text: string): string | null {
  return /Apache\/(\d+\.\d+(?:\.\d+)?)/.exec(text)?.[1] ?? null;
}

/** lighttpd -v: "lighttpd/1.4.69 (ssl) - a light and fast webserver". */
export function parseLighttpdVersion(text: string): string | null {
  return /lighttpd\/(\d+\.\d+(?:\.\d+)?)/.exec(text)?.[1] ?? null;
}

/** postgres --version / psql --version / pg_config --version: "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)", "PostgreSQL 15.4". */
export function parsePostgresVersion(text: string): string | null {
  return /PostgreSQL\)?\s+(\d+(?:\.\d+)?(?:beta\d+|rc\d+)?)/.exec(text)?.[1] ?? null;
}

/** memcached -V: "memcached 1.6.18". */
export function parseMemcachedVersion(text: string): string | null {
  return /^memcached (\d+\.\d+(?:\.\d+)?)/m.exec(text.trim())?.[1] ?? null;
}

/** pg_isready: "127.0.0.1:5432 - accepting connections" (exit 0), "- rejecting connections" (1), "- no response" (2). */
export function parsePgIsReady(text: string): 'accepting' | 'rejecting' | 'no response' | null {
  const match = /- (accepting connections|rejecting connections|no response|no attempt)/.exec(text);
  if (!match?.[1]) return null;
  if (match[1].startsWith('accepting')) return 'accepting';
  if (match[1].startsWith('rejecting')) return 'rejecting';
  return 'no response';
}
