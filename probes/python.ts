// python: every Python 3 interpreter on the device, what each can do for a Django deployment, and the best one.
//
// Other probes read this one through ctx.results.get('python') (declare `after: ['python']`). Stable shape:
//   metrics['python.path']      the best interpreter (string | null); metrics['python.version'] likewise
//   details.best                same path as python.path, or null
//   details.interpreters        PythonInterpreterDetail[], best first, one entry per distinct interpreter:
//     { path, aliases: string[], sources: string[], ok: true, inspection: 'full' | 'identity', version,
//       implementation, executable, bits, machine, platformTag, libc, inVirtualenv, prefix, maxDjango,
//       maxDjangoLts, maxDjangoReason, venv: {available, version, reason}, pip: {available, version, reason},
//       ssl: {available, version, reason}, sqliteVersion, headers: {available, path, reason},
//       missingModules: string[] | null,
//       packages: {django, channels, daphne, uvicorn, channels_redis, gunicorn, redis, twisted, cryptography}
//                 (installed version string or null), asgiServer: 'daphne' | 'uvicorn' | null }
//     or, for an interpreter that could not be inspected: { path, aliases, sources, ok: false, error }
//   details.compiler            { path, version } | null
//   details.traps               [{ id, applies, note }]: armv6l wheels, cryptography on 32-bit ARM
//     An 'identity' entry (--quick, an interpreter that cannot rank best) was not asked about venv, pip, ssl,
//     sqlite, headers or missing modules: their available fields are null with the reason, never false.
// Each interpreter runs as one process with probes/assets/inspect_python.py on stdin (under --quick: once
// with --identity, and once more in full if it can rank best), bounded by --python-timeout; a hanging or
// broken interpreter gives an entry with ok: false and never stops the run.
import * as os from 'node:os';
import { basename } from 'node:path';
import type { ProbeContext, ProbeDefinition, ProbeOutput } from '../src/engine/probe.js';
import { MetricSink } from '../src/engine/sink.js';
import { compareVersions, DJANGO_SUPPORT_SOURCE, maxDjangoFor, pythonMinor } from '../src/facts/django-support.js';
import { readPackageFile } from '../src/platform/package-files.js';
import { metricIdsOf } from '../src/report/metrics.js';
import { findExecutable, NO_PROGRAM_DIRS, programsVisible } from './lib/executables.js';
import { parseMeminfo } from './lib/parsers/meminfo.js';
import type { InspectedPackage } from './lib/parsers/python-inspect.js';
import {
  BUDGET_MS,
  type Candidate,
  compareRank,
  discover,
  findCompiler,
  type InspectionRequest,
  identityOnly,
  inspectionConcurrency,
  inspectOne,
  NOT_INSPECTED_REASON,
  PYTHON_NAME,
  type PythonInterpreterDetail,
  type PythonInterpreterFailed,
  type PythonInterpreterOk,
  pythonTimeoutMs,
  rank,
  resolveReal,
  traps,
} from './lib/python-interpreters.js';

export { DEFAULT_PYTHON_TIMEOUT_S, type PythonInterpreterDetail, type PythonInterpreterOk } from './lib/python-interpreters.js';

const PYTHON_METRICS = metricIdsOf('python');

async function recordedTree(ctx: ProbeContext): Promise<ProbeOutput> {
  const names: string[] = [];
  for (const dir of ['/usr/bin', '/usr/local/bin']) {
    for (const name of ((await ctx.listDir(dir)) ?? []).filter((n) => PYTHON_NAME.test(n))) names.push(`${dir}/${name}`);
  }
  const minors = names
    .map((n) => pythonMinor(basename(n).slice(6)))
    .filter((m): m is string => m !== null)
    .sort(compareVersions);
  const newest = minors[minors.length - 1] ?? null;
  const programs = await programsVisible(ctx);
  const sink = new MetricSink();
  sink.putAllNull(PYTHON_METRICS, 'recorded tree: interpreters cannot be run');
  sink.put('python.found', programs ? names.length > 0 : null, NO_PROGRAM_DIRS);
  sink.put('python.interpreter_count', programs ? names.length : null, NO_PROGRAM_DIRS);
  const max = newest ? maxDjangoFor(newest) : null;
  sink.put('python.max_django', max?.series, max?.reason ?? (programs ? 'no python3.X binary in the recorded tree' : NO_PROGRAM_DIRS));
  Object.assign(sink.details, {
    best: null,
    interpreters: [],
    filesFound: names,
    maxDjangoNote: newest ? `max_django from the newest python${newest} file name in the recorded tree` : undefined,
  });
  return sink.output();
}

