// Shared by the two entry points (src/cli/main.ts and the agent bundle's src/cli/agent.ts): commander set-up,
// usage and configuration errors as exit code 2, and cleanup on SIGINT/SIGTERM.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { cleanupAll } from '../platform/process.js';
import { VERSION } from '../platform/version.js';
import { ConfigError } from '../judge/errors.js';
import { UsageError } from '../platform/errors.js';
import { EXIT } from '../judge/exit-codes.js';

/** What a command gets from the program: a way to hand back its exit code. */
export type CommandRegistration = (program: Command, setExitCode: (code: number) => void) => void;

export { UsageError } from '../platform/errors.js';

export { EXIT } from '../judge/exit-codes.js';

export function parsePositiveNumber(name: string) {
  return (value: string): number => {
    const number = Number(value);
    if (!Number.isFinite(number) || number <= 0) throw new InvalidArgumentError(`${name} must be a positive number`);
    return number;
  };
}

/** "90", "90s", "15m", "2h" -> seconds; at most 24 h. */
export function parseDuration(name: string) {
  return (value: string): number => {
    const match = /^\s*(\d+(?:\.\d+)?)\s*(s|m|h)?\s*$/.exec(value);
    const seconds = match?.[1] ? Number(match[1]) * ({ s: 1, m: 60, h: 3600 }[match[2] as 's' | 'm' | 'h' | undefined ?? 's'] ?? 1) : Number.NaN;
    if (!Number.isFinite(seconds) || seconds <= 0) throw new InvalidArgumentError(`${name} must be a duration such as 600, 90s, 15m or 2h`);
    if (seconds > 86_400) throw new InvalidArgumentError(`${name} may be at most 24h`);
    return Math.round(seconds);
  };
}

export function parseList(value: string, previous: string[] | undefined): string[] {
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  return [...(previous ?? []), ...items];
}

export function choiceOption(flags: string, description: string, choices: readonly string[], defaultValue?: string): Option {
  const option = new Option(flags, description).choices(choices);
  return defaultValue === undefined ? option : option.default(defaultValue);
}

/** Runs commander over argv and returns the exit code; never throws for user mistakes. */
export async function runProgram(name: string, description: string, registrations: readonly CommandRegistration[], argv: readonly string[]): Promise<number> {
  let exitCode = 0;
  const program = new Command(name)
    .description(description)
    .version(VERSION)
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });
  for (const register of registrations) register(program, (code) => { exitCode = code; });
  for (const command of program.commands) command.exitOverride();
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      return EXIT.usage;
    }
    if (err instanceof UsageError || err instanceof ConfigError) {
      process.stderr.write(`${name}: ${err.message}\n`);
      return EXIT.usage;
    }
    process.stderr.write(`${name}: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
    if (process.env['EDGEPROBE_DEBUG']) process.stderr.write(`${err instanceof Error ? err.stack ?? '' : ''}\n`);
    return EXIT.unknown;
  }
  return exitCode;
}

/** On SIGINT/SIGTERM: kill every child, remove every temp path, then let the entry point exit. */
export function onTerminationSignal(exit: (code: number) => void): void {
  const handler = (signal: NodeJS.Signals): void => {
    cleanupAll();
    process.stderr.write(`\nedgeprobe: interrupted by ${signal}; stopped every child process and removed temp files\n`);
    exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
  process.once('exit', cleanupAll);
}
