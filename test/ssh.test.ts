// `edgeprobe ssh` against a real OpenSSH server on loopback (Debian's sshd, started here with generated keys),
// whose sessions live in a cgroup with Pi-like limits (512 MiB, 1.5 CPUs). Users made for the test: one with
// node, one whose PATH has no node (sh mode), one with a busybox-only userland and busybox ash as login shell,
// one whose key is refused, one whose agent hangs, one whose agent is killed mid-run, one without a shell.

import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { execCommand, makeTempDir, removeTemp } from '../src/platform/process.js';
import { shellQuote } from '../src/platform/shell-quote.js';
import type { Report } from '../src/report/types.js';
import { parseReport } from '../src/report/validate.js';
import { jsonOf, REPO_ROOT, runCli } from './helpers/cli.js';
import { createTokenCli, startServe } from './helpers/dashboard.js';
import { executable, NODE18, requireComponent } from './helpers/env.js';
import { type Sshd, silentServer, sparePort, sshdAvailable, startSshd, type TestUser } from './helpers/sshd.js';
import { writeTestProfiles } from './helpers/test-profiles.js';

const MiB = 1024 * 1024;
const LIMIT_BYTES = 512 * MiB;
const skip = requireComponent(
  sshdAvailable() && executable('/usr/bin/busybox'),
  "root, Debian's openssh-server and busybox",
  'scripts/install-test-deps.sh as root',
);

let sshd: Sshd;
let silent: { port: number; close(): Promise<void> } | undefined;
let nodeUser: TestUser;
const work = makeTempDir('ssh-test');
const profiles = writeTestProfiles(work);

function fakeNode(name: string, body: string): string {
  const dir = join(sshd.dir, `fake-${name}`);
  mkdirSync(dir);
  // Answers the bootstrap's version check like a real node >= 18, then misbehaves when given the agent.
  writeFileSync(join(dir, 'node'), `#!/bin/sh\ncase "$1" in -e|-v|--version) exec /usr/bin/node "$@" ;; esac\n${body}\n`);
  chmodSync(join(dir, 'node'), 0o755);
  chmodSync(dir, 0o755);
  return dir;
}

before(async () => {
  if (skip) return;
  sshd = await startSshd({ cgroup: { memoryBytes: LIMIT_BYTES, cpus: 1.5, cpuset: '0-1' } });
  nodeUser = sshd.addUser({ label: 'node' });
  sshd.alias('pi-node', nodeUser);
  const noNode = sshd.pathWithout(['node', 'nodejs']);
  sshd.alias('pi-sh', sshd.addUser({ label: 'sh', path: noNode }));
  const busybox = sshd.busyboxPath();
  sshd.alias('pi-busybox', sshd.addUser({ label: 'busybox', shell: join(busybox, 'sh'), path: busybox }));
  sshd.alias('refused', sshd.addUser({ label: 'refused', authorized: false }));
  const hang = fakeNode('hang', 'exec sleep 3600');
  sshd.alias('hangs', sshd.addUser({ label: 'hang', path: `${hang}:/usr/bin:/bin` }));
  const killed = fakeNode('killed', 'cat >/dev/null\nprintf \'{"schema":"edgeprobe.report/v1","id":"\'\nkill -9 $$');
  sshd.alias('killed', sshd.addUser({ label: 'killed', path: `${killed}:/usr/bin:/bin` }));
  // The connection drops mid-run: the session's sshd dies after half a report.
  const dropped = fakeNode(
    'dropped',
    'cat >/dev/null\nprintf \'{"schema":"edgeprobe.report/v1","id":"\'\np=$PPID\nwhile [ "$p" -gt 1 ]; do read -r _pid comm _state pp _rest </proc/$p/stat; if [ "$comm" = "(sshd)" ]; then kill -9 "$p"; break; fi; p=$pp; done\nsleep 30',
  );
  sshd.alias('dropped', sshd.addUser({ label: 'dropped', path: `${dropped}:/usr/bin:/bin` }));
  sshd.alias('noshell', sshd.addUser({ label: 'noshell', shell: '/bin/false' }));
  // Marks when each agent run starts and ends in a shared file, to see how many ran at once.
  writeFileSync(join(sshd.dir, 'runs.log'), '');
  chmodSync(join(sshd.dir, 'runs.log'), 0o666);
  const marking = fakeNode('marking', `printf S >>${join(sshd.dir, 'runs.log')}\nsleep 1\nprintf E >>${join(sshd.dir, 'runs.log')}\nexec /usr/bin/node "$@"`);
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
  silent = await silentServer();
  sshd.alias('silent', nodeUser, { port: silent.port });
});

