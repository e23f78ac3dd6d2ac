// Finding and inspecting Python interpreters for the python probe: discovery (PATH, /usr/bin, pyenv),
// one inspection process each, ranking, and the known traps of small ARM boards.

import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname } from 'node:path';
import type { ProbeContext, RunOptions } from '../../src/engine/probe.js';
import { CURRENT_DJANGO_LTS, compareVersions, maxDjangoFor, pythonMinor } from '../../src/facts/django-support.js';
import { findExecutable, isExecutable, versionLine } from './executables.js';
import { excerpt, type InspectedPackage, type PythonInspection, parseInspection } from './parsers/python-inspect.js';

export const DEFAULT_PYTHON_TIMEOUT_S = 15;
export const BUDGET_MS = 60_000;
/** Peak RSS of one inspection, rounded up: 20 to 25 MiB measured on CPython 3.6 to 3.13 (x86-64). */
export const INSPECTION_BYTES = 32 * 1024 * 1024;

/**
 * Interpreters inspected at the same time. An inspection is one short process whose start-up waits on
 * storage (exec, shared libraries, a few hundred module files) about as much as it computes, so two per
 * CPU keep the CPUs busy through those waits; and no more at once than half of MemAvailable holds, so that
 * a small board with many interpreters does not swap.
 */
export function inspectionConcurrency(cpus: number, memAvailableBytes: number | null): number {
  const byMemory = memAvailableBytes === null ? Infinity : Math.floor(memAvailableBytes / 2 / INSPECTION_BYTES);
  return Math.max(1, Math.min(2 * Math.max(1, cpus), byMemory));
}

export interface Candidate {
  path: string;
  aliases: string[];
  sources: string[];
  /** realpath, the identity of an interpreter. */
  real: string;
  shim: boolean;
}

/** available is null when the interpreter was not asked (an identity-only inspection). */
interface Capable {
  available: boolean | null;
  version: string | null;
  reason: string | null;
}

/**
 * How far an interpreter was inspected: everything, or (--quick, an interpreter that cannot rank best) only
 * what it is and which packages it has: probes/assets/inspect_python.py --identity.
 */
export type InspectionDepth = 'full' | 'identity';

export const NOT_INSPECTED_REASON = 'not inspected: --quick asks in full only the interpreters that can rank best (run without --quick for all)';

