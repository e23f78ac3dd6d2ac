// python: every Python 3 interpreter on the device, what each can do for a Django deployment, and the best one.
//
// Other probes read this one through ctx.results.get('python') (declare `after: ['python']`). Stable shape:
//   metrics['python.path']      the best interpreter (string | null); metrics['python.version'] likewise
//   details.best                same path as python.path, or null
//   details.interpreters        PythonInterpreterDetail[], best first, one entry per distinct interpreter:
//     { path, aliases: string[], sources: string[], ok: true, version, implementation, executable, bits,
//       machine, platformTag, libc, inVirtualenv, prefix, maxDjango, maxDjangoLts, maxDjangoReason,
//       venv: {available, version, reason}, pip: {available, version, reason}, ssl: {available, version, reason},
//       sqliteVersion, headers: {available, path, reason}, missingModules: string[],
//       packages: {django, channels, daphne, uvicorn, channels_redis, gunicorn, redis, twisted, cryptography}
//                 (installed version string or null), asgiServer: 'daphne' | 'uvicorn' | null }
//     or, for an interpreter that could not be inspected: { path, aliases, sources, ok: false, error }
//   details.compiler            { path, version } | null
//   details.traps               [{ id, applies, note }]: armv6l wheels, cryptography on 32-bit ARM
// Each interpreter runs once, as one process, with probes/assets/inspect_python.py on stdin, bounded by
// --python-timeout; a hanging or broken interpreter gives an entry with ok: false and never stops the run.
import { homedir } from 'node:os';
import { realpath } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { compareVersions, DJANGO_SUPPORT_SOURCE, maxDjangoFor, pythonMinor } from '../src/facts/django-support.js';
import { findExecutable, isExecutable, NO_PROGRAM_DIRS, programsVisible, versionLine } from './lib/executables.js';
import { readPackageFile } from '../src/platform/package-files.js';
import { excerpt, parseInspection, type InspectedPackage, type PythonInspection } from './lib/parsers/python-inspect.js';
import type { ProbeContext, ProbeDefinition, ProbeOutput, RunOptions } from '../src/engine/probe.js';
import { metricIdsOf } from '../src/report/metrics.js';
import type { Metrics } from '../src/report/types.js';

export const DEFAULT_PYTHON_TIMEOUT_S = 15;
/** Interpreters inspected at the same time (each is one short process). */
const CONCURRENCY = 2;
const BUDGET_MS = 60_000;

interface Candidate {
  path: string;
  aliases: string[];
  sources: string[];
  /** realpath, the identity of an interpreter. */
  real: string;
  shim: boolean;
}

interface Capable {
  available: boolean;
  version: string | null;
  reason: string | null;
}

export interface PythonInterpreterOk {
  path: string;
  aliases: string[];
  sources: string[];
  ok: true;
  version: string;
  implementation: string;
  executable: string;
  bits: number;
  machine: string;
  platformTag: string | null;
  libc: string | null;
  inVirtualenv: boolean;
  prefix: string;
  maxDjango: string | null;
  maxDjangoLts: string | null;
  maxDjangoReason: string | null;
  venv: Capable;
  pip: Capable;
  ssl: Capable;
  sqliteVersion: string | null;
  headers: { available: boolean; path: string | null; reason: string | null };
  missingModules: string[];
  packages: Record<InspectedPackage, string | null>;
  asgiServer: 'daphne' | 'uvicorn' | null;
}

export interface PythonInterpreterFailed {
  path: string;
  aliases: string[];
  sources: string[];
  ok: false;
  error: string;
}

export type PythonInterpreterDetail = PythonInterpreterOk | PythonInterpreterFailed;

function pythonTimeoutMs(options: RunOptions): number {
  return Math.round((options.pythonTimeout ?? DEFAULT_PYTHON_TIMEOUT_S) * 1000);
}

const PYTHON_NAME = /^python3(\.\d+)?$/;

async function resolveReal(ctx: ProbeContext, path: string): Promise<string> {
  try {
    return await realpath(ctx.rootPath(path));
  } catch {
    return path;
  }
}

function pyenvRoot(): string {
  return process.env['PYENV_ROOT'] || `${homedir()}/.pyenv`;
}

/** The pyenv version a shim would run right now, when it is unambiguous; null otherwise. */
async function activePyenvVersion(ctx: ProbeContext, root: string): Promise<string | null> {
  const fromEnv = process.env['PYENV_VERSION'];
  const text = fromEnv ?? (await ctx.readText(`${root}/version`));
  const first = text?.split(/[\s:]+/).find((v) => v.length > 0) ?? null;
  if (!first || first === 'system') return null;
  return first;
}

