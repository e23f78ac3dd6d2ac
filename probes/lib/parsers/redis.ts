// Redis: connection targets, `redis-server --version`, redis.conf, INFO and RESP replies. Pure.

export type RedisTarget =
  | { kind: 'tcp'; host: string; port: number; username: string | null; password: string | null }
  | { kind: 'unix'; path: string; username: string | null; password: string | null };

/** redis://[[user]:password@]host[:port][/db] or an absolute unix socket path (also unix:///path). */
export function parseRedisTarget(text: string): RedisTarget | null {
  const value = text.trim();
  if (value.startsWith('/')) return { kind: 'unix', path: value, username: null, password: null };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  const username = url.username ? decodeURIComponent(url.username) : null;
  const password = url.password ? decodeURIComponent(url.password) : null;
  if (url.protocol === 'unix:') return url.pathname.startsWith('/') ? { kind: 'unix', path: url.pathname, username, password } : null;
  if (url.protocol !== 'redis:') return null;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!host) return null;
  const port = url.port ? Number(url.port) : 6379;
  if (!Number.isInteger(port) || port < 1 || port > 65535) return null;
  return { kind: 'tcp', host, port, username: username === '' ? null : username, password };
}

/** A target as people may see it: never with its password. */
export function describeRedisTarget(target: RedisTarget): string {
  const auth = target.password !== null ? `${target.username ?? ''}:***@` : '';
  return target.kind === 'unix' ? `unix:${target.path}` : `redis://${auth}${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
}

/** "Redis server v=7.0.15 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=..." -> "7.0.15". */
export function parseRedisServerVersion(text: string): string | null {
  return /\bv=(\d+\.\d+(?:\.\d+)?)/.exec(text)?.[1] ?? /Redis server version (\d+\.\d+(?:\.\d+)?)/i.exec(text)?.[1] ?? null;
}

/** INFO's "key:value" lines. */
export function parseRedisInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    if (!line || line.startsWith('#')) continue;
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

export interface RedisConf {
  port: number | null;
  bind: string[];
  unixsocket: string | null;
  requirepass: boolean;
}

/** The settings of redis.conf that say where a server listens. */
export function parseRedisConf(text: string): RedisConf {
  const conf: RedisConf = { port: null, bind: [], unixsocket: null, requirepass: false };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [key, ...rest] = line.split(/\s+/);
    const values = rest.map((v) => v.replace(/^"(.*)"$/, '$1'));
    switch (key?.toLowerCase()) {
      case 'port': {
        const port = Number(values[0]);
        if (Number.isInteger(port) && port >= 0 && port <= 65535) conf.port = port;
        break;
      }
      case 'bind':
        conf.bind = values.map((v) => v.replace(/^-/, ''));
        break;
      case 'unixsocket':
        conf.unixsocket = values[0] ?? null;
        break;
      case 'requirepass':
        conf.requirepass = (values[0] ?? '') !== '';
        break;
      default:
        break;
    }
  }
  return conf;
}

export type RespValue = { type: 'simple' | 'error' | 'bulk'; text: string | null } | { type: 'integer'; value: number };

/** One complete RESP reply at the start of `buffer`, or null while more bytes are needed. */
export function parseRespReply(buffer: string): { value: RespValue; rest: string } | null {
  const end = buffer.indexOf('\r\n');
  if (end < 0) return null;
  const head = buffer[0];
  const line = buffer.slice(1, end);
  const after = buffer.slice(end + 2);
  switch (head) {
    case '+':
      return { value: { type: 'simple', text: line }, rest: after };
    case '-':
      return { value: { type: 'error', text: line }, rest: after };
    case ':':
      return { value: { type: 'integer', value: Number(line) }, rest: after };
    case '$': {
      const length = Number(line);
      if (length < 0) return { value: { type: 'bulk', text: null }, rest: after };
      if (Buffer.byteLength(after) < length + 2) return null;
      const bytes = Buffer.from(after);
      return { value: { type: 'bulk', text: bytes.subarray(0, length).toString('utf8') }, rest: bytes.subarray(length + 2).toString('utf8') };
    }
    default:
      return { value: { type: 'error', text: `not a Redis reply: ${JSON.stringify(buffer.slice(0, 40))}` }, rest: '' };
  }
}

/** A command in RESP: an array of bulk strings. */
export function encodeRespCommand(args: readonly string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}
