// Fleet fact gathering: `edgeprobe ssh` over N lab SSH devices at concurrency C, against
// `ansible all -m setup -f C` over the same inventory. The devices are the lab's SSH devices without an
// emulated userland (sshd in its own network namespace and cgroup; sessions use this machine's node and
// python3), so the figure compares the tools, not the emulator.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseProcStatCpu } from '../../probes/lib/streaming/plan.js';
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

/** `edgeprobe ssh --quick` over the inventory; keepConnectionsIn: --keep-connections 60 (Ansible's default time), its sockets there. */
function runEdgeprobeSsh(inventory: string, knownHosts: string, keepConnectionsIn?: string): Promise<Sample> {
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
      ...(keepConnectionsIn ? ['--keep-connections', '60'] : []),
    ],
    { timeoutMs: 300_000, okCodes: [0, 1, 3], ...(keepConnectionsIn ? { env: { ...process.env, XDG_RUNTIME_DIR: keepConnectionsIn } } : {}) },
  );
}

/** A timing counts only if edgeprobe ssh reached every host. */
function checkAllHostsOk(sample: Sample): void {
  const summary = JSON.parse(sample.result.stdout) as { hosts: Array<{ status: string; name: string; message?: string }> };
  const failed = summary.hosts.filter((h) => h.status !== 'ok');
  if (summary.hosts.length !== FLEET_HOSTS || failed.length > 0)
    throw new Error(`edgeprobe ssh: ${failed.map((h) => `${h.name}: ${h.message ?? 'failed'}`).join('; ')}`);
}

/** How busy this machine's CPUs were while a command ran (all processes: the tool, ssh, sshd, the devices' work). */
async function withCpuBusy(run: () => Promise<Sample>): Promise<{ sample: Sample; busy: number | null }> {
  const before = parseProcStatCpu(readFileSync('/proc/stat', 'utf8'));
  const sample = await run();
  const after = parseProcStatCpu(readFileSync('/proc/stat', 'utf8'));
  const busy = before && after && after.total > before.total ? (after.busy - before.busy) / (after.total - before.total) : null;
  return { sample, busy };
}

function percent(values: ReadonlyArray<number | null>): string {
  const known = values.filter((v): v is number => v !== null);
  return known.length === 0 ? 'unknown' : `${Math.round(median(known) * 100)} %`;
}

interface FleetRuns {
  ours: number[];
  theirs: number[];
  oursShared: number[];
  theirsCold: number[];
  busyOurs: Array<number | null>;
  busyTheirs: Array<number | null>;
}

/** Alternating runs of the four: edgeprobe, Ansible (masters kept), edgeprobe keeping connections, Ansible afresh. */
async function alternatingRuns(options: BenchOptions, dir: string, inventory: string, knownHosts: string): Promise<FleetRuns> {
  // Ansible's SSH connection sharing (ControlPersist) stays on, as fleets run it; its masters live in our dir.
  const env = { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_HOST_KEY_CHECKING: 'True', ANSIBLE_LOCALHOST_WARNING: 'False' };
  const edgeprobe = (keepConnectionsIn?: string): Promise<Sample> => runEdgeprobeSsh(inventory, knownHosts, keepConnectionsIn);
  const ansible = (controlDir: string): Promise<Sample> =>
    measure('ansible setup', 'ansible', ['all', '-i', inventory, '-m', 'setup', '-f', String(FLEET_CONCURRENCY)], {
      timeoutMs: 300_000,
      env: { ...env, ANSIBLE_SSH_CONTROL_PATH_DIR: controlDir },
      cwd: dir,
    });
  checkAllHostsOk(await edgeprobe());
  checkAllHostsOk(await edgeprobe(dir));
  await ansible(join(dir, 'cp'));
  const runs: FleetRuns = { ours: [], theirs: [], oursShared: [], theirsCold: [], busyOurs: [], busyTheirs: [] };
  for (let i = 0; i < options.runs; i++) {
    options.log(`fleet: run ${i + 1}/${options.runs}`);
    const ours = await withCpuBusy(() => edgeprobe());
    checkAllHostsOk(ours.sample);
    runs.ours.push(ours.sample.wallMs);
    runs.busyOurs.push(ours.busy);
    const theirs = await withCpuBusy(() => ansible(join(dir, 'cp')));
    runs.theirs.push(theirs.sample.wallMs);
    runs.busyTheirs.push(theirs.busy);
    const oursShared = await edgeprobe(dir);
    checkAllHostsOk(oursShared);
    runs.oursShared.push(oursShared.wallMs);
    runs.theirsCold.push((await ansible(join(dir, `cp-cold-${i}`))).wallMs);
  }
  return runs;
}

