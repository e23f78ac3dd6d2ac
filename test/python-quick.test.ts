// The python probe under --quick: every interpreter says what it is and which packages it has, and only
// those that can rank best are inspected in full; the metrics are the ones a full inspection of all gives.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { type PythonInterpreterDetail, type PythonInterpreterOk, pythonProbe } from '../probes/python.js';
import { executable, skipWithout } from './helpers/env.js';
import { runProbe } from './helpers/probe-run.js';

const DEBIAN_PYTHON = '/usr/bin/python3';

function interpreters(details: Record<string, unknown>): PythonInterpreterOk[] {
  return (details['interpreters'] as PythonInterpreterDetail[]).filter((i): i is PythonInterpreterOk => i.ok);
}

test('--quick reports the same python metrics as inspecting every interpreter in full, and says which were not asked', async (t) => {
  const debianStack =
    executable(DEBIAN_PYTHON) && spawnSync(DEBIAN_PYTHON, ['-c', 'import django, channels, daphne, venv, ensurepip'], { timeout: 20_000 }).status === 0;
  if (skipWithout(t, debianStack, 'Debian python3 with python3-venv and python3-django-channels, python3-daphne', 'scripts/install-test-deps.sh')) return;
  const dir = mkdtempSync(join(tmpdir(), 'edgeprobe-test-quick-python-'));
  try {
    // A second interpreter that cannot rank best: a virtualenv without pip, which sees none of Debian's Django.
    const made = spawnSync(DEBIAN_PYTHON, ['-m', 'venv', '--without-pip', join(dir, 'venv')], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(made.status, 0, made.stderr);
    const venvPython = join(dir, 'venv', 'bin', 'python3');
    const quick = await runProbe(pythonProbe, { python: venvPython, quick: true });
    const full = await runProbe(pythonProbe, { python: venvPython, quick: false });
    assert.equal(quick.envelope.status, 'ok', quick.envelope.error?.message);
    assert.deepEqual(quick.envelope.metrics, full.envelope.metrics);
    assert.equal(quick.envelope.metrics['python.path'], DEBIAN_PYTHON, 'the interpreter with Django, Channels and daphne ranks best');

    const listed = interpreters(quick.envelope.details);
    assert.equal(listed[0]?.path, DEBIAN_PYTHON);
    assert.equal(listed[0]?.inspection, 'full');
    const venv = listed.find((i) => i.path === venvPython);
    assert.equal(venv?.inspection, 'identity', 'the virtualenv cannot outrank it: asked only its identity');
    assert.equal(venv.inVirtualenv, true);
    assert.equal(venv.packages.django, null);
    // What an identity-only inspection did not ask is shown as not inspected, never as missing.
    for (const entry of listed.filter((i) => i.inspection === 'identity')) {
      assert.equal(entry.venv.available, null);
      assert.equal(entry.ssl.available, null);
      assert.equal(entry.missingModules, null);
      assert.match(entry.venv.reason ?? '', /not inspected: --quick/);
    }
    assert.match(String(quick.envelope.details['inspectionNote']), /were asked only what they are/);
    // Without --quick every interpreter is inspected in full.
    assert.ok(interpreters(full.envelope.details).every((i) => i.inspection === 'full'));
    assert.equal(full.envelope.details['inspectionNote'], undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--quick with two CPUs or more starts the first interpreter it asks once, in full, and keeps the metrics of a full inspection', async (t) => {
  if (!executable(DEBIAN_PYTHON)) {
    t.skip(`no ${DEBIAN_PYTHON}`);
    return;
  }
  if (availableParallelism() < 2) {
    t.skip('one CPU: --quick makes no early full inspection there');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'edgeprobe-test-quick-first-'));
  try {
    // The interpreter named with --python is asked first: a wrapper that logs each start, then runs Debian's.
    const log = join(dir, 'starts.log');
    const wrapper = join(dir, 'python3');
    writeFileSync(wrapper, `#!/bin/sh\necho "$*" >> '${log}'\nexec ${DEBIAN_PYTHON} "$@"\n`, { mode: 0o755 });
    const quick = await runProbe(pythonProbe, { python: wrapper, quick: true });
    const full = await runProbe(pythonProbe, { python: wrapper, quick: false });
    assert.equal(quick.envelope.status, 'ok', quick.envelope.error?.message);
    assert.deepEqual(quick.envelope.metrics, full.envelope.metrics);
    const starts = readFileSync(log, 'utf8').trim().split('\n');
    // One start for the quick run (in full, no --identity), one for the full run.
    assert.deepEqual(starts, ['-E -B -', '-E -B -']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
