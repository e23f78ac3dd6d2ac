// The python, supervision, stack and disk probes declare only catalogue metrics, and README documents each.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { diskProbe } from '../probes/disk.js';
import { pythonProbe } from '../probes/python.js';
import { stackProbe } from '../probes/stack.js';
import { supervisionProbe } from '../probes/supervision.js';
import { metricSpec } from '../src/report/metrics.js';
import { REPO_ROOT } from './helpers/cli.js';

test('every metric of the four probes is in the catalogue, in its own section, and in docs/metrics.md', () => {
  const readme = readFileSync(join(REPO_ROOT, 'docs', 'metrics.md'), 'utf8');
  for (const probe of [pythonProbe, supervisionProbe, stackProbe, diskProbe]) {
    for (const id of probe.metrics) {
      assert.ok(metricSpec(id), `${id} is in the metric catalogue (src/report/metrics.ts)`);
      assert.ok(id.startsWith(`${probe.id}.`), `${id} belongs to ${probe.id}`);
      assert.ok(readme.includes(`\`${id}\``), `${id} is documented in README.md`);
    }
  }
});