after(async () => {
  await silent?.close();
  await sshd?.stop();
  removeTemp(work);
});

/** edgeprobe ssh through the test hosts' ssh_config; judged by a profile every device passes unless told otherwise. */
async function ssh(args: string[], timeoutMs = 90_000): Promise<ReturnType<typeof runCli>> {
  const profile = args.includes('--profile') ? [] : ['--profile', profiles.lenient];
  return runCli(['ssh', '--ssh-config', sshd.sshConfig, ...profile, ...args], { timeoutMs });
}

function loadReport(file: string): Report {
  const check = parseReport(readFileSync(file, 'utf8'));
  assert.ok(check.ok, `${file} validates against edgeprobe.report/v1: ${check.ok ? '' : check.errors.join('; ')}`);
  return check.report;
}

function summaryHost(summary: Record<string, unknown>, name: string): Record<string, unknown> {
  const hosts = summary['hosts'] as Array<Record<string, unknown>>;
  const host = hosts.find((h) => h['name'] === name);
  assert.ok(host, `${name} is in the summary`);
  return host;
}

test('node mode: the agent is streamed to `node -`, its report validates, shows the cgroup limits, and nothing is left on the device', { skip }, async () => {
  const before = readdirSync(nodeUser.home).sort();
  const out = join(work, 'node');
  const result = await ssh(['pi-node', '--quick', '--out', out, '--format', 'json']);
  assert.equal(result.code, 0, result.stderr + result.stdout);
  const summary = jsonOf(result);
  const host = summaryHost(summary, 'pi-node');
  assert.equal(host['status'], 'ok');
  assert.equal(host['mode'], 'node');
  const report = loadReport(join(out, 'pi-node.json'));
  assert.equal(report.agent.mode, 'node');
  assert.equal(report.host.label, 'pi-node');
  assert.equal(report.metrics['memory.cgroup_limit_bytes'], LIMIT_BYTES);
  assert.equal(report.metrics['cpu.quota_cpus'], 1.5);
  assert.equal(report.metrics['cpu.effective_cpus'], 1.5);
  assert.ok(existsSync(join(out, 'summary.json')));
  assert.deepEqual(readdirSync(nodeUser.home).sort(), before, 'no file written in the home directory');
  assert.deepEqual(
    readdirSync(out).filter((f) => f.endsWith('.tmp')),
    [],
    'no temp files left by atomic writes',
  );
});

test('sh mode: a user whose PATH has no node gets the POSIX-sh probe, with python metrics and the Python streaming tier', { skip }, async () => {
  const out = join(work, 'sh');
  const result = await ssh(['pi-sh', '--out', out, '--duration', '4']);
  assert.equal(result.code, 0, result.stderr + result.stdout);
  assert.match(result.stdout, /pi-sh\s+posix-sh/);
  const report = loadReport(join(out, 'pi-sh.json'));
  assert.equal(report.agent.mode, 'posix-sh');
  assert.equal(report.agent.node, null);
  assert.equal(report.host.label, 'pi-sh');
  assert.equal(report.metrics['memory.cgroup_limit_bytes'], LIMIT_BYTES);
  assert.equal(report.metrics['python.found'], true);
  assert.match(String(report.metrics['python.version']), /^3\.\d+\.\d+$/);
  assert.match(String(report.metrics['python.django_version']), /^\d+\.\d+/, "Debian's python3-django is seen");
  assert.equal(typeof report.metrics['streaming.python_messages_per_second'], 'number', 'the Python streaming tier ran on the device');
  assert.equal(typeof report.metrics['streaming.bytes_per_connection'], 'number');
  // Every metric is either measured or null with a reason, and every probe has an envelope.
  for (const [id, value] of Object.entries(report.metrics)) {
    if (value !== null) continue;
    const probe = report.probes.find((p) => p.id === id.split('.')[0]);
    assert.ok(probe, `envelope for ${id}`);
    const reasons = probe.details['unmeasured'] as Record<string, string> | undefined;
    assert.ok(reasons?.[id], `${id} is null with a reason`);
  }
});

