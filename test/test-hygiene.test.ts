// Tests never pass by returning early. A test body that returns because a component is missing has run no
// assertion and is reported as passed; node:test's skip (the `skip` option, or t.skip(reason) before returning,
// which test/helpers/env.ts skipWithout does) reports it as skipped with its reason, and in CI a missing
// component throws. This reads every test file and finds the early returns that skip nothing.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from './helpers/cli.js';

const TEST_DIR = join(REPO_ROOT, 'test');

function testFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'fixtures' || name === 'helpers') return [];
    if (statSync(path).isDirectory()) return testFiles(path);
    // This file holds the forbidden patterns as examples for its own check.
    return name.endsWith('.test.ts') && name !== 'test-hygiene.test.ts' ? [path] : [];
  });
}

/** The hook or test a line belongs to: the nearest test, hook or describe call above it. */
function enclosingCall(lines: readonly string[], index: number): string | null {
  for (let i = index; i >= 0; i--) {
    const match = /^\s*(test|it|before|after|beforeEach|afterEach|describe)\(/.exec(lines[i] ?? '');
    if (match?.[1]) return match[1];
  }
  return null;
}

/** Problems in one test file's text: early returns on a missing component that do not skip. */
function earlyReturns(text: string): string[] {
  const lines = text.split('\n');
  const problems: string[] = [];
  // Names bound to requireComponent(...) or another helper's skip reason at the top of the file.
  const skipNames = new Set<string>();
  for (const line of lines) {
    const bound = /^\s*const (\w+) = (requireComponent|requireCgroupV1|chromiumSkip)\(/.exec(line);
    if (bound?.[1]) skipNames.add(bound[1]);
  }
  lines.forEach((line, i) => {
    const where = `line ${i + 1}: ${line.trim()}`;
    if (/if \(\s*!?\s*requireComponent\(/.test(line)) problems.push(`${where} (returns on requireComponent: use skipWithout(t, ...) or the skip option)`);
    const returned = /if \(\s*(\w+)\s*\)\s*return\b/.exec(line)?.[1];
    if (returned && skipNames.has(returned)) {
      const call = enclosingCall(lines, i);
      if (call === 'test' || call === 'it') problems.push(`${where} (a test body returns early on "${returned}": pass it as the test's skip option)`);
    }
  });
  return problems;
}

/**
 * Tests judging made-up figures (HEALTHY_SOFTWARE, test/helpers/reports.ts), directly or through a function of
 * their file, must say so in their names: a passing verdict on invented figures proves the rules, not a board.
 */
function madeUpUnsaid(text: string): string[] {
  const lines = text.split('\n');
  const users = new Set(['HEALTHY_SOFTWARE']);
  let current: string | null = null;
  for (const line of lines) {
    const fn = /^(?:export )?(?:async )?function (\w+)\(/.exec(line);
    if (fn?.[1]) current = fn[1];
    else if (current && line.includes('HEALTHY_SOFTWARE')) users.add(current);
    if (line.startsWith('}')) current = null;
  }
  const starts = lines.flatMap((line, i) => (/^test\(/.test(line) ? [i] : []));
  return starts.flatMap((start, k) => {
    const block = lines.slice(start, starts[k + 1] ?? lines.length).join('\n');
    const name = /^test\((['"`])(.*?)\1/.exec(lines[start] ?? '')?.[2] ?? '';
    const uses = [...users].some((u) => new RegExp(`\\b${u}\\b`).test(block));
    return uses && !/made-up/.test(name) ? [`line ${start + 1}: "${name}" judges made-up figures without saying so`] : [];
  });
}

test('tests that judge made-up figures say so in their names', () => {
  const files = testFiles(TEST_DIR);
  const problems = files.flatMap((file) => madeUpUnsaid(readFileSync(file, 'utf8')).map((p) => `${relative(REPO_ROOT, file)} ${p}`));
  assert.deepEqual(problems, []);
  const example = "async function scenario() {\n  return withMetrics(r, HEALTHY_SOFTWARE);\n}\ntest('viable', async () => {\n  await scenario();\n});\n";
  assert.equal(madeUpUnsaid(example).length, 1, "found through the file's own function");
  assert.deepEqual(madeUpUnsaid(example.replace("'viable'", "'viable (made-up figures)'")), []);
});

test('no test returns early because a component is missing: each skips through node:test with its reason', () => {
  const files = testFiles(TEST_DIR);
  assert.ok(files.length >= 40, `found the test files (${files.length})`);
  const problems = files.flatMap((file) => earlyReturns(readFileSync(file, 'utf8')).map((p) => `${relative(REPO_ROOT, file)} ${p}`));
  assert.deepEqual(problems, []);
});

test('the check itself finds the patterns it forbids, and lets the allowed ones be', () => {
  const samples = join(TEST_DIR, 'fixtures', 'test-hygiene');
  const read = (prefix: string): string[] =>
    readdirSync(samples)
      .filter((name) => name.startsWith(prefix))
      // The flagged samples write their early return as @RETURN@, so that no file of the project holds one.
      .map((name) => readFileSync(join(samples, name), 'utf8').replaceAll('@RETURN@', 'return'));
  const bad = read('early-return-');
  assert.equal(bad.length, 2, 'the flagged samples');
  for (const text of bad) assert.equal(earlyReturns(text).length, 1, text);
  const good = read('allowed-');
  assert.equal(good.length, 2, 'the allowed samples');
  for (const text of good) assert.deepEqual(earlyReturns(text), [], text);
});