/** maxRatio: the target (edgeprobe at most this share of Ansible's time), or null for a figure without one. */
function fleetRatio(id: string, title: string, ours: number[], theirs: number[], reference: string, maxRatio: number | null, note: string): Figure {
  const value = median(ours);
  const referenceValue = median(theirs);
  const ratio = value / referenceValue;
  return {
    id,
    title,
    value,
    unit: 'ms',
    reference,
    referenceValue,
    ratio,
    target: maxRatio === null ? '—' : `≤ ${maxRatio}×`,
    met: maxRatio === null ? null : ratio <= maxRatio,
    note,
    samples: { edgeprobeMs: ours.map(Math.round), ansibleMs: theirs.map(Math.round) },
  };
}

/**
 * The fleet figure, and two beside it that say where the time goes. The headline compares each tool as it
 * runs by default, as fleets run them: Ansible keeps a master connection per host for 60 s (ControlPersist),
 * so from its second run on it skips each host's key exchange; edgeprobe ssh opens one connection per host
 * and closes it unless told to keep it. Beside it: both tools sharing connections (edgeprobe --keep-connections 60),
 * and both without it (Ansible's masters in a fresh folder each run).
 */
export async function fleetFigures(options: BenchOptions): Promise<Figure[]> {
  const dir = makeTempDir('bench-fleet');
  const devices: SshDevice[] = [];
  try {
    options.log(`fleet: starting ${FLEET_HOSTS} SSH devices`);
    for (let i = 0; i < FLEET_HOSTS; i++)
      devices.push(await startSshDevice({ limits: { cpus: 1, memoryBytes: 1024 * 1024 * 1024 }, name: `fleet-${process.pid}-${i}` }));
    const { knownHosts, inventory } = writeInventory(dir, devices);
    const runs = await alternatingRuns(options, dir, inventory, knownHosts);
    const setting = `each host an sshd in its own network namespace with 1 CPU / 1 GiB, all on this 2-core machine; median of ${options.runs} alternating runs`;
    return [
      fleetRatio(
        'fleet_wall',
        `fleet: ${FLEET_HOSTS} SSH hosts at concurrency ${FLEET_CONCURRENCY}`,
        runs.ours,
        runs.theirs,
        `\`ansible all -m setup -f ${FLEET_CONCURRENCY}\`, same inventory`,
        0.4,
        `edgeprobe ssh --quick; ${setting}; Ansible with its default SSH ControlPersist (its masters outlive each run, so it skips the hosts' key exchange); the CPUs were busy ${percent(runs.busyOurs)} of edgeprobe's runs and ${percent(runs.busyTheirs)} of Ansible's (median)`,
      ),
      fleetRatio(
        'fleet_wall_shared_connections',
        'fleet, both sharing SSH connections',
        runs.oursShared,
        runs.theirs,
        'Ansible fact gathering (above)',
        null,
        `edgeprobe ssh --quick --keep-connections 60 (OpenSSH ControlMaster and ControlPersist=60, Ansible's defaults); ${setting}`,
      ),
      fleetRatio(
        'fleet_wall_fresh_connections',
        'fleet, neither sharing SSH connections',
        runs.ours,
        runs.theirsCold,
        `\`ansible all -m setup -f ${FLEET_CONCURRENCY}\`, a new ControlPath folder each run`,
        null,
        `edgeprobe ssh --quick as above; Ansible's masters started afresh each run, so both pay each host's key exchange; ${setting}`,
      ),
    ];
  } finally {
    for (const device of devices) await device.stop();
    removeTemp(dir);
  }
}
