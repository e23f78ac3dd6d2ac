// The pretend-device lab from the command line (run as root):
//
//   npm run lab -- build [arm64 armhf armel]          build or find the cached userlands, print what they hold
//   npm run lab -- run ARCH [limits] -- CMD [ARGS...]  run a command inside a userland (paths are the userland's)
//   npm run lab -- agent ARCH [limits] [-- RUN ARGS]   stream dist/edgeprobe-agent.js to the userland's node
//   npm run lab -- device ARCH [limits]                an SSH device until Ctrl-C; prints how to reach it
//   npm run lab -- boards [BOARD...]                   build (or find in the cache) the bootable board images
//   npm run lab -- boot BOARD                          boot a board under qemu-system-aarch64; it runs until `stop`
//   npm run lab -- stop BOARD                          stop it and remove its run directory
//   npm run lab -- calibrate [BOARD...]                RSS/PSS of Django workers, redis and nginx inside the boards
//
// limits: --profile pi-zero-w|pi-3, or --cpus N (quota, may be fractional), --cpuset LIST, --memory MIB.
import { PI_PROFILES, type Limits } from './cgroup-limits.js';
import { BOARD_NAMES, bootBoard, ensureBoardImages, isBoardName, stopInstance, type BoardName } from './boards.js';
import { writeCalibration } from './calibrate.js';
import { startSshDevice } from './ssh-device.js';
import { ensureUserlands, LAB_ARCHES, runAgentInUserland, runInUserland, type LabArch, type RunResult } from './userland.js';
import { cleanupAll } from '../../src/platform/process.js';

class LabUsageError extends Error {}

function parseLimits(args: string[]): { limits: Limits | undefined; rest: string[] } {
  let limits: Limits | undefined;
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    const value = args[i + 1];
    if (arg === '--') {
      rest.push(...args.slice(i));
      break;
    }
    if (['--profile', '--cpus', '--cpuset', '--memory'].includes(arg)) {
      if (value === undefined) throw new LabUsageError(`${arg} needs a value`);
      i++;
      if (arg === '--profile') {
        if (!(value in PI_PROFILES)) throw new LabUsageError(`--profile: ${value} is not one of ${Object.keys(PI_PROFILES).join(', ')}`);
        limits = { ...limits, ...PI_PROFILES[value as keyof typeof PI_PROFILES] };
      } else if (arg === '--cpus') {
        const cpus = Number(value);
        if (!(cpus > 0)) throw new LabUsageError('--cpus takes a positive number, e.g. 0.5');
        limits = { ...limits, cpus };
      } else if (arg === '--cpuset') {
        if (!/^[0-9,-]+$/.test(value)) throw new LabUsageError('--cpuset takes a CPU list, e.g. 0 or 0-1');
        limits = { ...limits, cpuset: value };
      } else {
        const mib = Number(value);
        if (!Number.isInteger(mib) || mib < 16) throw new LabUsageError('--memory takes whole MiB, at least 16');
        limits = { ...limits, memoryBytes: mib * 1024 * 1024 };
      }
    } else {
      rest.push(arg);
    }
  }
  return { limits, rest };
}

function archOf(value: string | undefined): LabArch {
  if (value === undefined || !(LAB_ARCHES as readonly string[]).includes(value)) throw new LabUsageError(`give an architecture: ${LAB_ARCHES.join(', ')}`);
  return value as LabArch;
}

function relay(result: RunResult): number {
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  if (result.peakMemoryBytes !== null) process.stderr.write(`lab: peak memory of the group ${(result.peakMemoryBytes / 1024 / 1024).toFixed(1)} MiB\n`);
  return result.code ?? 1;
}

function boardOf(value: string | undefined): BoardName {
  if (!isBoardName(value)) throw new LabUsageError(`give a board: ${BOARD_NAMES.join(', ')}`);
  return value;
}

