// Inventories: command-line targets, plain host lists, and Ansible INI/YAML inventories, the latter checked
// against what Ansible itself makes of the same file (`ansible-inventory --list`, Debian's ansible-core).

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { execCommand, makeTempDir, removeTemp } from '../src/platform/process.js';
import { shellQuote } from '../src/platform/shell-quote.js';
import {
  detectInventoryFormat,
  expandHostPattern,
  InventoryError,
  parseDeviceSpec,
  parseHostList,
  parseInventory,
  type RemoteDevice,
  selectDevices,
  splitWords,
} from '../src/remote/inventory.js';
import { remoteCommand, sshArgs } from '../src/remote/ssh.js';
import { runCli } from './helpers/cli.js';
import { executable, requireComponent } from './helpers/env.js';

const noAnsible = requireComponent(executable('/usr/bin/ansible-inventory'), 'ansible-core', 'scripts/install-test-deps.sh');

const INI = `# a fleet of boards
bare.example
[pis]
kitchen ansible_host=10.0.0.5 ansible_user=pi
garage  ansible_host=10.0.0.6 ansible_port=2222   # inline comment
web[01:03].lan
"quoted" ansible_host=10.0.0.9

[pis:vars]
ansible_user=piuser
ansible_port=22

[zeros]
zero1 ansible_host=10.0.1.1 ansible_ssh_private_key_file=/keys/zero

[edge:children]
pis
zeros

[edge:vars]
ansible_port=2200
ansible_python_interpreter=/usr/bin/python3
ansible_ssh_common_args='-o ProxyJump=bastion.lan -o "UserKnownHostsFile=/etc/edge hosts"'
`.replace('"quoted" ansible_host=10.0.0.9\n', '');

const YAML = `---
all:
  vars:
    ansible_user: admin
  hosts:
    lonely.lan:
  children:
    workshop:
      vars:
        ansible_port: 2022
      hosts:
        bench[a:c]:
          ansible_host: 192.168.1.10
        lathe:
          ansible_user: pi
      children:
        cellar:
          vars:
            ansible_port: 2222
          hosts:
            zero-[1:2]:
    garden:
      hosts:
        lathe:
        shed:
          ansible_host: fd00::5
          ansible_ssh_port: 2200
          ansible_ssh_user: old
`;

interface AnsibleView {
  hostvars: Record<string, Record<string, unknown>>;
  groups: Map<string, Set<string>>;
}

async function ansibleInventory(file: string, home: string): Promise<AnsibleView> {
  const result = await execCommand('ansible-inventory', ['-i', file, '--list'], {
    timeoutMs: 60_000,
    env: { ...process.env, HOME: home, ANSIBLE_LOCAL_TEMP: join(home, 'tmp'), ANSIBLE_NOCOLOR: '1', ANSIBLE_INVENTORY_UNPARSED_FAILED: '1' },
  });
  assert.equal(result.code, 0, `ansible-inventory: ${result.stderr}`);
  const data = JSON.parse(result.stdout) as Record<string, { hosts?: string[]; children?: string[]; hostvars?: Record<string, Record<string, unknown>> }>;
  const hostvars = (data['_meta']?.hostvars ?? {}) as Record<string, Record<string, unknown>>;
  const groups = new Map<string, Set<string>>();
  const walk = (group: string, trail: string[]): string[] => {
    const entry = data[group];
    const hosts = [...(entry?.hosts ?? [])];
    for (const child of entry?.children ?? []) if (!trail.includes(child)) hosts.push(...walk(child, [...trail, group]));
    return hosts;
  };
  for (const group of Object.keys(data)) {
    if (group === '_meta' || group === 'all' || group === 'ungrouped') continue;
    for (const host of walk(group, [])) {
      const set = groups.get(host) ?? new Set<string>();
      set.add(group);
      groups.set(host, set);
    }
  }
  return { hostvars, groups };
}

function expectSameAsAnsible(targets: RemoteDevice[], view: AnsibleView): void {
  assert.deepEqual(
    targets.map((t) => t.name).sort(),
    Object.keys(view.hostvars)
      .concat(
        // ansible-inventory leaves hosts without any variable out of _meta.hostvars
        targets.map((t) => t.name).filter((n) => !(n in view.hostvars)),
      )
      .sort(),
  );
  for (const target of targets) {
    const vars = view.hostvars[target.name] ?? {};
    const where = `host ${target.name}`;
    assert.equal(target.host, String(vars['ansible_host'] ?? vars['ansible_ssh_host'] ?? target.name), `${where}: address`);
    const port = vars['ansible_port'] ?? vars['ansible_ssh_port'];
    assert.equal(target.port, port === undefined ? undefined : Number(port), `${where}: port`);
    assert.equal(target.user, vars['ansible_user'] ?? vars['ansible_ssh_user'], `${where}: user`);
    assert.equal(target.python, vars['ansible_python_interpreter'], `${where}: python`);
    assert.equal(target.identityFile, vars['ansible_ssh_private_key_file'], `${where}: key`);
    assert.equal(target.sshArgs !== undefined, vars['ansible_ssh_common_args'] !== undefined, `${where}: ssh args`);
    assert.deepEqual([...target.groups].sort(), [...(view.groups.get(target.name) ?? [])].sort(), `${where}: groups`);
  }
}

