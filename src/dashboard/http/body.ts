// Request bodies: bounded in size, of the media types a route accepts, valid UTF-8.
import type { IncomingMessage } from 'node:http';
import { HttpError } from '../service.js';

/** Reads a body up to `limit` bytes; beyond it, drains (bounded) and answers 413 without storing anything. */
export function readBody(req: IncomingMessage, limit: number, accept: readonly string[]): Promise<string> {
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