test('the sh probe runs under busybox ash with a busybox-only userland', { skip }, async () => {
  const out = join(work, 'busybox');
  const result = await ssh(['pi-busybox', '--out', out, '--duration', '3']);
  assert.equal(result.code, 0, result.stderr + result.stdout);
  const report = loadReport(join(out, 'pi-busybox.json'));
  assert.equal(report.agent.mode, 'posix-sh');
  const host = report.probes.find((p) => p.id === 'host');
  assert.equal(host?.details['shell'], '/usr/bin/busybox', 'the probe ran in busybox');
  // No python3 on its PATH, but like the agent the sh probe also looks in /usr/bin and /usr/local/bin.
  assert.match(String(report.metrics['python.path']), /^\/usr(\/local)?\/bin\/python3/);
  assert.equal(report.metrics['memory.cgroup_limit_bytes'], LIMIT_BYTES);
  assert.equal(typeof report.metrics['disk.free_bytes'], 'number');
});

test("for the same host, the sh probe's memory, cpu and python metrics agree with the agent's", { skip }, async () => {
  const out = join(work, 'agree');
  const result = await ssh(['pi-node', 'pi-sh', 'pi-busybox', '--quick', '--out', out]);
  assert.equal(result.code, 0, result.stderr + result.stdout);
  const agent = loadReport(join(out, 'pi-node.json'));
  // Saved reports of both kinds are judged again later, without probing, by `edgeprobe check`.
  const check = await runCli(['check', join(out, 'pi-node.json'), join(out, 'pi-sh.json'), '--profile', profiles.tight, '--format', 'json']);
  assert.equal(check.code, 1, check.stderr);
  for (const name of ['pi-sh', 'pi-busybox']) {
    const sh = loadReport(join(out, `${name}.json`));
    for (const id of Object.keys(agent.metrics).filter((m) => /^(memory|cpu)\./.test(m))) {
      const a = agent.metrics[id];
      const b = sh.metrics[id];
      if (['memory.available_bytes', 'memory.effective_available_bytes', 'memory.cgroup_usage_bytes', 'memory.swap_free_bytes'].includes(id)) {
        // Moving figures: the same order of magnitude, within 128 MiB.
        assert.equal(typeof b, 'number', `${name} ${id}`);
        assert.ok(Math.abs((a as number) - (b as number)) < 128 * MiB, `${name} ${id}: agent ${String(a)} vs sh ${String(b)}`);
      } else if (id === 'cpu.load_average_1m') {
        assert.equal(typeof b, 'number', `${name} ${id}`);
      } else if (id === 'cpu.single_thread_score' || id === 'cpu.multi_thread_score') {
        assert.equal(b, null, `${name} ${id} is not measured by the sh probe`);
      } else {
        assert.deepEqual(b, a, `${name} ${id}`);
      }
    }
  }
  // Python: the same interpreter inspected and rated the same way (its path differs: another PATH).
  const sh = loadReport(join(out, 'pi-sh.json'));
  for (const id of Object.keys(agent.metrics).filter((m) => m.startsWith('python.') && m !== 'python.path')) {
    assert.deepEqual(sh.metrics[id], agent.metrics[id], `pi-sh ${id}`);
  }
});

