// The load driver's WebSocket clients: opened in pools that close together when a phase ends or the probe is
// aborted, and an abortable sleep for the phases' deadlines.
import WebSocket from 'ws';

export class PhaseError extends Error {}

export function abortError(signal: AbortSignal): PhaseError {
  return new PhaseError(typeof signal.reason === 'string' ? signal.reason : 'aborted');
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(abortError(signal));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    const timer = setTimeout(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Sockets of one phase: closed together when the phase ends or the probe is aborted. */
export class ClientPool {
  readonly sockets = new Set<WebSocket>();
  private readonly onAbort = (): void => this.closeAll();

  constructor(private readonly signal: AbortSignal) {
    signal.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Opens one client; rejects on error, on timeout or on abort. */
  open(url: string, timeoutMs: number): Promise<WebSocket> {
    return new Promise((resolve, reject) => {
      if (this.signal.aborted) {
        reject(abortError(this.signal));
        return;
      }
      const socket = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: Math.max(100, Math.round(timeoutMs)) });
      this.sockets.add(socket);
      const fail = (err: Error): void => {
        socket.removeAllListeners('open');
        this.sockets.delete(socket);
        socket.terminate();
        reject(new PhaseError(`cannot open a WebSocket to ${url}: ${err.message}`));
      };
      socket.once('open', () => {
        socket.removeListener('error', fail);
        socket.on('error', () => undefined);
        resolve(socket);
      });
      socket.once('error', fail);
      socket.once('unexpected-response', (_request, response) => fail(new Error(`HTTP ${response.statusCode ?? '?'} instead of an upgrade`)));
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  closeAll(): void {
    for (const socket of this.sockets) socket.terminate();
    this.sockets.clear();
  }

  dispose(): void {
    this.signal.removeEventListener('abort', this.onAbort);
    this.closeAll();
  }
}

/** Opens `count` clients, runs `body` with them and closes them all afterwards, whatever happens. */
export async function withClients<T>(
  url: string,
  count: number,
  connectTimeoutMs: number,
  signal: AbortSignal,
  body: (sockets: WebSocket[]) => Promise<T>,
): Promise<T> {
  const pool = new ClientPool(signal);
  try {
    const sockets = await Promise.all(Array.from({ length: count }, () => pool.open(url, connectTimeoutMs)));
    return await body(sockets);
  } finally {
    pool.dispose();
  }
}

export function asBuffer(data: WebSocket.RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
