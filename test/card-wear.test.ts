// The card-life projection and its advice, on made-up figures (each test says so), and the storage
// probe turning a load probe's write counter into the projection.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ADVICE_BELOW_YEARS, DEFAULT_CARD_WRITES, MAX_YEARS, projectCardLife, wearAdvice } from '../probes/lib/card-wear.js';
import { storageProbe } from '../probes/storage.js';
import type { ProbeDefinition } from '../src/engine/probe.js';
import { runProbes } from '../src/engine/runner.js';
import { metricIdsOf } from '../src/report/metrics.js';
import { fixtureRoot } from './helpers/cli.js';

const GB = 1e9;

test('made-up figures: 50 KiB per 1,000 messages at 2,000 messages/s on an 8 TB card', () => {
  const p = projectCardLife({
    loads: [{ name: 'streaming load', unit: 'messages', bytesPer1000: 51200, ratePerSecond: 2000, rateSource: 'made up' }],
    kind: 'sd',
    sizeBytes: null,
    enduranceTbw: 8,
  });
  // 51.2 bytes per message x 2000/s x 3600 s = 368,640,000 bytes per hour.
  assert.equal(p.bytesPerHour, 368_640_000);
  assert.equal(p.enduranceBytes, 8e12);
  assert.equal(p.years, Math.round((8e12 / (368_640_000 * 24 * 365.25)) * 10) / 10);
  assert.ok(p.assumptions.some((a) => a.includes('--card-endurance-tbw')));
  assert.ok(p.assumptions.some((a) => a.includes('24 hours a day')));
});

test('made-up figures: the heavier of two loads sets the rate; the default endurance scales with the card', () => {
  const p = projectCardLife({
    loads: [
      { name: 'Django HTTP load', unit: 'requests', bytesPer1000: 4_000_000, ratePerSecond: 100, rateSource: 'made up' },
      { name: 'streaming load', unit: 'messages', bytesPer1000: 1000, ratePerSecond: 5000, rateSource: 'made up' },
    ],
    kind: 'sd',
    sizeBytes: 16 * GB,
    enduranceTbw: null,
  });
  assert.equal(p.bytesPerHour, 4000 * 100 * 3600, 'the Django load writes 1.44 GB/h, the streaming load 18 MB/h');
  assert.equal(p.enduranceBytes, 16 * GB * DEFAULT_CARD_WRITES);
  assert.ok(
    p.assumptions.some((a) => a.includes('Samsung PRO Endurance')),
    'the default names its source',
  );
});

test('made-up figures: no endurance default for a virtio disk, no rate, no writes', () => {
  const virtio = projectCardLife({
    loads: [{ name: 'streaming load', unit: 'messages', bytesPer1000: 10, ratePerSecond: 10, rateSource: 'made up' }],
    kind: 'virtio',
    sizeBytes: 1e12,
    enduranceTbw: null,
  });
  assert.equal(virtio.years, null);
  assert.match(virtio.reason ?? '', /--card-endurance-tbw/);
  const noRate = projectCardLife({
    loads: [{ name: 'streaming load', unit: 'messages', bytesPer1000: 10, ratePerSecond: null, rateSource: 'none' }],
    kind: 'sd',
    sizeBytes: null,
    enduranceTbw: null,
  });
  assert.equal(noRate.bytesPerHour, null);
  assert.equal(noRate.reason, 'no load capacity measured to scale the writes by');
  const idle = projectCardLife({
    loads: [{ name: 'streaming load', unit: 'messages', bytesPer1000: 0, ratePerSecond: 3000, rateSource: 'made up' }],
    kind: 'emmc',
    sizeBytes: 8 * GB,
    enduranceTbw: null,
  });
  assert.equal(idle.years, MAX_YEARS);
  assert.ok(idle.assumptions.some((a) => a.startsWith('capped')));
});

