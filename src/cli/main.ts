// The edgeprobe command line. The only place (with the agent bundle's entry) that calls process.exit.

import { type CommandRegistration, onTerminationSignal, runProgram } from './kit.js';

/**
 * Each command's module, loaded only when asked for: one command's imports (the dashboard's, the probes')
 * cost every other command about 70 ms of start-up, and `edgeprobe ssh` pays that before it reaches a host.
 * In help order.
 */
const COMMANDS: ReadonlyArray<readonly [string, () => Promise<CommandRegistration>]> = [
  ['run', async () => (await import('./commands/run.js')).registerRun],
  ['ssh', async () => (await import('./commands/ssh.js')).registerSsh],
  ['check', async () => (await import('./commands/check.js')).registerCheck],
  ['compare', async () => (await import('./commands/compare.js')).registerCompare],
  ['targets', async () => (await import('./commands/targets.js')).registerTargets],
  ['serve', async () => (await import('./commands/serve.js')).registerServe],
  ['upload', async () => (await import('./commands/upload.js')).registerUpload],
];

/**
 * The program takes no option before its command but --help and --version, so the first word names the
 * command. Anything else (no command, --help, a misspelt command) loads them all, so that commander lists
 * them or suggests the nearest.
 */
function commandsToLoad(argv: readonly string[]): ReadonlyArray<() => Promise<CommandRegistration>> {
  const named = COMMANDS.find(([name]) => name === argv[0]);
  return named ? [named[1]] : COMMANDS.map(([, load]) => load);
}

const argv = process.argv.slice(2);
onTerminationSignal((code) => process.exit(code));
const registrations = await Promise.all(commandsToLoad(argv).map((load) => load()));
const code = await runProgram('edgeprobe', 'Can this device run a Django / Django Channels deployment, and how much of one?', registrations, argv);
// Exit once everything written so far has reached stdout, so a piped report is never cut short.
process.stdout.write('', () => process.exit(code));
