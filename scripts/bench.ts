// `npm run bench`: edgeprobe measured against what fleets use today, every figure a ratio against a
// reference measured side by side in the same run. Prints a table, then the JSON.
//
//   npm run bench                         all figures, 5 runs each
//   npm run bench -- --runs 3 --only quick,cpu
//   npm run bench -- --write docs/bench.md    also write the table, the JSON and the command to a file
//   npm run bench -- --only quick --update docs/bench.md    re-measure some sections, keep the file's other figures
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { writeFileAtomic } from '../src/platform/fs-atomic.js';
import { cleanupAll } from '../src/platform/process.js';
import { dashboardFigures } from './bench/dashboard.js';
import { djangoFigures, haveDjangoProbe } from './bench/django.js';
import { type DatedFigure, earlierRun, mergeFigures } from './bench/earlier-run.js';
import { type BenchOptions, bundleSizeFigure, cpuQuotaFigures, type Figure, haveStreamingProbe, notMeasured, shProbePath } from './bench/figures.js';
import { fleetFigures, haveSshCommand } from './bench/fleet.js';
import { fullRunFigures } from './bench/full-run.js';
import { haveGnuTime } from './bench/measure.js';
import { quickProbeFigures } from './bench/quick.js';

const SECTIONS = ['bundle', 'quick', 'sh', 'fleet', 'cpu', 'cpu-kernel', 'streaming', 'django', 'dashboard', 'full'] as const;
type Section = (typeof SECTIONS)[number];

interface Args {
  runs: number;
  only: Set<Section>;
  write: string | null;
  /** With --update: keep the figures of the file's run that this run does not measure. */
  update: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { runs: 5, only: new Set(SECTIONS), write: null, update: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = argv[i + 1];
    if (arg === '--runs' && value !== undefined) {
      args.runs = Number(value);
      if (!Number.isInteger(args.runs) || args.runs < 2 || args.runs > 50) throw new Error('--runs takes a whole number from 2 to 50');
      i++;
    } else if (arg === '--only' && value !== undefined) {
      const wanted = value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const unknown = wanted.filter((s) => !(SECTIONS as readonly string[]).includes(s));
      if (unknown.length > 0) throw new Error(`--only: unknown section ${unknown.join(', ')} (sections: ${SECTIONS.join(', ')})`);
      args.only = new Set(wanted as Section[]);
      i++;
    } else if ((arg === '--write' || arg === '--update') && value !== undefined) {
      args.write = value;
      args.update = arg === '--update';
      i++;
    } else if (arg === '--help' || arg === '-h') {
      process.stdout.write(`usage: npm run bench -- [--runs N] [--only ${SECTIONS.join(',')}] [--write FILE | --update FILE]\n`);
      process.exit(0);
    } else {
      throw new Error(`unknown argument "${String(arg)}" (try --help)`);
    }
  }
  return args;
}

function formatValue(value: number | null, unit: Figure['unit']): string {
  if (value === null || !Number.isFinite(value)) return '—';
  if (unit === 'ms') return `${value.toFixed(0)} ms`;
  if (unit === 'bytes') return value >= 1024 * 1024 ? `${(value / 1024 / 1024).toFixed(1)} MiB` : `${(value / 1024).toFixed(0)} KiB`;
  if (unit === 'ops/s' || unit === 'msg/s' || unit === 'req/s') return `${Math.round(value).toLocaleString('en-US')} ${unit}`;
  return value.toFixed(3);
}

/** The 1-minute load average when the figure's section started and when it ended. */
function formatLoad(figure: Figure): string {
  return figure.load ? `${figure.load.start.toFixed(1)}→${figure.load.end.toFixed(1)}` : '—';
}

function formatRatio(figure: Figure): string {
  if (figure.ratio === null || !Number.isFinite(figure.ratio)) return '—';
  if (/_score_cv_/.test(figure.id)) return `${(figure.ratio * 100).toFixed(1)}%`;
  return `${figure.ratio.toFixed(2)}×`;
}

export function renderTable(figures: readonly DatedFigure[]): string {
  // A file that --update kept figures in names each figure's run; a single run needs no such column.
  const dated = new Set(figures.map((f) => f.measuredAt)).size > 1;
  const rows = figures.map((f) => [
    f.title,
    formatValue(f.value, f.unit),
    f.referenceValue === null ? f.reference : `${formatValue(f.referenceValue, f.unit)} (${f.reference})`,
    formatRatio(f),
    f.target,
    f.met === null ? 'n/a' : f.met ? 'met' : 'MISSED',
    formatLoad(f),
    ...(dated ? [(f.measuredAt ?? '').replace('T', ' ').slice(0, 16)] : []),
  ]);
  const header = ['figure', 'value', 'reference', 'ratio', 'target', 'result', 'load (1 min)', ...(dated ? ['run (UTC)'] : [])];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  const notes = figures.filter((f) => f.note).map((f) => `- ${f.title}: ${f.note}`);
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line), '', ...notes].join('\n');
}