test('a fleet with unreachable, refused, hanging, killed, shell-less and wrong-key hosts: healthy hosts reported, faults classified, time bounded by --timeout', {
  skip,
}, async () => {
  const out = join(work, 'fleet');
  const timeoutS = 20;
  const started = Date.now();
  const result = await ssh([
    'pi-node',
    'pi-sh',
    'pi-busybox',
    'unreachable',
    'refused',
    'hangs',
    'killed',
    'dropped',
    'noshell',
    'badkey',
    'silent',
    '--quick',
    '--out',
    out,
    '--format',
    'json',
    '--timeout',
    String(timeoutS),
    '--connect-timeout',
    '5',
    '--concurrency',
    '11',
  ]);
  const elapsedS = (Date.now() - started) / 1000;
  assert.equal(result.code, 3, `the worst host is unknown (exit 3)\n${result.stderr}`);
  const summary = jsonOf(result);
  const expected: Record<string, string> = {
    unreachable: 'unreachable',
    refused: 'auth-failed',
    hangs: 'timeout',
    killed: 'killed',
    dropped: 'killed',
    noshell: 'no-shell',
    badkey: 'host-key-mismatch',
    silent: 'timeout',
  };
  for (const name of ['pi-node', 'pi-sh', 'pi-busybox']) {
    assert.equal(summaryHost(summary, name)['status'], 'ok', `${name} reported: ${JSON.stringify(summaryHost(summary, name))}`);
    loadReport(join(out, `${name}.json`));
  }
  for (const [name, failure] of Object.entries(expected)) {
    const host = summaryHost(summary, name);
    assert.equal(host['failure'], failure, `${name}: ${JSON.stringify(host)}`);
    assert.equal(host['exitCode'], 3);
    assert.ok(!existsSync(join(out, `${name}.json`)), `no report file for ${name}`);
  }
  assert.match(String(summaryHost(summary, 'killed')['message']), /signal 9/);
  assert.match(String(summaryHost(summary, 'dropped')['message']), /partial output discarded/);
  assert.ok(elapsedS < timeoutS + 10, `whole fleet took ${elapsedS.toFixed(1)} s with --timeout ${timeoutS}`);
  const saved = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Record<string, unknown>;
  assert.equal((saved['hosts'] as unknown[]).length, 11);
});

test('an Ansible YAML inventory drives the fleet (groups, ansible_host, ansible_port, ansible_user, key file, ssh args)', { skip }, async () => {
  const inventory = join(work, 'inventory.yml');
  const shUserName = readFileSync(sshd.sshConfig, 'utf8').match(/Host pi-sh\n(?:.*\n)*?\s+User (\S+)/)?.[1];
  writeFileSync(
    inventory,
    [
      'all:',
      '  vars:',
      `    ansible_port: ${sshd.port}`,
      `    ansible_ssh_private_key_file: ${sshd.clientKey}`,
      `    ansible_ssh_common_args: "-o 'UserKnownHostsFile=${sshd.knownHosts}' -o GlobalKnownHostsFile=/dev/null"`,
      '  children:',
      '    pis:',
      '      vars:',
      '        ansible_host: 127.0.0.1',
      '      hosts:',
      '        kitchen:',
      `          ansible_user: ${nodeUser.name}`,
      '        garage:',
      `          ansible_user: ${shUserName ?? 'missing'}`,
      '    elsewhere:',
      '      hosts:',
      '        ghost:',
      '          ansible_host: 127.0.0.1',
      `          ansible_port: ${await sparePort()}`,
      '',
    ].join('\n'),
  );
  const out = join(work, 'inventory');
  const result = await runCli(
    ['ssh', '-i', inventory, 'pis', '--quick', '--out', out, '--ssh-option', 'StrictHostKeyChecking=yes', '--profile', profiles.lenient],
    { timeoutMs: 60_000 },
  );
  assert.equal(result.code, 0, result.stderr + result.stdout);
  assert.match(result.stdout, /kitchen\s+node/);
  assert.match(result.stdout, /garage\s+posix-sh/);
  assert.doesNotMatch(result.stdout, /ghost/, 'only the selected group runs');
  assert.equal(loadReport(join(out, 'kitchen.json')).host.label, 'kitchen');
  assert.equal(loadReport(join(out, 'garage.json')).agent.mode, 'posix-sh');
});

test('--mode node on a host without node is classified, not silently downgraded', { skip }, async () => {
  const result = await ssh(['pi-sh', '--mode', 'node', '--format', 'json', '--quick']);
  assert.equal(result.code, 3);
  assert.equal(summaryHost(jsonOf(result), 'pi-sh')['failure'], 'no-node');
});

test('node 18 is used as it is; a node older than 18 gets the sh probe instead', {
  skip: skip || requireComponent(executable(NODE18), 'Node 18', 'scripts/install-test-deps.sh'),
}, async () => {
  const out = join(work, 'versions');
  const result = await ssh(['pi-node18', 'pi-node16', '--quick', '--out', out]);
  assert.equal(result.code, 0, result.stderr + result.stdout);
  const node18 = loadReport(join(out, 'pi-node18.json'));
  assert.equal(node18.agent.mode, 'node');
  assert.match(String(node18.agent.node), /^18\./);
  assert.equal(loadReport(join(out, 'pi-node16.json')).agent.mode, 'posix-sh');
});

