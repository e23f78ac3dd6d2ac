// `edgeprobe run`: probe this machine (or a recorded tree) and print the report.
import { accessSync, constants, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { ALL_PROBES, PROBE_IDS } from '../../../probes/index.js';
import { resolveTargetGroup } from '../../../probes/lib/cgroup-target.js';
import { DEFAULT_DJANGO_DURATION_S } from '../../../probes/lib/django/plan.js';
import { parseRedisTarget } from '../../../probes/lib/parsers/redis.js';
import { ASGI_SERVERS, STREAMING_TIERS } from '../../../probes/lib/streaming/plan.js';
import { DEFAULT_PYTHON_TIMEOUT_S } from '../../../probes/python.js';
import type { RunOptions } from '../../engine/probe.js';
import { createContext } from '../../engine/probe.js';
import { runProbes } from '../../engine/runner.js';
import { verdictExitCode } from '../../judge/exit-codes.js';
import { judge } from '../../judge/verdict.js';
import { readCaFile } from '../../remote/ca-file.js';
import { DEFAULT_UPLOAD_OPTIONS, dashboardEndpoint, defaultSpoolDir, describeFlush, describeOutcome, sendOrSpool } from '../../remote/upload.js';
import { renderJudged, writeOutput } from '../../render/formats.js';
import { styleFor } from '../../render/style.js';
import type { Report } from '../../report/types.js';
import { type CommandRegistration, choiceOption, EXIT, parseDuration, parseList, parsePositiveNumber, UsageError } from '../kit.js';
import { addVerdictOptions, profileAndAllowances, type VerdictCommandOptions } from './verdict-options.js';

export interface RunCommandOptions extends VerdictCommandOptions {
  quick?: boolean;
  root: string;
  only?: string[];
  skip?: string[];
  verbose?: boolean;
  label?: string;
  timeout: number;
  python?: string;
  pythonOnly?: boolean;
  pythonTimeout?: number;
  path?: string;
  activeSupervision?: boolean;
  supervisordConf?: string;
  redisUrl?: string;
  duration?: number;
  asgiServer?: (typeof ASGI_SERVERS)[number];
  streamingTiers?: string[];
  streamBitrate?: number;
  djangoDuration?: number;
  latencyTarget?: number;
  cardEnduranceTbw?: number;
  soak?: number;
  upload?: string;
  token?: string;
  spool?: string;
  ca?: string;
  unit?: string;
  cgroup?: string;
}

function checkRoot(root: string): string {
  const absolute = resolve(root);
  let isDir = false;
  try {
    isDir = statSync(absolute).isDirectory();
    if (isDir) accessSync(absolute, constants.R_OK | constants.X_OK);
  } catch (err) {
    throw new UsageError(`--root ${root}: cannot read it (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (!isDir) throw new UsageError(`--root ${root}: not a directory`);
  if (absolute !== '/') {
    try {
      accessSync(resolve(absolute, 'proc'), constants.R_OK | constants.X_OK);
    } catch {
      throw new UsageError(`--root ${root}: does not look like a device tree (no readable proc/ inside)`);
    }
  }
  return absolute;
}

function checkFile(flag: string, path: string, mode: number): string {
  const absolute = resolve(path);
  try {
    if (!statSync(absolute).isFile()) throw new UsageError(`${flag} ${path}: not a file`);
    accessSync(absolute, mode);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`${flag} ${path}: cannot use it (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return absolute;
}

function checkDirectory(flag: string, path: string): string {
  const absolute = resolve(path);
  try {
    if (!statSync(absolute).isDirectory()) throw new UsageError(`${flag} ${path}: not a directory`);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`${flag} ${path}: cannot use it (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return absolute;
}

function checkRedisUrl(url: string): string {
  if (parseRedisTarget(url) === null) {
    throw new UsageError(`--redis-url ${url.replace(/\/\/[^@/]*@/, '//***@')}: expected redis://[:password@]host[:port] or the path of a unix socket`);
  }
  return url;
}

function checkProbeIds(flag: string, ids: string[] | undefined): void {
  for (const id of ids ?? []) {
    if (!PROBE_IDS.includes(id)) throw new UsageError(`${flag}: unknown probe "${id}" (known: ${PROBE_IDS.join(', ')})`);
  }
}

export function toRunOptions(opts: RunCommandOptions): RunOptions {
  checkProbeIds('--only', opts.only);
  checkProbeIds('--skip', opts.skip);
  const options: RunOptions = { root: checkRoot(opts.root), quick: opts.quick === true, verbose: opts.verbose === true, timeout: opts.timeout };
  if (opts.only) options.only = opts.only;
  if (opts.skip) options.skip = opts.skip;
  if (opts.label) options.label = opts.label;
  if (opts.python) options.python = checkFile('--python', opts.python, constants.X_OK);
  if (opts.pythonOnly) {
    if (!opts.python) throw new UsageError('--python-only needs --python PATH');
    options.pythonOnly = true;
  }
  if (opts.pythonTimeout !== undefined) options.pythonTimeout = opts.pythonTimeout;
  if (opts.path) options.path = options.root === '/' ? checkDirectory('--path', opts.path) : opts.path;
  if (opts.activeSupervision) options.activeSupervision = true;
  if (opts.supervisordConf) options.supervisordConf = checkFile('--supervisord-conf', opts.supervisordConf, constants.R_OK);
  if (opts.redisUrl) options.redisUrl = checkRedisUrl(opts.redisUrl);
  if (opts.duration !== undefined) options.duration = opts.duration;
  if (opts.duration !== undefined && !opts.quick && opts.duration + 15 > opts.timeout) {
    throw new UsageError(
      `--duration ${opts.duration} leaves the streaming probe no room within --timeout ${opts.timeout}: raise --timeout to at least ${Math.ceil(opts.duration * 1.25 + 30)}`,
    );
  }
  if (opts.asgiServer) options.asgiServer = opts.asgiServer;
  for (const tier of opts.streamingTiers ?? []) {
    if (!(STREAMING_TIERS as readonly string[]).includes(tier))
      throw new UsageError(`--streaming-tiers: unknown tier "${tier}" (known: ${STREAMING_TIERS.join(', ')})`);
  }
  if (opts.streamingTiers) options.streamingTiers = opts.streamingTiers;
  if (opts.cardEnduranceTbw !== undefined) options.cardEnduranceTbw = opts.cardEnduranceTbw;
  if (opts.soak !== undefined) {
    if (opts.quick) throw new UsageError('--soak is a load test: it cannot run under --quick');
    options.soak = opts.soak;
    // The soak's duration comes on top of --timeout, which bounds everything else.
    options.timeout = (options.timeout ?? 120) + opts.soak + 120;
  }
  if (opts.unit !== undefined) options.unit = opts.unit;
  if (opts.cgroup !== undefined) options.cgroup = opts.cgroup;
  if (opts.streamBitrate !== undefined) {
    if (opts.streamBitrate > 1000) throw new UsageError('--stream-bitrate: at most 1000 Mbit/s');
    options.streamBitrate = opts.streamBitrate;
  }
  if (opts.djangoDuration !== undefined) options.djangoDuration = opts.djangoDuration;
  if (opts.latencyTarget !== undefined) options.latencyTargetMs = opts.latencyTarget;
  return options;
}

/** --unit / --cgroup to the group the probes measure; UsageError (exit 2) when it does not exist. */
export async function withTargetGroup(options: RunOptions): Promise<RunOptions> {
  if (options.unit === undefined && options.cgroup === undefined) return options;
  const { ctx, dispose } = createContext(options, new AbortController().signal, new Map(), () => undefined);
  try {
    const request: { unit?: string; cgroup?: string } = {};
    if (options.unit !== undefined) request.unit = options.unit;
    if (options.cgroup !== undefined) request.cgroup = options.cgroup;
    const targetGroup = await resolveTargetGroup(ctx, request);
    return targetGroup ? { ...options, targetGroup } : options;
  } finally {
    dispose();
  }
}

/** Probes the device within the global timeout; progress to stderr on a TTY or with --verbose. */
export async function collectReport(options: RunOptions): Promise<Report> {
  const progress = options.verbose || process.stderr.isTTY ? (line: string) => process.stderr.write(`${line}\n`) : undefined;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(`run exceeded its --timeout of ${options.timeout ?? 0} s`), (options.timeout ?? 240) * 1000);
  try {
    return await runProbes(ALL_PROBES, options, progress ? { progress, signal: controller.signal } : { signal: controller.signal });
  } finally {
    clearTimeout(timer);
  }
}

/** Probes, judges the report against the profile, renders it; the exit code comes from the verdict. */
export async function run(opts: RunCommandOptions): Promise<number> {
  const options = await withTargetGroup(toRunOptions(opts));
  // A broken profile or --allow is a usage error before anything is probed; so is a missing upload token.
  const { profile, allow } = profileAndAllowances(opts);
  // The django probe's ladders hold p95 against the latency target of the profile the report is judged by.
  options.latencyTargetMs ??= profile.capacity.latencyTargetMs;
  const target = opts.upload !== undefined ? dashboardEndpoint(opts.upload, opts.token, { url: true }) : null;
  if (opts.ca !== undefined && target === null) throw new UsageError('--ca is for --upload to an https:// dashboard');
  const ca = opts.ca !== undefined ? await readCaFile(opts.ca) : undefined;
  const report = await collectReport(options);
  const verdict = judge(report, profile, { allow });
  const style = styleFor(opts.output ? {} : process.stdout);
  writeOutput(renderJudged(opts.format, [{ report, verdict }], { style, strict: opts.strict === true, withReport: true }), opts.output);
  const code = verdictExitCode(verdict, opts.strict === true);
  if (target?.url) {
    const sent = await sendOrSpool({ url: target.url, token: target.token }, report, opts.spool ?? defaultSpoolDir(), {
      ...DEFAULT_UPLOAD_OPTIONS,
      ...(ca ? { ca } : {}),
    });
    const say = (line: string): void => {
      process.stderr.write(`edgeprobe: upload: ${line}\n`);
    };
    say(describeOutcome(sent.outcome));
    if (sent.spooledTo) say(`spooled to ${sent.spooledTo}; \`edgeprobe upload --flush\` (or the next upload) sends it`);
    if (sent.flushed) describeFlush(sent.flushed, say);
    if (sent.outcome.kind === 'rejected' && code === EXIT.ok) return EXIT.unknown;
  }
  return code;
}

/** Which interpreter, deployment path, cgroup and supervisor the probes look at. */
function addPythonAndServiceOptions(command: Command): Command {
  return command
    .option('--python <path>', 'also consider this Python interpreter')
    .option('--python-only', 'inspect only the --python interpreter (the one you deploy with)')
    .option(
      '--python-timeout <seconds>',
      `time one interpreter may take to answer (default ${DEFAULT_PYTHON_TIMEOUT_S})`,
      parsePositiveNumber('--python-timeout'),
    )
    .option('--path <dir>', 'deployment path for the disk probe (default: home directory)')
    .option('--unit <name>', "measure memory and CPU limits of this systemd unit's cgroup (e.g. myapp.service) instead of this process's")
    .option('--cgroup <path>', 'measure memory and CPU limits of this cgroup (path from the cgroup root, e.g. system.slice/myapp.service)')
    .option('--active-supervision', 'opt in: start, kill and watch a throwaway process under the supervisor found')
    .option('--supervisord-conf <file>', 'use the supervisord running with this config (default: every supervisord found)');
}

/** Redis, streaming, Django load, storage and soak settings of the load probes. */
function addLoadOptions(command: Command): Command {
  return command
    .option(
      '--redis-url <url>',
      "also check this Redis, and use it for the streaming probe's RedisChannelLayer tier: redis://[:password@]host[:port][/db] or a unix socket path",
    )
    .option('--duration <seconds>', 'time the streaming phases may take together (default 20)', parsePositiveNumber('--duration'))
    .addOption(
      choiceOption(
        '--asgi-server <name>',
        "ASGI server for the streaming probe's Channels tiers and the django probe (default: the one the python probe names, else daphne, else uvicorn)",
        ASGI_SERVERS,
      ),
    )
    .option('--streaming-tiers <tiers>', `streaming tiers to measure (comma-separated: ${STREAMING_TIERS.join(', ')})`, parseList)
    .option('--stream-bitrate <mbit>', "bitrate of the streaming probe's sustained stream, in Mbit/s (default 2)", parsePositiveNumber('--stream-bitrate'))
    .option(
      '--django-duration <seconds>',
      `time the django probe's load phases may take together (default ${DEFAULT_DJANGO_DURATION_S})`,
      parsePositiveNumber('--django-duration'),
    )
    .option(
      '--latency-target <ms>',
      "p95 latency target of the django probe's concurrency ladders (default: the profile's)",
      parsePositiveNumber('--latency-target'),
    )
    .option(
      '--card-endurance-tbw <tb>',
      "endurance of the card in terabytes written, for the storage probe's card-life projection (default: 256 writes of the whole card for SD, eMMC and USB flash; see docs/storage-and-heat.md)",
      parsePositiveNumber('--card-endurance-tbw'),
    )
    .option(
      '--soak <duration>',
      'also run the Django/Channels load this long (600, 90s, 15m, 2h) sampling temperature, clock and throttling every second; adds its duration to --timeout',
      parseDuration('--soak'),
    );
}

/** Progress, and sending the report to a dashboard. */
function addUploadOptions(command: Command): Command {
  return command
    .option('-v, --verbose', 'progress on stderr even when it is not a terminal')
    .option('--upload <url>', 'also send the report to this dashboard (spooled if it cannot be reached)')
    .option('--token <token>', 'upload token for --upload (default: $EDGEPROBE_TOKEN)')
    .option('--spool <dir>', 'where undeliverable uploads wait (default: ~/.local/state/edgeprobe/spool)')
    .option('--ca <file>', "for --upload: PEM certificate of the CA that signs the dashboard's certificate");
}

export const registerRun: CommandRegistration = (program: Command, setExitCode) => {
  const command = program
    .command('run')
    .description('probe this device (or a recorded tree) and report what a Django deployment would find')
    .option('--quick', 'skip benchmarks and load tests (a few seconds in all)')
    .option('--root <dir>', 'read /proc, /sys and /etc under DIR, e.g. a recorded device tree', '/')
    .option('--only <probes>', `run only these probes (comma-separated: ${PROBE_IDS.join(', ')})`, parseList)
    .option('--skip <probes>', 'skip these probes (comma-separated)', parseList)
    .option('--label <name>', 'a name for this device in reports and the dashboard')
    .option('--timeout <seconds>', 'the whole run may take at most this long', parsePositiveNumber('--timeout'), 240);
  addVerdictOptions(addUploadOptions(addLoadOptions(addPythonAndServiceOptions(command)))).action(async (opts: RunCommandOptions) =>
    setExitCode(await run(opts)),
  );
};
