// The django probe against Debian's real Django, gunicorn, uvicorn and daphne: the figures are there, positive
// and consistent, and the run leaves nothing behind; a missing server or a missing Django yields null with the
// reason and the command that fixes it; --quick skips the probe.

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseSmaps } from '../probes/lib/parsers/smaps.js';
import type { ProbeEnvelope } from '../src/report/types.js';
import { jsonOf, runCli } from './helpers/cli.js';
import { DEBIAN_PYTHON, djangoServersPresent, INSTALL_HINT, venvWith } from './helpers/django.js';
import { requireComponent } from './helpers/env.js';
import { MARKER_VARIABLE, newMarker, processesWithMarker } from './helpers/leftovers.js';

const skip = requireComponent(djangoServersPresent(), 'Debian python3-django, gunicorn, python3-uvicorn and python3-daphne', INSTALL_HINT);

interface DjangoRun {
  metrics: Record<string, unknown>;
  envelope: ProbeEnvelope;
  stderr: string;
}

/** `edgeprobe run --only django` in a TMPDIR of its own, with a marker every process it starts inherits. */
async function runDjango(python: string, extra: string[]): Promise<DjangoRun & { leftProcesses: number[]; leftFiles: string[] }> {
  const mark = newMarker();
  const temp = mkdtempSync(join(tmpdir(), 'edgeprobe-test-django-'));
  try {
    // A generous latency target: this suite checks that the figures are consistent, not how fast this machine is.
    const result = await runCli(
      ['run', '--only', 'django', '--python', python, '--django-duration', '10', '--latency-target', '1000', '--format', 'json', '-v', ...extra],
      {
        env: { ...process.env, NO_COLOR: '1', TMPDIR: temp, [MARKER_VARIABLE]: mark },
        timeoutMs: 240_000,
      },
    );
    assert.ok([0, 1, 3].includes(result.code ?? -1), `run exits with a verdict code: ${result.code} ${result.stderr.slice(-2000)}`);
    const report = jsonOf(result);
    const envelope = (report['probes'] as ProbeEnvelope[]).find((p) => p.id === 'django');
    assert.ok(envelope, 'the report has the django probe');
    return {
      metrics: report['metrics'] as Record<string, unknown>,
      envelope,
      stderr: result.stderr,
      leftProcesses: processesWithMarker(mark),
      leftFiles: readdirSync(temp),
    };
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

function reason(envelope: ProbeEnvelope, id: string): string {
  return (envelope.details['unmeasured'] as Record<string, string> | undefined)?.[id] ?? '';
}

function assertConsistent(run: DjangoRun, kind: 'wsgi' | 'asgi', server: string): void {
  const m = run.metrics;
  const n = (figure: string): number => {
    const value = m[`django.${kind}_${figure}`];
    assert.equal(typeof value, 'number', `django.${kind}_${figure}: ${reason(run.envelope, `django.${kind}_${figure}`)}`);
    return value as number;
  };
  assert.equal(m[`django.${kind}_server`], server);
  assert.equal(n('errors'), 0, 'no request failed');
  assert.ok(n('requests_per_second') > 0 && n('workers_requests_per_second') > 0);
  assert.equal(n('workers'), 2, 'one worker per CPU of this 2-core machine');
  // N workers at least match one worker, within the noise of a shared 2-core machine that also runs the driver.
  assert.ok(n('scaling_ratio') >= 0.75, `scaling ratio ${n('scaling_ratio')}`);
  assert.ok(n('p50_ms') > 0 && n('p95_ms') >= n('p50_ms') && n('p99_ms') >= n('p95_ms'), 'p99 >= p95 >= p50 > 0');
  assert.ok(n('modest_load_p95_ms') > 0);
  assert.ok(n('worker_rss_bytes') > 10 * 1024 * 1024, 'a Django worker holds more than 10 MiB');
  assert.ok(n('worker_pss_bytes') > 0 && n('worker_pss_bytes') <= n('worker_rss_bytes'), 'PSS is at most RSS');
  assert.ok(n('cold_start_ms') > 0);
  assert.ok(n('workers_fit') >= 1);
  const details = run.envelope.details[kind] as { many: { workersAnswering: number; workerMemory: unknown[] } };
  assert.equal(details.many.workersAnswering, 2, 'both workers answered requests in the 2-worker run');
  assert.equal(details.many.workerMemory.length, 2, "each worker's memory was read");
}

test("gunicorn and uvicorn on Debian's Django: positive, consistent figures; nothing left behind", { skip, timeout: 300_000 }, async () => {
  const run = await runDjango(DEBIAN_PYTHON, ['--asgi-server', 'uvicorn']);
  assert.equal(run.envelope.status, 'ok');
  assertConsistent(run, 'wsgi', 'gunicorn');
  assertConsistent(run, 'asgi', 'uvicorn');
  assert.ok((run.metrics['django.asgi_master_pss_bytes'] as number) > 0, 'the uvicorn supervisor of the 2-worker run');
  assert.ok((run.metrics['django.cpython_score'] as number) > 0);
  assert.equal(run.metrics['django.latency_target_ms'], 1000);
  assert.match(run.stderr, /django: gunicorn ×2: listening on 127\.0\.0\.1:\d+/);
  assert.deepEqual(run.leftProcesses, [], 'no process left');
  assert.deepEqual(run.leftFiles, [], 'no file left in TMPDIR');
});

test("daphne on Debian's Django: two daphne processes on one socket; no master process to report", { skip, timeout: 300_000 }, async () => {
  const run = await runDjango(DEBIAN_PYTHON, ['--asgi-server', 'daphne']);
  assertConsistent(run, 'asgi', 'daphne');
  assert.equal(run.metrics['django.asgi_master_pss_bytes'], null);
  assert.match(reason(run.envelope, 'django.asgi_master_pss_bytes'), /daphne has no master process/);
  assert.deepEqual(run.leftProcesses, []);
  assert.deepEqual(run.leftFiles, []);
});

test('a virtualenv with Django but no server: each server kind is null with the reason and the pip command; CPython is still scored', {
  skip,
  timeout: 120_000,
}, async () => {
  const venv = venvWith(['django', 'asgiref', 'sqlparse', 'pytz']);
  try {
    const run = await runDjango(venv.python, []);
    assert.equal(run.envelope.status, 'ok');
    for (const id of ['django.wsgi_requests_per_second', 'django.wsgi_cold_start_ms', 'django.wsgi_worker_pss_bytes']) {
      assert.equal(run.metrics[id], null);
      assert.equal(reason(run.envelope, id), `no WSGI server: gunicorn is not installed for ${venv.python} (${venv.python} -m pip install gunicorn)`);
    }
    assert.match(
      reason(run.envelope, 'django.asgi_p95_ms'),
      new RegExp(`neither daphne nor uvicorn is installed for ${venv.python} \\(.*-m pip install uvicorn\\)`),
    );
    assert.ok((run.metrics['django.cpython_score'] as number) > 0, 'the benchmark needs only the interpreter');
    assert.deepEqual(run.leftProcesses, []);
  } finally {
    venv.remove();
  }
});

test('a virtualenv without Django: every figure but the CPython score is null, with the command that installs Django', { skip, timeout: 120_000 }, async () => {
  const venv = venvWith([]);
  try {
    const run = await runDjango(venv.python, []);
    assert.equal(run.metrics['django.asgi_requests_per_second'], null);
    assert.match(
      reason(run.envelope, 'django.wsgi_server'),
      new RegExp(`Django is not installed for ${venv.python} \\(${venv.python} -m pip install Django gunicorn uvicorn\\)`),
    );
    assert.equal(typeof run.metrics['django.cpython_score'], 'number');
  } finally {
    venv.remove();
  }
});

test('--quick skips the whole probe, with the reason', async () => {
  const result = await runCli(['run', '--quick', '--only', 'django', '--format', 'json']);
  const envelope = (jsonOf(result)['probes'] as ProbeEnvelope[]).find((p) => p.id === 'django');
  assert.equal(envelope?.metrics['django.wsgi_requests_per_second'], null);
  assert.equal(reason(envelope as ProbeEnvelope, 'django.cpython_score'), 'skipped by --quick');
});

test('smaps_rollup and smaps of the same live process give the same RSS and PSS to within a few pages', () => {
  const rollup = parseSmaps(readFileSync('/proc/self/smaps_rollup', 'utf8'));
  const full = parseSmaps(readFileSync('/proc/self/smaps', 'utf8'));
  assert.ok(rollup && full, 'both parse');
  assert.ok(rollup.rssBytes > 0 && rollup.pssBytes > 0 && rollup.pssBytes <= rollup.rssBytes);
  // Read one after the other, the two may differ by what the process touched in between.
  assert.ok(Math.abs(rollup.rssBytes - full.rssBytes) < 8 * 1024 * 1024, `${rollup.rssBytes} vs ${full.rssBytes}`);
  assert.equal(parseSmaps('Size: 4 kB\nSwap: 0 kB\n'), null, 'no Rss or Pss line: nothing measured, not zero');
});
