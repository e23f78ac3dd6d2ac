// Runs the compiled node:test suites under a folder (default: test/, without test/reliability),
// one file at a time so that suites which start servers or load the CPU do not disturb each other.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const folder = process.argv[2] ?? 'test';
const base = join(root, 'dist', folder);
const skipFolders = folder === 'test' ? new Set([join(root, 'dist', 'test', 'reliability'), join(root, 'dist', 'test', 'fixtures')]) : new Set();

function find(dir) {
  if (!existsSync(dir) || skipFolders.has(dir)) return [];
  return readdirSync(dir).sort().flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return find(path);
    return entry.endsWith('.test.js') ? [path] : [];
  });
}

const files = find(base);
const filter = process.env.EDGEPROBE_TEST_FILTER;
const selected = filter ? files.filter((f) => relative(base, f).includes(filter)) : files;
if (selected.length === 0) {
  process.stderr.write(`run-tests: no test files under dist/${folder}\n`);
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...selected], { stdio: 'inherit', cwd: root });
process.exit(result.status ?? 1);