test('an Ansible INI inventory resolves as Ansible resolves it: groups, children, ranges, group vars precedence', { skip: noAnsible }, async () => {
  const dir = makeTempDir('inventory-ini');
  try {
    const file = join(dir, 'hosts');
    writeFileSync(file, INI);
    assert.equal(detectInventoryFormat(file, INI), 'ini');
    const targets = parseInventory(file, INI);
    expectSameAsAnsible(targets, await ansibleInventory(file, dir));
    assert.deepEqual(
      targets.map((t) => t.name),
      ['bare.example', 'kitchen', 'garage', 'web01.lan', 'web02.lan', 'web03.lan', 'zero1'],
    );
    const kitchen = targets.find((t) => t.name === 'kitchen');
    assert.deepEqual(kitchen, {
      name: 'kitchen',
      host: '10.0.0.5',
      port: 22,
      user: 'pi',
      python: '/usr/bin/python3',
      groups: ['edge', 'pis'],
      sshArgs: ['-o', 'ProxyJump=bastion.lan', '-o', 'UserKnownHostsFile=/etc/edge hosts'],
    });
    assert.equal(targets.find((t) => t.name === 'bare.example')?.sshArgs, undefined);
  } finally {
    removeTemp(dir);
  }
});

test('an Ansible YAML inventory resolves as Ansible resolves it: nested children, vars at every level, old ansible_ssh_* names, IPv6', {
  skip: noAnsible,
}, async () => {
  const dir = makeTempDir('inventory-yaml');
  try {
    const file = join(dir, 'inventory.yml');
    writeFileSync(file, YAML);
    const targets = parseInventory(file, YAML);
    expectSameAsAnsible(targets, await ansibleInventory(file, dir));
    const zero = targets.find((t) => t.name === 'zero-2');
    assert.equal(zero?.port, 2222, 'the deeper group wins');
    assert.equal(targets.find((t) => t.name === 'shed')?.host, 'fd00::5');
  } finally {
    removeTemp(dir);
  }
});

test('command-line targets and plain host lists', () => {
  assert.deepEqual(parseDeviceSpec('pi@raspberrypi.local:2222'), {
    name: 'pi@raspberrypi.local:2222',
    host: 'raspberrypi.local',
    port: 2222,
    user: 'pi',
    groups: [],
  });
  assert.deepEqual(parseDeviceSpec('ssh://root@[fd00::1]:22'), { name: 'ssh://root@[fd00::1]:22', host: 'fd00::1', port: 22, user: 'root', groups: [] });
  assert.deepEqual(parseDeviceSpec('fd00::1'), { name: 'fd00::1', host: 'fd00::1', groups: [] });
  assert.equal(parseDeviceSpec('my-alias').host, 'my-alias');
  const list = parseHostList('# boards\npi@zero.lan\n\nbeagle.lan:2200  # the old one\n', 'hosts.txt');
  assert.deepEqual(
    list.map((t) => [t.host, t.user, t.port]),
    [
      ['zero.lan', 'pi', undefined],
      ['beagle.lan', undefined, 2200],
    ],
  );
  assert.equal(detectInventoryFormat('hosts.txt', 'pi@zero.lan\nbeagle.lan\n'), 'list');
  assert.equal(detectInventoryFormat('inventory', 'all:\n  hosts:\n'), 'yaml');
  assert.deepEqual(expandHostPattern('node[08:11].lan', 'x'), ['node08.lan', 'node09.lan', 'node10.lan', 'node11.lan']);
});

