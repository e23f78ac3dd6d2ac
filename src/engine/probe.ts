// What a probe is, and what it may use while it runs. Probes live one per file in probes/.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type ExecOptions, type ExecResult, execCommand, makeTempDir, removeTemp } from '../platform/process.js';
import type { Metrics, ProbeEnvelope } from '../report/types.js';
import { resolveUnderRoot } from './root-path.js';

export interface RunOptions {
  /** Where /proc, /sys and /etc are read from; "/" for the live system. */
  root: string;
  quick: boolean;
  verbose: boolean;
  only?: string[];
  skip?: string[];
  /** Extra interpreter to consider (python probe). */
  python?: string;
  /** Inspect only the --python interpreter (python probe). */
  pythonOnly?: boolean;
  /** Seconds one interpreter may take to answer (python probe). */
  pythonTimeout?: number;
  /** Redis to check besides the ones found running (stack probe) and to use for the streaming probe's RedisChannelLayer tier. */
  redisUrl?: string;
  /** Config of the supervisord to use (supervision probe); default: every supervisord running. */
  supervisordConf?: string;
  /** Deployment path (disk probe); default the home directory. */
  path?: string;
  /** Opt-in restart test under the supervisor found. */
  activeSupervision?: boolean;
  /** Seconds the streaming phases may take together. */
  duration?: number;
  /** Streaming and django probes: ASGI server; streaming probe: tiers to measure, stream bitrate in Mbit/s (it also uses redisUrl). */
  asgiServer?: 'daphne' | 'uvicorn';
  streamingTiers?: string[];
  streamBitrate?: number;
  /** Seconds the django probe's load phases may take together. */
  djangoDuration?: number;
  /** p95 latency target of the django probe's concurrency ladders, in ms (default: the profile's). */
  latencyTargetMs?: number;
  /** Storage probe: the card's endurance in terabytes written, for the card-life projection. */
  cardEnduranceTbw?: number;
  /** Seconds of sustained Django/Channels load for the soak probe; without it the soak does not run. */
  soak?: number;
  /** Seconds the whole run may take. */
  timeout?: number;
  label?: string;
  /** --unit: the systemd unit whose cgroup the memory and cpu probes measure instead of this process's. */
  unit?: string;
  /** --cgroup: a cgroup path (relative to the cgroup root) measured instead of this process's. */
  cgroup?: string;
  /** The group --unit or --cgroup resolved to, checked to exist before any probe runs. */
  targetGroup?: TargetGroup;
}

export interface TargetGroup {
  /** Path relative to the cgroup root, e.g. "/system.slice/myapp.service". */
  path: string;
  /** How it was found, for the report: "unit myapp.service (systemctl show ControlGroup)". */
  source: string;
}

export interface ProbeOutput {
  metrics: Metrics;
  details?: Record<string, unknown>;
  /** Metric id -> why it is null. */
  unmeasured?: Record<string, string>;
}

export interface ProbeContext {
  readonly options: RunOptions;
  readonly root: string;
  /** True when probing the running system (root "/"), false for a recorded tree. */
  readonly live: boolean;
  readonly signal: AbortSignal;
  /** The budget this probe runs under, scaled to the device's speed. */
  readonly budgetMs: number;
  /** The factor the run's budgets were scaled by (1 on a fast machine); exec timeouts are scaled by it too. */
  readonly budgetScale: number;
  /** Envelopes of probes that finished before this one (see ProbeDefinition.after). */
  readonly results: ReadonlyMap<string, ProbeEnvelope>;
  /** Path of an absolute device path under the root: rootPath('/proc/meminfo'). */
  rootPath(devicePath: string): string;
  /** Reads a device file under the root; null when absent or unreadable. */
  readText(devicePath: string): Promise<string | null>;
  /** The first `maxBytes` bytes of a device file (links followed under the root); null when absent or unreadable. */
  readHead(devicePath: string, maxBytes: number): Promise<Buffer | null>;
  listDir(devicePath: string): Promise<string[] | null>;
  exists(devicePath: string): Promise<boolean>;
  /**
   * Runs a program, killed when the probe is aborted or runs out of budget. Its timeoutMs is scaled like the
   * budgets (a step's time bound is set for a fast machine too), but never past what is left of the probe's.
   */
  exec(file: string, args: readonly string[], options: Omit<ExecOptions, 'signal'>): Promise<ExecResult>;
  /** A temp directory removed when the probe ends, whatever the outcome (also on SIGINT/SIGTERM); under `parent` if given. */
  tempDir(prefix: string, parent?: string): string;
  log(message: string): void;
}

