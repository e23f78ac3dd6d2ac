// Runs the compiled node:test suites under a folder (default: test/, without test/reliability),
// one file at a time so that suites which start servers or load the CPU do not disturb each other.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const folder = process.argv[2] ?? 'test';
const base = join(root, 'dist', folder);
// test/reliability and test/boards are suites of their own (npm run test:reliability, npm run test:boards).
const skipFolders = folder === 'test' ? new Set(['reliability', 'boards', 'fixtures'].map((name) => join(root, 'dist', 'test', name))) : new Set();

function find(dir) {
  if (!existsSync(dir) || skipFolders.has(dir)) return [];
  return readdirSync(dir)
    .sort()
    .flatMap((entry) => {
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
// The reliability suites record their figures (test/helpers/figures.ts) for one summary at the end.
const figuresDir = mkdtempSync(join(tmpdir(), 'edgeprobe-figures-'));
const figuresFile = join(figuresDir, 'figures.jsonl');
const env = { ...process.env, EDGEPROBE_RELIABILITY_FIGURES: figuresFile };
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...selected], { stdio: 'inherit', cwd: root, env });
let status = result.status ?? 1;
if (existsSync(figuresFile)) {
  const rows = readFileSync(figuresFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
  const keys = [
    ['trials', 'trials run', false],
    ['faultsInjected', 'faults injected', false],
    ['bodiesSent', 'bodies sent', false],
    ['fiveHundreds', '5xx seen', true],
    ['reportsLost', 'reports lost', true],
    ['leftovers', 'leftovers found', true],
  ];
  const suites = [...new Set(rows.map((r) => r.suite))];
  const total = (suite, key) => rows.filter((r) => suite === null || r.suite === suite).reduce((sum, r) => sum + (r[key] ?? 0), 0);
  const width = Math.max(10, ...suites.map((s) => s.length));
  console.log('\nreliability summary');
  console.log(['suite'.padEnd(width), ...keys.map(([, label]) => label.padStart(16))].join(' '));
  for (const suite of suites) console.log([suite.padEnd(width), ...keys.map(([key]) => String(total(suite, key)).padStart(16))].join(' '));
  console.log(['total'.padEnd(width), ...keys.map(([key]) => String(total(null, key)).padStart(16))].join(' '));
  const broken = keys.filter(([key, , mustBeZero]) => mustBeZero && total(null, key) !== 0);
  if (broken.length > 0) {
    console.log(`reliability: ${broken.map(([, label]) => label).join(', ')} must be zero`);
    status = 1;
  }
}
rmSync(figuresDir, { recursive: true, force: true });
process.exit(status);
