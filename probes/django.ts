// django: the agent's small Django project (probes/assets/django_project/) served on 127.0.0.1 by a real WSGI
// server (gunicorn) and a real ASGI server (uvicorn or daphne), each first with one worker, then with one
// worker per effective CPU, driven over keep-alive HTTP from inside the agent with rising concurrency; the
// workers' memory as the kernel accounts it (smaps_rollup), the cold start, and a pure-Python benchmark run
// by the interpreter being judged. Live systems only; skipped under --quick.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus as osCpus } from 'node:os';
import { dirname, join } from 'node:path';
import type { ProbeContext, ProbeDefinition, ProbeOutput } from '../src/engine/probe.js';
import { MetricSink } from '../src/engine/sink.js';
import { readPackageFile } from '../src/platform/package-files.js';
import { DJANGO_SERVER_KINDS, type DjangoServerKind } from '../src/report/metrics/django.js';
import { metricIdsOf } from '../src/report/metrics.js';
import type { ProbeEnvelope } from '../src/report/types.js';
import { startWriteCounter } from './lib/block-writes.js';
import { type KindOutcome, recordKind } from './lib/django/figures.js';
import { ASSUMED_WORKER_BYTES, DEFAULT_DJANGO_DURATION_S, DEFAULT_LATENCY_TARGET_MS, planWorkers, stepDurationMs, type WorkerPlan } from './lib/django/plan.js';
import { djangoProjectFiles } from './lib/django/project.js';
import type { DjangoServerName } from './lib/django/server.js';
import type { ServerRunResult } from './lib/django/server-run.js';
import { findExecutable } from './lib/executables.js';
import { THROTTLED_DURING_LOAD, watchThrottling } from './lib/load-conditions.js';
import { parseMeminfo } from './lib/parsers/meminfo.js';

const IDS = metricIdsOf('django');

interface Inspection {
  python: string;
  modules: Record<string, string | null>;
}

function metricOf(envelope: ProbeEnvelope | undefined, id: string): number | string | null {
  const value = envelope?.status === 'ok' ? envelope.metrics[id] : undefined;
  return typeof value === 'number' || typeof value === 'string' ? value : null;
}

/** The interpreter being judged: the python probe's best one, else --python, else python3 on PATH. */
async function chooseInterpreter(ctx: ProbeContext): Promise<{ path: string | null; source: string }> {
  const best = metricOf(ctx.results.get('python'), 'python.path');
  if (typeof best === 'string') return { path: best, source: "python.path (the python probe's best interpreter)" };
  if (ctx.options.python) return { path: ctx.options.python, source: '--python' };
  return { path: await findExecutable(ctx, ['python3']), source: 'python3 on PATH (the python probe did not run)' };
}

async function availableMemory(ctx: ProbeContext): Promise<number | null> {
  const measured = metricOf(ctx.results.get('memory'), 'memory.effective_available_bytes');
  if (typeof measured === 'number') return measured;
  const meminfo = await ctx.readText('/proc/meminfo');
  return meminfo ? (parseMeminfo(meminfo)['MemAvailable'] ?? null) : null;
}

/** How to install a missing package for this interpreter: apt for Debian's own Python, pip otherwise. */
function installHint(python: string, debian: boolean, pipName: string, debName: string): string {
  return debian && python.startsWith('/usr/bin/') ? `sudo apt install ${debName}` : `${python} -m pip install ${pipName}`;
}

export function pythonEnv(projectDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PYTHONDONTWRITEBYTECODE: '1',
    PYTHONUNBUFFERED: '1',
    DJANGO_SETTINGS_MODULE: 'edgeprobe_site.settings',
    EDGEPROBE_DB: join(projectDir, 'db.sqlite3'),
  };
  delete env['PYTHONPATH'];
  delete env['PYTHONHOME'];
  return env;
}

export function writeProject(dir: string): void {
  for (const [file, text] of Object.entries(djangoProjectFiles())) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
}

