// Asks a Redis server three questions (AUTH if needed, PING, INFO server) over one connection, bounded
// in time. Enough to tell "running and reachable", "running but needs a password" and its version,
// without a client library.
import { createConnection, type Socket } from 'node:net';
import { encodeRespCommand, parseRedisInfo, parseRespReply, type RedisTarget, type RespValue } from './parsers/redis.js';

export interface RedisAnswer {
  reachable: boolean;
  /** PING answered PONG (or the server asked for a password, which also proves a Redis answers). */
  answers: boolean;
  authRequired: boolean;
  version: string | null;
  mode: string | null;
  /** CPU seconds (user + system) the server has used since it started; asked for with `cpu`. */
  cpuSeconds: number | null;
  error: string | null;
}

export async function askRedis(target: RedisTarget, timeoutMs: number, signal?: AbortSignal, wanted: { cpu?: boolean } = {}): Promise<RedisAnswer> {
  const answer: RedisAnswer = { reachable: false, answers: false, authRequired: false, version: null, mode: null, cpuSeconds: null, error: null };
  let socket: Socket | null = null;
  let timer: NodeJS.Timeout | undefined;
  try {
    socket = target.kind === 'unix' ? createConnection({ path: target.path }) : createConnection({ host: target.host, port: target.port });
    const sock = socket;
    sock.setEncoding('utf8');
    let buffer = '';
    const waiters: Array<(v: RespValue) => void> = [];
    const failure = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      sock.once('error', (err: NodeJS.ErrnoException) => reject(new Error(err.code ?? err.message)));
      sock.once('close', () => reject(new Error('connection closed')));
      signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
    });
    failure.catch(() => undefined);
    sock.on('data', (chunk: string) => {
      buffer += chunk;
      for (;;) {
        const parsed = parseRespReply(buffer);
        if (!parsed) break;
        buffer = parsed.rest;
        waiters.shift()?.(parsed.value);
      }
    });
    await Promise.race([new Promise<void>((resolve) => sock.once('connect', () => resolve())), failure]);
    answer.reachable = true;
    const ask = (args: string[]): Promise<RespValue> => {
      const reply = new Promise<RespValue>((resolve) => waiters.push(resolve));
      sock.write(encodeRespCommand(args));
      return Promise.race([reply, failure]);
    };
    if (target.password !== null) {
      const auth = await ask(target.username ? ['AUTH', target.username, target.password] : ['AUTH', target.password]);
      if (auth.type === 'error') answer.error = `AUTH refused: ${auth.text ?? ''}`;
    }
    const ping = await ask(['PING']);
    if (ping.type === 'simple' && ping.text === 'PONG') answer.answers = true;
    else if (ping.type === 'error' && /NOAUTH|WRONGPASS|NOPERM/.test(ping.text ?? '')) {
      answer.answers = true;
      answer.authRequired = true;
      answer.error = ping.text;
      return answer;
    } else {
      answer.error = `unexpected PING reply: ${JSON.stringify(ping).slice(0, 120)}`;
      return answer;
    }
    const info = await ask(['INFO', 'server']);
    if (info.type === 'bulk' && info.text) {
      const fields = parseRedisInfo(info.text);
      answer.version = fields['redis_version'] ?? null;
      answer.mode = fields['redis_mode'] ?? null;
    }
    if (wanted.cpu) {
      const cpu = await ask(['INFO', 'cpu']);
      const fields = cpu.type === 'bulk' && cpu.text ? parseRedisInfo(cpu.text) : {};
      const used = Number(fields['used_cpu_user']) + Number(fields['used_cpu_sys']);
      answer.cpuSeconds = Number.isFinite(used) ? used : null;
    }
    return answer;
  } catch (err) {
    answer.error = err instanceof Error ? err.message : String(err);
    return answer;
  } finally {
    clearTimeout(timer);
    socket?.destroy();
  }
}
