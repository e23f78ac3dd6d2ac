// The echo servers the streaming probe ships, run exactly as the probe runs them, checked against the
// RFC 6455 behaviour the load driver relies on: handshake, 7/16/64-bit lengths, fragmentation, ping,
// close, refusal of unmasked frames and of plain HTTP, and the identity tag with its echo count.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { identify } from '../probes/lib/streaming/driver.js';
import { processRss, type RunningServer, startServer } from '../probes/lib/streaming/servers.js';
import { readPackageFile } from '../src/platform/package-files.js';
import { DEBIAN_PYTHON } from './helpers/streaming.js';

const signal = new AbortController().signal;
const servers: Record<string, RunningServer> = {};

before(async () => {
  servers['python'] = await startServer(
    {
      name: 'python',
      file: DEBIAN_PYTHON,
      args: ['-', '--lifeline'],
      input: readPackageFile('probes/assets/streaming/ws_echo_server.py'),
      path: '/',
      startTimeoutMs: 15_000,
    },
    signal,
  );
  servers['node'] = await startServer(
    {
      name: 'node',
      file: process.execPath,
      args: ['-', '--lifeline'],
      input: readPackageFile('dist/streaming/node-echo-server.cjs'),
      path: '/',
      startTimeoutMs: 15_000,
    },
    signal,
  );
});

after(async () => {
  for (const server of Object.values(servers)) await server.stop();
});

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

function nextMessage(socket: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve) => socket.once('message', (data: Buffer, isBinary: boolean) => resolve({ data, isBinary })));
}

/** Raw bytes over TCP: what the server answers to a request or frames no WebSocket library would send. */
function raw(port: number, payload: Buffer, until: (received: Buffer) => boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(received);
    }, 3000);
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (until(received)) {
        clearTimeout(timer);
        socket.destroy();
        resolve(received);
      }
    });
    socket.on('error', reject);
    socket.on('connect', () => socket.write(payload));
  });
}

for (const name of ['python', 'node'] as const) {
  test(`${name} echo server: text, 7/16/64-bit lengths, fragments, ping and close`, async () => {
    const server = servers[name];
    assert.ok(server);
    assert.ok(server.port > 0);
    const socket = await open(server.url);
    socket.send('hello édge');
    const text = await nextMessage(socket);
    assert.equal(text.isBinary, false);
    assert.equal(text.data.toString('utf8'), 'hello édge');
    for (const size of [0, 125, 126, 65_535, 65_536, 300_000]) {
      const payload = Buffer.alloc(size, size % 251);
      if (size > 0) payload[size - 1] = 7;
      socket.send(payload);
      const echo = await nextMessage(socket);
      assert.equal(echo.isBinary, true);
      assert.ok(echo.data.equals(payload), `${size}-byte echo differs`);
    }
    socket.send(Buffer.from('frag-'), { fin: false });
    socket.send(Buffer.from('ment'), { fin: true });
    assert.equal((await nextMessage(socket)).data.toString(), 'frag-ment');
    const pong = new Promise<Buffer>((resolve) => socket.once('pong', resolve));
    socket.ping(Buffer.from('are you there'));
    assert.equal((await pong).toString(), 'are you there');
    const closed = new Promise<number>((resolve) => socket.once('close', resolve));
    socket.close(4001);
    assert.equal(await closed, 4001);
  });

  test(`${name} echo server: tags itself and counts its echoes`, async () => {
    const server = servers[name];
    assert.ok(server);
    const first = await identify(server.url, 5000, signal);
    const socket = await open(server.url);
    for (let i = 0; i < 5; i++) {
      socket.send(Buffer.from([i]));
      await nextMessage(socket);
    }
    socket.close();
    const second = await identify(server.url, 5000, signal);
    assert.equal(second.served_by, name === 'python' ? 'python-asyncio' : 'node-ws');
    assert.equal(second['pid'], server.pid);
    assert.equal((second.echoed ?? 0) - (first.echoed ?? 0), 5);
    assert.ok((processRss(server.pid) ?? 0) > 1024 * 1024, 'RSS of the server process is readable');
  });
}

test('python echo server refuses plain HTTP, a wrong version and unmasked frames', async () => {
  const server = servers['python'];
  assert.ok(server);
  const plain = await raw(server.port, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), (r) => r.includes('\r\n\r\n'));
  assert.match(plain.toString(), /^HTTP\/1\.1 400 /);
  const oldVersion = await raw(
    server.port,
    Buffer.from(
      'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n',
    ),
    (r) => r.includes('\r\n\r\n'),
  );
  assert.match(oldVersion.toString(), /^HTTP\/1\.1 426 .*Sec-WebSocket-Version: 13/s);
  // The RFC 6455 section 1.3 example key and its accept value, then an unmasked text frame.
  const handshake =
    'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n' +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';
  const unmasked = Buffer.from([0x81, 0x02, 0x68, 0x69]);
  const reply = await raw(server.port, Buffer.concat([Buffer.from(handshake), unmasked]), (r) => r.length > 0 && r.includes(Buffer.from([0x88])));
  const text = reply.toString('latin1');
  assert.match(text, /^HTTP\/1\.1 101 Switching Protocols/);
  assert.match(text, /Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=/);
  const body = reply.subarray(reply.indexOf('\r\n\r\n') + 4);
  assert.deepEqual([...body.subarray(0, 4)], [0x88, 0x02, 0x03, 0xea], 'close frame with status 1002 (protocol error)');
});
