// The POSIX-sh probe's django probe (probes/posix-sh/sh_django.py) against Debian's Django, gunicorn and
// uvicorn under dash: the same metrics as the Node agent's, positive and consistent, nothing left behind; cut
// short by --timeout it leaves nothing behind either and says why.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { execCommand } from '../src/platform/process.js';
import { metricIdsOf } from '../src/report/metrics.js';
import type { ProbeEnvelope, Report } from '../src/report/types.js';
import { REPO_ROOT } from './helpers/cli.js';
import { djangoServersPresent, INSTALL_HINT } from './helpers/django.js';
import { executable, requireComponent } from './helpers/env.js';
import { assertNothingLeft, cmdlineOf, processesWithMarker, startCollecting, waitFor, withIsolatedRun } from './helpers/leftovers.js';

const PROBE = join(REPO_ROOT, 'dist', 'edgeprobe-probe.sh');
const skip = requireComponent(djangoServersPresent() && executable('/usr/bin/dash'), 'dash and Debian python3-django, gunicorn, python3-uvicorn', INSTALL_HINT);

async function shRun(args: string[]): Promise<{ report: Report; django: ProbeEnvelope; leftProcesses: number[]; leftFiles: string[] }> {
  return withIsolatedRun('sh-django', async (run) => {
    const result = await execCommand('/usr/bin/dash', [PROBE, '--duration', '3', ...args], { timeoutMs: 300_000, env: run.env });
    assert.equal(result.code, 0, result.stderr.slice(-2000));
    const report = JSON.parse(result.stdout) as Report;
    const django = report.probes.find((p) => p.id === 'django');
    assert.ok(django, 'the sh report has the django probe');
    await waitFor(() => processesWithMarker(run.mark).length === 0, 5_000);
    return { report, django, leftProcesses: processesWithMarker(run.mark), leftFiles: readdirSync(run.temp) };
  });
}

test('dash: the django figures through the Python helper, the same ids as the Node agent, consistent; nothing left behind', {
  skip,
  timeout: 300_000,
}, async () => {
  const { report, django, leftProcesses, leftFiles } = await shRun(['--django-duration', '10', '--latency-target', '1000', '--asgi-server', 'uvicorn']);
  assert.equal(django.status, 'ok');
  assert.deepEqual(Object.keys(django.metrics).sort(), [...metricIdsOf('django')].sort(), 'every django metric of the catalogue, and only those');
  const m = report.metrics;
  const n = (id: string): number => {
    assert.equal(typeof m[id], 'number', `${id}: ${(django.details['unmeasured'] as Record<string, string> | undefined)?.[id] ?? ''}`);
    return m[id] as number;
  };
  assert.equal(m['django.wsgi_server'], 'gunicorn');
  assert.equal(m['django.asgi_server'], 'uvicorn');
  for (const kind of ['wsgi', 'asgi']) {
    assert.equal(n(`django.${kind}_errors`), 0);
    assert.ok(n(`django.${kind}_requests_per_second`) > 0 && n(`django.${kind}_workers_requests_per_second`) > 0);
    assert.equal(n(`django.${kind}_workers`), 2);
    assert.ok(n(`django.${kind}_scaling_ratio`) >= 0.75, 'N workers at least match one, within noise');
    assert.ok(n(`django.${kind}_p99_ms`) >= n(`django.${kind}_p95_ms`) && n(`django.${kind}_p95_ms`) >= n(`django.${kind}_p50_ms`));
    assert.ok(n(`django.${kind}_worker_pss_bytes`) > 0 && n(`django.${kind}_worker_pss_bytes`) <= n(`django.${kind}_worker_rss_bytes`));
    assert.ok(n(`django.${kind}_cold_start_ms`) > 0);
  }
  assert.ok(n('django.cpython_score') > 0);
  assert.deepEqual(leftProcesses, []);
  assert.deepEqual(leftFiles, []);
});

test('dash: the django helper ended by SIGTERM (as timeout(1) ends it) mid-run leaves no process or file, and the figures say why', {
  skip,
  timeout: 300_000,
}, async () => {
  await withIsolatedRun('sh-django-kill', async (run) => {
    const { mark, temp } = run;
    const probe = startCollecting('/usr/bin/dash', [PROBE, '--duration', '3', '--django-duration', '10'], run.env);
    const serving = await waitFor(() => processesWithMarker(mark).some((pid) => cmdlineOf(pid).includes('serve.py\0gunicorn')), 150_000, 100);
    assert.ok(serving, 'gunicorn started under the helper');
    assert.equal(readdirSync(temp).length, 1, 'the project is in TMPDIR');
    const helper = processesWithMarker(mark).find((pid) => cmdlineOf(pid).includes('the django probe where the device has no Node'));
    assert.ok(helper, 'the helper is running');
    process.kill(helper, 'SIGTERM');
    assert.equal(await probe.exited, 0, 'the sh probe still writes its report');
    const django = (JSON.parse(probe.stdout()) as Report).probes.find((p) => p.id === 'django') as ProbeEnvelope;
    assert.match((django.details['unmeasured'] as Record<string, string>)['django.wsgi_requests_per_second'] ?? '', /did not answer/);
    await assertNothingLeft(run, 10_000);
  });
});
