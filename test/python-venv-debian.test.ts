// Debian splits venv/ensurepip out of python3 into python3-venv (python3.X-venv). This suite really removes
// those packages, checks that the python probe says venv is unusable and why, reinstalls them, and checks
// that it is usable again. The packages are reinstalled from .debs rebuilt from the installed files
// (dpkg-repack), kept in /var/cache/edgeprobe-test-debs, so this works offline and restores exactly the
// version that was installed, even when the archive has moved on; an interrupted run is repaired by the next.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { type PythonInterpreterDetail, pythonProbe } from '../probes/python.js';
import { executable, skipWithout } from './helpers/env.js';
import { runProbe } from './helpers/probe-run.js';

const PYTHON = '/usr/bin/python3';
const SAVED = '/var/cache/edgeprobe-test-debs';
const APT_ENV = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
// Waits for another apt/dpkg run instead of failing. (No --no-download: with local .deb files it makes apt
// fail with "Pathname to install is not absolute"; nothing is downloaded anyway, every dependency is installed.)
const LOCK = ['-o', 'DPkg::Lock::Timeout=300'];

function installedVersion(pkg: string): string | null {
  const r = spawnSync('dpkg-query', ['-W', '-f', '${Status}|${Version}', pkg], { encoding: 'utf8' });
  const [status, version] = r.stdout.split('|');
  return r.status === 0 && status === 'install ok installed' && version ? version : null;
}

/** A saved .deb of the package (at this version, or any when null). Flat folder: apt mishandles some folder names (e.g. with "+"). */
function savedDeb(pkg: string, version: string | null): string | null {
  let files: string[] = [];
  try {
    files = readdirSync(SAVED);
  } catch {
    return null;
  }
  const prefix = version === null ? `${pkg}_` : `${pkg}_${version.replace(/^\d+:/, '')}_`;
  const deb = files
    .filter((f) => f.startsWith(prefix) && f.endsWith('.deb'))
    .sort()
    .pop();
  return deb ? join(SAVED, deb) : null;
}

function run(file: string, args: string[]): string {
  const r = spawnSync(file, args, { encoding: 'utf8', env: APT_ENV, timeout: 300_000 });
  assert.equal(r.status, 0, `${file} ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
  return r.stdout;
}

function reinstall(debs: string[]): void {
  const missing = debs.filter((deb) => installedVersion((deb.split('/').pop() ?? '').split('_')[0] ?? '') === null);
  if (missing.length > 0) spawnSync('apt-get', ['install', '-y', '-qq', ...LOCK, ...debs], { env: APT_ENV, stdio: 'ignore', timeout: 300_000 });
}

function venvEntry(details: Record<string, unknown>): Extract<PythonInterpreterDetail, { ok: true }> {
  const entry = (details['interpreters'] as PythonInterpreterDetail[]).find((i) => i.path === PYTHON);
  assert.ok(entry?.ok, `${PYTHON} inspected`);
  return entry;
}

test("Debian's python3 with python3-venv removed: venv unusable with the apt advice; reinstalled: usable again", { timeout: 600_000 }, async (t) => {
  const isDebian = executable('/usr/bin/dpkg-query') && executable(PYTHON);
  if (skipWithout(t, isDebian, 'Debian python3', 'a Debian system')) return;
  const minor = spawnSync(PYTHON, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], { encoding: 'utf8' }).stdout.trim();
  const packages = ['python3-venv', `python${minor}-venv`];
  const tools = process.getuid?.() === 0 && executable('/usr/bin/dpkg-repack') && executable('/usr/bin/apt-get');
  if (skipWithout(t, tools, 'root with dpkg-repack and apt-get', 'run as root; scripts/install-test-deps.sh installs dpkg-repack')) return;

  // Repair what an interrupted earlier run may have left: packages removed but saved.
  reinstall(packages.map((p) => savedDeb(p, null)).filter((d): d is string => d !== null));
  const versions = packages.map(installedVersion);
  if (
    skipWithout(
      t,
      versions.every((v) => v !== null),
      packages.join(' and '),
      'apt install python3-venv',
    )
  )
    return;

  const debs = packages.map((pkg, i) => {
    const version = versions[i] as string;
    const existing = savedDeb(pkg, version);
    if (existing) return existing;
    mkdirSync(SAVED, { recursive: true });
    const r = spawnSync('dpkg-repack', [pkg], { cwd: SAVED, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, `dpkg-repack ${pkg}: ${r.stderr}`);
    const built = savedDeb(pkg, version);
    assert.ok(built, `dpkg-repack wrote a .deb for ${pkg} ${version}`);
    return built;
  });

  const restore = (): void => reinstall(debs);
  process.once('exit', restore);
  process.once('SIGINT', () => {
    restore();
    process.exit(130);
  });
  process.once('SIGTERM', () => {
    restore();
    process.exit(143);
  });
  try {
    run('apt-get', ['remove', '-y', '-qq', ...LOCK, ...packages]);
    for (const pkg of packages) assert.equal(installedVersion(pkg), null, `${pkg} is really removed`);
    const absent = await runProbe(pythonProbe, { python: PYTHON, pythonOnly: true });
    const without = venvEntry(absent.envelope.details);
    assert.equal(without.venv.available, false);
    assert.match(without.venv.reason ?? '', new RegExp(`ensurepip is missing.*apt install python${minor.replace('.', '\\.')}-venv`));
    assert.equal(absent.envelope.metrics['python.venv_available'], false);
    assert.match(String(absent.envelope.details['venvWarning']), /ensurepip is missing/);
    // The interpreter itself agrees: creating a venv fails.
    const direct = spawnSync(PYTHON, ['-c', 'import ensurepip'], { encoding: 'utf8' });
    assert.notEqual(direct.status, 0);
  } finally {
    run('apt-get', ['install', '-y', '-qq', ...LOCK, ...debs]);
  }
  packages.forEach((pkg, i) => {
    assert.equal(installedVersion(pkg), versions[i], `${pkg} is back at the same version`);
  });
  const present = await runProbe(pythonProbe, { python: PYTHON, pythonOnly: true });
  const withVenv = venvEntry(present.envelope.details);
  assert.equal(withVenv.venv.available, true, withVenv.venv.reason ?? '');
  assert.equal(present.envelope.metrics['python.venv_available'], true);
});
