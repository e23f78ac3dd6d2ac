// A dashboard on this machine that a booted lab board reaches. The board's user-mode network reaches nothing
// (restrict=on), so an `ssh -R` from here opens 127.0.0.1:GUEST_PORT inside the VM and carries it back to the
// dashboard's 127.0.0.1 port here: loopback at both ends, no other address involved.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { RunningBoard } from '../../scripts/lab/boards.js';
import { trackChild } from '../../src/platform/process.js';
import { createTokenCli, type ServeProcess, startServe } from './dashboard.js';
import type { ScheduledRunDashboard } from './scheduled-runs.js';
import { sparePort, stopProcess } from './services.js';
import { makeTestPki } from './tls.js';

export interface TunnelledDashboard extends ScheduledRunDashboard {
  close(): Promise<void>;
}

/** The guest side of the tunnel; any port the VM does not use (its sshd is on 22 and 2222). */
const GUEST_PORT = 18443;

async function openTunnel(board: RunningBoard, hostPort: number): Promise<ChildProcess> {
  const args = ['-F', board.sshConfig, '-N', '-o', 'ExitOnForwardFailure=yes', '-o', 'ServerAliveInterval=15', '-o', 'BatchMode=yes'];
  const tunnel = spawn('ssh', [...args, '-R', `127.0.0.1:${GUEST_PORT}:127.0.0.1:${hostPort}`, board.hostAlias], { stdio: 'ignore', detached: true });
  trackChild(tunnel);
  // Up once something listens on the guest port (python3 is in the image; bash's /dev/tcp would do as well).
  const probe = `python3 -c "import socket; socket.create_connection(('127.0.0.1', ${GUEST_PORT}), 5).close()"`;
  for (let i = 0; i < 60; i++) {
    if (tunnel.exitCode !== null) break;
    if ((await board.ssh(probe, { timeoutMs: 60_000 })).code === 0) return tunnel;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  await stopProcess(tunnel);
  assert.fail(`the ssh -R tunnel to 127.0.0.1:${GUEST_PORT} in ${board.instance} did not come up (ssh exit ${String(tunnel.exitCode)})`);
}

/** `edgeprobe serve` over HTTPS (a CA made here) on a spare 127.0.0.1 port, reachable in the VM as https://127.0.0.1:18443. */
export async function startTunnelledDashboard(board: RunningBoard, dir: string): Promise<TunnelledDashboard> {
  const pki = makeTestPki(dir);
  const db = join(dir, 'dashboard.sqlite');
  const port = await sparePort();
  const tls = ['--quiet', '--tls-cert', pki.serverCert, '--tls-key', pki.serverKey];
  let serve: ServeProcess | undefined = await startServe(db, port, tls);
  const tunnel = await openTunnel(board, port);
  return {
    url: `https://127.0.0.1:${port}`,
    urlForDevice: `https://127.0.0.1:${GUEST_PORT}`,
    uploadToken: await createTokenCli(db, 'upload'),
    readToken: await createTokenCli(db, 'read'),
    caFile: pki.caCert,
    stop: async () => {
      await serve?.stop();
      serve = undefined;
    },
    start: async () => {
      serve = await startServe(db, port, tls);
    },
    close: async () => {
      await stopProcess(tunnel);
      await serve?.stop();
    },
  };
}
