// The test hosts of the `edgeprobe ssh` suites (ssh.test.ts, ssh-fleet.test.ts): a real OpenSSH server on
// loopback (Debian's sshd, started here with generated keys) whose sessions live in a cgroup with Pi-like limits
// (512 MiB, 1.5 CPUs), and one ssh_config alias per kind of device or fault: node, no node (sh mode), a
// busybox-only userland, a refused key, an agent that hangs, is killed, or loses its connection mid-run, no
// shell, node 18 and node 16, a wrong host key, an unreachable port and a server that never speaks.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before } from 'node:test';
import { makeTempDir, removeTemp } from '../../src/platform/process.js';
import type { Report } from '../../src/report/types.js';
import { parseReport } from '../../src/report/validate.js';
import { runCli } from './cli.js';
import { executable, NODE18, requireComponent } from './env.js';
import { type Sshd, silentServer, sparePort, sshdAvailable, startSshd, type TestUser } from './sshd.js';
import { writeTestProfiles } from './test-profiles.js';

export const MiB = 1024 * 1024;
export const LIMIT_BYTES = 512 * MiB;
export const sshSkip = requireComponent(
  sshdAvailable() && executable('/usr/bin/busybox'),
  "root, Debian's openssh-server and busybox",
  'scripts/install-test-deps.sh as root',
);

export interface SshHosts {
  sshd: Sshd;
  nodeUser: TestUser;
  /** A temporary directory for the tests' outputs, removed after the suite. */
  work: string;
  profiles: { lenient: string; tight: string };
  /** edgeprobe ssh through the test hosts' ssh_config; judged by a profile every device passes unless told otherwise. */
  ssh(args: string[], timeoutMs?: number): Promise<Awaited<ReturnType<typeof runCli>>>;
}

function fakeNode(sshd: Sshd, name: string, body: string): string {
  const dir = join(sshd.dir, `fake-${name}`);
  mkdirSync(dir);
  // Answers the bootstrap's version check like a real node >= 18, then misbehaves when given the agent.
  writeFileSync(join(dir, 'node'), `#!/bin/sh\ncase "$1" in -e|-v|--version) exec /usr/bin/node "$@" ;; esac\n${body}\n`);
  chmodSync(join(dir, 'node'), 0o755);
  chmodSync(dir, 0o755);
  return dir;
}

/** node, sh, busybox and the hosts whose agent or session fails. Returns the PATH without node. */
function addModeAndFaultHosts(sshd: Sshd, nodeUser: TestUser): string {
  const fakeNodeIn = (name: string, body: string): string => fakeNode(sshd, name, body);
  sshd.alias('pi-node', nodeUser);
  const noNode = sshd.pathWithout(['node', 'nodejs']);
  sshd.alias('pi-sh', sshd.addUser({ label: 'sh', path: noNode }));
  const busybox = sshd.busyboxPath();
  sshd.alias('pi-busybox', sshd.addUser({ label: 'busybox', shell: join(busybox, 'sh'), path: busybox }));
  sshd.alias('refused', sshd.addUser({ label: 'refused', authorized: false }));
  const hang = fakeNodeIn('hang', 'exec sleep 3600');
  sshd.alias('hangs', sshd.addUser({ label: 'hang', path: `${hang}:/usr/bin:/bin` }));
  const killed = fakeNodeIn('killed', 'cat >/dev/null\nprintf \'{"schema":"edgeprobe.report/v1","id":"\'\nkill -9 $$');
  sshd.alias('killed', sshd.addUser({ label: 'killed', path: `${killed}:/usr/bin:/bin` }));
  // The connection drops mid-run: the session's sshd dies after half a report.
  const dropped = fakeNodeIn(
    'dropped',
    'cat >/dev/null\nprintf \'{"schema":"edgeprobe.report/v1","id":"\'\np=$PPID\nwhile [ "$p" -gt 1 ]; do read -r _pid comm _state pp _rest </proc/$p/stat; if [ "$comm" = "(sshd)" ]; then kill -9 "$p"; break; fi; p=$pp; done\nsleep 30',
  );
  sshd.alias('dropped', sshd.addUser({ label: 'dropped', path: `${dropped}:/usr/bin:/bin` }));
  sshd.alias('noshell', sshd.addUser({ label: 'noshell', shell: '/bin/false' }));
  return noNode;
}

