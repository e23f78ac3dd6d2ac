// `npm run bench -- --only SECTIONS --update FILE`: the sections run replace their figures, the file's other
// figures stay, dated by the run that measured them; a file without a bench run is refused.
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { earlierRun, mergeFigures } from '../scripts/bench/earlier-run.js';
import type { Figure } from '../scripts/bench/figures.js';
import { execCommand, makeTempDir, removeTemp } from '../src/platform/process.js';
import { REPO_ROOT } from './helpers/cli.js';

const BENCH = join(REPO_ROOT, 'dist', 'scripts', 'bench.js');

const figure = (id: string, value: number): Figure => ({
  id,
  title: id,
  value,
  unit: 'ms',
  reference: 'made up',
  referenceValue: 100,
  ratio: value / 100,
  target: '—',
  met: null,
  note: '',
});

test('made-up figures: fresh ones replace their ids in place, the others keep their run, new ids go last', () => {
  const earlier = {
    startedAt: '2026-01-01T00:00:00.000Z',
    figures: [figure('a', 1), { ...figure('b', 2), measuredAt: '2025-12-01T00:00:00.000Z' }, figure('c', 3)],
  };
  const merged = mergeFigures(earlier, [figure('c', 30), figure('d', 40)], '2026-02-01T00:00:00.000Z');
  assert.deepEqual(
    merged.map((f) => [f.id, f.value, f.measuredAt]),
    [
      ['a', 1, '2026-01-01T00:00:00.000Z'],
      ['b', 2, '2025-12-01T00:00:00.000Z'],
      ['c', 30, '2026-02-01T00:00:00.000Z'],
      ['d', 40, '2026-02-01T00:00:00.000Z'],
    ],
  );
  assert.equal(earlierRun('no json here'), null);
  assert.equal(earlierRun('```json\n{"startedAt": 1}\n```'), null);
});

test('--only bundle --update on a copy of docs/bench.md re-measures the bundle and keeps every other figure', async () => {
  const dir = makeTempDir('bench-update');
  try {
    const file = join(dir, 'bench.md');
    copyFileSync(join(REPO_ROOT, 'docs', 'bench.md'), file);
    const before = earlierRun(readFileSync(file, 'utf8'));
    assert.ok(before, 'docs/bench.md holds a bench run');
    const result = await execCommand(process.execPath, [BENCH, '--only', 'bundle', '--update', file], { timeoutMs: 60_000 });
    assert.equal(result.code, 0, result.stderr);
    const after = earlierRun(readFileSync(file, 'utf8'));
    assert.ok(after);
    assert.deepEqual(
      after.figures.map((f) => f.id),
      before.figures.map((f) => f.id),
    );
    const bundle = after.figures.find((f) => f.title.startsWith('agent bundle'));
    assert.equal(bundle?.measuredAt, after.startedAt);
    const kept = after.figures.filter((f) => !f.title.startsWith('agent bundle'));
    assert.ok(kept.length > 10 && kept.every((f) => f.measuredAt === (before.figures.find((b) => b.id === f.id)?.measuredAt ?? before.startedAt)));
    assert.match(readFileSync(file, 'utf8'), /\| run \(UTC\)\s+\|/);

    writeFileSync(file, '# not a bench run\n');
    const refused = await execCommand(process.execPath, [BENCH, '--only', 'bundle', '--update', file], { timeoutMs: 60_000 });
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /holds no bench run to update/);
  } finally {
    removeTemp(dir);
  }
});
