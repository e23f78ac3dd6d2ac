// `edgeprobe compare A B ...`: reports and spec sheets side by side under one profile.
import type { Command } from 'commander';
import { compareSubjects, resolveSubject } from '../../judge/compare.js';
import { DEFAULT_PROFILE } from '../../judge/profiles.js';
import { renderComparisonMarkdown, renderComparisonText } from '../../render/compare.js';
import { writeOutput } from '../../render/formats.js';
import { styleFor } from '../../render/style.js';
import { type CommandRegistration, choiceOption, EXIT, UsageError } from '../kit.js';
import { collect, profileAndAllowances } from './verdict-options.js';

export const COMPARE_FORMATS = ['text', 'markdown', 'json'] as const;

export interface CompareCommandOptions {
  profile: string;
  allow?: string[];
  format: (typeof COMPARE_FORMATS)[number];
  output?: string;
}

export async function run(refs: readonly string[], opts: CompareCommandOptions): Promise<number> {
  if (refs.length < 2) throw new UsageError('compare: give at least two report files or hardware ids');
  const { profile, allow } = profileAndAllowances(opts);
  const subjects = refs.map(resolveSubject);
  const comparison = compareSubjects(subjects, profile, { allow });
  const text =
    opts.format === 'json'
      ? `${JSON.stringify(comparison, null, 2)}\n`
      : opts.format === 'markdown'
        ? renderComparisonMarkdown(comparison)
        : renderComparisonText(comparison, styleFor(opts.output ? {} : process.stdout));
  writeOutput(text, opts.output);
  return EXIT.ok;
}

export const registerCompare: CommandRegistration = (program: Command, setExitCode) => {
  program
    .command('compare')
    .description('compare reports and hardware spec sheets side by side: key metrics, each check, the capacity estimate')
    .argument('<subjects...>', 'report files and/or hardware ids (`edgeprobe targets` lists them)')
    .option('--profile <name|file>', 'deployment profile to judge them all against', DEFAULT_PROFILE)
    .option('--allow <check=reason>', 'accept one check whatever its status, with a reason (repeatable)', collect)
    .addOption(choiceOption('--format <format>', 'output format', COMPARE_FORMATS, 'text'))
    .option('-o, --output <file>', 'write the output to FILE (atomically) instead of stdout')
    .action(async (refs: string[], opts: CompareCommandOptions) => setExitCode(await run(refs, opts)));
};