async function discover(ctx: ProbeContext): Promise<{ candidates: Candidate[]; notes: string[] }> {
  const byReal = new Map<string, Candidate>();
  const notes: string[] = [];
  const add = async (path: string, source: string, aliasOf?: string): Promise<void> => {
    if (!(await isExecutable(ctx, path))) return;
    const shim = path.includes('/shims/');
    // A virtualenv's python is a symlink to its base interpreter but has its own packages: keep it apart.
    const venv = await ctx.exists(`${dirname(dirname(path))}/pyvenv.cfg`);
    const real = aliasOf ?? (venv ? path : await resolveReal(ctx, path));
    const existing = byReal.get(real);
    if (existing) {
      if (!existing.aliases.includes(path) && existing.path !== path) existing.aliases.push(path);
      if (!existing.sources.includes(source)) existing.sources.push(source);
      // Prefer a real interpreter path over a shim as the name people see.
      if (existing.shim && !shim) {
        existing.aliases = existing.aliases.filter((a) => a !== path);
        existing.aliases.unshift(existing.path);
        existing.path = path;
        existing.shim = false;
      }
      return;
    }
    byReal.set(real, { path, aliases: [], sources: [source], real, shim });
  };

  const explicit = ctx.options.python;
  if (explicit) {
    if (await isExecutable(ctx, explicit)) await add(explicit, '--python');
    else notes.push(`--python ${explicit} is not an executable file`);
  }
  if (ctx.options.pythonOnly) return { candidates: [...byReal.values()], notes };

  const root = pyenvRoot();
  const pyenvVersion = await activePyenvVersion(ctx, root);
  const pyenvVersions = ((await ctx.listDir(`${root}/versions`)) ?? []).sort((a, b) => compareVersions(a, b));
  // Real pyenv interpreters first, so a shim that runs one of them is recognised as the same interpreter.
  for (const version of pyenvVersions) await add(`${root}/versions/${version}/bin/python3`, 'pyenv');
  const shimTarget = async (): Promise<string | undefined> =>
    pyenvVersion && pyenvVersions.includes(pyenvVersion) ? resolveReal(ctx, `${root}/versions/${pyenvVersion}/bin/python3`) : undefined;

  if (ctx.live) {
    const onPath = await findExecutable(ctx, ['python3'], (process.env['PATH'] ?? '').split(':').filter((d) => d.startsWith('/')));
    if (onPath) await add(onPath, 'PATH', onPath.includes('/shims/') ? await shimTarget() : undefined);
  }
  for (const dir of ['/usr/bin', '/usr/local/bin']) {
    const names = ((await ctx.listDir(dir)) ?? []).filter((n) => PYTHON_NAME.test(n));
    // "python3" before "python3.11", so the generic name is the one shown.
    names.sort((a, b) => a.length - b.length || compareVersions(a.slice(6), b.slice(6)));
    for (const name of names) await add(`${dir}/${name}`, dir);
  }
  await add(`${root}/shims/python3`, 'pyenv shim', await shimTarget());
  return { candidates: [...byReal.values()], notes };
}

function capable(cap: { ok: boolean; value: string | null; error: string | null }, reasonIfMissing: (error: string) => string): Capable {
  return cap.ok ? { available: true, version: cap.value, reason: null } : { available: false, version: null, reason: reasonIfMissing(cap.error ?? 'failed') };
}

