// The device page's history charts: inline SVG drawn on the server, readable without JavaScript.
import { formatBytes, formatMetric } from '../../report/display.js';
import type { MetricValue } from '../../report/types.js';
import { type ChartSpec, seriesOf } from '../model.js';
import { type Html, html } from './html.js';

const MIB = 1024 * 1024;

/** 1, 2, 2.5 or 5 times a power of ten: the smallest such step at least `raw`. */
function niceStep(raw: number): number {
  if (!(raw > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * power >= raw) return m * power;
  return 10 * power;
}

function trimNumber(value: number): string {
  return String(Number(value.toFixed(1)));
}

function axisLabel(unit: ChartSpec['unit'], value: number): string {
  if (unit === 'bytes') return value === 0 ? '0' : formatBytes(value);
  if (value >= 1e6) return `${trimNumber(value / 1e6)}M/s`;
  if (value >= 1e3) return `${trimNumber(value / 1e3)}k/s`;
  return `${trimNumber(value)}/s`;
}

/** Axis ticks from 0 past the largest value, at a round step (whole MiB for bytes). */
function ticks(unit: ChartSpec['unit'], max: number): number[] {
  const unitSize = unit === 'bytes' && max >= 4 * MIB ? MIB : 1;
  const step = niceStep(max / unitSize / 4) * unitSize;
  const top = Math.max(step, Math.ceil(max / step) * step);
  const out: number[] = [];
  for (let v = 0; v <= top + step / 2; v += step) out.push(v);
  return out;
}

/** A line chart of one ChartSpec over the reports, as inline SVG (readable without JS). */
export function renderChart(spec: ChartSpec, reports: readonly { id: string; createdAt: string; metrics: Record<string, MetricValue> }[]): Html {
  const series = spec.series.map((s) => ({ ...s, points: seriesOf(reports, s.metric) })).filter((s) => s.points.length > 0);
  if (series.length === 0) {
    return html`<figure class="chart" id="chart-${spec.id}"><figcaption>${spec.title}</figcaption><p class="muted">Not measured in these reports.</p></figure>`;
  }
  const W = 360;
  const H = 190;
  const left = 60;
  const right = 12;
  const top = 10;
  const bottom = 26;
  const all = series.flatMap((s) => s.points);
  const times = all.map((p) => Date.parse(p.time));
  const t0 = Math.min(...times);
  const t1 = Math.max(...times);
  const yTicks = ticks(spec.unit, Math.max(...all.map((p) => p.value)));
  const yMax = yTicks[yTicks.length - 1] ?? 1;
  const x = (t: number): number => (t1 === t0 ? left + (W - left - right) / 2 : left + ((t - t0) / (t1 - t0)) * (W - left - right));
  const y = (v: number): number => top + (1 - v / yMax) * (H - top - bottom);
  const grid = yTicks.map(
    (v) =>
      html`<line class="grid" x1="${left}" x2="${W - right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}"/><text class="axis" x="${left - 5}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${axisLabel(spec.unit, v)}</text>`,
  );
  const day = (t: number): string => new Date(t).toISOString().slice(0, 10);
  const xLabels =
    t1 === t0
      ? html`<text class="axis" x="${x(t0).toFixed(1)}" y="${H - 6}" text-anchor="middle">${day(t0)}</text>`
      : html`<text class="axis" x="${left}" y="${H - 6}" text-anchor="start">${day(t0)}</text><text class="axis" x="${W - right}" y="${H - 6}" text-anchor="end">${day(t1)}</text>`;
  const lines = series.map((s, i) => {
    const coords = s.points.map((p) => `${x(Date.parse(p.time)).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ');
    const dots = s.points.map(
      (p) =>
        html`<circle class="s${i}" cx="${x(Date.parse(p.time)).toFixed(1)}" cy="${y(p.value).toFixed(1)}" r="3.5"><title>${s.label}, ${p.time.slice(0, 16).replace('T', ' ')} UTC: ${formatMetric(s.metric, p.value)}</title></circle>`,
    );
    return html`<polyline class="s${i}" points="${coords}"/>${dots}`;
  });
  const legend = series.map((s, i) => html`<li><span class="swatch s${i}"></span>${s.label} <code>${s.metric}</code></li>`);
  return html`<figure class="chart" id="chart-${spec.id}">
<figcaption>${spec.title}</figcaption>
<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${spec.title} over time" preserveAspectRatio="xMidYMid meet">${grid}${xLabels}${lines}</svg>
<ul class="legend">${legend}</ul>
</figure>`;
}
