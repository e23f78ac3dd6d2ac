// The capacity model (src/judge/capacity.ts, docs/architecture.md "The capacity model") on the recorded Pi 3 B
// tree: never more throughput than was measured, one worker on the in-memory channel layer, Redis as a bound,
// a memory bound that is not passed off as an answer, nginx reserved unless it runs, and a WSGI answer built
// on the django probe's figures. Each names the figures it makes up for the software a recorded tree lacks.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadProfile } from '../src/judge/profiles.js';
import { loadHardware } from '../src/judge/spec-sheets.js';
import { judge } from '../src/judge/verdict.js';
import type { Metrics, Report } from '../src/report/types.js';
import { HEALTHY_SOFTWARE, recordedReport, withMetrics } from './helpers/reports.js';

const MiB = 1024 * 1024;

async function pi3(patch: Metrics = {}): Promise<Report> {
  return withMetrics(await recordedReport('pi-3b-bullseye-armhf'), { ...HEALTHY_SOFTWARE, ...patch });
}

const NO_DJANGO_RUN: Metrics = Object.fromEntries(
  Object.keys(HEALTHY_SOFTWARE)
    .filter((id) => id.startsWith('django.'))
    .map((id) => [id, null]),
);

test("made-up Pi 3 figures, no multi-worker run: one worker's msg/s is scaled by the measured CPU-score ratio, never by the core count", async () => {
  // 600 msg/s per worker on the Redis layer; the all-core score is 3 of the 4 one-thread scores (75 % per CPU).
  const report = await pi3({ ...NO_DJANGO_RUN, 'cpu.single_thread_score': 24_000_000, 'cpu.multi_thread_score': 72_000_000 });
  const capacity = judge(report, loadProfile('django-channels-redis')).capacity;
  assert.equal(capacity.workers, 4, 'four workers by CPU on four cores');
  // Three workers run in parallel (Redis keeps a core), each core worth 0.75 of one: 600 × 3 × 0.75 × 70 %.
  assert.equal(capacity.clientsByCpu, Math.round(600 * 3 * 0.75 * 0.7));
  assert.ok((capacity.clientsByCpu ?? Infinity) < 600 * 4 * 0.7, "less than one worker's rate times the cores");
  assert.ok(
    capacity.assumptions.some((a) => /^measured: scaling: .*cpu\.multi_thread_score \/ cpu\.single_thread_score/.test(a)),
    capacity.assumptions.join('\n'),
  );
});

test("made-up Pi 3 figures with a measured 4-worker run: the workers' measured scaling is used and cited", async () => {
  const report = await pi3({ 'django.asgi_workers': 4, 'django.asgi_scaling_ratio': 2.2 });
  const capacity = judge(report, loadProfile('django-channels-redis')).capacity;
  // Three parallel workers, interpolated between 1 worker (1.0×) and 4 measured workers (2.2×): 1.8×.
  assert.equal(capacity.clientsByCpu, Math.round(600 * 1.8 * 0.7));
  assert.ok(
    capacity.assumptions.some((a) => /^measured: scaling: 4 ASGI workers served 2\.20× one worker's peak \(django\.asgi_scaling_ratio/.test(a)),
    capacity.assumptions.join('\n'),
  );
});

test('made-up Pi 3 figures on the in-memory channel layer: one ASGI worker, since groups do not cross processes', async () => {
  const capacity = judge(await pi3(), loadProfile('django-channels')).capacity;
  assert.equal(capacity.workers, 1);
  assert.equal(capacity.clientsByCpu, Math.floor(900 * 0.7), "one worker's measured 900 msg/s at 70 %");
  assert.ok(
    capacity.assumptions.some((a) => /in-memory, so one worker/.test(a)),
    capacity.assumptions.join('\n'),
  );
});

test("made-up Pi 3 figures with the Channels server's CPU time measured: a worker's rate is its echoes per CPU second, which other load taking the core away does not lower", async () => {
  // Measured while other processes took most of the core: 900 echoes per second of wall time, 2,400 per second of
  // the server's own CPU time.
  const report = await pi3({ 'streaming.channels_messages_per_cpu_second': 2400 });
  const capacity = judge(report, loadProfile('django-channels')).capacity;
  assert.equal(capacity.clientsByCpu, Math.floor(2400 * 0.7), 'one worker with a core of its own: 2,400 msg/s at 70 %');
  assert.ok(
    capacity.assumptions.some((a) =>
      /^derived: messages: .*per second of the server's CPU time.*streaming\.channels_messages_per_cpu_second, measured.*assumes one worker with a core of its own/.test(
        a,
      ),
    ),
    capacity.assumptions.join('\n'),
  );
  // The Redis tier keeps its wall rate: that server also waits on Redis, which its CPU time does not show.
  const redis = judge(await pi3({ 'streaming.channels_redis_messages_per_cpu_second': 5000 }), loadProfile('django-channels-redis')).capacity;
  assert.equal(redis.throughputMessagesPerSecond, judge(await pi3(), loadProfile('django-channels-redis')).capacity.throughputMessagesPerSecond);
});