/** CPUs this process may run on (os.availableParallelism() is Node 18.14+; os.cpus() lists them all). */
function cpuCount(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

/** Inspects the candidates a few at a time; those the deadline leaves no time for are reported as such. */
async function inspectAll(
  ctx: ProbeContext,
  candidates: readonly Candidate[],
  deadline: number,
  request: InspectionRequest,
  early?: EarlyInspection,
): Promise<PythonInterpreterDetail[]> {
  const meminfo = await ctx.readText('/proc/meminfo');
  const concurrency = inspectionConcurrency(cpuCount(), meminfo === null ? null : (parseMeminfo(meminfo)['MemAvailable'] ?? null));
  const results: PythonInterpreterDetail[] = new Array<PythonInterpreterDetail>(candidates.length);
  let next = 0;
  const order = executionOrder(candidates);
  const worker = async (): Promise<void> => {
    while (next < candidates.length) {
      const index = order[next++] as number;
      const candidate = candidates[index] as Candidate;
      const left = deadline - performance.now();
      results[index] =
        left < 1_000
          ? {
              path: candidate.path,
              aliases: candidate.aliases,
              sources: candidate.sources,
              ok: false,
              error: "not inspected: the probe's time budget was spent on other interpreters",
            }
          : await inspectCandidate(ctx, candidate, { ...request, timeoutMs: Math.min(request.timeoutMs, left) }, early);
    }
    // This worker's slot is free for good: nothing is left to start.
    early?.start(results, concurrency);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, candidates.length) }, worker));
  return results;
}

/** One inspection of a pass, as the request asks; under --quick, the identity pass goes through the early inspections. */
function inspectCandidate(ctx: ProbeContext, candidate: Candidate, request: InspectionRequest, early?: EarlyInspection): Promise<PythonInterpreterDetail> {
  return early ? early.identity(candidate, request) : inspectOne(ctx, candidate, request);
}

/**
 * The order in which the candidates are started (the results keep the candidates' order): the one named
 * with --python, then the distribution's (where apt installs Django), then the one on PATH, then pyenv's
 * from the newest. Under --quick an interpreter that is likely to rank best is then known early, while
 * others are still being asked (see earlyInspection); the order changes no result.
 */
function executionOrder(candidates: readonly Candidate[]): number[] {
  const weight = (c: Candidate): number =>
    c.sources.includes('--python') ? 0 : c.sources.some((s) => s === '/usr/bin' || s === '/usr/local/bin') ? 1 : c.sources.includes('PATH') ? 2 : 3;
  return candidates.map((_c, index) => index).sort((a, b) => weight(candidates[a] as Candidate) - weight(candidates[b] as Candidate) || b - a);
}

/**
 * --quick: every interpreter first says only what it is and which packages it has (a few milliseconds of
 * imports instead of tens); then, in the order of the highest rank each could reach, interpreters are
 * inspected in full until none left could outrank the best one found. The best one, and so every metric,
 * is the one a full inspection of all would give; the others keep their identity-only entries.
 */
async function inspectBestInFull(
  ctx: ProbeContext,
  identities: readonly PythonInterpreterDetail[],
  deadline: number,
  request: InspectionRequest,
  early: EarlyInspection,
): Promise<PythonInterpreterDetail[]> {
  const results = [...identities];
  const order = identities.flatMap((d, index) => (d.ok ? [{ d, index }] : [])).sort((a, b) => compareRank(rank(b.d), rank(a.d)) || a.index - b.index);
  let best: number[] | null = null;
  for (const { d, index } of order) {
    if (best !== null && compareRank(best, rank(d)) > 0) break;
    const left = deadline - performance.now();
    if (left < 1_000) break;
    const full = await (early.take(d.path) ?? inspectFully(ctx, d, request, left));
    // The entry as merged (aliases and sources of the same interpreter found under other names).
    results[index] = { ...full, path: d.path, aliases: d.aliases, sources: d.sources };
    if (full.ok && (best === null || compareRank(rank(full), best) > 0)) best = rank(full);
  }
  await early.settle();
  return results;
}

function inspectFully(ctx: ProbeContext, d: PythonInterpreterOk, request: InspectionRequest, leftMs: number): Promise<PythonInterpreterDetail> {
  const candidate: Candidate = { path: d.path, aliases: d.aliases, sources: d.sources, real: d.executable, shim: false };
  return inspectOne(ctx, candidate, { ...request, depth: 'full', timeoutMs: Math.min(request.timeoutMs, leftMs) });
}

interface EarlyInspection {
  /** The identity inspection of a candidate, as inspectOne gives it. */
  identity(candidate: Candidate, identityRequest: InspectionRequest): Promise<PythonInterpreterDetail>;
  /** Called as each identity worker finds nothing left to start. */
  start(answered: readonly (PythonInterpreterDetail | undefined)[], concurrency: number): void;
  /** The early full inspection of this path, once, if there is one. */
  take(path: string): Promise<PythonInterpreterDetail> | null;
  /** Waits for the early inspections nobody took, so that no interpreter outlives the probe. */
  settle(): Promise<void>;
}

