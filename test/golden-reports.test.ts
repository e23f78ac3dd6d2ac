// Golden reports: every recorded device tree, probed through the real CLI, must give exactly the committed
// report and verdict (durations, the report's id and time, and the checkout's path masked). A change that moves code must not move a
// single metric; a change that means to alter a figure regenerates the goldens and says why in its commit:
//   EDGEPROBE_UPDATE_GOLDENS=1 EDGEPROBE_TEST_FILTER=golden npm test

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fixtureRoot, REPO_ROOT, runCli } from './helpers/cli.js';

const GOLDEN_DIR = join(REPO_ROOT, 'test', 'fixtures', 'golden');
const TREES = readdirSync(join(REPO_ROOT, 'test', 'fixtures', 'devices')).sort();
const UPDATE = process.env['EDGEPROBE_UPDATE_GOLDENS'] === '1';

/** Replaces what differs between two runs of the same tree: ids, clocks, durations, the checkout's path, versions. */
function maskVolatile(value: unknown, root: string): unknown {
  if (typeof value === 'string') return value.split(root).join('<root>');
  if (Array.isArray(value)) return value.map((item) => maskVolatile(item, root));
  if (value === null || typeof value !== 'object') return value;
  const masked: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    masked[key] = VOLATILE_KEYS.has(key) && typeof item !== 'object' ? '<masked>' : maskVolatile(item, root);
  }
  return masked;
}

const VOLATILE_KEYS = new Set(['durationMs']);

function maskReport(report: Record<string, unknown>, root: string): unknown {
  const masked = maskVolatile(report, root) as Record<string, unknown>;
  masked['id'] = '<masked>';
  masked['createdAt'] = '<masked>';
  const verdict = masked['verdict'] as { subject?: Record<string, unknown> } | undefined;
  if (verdict?.subject && 'id' in verdict.subject) verdict.subject['id'] = '<masked>';
  masked['agent'] = { ...(masked['agent'] as object), version: '<masked>', node: '<masked>' };
  return masked;
}

for (const tree of TREES) {
  test(`golden report: ${tree}`, async () => {
    const root = fixtureRoot(tree);
    const result = await runCli(['run', '--root', root, '--format', 'json']);
    assert.ok([0, 1, 3].includes(result.code ?? -1), `run exits with a verdict code, got ${result.code}: ${result.stderr}`);
    const actual = maskReport(JSON.parse(result.stdout) as Record<string, unknown>, root);
    const goldenFile = join(GOLDEN_DIR, `${tree}.json`);
    if (UPDATE) writeFileSync(goldenFile, `${JSON.stringify(actual, null, 2)}\n`);
    assert.ok(existsSync(goldenFile), `${goldenFile} exists (EDGEPROBE_UPDATE_GOLDENS=1 writes it)`);
    assert.deepEqual(actual, JSON.parse(readFileSync(goldenFile, 'utf8')));
  });
}
