// The python probe against real interpreters: the machine's python3, Debian's /usr/bin/python3 with
// Debian's Django/Channels/daphne, and fake interpreters that hang or print garbage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pythonProbe, type PythonInterpreterDetail, type PythonInterpreterOk } from '../probes/python.js';
import { maxDjangoFor } from '../src/facts/django-support.js';
import { AGENT_BUNDLE, jsonOf, runCli, runScript } from './helpers/cli.js';
import { executable, skipWithout } from './helpers/env.js';
import { processesMentioning, runProbe, unmeasured } from './helpers/probe-run.js';
import { assertExitFromVerdict } from './helpers/verdict-exit.js';

const DEBIAN_PYTHON = '/usr/bin/python3';

function pythonSays(python: string, code: string): string {
  const r = spawnSync(python, ['-c', code], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, `${python} -c ${code}: ${r.stderr}`);
  return r.stdout.trim();
}

function interpreters(details: Record<string, unknown>): PythonInterpreterDetail[] {
  return details['interpreters'] as PythonInterpreterDetail[];
}

function entryFor(details: Record<string, unknown>, path: string): PythonInterpreterDetail | undefined {
  return interpreters(details).find((i) => i.path === path || i.aliases.includes(path));
}

function fakeInterpreter(dir: string, name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

test('the machine\'s python3 is found and inspected; its version and bitness are what it says itself', async (t) => {
  const onPath = spawnSync('sh', ['-c', 'command -v python3'], { encoding: 'utf8' }).stdout.trim();
  if (skipWithout(t, onPath !== '', 'python3', 'apt install python3')) return;
  // A full run: --quick asks in full only the interpreters that can rank best (test/python-quick.test.ts).
  const { envelope } = await runProbe(pythonProbe, { quick: false });
  assert.equal(envelope.status, 'ok', envelope.error?.message);
  assert.equal(envelope.metrics['python.found'], true);
  const entry = entryFor(envelope.details, onPath);
  assert.ok(entry, `python3 on PATH (${onPath}) is among the interpreters: ${JSON.stringify(interpreters(envelope.details).map((i) => [i.path, i.aliases]))}`);
  assert.ok(entry.ok, `inspected: ${entry.ok ? '' : entry.error}`);
  const ok = entry as PythonInterpreterOk;
  assert.equal(ok.version, pythonSays(onPath, 'import platform; print(platform.python_version())'));
  assert.equal(ok.bits, Number(pythonSays(onPath, 'import struct; print(struct.calcsize("P") * 8)')));
  assert.equal(ok.maxDjango, maxDjangoFor(ok.version).series);
  assert.equal(ok.ssl.available, pythonSays(onPath, 'import importlib.util as u; print(u.find_spec("ssl") is not None)') === 'True');
  // Every interpreter appears once, whatever the number of names it has (python3, python3.11, shims).
  const executables = interpreters(envelope.details).filter((i): i is PythonInterpreterOk => i.ok).map((i) => realpathSync(i.executable));
  assert.equal(new Set(executables).size, executables.length, `no interpreter twice: ${executables.join(', ')}`);
  assert.equal(envelope.metrics['python.interpreter_count'], executables.length);
  // The best one is reported as the metrics, and listed first.
  assert.equal(envelope.metrics['python.path'], interpreters(envelope.details)[0]?.path);
  assert.equal(envelope.details['best'], envelope.metrics['python.path']);
});

test('Debian\'s /usr/bin/python3 reports Debian\'s Django, Channels, daphne and uvicorn, and is the best interpreter for Channels', async (t) => {
  // Debian's python3-daphne ships the module; the /usr/bin/daphne script is in a separate package.
  const debianStack = executable(DEBIAN_PYTHON)
    && spawnSync(DEBIAN_PYTHON, ['-c', 'import django, channels, daphne, uvicorn, channels_redis'], { timeout: 20_000 }).status === 0;
  if (skipWithout(t, debianStack, 'Debian python3 with python3-django-channels, python3-daphne, python3-uvicorn and python3-channels-redis', 'scripts/install-test-deps.sh')) return;
  const { envelope } = await runProbe(pythonProbe, { python: DEBIAN_PYTHON });
  const entry = entryFor(envelope.details, DEBIAN_PYTHON) as PythonInterpreterOk | undefined;
  assert.ok(entry?.ok, 'Debian python inspected');
  const version = (code: string): string => pythonSays(DEBIAN_PYTHON, `import importlib.metadata as m; print(m.version(${JSON.stringify(code)}))`);
  assert.equal(entry.packages.django, version('django'));
  assert.equal(entry.packages.channels, version('channels'));
  assert.equal(entry.packages.daphne, version('daphne'));
  assert.equal(entry.packages.uvicorn, version('uvicorn'));
  assert.equal(entry.packages.channels_redis, version('channels_redis'));
  assert.equal(entry.asgiServer, 'daphne');
  assert.equal(entry.sqliteVersion, pythonSays(DEBIAN_PYTHON, 'import sqlite3; print(sqlite3.sqlite_version)'));
  const headerPath = pythonSays(DEBIAN_PYTHON, 'import os, sysconfig; p = os.path.join(sysconfig.get_paths()["include"], "Python.h"); print(p if os.path.isfile(p) else "")');
  assert.equal(entry.headers.available, headerPath !== '');
  if (headerPath) assert.equal(entry.headers.path, headerPath);
  // The one interpreter with Django + Channels + an ASGI server installed (and venv, as the test deps install it) ranks first.
  assert.equal(entry.venv.available, true, `venv: ${entry.venv.reason ?? ''}`);
  assert.equal(envelope.metrics['python.path'], entry.path);
  assert.equal(envelope.metrics['python.django_version'], entry.packages.django);
  assert.equal(envelope.metrics['python.channels_version'], entry.packages.channels);
  assert.equal(envelope.metrics['python.daphne_version'], entry.packages.daphne);
  assert.equal(envelope.metrics['python.asgi_server'], 'daphne');
  const compiler = spawnSync('sh', ['-c', 'command -v cc || command -v gcc || command -v clang'], { encoding: 'utf8' }).stdout.trim();
  assert.equal(envelope.metrics['python.compiler_available'], compiler !== '');
  assert.equal(envelope.metrics['python.build_tools_available'], compiler !== '' && headerPath !== '');
});

test('a hanging interpreter and a garbage-printing one give null with a reason, within the per-interpreter timeout, and leave no process', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgeprobe-test-fakepython-'));
  try {
    const hang = fakeInterpreter(dir, 'python3-hangs', 'while :; do sleep 1; done');
    const garbage = fakeInterpreter(dir, 'python3-garbage', "echo 'Python 3.11.2 (main) [GCC]'; printf '\\001\\002 {\"version\": 3'; exit 0");
    const crashes = fakeInterpreter(dir, 'python3-crashes', "echo 'Segmentation fault' >&2; exit 139");

    const started = Date.now();
    const hung = await runProbe(pythonProbe, { python: hang, pythonOnly: true, pythonTimeout: 1 });
    assert.ok(Date.now() - started < 10_000, 'the run did not wait for the hanging interpreter');
    assert.equal(hung.envelope.status, 'ok');
    assert.equal(hung.envelope.metrics['python.found'], false);
    assert.equal(hung.envelope.metrics['python.version'], null);
    assert.match(unmeasured(hung.envelope, 'python.version') ?? '', /python3-hangs: did not finish the inspection within 1\.0 s and was killed/);
    assert.deepEqual(processesMentioning(hang), [], 'the hanging interpreter was killed with its children');

    const bad = await runProbe(pythonProbe, { python: garbage, pythonOnly: true, pythonTimeout: 5 });
    assert.equal(bad.envelope.metrics['python.found'], false);
    assert.equal(bad.envelope.metrics['python.path'], null);
    assert.match(unmeasured(bad.envelope, 'python.path') ?? '', /python3-garbage: printed no inspection report \(got "Python 3\.11\.2 \(main\) \[GCC\]/);

    const crashed = await runProbe(pythonProbe, { python: crashes, pythonOnly: true, pythonTimeout: 5 });
    assert.match(unmeasured(crashed.envelope, 'python.version') ?? '', /printed nothing \(exit 139: Segmentation fault\)/);

    // Through the real CLI, beside the real interpreters: the broken ones are listed, the run finishes, a real one is best.
    const cli = await runCli(['run', '--only', 'python', '--python', hang, '--python-timeout', '1', '--format', 'json'], { timeoutMs: 60_000 });
    assertExitFromVerdict(cli, jsonOf(cli));  // run exits with its verdict's code
    const report = jsonOf(cli) as { metrics: Record<string, unknown>; probes: Array<{ id: string; details: Record<string, unknown> }> };
    const details = report.probes.find((p) => p.id === 'python')?.details ?? {};
    const fake = entryFor(details, hang);
    assert.ok(fake && !fake.ok, 'the hanging interpreter is listed as failed');
    if (spawnSync('sh', ['-c', 'command -v python3'], { encoding: 'utf8' }).stdout.trim()) {
      assert.equal(report.metrics['python.found'], true);
      assert.notEqual(report.metrics['python.path'], hang);
    }
    assert.deepEqual(processesMentioning(hang), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--python-only without --python, and a --python that is not an executable, are usage errors', async () => {
  const only = await runCli(['run', '--only', 'python', '--python-only']);
  assert.equal(only.code, 2);
  assert.match(only.stderr, /--python-only needs --python PATH/);
  const missing = await runCli(['run', '--only', 'python', '--python', '/nonexistent/python3']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--python \/nonexistent\/python3: cannot use it \(ENOENT\)/);
});

test('the one-file agent carries the inspection script: it inspects Python from an empty folder', async (t) => {
  if (skipWithout(t, executable(DEBIAN_PYTHON), 'python3', 'apt install python3')) return;
  const dir = mkdtempSync(join(tmpdir(), 'edgeprobe-test-agent-python-'));
  try {
    const agent = join(dir, 'agent.js');
    copyFileSync(AGENT_BUNDLE, agent);
    const result = await runScript(agent, ['run', '--only', 'python', '--python', DEBIAN_PYTHON, '--python-only', '--format', 'json'], { cwd: dir });
    assertExitFromVerdict(result, jsonOf(result));  // run exits with its verdict's code
    const report = jsonOf(result) as { metrics: Record<string, unknown> };
    assert.equal(report.metrics['python.found'], true);
    assert.equal(report.metrics['python.path'], DEBIAN_PYTHON);
    assert.equal(report.metrics['python.version'], pythonSays(DEBIAN_PYTHON, 'import platform; print(platform.python_version())'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a virtualenv is its own interpreter (own packages), not an alias of the python it links to', async (t) => {
  if (skipWithout(t, executable(DEBIAN_PYTHON), 'python3', 'apt install python3')) return;
  const dir = mkdtempSync(join(tmpdir(), 'edgeprobe-test-venv-'));
  try {
    const made = spawnSync(DEBIAN_PYTHON, ['-m', 'venv', '--without-pip', join(dir, 'venv')], { encoding: 'utf8', timeout: 60_000 });
    if (skipWithout(t, made.status === 0, 'python3 -m venv', `apt install python3-venv (${made.stderr.trim()})`)) return;
    const venvPython = join(dir, 'venv', 'bin', 'python3');
    const { envelope } = await runProbe(pythonProbe, { python: venvPython });
    const venv = entryFor(envelope.details, venvPython) as PythonInterpreterOk | undefined;
    const system = entryFor(envelope.details, DEBIAN_PYTHON) as PythonInterpreterOk | undefined;
    assert.ok(venv?.ok && system?.ok, 'both inspected');
    assert.notEqual(venv, system);
    assert.equal(venv.inVirtualenv, true);
    assert.equal(venv.prefix, join(dir, 'venv'));
    assert.equal(venv.packages.django, null, 'the venv does not see the system\'s Django');
    assert.equal(venv.pip.available, false, 'created --without-pip');
    assert.equal(venv.version, system.version);
    const only = await runProbe(pythonProbe, { python: venvPython, pythonOnly: true });
    assert.equal(only.envelope.metrics['python.path'], venvPython);
    assert.equal(only.envelope.metrics['python.django_version'], null);
    assert.match(unmeasured(only.envelope, 'python.django_version') ?? '', /django is not installed for .*venv\/bin\/python3/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
