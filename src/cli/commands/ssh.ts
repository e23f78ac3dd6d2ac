// `edgeprobe ssh`: probe devices over SSH without installing anything on them (logic in src/remote/).
import { accessSync, constants, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { normaliseCgroupPath, normaliseUnitName } from '../../../probes/lib/cgroup-target.js';
import { readCaFile } from '../../remote/ca-file.js';
import { connectionSharingOptions, KEEP_CONNECTIONS_MAX_S, parseKeepConnections } from '../../remote/connection-sharing.js';
import { fleetSummary, renderFleetTable, runFleet } from '../../remote/fleet.js';
import { InventoryError, parseInventory, type RemoteDevice, selectDevices } from '../../remote/inventory.js';
import { TIMER_INTERVALS, type TimerInterval } from '../../remote/schedule.js';
import { describeSchedule, installTimers, removeTimers, type ScheduleOptions, type ScheduleResult } from '../../remote/schedule-run.js';
import { type AgentModeChoice, agentBundle } from '../../remote/ssh.js';
import { dashboardEndpoint, defaultSpoolDir } from '../../remote/upload.js';
import { writeOutput } from '../../render/formats.js';
import { styleFor } from '../../render/style.js';
import { type CommandRegistration, choiceOption, EXIT, parseList, parsePositiveNumber, UsageError } from '../kit.js';
import { addVerdictOptions, collect, profileAndAllowances } from './verdict-options.js';

export const SSH_FORMATS = ['text', 'json'] as const;
export const SSH_MODES = ['auto', 'node', 'sh'] as const;

export interface SshCommandOptions {
  inventory?: string[];
  concurrency: number;
  profile: string;
  allow?: string[];
  strict?: boolean;
  output?: string;
  out?: string;
  sshOption?: string[];
  sshConfig?: string;
  timeout: number;
  connectTimeout: number;
  mode: AgentModeChoice;
  format: (typeof SSH_FORMATS)[number];
  upload?: string;
  token?: string;
  spool?: string;
  ca?: string;
  quick?: boolean;
  only?: string[];
  skip?: string[];
  duration?: number;
  activeSupervision?: boolean;
  verbose?: boolean;
  installTimer?: string;
  removeTimer?: boolean;
  unit?: string;
  cgroup?: string;
  keepConnections?: number;
}

function parseConcurrency(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new UsageError(`--concurrency must be a whole number from 1 to 256, got "${value}"`);
  return n;
}

function checkSshOption(option: string): string {
  if (!/^[A-Za-z][A-Za-z0-9]*=\S/.test(option)) throw new UsageError(`--ssh-option "${option}": expected KEY=VALUE, e.g. --ssh-option Port=2222`);
  return option;
}

/** --ssh-option values, then the connection sharing of --keep-connections (which they may not also set). */
function sshOptionsOf(opts: SshCommandOptions): string[] {
  const given = (opts.sshOption ?? []).map(checkSshOption);
  if (opts.keepConnections === undefined) return given;
  const clash = given.find((option) => /^control(master|path|persist)=/i.test(option));
  if (clash) throw new UsageError(`--keep-connections sets ControlMaster, ControlPath and ControlPersist itself: not with --ssh-option ${clash}`);
  return [...given, ...connectionSharingOptions(opts.keepConnections)];
}

function checkOutDir(dir: string): void {
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new UsageError(`--out ${dir}: not a directory`);
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw new UsageError(`--out ${dir}: cannot write there (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

function onPath(program: string): boolean {
  return (process.env['PATH'] ?? '')
    .split(':')
    .filter(Boolean)
    .some((dir) => {
      try {
        accessSync(join(dir, program), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
}

function loadDevices(args: readonly string[], inventories: readonly string[]): RemoteDevice[] {
  const fromFiles: RemoteDevice[] = [];
  for (const file of inventories) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new UsageError(`-i ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    try {
      fromFiles.push(...parseInventory(file, text));
    } catch (err) {
      if (err instanceof InventoryError) throw new UsageError(err.message);
      throw err;
    }
  }
  if (args.length === 0 && inventories.length === 0) throw new UsageError('no devices: give hosts (user@host[:port]) or an inventory (-i FILE)');
  let devices: RemoteDevice[];
  try {
    devices = selectDevices(args, fromFiles);
  } catch (err) {
    if (err instanceof InventoryError) throw new UsageError(err.message);
    throw err;
  }
  if (devices.length === 0) throw new UsageError(`no hosts in ${inventories.join(', ')}`);
  return devices;
}

/** The `run` options every host gets: --quick, --only, --skip, --duration. */
async function probeRunArgs(opts: SshCommandOptions): Promise<string[]> {
  const named = [...(opts.only ?? []), ...(opts.skip ?? [])];
  if (named.length > 0) {
    // Loaded only to check the names given: the probes' modules cost this command 25-35 ms of start-up.
    const { PROBE_IDS } = await import('../../../probes/index.js');
    const unknown = named.find((id) => !PROBE_IDS.includes(id));
    if (unknown !== undefined) throw new UsageError(`unknown probe "${unknown}" (known: ${PROBE_IDS.join(', ')})`);
  }
  const runArgs: string[] = [];
  if (opts.quick) runArgs.push('--quick');
  if (opts.only && opts.only.length > 0) runArgs.push('--only', opts.only.join(','));
  if (opts.skip && opts.skip.length > 0) runArgs.push('--skip', opts.skip.join(','));
  if (opts.duration !== undefined) runArgs.push('--duration', String(opts.duration));
  if (opts.activeSupervision) runArgs.push('--active-supervision');
  // Checked here for their form; whether the group exists is for each device to say (its outcome then tells).
  if (opts.unit !== undefined && opts.cgroup !== undefined) throw new UsageError('--unit and --cgroup both name the group to measure: give one of them');
  if (opts.unit !== undefined) runArgs.push('--unit', normaliseUnitName(opts.unit));
  if (opts.cgroup !== undefined) runArgs.push('--cgroup', normaliseCgroupPath(opts.cgroup));
  return runArgs;
}

/** `--install-timer DAILY|HOURLY` and `--remove-timer`: set up (or take down) scheduled runs instead of probing now. */
async function schedule(deviceArgs: string[], opts: SshCommandOptions, runArgs: string[]): Promise<number> {
  if (opts.installTimer !== undefined && opts.removeTimer) throw new UsageError('--install-timer and --remove-timer: one or the other');
  const interval = opts.installTimer?.toUpperCase();
  if (interval !== undefined && !(TIMER_INTERVALS as readonly string[]).includes(interval)) {
    throw new UsageError(`--install-timer ${opts.installTimer ?? ''}: DAILY or HOURLY`);
  }
  if (opts.out !== undefined || opts.output !== undefined) throw new UsageError('--out and -o are for probing now; scheduled runs upload to the dashboard');
  if (interval !== undefined && opts.upload === undefined)
    throw new UsageError('--install-timer needs --upload URL (and --token T): scheduled runs upload their reports');
  if (interval !== undefined && opts.mode === 'sh')
    throw new UsageError('--install-timer runs the agent, which needs node >= 18 on the device: not with --mode sh');
  const uploadTo = interval !== undefined ? dashboardEndpoint(opts.upload, opts.token, { url: true }) : null;
  const ca = opts.ca !== undefined ? await readCaFile(opts.ca) : undefined;
  if (!onPath('ssh')) throw new UsageError('no ssh client on PATH: install OpenSSH (Debian: apt install openssh-client)');
  const devices = loadDevices(deviceArgs, opts.inventory ?? []);
  const options: ScheduleOptions = {
    timeoutMs: opts.timeout * 1000,
    concurrency: opts.concurrency,
    connectTimeoutS: Math.min(opts.connectTimeout, opts.timeout),
    sshOptions: sshOptionsOf(opts),
    ...(opts.sshConfig ? { sshConfig: opts.sshConfig } : {}),
  };
  let results: ScheduleResult[];
  if (interval !== undefined && uploadTo?.url) {
    let agent: string;
    try {
      agent = agentBundle();
    } catch {
      throw new UsageError('dist/edgeprobe-agent.js is missing: run `npm run build` first');
    }
    const spec = {
      interval: interval as TimerInterval,
      url: uploadTo.url,
      token: uploadTo.token,
      runArgs,
      timeoutS: Math.round(opts.timeout),
      ...(ca ? { ca } : {}),
    };
    results = await installTimers(devices, spec, agent, options);
  } else {
    results = await removeTimers(devices, options);
  }
  const lines = results.map((r) => describeSchedule(r, (interval as TimerInterval | undefined) ?? null));
  const text =
    opts.format === 'json' ? `${JSON.stringify({ hosts: results.map((r) => ({ name: r.device.name, ...r.answer })) }, null, 2)}\n` : `${lines.join('\n')}\n`;
  writeOutput(text, undefined);
  return results.every((r) => r.answer.ok) ? EXIT.ok : EXIT.unknown;
}

export async function run(deviceArgs: string[], opts: SshCommandOptions): Promise<number> {
  if (opts.installTimer !== undefined || opts.removeTimer) return schedule(deviceArgs, opts, await probeRunArgs(opts));
  const { profile, allow } = profileAndAllowances(opts);
  const uploadTo = opts.upload !== undefined ? dashboardEndpoint(opts.upload, opts.token, { url: true }) : null;
  if (opts.ca !== undefined && uploadTo === null) throw new UsageError('--ca is for --upload to an https:// dashboard');
  const ca = opts.ca !== undefined ? await readCaFile(opts.ca) : undefined;
  const sshOptions = sshOptionsOf(opts);
  if (opts.sshConfig !== undefined && !existsSync(opts.sshConfig)) throw new UsageError(`--ssh-config ${opts.sshConfig}: no such file`);
  if (opts.out !== undefined) checkOutDir(opts.out);
  if (!onPath('ssh')) throw new UsageError('no ssh client on PATH: install OpenSSH (Debian: apt install openssh-client)');
  const devices = loadDevices(deviceArgs, opts.inventory ?? []);
  if (opts.mode !== 'sh') {
    try {
      agentBundle();
    } catch {
      throw new UsageError('dist/edgeprobe-agent.js is missing: run `npm run build` first (or use --mode sh)');
    }
  }

  const runArgs = await probeRunArgs(opts);

  const controller = new AbortController();
  const fleet = await runFleet(devices, {
    runArgs,
    concurrency: opts.concurrency,
    timeoutMs: opts.timeout * 1000,
    connectTimeoutS: Math.min(opts.connectTimeout, opts.timeout),
    sshOptions,
    mode: opts.mode,
    progress: process.stderr,
    verbose: opts.verbose === true,
    signal: controller.signal,
    ...(opts.sshConfig ? { sshConfig: opts.sshConfig } : {}),
    ...(opts.out ? { outDir: opts.out } : {}),
    judge: { profile, allow, strict: opts.strict === true },
    ...(uploadTo?.url ? { upload: { url: uploadTo.url, token: uploadTo.token, spoolDir: opts.spool ?? defaultSpoolDir(), ...(ca ? { ca } : {}) } } : {}),
  });
  const text =
    opts.format === 'json'
      ? `${JSON.stringify(fleetSummary(fleet, profile.name), null, 2)}\n`
      : renderFleetTable(fleet, styleFor(opts.output ? {} : process.stdout), profile.name);
  writeOutput(text, opts.output);
  return fleet.exitCode;
}

export const registerSsh: CommandRegistration = (program: Command, setExitCode) => {
  const command = program
    .command('ssh')
    .description('probe devices over SSH: streams the agent to node >= 18, else runs the POSIX-sh probe; nothing is installed')
    .argument('[devices...]', 'user@host[:port], ssh config aliases, or group/host names of the inventory')
    .option('-i, --inventory <file>', 'hosts from a plain host list or an Ansible INI/YAML inventory (repeatable)', collect)
    .option('--concurrency <n>', 'hosts probed at once', parseConcurrency, 8)
    .option('--out <dir>', "save each host's report as DIR/<host>.json, and DIR/summary.json")
    .option('--ssh-option <key=value>', 'passed to ssh as -o KEY=VALUE (repeatable)', collect)
    .option('--ssh-config <file>', 'ssh client configuration file (ssh -F)')
    .option(
      '--keep-connections <seconds>',
      `keep each host's SSH connection open this long after its last use (1-${KEEP_CONNECTIONS_MAX_S}; OpenSSH ControlPersist, as Ansible does): later runs skip the key exchange and login`,
      parseKeepConnections,
    )
    .option('--timeout <seconds>', 'each host may take at most this long, connection included', parsePositiveNumber('--timeout'), 180)
    .option('--connect-timeout <seconds>', 'ssh ConnectTimeout', parsePositiveNumber('--connect-timeout'), 10)
    .addOption(choiceOption('--mode <mode>', 'auto: node >= 18 if present, else the POSIX-sh probe', SSH_MODES, 'auto'))
    .option('--quick', 'skip benchmarks and load tests on every host')
    .option('--only <probes>', 'run only these probes (node mode)', parseList)
    .option('--skip <probes>', 'skip these probes (node mode)', parseList)
    .option('--duration <seconds>', 'time the streaming phases may take together', parsePositiveNumber('--duration'))
    .option(
      '--unit <name>',
      "on every host, measure memory and CPU limits of this systemd unit's cgroup (the service that runs Django), not the login session's",
    )
    .option('--cgroup <path>', 'on every host, measure memory and CPU limits of this cgroup (path from the cgroup root)')
    .option('--active-supervision', 'opt in (node mode): start, kill and watch a throwaway process under the supervisor found on each host')
    .option('--upload <url>', 'also send each report to this dashboard (spooled if it cannot be reached)')
    .option('--token <token>', 'upload token for --upload (default: $EDGEPROBE_TOKEN)')
    .option('--spool <dir>', 'where undeliverable uploads wait (default: ~/.local/state/edgeprobe/spool)')
    .option('--ca <file>', "for --upload: PEM certificate of the CA that signs the dashboard's certificate")
    .option('-v, --verbose', 'a line per finished host on stderr even when it is not a terminal')
    .option(
      '--install-timer <interval>',
      'instead of probing now: install the agent and a DAILY or HOURLY systemd timer (cron where systemd is not running) that probes and uploads to --upload',
    )
    .option('--remove-timer', 'remove the scheduled runs (undelivered reports stay in their spool)');
  // --profile, --allow, --strict as for run; --format text (the table) or json (the fleet summary); -o FILE.
  addVerdictOptions(command, SSH_FORMATS).action(async (devices: string[], opts: SshCommandOptions) => setExitCode(await run(devices, opts)));
};