export async function runPython(
  ctx: ProbeContext,
  python: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs: number },
): Promise<{ line: string | null; error: string | null }> {
  const result = await ctx.exec(python, ['-B', ...args], { ...options, maxBytes: 256 * 1024 });
  const line = result.stdout.trim().split('\n').pop() ?? '';
  if (result.code === 0 && line) return { line, error: null };
  const why =
    result.spawnError ?? (result.timedOut ? `did not finish within ${Math.round(options.timeoutMs / 1000)} s` : `exit ${result.code ?? result.signal ?? '?'}`);
  return { line: null, error: `${why}${result.stderr.trim() ? `: ${result.stderr.trim().split('\n').slice(-3).join(' ')}` : ''}` };
}

async function cpythonScore(ctx: ProbeContext, sink: MetricSink, python: string): Promise<void> {
  const { line, error } = await runPython(ctx, python, ['-', '1.0'], { input: readPackageFile('probes/assets/cpython_bench.py'), timeoutMs: 30_000 });
  try {
    const parsed = JSON.parse(line ?? '') as { operations_per_second?: unknown };
    if (typeof parsed.operations_per_second !== 'number') throw new Error('no score');
    sink.put('django.cpython_score', parsed.operations_per_second, '');
    sink.details['cpythonBenchmark'] = { ...parsed, nodeSingleThreadScore: metricOf(ctx.results.get('cpu'), 'cpu.single_thread_score') };
  } catch {
    sink.put('django.cpython_score', null, `the benchmark failed under ${python}: ${error ?? 'unreadable output'}`);
  }
}

/** Which server each kind uses, or why there is none. */
function pickServers(
  ctx: ProbeContext,
  inspection: Inspection,
  python: string,
  debian: boolean,
): Record<DjangoServerKind, { server: DjangoServerName | null; reason: string }> {
  const has = (name: string): boolean => Boolean(inspection.modules[name]);
  const wsgi = has('gunicorn')
    ? { server: 'gunicorn' as const, reason: 'gunicorn is importable' }
    : { server: null, reason: `no WSGI server: gunicorn is not installed for ${python} (${installHint(python, debian, 'gunicorn', 'gunicorn')})` };
  const wanted = ctx.options.asgiServer ?? metricOf(ctx.results.get('python'), 'python.asgi_server');
  const order: DjangoServerName[] = wanted === 'uvicorn' ? ['uvicorn', 'daphne'] : ['daphne', 'uvicorn'];
  const usable = order.filter(has);
  let asgi: { server: DjangoServerName | null; reason: string };
  if (ctx.options.asgiServer && !has(ctx.options.asgiServer)) {
    asgi = {
      server: null,
      reason: `--asgi-server ${ctx.options.asgiServer}: not installed for ${python} (${installHint(python, debian, ctx.options.asgiServer, `python3-${ctx.options.asgiServer}`)})`,
    };
  } else if (usable[0]) {
    asgi = { server: usable[0], reason: ctx.options.asgiServer ? `--asgi-server ${ctx.options.asgiServer}` : `first installed of ${order.join(', ')}` };
  } else {
    asgi = {
      server: null,
      reason: `no ASGI server: neither daphne nor uvicorn is installed for ${python} (${installHint(python, debian, 'uvicorn', 'python3-uvicorn')})`,
    };
  }
  return { wsgi, asgi };
}

interface RunContext {
  ctx: ProbeContext;
  python: string;
  projectDir: string;
  targetMs: number;
  stepMs: number;
  cpus: number;
  available: number | null;
  /** performance.now() by which every load phase must be over. */
  deadline: number;
  runsLeft: number;
}

