// The streaming probe's load driver: WebSocket clients inside the agent, the same for every server tier.
// Every phase is bounded by its own deadline and by the probe's abort signal; every socket it opens is
// closed before the phase returns, whatever happens.
import { randomBytes } from 'node:crypto';
import type WebSocket from 'ws';
import { abortError, asBuffer, ClientPool, PhaseError, sleep, withClients } from './clients.js';
import { percentile, roundTo, type SustainedFrame, type SustainedSummary, summariseSustained } from './stats.js';

const IDENTIFY = 'edgeprobe:identify';

export interface Identity {
  served_by?: string;
  echoed?: number;
  [key: string]: unknown;
}

/** Asks a server who it is: every tier answers "edgeprobe:identify" with a JSON tag and its echo count. */
export async function identify(url: string, timeoutMs: number, signal: AbortSignal): Promise<Identity> {
  return withClients(url, 1, timeoutMs, signal, async ([socket]) => {
    if (!socket) throw new PhaseError('no connection');
    const reply = new Promise<Identity>((resolve, reject) => {
      const timer = setTimeout(() => reject(new PhaseError('no answer to the identify message')), timeoutMs);
      socket.on('message', (data, isBinary) => {
        if (isBinary) return;
        clearTimeout(timer);
        try {
          const parsed: unknown = JSON.parse(asBuffer(data).toString('utf8'));
          if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) resolve(parsed as Identity);
          else reject(new PhaseError('identify answer is not a JSON object'));
        } catch {
          reject(new PhaseError('identify answer is not JSON'));
        }
      });
      socket.once('close', () => reject(new PhaseError('connection closed before the identify answer')));
      signal.addEventListener('abort', () => reject(abortError(signal)), { once: true });
    });
    socket.send(IDENTIFY);
    return reply;
  });
}

export interface LatencyResult {
  clients: number;
  payloadBytes: number;
  samples: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  meanMs: number | null;
  maxMs: number | null;
  echoes: number;
}

/** Latency: each client keeps exactly one message in flight; round trips after a short warm-up count. */
export async function latencyPhase(
  url: string,
  options: { clients: number; payloadBytes: number; durationMs: number; connectTimeoutMs: number },
  signal: AbortSignal,
): Promise<LatencyResult> {
  return withClients(url, options.clients, options.connectTimeoutMs, signal, async (sockets) => {
    const payload = randomBytes(options.payloadBytes);
    const start = performance.now();
    const warmEnd = start + Math.min(250, options.durationMs * 0.1);
    const end = start + options.durationMs;
    const samples: number[] = [];
    let echoes = 0;
    const loops = sockets.map(
      (socket) =>
        new Promise<void>((resolve, reject) => {
          let sentAt = 0;
          const sendNext = (): void => {
            if (performance.now() >= end || signal.aborted) {
              resolve();
              return;
            }
            sentAt = performance.now();
            socket.send(payload);
          };
          socket.on('message', (data) => {
            const now = performance.now();
            if (asBuffer(data).length !== payload.length) {
              reject(new PhaseError(`echo of ${asBuffer(data).length} bytes for a ${payload.length}-byte message`));
              return;
            }
            echoes++;
            if (sentAt >= warmEnd) samples.push(now - sentAt);
            sendNext();
          });
          socket.once('close', () => reject(new PhaseError('server closed the connection during the latency phase')));
          sendNext();
        }),
    );
    // A server that stops answering must not hold the phase past its deadline.
    const watchdog = sleep(options.durationMs + Math.max(2000, options.durationMs), signal).then(() => {
      throw new PhaseError('server stopped answering during the latency phase');
    });
    watchdog.catch(() => undefined);
    await Promise.race([Promise.all(loops), watchdog]);
    const mean = samples.length === 0 ? null : samples.reduce((a, b) => a + b, 0) / samples.length;
    const round = (value: number | null): number | null => (value === null ? null : roundTo(value, 3));
    return {
      clients: options.clients,
      payloadBytes: options.payloadBytes,
      samples: samples.length,
      p50Ms: round(percentile(samples, 50)),
      p95Ms: round(percentile(samples, 95)),
      p99Ms: round(percentile(samples, 99)),
      meanMs: round(mean),
      maxMs: round(samples.length === 0 ? null : Math.max(...samples)),
      echoes,
    };
  });
}

export interface ThroughputResult {
  clients: number;
  window: number;
  payloadBytes: number;
  measuredMs: number;
  messages: number;
  messagesPerSecond: number;
  bytesPerSecond: number;
  /** CPU seconds the server process used between the warm-up and the deadline, and the echoes per such second. */
  serverCpuSeconds: number | null;
  messagesPerCpuSecond: number | null;
  echoes: number;
}

