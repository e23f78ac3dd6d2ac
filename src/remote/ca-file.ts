// --ca FILE for uploads: the PEM certificates of a private CA that signs the dashboard's certificate.
import { readFileSync } from 'node:fs';
import { UsageError } from '../platform/errors.js';

/**
 * Reads and checks a --ca file: readable, and PEM that Node's TLS accepts as CA certificates. node:tls is
 * loaded here, by the runs given --ca: every run of the agent would otherwise load it.
 */
export async function readCaFile(path: string): Promise<string> {
  const { createSecureContext } = await import('node:tls');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`--ca ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new UsageError(`--ca ${path}: no PEM certificate in it (expected -----BEGIN CERTIFICATE-----)`);
  try {
    createSecureContext({ ca: text });
  } catch (err) {
    throw new UsageError(`--ca ${path}: not a usable CA certificate (${(err as Error).message})`);
  }
  return text;
}
