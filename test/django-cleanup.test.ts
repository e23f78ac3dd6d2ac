// The django probe when things go wrong: a server killed in the middle of a load phase is reported as an error
// and cleaned up while the other server kind is still measured; an agent killed in the middle of a phase
// (SIGTERM through its handlers, SIGKILL through the servers' lifeline pipes) leaves no process, no listening
// port and no temp directory.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ProbeEnvelope } from '../src/report/types.js';
import { CLI } from './helpers/cli.js';
import { DEBIAN_PYTHON, djangoServersPresent, INSTALL_HINT } from './helpers/django.js';
import { requireComponent } from './helpers/env.js';
import { listeningPorts, processesWithMarker, waitFor, withIsolatedRun } from './helpers/leftovers.js';
import { start } from './helpers/streaming.js';

const skip = requireComponent(djangoServersPresent(), 'Debian python3-django, gunicorn, python3-uvicorn and python3-daphne', INSTALL_HINT);

const ARGS = ['run', '--only', 'django', '--python', DEBIAN_PYTHON, '--django-duration', '10', '--latency-target', '1000', '-v'];

test('a server killed during a load step is an error for its kind, cleaned up, and the other kind is still measured', { skip, timeout: 240_000 }, async () => {
  await withIsolatedRun('crash', async ({ mark, temp, env }) => {
    const out = mkdtempSync(join(tmpdir(), 'edgeprobe-test-crash-report-'));
    try {
      const reportFile = join(out, 'report.json');
      const agent = start(CLI, [...ARGS, '--asgi-server', 'uvicorn', '--format', 'json', '--output', reportFile], { env });
      const listening = await agent.waitForStderr(/gunicorn ×1: listening on 127\.0\.0\.1:(\d+) \(pid (\d+)\)/, 60_000);
      const port = Number(listening[1]);
      const pid = Number(listening[2]);
      await agent.waitForStderr(/gunicorn ×1: 1 clients: /, 60_000);
      process.kill(pid, 'SIGKILL');
      await agent.exited;
      const report = JSON.parse(readFileSync(reportFile, 'utf8')) as { metrics: Record<string, unknown>; probes: ProbeEnvelope[] };
      const envelope = report.probes.find((p) => p.id === 'django') as ProbeEnvelope;
      const reasons = envelope.details['unmeasured'] as Record<string, string>;
      assert.equal(report.metrics['django.wsgi_requests_per_second'], null);
      assert.match(reasons['django.wsgi_requests_per_second'] ?? '', /^failed: gunicorn exited during the load step at \d+ clients \(SIGKILL\)/);
      assert.match(agent.stderr(), /gunicorn ×1: failed: gunicorn exited during/);
      assert.equal(typeof report.metrics['django.asgi_requests_per_second'], 'number', 'uvicorn was measured after the crash');
      assert.ok(!listeningPorts().has(port), `the killed server's port ${port} is closed`);
      assert.deepEqual(processesWithMarker(mark), [], 'its orphaned workers were killed with its process group');
      assert.deepEqual(readdirSync(temp), []);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

interface KillCase {
  signal: NodeJS.Signals;
  via: 'cli' | 'agent on stdin';
  server: 'gunicorn' | 'uvicorn' | 'daphne';
  workers: 1 | 2;
}

const CASES: KillCase[] = [
  { signal: 'SIGTERM', via: 'cli', server: 'gunicorn', workers: 2 },
  { signal: 'SIGKILL', via: 'agent on stdin', server: 'uvicorn', workers: 2 },
  { signal: 'SIGKILL', via: 'agent on stdin', server: 'daphne', workers: 2 },
];

for (const kill of CASES) {
  test(`${kill.signal} to the ${kill.via} while ${kill.server} ×${kill.workers} is under load leaves no process, port or temp dir`, {
    skip,
    timeout: 240_000,
  }, async () => {
    await withIsolatedRun('kill', async ({ mark, temp, env }) => {
      const asgi = kill.server === 'gunicorn' ? [] : ['--asgi-server', kill.server];
      const agent = start(CLI, [...ARGS, ...asgi], {
        env,
        agentOnStdin: kill.via === 'agent on stdin',
      });
      const label = `${kill.server} ×${kill.workers}`;
      const listening = await agent.waitForStderr(new RegExp(`${label}: listening on 127\\.0\\.0\\.1:(\\d+) \\(pid (\\d+)\\)`), 150_000);
      const port = Number(listening[1]);
      await agent.waitForStderr(new RegExp(`${label}: 1 clients: `), 60_000);
      const during = processesWithMarker(mark);
      assert.ok(during.includes(Number(listening[2])), 'the server carries the marker');
      assert.ok(during.length >= 2 + kill.workers, `the agent, the server and its ${kill.workers} workers: ${during.join(',')}`);
      assert.ok(listeningPorts().has(port));
      assert.equal(readdirSync(temp).length, 1, 'the project is in TMPDIR');
      agent.child.kill(kill.signal);
      const exit = await agent.exited;
      if (kill.signal === 'SIGKILL') assert.equal(exit.signal, 'SIGKILL');
      else assert.equal(exit.code, 143, agent.stderr().slice(-2000));
      assert.ok(await waitFor(() => processesWithMarker(mark).length === 0, 10_000), `processes left: ${processesWithMarker(mark).join(',')}`);
      assert.ok(await waitFor(() => !listeningPorts().has(port), 5_000), `port ${port} still listens`);
      assert.ok(await waitFor(() => readdirSync(temp).length === 0, 5_000), `left in TMPDIR: ${readdirSync(temp).join(', ')}`);
    });
  });
}
