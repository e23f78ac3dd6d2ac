// Fleet fact gathering: `edgeprobe ssh` over N lab SSH devices at concurrency C, against
// `ansible all -m setup -f C` over the same inventory. The devices are the lab's SSH devices without an
// emulated userland (sshd in its own network namespace and cgroup; sessions use this machine's node and
// python3), so the figure compares the tools, not the emulator.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, removeTemp } from '../../src/platform/process.js';
import { type SshDevice, startSshDevice } from '../lab/ssh-device.js';
import { repoRoot } from '../lab/userland.js';
import type { BenchOptions, Figure } from './figures.js';
import { measure, median, type Sample } from './measure.js';

export const FLEET_HOSTS = 8;
export const FLEET_CONCURRENCY = 4;

export function haveSshCommand(): boolean {
  return existsSync(join(repoRoot(), 'dist', 'src', 'cli', 'commands', 'ssh.js'));
}

/** An Ansible inventory of the devices, trusting exactly their host keys. */
function writeInventory(dir: string, devices: readonly SshDevice[]): { knownHosts: string; inventory: string } {
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, devices.map((d) => readFileSync(d.knownHostsFile, 'utf8')).join(''));
  const inventory = join(dir, 'inventory.ini');
  writeFileSync(
    inventory,
    [
      '[devices]',
      ...devices.map((d, i) => `device${i} ansible_host=${d.host} ansible_user=${d.user} ansible_ssh_private_key_file=${d.identityFile}`),
      '',
      '[devices:vars]',
      'ansible_python_interpreter=/usr/bin/python3',
      `ansible_ssh_common_args='-o UserKnownHostsFile=${knownHosts} -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes'`,
      '',
    ].join('\n'),
  );
  return { knownHosts, inventory };
}

function runEdgeprobeSsh(inventory: string, knownHosts: string): Promise<Sample> {
  return measure(
    'edgeprobe ssh',
    process.execPath,
    [
      join(repoRoot(), 'bin', 'edgeprobe.js'),
      'ssh',
      '-i',
      inventory,
      '--concurrency',
      String(FLEET_CONCURRENCY),
      '--quick',
      '--format',
      'json',
      '--ssh-option',
      `UserKnownHostsFile=${knownHosts}`,
      '--ssh-option',
      'StrictHostKeyChecking=yes',
    ],
    { timeoutMs: 300_000, okCodes: [0, 1, 3] },
  );
}

/** A timing counts only if edgeprobe ssh reached every host. */
function checkAllHostsOk(sample: Sample): void {
  const summary = JSON.parse(sample.result.stdout) as { hosts: Array<{ status: string; name: string; message?: string }> };
  const failed = summary.hosts.filter((h) => h.status !== 'ok');
  if (summary.hosts.length !== FLEET_HOSTS || failed.length > 0)
    throw new Error(`edgeprobe ssh: ${failed.map((h) => `${h.name}: ${h.message ?? 'failed'}`).join('; ')}`);
}

export async function fleetFigure(options: BenchOptions): Promise<Figure> {
  const dir = makeTempDir('bench-fleet');
  const devices: SshDevice[] = [];
  try {
    options.log(`fleet: starting ${FLEET_HOSTS} SSH devices`);
    for (let i = 0; i < FLEET_HOSTS; i++)
      devices.push(await startSshDevice({ limits: { cpus: 1, memoryBytes: 1024 * 1024 * 1024 }, name: `fleet-${process.pid}-${i}` }));
    const { knownHosts, inventory } = writeInventory(dir, devices);
    // Ansible's SSH connection sharing (ControlPersist) stays on, as fleets run it; its masters live in our dir.
    const env = {
      ...process.env,
      ANSIBLE_NOCOLOR: '1',
      ANSIBLE_HOST_KEY_CHECKING: 'True',
      ANSIBLE_LOCALHOST_WARNING: 'False',
      ANSIBLE_SSH_CONTROL_PATH_DIR: join(dir, 'cp'),
    };
    const edgeprobe = (): Promise<Sample> => runEdgeprobeSsh(inventory, knownHosts);
    const ansible = (): Promise<Sample> =>
      measure('ansible setup', 'ansible', ['all', '-i', inventory, '-m', 'setup', '-f', String(FLEET_CONCURRENCY)], { timeoutMs: 300_000, env, cwd: dir });
    checkAllHostsOk(await edgeprobe());
    await ansible();
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let i = 0; i < options.runs; i++) {
      options.log(`fleet: run ${i + 1}/${options.runs}`);
      const sample = await edgeprobe();
      checkAllHostsOk(sample);
      ours.push(sample.wallMs);
      theirs.push((await ansible()).wallMs);
    }
    const value = median(ours);
    const reference = median(theirs);
    return {
      id: 'fleet_wall',
      title: `fleet: ${FLEET_HOSTS} SSH hosts at concurrency ${FLEET_CONCURRENCY}`,
      value,
      unit: 'ms',
      reference: `\`ansible all -m setup -f ${FLEET_CONCURRENCY}\`, same inventory`,
      referenceValue: reference,
      ratio: value / reference,
      target: '≤ 0.4×',
      met: value / reference <= 0.4,
      note: `edgeprobe ssh --quick; each host an sshd in its own network namespace with 1 CPU / 1 GiB, all on this 2-core machine; Ansible with its default SSH ControlPersist; median of ${options.runs} alternating runs`,
      samples: { edgeprobeMs: ours.map(Math.round), ansibleMs: theirs.map(Math.round) },
    };
  } finally {
    for (const device of devices) await device.stop();
    removeTemp(dir);
  }
}
