// The soak: its summary on constructed thermal time series (test/fixtures/thermal/, a model of the Raspberry
// Pi's documented throttling, not a recording), the same series replayed through sysfs files and the real
// sampler, and a short soak on this machine with the real Django Channels load.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { downsample, type SoakSample, summariseSoak } from '../probes/lib/parsers/soak.js';
import { djangoSoakPlan } from '../probes/lib/soak-django.js';
import { operationCounter, readBoard, startSoakSampler } from '../probes/lib/soak-sampler.js';
import { soakProbe } from '../probes/soak.js';
import type { ProbeDefinition } from '../src/engine/probe.js';
import { createContext } from '../src/engine/probe.js';
import { runProbes } from '../src/engine/runner.js';
import { metricIdsOf } from '../src/report/metrics.js';
import type { ProbeEnvelope } from '../src/report/types.js';
import { fixtureRoot, REPO_ROOT, runCli } from './helpers/cli.js';
import { requireComponent } from './helpers/env.js';
import { MARKER_VARIABLE, newMarker, processesWithMarker, waitFor } from './helpers/leftovers.js';
import { runProbe, unmeasured } from './helpers/probe-run.js';

function series(name: string): SoakSample[] {
  const lines = readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'thermal', name), 'utf8')
    .trim()
    .split('\n')
    .slice(1);
  return lines.map((line) => {
    const [t, celsius, mhz, throttled, operations] = line.split(',');
    return { t: Number(t), celsius: Number(celsius), mhz: Number(mhz), throttled: Number.parseInt(throttled ?? '', 16), operations: Number(operations) };
  });
}

test('constructed series, bare board: throttles at 478 s near 80 °C, the clock falls to 1.3 GHz and throughput with it', () => {
  const samples = series('pi4b-bare-board-constructed.csv');
  const s = summariseSoak(samples);
  assert.equal(s.seconds, 900);
  assert.equal(s.windowSeconds, 90);
  assert.equal(s.firstThrottleSeconds, 478);
  assert.deepEqual([s.throttled, s.underVoltage, s.clockFell, s.minMhz, s.maxMhz], [true, false, true, 1300, 1500]);
  assert.equal(s.peakCelsius, Math.max(...samples.map((x) => x.celsius ?? 0)));
  assert.ok(s.ratio !== null && s.ratio < 0.97 && s.ratio > 0.8, `ratio ${s.ratio}`);
  const mean = (from: number, to: number): number => {
    const window = samples.filter((x) => x.t > from && x.t <= to);
    return Math.round((window.reduce((a, x) => a + x.operations, 0) / window.length) * 10) / 10;
  };
  assert.equal(s.initialRate, mean(1, 91), 'initial: after the first second, for a tenth of the soak');
  assert.equal(s.sustainedRate, mean(810, 900), 'sustained: the last tenth');
});

test('constructed series, cooled board: no throttle, the clock holds, throughput holds', () => {
  const s = summariseSoak(series('pi4b-heatsink-fan-constructed.csv'));
  assert.deepEqual([s.throttled, s.underVoltage, s.firstThrottleSeconds, s.clockFell], [false, false, null, false]);
  assert.ok(s.ratio !== null && Math.abs(s.ratio - 1) < 0.03, `ratio ${s.ratio}`);
  assert.ok((s.peakCelsius ?? 0) < 60);
});

test('constructed series, weak supply: under-voltage from 40 s, the clock dips to 600 MHz', () => {
  const s = summariseSoak(series('pi4b-weak-supply-constructed.csv'));
  assert.deepEqual([s.throttled, s.underVoltage, s.firstThrottleSeconds, s.clockFell, s.minMhz], [true, true, 40, true, 600]);
});

test('a board already throttled before the soak is not blamed on it; no bits at all is unknown, not false', () => {
  const at = (t: number, throttled: number | null): SoakSample => ({ t, celsius: 50, mhz: 1500, throttled, operations: 100 });
  assert.equal(summariseSoak([at(1, 0x50000), at(2, 0x50000), at(3, 0x50000)]).throttled, false);
  assert.equal(summariseSoak([at(1, null), at(2, null)]).throttled, null);
});

test('downsampling keeps the hottest temperature, the lowest clock and any throttle bit of each bucket', () => {
  const samples = series('pi4b-weak-supply-constructed.csv');
  const small = downsample(samples, 30);
  assert.equal(small.length, 30);
  assert.equal(Math.max(...small.map((x) => x.celsius ?? 0)), Math.max(...samples.map((x) => x.celsius ?? 0)));
  assert.equal(Math.min(...small.map((x) => x.mhz ?? 0)), 600);
  assert.ok(
    small.some((x) => ((x.throttled ?? 0) & 0x1) !== 0),
    'the one-second under-voltage survives',
  );
  assert.equal(small[small.length - 1]?.t, 300);
});

