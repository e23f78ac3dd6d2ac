// `edgeprobe ssh` over a fleet of test hosts on a real OpenSSH server on loopback (test/helpers/ssh-hosts.ts):
// faults classified and bounded in time, Ansible inventories, the live terminal line, the system ssh client's
// own features, --concurrency, verdicts and exit codes, uploads to a dashboard and the spool.

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { execCommand, makeTempDir, removeTemp } from '../src/platform/process.js';
import { shellQuote } from '../src/platform/shell-quote.js';
import { jsonOf, REPO_ROOT, runCli } from './helpers/cli.js';
import { createTokenCli, startServe } from './helpers/dashboard.js';
import { executable, requireComponent } from './helpers/env.js';
import { waitFor } from './helpers/leftovers.js';
import { loadReport, sshSkip, summaryHost, useSshHosts } from './helpers/ssh-hosts.js';
import { sparePort } from './helpers/sshd.js';

const hosts = useSshHosts('ssh-fleet-test');

test('a fleet with unreachable, refused, hanging, killed, shell-less and wrong-key hosts: healthy hosts reported, faults classified, time bounded by --timeout', {
  skip: sshSkip,
}, async () => {
  const { work, ssh } = hosts();
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

test('an Ansible YAML inventory drives the fleet (groups, ansible_host, ansible_port, ansible_user, key file, ssh args)', { skip: sshSkip }, async () => {
  const { sshd, nodeUser, work, profiles } = hosts();
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

test('on a terminal, stderr shows a live line per host that ends with its outcome', {
  skip: sshSkip || requireComponent(executable('/usr/bin/script'), 'script (util-linux)', 'apt install util-linux'),
}, async () => {
  const { sshd, profiles } = hosts();
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

test("the system ssh client's own features work: ProxyJump from --ssh-option, keys from ssh-agent", { skip: sshSkip }, async () => {
  const { sshd, nodeUser, profiles, ssh } = hosts();
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

test("--keep-connections: the second run logs in through the first run's kept connection, which ssh -O exit then ends", { skip: sshSkip }, async () => {
  const { sshd, nodeUser, profiles } = hosts();
  const accepted = (): number => (sshd.log().match(new RegExp(`Accepted publickey for ${nodeUser.name} `, 'g')) ?? []).length;
  const runtime = makeTempDir('kc'); // short: a socket's path has at most 104 bytes
  const sockets = join(runtime, 'edgeprobe-ssh');
  const env = { ...process.env, XDG_RUNTIME_DIR: runtime, NO_COLOR: '1' };
  const run = (): ReturnType<typeof runCli> =>
    runCli(
      [
        'ssh',
        'pi-node',
        '--ssh-config',
        sshd.sshConfig,
        '--profile',
        profiles.lenient,
        '--quick',
        '--only',
        'memory',
        '--format',
        'json',
        '--keep-connections',
        '30',
      ],
      {
        env,
        timeoutMs: 60_000,
      },
    );
  try {
    const before = accepted();
    const first = await run();
    // --only memory leaves platform.linux unjudged: exit 3, the host itself is reached and reported.
    assert.equal(first.code, 3, first.stderr + first.stdout);
    assert.equal(summaryHost(jsonOf(first), 'pi-node')['status'], 'ok');
    const kept = readdirSync(sockets);
    assert.equal(kept.length, 1, 'one kept connection, as a socket in the private folder');
    const second = await run();
    assert.equal(second.code, 3, second.stderr + second.stdout);
    assert.equal(summaryHost(jsonOf(second), 'pi-node')['status'], 'ok');
    assert.equal(accepted() - before, 1, 'one login for both runs: the second went through the kept connection');
    const socket = join(sockets, kept[0] ?? '');
    const stop = await execCommand('ssh', ['-F', sshd.sshConfig, '-o', `ControlPath=${socket}`, '-O', 'exit', 'pi-node'], { timeoutMs: 10_000, env });
    assert.equal(stop.code, 0, stop.stderr);
    assert.ok(await waitFor(() => !existsSync(socket), 5_000), 'the kept connection has ended and removed its socket');
  } finally {
    removeTemp(runtime);
  }
});

test('--concurrency bounds how many hosts run at once', { skip: sshSkip }, async () => {
  const { sshd, ssh } = hosts();
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

test("each report is judged against the profile; the exit code is the worst host's", { skip: sshSkip }, async () => {
  const { work, profiles, ssh } = hosts();
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

test('--upload sends each report to a dashboard; an unreachable dashboard spools them', { skip: sshSkip }, async () => {
  const { work, ssh } = hosts();
  const db = join(work, 'dashboard.db');
  const dashboard = await startServe(db, 0);
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