export interface ProbeDefinition {
  id: string;
  title: string;
  /** Metric ids this probe owns; each appears in the report, null with a reason if not measured. */
  metrics: readonly string[];
  /**
   * Time budget on a fast machine; past it the probe is reported as an error and its children are killed.
   * The runner scales it to the device's speed (src/engine/budget-scale.ts): ctx.budgetMs is what applies.
   */
  budgetMs(options: RunOptions): number;
  /** The part of budgetMs that is wall-clock load the user chose (--duration): it does not scale. */
  fixedBudgetMs?(options: RunOptions): number;
  /** Load tests run alone, after the concurrent probes, so they do not disturb each other. */
  exclusive?: boolean;
  /** Probes whose results this one reads through ctx.results. */
  after?: readonly string[];
  /** A boolean metric the runner sets true when the run's load figures are suspect (src/engine/suspect.ts). */
  suspectMetric?: string;
  run(ctx: ProbeContext): Promise<ProbeOutput>;
}

export { LOAD_SUSPECT, THROTTLED_DURING_LOAD } from '../report/types.js';

/**
 * Files the kernel makes up when they are read (/proc, /sys), without touching storage: reading them in
 * place costs less than a round trip through libuv's thread pool, and the probes read hundreds of them
 * (three per process). A recorded tree's copies are small files, read the same way.
 */
export function isKernelFile(devicePath: string): boolean {
  return devicePath.startsWith('/proc/') || devicePath.startsWith('/sys/');
}

export function createContext(
  options: RunOptions,
  signal: AbortSignal,
  results: ReadonlyMap<string, ProbeEnvelope>,
  log: (message: string) => void,
  budget: { budgetMs: number; scale: number } = { budgetMs: Number.POSITIVE_INFINITY, scale: 1 },
): { ctx: ProbeContext; dispose: () => void } {
  const root = options.root;
  const started = performance.now();
  const stepTimeout = (timeoutMs: number): number =>
    Math.max(1, Math.min(Math.round(timeoutMs * budget.scale), Math.round(budget.budgetMs - (performance.now() - started))));
  const temps: string[] = [];
  const rootPath = (devicePath: string): string => (root === '/' ? devicePath : join(root, devicePath));
  const ctx: ProbeContext = {
    options,
    root,
    live: root === '/',
    signal,
    budgetMs: budget.budgetMs,
    budgetScale: budget.scale,
    results,
    rootPath,
    async readText(devicePath) {
      try {
        // Besides: they report a size of 0, for which fs.promises.readFile allocates 64 KiB chunks.
        if (isKernelFile(devicePath)) return readFileSync(rootPath(devicePath), 'utf8');
        return await readFile(rootPath(devicePath), 'utf8');
      } catch {
        return null;
      }
    },
    async readHead(devicePath, maxBytes) {
      const resolved = await resolveUnderRoot(root, devicePath);
      if (resolved === null) return null;
      try {
        const handle = await open(rootPath(resolved), 'r');
        try {
          const buffer = Buffer.alloc(maxBytes);
          const { bytesRead } = await handle.read(buffer, 0, maxBytes, 0);
          return buffer.subarray(0, bytesRead);
        } finally {
          await handle.close();
        }
      } catch {
        return null;
      }
    },
    async listDir(devicePath) {
      try {
        if (isKernelFile(devicePath)) return readdirSync(rootPath(devicePath));
        return await readdir(rootPath(devicePath));
      } catch {
        return null;
      }
    },
    async exists(devicePath) {
      try {
        if (isKernelFile(devicePath)) statSync(rootPath(devicePath));
        else await stat(rootPath(devicePath));
        return true;
      } catch {
        return false;
      }
    },
    exec(file, args, execOptions) {
      return execCommand(file, args, { ...execOptions, timeoutMs: stepTimeout(execOptions.timeoutMs), signal });
    },
    tempDir(prefix, parent) {
      const dir = makeTempDir(prefix, parent);
      temps.push(dir);
      return dir;
    },
    log,
  };
  return { ctx, dispose: () => temps.forEach(removeTemp) };
}
