// scripts/edgeprobe-playbook.yml with Debian's ansible-core against the loopback OpenSSH server: the agent
// where node exists, the POSIX-sh probe where it does not (busybox too), reports collected on the controller,
// unreachable hosts and a run killed mid-way leaving no report behind.

import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { execCommand, makeTempDir, removeTemp } from '../src/platform/process.js';
import { VERSION } from '../src/platform/version.js';
import { parseReport } from '../src/report/validate.js';
import { REPO_ROOT } from './helpers/cli.js';
import { createTokenCli, startServe } from './helpers/dashboard.js';
import { executable, requireComponent } from './helpers/env.js';
import { type Sshd, sparePort, sshdAvailable, startSshd } from './helpers/sshd.js';

const PLAYBOOK = join(REPO_ROOT, 'scripts', 'edgeprobe-playbook.yml');
const skip = requireComponent(
  sshdAvailable() && executable('/usr/bin/ansible-playbook'),
  "root, Debian's openssh-server and ansible-core",
  'scripts/install-test-deps.sh as root',
);
const work = makeTempDir('playbook-test');
let sshd: Sshd;
let inventory: string;

function ansibleEnv(): NodeJS.ProcessEnv {
  mkdirSync(join(work, 'home'), { recursive: true });
  return {
    ...process.env,
    HOME: join(work, 'home'),
    ANSIBLE_LOCAL_TEMP: join(work, 'home', 'tmp'),
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_RETRY_FILES_ENABLED: 'false',
    ANSIBLE_FORKS: '8',
  };
}

before(async () => {
  if (skip) return;
  sshd = await startSshd();
  const node = sshd.addUser({ label: 'node' });
  const sh = sshd.addUser({ label: 'sh', path: sshd.pathWithout(['node', 'nodejs']) });
  const busybox = sshd.busyboxPath();
  const bb = sshd.addUser({ label: 'busybox', shell: join(busybox, 'sh'), path: busybox });
  const refused = sshd.addUser({ label: 'refused', authorized: false });
  const fake = join(sshd.dir, 'fake-killed');
  mkdirSync(fake);
  writeFileSync(
    join(fake, 'node'),
    '#!/bin/sh\ncase "$1" in -e|-v) exec /usr/bin/node "$@" ;; esac\nprintf \'{"schema":"edgeprobe.report/v1","id":"\'\nkill -9 $$\n',
  );
  chmodSync(join(fake, 'node'), 0o755);
  chmodSync(fake, 0o755);
  const killed = sshd.addUser({ label: 'killed', path: `${fake}:/usr/bin:/bin` });
  inventory = join(work, 'inventory.ini');
  writeFileSync(
    inventory,
    [
      '[pis]',
      `kitchen ansible_user=${node.name}`,
      `garage ansible_user=${sh.name} ansible_python_interpreter=/usr/bin/python3`,
      `shed ansible_user=${bb.name}`,
      '[broken]',
      `refused ansible_user=${refused.name}`,
      `gone ansible_user=${node.name} ansible_port=${await sparePort()}`,
      `killed ansible_user=${killed.name}`,
      '[all:vars]',
      'ansible_host=127.0.0.1',
      `ansible_port=${sshd.port}`,
      `ansible_ssh_private_key_file=${sshd.clientKey}`,
      `ansible_ssh_common_args=-o UserKnownHostsFile=${sshd.knownHosts} -o GlobalKnownHostsFile=/dev/null -o IdentitiesOnly=yes`,
      '',
    ].join('\n'),
  );
});

after(async () => {
  await sshd?.stop();
  removeTemp(work);
});

test('the playbook passes ansible-playbook --syntax-check', {
  skip: requireComponent(executable('/usr/bin/ansible-playbook'), 'ansible-core', 'scripts/install-test-deps.sh'),
}, async () => {
  const result = await execCommand('ansible-playbook', ['--syntax-check', '-i', 'localhost,', PLAYBOOK], { timeoutMs: 60_000, env: ansibleEnv() });
  assert.equal(result.code, 0, result.stdout + result.stderr);
});

test('the playbook probes an inventory: agent with node, sh probe without, reports collected and uploaded, broken hosts leave none', { skip }, async () => {
  const out = join(work, 'reports');
  const db = join(work, 'dashboard.db');
  const dashboard = await startServe(db, 0);
  const token = await createTokenCli(db, 'upload,read');
  let result: Awaited<ReturnType<typeof execCommand>>;
  try {
    result = await execCommand(
      'ansible-playbook',
      [
        '-i',
        inventory,
        PLAYBOOK,
        '-e',
        `edgeprobe_out=${out}`,
        '-e',
        'edgeprobe_quick=true',
        '-e',
        `edgeprobe_upload=${dashboard.url}`,
        '-e',
        `edgeprobe_controller_node=${process.execPath}`,
      ],
      {
        timeoutMs: 120_000,
        env: { ...ansibleEnv(), EDGEPROBE_TOKEN: token },
      },
    );
    // Every collected report also reached the dashboard.
    for (const name of ['kitchen', 'garage', 'shed']) {
      const check = parseReport(readFileSync(join(out, `${name}.json`), 'utf8'));
      if (!check.ok) continue;
      const stored = await fetch(`${dashboard.url}/api/v1/reports/${check.report.id}`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(stored.status, 200, `${name}'s report is on the dashboard`);
    }
  } finally {
    await dashboard.stop();
  }
  const log = result.stdout + result.stderr;
  // 4: some hosts were unreachable (Ansible's own exit code), the others still ran.
  assert.equal(result.code, 4, log);
  assert.deepEqual(readdirSync(out).sort(), ['garage.json', 'kitchen.json', 'shed.json'], log);
  const modes: Record<string, string> = { kitchen: 'node', garage: 'posix-sh', shed: 'posix-sh' };
  for (const [name, mode] of Object.entries(modes)) {
    const check = parseReport(readFileSync(join(out, `${name}.json`), 'utf8'));
    assert.ok(check.ok, `${name}: ${check.ok ? '' : check.errors.join('; ')}`);
    assert.equal(check.report.agent.mode, mode, name);
    assert.equal(check.report.agent.version, VERSION);
    assert.equal(check.report.host.label, name);
  }
  const garage = parseReport(readFileSync(join(out, 'garage.json'), 'utf8'));
  assert.ok(garage.ok && garage.report.metrics['python.path'] !== null, 'ansible_python_interpreter is used for the python metrics');
  assert.match(log, /refused\s+: ok=0\s+changed=0\s+unreachable=1/);
  assert.match(log, /killed\s+: .*failed=1/);
  assert.ok(!existsSync(join(out, 'killed.json')), 'partial output is not saved');
});
