// Used only inside the one-file agent (scripts/build.mjs aliases 'undici' to this file): the subset of
// undici's API that src/remote/upload.ts uses, over node:http and node:https. Bundling the undici package
// would more than double the agent that is streamed to every device, and Node's built-in fetch cannot be
// given a private CA (--ca) on Node 18.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface AgentOptions {
  connect?: { timeout?: number; ca?: string };
  headersTimeout?: number;
  bodyTimeout?: number;
}

export class Agent {
  constructor(readonly options: AgentOptions = {}) {}
  async close(): Promise<void> {
    // one connection per request, closed with it
  }
}

export interface RequestOptions {
  method: string;
  headers: Record<string, string>;
  body: string;
  dispatcher?: Agent;
  signal?: AbortSignal;
}

export interface ShimResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: { text(): Promise<string> };
}

const MAX_ANSWER = 4 * 1024 * 1024;

function collect(res: IncomingMessage, timeoutMs: number | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = timeoutMs
      ? setTimeout(() => res.destroy(Object.assign(new Error('answer body timed out'), { code: 'UND_ERR_BODY_TIMEOUT' })), timeoutMs)
      : undefined;
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_ANSWER) chunks.push(chunk);
    });
    res.on('end', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    res.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

export function request(url: string, options: RequestOptions): Promise<ShimResponse> {
  const settings = options.dispatcher?.options ?? {};
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      {
        method: options.method,
        headers: { ...options.headers, 'content-length': String(Buffer.byteLength(options.body)), connection: 'close' },
        ...(settings.connect?.ca ? { ca: settings.connect.ca } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      },
      (res) => {
        clearTimeout(headersTimer);
        const headers: Record<string, string> = {};
        for (const [key, value] of Object.entries(res.headers)) if (value !== undefined) headers[key] = Array.isArray(value) ? value.join(', ') : value;
        const text = collect(res, settings.bodyTimeout);
        text.catch(() => undefined);
        resolve({ statusCode: res.statusCode ?? 0, headers, body: { text: () => text } });
      },
    );
    // Connecting and waiting for the answer's headers, as undici's connect and headers timeouts bound them.
    const limit = (settings.connect?.timeout ?? 0) + (settings.headersTimeout ?? 0);
    const headersTimer =
      limit > 0
        ? setTimeout(() => req.destroy(Object.assign(new Error(`no answer within ${limit} ms`), { code: 'UND_ERR_HEADERS_TIMEOUT' })), limit)
        : undefined;
    req.on('error', (err) => {
      clearTimeout(headersTimer);
      reject(err);
    });
    req.end(options.body);
  });
}