/** Why this machine or user cannot run the chosen sections, or null. */
function usageProblem(args: Args): string | null {
  if (!haveGnuTime()) return '/usr/bin/time (Debian package "time") is needed to measure peak RSS';
  const needsRoot = ['cpu', 'cpu-kernel', 'fleet', 'streaming', 'dashboard'].filter((section) => args.only.has(section as Section));
  if (needsRoot.length > 0 && process.getuid?.() !== 0) {
    return `${needsRoot.join(', ')} need root (cgroups, network namespaces); run as root or pick others with --only`;
  }
  return null;
}

/** Runs the chosen sections in order; every figure carries the load average of its section. */
async function measureSections(args: Args, options: BenchOptions): Promise<Figure[]> {
  const figures: Figure[] = [];
  // Every figure carries the load average of its section: the machine is shared.
  const section = async (measureSection: () => Promise<Figure[]> | Figure[]): Promise<void> => {
    const start = loadavg()[0] ?? Number.NaN;
    const measured = await measureSection();
    const end = loadavg()[0] ?? Number.NaN;
    for (const figure of measured) figures.push({ ...figure, load: { start, end } });
  };
  if (args.only.has('bundle')) await section(() => [bundleSizeFigure()]);
  if (args.only.has('quick') || (args.only.has('sh') && shProbePath() !== null)) await section(() => quickProbeFigures(options));
  if (args.only.has('sh') && shProbePath() === null)
    figures.push(notMeasured('sh_probe_wall', 'sh probe wall time and peak RSS', '—', 'the POSIX-sh probe is not in this tree yet'));
  if (args.only.has('fleet')) {
    if (haveSshCommand()) await section(() => fleetFigures(options));
    else figures.push(notMeasured('fleet_wall', 'fleet: N SSH hosts at concurrency C', '≤ 0.4×', '`edgeprobe ssh` is not in this tree yet'));
  }
  if (args.only.has('cpu')) await section(() => cpuQuotaFigures(options, { kind: 'agent' }));
  if (args.only.has('cpu-kernel')) await section(() => cpuQuotaFigures(options, { kind: 'kernel', windows: 30 }));
  if (args.only.has('streaming')) {
    if (haveStreamingProbe()) await section(() => cpuQuotaFigures(options, { kind: 'streaming', durationS: 6 }));
    else
      figures.push(
        notMeasured('streaming_linearity', 'streaming throughput under CPU quotas', 'CV ≤ 3%, 1.0× ±10%', 'the streaming probe is not in this tree yet'),
      );
  }

  if (args.only.has('dashboard')) await section(() => dashboardFigures(options));
  if (args.only.has('django')) {
    await section(async () =>
      haveDjangoProbe()
        ? djangoFigures(options)
        : [notMeasured('django_probe_wall', 'django probe wall time and peak RSS', '≤ 1.0×', 'the django probe is not in this tree yet')],
    );
  }
  if (args.only.has('full')) await section(() => fullRunFigures(options));
  return figures;
}

async function main(): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`bench: ${(err as Error).message}\n`);
    return 2;
  }
  const problem = usageProblem(args);
  if (problem) {
    process.stderr.write(`bench: ${problem}\n`);
    return 2;
  }
  const options: BenchOptions = { runs: args.runs, log: (line) => process.stderr.write(`bench: ${line}\n`) };
  const startedAt = new Date();
  const loadAtStart = loadavg();
  const earlier = args.update && args.write !== null && existsSync(args.write) ? earlierRun(readFileSync(args.write, 'utf8')) : null;
  if (args.update && args.write !== null && existsSync(args.write) && earlier === null) {
    process.stderr.write(`bench: ${args.write} holds no bench run to update (no JSON block from --write); use --write\n`);
    return 2;
  }
  const figures = mergeFigures(earlier, await measureSections(args, options), startedAt.toISOString());

  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? null,
    memoryBytes: totalmem(),
    node: process.version,
    loadAverageAtStart: loadAtStart,
    loadAverageAtEnd: loadavg(),
  };
  const json = {
    schema: 'edgeprobe.bench/v1',
    command,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine,
    runs: args.runs,
    figures,
  };
  const table = renderTable(figures);
  process.stdout.write(`${table}\n\n${JSON.stringify(json, null, 2)}\n`);
  if (args.write !== null) {
    const doc = [
      '# edgeprobe bench: a real run',
      '',
      `Produced by \`${command}\` on ${startedAt.toISOString()}${earlier ? `, keeping the figures it did not re-measure from the earlier runs the file held (the last column dates each figure's run)` : ''} (${machine.cpus} × ${machine.cpuModel ?? 'unknown CPU'}, ${(machine.memoryBytes / 2 ** 30).toFixed(0)} GiB, Node ${machine.node}; load average ${loadAtStart.map((l) => l.toFixed(2)).join(' ')} at the start, ${machine.loadAverageAtEnd.map((l) => l.toFixed(2)).join(' ')} at the end: the machine is shared).`,
      'What each figure means: see "Benchmarks" in README.md.',
      '',
      table,
      '',
      '```json',
      JSON.stringify(json, null, 2),
      '```',
      '',
    ].join('\n');
    writeFileAtomic(args.write, doc);
    process.stderr.write(`bench: wrote ${args.write}\n`);
  }
  return 0;
}

main().then(
  (code) => {
    cleanupAll();
    process.exitCode = code;
  },
  (err: unknown) => {
    cleanupAll();
    process.stderr.write(`bench: ${(err as Error).message}\n`);
    process.exitCode = 1;
  },
);
