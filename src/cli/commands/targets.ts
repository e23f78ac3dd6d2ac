// `edgeprobe targets`: the built-in profiles and the hardware spec sheets.
import type { Command } from 'commander';
import { DEFAULT_PROFILE, loadAllProfiles } from '../../judge/profiles.js';
import { expectedMemTotal, hardwareAliases, listHardware } from '../../judge/spec-sheets.js';
import { judge } from '../../judge/verdict.js';
import { styleFor } from '../../render/style.js';
import { colourVerdict } from '../../render/verdict-text.js';
import { formatBytes } from '../../report/display.js';
import { type CommandRegistration, choiceOption, EXIT } from '../kit.js';

export interface TargetsCommandOptions {
  format: 'text' | 'json';
}

export async function run(opts: TargetsCommandOptions): Promise<number> {
  const profiles = loadAllProfiles();
  const hardware = listHardware();
  const aliases = Object.fromEntries(hardwareAliases());
  const verdicts = hardware.map((h) => Object.fromEntries(profiles.map((p) => [p.name, judge(h, p).verdict])));
  if (opts.format === 'json') {
    const value = {
      defaultProfile: DEFAULT_PROFILE,
      profiles: profiles.map((p) => ({
        name: p.name,
        title: p.title,
        description: p.description,
        extends: p.chain[1] ?? null,
        file: p.file,
        checks: p.checks.map((c) => c.id),
        assumes: p.assumes,
      })),
      hardware: hardware.map((h, i) => ({
        id: h.id,
        name: h.name,
        family: h.family,
        soc: h.soc,
        released: h.released,
        linux: h.linux,
        cpu: h.cpu,
        ramBytes: h.ramBytes,
        expectedMemTotalBytes: expectedMemTotal(h),
        specSheetVerdicts: verdicts[i],
      })),
      aliases,
    };
    process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    return EXIT.ok;
  }
  const style = styleFor(process.stdout);
  const lines: string[] = [style.bold('Profiles') + style.dim('  (--profile NAME, or a path to your own .json)')];
  const nameWidth = Math.max(...profiles.map((p) => p.name.length)) + 2;
  for (const p of profiles) {
    const extra = [`${p.checks.length} checks`, p.chain[1] ? `extends ${p.chain[1]}` : null, p.name === DEFAULT_PROFILE ? 'default' : null]
      .filter(Boolean)
      .join(', ');
    lines.push(`  ${p.name.padEnd(nameWidth)}${p.title} ${style.dim(`(${extra})`)}`);
  }
  lines.push('', style.bold('Hardware spec sheets') + style.dim('  (check --hardware ID, compare ID ...; spec-sheet verdicts per profile)'));
  const idWidth = Math.max(...hardware.map((h) => h.id.length)) + 2;
  for (const [i, h] of hardware.entries()) {
    const ram = h.linux ? `${formatBytes(h.ramBytes)} (~${formatBytes(expectedMemTotal(h))} usable)` : `${formatBytes(h.ramBytes)} SRAM, no Linux`;
    const judged = profiles.map((p) => `${p.name}: ${colourVerdict(verdicts[i]?.[p.name] ?? 'unknown', style, verdicts[i]?.[p.name] ?? 'unknown')}`).join(', ');
    lines.push(`  ${h.id.padEnd(idWidth)}${h.name} · ${h.cpu.cores}× ${h.cpu.model} ${h.cpu.maxMhz} MHz · ${ram}`);
    lines.push(`  ${''.padEnd(idWidth)}${style.dim(judged)}`);
  }
  if (Object.keys(aliases).length > 0) {
    lines.push(
      '',
      style.dim(
        `Family ids: ${Object.entries(aliases)
          .map(([a, t]) => `${a} = ${t}`)
          .join(', ')}`,
      ),
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  return EXIT.ok;
}

export const registerTargets: CommandRegistration = (program: Command, setExitCode) => {
  program
    .command('targets')
    .description('list the deployment profiles and the hardware spec sheets')
    .addOption(choiceOption('--format <format>', 'output format', ['text', 'json'], 'text'))
    .action(async (opts: TargetsCommandOptions) => setExitCode(await run(opts)));
};
