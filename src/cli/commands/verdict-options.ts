// Options shared by the commands that judge: --profile, --allow, --strict, --format, --output.
import { type Command, Option } from 'commander';
import { DEFAULT_PROFILE, loadProfile, type Profile, parseAllowances } from '../../judge/profiles.js';
import { VERDICT_FORMATS, type VerdictFormat } from '../../render/formats.js';
import { choiceOption } from '../kit.js';

export interface VerdictCommandOptions {
  profile: string;
  allow?: string[];
  strict?: boolean;
  format: VerdictFormat;
  output?: string;
}

/** Repeated option values kept whole (a reason may contain commas). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function addVerdictOptions(command: Command, formats: readonly string[] = VERDICT_FORMATS): Command {
  return command
    .option('--profile <name|file>', `deployment profile: a built-in name (\`edgeprobe targets\`) or a path to a profile .json`, DEFAULT_PROFILE)
    .addOption(
      new Option('--allow <check=reason>', 'accept one check whatever its status, with the reason on record (repeatable; no blanket override)').argParser(
        collect,
      ),
    )
    .option('--strict', 'warnings count: viable-with-warnings exits 1')
    .addOption(choiceOption('--format <format>', 'output format', formats, 'text'))
    .option('-o, --output <file>', 'write the output to FILE (atomically) instead of stdout');
}

export function profileAndAllowances(opts: Pick<VerdictCommandOptions, 'profile' | 'allow'>): { profile: Profile; allow: Map<string, string> } {
  const profile = loadProfile(opts.profile);
  return { profile, allow: parseAllowances(opts.allow, profile) };
}