function evaluate(candidate: Candidate, inspection: PythonInspection, debian: boolean): PythonInterpreterOk {
  const minor = pythonMinor(inspection.version) ?? inspection.version;
  const systemPython = debian && (inspection.executable.startsWith('/usr/bin/') || candidate.path.startsWith('/usr/bin/'));
  const max = maxDjangoFor(inspection.version);
  const venv = capable(inspection.venv, (error) => {
    if (/ensurepip/.test(error)) {
      return systemPython
        ? `ensurepip is missing, so \`python3 -m venv\` fails (Debian/Ubuntu split it out: apt install python${minor}-venv)`
        : `ensurepip is missing, so \`python3 -m venv\` cannot install pip (${error})`;
    }
    return `venv is not usable: ${error}`;
  });
  const pip = capable(inspection.pip, (error) => (systemPython ? `pip is not installed (apt install python3-pip, or use a venv): ${error}` : `pip is not importable: ${error}`));
  const ssl = capable(inspection.ssl, (error) => `the ssl module does not load, so pip cannot reach PyPI over HTTPS (${error})`);
  const packages = inspection.packages;
  return {
    path: candidate.path,
    aliases: candidate.aliases,
    sources: candidate.sources,
    ok: true,
    version: inspection.version,
    implementation: inspection.implementation,
    executable: inspection.executable,
    bits: inspection.bits,
    machine: inspection.machine,
    platformTag: inspection.platformTag,
    libc: inspection.libc,
    inVirtualenv: inspection.inVirtualenv,
    prefix: inspection.prefix,
    maxDjango: max.series,
    maxDjangoLts: max.lts,
    maxDjangoReason: max.reason,
    venv,
    pip,
    ssl,
    sqliteVersion: inspection.sqlite.ok ? inspection.sqlite.value : null,
    headers: inspection.headers.ok
      ? { available: true, path: inspection.headers.value, reason: null }
      : { available: false, path: null, reason: systemPython ? `no Python.h (apt install python${minor}-dev)` : `no Python.h (${inspection.headers.error ?? 'not found'})` },
    missingModules: inspection.missingModules,
    packages,
    asgiServer: packages.daphne ? 'daphne' : packages.uvicorn ? 'uvicorn' : null,
  };
}

/** Higher is better: fit for current Django first, then what a deployment needs, then what is installed. */
function rank(i: PythonInterpreterOk): number[] {
  const maxDjango = i.maxDjango ? i.maxDjango.split('.').map(Number) : [0, 0];
  const version = i.version.split('.').map(Number);
  return [
    i.maxDjango !== null && compareVersions(i.maxDjango, '5.2') >= 0 ? 1 : 0,
    i.venv.available ? 1 : 0,
    (i.packages.django ? 1 : 0) + (i.packages.channels ? 1 : 0) + (i.asgiServer ? 1 : 0),
    i.pip.available ? 1 : 0,
    i.ssl.available ? 1 : 0,
    maxDjango[0] ?? 0, maxDjango[1] ?? 0,
    version[0] ?? 0, version[1] ?? 0, version[2] ?? 0,
    i.sources.includes('--python') ? 1 : 0,
  ];
}

