// A private CA and a server certificate for 127.0.0.1 and localhost, made with Debian's openssl at test time,
// for the dashboard's HTTPS tests (serve --tls-cert/--tls-key, upload --ca, Chromium).
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const OPENSSL = '/usr/bin/openssl';

export function opensslAvailable(): boolean {
  return existsSync(OPENSSL);
}

export interface TestPki {
  caCert: string;
  serverCert: string;
  serverKey: string;
  /** A CA that signed nothing here: trusting it must not be enough. */
  otherCaCert: string;
  /** base64 SHA-256 of the server key's SubjectPublicKeyInfo, as Chromium's --ignore-certificate-errors-spki-list wants it. */
  serverSpki: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync(OPENSSL, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 });
}

function makeCa(dir: string, name: string): { cert: string; key: string } {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.pem`);
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      `/CN=edgeprobe test ${name}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  return { cert, key };
}

/** Writes ca.pem, server.pem (for 127.0.0.1, ::1 and localhost, signed by the CA), server.key and other-ca.pem into dir. */
export function makeTestPki(dir: string): TestPki {
  const ca = makeCa(dir, 'ca');
  const other = makeCa(dir, 'other-ca');
  const serverKey = join(dir, 'server.key');
  const csr = join(dir, 'server.csr');
  const serverCert = join(dir, 'server.pem');
  const ext = join(dir, 'server.ext');
  writeFileSync(ext, 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n');
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', serverKey, '-out', csr, '-subj', '/CN=127.0.0.1'], dir);
  openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-out', serverCert, '-days', '2', '-extfile', ext], dir);
  const spki = new X509Certificate(readFileSync(serverCert)).publicKey.export({ type: 'spki', format: 'der' });
  return { caCert: ca.cert, serverCert, serverKey, otherCaCert: other.cert, serverSpki: createHash('sha256').update(spki).digest('base64') };
}
