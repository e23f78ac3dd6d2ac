// docs/metrics.md and docs/profiles.md are generated from the catalogue, the profiles and the spec sheets
// (scripts/generate-docs.ts). A change to any of those without `npm run docs` fails here, naming the first
// line that differs. The generator itself is held to cover every probe metric, check and spec sheet.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ALL_PROBES } from '../probes/index.js';
import { generatedDocs, METRICS_DOC, metricsDoc, PROFILES_DOC, profilesDoc } from '../scripts/generate-docs.js';
import { loadAllProfiles } from '../src/judge/profiles.js';
import { listHardware } from '../src/judge/spec-sheets.js';
import { METRIC_CATALOGUE } from '../src/report/metrics.js';
import { REPO_ROOT } from './helpers/cli.js';

function firstDifference(committed: string, generated: string): string {
  const a = committed.split('\n');
  const b = generated.split('\n');
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return `line ${i + 1}:\n  committed: ${a[i] ?? '(end of file)'}\n  generated: ${b[i] ?? '(end of file)'}`;
  }
  return 'no line differs';
}

for (const doc of generatedDocs()) {
  test(`${doc.path} is what npm run docs generates now`, () => {
    let committed: string;
    try {
      committed = readFileSync(join(REPO_ROOT, doc.path), 'utf8');
    } catch {
      assert.fail(`${doc.path} is missing: run npm run docs and commit it`);
    }
    if (committed !== doc.text)
      assert.fail(`${doc.path} is stale: run npm run docs and commit it. First difference at ${firstDifference(committed, doc.text)}`);
  });
}

/** The rows of the table sections (`## id` up to the next `## `) of a generated document. */
function section(text: string, heading: string): string {
  const start = text.indexOf(`\n## ${heading}\n`);
  if (start < 0) return '';
  const end = text.indexOf('\n## ', start + 1);
  return text.slice(start, end < 0 ? undefined : end);
}

test(`${METRICS_DOC} lists every catalogue metric once, each under the probe that owns it`, () => {
  const text = metricsDoc();
  for (const spec of METRIC_CATALOGUE) {
    assert.equal(text.split(`| \`${spec.id}\` |`).length - 1, 1, `${spec.id} appears once in a table row`);
  }
  for (const probe of ALL_PROBES) {
    const rows = section(text, probe.id);
    for (const id of probe.metrics) assert.ok(rows.includes(`| \`${id}\` |`), `${id} is under ## ${probe.id}`);
  }
});

test(`${METRICS_DOC} says which metrics profiles judge and which spec sheets state`, () => {
  const rowOf = (id: string): string =>
    metricsDoc()
      .split('\n')
      .find((line) => line.startsWith(`| \`${id}\` |`)) ?? '';
  // memory.effective_total_bytes: judged by every built-in profile (memory.total) and stated by spec sheets.
  assert.match(rowOf('memory.effective_total_bytes'), /\| every profile \| yes \|/);
  // host.os: no profile judges it, no spec sheet states it.
  assert.match(rowOf('host.os'), /\| no \(a fact for people\) \| no \|/);
  // stack.redis_version: judged only by the Redis profiles.
  assert.match(rowOf('stack.redis_version'), /\| `django-channels-redis`, `live-stream` \| no \|/);
});

test(`${PROFILES_DOC} has a section per profile with every check it defines, and every spec sheet's verdicts`, () => {
  const text = profilesDoc();
  for (const profile of loadAllProfiles()) {
    const heading = text.split('\n').find((line) => line.startsWith(`## \`${profile.name}\``));
    assert.ok(heading, `## \`${profile.name}\` heading`);
    const rows = section(text, heading.slice(3));
    for (const check of profile.checks) {
      const own = check.definedIn === profile.file;
      if (own) assert.ok(rows.includes(`| \`${check.id}\` | \`${check.metric}\` |`), `${profile.name}: its check ${check.id} in its table`);
      else
        assert.match(
          rows,
          new RegExp(`Inherited unchanged from [^\\n]*\`${check.id.replace(/\./g, '\\.')}\``),
          `${profile.name}: inherited ${check.id} listed`,
        );
    }
    for (const source of [profile.capacity.workerMemorySource, profile.capacity.workersSource])
      assert.ok(rows.includes(source), `${profile.name}: capacity source quoted`);
  }
  const verdicts = section(text, 'Spec-sheet verdicts');
  for (const entry of listHardware()) assert.ok(verdicts.includes(`| \`${entry.id}\` |`), `hardware ${entry.id}`);
  // Recorded elsewhere too (the judge's own tests): a Pico runs no Linux, so it is never viable.
  assert.match(verdicts, /\| `pico` \|[^\n]*\| \*\*not viable\*\* \| \*\*not viable\*\* \| \*\*not viable\*\* \| \*\*not viable\*\* \|\n/);
});