/** The marking host (m1..m3), node 18 and node 16, a wrong host key, an unreachable port and a silent server. */
async function addVersionAndNetworkHosts(sshd: Sshd, nodeUser: TestUser, noNode: string): Promise<{ port: number; close(): Promise<void> }> {
  const fakeNodeIn = (name: string, body: string): string => fakeNode(sshd, name, body);
  // Marks when each agent run starts and ends in a shared file, to see how many ran at once.
  writeFileSync(join(sshd.dir, 'runs.log'), '');
  chmodSync(join(sshd.dir, 'runs.log'), 0o666);
  const marking = fakeNodeIn('marking', `printf S >>${join(sshd.dir, 'runs.log')}\nsleep 1\nprintf E >>${join(sshd.dir, 'runs.log')}\nexec /usr/bin/node "$@"`);
  const marker = sshd.addUser({ label: 'marking', path: `${marking}:/usr/bin:/bin` });
  for (const name of ['m1', 'm2', 'm3']) sshd.alias(name, marker);
  // Node 18 (Raspberry Pi OS bookworm's) is new enough; a node 16 is not, and the sh probe runs instead.
  if (executable(NODE18)) sshd.alias('pi-node18', sshd.addUser({ label: 'node18', path: `${dirname(NODE18)}:${noNode}` }));
  const old = join(sshd.dir, 'fake-node16');
  mkdirSync(old);
  writeFileSync(
    join(old, 'node'),
    '#!/bin/sh\ncase "$1" in -v|--version) echo v16.20.2 ;; -e) exit 1 ;; *) echo "node 16 cannot run the agent" >&2; exit 1 ;; esac\n',
  );
  chmodSync(join(old, 'node'), 0o755);
  chmodSync(old, 0o755);
  sshd.alias('pi-node16', sshd.addUser({ label: 'node16', path: `${old}:${noNode}` }));
  sshd.alias('badkey', nodeUser, { knownHosts: sshd.wrongKnownHosts });
  sshd.alias('unreachable', nodeUser, { port: await sparePort() });
  const silent = await silentServer();
  sshd.alias('silent', nodeUser, { port: silent.port });
  return silent;
}

/** Starts the test hosts before the file's tests and removes them after; call at the top level of a test file. */
export function useSshHosts(label: string): () => SshHosts {
  const work = makeTempDir(label);
  const profiles = writeTestProfiles(work);
  let hosts: SshHosts | undefined;
  let silent: { close(): Promise<void> } | undefined;
  before(async () => {
    if (sshSkip) return;
    const sshd = await startSshd({ cgroup: { memoryBytes: LIMIT_BYTES, cpus: 1.5, cpuset: '0-1' } });
    const nodeUser = sshd.addUser({ label: 'node' });
    const ssh = (args: string[], timeoutMs = 90_000): Promise<Awaited<ReturnType<typeof runCli>>> => {
      const profile = args.includes('--profile') ? [] : ['--profile', profiles.lenient];
      return runCli(['ssh', '--ssh-config', sshd.sshConfig, ...profile, ...args], { timeoutMs });
    };
    hosts = { sshd, nodeUser, work, profiles, ssh };
    const noNode = addModeAndFaultHosts(sshd, nodeUser);
    silent = await addVersionAndNetworkHosts(sshd, nodeUser, noNode);
  });
  after(async () => {
    await silent?.close();
    await hosts?.sshd.stop();
    removeTemp(work);
  });
  return () => {
    assert.ok(hosts, 'the test hosts have started');
    return hosts;
  };
}

export function loadReport(file: string): Report {
  const check = parseReport(readFileSync(file, 'utf8'));
  assert.ok(check.ok, `${file} validates against edgeprobe.report/v1: ${check.ok ? '' : check.errors.join('; ')}`);
  return check.report;
}

export function summaryHost(summary: Record<string, unknown>, name: string): Record<string, unknown> {
  const hosts = summary['hosts'] as Array<Record<string, unknown>>;
  const host = hosts.find((h) => h['name'] === name);
  assert.ok(host, `${name} is in the summary`);
  return host;
}
