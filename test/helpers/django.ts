// Helpers of the django probe's suites: Debian's Django with gunicorn, uvicorn and daphne, and virtualenvs
// that lack some of them (a real interpreter with a real, partial set of packages).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Debian's interpreter, with python3-django, gunicorn, python3-uvicorn and python3-daphne. */
export const DEBIAN_PYTHON = '/usr/bin/python3';
export const DIST_PACKAGES = '/usr/lib/python3/dist-packages';
export const INSTALL_HINT = 'run scripts/install-test-deps.sh';

export function djangoServersPresent(): boolean {
  return existsSync(DEBIAN_PYTHON) && ['django', 'gunicorn', 'uvicorn', 'daphne'].every((name) => existsSync(join(DIST_PACKAGES, name)));
}

export interface Venv {
  python: string;
  remove(): void;
}

/**
 * A virtualenv of Debian's Python that sees only the named packages of Debian's dist-packages (linked into a
 * folder of its own and put on its path with a .pth file): Django without any server, or nothing at all.
 */
export function venvWith(packages: readonly string[]): Venv {
  const dir = mkdtempSync(join(tmpdir(), 'edgeprobe-test-venv-'));
  const made = spawnSync(DEBIAN_PYTHON, ['-m', 'venv', '--without-pip', join(dir, 'venv')], { encoding: 'utf8', timeout: 60_000 });
  if (made.status !== 0) throw new Error(`python3 -m venv failed: ${made.stderr}`);
  const site = join(dir, 'site');
  mkdirSync(site);
  for (const name of packages) symlinkSync(join(DIST_PACKAGES, name), join(site, name));
  const lib = join(dir, 'venv', 'lib');
  const pythonDir = readdirSync(lib).find((entry) => entry.startsWith('python3')) ?? 'python3';
  writeFileSync(join(lib, pythonDir, 'site-packages', 'edgeprobe-test.pth'), `${site}\n`);
  return { python: join(dir, 'venv', 'bin', 'python3'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}