async function attempt(
  run: RunContext,
  server: DjangoServerName,
  workers: number,
  plan: WorkerPlan,
  growth: boolean,
): Promise<{ result: ServerRunResult | null; error: string | null }> {
  const share = (run.deadline - performance.now()) / Math.max(1, run.runsLeft);
  run.runsLeft--;
  // The servers and the HTTP load generator (node:http) are loaded by the runs that measure Django:
  // a quick run, which skips this probe, does not load them.
  const [{ runServer, ServerCrashed }, { DjangoServerError }] = await Promise.all([import('./lib/django/server-run.js'), import('./lib/django/server.js')]);
  try {
    const result = await runServer(
      {
        server,
        workers,
        python: run.python,
        projectDir: run.projectDir,
        env: pythonEnv(run.projectDir),
        targetMs: run.targetMs,
        stepMs: run.stepMs,
        maxConcurrency: plan.maxConcurrency,
        deadline: performance.now() + share,
        growth,
        log: (m) => run.ctx.log(m),
      },
      run.ctx.signal,
    );
    return { result, error: null };
  } catch (err) {
    if (run.ctx.signal.aborted) throw err;
    if (!(err instanceof ServerCrashed) && !(err instanceof DjangoServerError)) throw err;
    run.ctx.log(`${server} ×${workers}: failed: ${err.message}`);
    return { result: null, error: err.message };
  }
}

async function measureKind(run: RunContext, kind: DjangoServerKind, server: DjangoServerName, details: Record<string, unknown>): Promise<KindOutcome> {
  const outcome: KindOutcome = { kind, server, skipped: null, one: null, oneError: null, many: null, manyError: null, manySkipped: null };
  const first = planWorkers(run.available, 1, ASSUMED_WORKER_BYTES, 'assumed before measuring');
  if (first.refuse) return { ...outcome, skipped: first.refuse };
  const one = await attempt(run, server, 1, first, true);
  outcome.one = one.result;
  outcome.oneError = one.error;
  if (!one.result) return outcome;
  const measured = one.result.workerMemory[0]?.rssBytes;
  const plan = measured
    ? planWorkers(run.available, run.cpus, Math.round(measured * 1.2), 'the measured worker RSS plus 20 %')
    : planWorkers(run.available, run.cpus, ASSUMED_WORKER_BYTES, 'assumed: the worker RSS could not be read');
  details[`${kind}Plan`] = plan;
  if (plan.workers <= 1) {
    outcome.manySkipped =
      plan.workers === Math.max(1, Math.round(run.cpus))
        ? 'one effective CPU: the one-worker run is the multi-worker run'
        : `memory for one worker only: ${plan.scaledDown.join('; ')}`;
    return outcome;
  }
  const many = await attempt(run, server, plan.workers, plan, false);
  outcome.many = many.result;
  outcome.manyError = many.error;
  return outcome;
}

async function inspect(ctx: ProbeContext, python: string, projectDir: string): Promise<Inspection | string> {
  const { line, error } = await runPython(ctx, python, ['serve.py', 'inspect'], { cwd: projectDir, env: pythonEnv(projectDir), timeoutMs: 30_000 });
  try {
    const parsed = JSON.parse(line ?? '') as Inspection;
    if (typeof parsed.modules !== 'object' || parsed.modules === null) throw new Error('shape');
    return parsed;
  } catch {
    return `${python} could not inspect the project: ${error ?? 'unreadable output'}`;
  }
}