export interface PythonInterpreterOk {
  path: string;
  aliases: string[];
  sources: string[];
  ok: true;
  inspection: InspectionDepth;
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
  headers: { available: boolean | null; path: string | null; reason: string | null };
  /** null when not inspected. */
  missingModules: string[] | null;
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

export function pythonTimeoutMs(options: RunOptions): number {
  return Math.round((options.pythonTimeout ?? DEFAULT_PYTHON_TIMEOUT_S) * 1000);
}

export const PYTHON_NAME = /^python3(\.\d+)?$/;

// Discovery asks the file system a few questions per interpreter name and lists three directories,
// synchronously, as isExecutable does: each answer comes from the kernel's caches in microseconds, while a
// round trip through the thread pool waits for the event loop, which the probes running beside this one keep
// busy. Those few dozen round trips were most of the python probe's time before its first interpreter started.

/** The path with every symlink resolved (realpath(3), as fs.promises.realpath gives it), or the path itself. */
export async function resolveReal(ctx: ProbeContext, path: string): Promise<string> {
  try {
    return realpathSync.native(ctx.rootPath(path));
  } catch {
    return path;
  }
}

/** Whether the path exists (stat(2) follows it), as ctx.exists answers. */
function existsNow(ctx: ProbeContext, path: string): boolean {
  try {
    statSync(ctx.rootPath(path));
    return true;
  } catch {
    return false;
  }
}

/** A directory's entries, or null, as ctx.listDir answers. */
function listNow(ctx: ProbeContext, path: string): string[] | null {
  try {
    return readdirSync(ctx.rootPath(path));
  } catch {
    return null;
  }
}

/** A file's text, or null, as ctx.readText answers. */
function readNow(ctx: ProbeContext, path: string): string | null {
  try {
    return readFileSync(ctx.rootPath(path), 'utf8');
  } catch {
    return null;
  }
}

function pyenvRoot(): string {
  return process.env['PYENV_ROOT'] || `${homedir()}/.pyenv`;
}

/** The pyenv version a shim would run right now, when it is unambiguous; null otherwise. */
function activePyenvVersion(ctx: ProbeContext, root: string): string | null {
  const fromEnv = process.env['PYENV_VERSION'];
  const text = fromEnv ?? readNow(ctx, `${root}/version`);
  const first = text?.split(/[\s:]+/).find((v) => v.length > 0) ?? null;
  if (!first || first === 'system') return null;
  return first;
}

export async function discover(ctx: ProbeContext): Promise<{ candidates: Candidate[]; notes: string[] }> {
  const byReal = new Map<string, Candidate>();
  const notes: string[] = [];
  const add = async (path: string, source: string, aliasOf?: string): Promise<void> => {
    if (!(await isExecutable(ctx, path))) return;
    const shim = path.includes('/shims/');
    // A virtualenv's python is a symlink to its base interpreter but has its own packages: keep it apart.
    const venv = existsNow(ctx, `${dirname(dirname(path))}/pyvenv.cfg`);
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
  const pyenvVersion = activePyenvVersion(ctx, root);
  const pyenvVersions = (listNow(ctx, `${root}/versions`) ?? []).sort((a, b) => compareVersions(a, b));
  // Real pyenv interpreters first, so a shim that runs one of them is recognised as the same interpreter.
  for (const version of pyenvVersions) await add(`${root}/versions/${version}/bin/python3`, 'pyenv');
  const shimTarget = async (): Promise<string | undefined> =>
    pyenvVersion && pyenvVersions.includes(pyenvVersion) ? resolveReal(ctx, `${root}/versions/${pyenvVersion}/bin/python3`) : undefined;

  if (ctx.live) {
    const onPath = await findExecutable(
      ctx,
      ['python3'],
      (process.env['PATH'] ?? '').split(':').filter((d) => d.startsWith('/')),
    );
    if (onPath) await add(onPath, 'PATH', onPath.includes('/shims/') ? await shimTarget() : undefined);
  }
  for (const dir of ['/usr/bin', '/usr/local/bin']) {
    const names = (listNow(ctx, dir) ?? []).filter((n) => PYTHON_NAME.test(n));
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

const NOT_INSPECTED: Capable = { available: null, version: null, reason: NOT_INSPECTED_REASON };

/** What an identity-only inspection did not ask is shown as such, never as missing. */
export function identityOnly(full: PythonInterpreterOk): PythonInterpreterOk {
  return {
    ...full,
    inspection: 'identity',
    platformTag: null,
    venv: NOT_INSPECTED,
    pip: NOT_INSPECTED,
    ssl: NOT_INSPECTED,
    sqliteVersion: null,
    headers: { available: null, path: null, reason: NOT_INSPECTED_REASON },
    missingModules: null,
  };
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
  const pip = capable(inspection.pip, (error) =>
    systemPython ? `pip is not installed (apt install python3-pip, or use a venv): ${error}` : `pip is not importable: ${error}`,
  );
  const ssl = capable(inspection.ssl, (error) => `the ssl module does not load, so pip cannot reach PyPI over HTTPS (${error})`);
  const packages = inspection.packages;
  return {
    path: candidate.path,
    aliases: candidate.aliases,
    sources: candidate.sources,
    ok: true,
    inspection: 'full',
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
      : {
          available: false,
          path: null,
          reason: systemPython ? `no Python.h (apt install python${minor}-dev)` : `no Python.h (${inspection.headers.error ?? 'not found'})`,
        },
    missingModules: inspection.missingModules,
    packages,
    asgiServer: packages.daphne ? 'daphne' : packages.uvicorn ? 'uvicorn' : null,
  };
}

/**
 * Higher is better: fit for current Django first, then what a deployment needs, then what is installed.
 * What was not inspected counts as present, so the rank of an identity-only inspection is the highest the
 * full one could give.
 */
export function rank(i: PythonInterpreterOk): number[] {
  const maxDjango = i.maxDjango ? i.maxDjango.split('.').map(Number) : [0, 0];
  const version = i.version.split('.').map(Number);
  return [
    i.maxDjango !== null && compareVersions(i.maxDjango, CURRENT_DJANGO_LTS) >= 0 ? 1 : 0,
    i.venv.available !== false ? 1 : 0,
    (i.packages.django ? 1 : 0) + (i.packages.channels ? 1 : 0) + (i.asgiServer ? 1 : 0),
    i.pip.available !== false ? 1 : 0,
    i.ssl.available !== false ? 1 : 0,
    maxDjango[0] ?? 0,
    maxDjango[1] ?? 0,
    version[0] ?? 0,
    version[1] ?? 0,
    version[2] ?? 0,
    i.sources.includes('--python') ? 1 : 0,
  ];
}

export function compareRank(a: number[], b: number[]): number {
  for (let k = 0; k < Math.max(a.length, b.length); k++) {
    const d = (a[k] ?? 0) - (b[k] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export interface InspectionRequest {
  script: string;
  timeoutMs: number;
  debian: boolean;
  depth: InspectionDepth;
}

export async function inspectOne(ctx: ProbeContext, candidate: Candidate, request: InspectionRequest): Promise<PythonInterpreterDetail> {
  const { script, timeoutMs, debian, depth } = request;
  const failed = (error: string): PythonInterpreterFailed => ({
    path: candidate.path,
    aliases: candidate.aliases,
    sources: candidate.sources,
    ok: false,
    error,
  });
  // -E: ignore PYTHONPATH/PYTHONHOME of the agent's environment; -B: write no .pyc files on the device.
  const args = ['-E', '-B', '-', ...(depth === 'identity' ? ['--identity'] : [])];
  const result = await ctx.exec(candidate.path, args, { timeoutMs, input: script, maxBytes: 256 * 1024 });
  if (result.spawnError) return failed(result.aborted ? 'not inspected: the probe was stopped' : `could not be started (${result.spawnError})`);
  if (result.timedOut) return failed(`did not finish the inspection within ${(timeoutMs / 1000).toFixed(1)} s and was killed`);
  if (result.aborted) return failed('not inspected: the probe was stopped');
  const parsed = parseInspection(result.stdout);
  if (!parsed.ok) {
    const status = result.code === 0 ? '' : ` (exit ${result.code ?? result.signal ?? '?'}${result.stderr.trim() ? `: ${excerpt(result.stderr, 200)}` : ''})`;
    return failed(`${parsed.reason}${status}`);
  }
  const evaluated = evaluate(candidate, parsed.inspection, debian);
  return depth === 'identity' ? identityOnly(evaluated) : evaluated;
}

export async function findCompiler(ctx: ProbeContext): Promise<{ path: string; version: string | null } | null> {
  const path = await findExecutable(ctx, ['cc', 'gcc', 'clang']);
  if (!path) return null;
  if (!ctx.live) return { path, version: null };
  const line = await versionLine(ctx, path, ['--version']);
  return { path, version: line.text };
}

export interface Trap {
  id: string;
  applies: boolean | null;
  note: string;
}

export async function traps(ctx: ProbeContext, best: PythonInterpreterOk | null, rustc: boolean): Promise<{ traps: Trap[]; piwheels: boolean }> {
  const pipConf = `${(await ctx.readText('/etc/pip.conf')) ?? ''}\n${(await ctx.readText(`${homedir()}/.config/pip/pip.conf`)) ?? ''}`;
  // Raspberry Pi OS's pip.conf names the piwheels index; any index URL mentioning it counts.
  const piwheels = /piwheels/i.test(pipConf);
  const machine = best?.machine ?? null;
  const arm32 = best !== null && best.bits === 32 && /^arm/.test(best.machine);
  return {
    piwheels,
    traps: [
      {
        id: 'armv6l-wheels',
        applies: machine === null ? null : machine === 'armv6l',
        note:
          'armv6l (Pi Zero / Zero W / Pi 1) has no manylinux wheels on PyPI (manylinux covers armv7l and aarch64), so every ' +
          'compiled dependency comes from piwheels (the Raspberry Pi community wheel index) or is built from source on the device' +
          (machine === 'armv6l'
            ? piwheels
              ? '; piwheels is configured in pip.conf'
              : '; piwheels is NOT configured in pip.conf: add the piwheels index as extra-index-url (Raspberry Pi OS ships it configured)'
            : ''),
      },
      {
        id: 'daphne-cryptography',
        applies: best === null ? null : arm32,
        note:
          'daphne depends on Twisted with TLS, which needs cryptography; PyPI has no cryptography wheels for 32-bit ARM, ' +
          'so it comes from piwheels or is built from source, which needs a Rust toolchain and several hundred MiB of RAM' +
          (arm32 ? (rustc ? ' (rustc is installed)' : ' (no rustc found)') : ''),
      },
    ],
  };
}
