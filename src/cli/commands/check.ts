// `edgeprobe check`: judge stored reports (or spec sheets) against a profile, without probing again.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { verdictExitCode, worstExitCode } from '../../judge/exit-codes.js';
import { loadHardware } from '../../judge/spec-sheets.js';
import { judge } from '../../judge/verdict.js';
import { type Judged, renderJudged, writeOutput } from '../../render/formats.js';
import { styleFor } from '../../render/style.js';
import { parseReport } from '../../report/validate.js';
import { type CommandRegistration, parseList, UsageError } from '../kit.js';
import { addVerdictOptions, profileAndAllowances, type VerdictCommandOptions } from './verdict-options.js';

export interface CheckCommandOptions extends VerdictCommandOptions {
  hardware?: string[];
  verbose?: boolean;
}

function readReportFile(path: string): Judged['report'] {
  let text: string;
  try {
    text = path === '-' ? readFileSync(0, 'utf8') : readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const parsed = parseReport(text);
  if (!parsed.ok) throw new UsageError(`${path === '-' ? 'stdin' : path}: not a valid edgeprobe report: ${parsed.errors.slice(0, 5).join('; ')}`);
  return parsed.report;
}

export async function run(files: readonly string[], opts: CheckCommandOptions): Promise<number> {
  const hardwareIds = opts.hardware ?? [];
  if (files.length === 0 && hardwareIds.length === 0) throw new UsageError('check: give one or more report files (or - for stdin), or --hardware ID');
  if (files.filter((f) => f === '-').length > 1) throw new UsageError('check: stdin (-) can be read only once');
  const { profile, allow } = profileAndAllowances(opts);
  // Read and validate everything first: a bad input stops the command before any output.
  const items: Judged[] = [];
  for (const file of files) {
    const report = readReportFile(file) as NonNullable<Judged['report']>;
    items.push({ report, verdict: judge(report, profile, { allow }), source: file === '-' ? 'stdin' : file });
  }
  for (const id of hardwareIds) {
    const hardware = loadHardware(id);
    items.push({ hardware, verdict: judge(hardware, profile, { allow }), source: `spec sheet ${hardware.id}` });
  }
  const style = styleFor(opts.output ? {} : process.stdout);
  const renderOptions = { style, strict: opts.strict === true, ...(opts.verbose ? { verbose: true } : {}) };
  writeOutput(renderJudged(opts.format, items.length === 1 ? items.map(({ source: _s, ...rest }) => rest) : items, renderOptions), opts.output);
  return worstExitCode(items.map((i) => verdictExitCode(i.verdict, opts.strict === true)));
}

export const registerCheck: CommandRegistration = (program: Command, setExitCode) => {
  const command = program
    .command('check')
    .description('judge stored reports (or a spec sheet with --hardware) against a deployment profile, without probing again')
    .argument('[reports...]', 'report files written by `edgeprobe run --format json` (- reads stdin)')
    .option('--hardware <ids>', 'judge these spec sheets from the hardware spec sheets (comma-separated or repeated)', parseList);
  addVerdictOptions(command)
    .option('-v, --verbose', 'show why and advice for passing checks too')
    .action(async (files: string[], opts: CheckCommandOptions) => setExitCode(await run(files, opts)));
};
