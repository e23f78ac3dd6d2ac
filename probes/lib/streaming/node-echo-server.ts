// The streaming probe's Node tier: a `ws` echo server, run as a child `node -` process so that its memory
// is measured apart from the load driver's. scripts/build.mjs bundles this file with ws into one CommonJS
// script (dist/streaming/node-echo-server.cjs), which the agent carries inside itself.
// Listens on 127.0.0.1 on a free port and prints "LISTENING <port>". With --lifeline it exits when file
// descriptor 3 (a pipe held by the agent) reaches end of file, so it never outlives the agent.
import { createReadStream, fstatSync } from 'node:fs';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';

const maxPayloadArg = process.argv.indexOf('--max-payload');
const maxPayload = maxPayloadArg >= 0 ? Number(process.argv[maxPayloadArg + 1]) : 16 * 1024 * 1024;
let echoed = 0;
let connections = 0;

const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, maxPayload, backlog: 1024 });

server.on('connection', (socket: WebSocket) => {
  connections++;
  socket.on('message', (data: RawData, isBinary: boolean) => {
    if (!isBinary) {
      const text = data.toString();
      if (text === 'edgeprobe:identify') {
        socket.send(JSON.stringify({ served_by: 'node-ws', node: process.versions.node, pid: process.pid, echoed, connections }));
        return;
      }
    }
    echoed++;
    socket.send(data, { binary: isBinary });
  });
  socket.on('error', () => socket.terminate());
});

server.on('listening', () => {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  process.stdout.write(`LISTENING ${port}\n`);
});

server.on('error', (err: Error) => {
  process.stderr.write(`node echo server: ${err.message}\n`);
  process.exit(1);
});

const stop = (): void => {
  for (const client of server.clients) client.terminate();
  server.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

// `--lifeline`: fd 3 is a pipe from the agent; its end of file means the agent is gone.
let hasLifeline = false;
try {
  const stats = process.argv.includes('--lifeline') ? fstatSync(3) : null;
  hasLifeline = stats !== null && (stats.isFIFO() || stats.isSocket());
} catch {
  // no fd 3
}
if (hasLifeline) {
  const lifeline = createReadStream('', { fd: 3 });
  lifeline.on('data', () => undefined);
  lifeline.on('end', stop);
  lifeline.on('error', stop);
}
