// The POSIX-sh probe's streaming tiers (probes/posix-sh/sh_ws_client.py with sh_ws_driver.py and sh_ws_validity.py)
// against Debian's Django, Channels and daphne, under dash and busybox ash: the python and channels tiers' figures
// under the Node agent's metric ids, the channels tier served by the agent's Channels consumer (its identity
// checked), nothing left behind; ended by SIGTERM while daphne serves, it leaves no process or file either and the
// report says why.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { execCommand } from '../src/platform/process.js';
import { PER_TIER_FIGURES } from '../src/report/metrics/streaming.js';
import { metricIdsOf } from '../src/report/metrics.js';
import type { ProbeEnvelope, Report } from '../src/report/types.js';
import { REPO_ROOT } from './helpers/cli.js';
import { DEBIAN_PYTHON, DIST_PACKAGES, djangoServersPresent, INSTALL_HINT } from './helpers/django.js';
import { executable, requireComponent } from './helpers/env.js';
import { assertNothingLeft, cmdlineOf, processesWithMarker, startCollecting, waitFor, withIsolatedRun } from './helpers/leftovers.js';

const PROBE = join(REPO_ROOT, 'dist', 'edgeprobe-probe.sh');
const SHELLS: Array<[name: string, file: string, args: string[]]> = [
  ['dash', '/usr/bin/dash', []],
  ['busybox ash', '/usr/bin/busybox', ['sh']],
];
const skip = requireComponent(
  djangoServersPresent() && existsSync(join(DIST_PACKAGES, 'channels')) && executable('/usr/bin/dash') && executable('/usr/bin/busybox'),
  'dash, busybox and Debian python3-django, python3-django-channels, python3-daphne',
  INSTALL_HINT,
);
// The django probe runs too (the sh probe has no --only): kept short, it is not what these tests look at.
const ARGS = ['--python', DEBIAN_PYTHON, '--duration', '6', '--django-duration', '2'];

function streamingOf(report: Report): ProbeEnvelope {
  const streaming = report.probes.find((p) => p.id === 'streaming');
  assert.ok(streaming, 'the sh report has the streaming probe');
  return streaming;
}

function checkTiers(report: Report, streaming: ProbeEnvelope): void {
  const unmeasured = (streaming.details['unmeasured'] ?? {}) as Record<string, string>;
  assert.deepEqual(Object.keys(streaming.metrics).sort(), [...metricIdsOf('streaming')].sort(), 'every streaming metric of the catalogue, and only those');
  const n = (id: string): number => {
    assert.equal(typeof report.metrics[id], 'number', `${id}: ${unmeasured[id] ?? ''}`);
    return report.metrics[id] as number;
  };
  for (const tier of ['python', 'channels']) {
    for (const figure of Object.keys(PER_TIER_FIGURES)) assert.ok(n(`streaming.${tier}_${figure}`) >= 0, `streaming.${tier}_${figure}`);
    assert.ok(n(`streaming.${tier}_messages_per_second`) > 0);
    assert.ok(n(`streaming.${tier}_p99_ms`) >= n(`streaming.${tier}_p95_ms`) && n(`streaming.${tier}_p95_ms`) >= n(`streaming.${tier}_p50_ms`));
    // A server uses at most one core's CPU time per second (10 ms ticks over a short window: 20 % slack).
    assert.ok(n(`streaming.${tier}_messages_per_cpu_second`) >= n(`streaming.${tier}_messages_per_second`) * 0.8, `${tier}: per CPU second >= per second`);
  }
  assert.equal(n('streaming.bytes_per_connection'), n('streaming.channels_bytes_per_connection'), "the Python side's cost is the Channels server's");
  assert.equal(typeof report.metrics['streaming.suspect'], 'boolean', 'streaming.suspect by the agent rules');
  const channels = (streaming.details['tiers'] as Record<string, { identity: Record<string, unknown>; asgiServer: string }>)['channels'];
  assert.equal(channels?.identity['served_by'], 'django-channels');
  assert.equal(channels?.identity['layer'], 'channels.layers.InMemoryChannelLayer');
  assert.equal(channels?.asgiServer, 'daphne');
  for (const id of ['streaming.node_messages_per_second', 'streaming.channels_redis_messages_per_second']) {
    assert.equal(report.metrics[id], null);
    assert.match(unmeasured[id] ?? '', /Node agent/, id);
  }
}

for (const [name, file, args] of SHELLS) {
  test(`${name}: the python and channels tiers under the agent's metric ids, the Channels consumer checked; nothing left behind`, {
    skip,
    timeout: 300_000,
  }, async () => {
    await withIsolatedRun('sh-streaming', async (run) => {
      const result = await execCommand(file, [...args, PROBE, ...ARGS], { timeoutMs: 280_000, env: run.env });
      assert.equal(result.code, 0, result.stderr.slice(-2000));
      const report = JSON.parse(result.stdout) as Report;
      checkTiers(report, streamingOf(report));
      await assertNothingLeft(run, 5_000);
    });
  });
}

test('dash: the streaming helper ended by SIGTERM (as timeout(1) ends it) while daphne serves leaves no process or file, and the figures say why', {
  skip,
  timeout: 300_000,
}, async () => {
  await withIsolatedRun('sh-streaming-kill', async (run) => {
    const { mark, temp } = run;
    const probe = startCollecting('/usr/bin/dash', [PROBE, ...ARGS.slice(0, 2), '--duration', '30', '--django-duration', '2'], run.env);
    const serving = await waitFor(() => processesWithMarker(mark).some((pid) => cmdlineOf(pid).includes('serve.py\0daphne')), 150_000, 100);
    assert.ok(serving, 'daphne started under the helper');
    assert.deepEqual(
      readdirSync(temp).map((entry) => entry.replace(/-[^-]+$/, '')),
      ['edgeprobe-streaming'],
      'the Channels project is in TMPDIR',
    );
    const helper = processesWithMarker(mark).find((pid) => cmdlineOf(pid).includes('the streaming tiers where the device has no Node'));
    assert.ok(helper, 'the helper is running');
    process.kill(helper, 'SIGTERM');
    // The sh probe goes on to its django probe, which starts a serve.py of its own in TMPDIR: look at daphne's only.
    assert.ok(await waitFor(() => !processesWithMarker(mark).some((pid) => cmdlineOf(pid).includes('serve.py\0daphne')), 10_000), 'daphne is gone');
    assert.deepEqual(
      readdirSync(temp).filter((entry) => entry.startsWith('edgeprobe-streaming-')),
      [],
      'the Channels project is removed',
    );
    assert.equal(await probe.exited, 0, 'the sh probe still writes its report');
    const unmeasured = streamingOf(JSON.parse(probe.stdout()) as Report).details['unmeasured'] as Record<string, string>;
    assert.match(unmeasured['streaming.channels_messages_per_second'] ?? '', /did not answer/);
    await assertNothingLeft(run, 10_000);
  });
});