test('on a terminal, stderr shows a live line per host that ends with its outcome', {
  skip: skip || requireComponent(executable('/usr/bin/script'), 'script (util-linux)', 'apt install util-linux'),
}, async () => {
  const command = [
    process.execPath,
    join(REPO_ROOT, 'bin', 'edgeprobe.js'),
    'ssh',
    '--ssh-config',
    sshd.sshConfig,
    'pi-node',
    'refused',
    '--quick',
    '--profile',
    profiles.lenient,
  ]
    .map(shellQuote)
    .join(' ');
  // script(1) runs the command on a pseudo-terminal, as a person at a terminal would.
  const result = await execCommand('/usr/bin/script', ['-qec', command, '/dev/null'], {
    timeoutMs: 60_000,
    env: { ...process.env, TERM: 'xterm', COLUMNS: '120' },
  });
  assert.equal(result.code, 3, result.stdout);
  const text = result.stdout;
  assert.match(text, /\u001b\[2A/, 'the two host lines are redrawn in place');
  assert.match(text, /pi-node\s+(connecting|probing)/);
  assert.match(text, /pi-node\s+ok {2}node/);
  assert.match(text, /refused\s+failed {2}authentication failed/);
  assert.match(text, /HOST\s+MODE\s+BOARD/);
});

test("the system ssh client's own features work: ProxyJump from --ssh-option, keys from ssh-agent", { skip }, async () => {
  const accepted = (): number => (sshd.log().match(new RegExp(`Accepted publickey for ${nodeUser.name} `, 'g')) ?? []).length;
  const before = accepted();
  const jumped = await ssh(['pi-node', '--quick', '--format', 'json', '--ssh-option', 'ProxyJump=pi-node']);
  assert.equal(jumped.code, 0, jumped.stderr + jumped.stdout);
  assert.equal(summaryHost(jsonOf(jumped), 'pi-node')['status'], 'ok');
  assert.equal(accepted() - before, 2, 'one login on the jump host, one on the target through it');

  const agentDir = makeTempDir('ssh-agent');
  const socket = join(agentDir, 'agent.sock');
  const agent = await execCommand('ssh-agent', ['-a', socket, '-s'], { timeoutMs: 10_000 });
  const agentPid = Number(/SSH_AGENT_PID=(\d+)/.exec(agent.stdout)?.[1] ?? 0);
  try {
    const env = { ...process.env, SSH_AUTH_SOCK: socket, NO_COLOR: '1' };
    assert.equal((await execCommand('ssh-add', [sshd.clientKey], { timeoutMs: 10_000, env })).code, 0);
    // No IdentityFile anywhere: the key can only come from the agent.
    const result = await runCli(
      [
        'ssh',
        `${nodeUser.name}@127.0.0.1:${sshd.port}`,
        '--quick',
        '--format',
        'json',
        '--profile',
        profiles.lenient,
        '--ssh-config',
        '/dev/null',
        '--ssh-option',
        `UserKnownHostsFile=${sshd.knownHosts}`,
        '--ssh-option',
        'GlobalKnownHostsFile=/dev/null',
      ],
      { env, timeoutMs: 60_000 },
    );
    assert.equal(result.code, 0, result.stderr + result.stdout);
  } finally {
    if (agentPid > 0) process.kill(agentPid);
    removeTemp(agentDir);
  }
});

test('--concurrency bounds how many hosts run at once', { skip }, async () => {
  const log = join(sshd.dir, 'runs.log');
  writeFileSync(log, '');
  const one = await ssh(['m1', 'm2', 'm3', '--quick', '--concurrency', '1']);
  assert.equal(one.code, 0, one.stderr + one.stdout);
  assert.equal(readFileSync(log, 'utf8'), 'SESESE', 'one at a time');
  writeFileSync(log, '');
  const three = await ssh(['m1', 'm2', 'm3', '--quick', '--concurrency', '3']);
  assert.equal(three.code, 0, three.stderr + three.stdout);
  assert.match(readFileSync(log, 'utf8'), /^SS/, 'runs overlap');
});

test("each report is judged against the profile; the exit code is the worst host's", { skip }, async () => {
  // The default profile (django-channels): whatever this machine gets, the codes follow the verdicts.
  const byDefault = jsonOf(await ssh(['pi-node', 'pi-sh', '--quick', '--format', 'json', '--profile', 'django-channels']));
  assert.equal(byDefault['profile'], 'django-channels');
  for (const name of ['pi-node', 'pi-sh']) {
    const host = summaryHost(byDefault, name);
    assert.ok(['viable', 'viable-with-warnings', 'not-viable', 'unknown'].includes(String(host['verdict'])), JSON.stringify(host));
    // viable (with warnings) exits 0, or 3 when a probe failed (incomplete).
    const allowed = host['verdict'] === 'not-viable' ? [1] : host['verdict'] === 'unknown' ? [3] : [0, 3];
    assert.ok(allowed.includes(Number(host['exitCode'])), `${name}: exit code ${String(host['exitCode'])} from verdict ${String(host['verdict'])}`);
    assert.equal(typeof (host['capacity'] as Record<string, unknown>)['workers'], 'number');
  }
  // Not viable anywhere: exit 1, even with an unreachable host in the fleet (not-viable outranks unknown).
  const tight = await ssh(['pi-node', 'pi-sh', 'unreachable', '--quick', '--profile', profiles.tight, '--connect-timeout', '3']);
  assert.equal(tight.code, 1, tight.stdout + tight.stderr);
  assert.match(tight.stdout, /pi-node\s+node\s.*not-viable/);
  assert.match(tight.stdout, /pi-sh\s+posix-sh\s.*not-viable/);
  assert.match(tight.stdout, /pi-node: Not viable: test\.memory failed/);
  // Viable everywhere: exit 0; and a broken profile is a usage error before any host is contacted.
  assert.equal((await ssh(['pi-node', 'pi-sh', '--quick'])).code, 0);
  const broken = await ssh(['pi-node', '--profile', join(work, 'no-such-profile.json')]);
  assert.equal(broken.code, 2);
});

test('--upload sends each report to a dashboard; an unreachable dashboard spools them', { skip }, async () => {
  const db = join(work, 'dashboard.db');
  const dashboard = await startServe(db, await sparePort());
  try {
    const token = await createTokenCli(db, 'upload,read');
    const result = await ssh([
      'pi-node',
      'pi-sh',
      'unreachable',
      '--quick',
      '--format',
      'json',
      '--upload',
      dashboard.url,
      '--token',
      token,
      '--spool',
      join(work, 'spool'),
      '--connect-timeout',
      '3',
    ]);
    assert.equal(result.code, 3, result.stderr);
    const summary = jsonOf(result);
    for (const name of ['pi-node', 'pi-sh']) {
      const host = summaryHost(summary, name);
      assert.equal((host['upload'] as Record<string, unknown>)['status'], 'delivered', JSON.stringify(host));
      const stored = await fetch(`${dashboard.url}/api/v1/reports/${String(host['reportId'])}`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(stored.status, 200, `${name}'s report is on the dashboard`);
    }
    assert.equal(summaryHost(summary, 'unreachable')['upload'], undefined, 'nothing to upload for a host that did not report');
  } finally {
    await dashboard.stop();
  }
  // The dashboard is gone: the report waits in the spool, the run says so.
  const spool = join(work, 'spool-later');
  const later = await ssh([
    'pi-node',
    '--quick',
    '--upload',
    dashboard.url,
    '--token',
    'ep_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    '--spool',
    spool,
  ]);
  assert.equal(later.code, 0, later.stderr);
  assert.match(later.stdout, /pi-node: upload: not delivered .*spooled to/);
  assert.equal(readdirSync(spool).filter((f) => f.endsWith('.json')).length, 1);
  const noToken = await runCli(['ssh', 'pi-node', '--upload', 'http://127.0.0.1:9'], { env: { ...process.env, EDGEPROBE_TOKEN: '' } });
  assert.equal(noToken.code, 2);
  assert.match(noToken.stderr, /upload token is needed/);
});