export const djangoProbe: ProbeDefinition = {
  id: 'django',
  title: 'Django HTTP servers',
  metrics: IDS,
  exclusive: true,
  after: ['memory', 'cpu', 'python'],
  // The load phases take --django-duration together; four server starts (Django imports on a slow board),
  // the migrations and the Python benchmark get the rest.
  budgetMs: (options) => Math.round((options.djangoDuration ?? DEFAULT_DJANGO_DURATION_S) * 1250) + 120_000,
  fixedBudgetMs: (options) => (options.djangoDuration ?? DEFAULT_DJANGO_DURATION_S) * 1000,
  async run(ctx): Promise<ProbeOutput> {
    const sink = new MetricSink();
    if (!ctx.live) return skipAll(sink, 'needs the live system (--root points at a recorded tree)');
    if (ctx.options.quick) return skipAll(sink, 'skipped by --quick');
    if (process.platform !== 'linux') return skipAll(sink, 'reads worker memory from /proc and runs on Linux only');
    const { path: python, source } = await chooseInterpreter(ctx);
    sink.details['python'] = { path: python, source };
    if (!python) return skipAll(sink, 'no Python 3 interpreter found (sudo apt install python3)');
    const started = performance.now();
    const debian = await ctx.exists('/etc/debian_version');
    const watch = await watchThrottling(ctx);
    await cpythonScore(ctx, sink, python);
    const projectDir = ctx.tempDir('django');
    writeProject(projectDir);
    const inspection = await inspect(ctx, python, projectDir);
    if (typeof inspection === 'string') return skipAll(sink, inspection, true);
    sink.details['modules'] = inspection.modules;
    if (!inspection.modules['django']) {
      return skipAll(
        sink,
        `Django is not installed for ${python} (${installHint(python, debian, 'Django gunicorn uvicorn', 'python3-django gunicorn python3-uvicorn')})`,
        true,
      );
    }
    const migrated = await runPython(ctx, python, ['serve.py', 'migrate'], { cwd: projectDir, env: pythonEnv(projectDir), timeoutMs: 120_000 });
    if (migrated.error) return skipAll(sink, `the migrations failed under ${python}: ${migrated.error}`, true);
    const targetMs = ctx.options.latencyTargetMs ?? DEFAULT_LATENCY_TARGET_MS;
    sink.put('django.latency_target_ms', targetMs, '');
    const durationMs = (ctx.options.djangoDuration ?? DEFAULT_DJANGO_DURATION_S) * 1000;
    const cpus = Number(metricOf(ctx.results.get('cpu'), 'cpu.effective_cpus') ?? Math.max(1, osCpus().length)); // os.availableParallelism is Node >= 18.14
    const available = await availableMemory(ctx);
    const budgetLeft = ctx.budgetMs - (performance.now() - started) - 15_000;
    const run: RunContext = {
      ctx,
      python,
      projectDir,
      targetMs,
      stepMs: stepDurationMs(durationMs),
      cpus,
      available,
      deadline: performance.now() + budgetLeft,
      runsLeft: 4,
    };
    sink.details['setup'] = { targetMs, stepMs: run.stepMs, cpus, availableBytes: available, durationMs };
    const servers = pickServers(ctx, inspection, python, debian);
    // The disk's write counter around the load, from which the storage probe projects the card's life, and
    // get_throttled since the benchmark, which makes the run's load figures suspect (docs/storage-and-heat.md).
    const writes = await startWriteCounter(ctx);
    let served = 0;
    for (const [index, kind] of DJANGO_SERVER_KINDS.entries()) {
      // Each run still to come gets an equal share of the time left: two runs per server kind.
      run.runsLeft = 2 * (DJANGO_SERVER_KINDS.length - index);
      const chosen = servers[kind];
      const outcome: KindOutcome =
        chosen.server === null
          ? { kind, server: null, skipped: chosen.reason, one: null, oneError: null, many: null, manyError: null, manySkipped: null }
          : await measureKind(run, kind, chosen.server, sink.details);
      recordKind(sink, outcome, targetMs, available);
      sink.details[kind] = { why: chosen.reason, ...outcome };
      served += requestsServed(outcome);
    }
    sink.details['writeVolume'] = await writes.finish(served, 'requests');
    const throttled = await watch.finish();
    if (throttled) sink.details[THROTTLED_DURING_LOAD] = throttled;
    return sink.output();
  },
};

/** Requests the servers answered in every phase of both runs of one kind. */
function requestsServed(outcome: KindOutcome): number {
  let served = 0;
  for (const result of [outcome.one, outcome.many]) {
    if (!result) continue;
    served += result.warmup.ok + result.ladder.reduce((sum, step) => sum + step.ok, 0) + (result.growth?.requests ?? 0);
  }
  return served;
}

function skipAll(sink: MetricSink, reason: string, keepScore = false): ProbeOutput {
  for (const id of IDS) if (!(keepScore && id === 'django.cpython_score')) sink.put(id, null, reason);
  sink.details['skipped'] = reason;
  return sink.output();
}