/** A copy of the constructed SD-card tree whose thermal, clock and throttle files the test rewrites. */
function liveTree(): string {
  const dir = mkdtempSync(join(tmpdir(), 'edgeprobe-test-soak-tree-'));
  cpSync(fixtureRoot('constructed-pi-4b-sd-card'), dir, { recursive: true, verbatimSymlinks: true });
  mkdirSync(join(dir, 'sys/devices/system/cpu/cpu0/cpufreq'), { recursive: true });
  return dir;
}

function writeBoard(dir: string, sample: SoakSample): void {
  writeFileSync(join(dir, 'sys/class/thermal/thermal_zone0/temp'), `${Math.round((sample.celsius ?? 0) * 1000)}\n`);
  writeFileSync(join(dir, 'sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq'), `${(sample.mhz ?? 0) * 1000}\n`);
  writeFileSync(join(dir, 'sys/devices/platform/soc/soc:firmware/get_throttled'), `${(sample.throttled ?? 0).toString(16)}\n`);
}

test('the bare-board series replayed through sysfs files: the sampler reads what the board says, the summary is the same', async () => {
  const dir = liveTree();
  const { ctx, dispose } = createContext({ root: dir, quick: false, verbose: false }, new AbortController().signal, new Map(), () => undefined);
  try {
    // The first ten minutes: the first throttle (478 s) and the clock's fall are in them.
    const samples = series('pi4b-bare-board-constructed.csv').slice(0, 600);
    const replayed: SoakSample[] = [];
    for (const sample of samples) {
      writeBoard(dir, sample);
      replayed.push({ t: sample.t, operations: sample.operations, ...(await readBoard(ctx, true)) });
    }
    assert.deepEqual(replayed, samples);
    assert.deepEqual(summariseSoak(replayed), summariseSoak(samples));
    assert.equal(summariseSoak(replayed).firstThrottleSeconds, 478);
  } finally {
    dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the sampler ticks on its own, counting the operations of each interval', async () => {
  const dir = liveTree();
  writeBoard(dir, { t: 0, celsius: 61.5, mhz: 1800, throttled: 0, operations: 0 });
  const { ctx, dispose } = createContext({ root: dir, quick: false, verbose: false }, new AbortController().signal, new Map(), () => undefined);
  const counter = operationCounter();
  const adder = setInterval(() => counter.add(), 2);
  // The sampler takes the count once as it starts and once at the start of each tick, and a tick starts only after
  // the one before has stored its sample: six takes mean four samples, however slowly a loaded machine runs them.
  let takes = 0;
  const counting = {
    take: (): number => {
      takes++;
      return counter.take();
    },
  };
  try {
    const sampler = await startSoakSampler(ctx, counting, 50);
    await waitFor(() => takes >= 6, 10_000);
    const samples = sampler.stop();
    assert.ok(samples.length >= 4, `${samples.length} samples`);
    assert.ok(samples.every((s) => s.celsius === 61.5 && s.mhz === 1800 && s.throttled === 0));
    assert.ok(samples.some((s) => s.operations > 0));
    assert.ok(
      samples.every((s, i) => i === 0 || s.t >= (samples[i - 1]?.t ?? 0)),
      'time never goes back',
    );
    assert.ok((samples[samples.length - 1]?.t ?? 0) > (samples[0]?.t ?? 0), 'time moves forward');
  } finally {
    clearInterval(adder);
    dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('without --soak the probe says how to ask for it; --soak is checked like every option', async () => {
  const { envelope } = await runProbe(soakProbe, { root: fixtureRoot('pi-4b-bookworm-arm64') });
  assert.match(unmeasured(envelope, 'soak.throttled') ?? '', /^not requested: `edgeprobe run --soak DURATION`/);
  for (const [args, message] of [
    [['--soak', '5q'], /--soak must be a duration such as 600, 90s, 15m or 2h/],
    [['--soak', '25h'], /--soak may be at most 24h/],
    [['--soak', '30', '--quick'], /--soak is a load test: it cannot run under --quick/],
  ] as const) {
    const result = await runCli(['run', '--root', fixtureRoot('pi-4b-bookworm-arm64'), '--only', 'soak', ...args]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, message);
  }
});

test('a 6 s soak on this machine with the real Channels load: throughput figures, no heat figures without a thermal zone, nothing left running', async () => {
  const marker = newMarker();
  const previous = process.env[MARKER_VARIABLE];
  process.env[MARKER_VARIABLE] = marker;
  try {
    const { envelope } = await runProbe(soakProbe, { soak: 6 });
    assert.equal(envelope.status, 'ok', envelope.error?.message);
    const m = envelope.metrics;
    assert.ok(typeof m['soak.initial_messages_per_second'] === 'number' && m['soak.initial_messages_per_second'] > 0);
    assert.ok(typeof m['soak.sustained_messages_per_second'] === 'number' && m['soak.sustained_messages_per_second'] > 0);
    assert.equal(
      m['soak.throughput_ratio'],
      Math.round((Number(m['soak.sustained_messages_per_second']) / Number(m['soak.initial_messages_per_second'])) * 100) / 100,
    );
    assert.ok(Number(m['soak.duration_seconds']) >= 5);
    const series = envelope.details['series'] as SoakSample[];
    assert.ok(series.length >= 5, `${series.length} samples`);
    assert.equal(m['soak.peak_temperature_celsius'] === null, unmeasured(envelope, 'soak.peak_temperature_celsius') === 'no thermal zone in sysfs');
    assert.match(unmeasured(envelope, 'soak.initial_requests_per_second') ?? '', /^no Django HTTP load: the django probe did not run in this run/);
    assert.deepEqual(processesWithMarker(marker), [], 'the load server is gone');
  } finally {
    if (previous === undefined) delete process.env[MARKER_VARIABLE];
    else process.env[MARKER_VARIABLE] = previous;
  }
});

const djangoEnvelope = (metrics: Record<string, number | string | null>, python = '/usr/bin/python3'): ProbeEnvelope => ({
  id: 'django',
  status: 'ok',
  durationMs: 1,
  metrics,
  details: { python: { path: python } },
});

test('made-up django figures: the soak holds the server, workers and clients the django probe measured, WSGI first', () => {
  assert.deepEqual(
    djangoSoakPlan(
      djangoEnvelope({
        'django.wsgi_server': 'gunicorn',
        'django.wsgi_requests_per_second': 80,
        'django.wsgi_workers': 4,
        'django.wsgi_concurrency': 8,
        'django.asgi_server': 'daphne',
        'django.asgi_requests_per_second': 60,
      }),
    ),
    { server: 'gunicorn', workers: 4, clients: 8, python: '/usr/bin/python3' },
  );
  assert.deepEqual(djangoSoakPlan(djangoEnvelope({ 'django.wsgi_server': null, 'django.asgi_server': 'uvicorn', 'django.asgi_requests_per_second': 50 })), {
    server: 'uvicorn',
    workers: 1,
    clients: 4,
    python: '/usr/bin/python3',
  });
  assert.match(String((djangoSoakPlan(undefined) as { reason: string }).reason), /the django probe did not run/);
  assert.match(
    String((djangoSoakPlan(djangoEnvelope({ 'django.wsgi_server': 'gunicorn', 'django.wsgi_requests_per_second': null })) as { reason: string }).reason),
    /measured no server/,
  );
});

const debianDjango = spawnSync('/usr/bin/python3', ['-c', 'import django, gunicorn, channels'], { encoding: 'utf8' }).status === 0;

test("an 8 s soak with Debian's gunicorn beside the Channels load: both rates sampled, the series carries requests, nothing left running", {
  skip: requireComponent(debianDjango, "Debian's python3-django, gunicorn and python3-channels", 'scripts/install-test-deps.sh'),
}, async () => {
  const marker = newMarker();
  const previous = process.env[MARKER_VARIABLE];
  process.env[MARKER_VARIABLE] = marker;
  try {
    // What the django probe would have found: made-up figures for the plan, the real server and interpreter.
    const django: ProbeDefinition = {
      id: 'django',
      title: 'made-up django figures',
      metrics: metricIdsOf('django'),
      budgetMs: () => 5_000,
      exclusive: true,
      run: async () => ({
        metrics: { 'django.wsgi_server': 'gunicorn', 'django.wsgi_requests_per_second': 50, 'django.wsgi_workers': 2, 'django.wsgi_concurrency': 4 },
        details: { python: { path: '/usr/bin/python3' } },
      }),
    };
    const report = await runProbes([django, soakProbe], { root: '/', quick: false, verbose: false, soak: 8 });
    const envelope = report.probes.find((p) => p.id === 'soak');
    assert.equal(envelope?.status, 'ok', envelope?.error?.message);
    const m = report.metrics;
    assert.match(String(m['soak.load']), /\+ Django over HTTP \(gunicorn, 2 workers, 4 clients\)$/);
    for (const id of ['soak.initial_requests_per_second', 'soak.sustained_requests_per_second', 'soak.initial_messages_per_second']) {
      assert.ok(typeof m[id] === 'number' && m[id] > 0, `${id} = ${String(m[id])}`);
    }
    const series = envelope?.details['series'] as SoakSample[];
    assert.ok(
      series.some((s) => (s.requests ?? 0) > 0),
      'the series carries the request rate',
    );
    assert.ok(await waitFor(() => processesWithMarker(marker).length === 0, 10_000), `left running: ${processesWithMarker(marker).join(', ')}`);
  } finally {
    if (previous === undefined) delete process.env[MARKER_VARIABLE];
    else process.env[MARKER_VARIABLE] = previous;
  }
});
