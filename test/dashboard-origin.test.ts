// Where sign-in may lead (the open-redirect bypass forms), the client address behind a trusted proxy, and
// the device name patterns an upload token is bound to.
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { test } from 'node:test';
import { clientAddress, isSecureRequest, safeNext } from '../src/dashboard/http/origin.js';
import { deviceAllowed, likePattern, parseDevicePattern } from '../src/dashboard/store/limits.js';
import { REDIRECT_BYPASSES } from './helpers/redirects.js';

test('safeNext: every bypass form falls back to /, and whatever it returns resolves to the dashboard itself', () => {
  const origins = ['http://dashboard.invalid', 'https://pi-dash.lan:8443', 'http://127.0.0.1:8080'];
  for (const origin of origins) {
    for (const next of REDIRECT_BYPASSES) {
      const chosen = safeNext(next, origin);
      assert.equal(new URL(chosen, origin).origin, new URL(origin).origin, `${JSON.stringify(next)} -> ${chosen}`);
      assert.ok(chosen.startsWith('/') && !chosen.startsWith('//') && !chosen.startsWith('/\\'), `${JSON.stringify(next)} -> ${chosen}`);
    }
    // Encoded forms stay encoded: a browser does not decode %2F or %5C in a path into separators.
    assert.equal(safeNext('/%2F%2Fevil.example', origin), '/%2F%2Fevil.example');
    assert.equal(safeNext('/%5Cevil.example', origin), '/%5Cevil.example');
  }
  assert.equal(safeNext('/\t/evil.example/x'), '/');
  assert.equal(safeNext('/compare?ids=a,b#top'), '/compare?ids=a,b#top', 'a real path keeps its query and fragment');
  assert.equal(safeNext('/devices/pi%20one'), '/devices/pi%20one');
  assert.equal(safeNext('https://pi-dash.lan:8443/compare', 'https://pi-dash.lan:8443'), '/compare', 'the same origin, absolute');
  assert.equal(safeNext(null), '/');
  assert.equal(safeNext(''), '/');
});

function request(peer: string, headers: Record<string, string | string[]> = {}, encrypted = false): IncomingMessage {
  return { socket: { remoteAddress: peer, ...(encrypted ? { encrypted: true } : {}) }, headers } as unknown as IncomingMessage;
}

test('clientAddress: X-Forwarded-For only from a trusted proxy, its right-most untrusted hop, never a forged left part', () => {
  const proxy = new Set(['127.0.0.9']);
  assert.equal(clientAddress(request('127.0.0.5', { 'x-forwarded-for': '10.1.1.1' }), proxy), '127.0.0.5', 'an untrusted peer cannot choose its address');
  assert.equal(clientAddress(request('127.0.0.9', { 'x-forwarded-for': '10.1.1.1' }), proxy), '10.1.1.1');
  assert.equal(
    clientAddress(request('::ffff:127.0.0.9', { 'x-forwarded-for': '1.2.3.4, 10.1.1.1' }), proxy),
    '10.1.1.1',
    'the left part was written by the client',
  );
  assert.equal(clientAddress(request('127.0.0.9', { 'x-forwarded-for': ['10.1.1.1', '127.0.0.9'] }), proxy), '10.1.1.1', 'trusted hops are skipped');
  assert.equal(clientAddress(request('127.0.0.9', { 'x-forwarded-for': 'not-an-address' }), proxy), '127.0.0.9');
  assert.equal(clientAddress(request('127.0.0.9'), proxy), '127.0.0.9');
  assert.equal(clientAddress(request('127.0.0.9', { 'x-forwarded-for': '10.1.1.1' })), '127.0.0.9', 'no --trust-proxy: the peer');
  assert.equal(isSecureRequest(request('127.0.0.9', { 'x-forwarded-proto': 'https' }), proxy), true);
  assert.equal(isSecureRequest(request('127.0.0.5', { 'x-forwarded-proto': 'https' }), proxy), false);
  assert.equal(isSecureRequest(request('127.0.0.5', {}, true)), true);
});

test('device patterns: globs on the whole name, case-sensitive, comma-separated; LIKE wildcards escaped', () => {
  assert.equal(deviceAllowed('lab-pi-*', 'lab-pi-07'), true);
  assert.equal(deviceAllowed('lab-pi-*', 'lab-pi-'), true);
  assert.equal(deviceAllowed('lab-pi-*', 'LAB-PI-07'), false);
  assert.equal(deviceAllowed('lab-pi-*', 'x-lab-pi-07'), false);
  assert.equal(deviceAllowed('lab-pi-?', 'lab-pi-12'), false);
  assert.equal(deviceAllowed('lab-pi-*,bench.(1)', 'bench.(1)'), true, 'regex characters are literal');
  assert.equal(deviceAllowed('bench.(1)', 'benchx(1)'), false);
  assert.equal(deviceAllowed('a*', 'a\nb'), true, 'a name with a newline is still one name');
  assert.equal(parseDevicePattern(' lab-pi-* , bench-* '), 'lab-pi-*,bench-*');
  assert.throws(() => parseDevicePattern(' , '), /at least one/);
  assert.throws(() => parseDevicePattern('a\u0001b'), /control character/);
  assert.equal(likePattern('50%_x\\'), '%50\\%\\_x\\\\%');
});