test('advice only when the projected life is short, and only what applies', () => {
  const base = { kind: 'sd' as const, mountOptions: ['rw', 'relatime'], persistentJournal: true, postgresRunning: true };
  assert.deepEqual(wearAdvice({ ...base, years: ADVICE_BELOW_YEARS + 1 }), []);
  const short = wearAdvice({ ...base, years: 1.5 });
  assert.ok(short.some((a) => a.startsWith('mount the filesystem with noatime (now relatime)')));
  assert.ok(short.some((a) => a.includes('Storage=volatile')));
  assert.ok(short.some((a) => a.startsWith('PostgreSQL on the card')));
  const tidy = wearAdvice({ kind: 'emmc', mountOptions: ['rw', 'noatime'], persistentJournal: false, postgresRunning: true, years: 2 });
  assert.ok(!tidy.some((a) => a.includes('noatime') || a.includes('journald') || a.startsWith('PostgreSQL')), tidy.join(' | '));
});

/** A load probe that reports the write volume a real one would, with a made-up figure. */
function fakeLoad(bytesPer1000: number, rate: number): ProbeDefinition {
  return {
    id: 'streaming',
    title: 'made-up streaming load',
    metrics: metricIdsOf('streaming'),
    budgetMs: () => 5_000,
    async run() {
      return {
        metrics: { 'streaming.channels_messages_per_second': rate },
        details: {
          writeVolume: {
            disks: ['mmcblk0'],
            bytesWritten: bytesPer1000 * 10,
            seconds: 10,
            operations: 10_000,
            unit: 'messages',
            bytesPer1000,
            source: 'made up',
          },
        },
      };
    },
  };
}

test("made-up load figures: the storage probe projects the card's life from a load probe's write volume, with advice", async () => {
  const report = await runProbes([fakeLoad(2_000_000, 100), storageProbe], { root: fixtureRoot('constructed-pi-4b-sd-card'), quick: false, verbose: false });
  const storage = report.probes.find((p) => p.id === 'storage');
  assert.equal(storage?.status, 'ok', storage?.error?.message);
  const m = report.metrics;
  assert.equal(m['storage.bytes_written_per_1000_messages'], 2_000_000);
  assert.equal(m['storage.bytes_written_per_hour'], 2000 * 100 * 3600);
  const years = (31914983424 * 256) / (2000 * 100 * 3600 * 24 * 365.25);
  assert.equal(m['storage.card_life_years'], Math.round(years * 10) / 10);
  assert.match(String(storage?.details['cardLifeEstimated']), /^card life 1\.3 years: streaming load: 1\.9 MiB written per 1,000 messages/);
  assert.match(String(storage?.details['wearAdviceNote']), /^to make the card last longer: .*session/);
  assert.doesNotMatch(String(storage?.details['wearAdviceNote']), /noatime/, 'the tree mounts its root noatime already');
});

test('made-up load figures: the Django load projects with the multi-worker WSGI rate, the heavier load wins', async () => {
  const django: ProbeDefinition = {
    id: 'django',
    title: 'made-up Django load',
    metrics: metricIdsOf('django'),
    budgetMs: () => 5_000,
    async run() {
      return {
        metrics: { 'django.wsgi_requests_per_second': 40, 'django.wsgi_workers_requests_per_second': 120 },
        details: {
          writeVolume: {
            disks: ['mmcblk0'],
            bytesWritten: 3_000_000,
            seconds: 20,
            operations: 1000,
            unit: 'requests',
            bytesPer1000: 3_000_000,
            source: 'made up',
          },
        },
      };
    },
  };
  const report = await runProbes([fakeLoad(1000, 3000), django, storageProbe], {
    root: fixtureRoot('constructed-pi-4b-sd-card'),
    quick: false,
    verbose: false,
  });
  const m = report.metrics;
  assert.equal(m['storage.bytes_written_per_1000_requests'], 3_000_000);
  assert.equal(
    m['storage.bytes_written_per_hour'],
    3000 * 120 * 3600,
    'Django: 3 kB a request at 120 requests/s outweighs streaming: 1 B a message at 3,000/s',
  );
  const storage = report.probes.find((p) => p.id === 'storage');
  assert.match(String(storage?.details['cardLifeEstimated']), /django\.wsgi_workers_requests_per_second/);
});
