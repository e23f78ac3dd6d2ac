// Files the code ships besides TypeScript: the Python helpers in probes/assets/, the POSIX-sh probe's parts and
// helpers in probes/posix-sh/ (read from a checkout only), and the profiles and spec sheets in targets/. From a
// checkout they are read from disk; the one-file agent carries them inside itself (scripts/build.mjs embeds every
// file under BUNDLED_DIRS).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BUNDLED_DIRS = ['probes/assets', 'targets'] as const;

declare const EDGEPROBE_BUNDLED_FILES: Record<string, string> | undefined;

function bundled(): Record<string, string> | null {
  return typeof EDGEPROBE_BUNDLED_FILES === 'object' && EDGEPROBE_BUNDLED_FILES !== null ? EDGEPROBE_BUNDLED_FILES : null;
}

/** The package root (the folder holding package.json), from dist/src/platform/package-files.js. */
export function packageRoot(): string {
  return fileURLToPath(new URL('../../../', import.meta.url));
}

/** Reads a shipped file by its path from the package root, e.g. "probes/assets/inspect_python.py". */
export function readPackageFile(relativePath: string): string {
  const files = bundled();
  if (files) {
    const content = files[relativePath];
    if (content === undefined) throw new Error(`${relativePath} is not bundled into the agent`);
    return content;
  }
  return readFileSync(join(packageRoot(), relativePath), 'utf8');
}

/** Lists shipped files directly inside a folder, e.g. "targets/profiles" -> ["django-wsgi.json", ...]. */
export function listPackageFiles(relativeDir: string): string[] {
  const files = bundled();
  const prefix = `${relativeDir.replace(/\/$/, '')}/`;
  if (files) {
    return Object.keys(files)
      .filter((path) => path.startsWith(prefix) && !path.slice(prefix.length).includes('/'))
      .map((path) => path.slice(prefix.length))
      .sort();
  }
  try {
    return readdirSync(join(packageRoot(), relativeDir), { withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => entry.name)
      .sort();
  } catch {
    return [];
  }
}