/**
 * Under --quick, with a CPU to spare, two interpreters may be inspected in full before the ranked pass asks:
 * the first to start (see executionOrder), whose full answer also gives its identity entry (the same fields
 * an identity-only run reports, with the rest marked not inspected) so that it starts once instead of twice;
 * and, once the identity pass has nothing left to start and the first has answered, the one ranking highest
 * among those that have answered, in a slot just freed, instead of after the last answer while the other
 * CPUs idle.
 * inspectBestInFull takes an early inspection only where it would have made that inspection itself, so the
 * report is the same as without them; a guess that another interpreter outranks costs the CPU time of one
 * inspection. With one CPU there is no wall time to gain, so none is made.
 */
function earlyInspection(ctx: ProbeContext, deadline: number, request: InspectionRequest): EarlyInspection {
  const spare = cpuCount() >= 2;
  const early = new Map<string, Promise<PythonInterpreterDetail>>();
  let first = true;
  let firstPending = false;
  let guessed = false;
  return {
    async identity(candidate, identityRequest) {
      if (!spare || !first) return inspectOne(ctx, candidate, identityRequest);
      first = false;
      const full = inspectOne(ctx, candidate, { ...request, depth: 'full', timeoutMs: identityRequest.timeoutMs });
      early.set(candidate.path, full);
      firstPending = true;
      const answer = await full;
      firstPending = false;
      if (answer.ok) return identityOnly(answer);
      // A failed full inspection says nothing of what an identity-only one would: that one is asked.
      early.delete(candidate.path);
      return inspectOne(ctx, candidate, identityRequest);
    },
    start(answered, concurrency) {
      // While the first answer is pending, the best of the others is no guess at all.
      if (!spare || guessed || concurrency < 2 || firstPending) return;
      guessed = true;
      const ok = answered.filter((d): d is PythonInterpreterOk => d?.ok === true);
      const top = ok.sort((a, b) => compareRank(rank(b), rank(a)))[0];
      const left = deadline - performance.now();
      if (top === undefined || left < 1_000 || early.has(top.path)) return;
      early.set(top.path, inspectFully(ctx, top, request, left));
    },
    take(path) {
      const result = early.get(path) ?? null;
      early.delete(path);
      return result;
    },
    async settle() {
      await Promise.all(early.values());
      early.clear();
    },
  };
}

async function inspectInterpreters(ctx: ProbeContext, candidates: readonly Candidate[], deadline: number, debian: boolean): Promise<PythonInterpreterDetail[]> {
  const request: InspectionRequest = {
    script: readPackageFile('probes/assets/inspect_python.py'),
    timeoutMs: pythonTimeoutMs(ctx.options),
    debian,
    depth: 'full',
  };
  if (!ctx.options.quick || candidates.length < 2) return mergeSameInterpreter(ctx, await inspectAll(ctx, candidates, deadline, request));
  const early = earlyInspection(ctx, deadline, request);
  const identities = await inspectAll(ctx, candidates, deadline, { ...request, depth: 'identity' }, early);
  return inspectBestInFull(ctx, await mergeSameInterpreter(ctx, identities), deadline, request, early);
}

/** The same interpreter reached through a shim whose target was not known up front: merged by executable. */
async function mergeSameInterpreter(ctx: ProbeContext, results: readonly PythonInterpreterDetail[]): Promise<PythonInterpreterDetail[]> {
  const interpreters: PythonInterpreterDetail[] = [];
  const byExecutable = new Map<string, PythonInterpreterOk>();
  for (const r of results) {
    if (r.ok) {
      // The prefix tells a virtualenv from its base interpreter, which share the executable.
      const key = `${r.prefix}\0${await resolveReal(ctx, r.executable || r.path)}`;
      const same = byExecutable.get(key);
      if (same) {
        same.aliases.push(r.path, ...r.aliases);
        for (const source of r.sources) if (!same.sources.includes(source)) same.sources.push(source);
        continue;
      }
      byExecutable.set(key, r);
    }
    interpreters.push(r);
  }
  return interpreters;
}

const INSTALLED_PACKAGES: ReadonlyArray<[string, InspectedPackage]> = [
  ['python.django_version', 'django'],
  ['python.channels_version', 'channels'],
  ['python.daphne_version', 'daphne'],
  ['python.uvicorn_version', 'uvicorn'],
  ['python.channels_redis_version', 'channels_redis'],
];

