// The dashboard's soak chart: the series read from an uploaded report (checked point by point), the
// throttled stretches, and the inline SVG, on the constructed bare-board series.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { downsample, type SoakSample } from '../probes/lib/parsers/soak.js';
import { renderSoakChart } from '../src/dashboard/http/soak-chart.js';
import { soakSeries, throttledSpans } from '../src/dashboard/soak.js';
import type { ProbeEnvelope } from '../src/report/types.js';
import { REPO_ROOT } from './helpers/cli.js';

function bareBoard(): SoakSample[] {
  const lines = readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'thermal', 'pi4b-bare-board-constructed.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1);
  return lines.map((line) => {
    const [t, celsius, mhz, throttled, operations] = line.split(',');
    return { t: Number(t), celsius: Number(celsius), mhz: Number(mhz), throttled: Number.parseInt(throttled ?? '', 16), operations: Number(operations) };
  });
}

const withSeries = (series: unknown): { probes: ProbeEnvelope[] } => ({
  probes: [{ id: 'soak', status: 'ok', durationMs: 1, metrics: {}, details: { series } }],
});

test('constructed bare-board series: the chart has the three panels on one time axis and shades the throttled stretch', () => {
  const series = downsample(bareBoard(), 600);
  const points = soakSeries(withSeries(series));
  assert.equal(points?.length, 450);
  const spans = throttledSpans(points ?? []);
  assert.equal(spans.length, 1, JSON.stringify(spans));
  assert.ok((spans[0]?.[0] ?? 0) >= 470 && (spans[0]?.[0] ?? 0) <= 478, `throttled from ${spans[0]?.[0]}`);
  assert.equal(spans[0]?.[1], 900);
  const svg = renderSoakChart(withSeries(series)).value;
  assert.equal((svg.match(/<polyline /g) ?? []).length, 3);
  assert.equal((svg.match(/<rect /g) ?? []).length, 1);
  const hottest = Math.round(Math.max(...series.map((s) => s.celsius ?? 0)));
  assert.ok(svg.includes(`${hottest} °C`), 'the temperature axis shows the peak');
  assert.ok(svg.includes('1500 MHz') && svg.includes('1300 MHz'), 'the clock axis shows the fall');
  assert.match(svg, />2 s<\/text><text class="axis" x="628" y="\d+" text-anchor="end">15 min<\/text>/, 'the time axis runs from the first sample to the end');
});

test('a report without a soak draws nothing; a board without sensors says so per panel', () => {
  assert.equal(renderSoakChart({ probes: [] }).value, '');
  assert.equal(renderSoakChart(withSeries('not a series')).value, '');
  const noSensors = [1, 2, 3].map((t) => ({ t, celsius: null, mhz: null, throttled: null, operations: 2000 + t }));
  const svg = renderSoakChart(withSeries(noSensors)).value;
  assert.match(svg, /SoC temperature: not measured on this board/);
  assert.match(svg, /cpu0 clock: not measured on this board/);
  assert.equal((svg.match(/<polyline /g) ?? []).length, 1);
});

test('uploaded series are checked point by point: junk is dropped and text is escaped', () => {
  const hostile = [
    { t: 1, celsius: 50, mhz: 1500, throttled: 0, operations: 100 },
    { t: '2', celsius: '<script>', mhz: 1500, throttled: 0, operations: 100 },
    null,
    { t: -5, celsius: 50 },
    { t: 3, celsius: Number.NaN, mhz: '1500"/><script>alert(1)</script>', throttled: 0, operations: 100 },
    { t: 4, celsius: 51, mhz: 1500, throttled: 0, operations: 120 },
  ];
  const points = soakSeries(withSeries(hostile));
  assert.deepEqual(
    points?.map((p) => p.t),
    [1, 3, 4],
  );
  assert.equal(points?.[1]?.celsius, null);
  assert.equal(points?.[1]?.mhz, null);
  assert.doesNotMatch(renderSoakChart(withSeries(hostile)).value, /<script>/);
});

test('a soak that ran the Django load too gets a fourth panel for its requests', () => {
  const series = [1, 2, 3, 4].map((t) => ({ t, celsius: 50 + t, mhz: 1500, throttled: 0, operations: 3000, requests: 100 + t }));
  const svg = renderSoakChart(withSeries(series)).value;
  assert.equal((svg.match(/<polyline /g) ?? []).length, 4);
  assert.match(svg, /throughput \(Django HTTP requests\)/);
  assert.equal(soakSeries(withSeries(series))?.[3]?.requests, 104);
});