async function boardCommand(command: string, args: string[]): Promise<number> {
  if (command === 'boards') {
    const images = await ensureBoardImages(args.length === 0 ? BOARD_NAMES : args.map(boardOf));
    for (const image of images.values()) {
      const m = image.manifest;
      process.stdout.write(`${m.board.padEnd(12)} ${image.dir}\n             ${m.arch} userland, kernel ${m.kernel}, node ${m.node}, python ${m.python}, Django ${m.django}, built in ${m.buildSeconds} s\n`);
    }
    return 0;
  }
  if (command === 'calibrate') {
    const file = await writeCalibration(args.length === 0 ? BOARD_NAMES : args.map(boardOf));
    process.stdout.write(`wrote ${file}\n`);
    return 0;
  }
  const name = boardOf(args[0]);
  if (args.length > 1) throw new LabUsageError(`${command} takes one board name`);
  if (command === 'stop') {
    const stopped = await stopInstance(name);
    process.stdout.write(stopped ? `${name} stopped\n` : `${name} was not running\n`);
    return 0;
  }
  const image = (await ensureBoardImages([name])).get(name);
  if (!image) throw new Error(`no ${name} image`);
  process.stderr.write(`booting ${name} (${image.spec.cpus} CPUs, ${image.spec.memoryMiB} MiB)...\n`);
  // Until the VM is up, Ctrl-C (or any failure) ends it: the exit handler in boards.ts kills what it owns.
  const stopOnSignal = (): void => process.exit(130);
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  const vm = await bootBoard(image, { detach: true });
  process.off('SIGINT', stopOnSignal);
  process.off('SIGTERM', stopOnSignal);
  process.stdout.write(`${name} is up after ${vm.bootSeconds} s: pid ${vm.pid}, SSH on 127.0.0.1:${vm.port}\n`
    + `  ssh -F ${vm.sshConfig} ${vm.hostAlias}\n`
    + `  edgeprobe ssh --ssh-config ${vm.sshConfig} ${vm.hostAlias}\n`
    + `  npm run lab -- stop ${name}\n`);
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (command === 'boards' || command === 'boot' || command === 'stop' || command === 'calibrate') return boardCommand(command, args);
  if (command === 'build') {
    const arches = args.length === 0 ? LAB_ARCHES : args.map(archOf);
    const found = await ensureUserlands(arches);
    for (const userland of found.values()) {
      const m = userland.manifest;
      process.stdout.write(`${m.arch.padEnd(6)} ${userland.dir}\n       uname -m ${m.machine}${m.qemuCpu === 'default' ? '' : ` (QEMU_CPU=${m.qemuCpu})`}, node ${m.node}, python ${m.python}, built in ${m.buildSeconds} s\n`);
    }
    return 0;
  }
  if (command === 'run' || command === 'agent' || command === 'device') {
    const arch = archOf(args[0]);
    const { limits, rest } = parseLimits(args.slice(1));
    const userland = (await ensureUserlands([arch])).get(arch);
    if (!userland) throw new Error(`no ${arch} userland`);
    const extra = rest[0] === '--' ? rest.slice(1) : rest;
    if (command === 'run') {
      if (extra.length === 0) throw new LabUsageError('run: give a command after --, e.g. -- /bin/uname -m');
      return relay(await runInUserland(userland, extra, { timeoutMs: 30 * 60_000, ...(limits ? { limits } : {}) }));
    }
    if (command === 'agent') {
      return relay(await runAgentInUserland(userland, extra.length > 0 ? extra : ['run'], { timeoutMs: 30 * 60_000, ...(limits ? { limits } : {}) }));
    }
    const device = await startSshDevice({ limits: limits ?? PI_PROFILES['pi-zero-w'], userland });
    process.stdout.write(`device ${arch} at ${device.host} (limits ${JSON.stringify(device.limits)}); Ctrl-C stops it\n`);
    process.stdout.write(`  ssh ${device.sshOptions.join(' ')} ${device.user}@${device.host}\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await device.stop();
    return 0;
  }
  process.stderr.write('usage: npm run lab -- build [ARCH...] | run ARCH [limits] -- CMD... | agent ARCH [limits] [-- RUN ARGS] | device ARCH [limits]\n'
    + '  limits: --profile pi-zero-w|pi-3 | --cpus N --cpuset LIST --memory MIB\n'
    + `       npm run lab -- boards [BOARD...] | boot BOARD | stop BOARD | calibrate [BOARD...]   (boards: ${BOARD_NAMES.join(', ')})\n`);
  return command === undefined || command === '--help' || command === '-h' ? 0 : 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    cleanupAll();
    process.exitCode = code;
  },
  (err: unknown) => {
    cleanupAll();
    process.stderr.write(`lab: ${(err as Error).message}\n`);
    process.exitCode = err instanceof LabUsageError ? 2 : 1;
  },
);