test("extra ssh arguments from the inventory split into words as Python's shlex (what Ansible uses) splits them", async () => {
  const samples = [`-o ProxyJump=a -o 'IdentityFile=/k s/id'`, `-o "Ciphers=aes128-ctr" -C`, `-o UserKnownHostsFile=a\\ b -o X="y \\"z\\""`, '  -4  '];
  for (const sample of samples) {
    const result = await execCommand('python3', ['-c', 'import json, shlex, sys; print(json.dumps(shlex.split(sys.argv[1])))', sample], { timeoutMs: 10_000 });
    assert.deepEqual(splitWords(sample, 'x'), JSON.parse(result.stdout), sample);
  }
  assert.throws(() => splitWords(`-o 'open`, 'inv:3'), /inv:3: unbalanced ' quote/);
});

test('bad targets and inventories are refused with the place of the problem', () => {
  for (const bad of ['-oProxyCommand=touch /tmp/x', 'host name', 'pi@host:99999', 'us er@host', 'host;reboot', '']) {
    assert.throws(() => parseDeviceSpec(bad), InventoryError, bad);
  }
  assert.throws(() => parseHostList('ok.lan\ntwo hosts.lan here\n', 'list.txt'), /list\.txt:2/);
  assert.throws(() => parseInventory('inv.ini', '[pis]\nkitchen ansible_port=http\n'), /inv\.ini: host "kitchen": port "http" is not a number/);
  assert.throws(() => parseInventory('inv.ini', '[pis\nkitchen\n'), /inv\.ini:1/);
  assert.throws(() => parseInventory('inv.yml', 'all:\n  hosts: [a, b]\n'), /expected a mapping/);
  assert.throws(() => parseInventory('inv.yml', 'all:\n  hosts:\n    a:\n  foo: 1\n'), /unexpected key "foo"/);
  assert.throws(() => parseInventory('inv.yml', 'all: [\n'), /not valid YAML/);
  assert.throws(() => parseInventory('inv.yml', 'all:\n  hosts:\n    "-oProxyCommand=x":\n'), /not a valid host name/);
});

test('selecting groups and hosts of an inventory; other arguments are targets of their own', () => {
  const inventory = parseInventory('hosts', INI);
  assert.deepEqual(
    selectDevices(['zeros'], inventory).map((t) => t.name),
    ['zero1'],
  );
  assert.deepEqual(selectDevices(['edge'], inventory).length, 6);
  assert.deepEqual(
    selectDevices(['kitchen', 'pi@other.lan'], inventory).map((t) => t.host),
    ['10.0.0.5', 'other.lan'],
  );
  assert.deepEqual(selectDevices([], inventory).length, 7);
  assert.deepEqual(
    selectDevices(['a.lan', 'a.lan'], []).map((t) => t.name),
    ['a.lan'],
    'duplicates are dropped',
  );
});

test('ssh is started with an argument array: BatchMode, ConnectTimeout, options, and the host after "--"', () => {
  const target: RemoteDevice = { name: 'k', host: 'kitchen.lan', port: 2222, user: 'pi', identityFile: '/keys/k', groups: [] };
  const args = sshArgs(target, { connectTimeoutS: 7, sshOptions: ['ProxyJump=bastion'] }, 'CMD');
  assert.deepEqual(args.slice(-3), ['--', 'kitchen.lan', 'CMD']);
  const joined = args.join(' ');
  for (const part of ['-o BatchMode=yes', '-o ConnectTimeout=7', '-o ProxyJump=bastion', '-p 2222', '-l pi', '-i /keys/k', '-T', '-e none']) {
    assert.ok(joined.includes(part), `${part} in ${joined}`);
  }
  assert.equal(shellQuote("it's"), `'it'\\''s'`);
  const command = remoteCommand('auto', ['run', '--label', "o'brien; rm -rf ~"]);
  assert.ok(command.startsWith('sh -c '));
  assert.ok(command.endsWith(`'o'\\''brien; rm -rf ~'`), command);
});

test('edgeprobe ssh refuses bad usage with exit 2 and a clear message', async () => {
  const noTargets = await runCli(['ssh']);
  assert.equal(noTargets.code, 2);
  assert.match(noTargets.stderr, /no devices/);
  const missing = await runCli(['ssh', '-i', '/nonexistent/inventory.yml']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read it \(ENOENT\)/);
  const badOption = await runCli(['ssh', 'host.lan', '--ssh-option', 'BatchMode']);
  assert.equal(badOption.code, 2);
  assert.match(badOption.stderr, /expected KEY=VALUE/);
  const badTarget = await runCli(['ssh', '-oProxyCommand=touch /tmp/pwned']);
  assert.equal(badTarget.code, 2);
  const badConcurrency = await runCli(['ssh', 'host.lan', '--concurrency', '0']);
  assert.equal(badConcurrency.code, 2);
  const outIsFile = await runCli(['ssh', 'host.lan', '--out', '/etc/hostname']);
  assert.equal(outIsFile.code, 2);
  assert.match(outIsFile.stderr, /--out \/etc\/hostname: not a directory/);
  const noSsh = await runCli(['ssh', 'host.lan'], { env: { ...process.env, PATH: '/nonexistent' } });
  assert.equal(noSsh.code, 2);
  assert.match(noSsh.stderr, /no ssh client on PATH/);
  for (const result of [noTargets, missing, badOption, badTarget, badConcurrency, outIsFile, noSsh])
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
});