test('made-up Pi 3 figures on the Redis layer: Redis keeps a core of its own and its measured CPU share bounds every worker', async () => {
  const perfect = { ...NO_DJANGO_RUN, 'cpu.single_thread_score': 24_000_000, 'cpu.multi_thread_score': 96_000_000 };
  const cores = judge(await pi3(perfect), loadProfile('django-channels-redis')).capacity;
  assert.equal(cores.clientsByCpu, Math.round(600 * 3 * 0.7), 'three of the four cores for the workers');
  // Redis was 50 % busy carrying 600 msg/s: it saturates near 1200 msg/s, 840 at 70 %.
  const bounded = judge(await pi3({ ...perfect, 'streaming.redis_cpu_share': 0.5 }), loadProfile('django-channels-redis')).capacity;
  assert.equal(bounded.clientsByCpu, 840);
  assert.ok(
    bounded.assumptions.some((a) => /bounded by Redis to 840 msg\/s/.test(a)),
    bounded.assumptions.join('\n'),
  );
});

test('a spec sheet, or a --quick run, gives only a memory bound on clients: not printed as the answer', async () => {
  const sheet = judge(loadHardware('pi-3b'), loadProfile('django-channels')).capacity;
  assert.equal(sheet.websocketClients, null);
  assert.ok((sheet.clientsByMemory ?? 0) > 0);
  assert.ok(
    sheet.assumptions.some((a) => /only an upper bound, not an answer/.test(a)),
    sheet.assumptions.join('\n'),
  );
  const quick = judge(await recordedReport('pi-3b-bullseye-armhf'), loadProfile('django-channels')).capacity;
  assert.equal(quick.websocketClients, null);
});

test('made-up Pi 3 figures with a failing check: no client count at all next to a not-viable verdict', async () => {
  const verdict = judge(await pi3({ 'python.ssl_available': false }), loadProfile('django-channels'));
  assert.equal(verdict.verdict, 'not-viable');
  assert.equal(verdict.capacity.websocketClients, null);
  assert.equal(verdict.capacity.clientsByMemory, null);
  assert.equal(verdict.capacity.clientsByCpu, null);
});

test('made-up Pi 3 figures: nginx installed but not running still gets its memory; running, it is already outside the available memory', async () => {
  const profile = loadProfile('django-wsgi');
  const report = await pi3({ 'stack.reverse_proxy': 'nginx', 'stack.reverse_proxy_running': false });
  const available = report.metrics['memory.effective_available_bytes'] as number;
  const total = report.metrics['memory.effective_total_bytes'] as number;
  const stopped = judge(report, profile).capacity;
  assert.equal(stopped.memoryBudgetBytes, available - 16 * MiB - Math.round(total * 0.1));
  const running = judge(withMetrics(report, { 'stack.reverse_proxy_running': true }), profile).capacity;
  assert.equal(running.memoryBudgetBytes, available - Math.round(total * 0.1));
});

test('made-up Pi 3 django probe figures: django-wsgi answers how big, with workers and req/s at the latency target, citing what was measured', async () => {
  const capacity = judge(await pi3(), loadProfile('django-wsgi')).capacity;
  assert.equal(capacity.workers, 9, 'gunicorn (2 x 4 cores) + 1');
  assert.equal(capacity.requestsPerSecond, HEALTHY_SOFTWARE['django.wsgi_workers_requests_per_second'], "the 4-worker run's req/s with p95 within 100 ms");
  assert.equal(capacity.workerBytes, HEALTHY_SOFTWARE['django.wsgi_worker_pss_bytes']);
  const lines = capacity.assumptions.join('\n');
  assert.match(lines, /^measured: WSGI worker: .* \(django\.wsgi_worker_pss_bytes/m);
  assert.match(lines, /^measured: requests: .* from 4 workers with p95 within 100 ms \(django\.wsgi_workers_requests_per_second\)/m);
  assert.match(lines, /^assumed: workers by CPU: 2 per CPU \+ 1 over 4 CPUs \(gunicorn documentation/m);
  const sheet = judge(loadHardware('pi-3b'), loadProfile('django-wsgi')).capacity;
  assert.equal(sheet.requestsPerSecond, null, 'a spec sheet measured nothing');
  assert.match(sheet.assumptions.join('\n'), /^not estimated: requests per second: not measured/m);
});