function compareRank(a: number[], b: number[]): number {
  for (let k = 0; k < Math.max(a.length, b.length); k++) {
    const d = (a[k] ?? 0) - (b[k] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

async function inspectOne(ctx: ProbeContext, candidate: Candidate, script: string, timeoutMs: number, debian: boolean): Promise<PythonInterpreterDetail> {
  const failed = (error: string): PythonInterpreterFailed => ({ path: candidate.path, aliases: candidate.aliases, sources: candidate.sources, ok: false, error });
  // -E: ignore PYTHONPATH/PYTHONHOME of the agent's environment; -B: write no .pyc files on the device.
  const result = await ctx.exec(candidate.path, ['-E', '-B', '-'], { timeoutMs, input: script, maxBytes: 256 * 1024 });
  if (result.spawnError) return failed(result.aborted ? 'not inspected: the probe was stopped' : `could not be started (${result.spawnError})`);
  if (result.timedOut) return failed(`did not finish the inspection within ${(timeoutMs / 1000).toFixed(1)} s and was killed`);
  if (result.aborted) return failed('not inspected: the probe was stopped');
  const parsed = parseInspection(result.stdout);
  if (!parsed.ok) {
    const status = result.code === 0 ? '' : ` (exit ${result.code ?? result.signal ?? '?'}${result.stderr.trim() ? `: ${excerpt(result.stderr, 200)}` : ''})`;
    return failed(`${parsed.reason}${status}`);
  }
  return evaluate(candidate, parsed.inspection, debian);
}

async function findCompiler(ctx: ProbeContext): Promise<{ path: string; version: string | null } | null> {
  const path = await findExecutable(ctx, ['cc', 'gcc', 'clang']);
  if (!path) return null;
  if (!ctx.live) return { path, version: null };
  const line = await versionLine(ctx, path, ['--version']);
  return { path, version: line.text };
}

interface Trap {
  id: string;
  applies: boolean | null;
  note: string;
}

async function traps(ctx: ProbeContext, best: PythonInterpreterOk | null, rustc: boolean): Promise<{ traps: Trap[]; piwheels: boolean }> {
  const pipConf = `${(await ctx.readText('/etc/pip.conf')) ?? ''}\n${(await ctx.readText(`${homedir()}/.config/pip/pip.conf`)) ?? ''}`;
  const piwheels = /piwheels\.org/.test(pipConf);
  const machine = best?.machine ?? null;
  const arm32 = best !== null && best.bits === 32 && /^arm/.test(best.machine);
  return {
    piwheels,
    traps: [
      {
        id: 'armv6l-wheels',
        applies: machine === null ? null : machine === 'armv6l',
        note: 'armv6l (Pi Zero / Zero W / Pi 1) has no manylinux wheels on PyPI (manylinux covers armv7l and aarch64), so every '
          + 'compiled dependency comes from piwheels.org or is built from source on the device'
          + (machine === 'armv6l' ? (piwheels ? '; piwheels is configured in pip.conf' : '; piwheels is NOT configured in pip.conf: add extra-index-url=https://www.piwheels.org/simple') : ''),
      },
      {
        id: 'daphne-cryptography',
        applies: best === null ? null : arm32,
        note: 'daphne depends on Twisted with TLS, which needs cryptography; PyPI has no cryptography wheels for 32-bit ARM, '
          + 'so it comes from piwheels or is built from source, which needs a Rust toolchain and several hundred MiB of RAM'
          + (arm32 ? (rustc ? ' (rustc is installed)' : ' (no rustc found)') : ''),
      },
    ],
  };
}

async function recordedTree(ctx: ProbeContext): Promise<ProbeOutput> {
  const names: string[] = [];
  for (const dir of ['/usr/bin', '/usr/local/bin']) {
    for (const name of ((await ctx.listDir(dir)) ?? []).filter((n) => PYTHON_NAME.test(n))) names.push(`${dir}/${name}`);
  }
  const minors = names.map((n) => pythonMinor(basename(n).slice(6))).filter((m): m is string => m !== null).sort(compareVersions);
  const newest = minors[minors.length - 1] ?? null;
  const reason = 'recorded tree: interpreters cannot be run';
  const programs = await programsVisible(ctx);
  const metrics: Metrics = { 'python.found': programs ? names.length > 0 : null, 'python.interpreter_count': programs ? names.length : null };
  const unmeasured: Record<string, string> = {};
  if (!programs) {
    unmeasured['python.found'] = NO_PROGRAM_DIRS;
    unmeasured['python.interpreter_count'] = NO_PROGRAM_DIRS;
  }
  const max = newest ? maxDjangoFor(newest) : null;
  metrics['python.max_django'] = max?.series ?? null;
  if (!max?.series) unmeasured['python.max_django'] = max?.reason ?? (programs ? 'no python3.X binary in the recorded tree' : NO_PROGRAM_DIRS);
  for (const id of PYTHON_METRICS) if (!(id in metrics)) unmeasured[id] = reason;
  return {
    metrics,
    unmeasured,
    details: { best: null, interpreters: [], filesFound: names, maxDjangoNote: newest ? `max_django from the newest python${newest} file name in the recorded tree` : undefined },
  };
}

const PYTHON_METRICS = metricIdsOf('python');

export const pythonProbe: ProbeDefinition = {
  id: 'python',
  title: 'Python',
  metrics: metricIdsOf('python'),
  budgetMs: (options) => Math.max(BUDGET_MS, pythonTimeoutMs(options) + 10_000),
  async run(ctx): Promise<ProbeOutput> {
    if (!ctx.live) return recordedTree(ctx);
    const started = performance.now();
    const timeoutMs = pythonTimeoutMs(ctx.options);
    const deadline = started + Math.max(BUDGET_MS, timeoutMs + 10_000) - 5_000;
    const debian = await ctx.exists('/etc/debian_version');
    const { candidates, notes } = await discover(ctx);
    const script = readPackageFile('probes/assets/inspect_python.py');

    const results: PythonInterpreterDetail[] = new Array<PythonInterpreterDetail>(candidates.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < candidates.length) {
        const index = next++;
        const candidate = candidates[index] as Candidate;
        const left = deadline - performance.now();
        results[index] = left < 1_000
          ? { path: candidate.path, aliases: candidate.aliases, sources: candidate.sources, ok: false, error: 'not inspected: the probe\'s time budget was spent on other interpreters' }
          : await inspectOne(ctx, candidate, script, Math.min(timeoutMs, left), debian);
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, candidates.length) }, worker));

    // The same interpreter reached through a shim whose target was not known up front: merge by executable.
    const interpreters: PythonInterpreterDetail[] = [];
    const byExecutable = new Map<string, PythonInterpreterOk>();
    for (const r of results) {
      if (r.ok) {
        // The prefix tells a virtualenv from its base interpreter, which share the executable.
        const key = `${r.prefix}\0${await resolveReal(ctx, r.executable || r.path)}`;
        const same = byExecutable.get(key);
        if (same) {
          same.aliases.push(r.path, ...r.aliases);
          for (const s of r.sources) if (!same.sources.includes(s)) same.sources.push(s);
          continue;
        }
        byExecutable.set(key, r);
      }
      interpreters.push(r);
    }
    const working = interpreters.filter((i): i is PythonInterpreterOk => i.ok).sort((a, b) => compareRank(rank(b), rank(a)));
    const failedOnes = interpreters.filter((i): i is PythonInterpreterFailed => !i.ok);
    const best = working[0] ?? null;

    const compiler = await findCompiler(ctx);
    const rustc = (await findExecutable(ctx, ['rustc'])) !== null;
    const trapInfo = await traps(ctx, best, rustc);

    const metrics: Metrics = {};
    const unmeasured: Record<string, string> = {};
    metrics['python.found'] = best !== null;
    metrics['python.interpreter_count'] = working.length;
    metrics['python.compiler_available'] = compiler !== null;
    if (!best) {
      const why = candidates.length === 0
        ? (notes[0] ?? 'no python3 on PATH, in /usr/bin, /usr/local/bin or pyenv')
        : `no working interpreter: ${failedOnes.map((f) => `${f.path}: ${f.error}`).join('; ')}`;
      for (const id of PYTHON_METRICS) if (!(id in metrics)) unmeasured[id] = why;
    } else {
      metrics['python.version'] = best.version;
      metrics['python.path'] = best.path;
      metrics['python.bits'] = best.bits;
      metrics['python.venv_available'] = best.venv.available;
      metrics['python.pip_available'] = best.pip.available;
      metrics['python.ssl_available'] = best.ssl.available;
      metrics['python.sqlite_version'] = best.sqliteVersion;
      if (best.sqliteVersion === null) unmeasured['python.sqlite_version'] = 'the sqlite3 module does not load';
      metrics['python.headers_available'] = best.headers.available;
      metrics['python.build_tools_available'] = best.headers.available && compiler !== null;
      metrics['python.max_django'] = best.maxDjango;
      if (best.maxDjango === null) unmeasured['python.max_django'] = best.maxDjangoReason ?? 'no Django release supports this Python';
      const installed: Array<[string, InspectedPackage]> = [
        ['python.django_version', 'django'], ['python.channels_version', 'channels'], ['python.daphne_version', 'daphne'],
        ['python.uvicorn_version', 'uvicorn'], ['python.channels_redis_version', 'channels_redis'],
      ];
      for (const [id, pkg] of installed) {
        metrics[id] = best.packages[pkg];
        if (best.packages[pkg] === null) unmeasured[id] = `${pkg} is not installed for ${best.path}`;
      }
      metrics['python.asgi_server'] = best.asgiServer;
      if (best.asgiServer === null) unmeasured['python.asgi_server'] = `neither daphne nor uvicorn is installed for ${best.path}`;
    }

    const details: Record<string, unknown> = {
      best: best?.path ?? null,
      interpreters: [...working, ...failedOnes],
      compiler,
      rustcAvailable: rustc,
      piwheelsConfigured: trapInfo.piwheels,
      traps: trapInfo.traps,
      djangoSupportSource: DJANGO_SUPPORT_SOURCE,
    };
    if (notes.length > 0) details['discoveryNote'] = notes.join('; ');
    if (failedOnes.length > 0) details['brokenInterpretersWarning'] = `${failedOnes.length} interpreter(s) could not be inspected: ${failedOnes.map((f) => `${f.path} (${f.error})`).join('; ')}`;
    if (best && !best.venv.available && best.venv.reason) details['venvWarning'] = best.venv.reason;
    if (best && !metrics['python.build_tools_available']) {
      details['buildToolsNote'] = `wheels cannot be built from source here: ${[compiler ? null : 'no C compiler (cc/gcc/clang)', best.headers.available ? null : best.headers.reason].filter(Boolean).join(', ')}`;
    }
    for (const trap of trapInfo.traps) if (trap.applies) details[`${trap.id.replace(/-(.)/g, (_m, c: string) => c.toUpperCase())}Warning`] = trap.note;
    return { metrics, details, unmeasured };
  },
};