/**
 * Throughput: each client keeps `window` messages in flight (pipelined) and sends one more for each echo.
 * Echoes that arrive after a warm-up and before the deadline count; bytes are payload bytes echoed.
 */
export async function throughputPhase(
  url: string,
  options: {
    clients: number;
    window: number;
    payloadBytes: number;
    durationMs: number;
    connectTimeoutMs: number;
    /** Called for every echo received (the soak counts them second by second). */
    onEcho?: () => void;
    /** CPU seconds the server has used so far, read at the end of the warm-up and at the deadline. */
    serverCpuSeconds?: () => number | null;
  },
  signal: AbortSignal,
): Promise<ThroughputResult> {
  return withClients(url, options.clients, options.connectTimeoutMs, signal, async (sockets) => {
    const payload = randomBytes(options.payloadBytes);
    const start = performance.now();
    const warmEnd = start + Math.min(300, options.durationMs * 0.15);
    const end = start + options.durationMs;
    let counted = 0;
    let echoes = 0;
    let sent = 0;
    let failure: PhaseError | null = null;
    let drained: () => void = () => undefined;
    const cpu = serverCpuWindow(options.serverCpuSeconds, warmEnd - start, options.durationMs);
    for (const socket of sockets) {
      socket.on('message', (data) => {
        const now = performance.now();
        echoes++;
        options.onEcho?.();
        if (now >= end && echoes >= sent) drained();
        if (asBuffer(data).length !== payload.length) {
          failure ??= new PhaseError(`echo of ${asBuffer(data).length} bytes for a ${payload.length}-byte message`);
          return;
        }
        if (now >= warmEnd && now < end) counted++;
        if (now < end && !signal.aborted) {
          socket.send(payload);
          sent++;
        }
      });
      socket.once('close', () => {
        failure ??= new PhaseError('server closed the connection during the throughput phase');
      });
      for (let i = 0; i < options.window; i++) socket.send(payload);
      sent += options.window;
    }
    await sleep(end - performance.now(), signal);
    const serverCpuSeconds = cpu.used();
    // Let the echoes still in flight arrive (uncounted), so that their work does not spill into the next phase.
    if (echoes < sent && !failure) {
      await Promise.race([
        new Promise<void>((resolve) => {
          drained = resolve;
        }),
        sleep(Math.max(1000, options.durationMs * 0.5), signal),
      ]);
    }
    if (failure) throw failure;
    const measuredMs = end - warmEnd;
    const perSecond = measuredMs > 0 ? (counted * 1000) / measuredMs : 0;
    return {
      clients: options.clients,
      window: options.window,
      payloadBytes: options.payloadBytes,
      measuredMs: Math.round(measuredMs),
      messages: counted,
      messagesPerSecond: roundTo(perSecond, 1),
      bytesPerSecond: Math.round(perSecond * options.payloadBytes),
      serverCpuSeconds: serverCpuSeconds === null ? null : roundTo(serverCpuSeconds, 3),
      messagesPerCpuSecond: serverCpuSeconds !== null && serverCpuSeconds > 0 ? roundTo(counted / serverCpuSeconds, 1) : null,
      echoes,
    };
  });
}

/**
 * The server's CPU time over the counted window: a figure other processes on the device cannot lower, since
 * they take the server's core away but not its CPU time per message.
 */
function serverCpuWindow(read: (() => number | null) | undefined, warmUpMs: number, durationMs: number): { used: () => number | null } {
  if (!read) return { used: () => null };
  let atWarmEnd: number | null = null;
  const timer = setTimeout(() => {
    atWarmEnd = read();
  }, warmUpMs);
  return {
    used: () => {
      clearTimeout(timer);
      const now = read();
      // A deadline that came before the warm-up timer ran (a very short phase) leaves no window.
      return atWarmEnd === null || now === null || durationMs <= warmUpMs ? null : now - atWarmEnd;
    },
  };
}

export interface IdleResult {
  requested: number;
  opened: number;
  rssBeforeBytes: number | null;
  rssAfterBytes: number | null;
  bytesPerConnection: number | null;
  openMs: number;
  echoes: number;
  note?: string;
}

async function medianRss(readRss: () => number | null, signal: AbortSignal): Promise<number | null> {
  const samples: number[] = [];
  for (let i = 0; i < 3; i++) {
    const rss = readRss();
    if (rss !== null) samples.push(rss);
    if (i < 2) await sleep(40, signal);
  }
  return percentile(samples, 50);
}

/**
 * Idle connections: opens up to `connections` clients (16 at a time, until 70 % of the phase is used),
 * exchanges one message on each so that the server holds its full per-connection state, lets it settle
 * and reads how much the server process's RSS grew per connection.
 */
