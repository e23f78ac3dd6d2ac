// The dashboard's pure parts: escaping, device ids, report digests, chart series, sizes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { html, raw } from '../src/dashboard/http/html.js';
import { renderChart } from '../src/dashboard/http/pages.js';
import { parseByteSize } from '../src/dashboard/launch.js';
import { CHARTS, canonicalJson, deviceIdFor, reportDigest, seriesOf, valuesDiffer } from '../src/dashboard/model.js';

test('html escapes every interpolated value, arrays included, and only trusted markup passes raw', () => {
  const name = `<img src=x onerror=alert(1)> & "quotes" 'too'`;
  assert.equal(
    html`<td title="${name}">${name}</td>`.value,
    '<td title="&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quotes&quot; &#39;too&#39;">&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quotes&quot; &#39;too&#39;</td>',
  );
  assert.equal(html`<ul>${['<a>', html`<li>${'<b>'}</li>`]}</ul>`.value, '<ul>&lt;a&gt;<li>&lt;b&gt;</li></ul>');
  assert.equal(html`${null}${undefined}${false}${0}${raw('<br>')}`.value, '0<br>');
});

test('device ids: readable, URL-safe, stable, and distinct for names that slug alike', () => {
  assert.match(deviceIdFor('Pi 3 (kitchen)'), /^pi-3-kitchen-[0-9a-f]{8}$/);
  assert.equal(deviceIdFor('Pi 3 (kitchen)'), deviceIdFor('Pi 3 (kitchen)'));
  assert.notEqual(deviceIdFor('pi-3'), deviceIdFor('pi 3'));
  assert.match(deviceIdFor('<img src=x onerror=alert(1)>'), /^[a-z0-9-]+$/);
  assert.match(deviceIdFor('日本語'), /^device-[0-9a-f]{8}$/);
  assert.ok(deviceIdFor('x'.repeat(300)).length <= 49);
});

test('a report has one digest however its JSON is laid out', () => {
  const a = { b: 1, a: [{ y: 2, x: null }], c: 'é' };
  const b = JSON.parse(JSON.stringify({ c: 'é', a: [{ x: null, y: 2 }], b: 1 }, null, 2)) as unknown;
  assert.equal(canonicalJson(a), '{"a":[{"x":null,"y":2}],"b":1,"c":"é"}');
  assert.equal(reportDigest(a), reportDigest(b));
  assert.notEqual(reportDigest(a), reportDigest({ ...a, b: 2 }));
});

test('chart series: oldest first, gaps where a metric is null or missing', () => {
  const reports = [
    { id: 'c', createdAt: '2026-01-03T00:00:00.000Z', metrics: { m: 3 } },
    { id: 'a', createdAt: '2026-01-01T00:00:00.000Z', metrics: { m: 1 } },
    { id: 'b', createdAt: '2026-01-02T00:00:00.000Z', metrics: { m: null } },
    { id: 'd', createdAt: '2026-01-04T00:00:00.000Z', metrics: {} },
  ];
  assert.deepEqual(
    seriesOf(reports, 'm').map((p) => [p.reportId, p.value]),
    [
      ['a', 1],
      ['c', 3],
    ],
  );
  assert.equal(valuesDiffer([null, undefined]), false);
  assert.equal(valuesDiffer([1, 1]), false);
  assert.equal(valuesDiffer([1, null]), true);
  const memory = CHARTS.find((c) => c.id === 'memory');
  assert.ok(memory);
  const svg = renderChart(memory, [
    { id: 'a', createdAt: '2026-01-01T00:00:00.000Z', metrics: { 'memory.effective_available_bytes': 300 * 1024 * 1024 } },
    { id: 'b', createdAt: '2026-01-05T00:00:00.000Z', metrics: { 'memory.effective_available_bytes': 420 * 1024 * 1024 } },
  ]).value;
  assert.equal((svg.match(/<circle /g) ?? []).length, 2);
  assert.match(svg, />200 MiB<.*>400 MiB<.*>600 MiB</s, 'round ticks in MiB, up past the largest value');
  assert.match(renderChart(memory, []).value, /Not measured/);
});

test('--max-body sizes', () => {
  assert.equal(parseByteSize('--max-body', '1m'), 1024 * 1024);
  assert.equal(parseByteSize('--max-body', '512k'), 512 * 1024);
  assert.equal(parseByteSize('--max-body', '2MiB'), 2 * 1024 * 1024);
  assert.equal(parseByteSize('--max-body', '65536'), 65536);
  assert.throws(() => parseByteSize('--max-body', 'lots'), /must be a size/);
  assert.throws(() => parseByteSize('--max-body', '10'), /between 1k and 1g/);
});