function putBest(sink: MetricSink, best: PythonInterpreterOk, compilerFound: boolean): void {
  sink.put('python.version', best.version, 'the interpreter reported no version');
  sink.put('python.path', best.path, 'no path');
  sink.put('python.bits', best.bits, 'the interpreter reported no pointer size');
  sink.put('python.venv_available', best.venv.available, 'not inspected');
  sink.put('python.pip_available', best.pip.available, 'not inspected');
  sink.put('python.ssl_available', best.ssl.available, 'not inspected');
  sink.put('python.sqlite_version', best.sqliteVersion, 'the sqlite3 module does not load');
  sink.put('python.headers_available', best.headers.available, 'not inspected');
  sink.put('python.build_tools_available', best.headers.available === null ? null : best.headers.available && compilerFound, 'not inspected');
  sink.put('python.max_django', best.maxDjango, best.maxDjangoReason ?? 'no Django release supports this Python');
  for (const [id, pkg] of INSTALLED_PACKAGES) sink.put(id, best.packages[pkg], `${pkg} is not installed for ${best.path}`);
  sink.put('python.asgi_server', best.asgiServer, `neither daphne nor uvicorn is installed for ${best.path}`);
}

export const pythonProbe: ProbeDefinition = {
  id: 'python',
  title: 'Python',
  metrics: PYTHON_METRICS,
  budgetMs: (options) => Math.max(BUDGET_MS, pythonTimeoutMs(options) + 10_000),
  async run(ctx): Promise<ProbeOutput> {
    if (!ctx.live) return recordedTree(ctx);
    const deadline = performance.now() + ctx.budgetMs - 5_000;
    // The toolchain does not depend on the interpreters: it is looked for while they are inspected.
    const toolchain = Promise.all([findCompiler(ctx), findExecutable(ctx, ['rustc'])]);
    const debianCheck = ctx.exists('/etc/debian_version');
    const { candidates, notes } = await discover(ctx);
    const debian = await debianCheck;
    const interpreters = await inspectInterpreters(ctx, candidates, deadline, debian);
    const working = interpreters.filter((i): i is PythonInterpreterOk => i.ok).sort((a, b) => compareRank(rank(b), rank(a)));
    const failedOnes = interpreters.filter((i): i is PythonInterpreterFailed => !i.ok);
    const best = working[0] ?? null;
    const [compiler, rustcPath] = await toolchain;
    const rustc = rustcPath !== null;
    const trapInfo = await traps(ctx, best, rustc);

    const sink = new MetricSink();
    sink.put('python.found', best !== null, 'not inspected');
    sink.put('python.interpreter_count', working.length, 'not inspected');
    sink.put('python.compiler_available', compiler !== null, 'not inspected');
    if (best) putBest(sink, best, compiler !== null);
    else {
      const why =
        candidates.length === 0
          ? (notes[0] ?? 'no python3 on PATH, in /usr/bin, /usr/local/bin or pyenv')
          : `no working interpreter: ${failedOnes.map((f) => `${f.path}: ${f.error}`).join('; ')}`;
      sink.putAllNull(
        PYTHON_METRICS.filter((id) => !sink.has(id)),
        why,
      );
    }

    const { details } = sink;
    Object.assign(details, {
      best: best?.path ?? null,
      interpreters: [...working, ...failedOnes],
      compiler,
      rustcAvailable: rustc,
      piwheelsConfigured: trapInfo.piwheels,
      traps: trapInfo.traps,
      djangoSupportSource: DJANGO_SUPPORT_SOURCE,
    });
    if (notes.length > 0) details['discoveryNote'] = notes.join('; ');
    if (failedOnes.length > 0)
      details['brokenInterpretersWarning'] =
        `${failedOnes.length} interpreter(s) could not be inspected: ${failedOnes.map((f) => `${f.path} (${f.error})`).join('; ')}`;
    if (best && best.venv.available === false && best.venv.reason) details['venvWarning'] = best.venv.reason;
    const identityOnly = working.filter((i) => i.inspection === 'identity').length;
    if (identityOnly > 0)
      details['inspectionNote'] =
        `${identityOnly} of ${working.length} interpreters were asked only what they are and which packages they have: ${NOT_INSPECTED_REASON}`;
    if (best && sink.metrics['python.build_tools_available'] !== true) {
      details['buildToolsNote'] =
        `wheels cannot be built from source here: ${[compiler ? null : 'no C compiler (cc/gcc/clang)', best.headers.available ? null : best.headers.reason].filter(Boolean).join(', ')}`;
    }
    for (const trap of trapInfo.traps) if (trap.applies) details[`${trap.id.replace(/-(.)/g, (_m, c: string) => c.toUpperCase())}Warning`] = trap.note;
    return sink.output();
  },
};