export async function idlePhase(
  url: string,
  options: { connections: number; durationMs: number; connectTimeoutMs: number; readRss: () => number | null },
  signal: AbortSignal,
): Promise<IdleResult> {
  const pool = new ClientPool(signal);
  try {
    const before = await medianRss(options.readRss, signal);
    const start = performance.now();
    const openDeadline = start + options.durationMs * 0.7;
    const sockets: WebSocket[] = [];
    const batch = 16;
    while (sockets.length < options.connections && performance.now() < openDeadline) {
      const count = Math.min(batch, options.connections - sockets.length);
      const remaining = Math.max(200, openDeadline - performance.now() + options.connectTimeoutMs);
      const opened = await Promise.allSettled(Array.from({ length: count }, () => pool.open(url, Math.min(options.connectTimeoutMs, remaining))));
      for (const result of opened) if (result.status === 'fulfilled') sockets.push(result.value);
      const failures = opened.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failures.length > 0) {
        if (sockets.length === 0) throw failures[0]?.reason instanceof Error ? failures[0].reason : new PhaseError('no connection opened');
        break;
      }
    }
    const openMs = performance.now() - start;
    const probe = Buffer.alloc(16, 0x2a);
    let echoes = 0;
    await Promise.race([
      Promise.all(
        sockets.map(
          (socket) =>
            new Promise<void>((resolve) => {
              socket.once('message', () => {
                echoes++;
                resolve();
              });
              socket.once('close', () => resolve());
              socket.send(probe);
            }),
        ),
      ),
      sleep(Math.max(1000, options.durationMs * 0.3), signal),
    ]);
    await sleep(Math.min(250, Math.max(50, options.durationMs * 0.1)), signal);
    const after = await medianRss(options.readRss, signal);
    const opened = sockets.length;
    const result: IdleResult = {
      requested: options.connections,
      opened,
      rssBeforeBytes: before,
      rssAfterBytes: after,
      bytesPerConnection: before !== null && after !== null && opened > 0 ? Math.max(0, Math.round((after - before) / opened)) : null,
      openMs: Math.round(openMs),
      echoes,
    };
    if (opened < options.connections) result.note = `opened ${opened} of ${options.connections} connections within the phase`;
    return result;
  } finally {
    pool.dispose();
  }
}

export interface SustainedResult extends SustainedSummary {
  bitsPerSecond: number;
  frameBytes: number;
  intervalMs: number;
  durationMs: number;
}

/**
 * Sustained stream: one client sends `frameBytes` frames on a fixed schedule that makes `bitsPerSecond`,
 * for `durationMs`; each echo is matched to its frame by the index in its first four bytes.
 */
export async function sustainedPhase(
  url: string,
  options: { bitsPerSecond: number; frameBytes: number; durationMs: number; connectTimeoutMs: number },
  signal: AbortSignal,
): Promise<SustainedResult> {
  return withClients(url, 1, options.connectTimeoutMs, signal, async ([socket]) => {
    if (!socket) throw new PhaseError('no connection');
    const frameBytes = Math.max(8, options.frameBytes);
    const intervalMs = (frameBytes * 8 * 1000) / options.bitsPerSecond;
    const count = Math.max(1, Math.floor(options.durationMs / intervalMs));
    const template = randomBytes(frameBytes);
    const frames: SustainedFrame[] = [];
    let echoed = 0;
    let failure: PhaseError | null = null;
    let allEchoed: () => void = () => undefined;
    const done = new Promise<void>((resolve) => {
      allEchoed = resolve;
    });
    socket.on('message', (data) => {
      const now = performance.now();
      const buffer = asBuffer(data);
      const index = buffer.length >= 4 ? buffer.readUInt32BE(0) : -1;
      const frame = frames[index];
      if (buffer.length !== frameBytes || !frame) {
        failure ??= new PhaseError('an echo did not match any frame sent');
        return;
      }
      if (frame.receivedMs === null) {
        frame.receivedMs = now;
        echoed++;
        if (echoed === count) allEchoed();
      }
    });
    socket.once('close', () => {
      failure ??= new PhaseError('server closed the connection during the sustained stream');
      allEchoed();
    });
    const start = performance.now();
    for (let i = 0; i < count; i++) {
      const due = start + i * intervalMs;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait, signal);
      if (failure) break;
      const frame = Buffer.from(template);
      frame.writeUInt32BE(i, 0);
      frames.push({ scheduledMs: due, receivedMs: null, bytes: frameBytes });
      socket.send(frame);
    }
    // Echoes still on their way get a grace period, then count as lost.
    const grace = Math.max(500, 2 * intervalMs);
    await Promise.race([done, sleep(start + count * intervalMs + grace - performance.now(), signal)]);
    if (failure) throw failure;
    const summary = summariseSustained(frames, start, count * intervalMs, intervalMs);
    return { ...summary, bitsPerSecond: options.bitsPerSecond, frameBytes, intervalMs: roundTo(intervalMs, 3), durationMs: Math.round(count * intervalMs) };
  });
}
